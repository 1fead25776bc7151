// The launcher of a test postgres, shared by the harness's cluster and its streaming replicas.
//
// Process tree and teardown:
//
//   test binary --fork--> launcher --fork--> postgres (PR_SET_PDEATHSIG = SIGQUIT)
//        |  control pipe  ^
//        +----------------+
//
// The launcher holds the read end of a pipe whose only write end is in the test binary
// (O_CLOEXEC, so programs the tests spawn never inherit it). When the test binary exits or dies
// in any way, even by SIGKILL, the kernel closes that end; the launcher reads EOF, sends
// SIGQUIT (PostgreSQL's immediate shutdown), waits, and removes the server's directory. The
// launcher watches the pipe and not PR_SET_PDEATHSIG itself, since the death signal follows the
// thread that forked, not the process: a killed launcher could not clean up, and a replica made
// on one thread and used on another would stop when the first thread ends. postgres does use
// PR_SET_PDEATHSIG: should the launcher itself be killed, the server still goes.
#include "harness/postgres_launcher.hpp"

#include "harness/process.hpp"

#include <libpq-fe.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace retort::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto k_start_timeout = std::chrono::seconds(60);
constexpr int k_port_attempts = 8;

// What the launcher needs, all prepared before fork: after fork, in a test binary that may
// have threads, only async-signal-safe calls are allowed.
struct LaunchPlan {
  std::vector<std::string> postgres_argv;
  std::vector<char*> postgres_argv_ptrs;  // into postgres_argv, null-terminated
  std::string postgres_program;
  std::string log_path;
  std::string base_dir;
  bool keep_dir = false;
  bool change_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// The launcher: starts postgres, then waits for EOF on control_fd (the test binary is gone or
// stopping) or for postgres to exit on its own. Never returns.
[[noreturn]] void run_launcher(const LaunchPlan& plan, int control_fd) {
  // Keep only the control pipe: inherited descriptors (pipes of processes other threads are
  // running, another server's control pipe, the terminal, ctest's capture pipe) must not stay
  // open for the server's lifetime.
  if (control_fd != 3) {
    ::dup2(control_fd, 3);
  }
  ::close_range(4, ~0U, 0);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(null_fd, STDOUT_FILENO);
  ::dup2(null_fd, STDERR_FILENO);
  // Detached from the terminal: Ctrl-C ends the test binary only, and the launcher learns of
  // that from the pipe, as of any other exit, and still cleans up.
  ::setsid();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    ::signal(sig, SIG_DFL);
  }

  const pid_t launcher = ::getpid();
  const pid_t server = ::fork();
  if (server < 0) {
    ::_exit(120);
  }
  if (server == 0) {
    ::close(3);
    // The order matters: a credential change clears the parent-death signal.
    if (plan.change_user && (::setgroups(plan.groups.size(), plan.groups.data()) != 0 ||
                             ::setgid(plan.gid) != 0 || ::setuid(plan.uid) != 0)) {
      ::_exit(121);
    }
    if (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != launcher) {
      ::_exit(122);
    }
    const int log_fd = ::open(plan.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log_fd < 0) {
      ::_exit(123);
    }
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close(log_fd);
    ::execve(plan.postgres_program.c_str(), plan.postgres_argv_ptrs.data(), environ);
    ::_exit(124);
  }

  int status = 0;
  for (;;) {
    pollfd control{3, POLLIN, 0};
    if (::poll(&control, 1, 200) > 0) {
      char byte = 0;
      const ssize_t n = ::read(3, &byte, 1);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        break;
      }
    }
    if (::waitpid(server, &status, WNOHANG) == server) {
      // The server ended by itself (a failed start: port taken, bad setting). The test binary
      // reads the log, and retries or removes the directory.
      ::_exit(100);
    }
  }
  ::kill(server, SIGQUIT);
  while (::waitpid(server, &status, 0) < 0 && errno == EINTR) {
  }
  if (plan.keep_dir) {
    ::_exit(0);
  }
  char rm[] = "rm";
  char recursive[] = "-rf";
  char end_of_options[] = "--";
  char* rm_argv[] = {rm, recursive, end_of_options, const_cast<char*>(plan.base_dir.c_str()),
                     nullptr};
  ::execve("/bin/rm", rm_argv, environ);
  ::_exit(125);
}

std::string log_tail(const std::filesystem::path& log_path) {
  const std::string log = read_file(log_path);
  return log.empty() ? std::string("(empty)") : last_lines(log, 30);
}

}  // namespace

ServerAccount server_account(std::string_view what) {
  ServerAccount account;
  if (::geteuid() != 0) {
    const passwd* pw = ::getpwuid(::geteuid());
    if (pw == nullptr) {
      throw std::runtime_error("the current user has no name in the password database");
    }
    account.name = pw->pw_name;
    return account;
  }
  account.name = "postgres";
  const passwd* pw = ::getpwnam(account.name.c_str());
  if (pw == nullptr) {
    throw std::runtime_error("running as root, but there is no `postgres` OS user to run " +
                             std::string(what) +
                             " as: install postgresql-15 or run the tests as another user");
  }
  account.run_as = account.name;
  account.change_user = true;
  account.uid = pw->pw_uid;
  account.gid = pw->pw_gid;
  int count = 64;
  account.groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(account.name.c_str(), account.gid, account.groups.data(), &count) < 0) {
    count = 1;
    account.groups.assign(1, account.gid);
  }
  account.groups.resize(static_cast<std::size_t>(count));
  return account;
}

std::filesystem::path temp_root() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir ? std::filesystem::path(tmpdir) : "/tmp";
}

std::filesystem::path make_server_dir(std::string_view prefix, const ServerAccount& account) {
  std::string pattern = (temp_root() / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  if (account.change_user && ::chown(pattern.c_str(), account.uid, account.gid) != 0) {
    const int err = errno;
    std::error_code ignored;
    std::filesystem::remove(pattern, ignored);
    throw std::system_error(err, std::generic_category(),
                            "cannot give " + pattern + " to the postgres OS user");
  }
  return pattern;
}

PostgresLauncher::~PostgresLauncher() { stop(); }

void PostgresLauncher::start(const LaunchOptions& options) {
  m_owner_pid = ::getpid();
  LaunchPlan plan;
  plan.postgres_program = options.program.string();
  plan.log_path = options.log_path.string();
  plan.base_dir = options.base_dir.string();
  plan.keep_dir = options.keep_dir;
  plan.change_user = options.account.change_user;
  plan.uid = options.account.uid;
  plan.gid = options.account.gid;
  plan.groups = options.account.groups;

  for (int attempt = 1;; ++attempt) {
    m_port = free_loopback_port();
    plan.postgres_argv = options.arguments(m_port);
    plan.postgres_argv.insert(plan.postgres_argv.begin(), "postgres");
    plan.postgres_argv_ptrs.clear();
    for (auto& arg : plan.postgres_argv) {
      plan.postgres_argv_ptrs.push_back(arg.data());
    }
    plan.postgres_argv_ptrs.push_back(nullptr);
    std::error_code ignored;
    std::filesystem::remove(options.log_path, ignored);  // a new attempt, a new log

    int control[2];
    if (::pipe2(control, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int err = errno;
      ::close(control[0]);
      ::close(control[1]);
      throw std::system_error(err, std::generic_category(), "fork");
    }
    if (pid == 0) {
      ::close(control[1]);
      run_launcher(plan, control[0]);
    }
    ::close(control[0]);
    m_launcher_pid = pid;
    m_control_fd = control[1];

    // A standby accepts connections once it reached a consistent state.
    const std::string conninfo = "postgresql://" + options.login_user +
                                 "@127.0.0.1:" + std::to_string(m_port) +
                                 "/postgres?connect_timeout=5";
    const auto deadline = Clock::now() + k_start_timeout;
    bool port_taken = false;
    for (;;) {
      if (PQping(conninfo.c_str()) == PQPING_OK) {
        return;
      }
      int status = 0;
      if (::waitpid(m_launcher_pid, &status, WNOHANG) == m_launcher_pid) {
        ::close(m_control_fd);
        m_control_fd = -1;
        m_launcher_pid = -1;
        const std::string log = read_file(options.log_path);
        if (log.find("could not bind") != std::string::npos ||
            log.find("Address already in use") != std::string::npos) {
          port_taken = true;
          break;
        }
        throw std::runtime_error(options.name + " exited during start-up; " + options.log_name +
                                 ":\n" + last_lines(log, 30));
      }
      if (Clock::now() > deadline) {
        stop();
        throw std::runtime_error(options.name + " did not accept connections within 60 s; " +
                                 options.log_name + ":\n" + log_tail(options.log_path));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port_taken && attempt == k_port_attempts) {
      throw std::runtime_error("no free loopback port after " + std::to_string(attempt) +
                               " attempts; " + options.log_name + ":\n" +
                               log_tail(options.log_path));
    }
  }
}

void PostgresLauncher::stop() {
  if (m_owner_pid != ::getpid()) {
    return;
  }
  if (m_control_fd >= 0) {
    ::close(m_control_fd);  // the launcher reads EOF: SIGQUIT, wait, remove the directory
    m_control_fd = -1;
  }
  if (m_launcher_pid > 0) {
    int status = 0;
    while (::waitpid(m_launcher_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_launcher_pid = -1;
  }
}

}  // namespace retort::test
