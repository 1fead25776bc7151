// The header cache's file: written whole under a name of its own and renamed into place, read
// back in one read() and checked field by field (header_cache.hpp).
#include "script/header_cache.hpp"

#include "retort/version.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace retort::script::header_cache {
namespace {

constexpr std::int64_t k_ns_per_s = 1'000'000'000;

// The first line names the format and the retort that wrote it: another version may read
// headers differently, so its cache is not this one's. Bump k_format when what an entry holds
// or means changes.
constexpr int k_format = 1;
std::string magic() { return fmt::format("retort header cache {} {}\n", k_format, k_version); }
constexpr std::string_view k_end = "end\n";

// FNV-1a: the file name only spreads keys; the key inside the file decides.
std::uint64_t hash_of(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out += ' ';
    }
    out += item;
  }
  return out;
}

// Reads NUL-terminated fields off the file's text.
class Fields {
 public:
  explicit Fields(std::string_view text) : m_text(text) {}
  std::optional<std::string_view> next() {
    const std::size_t end = m_text.find('\0', m_at);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view field = m_text.substr(m_at, end - m_at);
    m_at = end + 1;
    return field;
  }
  template <typename T>
  bool number(T& out) {
    const std::optional<std::string_view> field = next();
    if (!field || field->empty()) {
      return false;
    }
    const auto [ptr, ec] = std::from_chars(field->data(), field->data() + field->size(), out);
    return ec == std::errc() && ptr == field->data() + field->size();
  }
  bool list(std::vector<std::string>& out) {
    const std::optional<std::string_view> field = next();
    if (!field) {
      return false;
    }
    std::size_t at = 0;
    while (at < field->size()) {
      const std::size_t space = std::min(field->find(' ', at), field->size());
      out.emplace_back(field->substr(at, space - at));
      at = space + 1;
    }
    return true;
  }
  [[nodiscard]] std::string_view rest() const { return m_text.substr(m_at); }

 private:
  std::string_view m_text;
  std::size_t m_at = 0;
};

bool keepable(std::string_view value) { return value.find('\0') == std::string_view::npos; }

bool keepable(const std::vector<std::string>& items) {
  for (const std::string& item : items) {
    if (item.empty() || item.find_first_of(std::string_view(" \0", 2)) != std::string::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

FileStamp stamp_of(const struct stat& info) {
  return FileStamp{
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * k_ns_per_s + info.st_mtim.tv_nsec,
      static_cast<std::int64_t>(info.st_ctim.tv_sec) * k_ns_per_s + info.st_ctim.tv_nsec,
      static_cast<std::int64_t>(info.st_size), static_cast<std::uint64_t>(info.st_ino)};
}

std::optional<std::string> path_for(std::string_view key) {
  std::string dir;
  const char* own = std::getenv("RETORT_CACHE_DIR");
  if (own != nullptr && *own != '\0') {
    if (std::string_view(own) == "off") {
      return std::nullopt;
    }
    dir = own;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    dir = std::string(xdg) + "/retort";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    dir = std::string(home) + "/.cache/retort";
  } else {
    return std::nullopt;
  }
  return fmt::format("{}/headers-{:016x}", dir, hash_of(key));
}

std::optional<std::vector<Entry>> read(const std::string& path, std::string_view key) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  struct stat info {};
  std::string text;
  if (fstat(fd, &info) == 0 && info.st_size > 0) {
    text.resize(static_cast<std::size_t>(info.st_size));
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
  }
  close(fd);

  const std::string first = magic();
  if (!std::string_view(text).starts_with(first)) {
    return std::nullopt;
  }
  Fields fields(std::string_view(text).substr(first.size()));
  std::size_t count = 0;
  if (fields.next() != key || !fields.number(count) || count > text.size()) {
    return std::nullopt;
  }
  std::vector<Entry> entries(count);
  for (Entry& entry : entries) {
    const std::optional<std::string_view> name = fields.next();
    if (!name || !fields.number(entry.stamp.mtime_ns) || !fields.number(entry.stamp.ctime_ns) ||
        !fields.number(entry.stamp.size) || !fields.number(entry.stamp.inode)) {
      return std::nullopt;
    }
    entry.name = *name;
    graph::Revision& revision = entry.revision;
    const std::optional<std::string_view> id = fields.next();
    const std::optional<std::string_view> message = fields.next();
    if (!id || !message || !fields.list(revision.down_revisions) ||
        !fields.list(revision.depends_on) || !fields.list(revision.branch_labels) ||
        !fields.list(revision.replaces)) {
      return std::nullopt;
    }
    revision.id = *id;
    revision.message = *message;
  }
  if (fields.rest() != k_end) {
    return std::nullopt;
  }
  return entries;
}

bool write(const std::string& path, std::string_view key, const std::vector<Entry>& entries) {
  if (!keepable(key)) {
    return false;
  }
  std::string text = magic();
  text.append(key).append(1, '\0');
  text.append(std::to_string(entries.size())).append(1, '\0');
  for (const Entry& entry : entries) {
    const graph::Revision& revision = entry.revision;
    if (!keepable(entry.name) || !keepable(revision.id) || !keepable(revision.message) ||
        !keepable(revision.down_revisions) || !keepable(revision.depends_on) ||
        !keepable(revision.branch_labels) || !keepable(revision.replaces)) {
      return false;
    }
    fmt::format_to(std::back_inserter(text), "{}{}{}{}{}{}{}{}{}{}", entry.name, '\0',
                   entry.stamp.mtime_ns, '\0', entry.stamp.ctime_ns, '\0', entry.stamp.size, '\0',
                   entry.stamp.inode, '\0');
    text.append(revision.id).append(1, '\0');
    text.append(revision.message).append(1, '\0');
    for (const auto* list : {&revision.down_revisions, &revision.depends_on,
                             &revision.branch_labels, &revision.replaces}) {
      text.append(joined(*list)).append(1, '\0');
    }
  }
  text.append(k_end);

  // The directory, made private to the user as a cache should be.
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return false;
  }
  std::string dir = path.substr(0, slash);
  for (std::size_t at = 1; at <= dir.size(); ++at) {
    if (at == dir.size() || dir[at] == '/') {
      const std::string prefix = dir.substr(0, at);
      if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
        return false;
      }
    }
  }
  // A name of this writer's own, renamed over the cache when whole: two processes writing at
  // once each rename a whole file, and a reader never sees half of one.
  const std::string temporary =
      fmt::format("{}.{}.{:x}.tmp", path, getpid(), std::random_device{}());
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool written = close(fd) == 0 && done == text.size();
  if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
    unlink(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace retort::script::header_cache
