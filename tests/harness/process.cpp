// Child processes for tests: fork/exec with three pipes, a poll loop that never deadlocks on
// big outputs, a deadline that ends in SIGKILL, and temp directories.
#include "harness/process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace retort::test {
namespace {

using Clock = std::chrono::steady_clock;

// A file descriptor closed at destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  [[nodiscard]] int get() const noexcept { return m_fd; }
  [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }
  void reset() noexcept {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }

 private:
  int m_fd = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

// O_CLOEXEC on both ends: a child spawned by another thread must not inherit them, or this
// child's stdout would stay open until that other child exits.
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Writing stdin to a child that already exited must give EPIPE, not kill the test binary. The
// child gets the default disposition back before exec.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string joined;
  for (const auto& arg : argv) {
    if (!joined.empty()) {
      joined += ' ';
    }
    joined += arg;
  }
  return joined;
}

std::string tail(const std::string& text, std::size_t max_chars) {
  if (text.size() <= max_chars) {
    return text;
  }
  return "..." + text.substr(text.size() - max_chars);
}

std::vector<std::string> build_environment(const SpawnOptions& options) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view item(*entry);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    merged[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
  }
  for (const auto& name : options.unset_env) {
    merged.erase(name);
  }
  for (const auto& [name, value] : options.env) {
    merged[name] = value;
  }
  std::vector<std::string> result;
  result.reserve(merged.size());
  for (const auto& [name, value] : merged) {
    result.push_back(name + "=" + value);
  }
  return result;
}

// execvp's PATH search allocates, which a child forked from a threaded parent must not do, so
// the search happens here, before fork, with the child's PATH.
std::string resolve_program(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) {
      path = entry.substr(5);
    }
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) {
      dir = ".";
    }
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return program;
}

struct Credentials {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Credentials credentials_for(const std::string& user) {
  Credentials creds;
  if (user.empty() || ::geteuid() != 0) {
    return creds;
  }
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    throw std::runtime_error("cannot run as OS user '" + user + "': no such user");
  }
  creds.change = true;
  creds.uid = pw->pw_uid;
  creds.gid = pw->pw_gid;
  int count = 32;
  creds.groups.resize(static_cast<std::size_t>(count));
  while (::getgrouplist(user.c_str(), creds.gid, creds.groups.data(), &count) < 0) {
    creds.groups.resize(static_cast<std::size_t>(count) + 1);
    count = static_cast<int>(creds.groups.size());
  }
  creds.groups.resize(static_cast<std::size_t>(count));
  return creds;
}

// In the child, between fork and exec: async-signal-safe calls only. On failure the errno
// goes to the parent through error_fd, which exec closes on success.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* cwd, const Credentials& creds, int stdin_fd, int stdout_fd,
                             int stderr_fd, int error_fd) {
  auto fail = [error_fd]() {
    const int err = errno;
    [[maybe_unused]] auto written = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
  };
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    ::signal(sig, SIG_DFL);
  }
  if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0 ||
      ::dup2(stderr_fd, STDERR_FILENO) < 0) {
    fail();
  }
  if (creds.change) {
    if (::setgroups(creds.groups.size(), creds.groups.data()) != 0 || ::setgid(creds.gid) != 0 ||
        ::setuid(creds.uid) != 0) {
      fail();
    }
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    fail();
  }
  ::execve(program, argv, envp);
  fail();
  ::_exit(127);
}

}  // namespace

struct Process::State {
  std::vector<std::string> argv;
  pid_t pid = -1;
  bool reaped = false;
  Clock::time_point deadline;
  std::chrono::milliseconds timeout{};
  std::string stdin_text;
  std::size_t stdin_written = 0;
  Fd stdin_fd;
  Fd stdout_fd;
  Fd stderr_fd;
  std::optional<ProcessResult> result;

  void kill_group(int signal) const {
    if (pid > 0 && !reaped) {
      // The group may be gone (the child not yet in it, or already a zombie); the pid itself
      // still is a valid target until reaped.
      if (::kill(-pid, signal) != 0) {
        ::kill(pid, signal);
      }
    }
  }

  int reap() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "waitpid");
      }
    }
    reaped = true;
    return status;
  }
};

Process::Process(std::vector<std::string> argv, const SpawnOptions& options) : m_state(nullptr) {
  if (argv.empty()) {
    throw std::invalid_argument("Process: argv is empty");
  }
  ignore_sigpipe_once();
  auto state = std::make_unique<State>();
  state->argv = std::move(argv);
  state->timeout = options.timeout;
  state->stdin_text = options.stdin_text;

  // Everything the child needs is built here, before fork.
  const std::vector<std::string> env = build_environment(options);
  const std::string program = resolve_program(state->argv.front(), env);
  const Credentials creds = credentials_for(options.run_as_user);
  std::vector<char*> argv_ptrs;
  for (auto& arg : state->argv) {
    argv_ptrs.push_back(arg.data());
  }
  argv_ptrs.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  std::vector<char*> env_ptrs;
  for (auto& entry : env_copy) {
    env_ptrs.push_back(entry.data());
  }
  env_ptrs.push_back(nullptr);
  const std::string cwd = options.cwd.string();

  Pipe in = make_pipe();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe exec_error = make_pipe();

  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid == 0) {
    exec_child(program.c_str(), argv_ptrs.data(), env_ptrs.data(),
               cwd.empty() ? nullptr : cwd.c_str(), creds, in.read.get(), out.write.get(),
               err.write.get(), exec_error.write.get());
  }
  state->pid = pid;
  // Also from the parent, so that kill(-pid) works even before the child ran setpgid.
  ::setpgid(pid, pid);
  state->deadline = Clock::now() + options.timeout;
  in.read.reset();
  out.write.reset();
  err.write.reset();
  exec_error.write.reset();

  int child_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(exec_error.read.get(), &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    state->reap();
    throw std::system_error(child_errno, std::generic_category(),
                            "cannot run '" + state->argv.front() + "'");
  }

  state->stdin_fd = std::move(in.write);
  state->stdout_fd = std::move(out.read);
  state->stderr_fd = std::move(err.read);
  for (const Fd* fd : {&state->stdin_fd, &state->stdout_fd, &state->stderr_fd}) {
    ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  if (state->stdin_text.empty()) {
    state->stdin_fd.reset();
  }
  m_state = state.release();
}

Process::~Process() {
  if (m_state == nullptr) {
    return;
  }
  if (!m_state->reaped) {
    m_state->kill_group(SIGKILL);
    try {
      m_state->reap();
    } catch (const std::exception&) {
      // Nothing left to do from a destructor; the child is already gone or not ours.
    }
  }
  delete m_state;
}

Process::Process(Process&& other) noexcept : m_state(std::exchange(other.m_state, nullptr)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    Process doomed(std::move(*this));
    m_state = std::exchange(other.m_state, nullptr);
  }
  return *this;
}

int Process::pid() const noexcept { return m_state == nullptr ? -1 : m_state->pid; }

void Process::kill(int signal) {
  if (m_state != nullptr) {
    m_state->kill_group(signal);
  }
}

ProcessResult Process::wait() {
  if (m_state == nullptr) {
    throw std::logic_error("Process::wait on a moved-from Process");
  }
  State& st = *m_state;
  if (st.result) {
    return *st.result;
  }
  ProcessResult result;
  bool timed_out = false;
  char buffer[65536];
  while (st.stdout_fd.valid() || st.stderr_fd.valid()) {
    const auto now = Clock::now();
    if (now >= st.deadline) {
      timed_out = true;
      break;
    }
    std::vector<pollfd> fds;
    std::vector<Fd*> owners;
    auto watch = [&](Fd& fd, short events) {
      if (fd.valid()) {
        fds.push_back(pollfd{fd.get(), events, 0});
        owners.push_back(&fd);
      }
    };
    watch(st.stdin_fd, POLLOUT);
    watch(st.stdout_fd, POLLIN);
    watch(st.stderr_fd, POLLIN);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(st.deadline - now).count() + 1;
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long>(left, 1000)));
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (std::size_t idx = 0; idx < fds.size(); ++idx) {
      if (fds[idx].revents == 0) {
        continue;
      }
      Fd& fd = *owners[idx];
      if (&fd == &st.stdin_fd) {
        const std::size_t remaining = st.stdin_text.size() - st.stdin_written;
        const ssize_t n = ::write(fd.get(), st.stdin_text.data() + st.stdin_written, remaining);
        if (n > 0) {
          st.stdin_written += static_cast<std::size_t>(n);
        }
        // EPIPE: the child closed its stdin; what it did not read, it did not want.
        if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
            st.stdin_written == st.stdin_text.size()) {
          fd.reset();
        }
        continue;
      }
      std::string& sink = &fd == &st.stdout_fd ? result.out : result.err;
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n > 0) {
        sink.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();
      }
    }
  }
  if (timed_out) {
    st.kill_group(SIGKILL);
  }
  st.stdin_fd.reset();
  st.stdout_fd.reset();
  st.stderr_fd.reset();
  const int status = st.reap();
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  result.timed_out = timed_out;
  if (timed_out) {
    ADD_FAILURE() << "timed out after " << st.timeout.count()
                  << " ms, killed with SIGKILL: " << join_argv(st.argv)
                  << "\nstdout: " << tail(result.out, 2000)
                  << "\nstderr: " << tail(result.err, 2000);
  }
  st.result = result;
  return result;
}

ProcessResult run(std::vector<std::string> argv, const SpawnOptions& options) {
  Process process(std::move(argv), options);
  return process.wait();
}

std::filesystem::path retort_binary() {
  if (const char* from_env = std::getenv("RETORT_BINARY"); from_env != nullptr && *from_env) {
    return from_env;
  }
  return RETORT_BINARY_PATH;
}

ProcessResult run_retort(const std::vector<std::string>& args, const SpawnOptions& options) {
  SpawnOptions effective = options;
  effective.env.emplace("NO_COLOR", "1");
  for (const char* name : {"RETORT_URL", "DATABASE_URL"}) {
    if (effective.env.count(name) == 0) {
      effective.unset_env.emplace_back(name);
    }
  }
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(retort_binary().string());
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    return run(std::move(argv), effective);
  } catch (const std::system_error& error) {
    if (error.code() != std::errc::no_such_file_or_directory &&
        error.code() != std::errc::permission_denied) {
      throw;
    }
    throw std::system_error(error.code(), "cannot run '" + retort_binary().string() +
                                              "' (build the retort target, or set RETORT_BINARY)");
  }
}

TempDir::TempDir() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = (tmpdir != nullptr && *tmpdir ? std::string(tmpdir) : std::string("/tmp")) +
                        "/retort-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  if (const char* keep = std::getenv("RETORT_KEEP_TEMP"); keep != nullptr && *keep) {
    std::cerr << "RETORT_KEEP_TEMP: kept " << m_path.string() << '\n';
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(m_path, ignored);
}

void TempDir::write(const std::filesystem::path& relative, std::string_view content) const {
  const std::filesystem::path target = m_path / relative;
  std::filesystem::create_directories(target.parent_path());
  FILE* file = std::fopen(target.c_str(), "wb");
  if (file == nullptr) {
    throw std::system_error(errno, std::generic_category(), "cannot write " + target.string());
  }
  const std::size_t written = std::fwrite(content.data(), 1, content.size(), file);
  const bool closed = std::fclose(file) == 0;
  if (written != content.size() || !closed) {
    throw std::system_error(EIO, std::generic_category(), "cannot write " + target.string());
  }
}

int free_loopback_port() {
  const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    throw std::system_error(errno, std::generic_category(), "socket");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  // The POSIX socket API takes sockaddr*; sockaddr_in is designed to be passed as one.
  auto* generic = reinterpret_cast<sockaddr*>(&addr);
  if (::bind(sock, generic, sizeof addr) != 0 || ::getsockname(sock, generic, &len) != 0) {
    const int err = errno;
    ::close(sock);
    throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(sock);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string last_lines(const std::string& text, std::size_t count) {
  std::size_t pos = text.size();
  while (count > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      return text;
    }
    --count;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

}  // namespace retort::test
