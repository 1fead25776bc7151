// The floor for loading a script directory: open, read and close every *.sql file of one
// directory with the fewest system calls, parsing nothing. bench/commands.sh times it beside
// retort, so that the part of a command's time that is the kernel's can be told apart.
#include <array>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: read_floor DIRECTORY\n");
    return 2;
  }
  DIR* dir = opendir(argv[1]);
  if (dir == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  const int dir_fd = dirfd(dir);
  std::array<char, 65536> buffer{};
  std::size_t files = 0;
  std::size_t bytes = 0;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (!name.ends_with(".sql")) {
      continue;
    }
    const int fd = openat(dir_fd, entry->d_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::perror(entry->d_name);
      return 1;
    }
    const ssize_t got = read(fd, buffer.data(), buffer.size());
    close(fd);
    if (got < 0) {
      std::perror(entry->d_name);
      return 1;
    }
    ++files;
    bytes += static_cast<std::size_t>(got);
  }
  closedir(dir);
  std::printf("%zu files, %zu bytes\n", files, bytes);
  return 0;
}
