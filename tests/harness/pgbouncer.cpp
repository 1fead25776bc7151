// A pgbouncer child process per PgBouncer object: its configuration written into a TempDir,
// its output in a log file there, started as the `postgres` OS user when the tests run as root.
#include "harness/pgbouncer.hpp"

#include "harness/postgres_server.hpp"
#include "harness/process.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace retort::test {
namespace {

constexpr auto k_start_timeout = std::chrono::seconds(30);
constexpr auto k_stop_grace = std::chrono::seconds(5);
constexpr int k_port_attempts = 8;
constexpr std::string_view k_config_name = "pgbouncer.ini";
constexpr std::string_view k_userlist_name = "userlist.txt";
constexpr std::string_view k_log_name = "pgbouncer.log";

std::string find_program() {
  if (const char* from_env = std::getenv("RETORT_PGBOUNCER"); from_env != nullptr && *from_env) {
    return from_env;
  }
  const std::string debian = "/usr/sbin/pgbouncer";
  if (::access(debian.c_str(), X_OK) == 0) {
    return debian;
  }
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    const std::string candidate =
        (end == start ? std::string(".") : path.substr(start, end - start)) + "/pgbouncer";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  throw std::runtime_error(
      "no pgbouncer program found: install the pgbouncer package, or set RETORT_PGBOUNCER to "
      "the program");
}

// The OS user pgbouncer runs as when the tests run as root: it exits at once as root.
struct Credentials {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Credentials credentials_when_root() {
  Credentials creds;
  if (::geteuid() != 0) {
    return creds;
  }
  const char* const user = "postgres";
  const passwd* pw = ::getpwnam(user);
  if (pw == nullptr) {
    throw std::runtime_error(
        "running as root, but there is no `postgres` OS user to run pgbouncer as (pgbouncer "
        "refuses root): install postgresql-15 or run the tests as another user");
  }
  creds.change = true;
  creds.uid = pw->pw_uid;
  creds.gid = pw->pw_gid;
  int count = 32;
  creds.groups.resize(static_cast<std::size_t>(count));
  while (::getgrouplist(user, creds.gid, creds.groups.data(), &count) < 0) {
    creds.groups.resize(static_cast<std::size_t>(count) + 1);
    count = static_cast<int>(creds.groups.size());
  }
  creds.groups.resize(static_cast<std::size_t>(count));
  return creds;
}

// The user list's quoting: the name in double quotes, a double quote doubled.
std::string userlist_quoted(std::string_view text) {
  std::string result = "\"";
  for (const char c : text) {
    result += c;
    if (c == '"') {
      result += '"';
    }
  }
  return result + "\"";
}

std::string_view mode_name(PoolMode mode) {
  return mode == PoolMode::transaction ? "transaction" : "session";
}

// A libpq connection closed at scope exit.
struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;

// Connects and runs SELECT 1; returns the error, empty when the query ran.
std::string try_query(const std::string& conninfo) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return std::string("cannot connect: ") + PQerrorMessage(conn.get());
  }
  PGresult* result = PQexec(conn.get(), "SELECT 1");
  std::string error;
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    error = std::string("SELECT 1 failed: ") + PQresultErrorMessage(result);
  }
  PQclear(result);
  return error;
}

// In the child, between fork and exec: async-signal-safe calls only. A failure's errno goes to
// the parent through error_fd, which exec closes on success.
[[noreturn]] void exec_child(const char* program, char* const* argv, const char* cwd,
                             const Credentials& creds, pid_t parent, int null_fd, int log_fd,
                             int error_fd) {
  auto fail = [error_fd]() {
    const int err = errno;
    [[maybe_unused]] auto written = ::write(error_fd, &err, sizeof err);
    ::_exit(127);
  };
  // A group of its own: a Ctrl-C meant for the test binary does not reach it directly; the
  // parent-death signal below ends it when the test binary goes.
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    ::signal(sig, SIG_DFL);
  }
  if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
      ::dup2(log_fd, STDERR_FILENO) < 0) {
    fail();
  }
  if (creds.change && (::setgroups(creds.groups.size(), creds.groups.data()) != 0 ||
                       ::setgid(creds.gid) != 0 || ::setuid(creds.uid) != 0)) {
    fail();
  }
  // After the credential change, which clears it. A parent that died before this line would
  // leave pgbouncer orphaned for good: then do not start it at all.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
    fail();
  }
  if (::getppid() != parent) {
    ::_exit(126);
  }
  if (::chdir(cwd) != 0) {
    fail();
  }
  ::execve(program, argv, environ);
  fail();
  ::_exit(127);
}

}  // namespace

struct PgBouncer::State {
  PoolMode mode = PoolMode::session;
  pid_t owner_pid = 0;  // the test binary; a fork of it (a death test) never stops pgbouncer
  TempDir dir;          // before pid: removed only after the process is gone
  std::string program;
  Credentials creds;
  std::string user;
  int server_port = 0;
  int port = 0;
  pid_t pid = -1;

  ~State() { stop(); }

  [[nodiscard]] std::filesystem::path log_path() const { return dir.path() / k_log_name; }
  [[nodiscard]] std::string url(std::string_view database) const {
    return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port) + "/" +
           std::string(database);
  }
  [[nodiscard]] std::string log_tail() const {
    const std::string log = read_file(log_path());
    return log.empty() ? std::string("(empty)") : last_lines(log, 40);
  }

  void start();
  void write_config() const;
  void spawn();
  // True when pgbouncer answers; false when it exited because the port was taken meanwhile.
  bool wait_until_ready();
  void give_to_server_user(const std::filesystem::path& path) const;
  void stop();
};

void PgBouncer::State::start() {
  owner_pid = ::getpid();
  PostgresServer& server = PostgresServer::instance();
  user = server.user();
  server_port = server.port();
  program = find_program();
  creds = credentials_when_root();
  give_to_server_user(dir.path());
  for (int attempt = 1;; ++attempt) {
    port = free_loopback_port();
    write_config();
    spawn();
    if (wait_until_ready()) {
      return;
    }
    if (attempt == k_port_attempts) {
      throw std::runtime_error("no free loopback port after " + std::to_string(attempt) +
                               " attempts; pgbouncer log:\n" + log_tail());
    }
  }
}

void PgBouncer::State::write_config() const {
  const std::filesystem::path userlist = dir.path() / k_userlist_name;
  std::ostringstream ini;
  // No unix_socket_dir: a socket in /tmp named after the port could collide with another
  // pgbouncer's; the tests connect over TCP. The startup parameters libpq and retort's driver
  // send (user, database, application_name, client_encoding) are all ones pgbouncer tracks, so
  // there is no ignore_startup_parameters: `options` (PGOPTIONS) gets pgbouncer's "unsupported
  // startup parameter", as it would in production.
  ini << "; retort test harness: a throwaway pgbouncer in front of the test PostgreSQL server.\n"
      << "[databases]\n"
      << "* = host=127.0.0.1 port=" << server_port << "\n"
      << "\n"
      << "[pgbouncer]\n"
      << "listen_addr = 127.0.0.1\n"
      << "listen_port = " << port << "\n"
      << "unix_socket_dir =\n"
      << "auth_type = trust\n"
      << "auth_file = " << userlist.string() << "\n"
      << "admin_users = " << user << "\n"
      << "pool_mode = " << mode_name(mode) << "\n"
      << "default_pool_size = " << PgBouncer::k_default_pool_size << "\n"
      << "max_client_conn = " << PgBouncer::k_max_client_conn << "\n";
  dir.write(k_config_name, ini.str());
  // trust still needs the user in auth_file. The empty password is what pgbouncer sends to the
  // server, which trusts the loopback.
  dir.write(k_userlist_name, userlist_quoted(user) + " \"\"\n");
  give_to_server_user(dir.path() / k_config_name);
  give_to_server_user(userlist);
}

void PgBouncer::State::give_to_server_user(const std::filesystem::path& path) const {
  if (creds.change && ::chown(path.c_str(), creds.uid, creds.gid) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot give " + path.string() + " to the postgres OS user");
  }
}

void PgBouncer::State::spawn() {
  // Everything the child needs is prepared before fork.
  std::vector<std::string> argv{program, (dir.path() / k_config_name).string()};
  std::vector<char*> argv_ptrs;
  for (auto& arg : argv) {
    argv_ptrs.push_back(arg.data());
  }
  argv_ptrs.push_back(nullptr);
  const std::string cwd = dir.path().string();
  const std::string log = log_path().string();

  // A new log per attempt. pgbouncer's own logfile setting would not catch the errors it
  // reports before reading its configuration.
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot create " + log);
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error_pipe[2] = {-1, -1};
  if (null_fd < 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) {
      ::close(null_fd);
    }
    throw std::system_error(err, std::generic_category(), "cannot prepare pgbouncer's stdio");
  }
  auto close_all = [&]() {
    ::close(log_fd);
    ::close(null_fd);
    ::close(error_pipe[0]);
    if (error_pipe[1] >= 0) {
      ::close(error_pipe[1]);
    }
  };
  if (creds.change && ::fchown(log_fd, creds.uid, creds.gid) != 0) {
    const int err = errno;
    close_all();
    throw std::system_error(err, std::generic_category(),
                            "cannot give " + log + " to the postgres OS user");
  }

  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    const int err = errno;
    close_all();
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (child == 0) {
    exec_child(argv_ptrs.front(), argv_ptrs.data(), cwd.c_str(), creds, parent, null_fd, log_fd,
               error_pipe[1]);
  }
  pid = child;
  // Also from the parent, so that a signal to the group reaches it before the child ran setpgid.
  ::setpgid(child, child);
  ::close(error_pipe[1]);
  error_pipe[1] = -1;

  int child_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  close_all();
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    throw std::system_error(child_errno, std::generic_category(), "cannot run " + program);
  }
}

bool PgBouncer::State::wait_until_ready() {
  const std::string conninfo = url("postgres") + "?connect_timeout=5";
  const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  std::string last_error;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      if (read_file(log_path()).find("Address already in use") != std::string::npos) {
        return false;
      }
      const std::string how = WIFEXITED(status)
                                  ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                  : "was killed by signal " + std::to_string(WTERMSIG(status));
      throw std::runtime_error(program + " " + how + " during start-up; pgbouncer log:\n" +
                               log_tail());
    }
    last_error = try_query(conninfo);
    if (last_error.empty()) {
      return true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("pgbouncer did not answer SELECT 1 within " +
                               std::to_string(k_start_timeout.count()) +
                               " s; last error: " + last_error + "\npgbouncer log:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void PgBouncer::State::stop() {
  if (pid <= 0 || owner_pid != ::getpid()) {
    return;
  }
  // The group may not exist yet or any more; the pid is a valid target until reaped.
  if (::kill(-pid, SIGTERM) != 0) {
    ::kill(pid, SIGTERM);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + k_stop_grace;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) {
      pid = -1;
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (::kill(-pid, SIGKILL) != 0) {
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
}

PgBouncer::PgBouncer(PoolMode mode) : m_state(std::make_unique<State>()) {
  m_state->mode = mode;
  try {
    m_state->start();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "cannot start pgbouncer (pool_mode " << mode_name(mode)
                  << "): " << error.what();
    m_state->stop();
    throw std::runtime_error("pgbouncer is not running (see the failure above)");
  }
}

PgBouncer::~PgBouncer() = default;

std::string PgBouncer::url(std::string_view database) const { return m_state->url(database); }

int PgBouncer::port() const { return m_state->port; }

PoolMode PgBouncer::mode() const { return m_state->mode; }

std::filesystem::path PgBouncer::log_path() const { return m_state->log_path(); }

}  // namespace retort::test
