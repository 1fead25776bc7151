// A hot standby per StreamingReplica: pg_basebackup of the test server into a temp dir, postgres
// started through postgres_launcher.hpp, whose launcher process tears it down however the test
// binary ends.
#include "harness/replica.hpp"

#include "harness/postgres_launcher.hpp"
#include "harness/postgres_server.hpp"
#include "harness/process.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

namespace retort::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto k_start_timeout = std::chrono::seconds(60);
constexpr std::string_view k_log_name = "replica.log";

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
  PostgresLauncher launcher;
  bool keep_dir = false;

  ~State() { stop(); }

  void start();
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

  const ServerAccount account = server_account("the replica");
  base_dir = make_server_dir("retort-pg-replica-", account);
  const std::filesystem::path data_dir = base_dir / "data";

  // -R writes standby.signal and primary_conninfo (from this connection string, so with the
  // application_name); a fast checkpoint, since a spread one waits; no fsync of a throwaway copy.
  SpawnOptions backup_options;
  backup_options.cwd = base_dir;
  backup_options.run_as_user = account.run_as;
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

  LaunchOptions options;
  options.program = bin_dir / "postgres";
  options.log_path = log_path();
  options.base_dir = base_dir;
  options.keep_dir = keep_dir;
  options.account = account;
  options.login_user = user;
  // On the command line, over what the backup copied from the primary's postgresql.conf (its
  // socket directory among it).
  options.arguments = [&](int chosen_port) {
    return std::vector<std::string>{"-D", data_dir.string(),
                                    "-p", std::to_string(chosen_port),
                                    "-c", "listen_addresses=127.0.0.1",
                                    "-c", "unix_socket_directories=" + base_dir.string(),
                                    "-c", "hot_standby=on",
                                    "-c", "fsync=off"};
  };
  options.name = "the replica's postgres";
  options.log_name = "replica log";
  launcher.start(options);
  port = launcher.port();
  wait_streaming();
  if (keep_dir) {
    std::cerr << "RETORT_KEEP_TEMP: streaming replica kept in " << base_dir.string() << '\n';
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
  launcher.stop();
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
