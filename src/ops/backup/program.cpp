// posix_spawn rather than fork: retort has threads (the signal thread, a lease's renewer), and
// between fork and exec a child of a threaded process may call only async-signal-safe
// functions, which building an environment is not.
#include "ops/backup/program.hpp"

#include "retort/error.hpp"
#include "runner/cancel.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;  // NOLINT: POSIX declares it only this way

namespace retort::ops::backup {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_kept_output = 64 * 1024;
constexpr auto k_kill_after = std::chrono::seconds(5);

class Pipe {
 public:
  Pipe() {
    if (pipe2(m_fds.data(), O_CLOEXEC) != 0) {
      throw Error(ExitCode::failed, fmt::format("cannot create a pipe for a backup program: {}",
                                                std::strerror(errno)));
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  [[nodiscard]] int read_end() const noexcept { return m_fds[0]; }
  [[nodiscard]] int write_end() const noexcept { return m_fds[1]; }
  void close_read() noexcept { close_fd(m_fds[0]); }
  void close_write() noexcept { close_fd(m_fds[1]); }

 private:
  static void close_fd(int& fd) noexcept {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  std::array<int, 2> m_fds{-1, -1};
};

// The environment of the child: retort's, with `env` added or overriding.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals != std::string_view::npos && env.contains(std::string(text.substr(0, equals)))) {
      continue;
    }
    out.emplace_back(text);
  }
  for (const auto& [name, value] : env) {
    out.push_back(name + "=" + value);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& text : strings) {
    out.push_back(text.data());
  }
  out.push_back(nullptr);
  return out;
}

struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};

  explicit SpawnSetup(int output_fd) {
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
    posix_spawnattr_init(&attributes);
    // A group of its own, so that ending it also ends what a shell command started; the CLI
    // blocks SIGINT and SIGTERM for its signal thread, which the child must not inherit.
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int signal : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE}) {
      sigaddset(&defaults, signal);
    }
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

void keep(std::string& output, const char* data, std::size_t size) {
  output.append(data, size);
  if (output.size() > 2 * k_kept_output) {
    output.erase(0, output.size() - k_kept_output);
  }
}

pid_t spawn(std::vector<std::string>& args, std::vector<char*>& env_pointers, int output_fd) {
  std::vector<char*> arg_pointers = pointers(args);
  pid_t pid = 0;
  const SpawnSetup setup(output_fd);
  const int rc = posix_spawnp(&pid, args.front().c_str(), &setup.actions, &setup.attributes,
                              arg_pointers.data(), env_pointers.data());
  if (rc != 0) {
    throw Error(ExitCode::failed,
                fmt::format("cannot run {}: {}", args.front(), std::strerror(rc)));
  }
  return pid;
}

}  // namespace

pid_t start_program(const std::vector<std::string>& argv, int output_fd) {
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = child_environment({});
  std::vector<char*> env_pointers = pointers(environment);
  return spawn(args, env_pointers, output_fd);
}

ProgramResult run_program(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = child_environment(env);
  std::vector<char*> env_pointers = pointers(environment);

  Pipe pipe;
  const pid_t pid = spawn(args, env_pointers, pipe.write_end());
  pipe.close_write();

  ProgramResult result;
  std::optional<Clock::time_point> terminated_at;
  bool open = true;
  int status = 0;
  for (;;) {
    if (!terminated_at && runner::cancel_requested()) {
      result.cancelled = true;
      ::kill(-pid, SIGTERM);
      terminated_at = Clock::now();
    }
    if (terminated_at && Clock::now() - *terminated_at > k_kill_after) {
      ::kill(-pid, SIGKILL);
    }
    if (open) {
      pollfd watch{pipe.read_end(), POLLIN, 0};
      if (::poll(&watch, 1, 200) > 0) {
        std::array<char, 8192> buffer{};
        const ssize_t got = ::read(pipe.read_end(), buffer.data(), buffer.size());
        if (got > 0) {
          keep(result.output, buffer.data(), static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          open = false;
          pipe.close_read();
        }
      }
      continue;
    }
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      break;
    }
    if (done < 0 && errno != EINTR) {
      // Reaped by someone else, which retort never does: the outcome is unknown, so a failure.
      result.output +=
          fmt::format("\n(cannot wait for {}: {})", args.front(), std::strerror(errno));
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (result.output.size() > k_kept_output) {
    result.output.erase(0, result.output.size() - k_kept_output);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::string ending(const ProgramResult& result) {
  if (result.signal != 0) {
    return fmt::format("was killed by signal {}", result.signal);
  }
  return fmt::format("exited with {}", result.exit_code);
}

}  // namespace retort::ops::backup
