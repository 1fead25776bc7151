// Tests of the harness itself: the PostgreSQL server answers, databases are separate and
// empty, the password role authenticates; PgBouncer pools as its mode says; processes report
// exit codes, output and signals.
#include "harness/pgbouncer.hpp"
#include "harness/postgres_server.hpp"
#include "harness/process.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>

namespace retort::test {
namespace {

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;

// The single value of a one-row, one-column query, or the error message.
std::string query_value(PGconn* conn, const char* sql) {
  PGresult* result = PQexec(conn, sql);
  std::string value = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1
                          ? PQgetvalue(result, 0, 0)
                          : std::string("error: ") + PQresultErrorMessage(result);
  PQclear(result);
  return value;
}

std::string current_test_name() {
  return testing::UnitTest::GetInstance()->current_test_info()->name();
}

TEST(PostgresServerTest, AnswersSelectOne) {
  PostgresServer& server = PostgresServer::instance();
  PgConn conn(PQconnectdb(server.admin_url().c_str()));
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  EXPECT_EQ(query_value(conn.get(), "SELECT 1"), "1");
  EXPECT_EQ(query_value(conn.get(), "SHOW server_version_num").substr(0, 2), "15");
  EXPECT_EQ(query_value(conn.get(), "SHOW fsync"), "off");
  EXPECT_EQ(query_value(conn.get(), "SHOW max_connections"), "200");
  EXPECT_EQ(query_value(conn.get(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"),
            "t");
  EXPECT_EQ(server.admin_url(), "postgresql://" + server.user() +
                                    "@127.0.0.1:" + std::to_string(server.port()) + "/postgres");
}

TEST(PostgresServerTest, CreateDatabaseGivesDistinctEmptyDatabases) {
  PostgresServer& server = PostgresServer::instance();
  const std::string first = server.create_database("Create Database/Test");
  const std::string second = server.create_database("Create Database/Test");
  ASSERT_NE(first, second);
  EXPECT_NE(first.find("/create_database_test_"), std::string::npos) << first;

  const char* count_tables =
      "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace";
  PgConn one(PQconnectdb(first.c_str()));
  PgConn two(PQconnectdb(second.c_str()));
  ASSERT_EQ(PQstatus(one.get()), CONNECTION_OK) << PQerrorMessage(one.get());
  ASSERT_EQ(PQstatus(two.get()), CONNECTION_OK) << PQerrorMessage(two.get());
  EXPECT_EQ(query_value(one.get(), count_tables), "0");
  EXPECT_EQ(query_value(two.get(), count_tables), "0");
  EXPECT_NE(query_value(one.get(), "SELECT current_database()"),
            query_value(two.get(), "SELECT current_database()"));

  PQclear(PQexec(one.get(), "CREATE TABLE only_in_first (id int)"));
  EXPECT_EQ(query_value(one.get(), count_tables), "1");
  EXPECT_EQ(query_value(two.get(), count_tables), "0") << "a table leaked between databases";
}

TEST(PostgresServerTest, HintsThatAreNotIdentifiersStillGiveValidNames) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.create_database("42 \"quoted\"; DROP DATABASE postgres; --");
  EXPECT_EQ(server.psql(url, "SELECT current_database() ~ '^db_42_quoted_drop_database'"), "t\n");
}

TEST(PostgresServerTest, PsqlReturnsUnalignedTuples) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.create_database(current_test_name());
  EXPECT_EQ(server.psql(url, "SELECT 1"), "1\n");
  server.psql(url, "CREATE TABLE t (a int, b text); INSERT INTO t VALUES (1, 'x'), (2, 'y')");
  EXPECT_EQ(server.psql(url, "SELECT a, b FROM t ORDER BY a"), "1|x\n2|y\n");
}

TEST(PostgresServerTest, PsqlErrorFailsTheTestWithTheServerMessage) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.admin_url();
  EXPECT_NONFATAL_FAILURE(server.psql(url, "SELEC 1"), "syntax error at or near \"SELEC\"");
}

TEST(PostgresServerTest, PasswordRoleNeedsTheRightPassword) {
  PostgresServer& server = PostgresServer::instance();
  const std::string database = "postgres";
  const std::string url = server.password_url(database);
  EXPECT_EQ(url, "postgresql://retort_pw:secret-pw-123@127.0.0.1:" + std::to_string(server.port()) +
                     "/postgres");

  PgConn good(PQconnectdb(url.c_str()));
  ASSERT_EQ(PQstatus(good.get()), CONNECTION_OK) << PQerrorMessage(good.get());
  EXPECT_EQ(query_value(good.get(), "SELECT current_user"), "retort_pw");

  const std::string wrong =
      "postgresql://retort_pw:wrong@127.0.0.1:" + std::to_string(server.port()) + "/postgres";
  PgConn bad(PQconnectdb(wrong.c_str()));
  EXPECT_EQ(PQstatus(bad.get()), CONNECTION_BAD);
  EXPECT_NE(std::string(PQerrorMessage(bad.get()))
                .find("password authentication failed for user \"retort_pw\""),
            std::string::npos)
      << PQerrorMessage(bad.get());

  const std::string none =
      "postgresql://retort_pw@127.0.0.1:" + std::to_string(server.port()) + "/postgres";
  PgConn missing(PQconnectdb(none.c_str()));
  EXPECT_EQ(PQstatus(missing.get()), CONNECTION_BAD) << "trust must not apply to retort_pw";
}

TEST(PostgresServerTest, ManyConcurrentConnections) {
  PostgresServer& server = PostgresServer::instance();
  std::vector<PgConn> connections;
  for (int idx = 0; idx < 40; ++idx) {
    connections.emplace_back(PQconnectdb(server.admin_url().c_str()));
    ASSERT_EQ(PQstatus(connections.back().get()), CONNECTION_OK)
        << "connection " << idx << ": " << PQerrorMessage(connections.back().get());
  }
}

TEST(PostgresServerTest, LogIsReadable) {
  PostgresServer& server = PostgresServer::instance();
  std::ifstream log(server.log_path());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("database system is ready to accept connections"), std::string::npos)
      << text.str();
}

TEST(ProcessTest, CapturesExitCodeStdoutAndStderr) {
  const ProcessResult result = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.signal, 0);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_FALSE(result.timed_out);
}

TEST(ProcessTest, FindsProgramsOnPath) {
  const ProcessResult result = run({"sh", "-c", "exit 0"});
  EXPECT_EQ(result.exit_code, 0);
}

TEST(ProcessTest, FeedsStdinAndHonoursCwdAndEnvironment) {
  TempDir dir;
  ::setenv("RETORT_HARNESS_INHERITED", "from-parent", 1);
  ::setenv("RETORT_HARNESS_REMOVED", "present", 1);
  SpawnOptions options;
  options.cwd = dir.path();
  options.stdin_text = "line one\nline two\n";
  options.env["RETORT_HARNESS_ADDED"] = "added";
  options.unset_env = {"RETORT_HARNESS_REMOVED"};
  const ProcessResult result =
      run({"/bin/sh", "-c",
           "cat; pwd; echo \"$RETORT_HARNESS_INHERITED ${RETORT_HARNESS_REMOVED-unset} "
           "$RETORT_HARNESS_ADDED\""},
          options);
  ::unsetenv("RETORT_HARNESS_INHERITED");
  ::unsetenv("RETORT_HARNESS_REMOVED");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "line one\nline two\n" + std::filesystem::canonical(dir.path()).string() +
                            "\nfrom-parent unset added\n");
}

TEST(ProcessTest, StdinTheChildDoesNotReadIsNoError) {
  SpawnOptions options;
  options.stdin_text = std::string(4 << 20, 'x');
  const ProcessResult result = run({"/bin/sh", "-c", "exit 0"}, options);
  EXPECT_EQ(result.exit_code, 0);
}

TEST(ProcessTest, BigOutputsOnBothStreamsDoNotDeadlock) {
  SpawnOptions options;
  options.timeout = std::chrono::seconds(30);
  options.stdin_text = std::string(1 << 20, 'i');
  // stderr first: a reader that drained only stdout would block the child forever.
  const ProcessResult result =
      run({"/bin/sh", "-c",
           "head -c 1048576 /dev/zero | tr '\\0' e >&2; head -c 1048576 /dev/zero | tr '\\0' o; "
           "wc -c"},
          options);
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_EQ(result.err.size(), 1048576U);
  EXPECT_EQ(result.err.find_first_not_of('e'), std::string::npos);
  EXPECT_EQ(result.out, std::string(1048576, 'o') + "1048576\n");
}

TEST(ProcessTest, TimeoutKillsAndFailsTheTest) {
  SpawnOptions options;
  options.timeout = std::chrono::milliseconds(300);
  ProcessResult result;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NONFATAL_FAILURE(result = run({"/bin/sh", "-c", "echo started; sleep 30"}, options),
                          "timed out after 300 ms, killed with SIGKILL: /bin/sh -c echo started");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_EQ(result.out, "started\n");
  EXPECT_LT(elapsed, std::chrono::seconds(10)) << "the sleep in the process group was not killed";
}

TEST(ProcessTest, KillReportsTheSignal) {
  Process process({"/bin/sh", "-c", "echo ready; sleep 30"}, SpawnOptions{});
  EXPECT_GT(process.pid(), 0);
  process.kill(SIGTERM);
  const ProcessResult result = process.wait();
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_FALSE(result.timed_out);
  // A second wait returns the same result; kill after reaping does nothing.
  process.kill(SIGKILL);
  EXPECT_EQ(process.wait().signal, SIGTERM);
}

TEST(ProcessTest, MovedProcessIsWaitedOnceByItsNewOwner) {
  Process first({"/bin/sh", "-c", "echo moved"}, SpawnOptions{});
  Process second = std::move(first);
  EXPECT_EQ(second.wait().out, "moved\n");
}

TEST(ProcessTest, MissingProgramThrowsWithItsName) {
  try {
    run({"/nonexistent/program"});
    FAIL() << "no exception";
  } catch (const std::system_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot run '/nonexistent/program': No such file or directory");
  }
}

TEST(ProcessTest, RunAsUserSwitchesOnlyWhenRoot) {
  SpawnOptions options;
  options.run_as_user = "postgres";
  const ProcessResult result = run({"/usr/bin/id", "-un"}, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            ::geteuid() == 0 ? std::string("postgres\n") : run({"/usr/bin/id", "-un"}).out);
}

TEST(ProcessTest, RunRetortSetsNoColorAndDropsDatabaseUrls) {
  ::setenv("RETORT_BINARY", "/usr/bin/env", 1);
  ::setenv("RETORT_URL", "postgresql://leak@example.invalid/db", 1);
  ::setenv("DATABASE_URL", "postgresql://leak@example.invalid/db", 1);
  const ProcessResult dropped = run_retort({}, SpawnOptions{});
  SpawnOptions given;
  given.env["DATABASE_URL"] = "sqlite:///given.db";
  const ProcessResult kept = run_retort({}, given);
  ::unsetenv("RETORT_BINARY");
  ::unsetenv("RETORT_URL");
  ::unsetenv("DATABASE_URL");

  EXPECT_NE(("\n" + dropped.out).find("\nNO_COLOR=1\n"), std::string::npos) << dropped.out;
  EXPECT_EQ(dropped.out.find("RETORT_URL="), std::string::npos) << dropped.out;
  EXPECT_EQ(dropped.out.find("DATABASE_URL="), std::string::npos) << dropped.out;
  EXPECT_NE(("\n" + kept.out).find("\nDATABASE_URL=sqlite:///given.db\n"), std::string::npos)
      << kept.out;
  EXPECT_EQ(kept.out.find("RETORT_URL="), std::string::npos) << kept.out;
}

TEST(ProcessTest, RetortBinaryComesFromTheEnvironmentOrTheBuild) {
  ::setenv("RETORT_BINARY", "/nonexistent/retort", 1);
  const std::filesystem::path from_env = retort_binary();
  std::string message;
  try {
    run_retort({"--version"}, SpawnOptions{});
  } catch (const std::system_error& error) {
    message = error.what();
  }
  ::unsetenv("RETORT_BINARY");
  EXPECT_EQ(from_env, "/nonexistent/retort");
  EXPECT_EQ(message,
            "cannot run '/nonexistent/retort' (build the retort target, or set RETORT_BINARY): "
            "No such file or directory");
  const std::filesystem::path built = retort_binary();
  EXPECT_EQ(built.filename(), "retort");
  EXPECT_EQ(built.parent_path().filename(), "cli") << built;
}

TEST(TempDirTest, WritesFilesAndRemovesItself) {
  std::filesystem::path path;
  {
    TempDir dir;
    path = dir.path();
    EXPECT_EQ(path.filename().string().rfind("retort-test-", 0), 0U) << path;
    dir.write("migrations/versions/abc_first.sql", "-- retort:revision abc\n");
    std::ifstream in(path / "migrations/versions/abc_first.sql");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "-- retort:revision abc\n");
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << path;
}

// The database name at the end of a URL from create_database().
std::string database_of(const std::string& url) { return url.substr(url.rfind('/') + 1); }

// Who holds the session advisory lock pg_advisory_lock(1) in the current database: the
// backend pids, comma-separated; empty when nobody does.
constexpr const char* k_lock_one_holders =
    "SELECT string_agg(pid::text, ',') FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid = 0 AND objid = 1 AND objsubid = 1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

TEST(PgBouncerTest, PlainQueriesRunThroughBothPoolModes) {
  PostgresServer& server = PostgresServer::instance();
  const std::string database = database_of(server.create_database(current_test_name()));
  for (const PoolMode mode : {PoolMode::session, PoolMode::transaction}) {
    SCOPED_TRACE(mode == PoolMode::session ? "pool_mode session" : "pool_mode transaction");
    PgBouncer bouncer(mode);
    EXPECT_EQ(bouncer.mode(), mode);
    EXPECT_NE(bouncer.port(), server.port());
    EXPECT_EQ(bouncer.url(database), "postgresql://" + server.user() + "@127.0.0.1:" +
                                         std::to_string(bouncer.port()) + "/" + database);

    // The startup parameters retort's driver sends besides user and database.
    const std::string url =
        bouncer.url(database) + "?application_name=retort_harness&client_encoding=UTF8";
    PgConn conn(PQconnectdb(url.c_str()));
    ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
    EXPECT_EQ(std::string(PQport(conn.get())), std::to_string(bouncer.port()));
    EXPECT_EQ(query_value(conn.get(), "SELECT 1"), "1");
    EXPECT_EQ(query_value(conn.get(), "SELECT current_database()"), database);
    EXPECT_EQ(query_value(conn.get(), "SELECT current_user"), server.user());
    // The backend at the other end is the test server's.
    EXPECT_EQ(query_value(conn.get(), "SELECT inet_server_port()"), std::to_string(server.port()));
    EXPECT_EQ(query_value(conn.get(), "SHOW application_name"), "retort_harness");
    EXPECT_EQ(query_value(conn.get(), "SHOW client_encoding"), "UTF8");
    EXPECT_EQ(query_value(conn.get(),
                          "BEGIN; CREATE TEMP TABLE t (a int); INSERT INTO t "
                          "VALUES (1), (2); SELECT count(*) FROM t"),
              "2");
    PQclear(PQexec(conn.get(), "ROLLBACK"));

    // The admin console answers the harness's user, and names the mode.
    PgConn admin(PQconnectdb(bouncer.url("pgbouncer").c_str()));
    ASSERT_EQ(PQstatus(admin.get()), CONNECTION_OK) << PQerrorMessage(admin.get());
    PGresult* pools = PQexec(admin.get(), "SHOW POOLS");
    ASSERT_EQ(PQresultStatus(pools), PGRES_TUPLES_OK) << PQresultErrorMessage(pools);
    std::string pool_mode;
    for (int row = 0; row < PQntuples(pools); ++row) {
      if (PQgetvalue(pools, row, PQfnumber(pools, "database")) == database) {
        pool_mode = PQgetvalue(pools, row, PQfnumber(pools, "pool_mode"));
      }
    }
    PQclear(pools);
    EXPECT_EQ(pool_mode, mode == PoolMode::session ? "session" : "transaction");
  }
}

// What the run lock must not rely on behind a transaction-mode pooler: a server connection
// serves whichever client runs the next transaction (LIFO: the one released last), and a
// session-level lock stays with the server connection, not with the client that took it.
TEST(PgBouncerTest, TransactionModeSharesOneBackendAndItsSessionLocks) {
  PostgresServer& server = PostgresServer::instance();
  const std::string direct_url = server.create_database(current_test_name());
  const std::string database = database_of(direct_url);
  PgBouncer bouncer(PoolMode::transaction);
  PgConn a(PQconnectdb(bouncer.url(database).c_str()));
  PgConn b(PQconnectdb(bouncer.url(database).c_str()));
  PgConn direct(PQconnectdb(direct_url.c_str()));
  ASSERT_EQ(PQstatus(a.get()), CONNECTION_OK) << PQerrorMessage(a.get());
  ASSERT_EQ(PQstatus(b.get()), CONNECTION_OK) << PQerrorMessage(b.get());
  ASSERT_EQ(PQstatus(direct.get()), CONNECTION_OK) << PQerrorMessage(direct.get());

  const std::string pid_a = query_value(a.get(), "SELECT pg_backend_pid()");
  const std::string pid_b = query_value(b.get(), "SELECT pg_backend_pid()");
  EXPECT_EQ(pid_b, pid_a) << "B did not get the server connection A released";
  EXPECT_EQ(query_value(a.get(), "SELECT pg_backend_pid()"), pid_a);

  // A takes a session lock in an autocommit statement; the backend keeps it after A's
  // transaction, and goes on to serve B.
  EXPECT_EQ(query_value(a.get(), "SELECT 'locked' FROM pg_advisory_lock(1)"), "locked");
  EXPECT_EQ(query_value(direct.get(), "SELECT pg_try_advisory_lock(1)"), "f")
      << "the lock is not held on the server";
  EXPECT_EQ(query_value(b.get(), k_lock_one_holders), pid_a);
  EXPECT_EQ(query_value(b.get(), "SELECT pg_backend_pid()"), pid_a);
  // So B "takes" the lock A holds (advisory locks are re-entrant in a session) and, unlocking
  // twice, frees it, although A never unlocked.
  EXPECT_EQ(query_value(b.get(), "SELECT pg_try_advisory_lock(1)"), "t");
  EXPECT_EQ(query_value(b.get(), "SELECT pg_advisory_unlock(1)"), "t");
  EXPECT_EQ(query_value(b.get(), "SELECT pg_advisory_unlock(1)"), "t");
  EXPECT_EQ(query_value(a.get(), k_lock_one_holders), "");
  EXPECT_EQ(query_value(direct.get(), "SELECT pg_try_advisory_lock(1)"), "t");
}

TEST(PgBouncerTest, SessionModeGivesEachClientItsOwnBackend) {
  PostgresServer& server = PostgresServer::instance();
  const std::string database = database_of(server.create_database(current_test_name()));
  PgBouncer bouncer(PoolMode::session);
  PgConn a(PQconnectdb(bouncer.url(database).c_str()));
  PgConn b(PQconnectdb(bouncer.url(database).c_str()));
  ASSERT_EQ(PQstatus(a.get()), CONNECTION_OK) << PQerrorMessage(a.get());
  ASSERT_EQ(PQstatus(b.get()), CONNECTION_OK) << PQerrorMessage(b.get());

  const std::string pid_a = query_value(a.get(), "SELECT pg_backend_pid()");
  const std::string pid_b = query_value(b.get(), "SELECT pg_backend_pid()");
  EXPECT_NE(pid_b, pid_a);
  EXPECT_EQ(query_value(a.get(), "SELECT pg_backend_pid()"), pid_a);
  EXPECT_EQ(query_value(b.get(), "SELECT pg_backend_pid()"), pid_b);

  EXPECT_EQ(query_value(a.get(), "SELECT 'locked' FROM pg_advisory_lock(1)"), "locked");
  EXPECT_EQ(query_value(b.get(), k_lock_one_holders), pid_a);
  EXPECT_EQ(query_value(b.get(), "SELECT pg_try_advisory_lock(1)"), "f");
  EXPECT_EQ(query_value(a.get(), "SELECT pg_advisory_unlock(1)"), "t");
}

TEST(PgBouncerTest, DestructionStopsItAndRemovesItsDirectory) {
  std::string url;
  std::filesystem::path log_path;
  {
    PgBouncer bouncer(PoolMode::transaction);
    url = bouncer.url("postgres") + "?connect_timeout=5";
    log_path = bouncer.log_path();
    ASSERT_EQ(PQping(url.c_str()), PQPING_OK);
    std::ifstream log(log_path);
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_NE(text.str().find("listening on 127.0.0.1:" + std::to_string(bouncer.port())),
              std::string::npos)
        << text.str();
  }
  EXPECT_EQ(PQping(url.c_str()), PQPING_NO_RESPONSE);
  EXPECT_FALSE(std::filesystem::exists(log_path.parent_path())) << log_path;
}

}  // namespace
}  // namespace retort::test
