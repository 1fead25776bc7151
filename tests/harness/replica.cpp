// A hot standby per StreamingReplica: pg_basebackup of the test server into a temp dir, postgres
// started by a launcher process that tears it down however the test binary ends.
//
// Process tree and teardown, as in postgres_server.cpp:
//
//   test binary --fork--> launcher --fork--> postgres (standby; PR_SET_PDEATHSIG = SIGQUIT)
//        |  control pipe  ^
//        +----------------+
//
// The launcher holds the read end of a pipe whose only write end is in the test binary
// (O_CLOEXEC). When the test binary exits or dies, even by SIGKILL, the kernel closes that end;
// the launcher reads EOF, sends SIGQUIT, waits, and removes the replica's directory. It watches
// the pipe rather than a parent-death signal, which follows the thread that forked: a replica
// made on one thread and used on another would otherwise stop when the first thread ends.
#include "harness/replica.hpp"

#include "harness/postgres_server.hpp"
#include "harness/process.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <grp.h>
#include <iostream>
#include <optional>
#include <poll.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace retort::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto k_start_timeout = std::chrono::seconds(60);
constexpr int k_port_attempts = 8;
constexpr std::string_view k_log_name = "replica.log";

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

// The launcher: starts the standby, then waits for EOF on control_fd (the test binary is gone
// or stopping) or for postgres to exit on its own. Never returns.
[[noreturn]] void run_launcher(const LaunchPlan& plan, int control_fd) {
  // Keep only the control pipe: inherited descriptors (the primary's control pipe among them)
  // must not stay open for the replica's lifetime.
  if (control_fd != 3) {
    ::dup2(control_fd, 3);
  }
  ::close_range(4, ~0U, 0);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(null_fd, STDOUT_FILENO);
  ::dup2(null_fd, STDERR_FILENO);
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
      // The standby ended by itself (port taken, bad setting): the test binary reads the log,
      // and retries or removes the directory.
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

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;

// The first value of the first row of a query, NULL as "NULL"; nullopt (and the reason in
// error) when the connection or the query fails: the caller is polling and may try again.
std::optional<std::string> query_value(const std::string& conninfo, const std::string& sql,
                                       std::string& error) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    error = std::string("cannot connect: ") + PQerrorMessage(conn.get());
    return std::nullopt;
  }
  PGresult* result = PQexec(conn.get(), sql.c_str());
  std::optional<std::string> value;
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    error = sql + ": " + PQresultErrorMessage(result);
  } else if (PQntuples(result) == 0) {
    error = sql + ": no rows";
  } else {
    value = PQgetisnull(result, 0, 0) ? std::string("NULL") : PQgetvalue(result, 0, 0);
  }
  PQclear(result);
  return value;
}

std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

}  // namespace

struct StreamingReplica::State {
  pid_t owner_pid = 0;  // the test binary; a fork of it (a death test) never stops the replica
  std::string name;
  std::string user;
  std::filesystem::path bin_dir;
  std::filesystem::path base_dir;
  int port = 0;
  pid_t launcher_pid = -1;
  int control_fd = -1;
  bool keep_dir = false;

  ~State() { stop(); }

  void start();
  // Starts the standby on one port; false when the port was taken meanwhile.
  bool launch(const LaunchPlan& plan);
  void wait_streaming();
  void stop();

  [[nodiscard]] std::filesystem::path log_path() const { return base_dir / k_log_name; }
  [[nodiscard]] std::string url(std::string_view database) const {
    return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port) + "/" +
           std::string(database);
  }
  [[nodiscard]] std::string log_tail() const {
    const std::string log = read_file(log_path());
    return log.empty() ? std::string("(empty)") : last_lines(log, 30);
  }
};

void StreamingReplica::State::start() {
  owner_pid = ::getpid();
  PostgresServer& primary = PostgresServer::instance();
  user = primary.user();
  bin_dir = primary.bin_dir();
  const char* keep = std::getenv("RETORT_KEEP_TEMP");
  keep_dir = keep != nullptr && *keep;

  LaunchPlan plan;
  std::string run_as;
  if (::geteuid() == 0) {
    run_as = "postgres";
    const passwd* pw = ::getpwnam(run_as.c_str());
    if (pw == nullptr) {
      throw std::runtime_error(
          "running as root, but there is no `postgres` OS user to run the "
          "replica as");
    }
    plan.change_user = true;
    plan.uid = pw->pw_uid;
    plan.gid = pw->pw_gid;
    int count = 64;
    plan.groups.resize(static_cast<std::size_t>(count));
    if (::getgrouplist(run_as.c_str(), plan.gid, plan.groups.data(), &count) < 0) {
      count = 1;
      plan.groups.assign(1, plan.gid);
    }
    plan.groups.resize(static_cast<std::size_t>(count));
  }

  const char* tmpdir = std::getenv("TMPDIR");
  const std::filesystem::path temp_root =
      tmpdir != nullptr && *tmpdir ? std::filesystem::path(tmpdir) : "/tmp";
  std::string pattern = (temp_root / "retort-pg-replica-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  base_dir = pattern;
  if (plan.change_user && ::chown(base_dir.c_str(), plan.uid, plan.gid) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot give " + base_dir.string() + " to the postgres OS user");
  }
  const std::filesystem::path data_dir = base_dir / "data";

  // -R writes standby.signal and primary_conninfo (from this connection string, so with the
  // application_name); a fast checkpoint, since a spread one waits; no fsync of a throwaway copy.
  SpawnOptions backup_options;
  backup_options.cwd = base_dir;
  backup_options.run_as_user = run_as;
  backup_options.timeout = std::chrono::seconds(120);
  backup_options.unset_env = {"PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGAPPNAME"};
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(primary.port()) +
                               " user=" + user + " application_name=" + name;
  const ProcessResult backup =
      run({(bin_dir / "pg_basebackup").string(), "-D", data_dir.string(), "-d", conninfo, "-R",
           "-X", "stream", "-c", "fast", "--no-sync", "--no-manifest"},
          backup_options);
  if (backup.exit_code != 0) {
    throw std::runtime_error("pg_basebackup failed (exit " + std::to_string(backup.exit_code) +
                             "):\n" + last_lines(backup.out + backup.err, 30));
  }

  plan.postgres_program = (bin_dir / "postgres").string();
  plan.log_path = log_path().string();
  plan.base_dir = base_dir.string();
  plan.keep_dir = keep_dir;
  for (int attempt = 1;; ++attempt) {
    port = free_loopback_port();
    // On the command line, over what the backup copied from the primary's postgresql.conf (its
    // socket directory among it).
    plan.postgres_argv = {"postgres",
                          "-D",
                          data_dir.string(),
                          "-p",
                          std::to_string(port),
                          "-c",
                          "listen_addresses=127.0.0.1",
                          "-c",
                          "unix_socket_directories=" + base_dir.string(),
                          "-c",
                          "hot_standby=on",
                          "-c",
                          "fsync=off"};
    plan.postgres_argv_ptrs.clear();
    for (auto& arg : plan.postgres_argv) {
      plan.postgres_argv_ptrs.push_back(arg.data());
    }
    plan.postgres_argv_ptrs.push_back(nullptr);
    std::error_code ignored;
    std::filesystem::remove(plan.log_path, ignored);
    if (launch(plan)) {
      break;
    }
    if (attempt == k_port_attempts) {
      throw std::runtime_error("no free loopback port after " + std::to_string(attempt) +
                               " attempts; replica log:\n" + log_tail());
    }
  }
  wait_streaming();
  if (keep_dir) {
    std::cerr << "RETORT_KEEP_TEMP: streaming replica kept in " << base_dir.string() << '\n';
  }
}

bool StreamingReplica::State::launch(const LaunchPlan& plan) {
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
  launcher_pid = pid;
  control_fd = control[1];

  // A standby accepts connections once it reached a consistent state.
  const std::string conninfo = url("postgres") + "?connect_timeout=5";
  const auto deadline = Clock::now() + k_start_timeout;
  for (;;) {
    if (PQping(conninfo.c_str()) == PQPING_OK) {
      return true;
    }
    int status = 0;
    if (::waitpid(launcher_pid, &status, WNOHANG) == launcher_pid) {
      ::close(control_fd);
      control_fd = -1;
      launcher_pid = -1;
      const std::string log = read_file(log_path());
      if (log.find("could not bind") != std::string::npos ||
          log.find("Address already in use") != std::string::npos) {
        return false;
      }
      throw std::runtime_error("the replica's postgres exited during start-up; its log:\n" +
                               last_lines(log, 30));
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error("the replica did not accept connections within 60 s; its log:\n" +
                               log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void StreamingReplica::State::wait_streaming() {
  const std::string replica = url("postgres") + "?connect_timeout=5";
  const std::string primary = PostgresServer::instance().admin_url() + "?connect_timeout=5";
  const std::string state_sql =
      "SELECT state FROM pg_stat_replication WHERE application_name = " + sql_literal(name);
  const auto deadline = Clock::now() + k_start_timeout;
  std::string last;
  for (;;) {
    std::string error;
    const auto recovering = query_value(replica, "SELECT pg_is_in_recovery()::text", error);
    if (recovering && *recovering != "true") {
      throw std::runtime_error("the replica is not in recovery (no standby.signal?); its log:\n" +
                               log_tail());
    }
    const auto state = recovering ? query_value(primary, state_sql, error) : std::nullopt;
    if (state == std::optional<std::string>("streaming")) {
      return;
    }
    last = state ? "state " + *state : error;
    if (Clock::now() > deadline) {
      throw std::runtime_error("the primary did not show the replica " + name +
                               " streaming within 60 s (" + last + "); replica log:\n" +
                               log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void StreamingReplica::State::stop() {
  if (owner_pid != ::getpid()) {
    return;
  }
  if (control_fd >= 0) {
    ::close(control_fd);  // the launcher reads EOF: SIGQUIT, wait, remove the directory
    control_fd = -1;
  }
  if (launcher_pid > 0) {
    int status = 0;
    while (::waitpid(launcher_pid, &status, 0) < 0 && errno == EINTR) {
    }
    launcher_pid = -1;
  }
  if (!base_dir.empty() && !keep_dir) {
    std::error_code ignored;
    std::filesystem::remove_all(base_dir, ignored);
  }
  base_dir.clear();
}

StreamingReplica::StreamingReplica(std::string application_name)
    : m_state(std::make_unique<State>()) {
  m_state->name = std::move(application_name);
  try {
    m_state->start();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "cannot start the streaming replica " << m_state->name << ": " << error.what();
    m_state->stop();
    throw std::runtime_error("the streaming replica is not running (see the failure above)");
  }
}

StreamingReplica::~StreamingReplica() = default;

std::string StreamingReplica::url(std::string_view database) const {
  return m_state->url(database);
}

int StreamingReplica::port() const { return m_state->port; }

const std::string& StreamingReplica::application_name() const { return m_state->name; }

std::filesystem::path StreamingReplica::log_path() const { return m_state->log_path(); }

std::string StreamingReplica::psql(std::string_view sql) {
  return PostgresServer::instance().psql(url("postgres"), sql);
}

void StreamingReplica::pause_replay() { psql("SELECT pg_wal_replay_pause()"); }

void StreamingReplica::resume_replay() { psql("SELECT pg_wal_replay_resume()"); }

bool StreamingReplica::wait_caught_up(std::chrono::milliseconds timeout) {
  std::string error;
  // The insert position, not pg_current_wal_lsn(): with the harness's synchronous_commit = off
  // the last commits may not be written yet, and the replica must replay them too.
  const auto target = query_value(PostgresServer::instance().admin_url(),
                                  "SELECT pg_current_wal_insert_lsn()", error);
  if (!target) {
    ADD_FAILURE() << "cannot read the primary's WAL position: " << error;
    return false;
  }
  const std::string sql =
      "SELECT (pg_last_wal_replay_lsn() >= " + sql_literal(*target) + "::pg_lsn)::text";
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (query_value(url("postgres"), sql, error) == std::optional<std::string>("true")) {
      return true;
    }
    if (Clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace retort::test
