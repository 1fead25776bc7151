// One runner at a time, with real processes: many `retort upgrade head` started at once,
// a lock held past lock_wait (exit 3), and a waiter beside CREATE INDEX CONCURRENTLY.
#include "base/url.hpp"
#include "harness/pgbouncer.hpp"
#include "harness/postgres_server.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

SpawnOptions in(const Project& project) {
  SpawnOptions options;
  options.cwd = project.dir();
  return options;
}

void write_config(const Project& project, const std::string& extra = "") {
  std::ofstream out(project.dir() / "retort.toml");
  out << "[retort]\nscript_location = \"migrations\"\nurl = \"" << project.config().url << "\"\n"
      << extra;
}

void add_history(Project& project, int count) {
  std::string parent;
  for (int rev_idx = 0; rev_idx < count; ++rev_idx) {
    const std::string id = "r" + std::to_string(100 + rev_idx);
    project.add({id,
                 parent.empty() ? Strings{} : Strings{parent},
                 "CREATE TABLE t" + id + " (id INTEGER PRIMARY KEY);",
                 "DROP TABLE t" + id + ";",
                 {},
                 "table " + id});
    parent = id;
  }
}

// A first migration that takes a while (about a second), so that racers that start together
// all find it pending: without the run lock, two of them would apply it side by side.
void add_slow_history(Project& project, int count) {
  const std::string slow =
      project.backend() == Backend::postgres
          ? "SELECT pg_sleep(1);"
          : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
            "SELECT count(*) FROM c;";
  project.add({"r099", {}, slow, "", {}, "slow start"});
  std::string parent = "r099";
  for (int rev_idx = 0; rev_idx < count; ++rev_idx) {
    const std::string id = "r" + std::to_string(100 + rev_idx);
    project.add({id,
                 {parent},
                 "CREATE TABLE t" + id + " (id INTEGER PRIMARY KEY);",
                 "DROP TABLE t" + id + ";",
                 {},
                 "table " + id});
    parent = id;
  }
}

// Starts `runners` `retort upgrade head` together: each waits behind a barrier (a line to read
// from a FIFO) until all are spawned and waiting, then all are released at once. Each must exit
// 0 without an error line.
void race_upgrades(const Project& project, int runners) {
  const std::filesystem::path fifo = project.dir() / "start.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opened read-write, the FIFO has a writer from the start: the racers' opens do not block, and
  // their reads wait for the line below.
  const int gate = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(gate, 0);
  SpawnOptions options = in(project);
  options.timeout = std::chrono::seconds(120);
  std::vector<std::unique_ptr<Process>> processes;
  for (int runner_idx = 0; runner_idx < runners; ++runner_idx) {
    processes.push_back(std::make_unique<Process>(
        std::vector<std::string>{"/bin/sh", "-c", "read go < \"$0\" && exec \"$@\"", fifo.string(),
                                 retort_binary().string(), "upgrade", "head"},
        options));
  }
  // Every racer is blocked reading the FIFO: its standard input is the FIFO.
  const auto reading = [&](const Process& process) {
    std::error_code error;
    const auto target =
        std::filesystem::read_symlink("/proc/" + std::to_string(process.pid()) + "/fd/0", error);
    return !error && target == fifo;
  };
  for (int poll_idx = 0; poll_idx < 2000; ++poll_idx) {
    if (std::all_of(processes.begin(), processes.end(),
                    [&](const auto& process) { return reading(*process); })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(std::all_of(processes.begin(), processes.end(), [&](const auto& process) {
    return reading(*process);
  })) << "the racers never all reached the barrier";
  const std::string lines(static_cast<std::size_t>(runners), '\n');
  EXPECT_EQ(::write(gate, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
  for (auto& process : processes) {
    const ProcessResult result = process->wait();
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.err.find("error"), std::string::npos) << result.err;
  }
  ::close(gate);
}

class ConcurrencyTest : public ::testing::TestWithParam<Backend> {};

TEST_P(ConcurrencyTest, ManyRunnersStartedAtOnceApplyEveryMigrationExactlyOnce) {
  Project project(GetParam(), "racing_runners");
  add_slow_history(project, 5);
  write_config(project);
  const int runners = GetParam() == Backend::postgres ? 32 : 8;

  race_upgrades(project, runners);

  EXPECT_EQ(project.version_rows(), Strings{"r104"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 6U) << "each migration applied exactly once";
  std::map<std::string, int> applied;
  for (const auto& row : ledger) {
    EXPECT_EQ(row.status, "ok") << row.revision << ": " << row.error;
    ++applied[row.revision];
  }
  EXPECT_EQ(applied.size(), 6U);
  EXPECT_EQ(project.tables().size(), 5U);
}

TEST_P(ConcurrencyTest, NothingPendingExitsWithoutTakingTheLock) {
  Project project(GetParam(), "nothing_pending");
  add_history(project, 2);
  write_config(project, "[retort.postgres]\nlock_wait = \"1s\"\n");
  ASSERT_EQ(run_retort({"upgrade", "head"}, in(project)).exit_code, 0);

  // Somebody holds the run lock for a long time; a replica starting now must not wait.
  std::unique_ptr<driver::Connection> holder;
  int lock_fd = -1;
  if (GetParam() == Backend::postgres) {
    holder = driver::connect(base::parse_database_url(project.config().url).value());
    holder->execute(
        "SELECT pg_advisory_lock(1919251570, hashtext(current_schema() || '.retort_version'))");
  } else {
    const std::string path =
        base::parse_database_url(project.config().url).value().sqlite_path + ".retort-lock";
    lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_EQ(::flock(lock_fd, LOCK_EX), 0);
  }

  const ProcessResult idle = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_NE(idle.out.find("Nothing to upgrade"), std::string::npos) << idle.out;

  // With something pending, the lock is needed: past lock_wait the exit code is 3.
  project.add({"r102", {"r101"}, "CREATE TABLE later (id INTEGER);", "", {}, "later"});
  const ProcessResult busy = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(busy.exit_code, 3) << busy.out << busy.err;
  if (GetParam() == Backend::postgres) {
    EXPECT_NE(busy.err.find("another runner holds the migration lock"), std::string::npos)
        << busy.err;
    EXPECT_NE(busy.err.find("pg_terminate_backend("), std::string::npos) << busy.err;
  } else {
    EXPECT_NE(busy.err.find("another retort is migrating"), std::string::npos) << busy.err;
    ::close(lock_fd);
  }
  EXPECT_EQ(project.version_rows(), Strings{"r101"});
}

#if RETORT_TEST_POSTGRES
TEST(ConcurrencyPostgresTest, AWaitingRunnerDoesNotDeadlockCreateIndexConcurrently) {
  Project project(Backend::postgres, "waiter_beside_cic");
  project.add({"a1",
               {},
               "CREATE TABLE big (id INTEGER, v TEXT);\n"
               "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;",
               "DROP TABLE big;",
               {},
               "big"});
  project.add({"b2",
               {"a1"},
               "SELECT pg_sleep(1);\nCREATE INDEX CONCURRENTLY big_v_idx ON big (v);",
               "DROP INDEX big_v_idx;",
               {"transaction false"},
               "index"});
  write_config(project);
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);

  SpawnOptions options;
  options.cwd = project.dir();
  Process first({retort_binary().string(), "upgrade", "head"}, options);
  Process second({retort_binary().string(), "upgrade", "head"}, options);
  const ProcessResult one = first.wait();
  const ProcessResult two = second.wait();
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  const auto valid = project.db().query(
      "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass");
  ASSERT_EQ(valid.size(), 1U);
  EXPECT_EQ(valid.rows[0][0], std::optional<std::string>("true"));
}

TEST(ConcurrencyPostgresTest, ARunnerKilledWhileHoldingTheLockDoesNotBlockTheNext) {
  Project project(Backend::postgres, "killed_runner");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "SELECT pg_sleep(3);\nCREATE TABLE u (id INTEGER);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project, "[retort.postgres]\nlock_wait = \"2s\"\n");

  Process victim({retort_binary().string(), "upgrade", "head"}, in(project));
  // Wait until it holds the run lock.
  bool held = false;
  for (int poll_idx = 0; poll_idx < 200 && !held; ++poll_idx) {
    held = !project.db()
                .query(
                    "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE "
                    "l.locktype = 'advisory' AND a.application_name = 'retort run lock'")
                .empty();
    if (!held) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ASSERT_TRUE(held) << "the first runner never took the lock";
  victim.kill(SIGKILL);
  (void)victim.wait();

  // The lock died with the killed process's session: the next runner gets it within lock_wait.
  const ProcessResult next = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
}

// A run stopped by SIGTERM (how Kubernetes ends a Job) or SIGINT (Ctrl-C at a terminal, sent
// to the whole foreground process group) cancels its statement, rolls back, records and
// releases the lock.
void cancel_by_signal(int signal, const std::string& name) {
  Project project(Backend::postgres, name);
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE u (id INTEGER);\nSELECT pg_sleep(60);",
               "DROP TABLE u;",
               {},
               "long"});
  write_config(project);

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  bool sleeping = false;
  for (int poll_idx = 0; poll_idx < 400 && !sleeping; ++poll_idx) {
    sleeping = !project.db()
                    .query(
                        "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                        "'SELECT pg_sleep(60)%'")
                    .empty();
    if (!sleeping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ASSERT_TRUE(sleeping) << "the long statement never started";
  runner.kill(signal);
  const ProcessResult result = runner.wait();

  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find(name + ": cancelling the running statement"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("cancelled: revision b2 was interrupted"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("database: revision b2 was rolled back; the database is at a1"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"t"}) << "u must have been rolled back";
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].revision, "b2");
  EXPECT_EQ(ledger[1].status, "failed");
  EXPECT_TRUE(project.db()
                  .query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = "
                         "1919251570::oid")
                  .empty())
      << "the run lock must be free";

  // current and doctor say what the error said: nothing in the file is to fix.
  const ProcessResult current = run_retort({"current", "-v"}, in(project));
  EXPECT_NE(current.out.find("\n  next: rolled back when the run was cancelled: run the same "
                             "command again\n"),
            std::string::npos)
      << current.out;
  const ProcessResult doctor = run_retort({"doctor"}, in(project));
  EXPECT_NE(doctor.out.find("warning failed-migration: the last upgrade b2 was cancelled "
                            "(SIGTERM or Ctrl-C) and rolled back (the database does not include "
                            "it): cancelled: "),
            std::string::npos)
      << doctor.out;
  EXPECT_NE(doctor.out.find("fix: run the same command again   (retort upgrade b2)"),
            std::string::npos)
      << doctor.out;
}

TEST(ConcurrencyPostgresTest, SigtermCancelsTheStatementRollsBackRecordsAndReleasesTheLock) {
  cancel_by_signal(SIGTERM, "SIGTERM");
}

TEST(ConcurrencyPostgresTest, SigintCancelsTheStatementRollsBackRecordsAndReleasesTheLock) {
  cancel_by_signal(SIGINT, "SIGINT");
}

std::unique_ptr<driver::Connection> connect_to(const Project& project) {
  return driver::connect(base::parse_database_url(project.config().url).value());
}

// A session that holds ACCESS SHARE on `accounts` in an open transaction, as a long report or
// a forgotten psql session does: ALTER TABLE must wait for it, and every query that comes
// after the ALTER would queue behind the ALTER.
struct Blocker {
  std::unique_ptr<driver::Connection> connection;
  std::string pid;
};

Blocker hold_access_share(const Project& project) {
  Blocker blocker{connect_to(project), {}};
  blocker.connection->begin();
  blocker.pid = blocker.connection->query("SELECT pg_backend_pid()::text").rows[0][0].value();
  (void)blocker.connection->query("SELECT count(*) FROM accounts");
  return blocker;
}

void add_accounts(Project& project) {
  project.add({"a1",
               {},
               "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER);\n"
               "INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 1000) g;",
               "DROP TABLE accounts;",
               {},
               "accounts"});
  project.add({"b2",
               {"a1"},
               "ALTER TABLE accounts ADD COLUMN note TEXT;",
               "ALTER TABLE accounts DROP COLUMN note;",
               {},
               "add note"});
}

bool wait_for(const std::function<bool()>& condition) {
  for (int poll_idx = 0; poll_idx < 400; ++poll_idx) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

TEST(ConcurrencyPostgresTest, ALockTimeoutNeverQueuesLiveQueriesAndTheMigrationFinishesAfter) {
  Project project(Backend::postgres, "live_queries");
  add_accounts(project);
  write_config(project, "[retort.postgres]\nlock_timeout = \"200ms\"\nlock_retries = 100\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);

  Blocker blocker = hold_access_share(project);
  // The application: one query after another on the table the migration alters.
  std::atomic<bool> stop{false};
  std::atomic<int> queries{0};
  std::thread application([&] {
    auto connection = connect_to(project);
    while (!stop) {
      (void)connection->query("SELECT balance FROM accounts WHERE id = 7");
      ++queries;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  // Watch the migration's ALTER from the server: queued behind the blocker (a lock wait), then
  // gone (lock_timeout ended it; the step rolled back and waits out its backoff), then queued
  // again. Two such cycles are two retries seen; the blocker ends after them.
  auto watcher = connect_to(project);
  const std::string queued =
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE "
      "'ALTER TABLE accounts ADD COLUMN note%'";
  int retries_seen = 0;
  bool was_queued = false;
  int queries_at_first_wait = -1;
  for (int poll_idx = 0; poll_idx < 6000 && retries_seen < 2; ++poll_idx) {
    const bool now_queued = watcher->query(queued).rows[0][0].value_or("0") != "0";
    if (now_queued && queries_at_first_wait < 0) {
      queries_at_first_wait = queries.load();
    }
    if (was_queued && !now_queued) {
      ++retries_seen;
    }
    was_queued = now_queued;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int queries_while_retrying = queries.load() - queries_at_first_wait;
  blocker.connection->commit();
  const ProcessResult result = runner.wait();
  stop = true;
  application.join();

  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM information_schema.columns WHERE "
                               "table_name = 'accounts' AND column_name = 'note'"),
            Strings{"1"});
  EXPECT_NE(result.err.find("b2: lock_timeout (200ms); rolled back, retry 1 of 100 in "),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("; waiting behind pid " + blocker.pid + " ("), std::string::npos)
      << "each retry names the session it waited behind:\n"
      << result.err;
  EXPECT_EQ(retries_seen, 2) << "the migration's lock request never ended and came back";
  // Without lock_timeout the ALTER would stay queued until the blocker ends, and every query
  // on the table would queue behind it: not one would complete while the migration retries.
  EXPECT_GT(queries_while_retrying, 10)
      << "the application's queries went on while the migration waited for its lock";

  // The ledger keeps what the step waited for, and the report's timeline shows it.
  const Strings waits = project.query_rows(
      "SELECT lock_retries >= 2 AND lock_wait_ms >= 400 FROM retort_log WHERE revision = 'b2'");
  EXPECT_EQ(waits, Strings{"t"}) << "lock_retries, lock_wait_ms of b2's row";
  const std::string page = (project.dir() / "report.html").string();
  const ProcessResult report = run_retort({"report", "--html", page, "--json"}, in(project));
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("\"lock_retries\": "), std::string::npos) << report.out;
  EXPECT_EQ(report.out.find("\"lock_retries\": 0"), std::string::npos) << report.out;
  std::ifstream html(page);
  const std::string text((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(" on lock_timeout, "), std::string::npos)
      << "the timeline's lock-wait cell of b2";
}

TEST(ConcurrencyPostgresTest, RetriesThatRunOutNameTheBlockerAndLeaveThePreviousRevision) {
  Project project(Backend::postgres, "retries_run_out");
  add_accounts(project);
  write_config(project, "[retort.postgres]\nlock_timeout = \"1s\"\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);

  Blocker blocker = hold_access_share(project);
  const ProcessResult result = run_retort(
      {"upgrade", "head", "--lock-timeout", "300ms", "--lock-retries", "1"}, in(project));
  blocker.connection->rollback();

  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("canceling statement due to lock timeout"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("could not get its lock within lock_timeout (300ms), nor in 1 "
                            "retries (lock_retries)"),
            std::string::npos)
      << "--lock-timeout and --lock-retries override retort.toml:\n"
      << result.err;
  EXPECT_NE(result.err.find("waiting behind pid " + blocker.pid + " ("), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("idle in transaction"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("SELECT pg_terminate_backend(" + blocker.pid + ")"), std::string::npos)
      << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].status, "failed");
  EXPECT_EQ(project.query_rows("SELECT lock_retries FROM retort_log WHERE revision = 'b2'"),
            Strings{"1"})
      << "the failed row counts the retry it had";

  const ProcessResult bad = run_retort({"upgrade", "head", "--lock-timeout", "soon"}, in(project));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--lock-timeout must be a duration such as \"500ms\""), std::string::npos)
      << bad.err;
}

TEST(ConcurrencyPostgresTest, ALeaseKeepsRunnersApartAndNamesItsHolder) {
  Project project(Backend::postgres, "lease_direct");
  add_history(project, 3);
  project.add({"r103",
               {"r102"},
               "SELECT pg_sleep(3);\nCREATE TABLE slow (id INTEGER);",
               "DROP TABLE slow;",
               {},
               "slow"});
  write_config(project,
               "[retort.postgres]\nlock = \"lease\"\nlock_wait = \"1s\"\nlease_ttl = "
               "\"1s\"\n");

  Process first({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return project.db().query("SELECT to_regclass('retort_lease')::text").rows[0][0] &&
           project.query_rows("SELECT count(*) FROM retort_lease") == Strings{"1"};
  })) << "the first runner never took the lease";
  // The lease outlives several ttls while its runner renews it: the second gives up.
  const ProcessResult second = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_NE(second.err.find("another runner holds the migration lease on public.retort_version"),
            std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("holder: host "), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("DELETE FROM retort_lease WHERE lock_key = 'public.retort_version' "
                            "AND owner = '"),
            std::string::npos)
      << second.err;

  const ProcessResult done = first.wait();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(project.version_rows(), Strings{"r103"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM retort_lease"), Strings{"0"})
      << "release deletes the lease row";
}

TEST(ConcurrencyPostgresTest, AKilledLeaseHolderBlocksTheNextRunnerOnlyUntilTheLeaseExpires) {
  Project project(Backend::postgres, "lease_killed");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "SELECT pg_sleep(30);\nCREATE TABLE u (id INTEGER);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project,
               "[retort.postgres]\nlock = \"lease\"\nlock_wait = \"20s\"\nlease_ttl = "
               "\"2s\"\n");

  Process victim({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")
                .empty();
  })) << "the first runner never started its slow statement";
  victim.kill(SIGKILL);
  (void)victim.wait();
  // The killed runner's statement goes on in its server session; end it, as the database
  // would when the client's connection is found dead.
  (void)project.db().query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
      "'SELECT pg_sleep(30)%'");
  project.add({"b2", {"a1"}, "CREATE TABLE u (id INTEGER);", "DROP TABLE u;", {}, "slow"});

  const ProcessResult next = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_NE(next.err.find("waiting for the migration lease, held by host "), std::string::npos)
      << next.err;
  EXPECT_NE(next.err.find("took over the expired migration lease on public.retort_version"),
            std::string::npos)
      << next.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
}

TEST(ConcurrencyPostgresTest, ARunWhoseLeaseIsTakenOverStopsAndRollsBack) {
  Project project(Backend::postgres, "lease_lost");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE u (id INTEGER);\nSELECT pg_sleep(20);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project, "[retort.postgres]\nlock = \"lease\"\nlease_ttl = \"1s\"\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%'")
                .empty();
  })) << "the slow statement never started";
  // Another runner took the lease over (as after an expiry it missed): this run's renewal
  // finds the row no longer its own.
  (void)project.db().query("UPDATE retort_lease SET owner = 'another runner' RETURNING 1");
  const ProcessResult result = runner.wait();

  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("error: the migration lease on public.retort_version was lost"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("database: revision b2 was rolled back; the database is at a1"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"t"}) << "u must have been rolled back";
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].status, "failed");
}

// The lease cannot be renewed because the database refuses the lease's connections (a network
// partition between the runner and the server, a failover in progress): once a whole lease_ttl
// has passed since the last renewal, another runner may have taken the lease, so the run
// cancels its statement and rolls back rather than go on beside it.
TEST(ConcurrencyPostgresTest, ALeaseThatCannotBeRenewedBecauseTheDatabaseIsUnreachableStopsTheRun) {
  Project project(Backend::postgres, "lease_unreachable");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE u (id INTEGER);\nSELECT pg_sleep(30);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project, "[retort.postgres]\nlock = \"lease\"\nlease_ttl = \"1s\"\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);
  const std::string database = base::parse_database_url(project.config().url).value().database;

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")
                .empty();
  })) << "the slow statement never started";
  // No new connection reaches the database (superusers included), and the lease's own
  // connection ends: every renewal and every reconnection fails.
  PostgresServer& server = PostgresServer::instance();
  (void)server.psql(server.admin_url(),
                    "ALTER DATABASE \"" + database + "\" WITH ALLOW_CONNECTIONS false");
  (void)project.db().query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'retort run lease'");
  const ProcessResult result = runner.wait();
  (void)server.psql(server.admin_url(),
                    "ALTER DATABASE \"" + database + "\" WITH ALLOW_CONNECTIONS true");

  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("error: the migration lease on public.retort_version was lost"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("database: revision b2 was rolled back; the database is at a1"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"t"}) << "u must have been rolled back";
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].status, "failed");
  EXPECT_NE(result.err.find("next: retort current -v"), std::string::npos) << result.err;
}

// Two projects with their own version tables in one schema (docs/guide/running.md: the lock is
// keyed on the version table) migrate side by side: one run holding its lock does not make the
// other wait, with an advisory lock or a lease.
class TwoVersionTablesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TwoVersionTablesTest, OneProjectsRunDoesNotBlockTheOthers) {
  const std::string lock = "[retort.postgres]\nlock = \"" + GetParam() + "\"\nlock_wait = \"1s\"\n";
  Project first(Backend::postgres, "two_tables_" + GetParam());
  first.add({"a1", {}, "SELECT pg_sleep(30);", "", {}, "slow"});
  write_config(first, "version_table = \"a_version\"\n" + lock);
  Project second(Backend::postgres, "two_tables_b_" + GetParam());
  second.add({"x1", {}, "CREATE TABLE things (id INTEGER);", "", {}, "things"});
  {
    std::ofstream out(second.dir() / "retort.toml");
    out << "[retort]\nscript_location = \"migrations\"\nurl = \"" << first.config().url
        << "\"\nversion_table = \"b_version\"\n"
        << lock;
  }

  Process slow({retort_binary().string(), "upgrade", "head"}, in(first));
  ASSERT_TRUE(wait_for([&] {
    return !first.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")
                .empty();
  })) << "the first project's run never started";
  // Past lock_wait (1s) a shared lock would end the second run with exit 3.
  const ProcessResult other = run_retort({"upgrade", "head"}, in(second));
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.err.find("waiting for the migration"), std::string::npos) << other.err;
  EXPECT_EQ(first.query_rows("SELECT version_num FROM b_version"), Strings{"x1"});
  slow.kill(SIGTERM);
  (void)slow.wait();
}

std::string lock_name(const ::testing::TestParamInfo<std::string>& param) { return param.param; }

INSTANTIATE_TEST_SUITE_P(Locks, TwoVersionTablesTest, ::testing::Values("advisory", "lease"),
                         lock_name);

// Issue #14 (1): a concurrent index build that hits lock_timeout leaves an INVALID index behind;
// its retry drops that index (the build made it) and builds it again, instead of failing on
// "already exists".
TEST(ConcurrencyPostgresTest, AConcurrentIndexBuildThatTimesOutDropsItsInvalidIndexAndRetries) {
  Project project(Backend::postgres, "cic_retry");
  add_accounts(project);
  const std::string c3_file =
      project.add({"c3",
                   {"b2"},
                   "CREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);",
                   "DROP INDEX CONCURRENTLY accounts_balance_idx;",
                   {"transaction false"},
                   "balance index"});
  write_config(project, "[retort.postgres]\nlock_timeout = \"300ms\"\nlock_retries = 30\n");
  ASSERT_EQ(run_retort({"upgrade", "b2"}, in(project)).exit_code, 0);

  // A transaction on another table, as a long report holds one: a concurrent build waits for
  // every transaction older than its index, whatever table that transaction reads.
  project.db().execute("CREATE TABLE reports (id INTEGER)");
  auto report = connect_to(project);
  report->execute("BEGIN ISOLATION LEVEL REPEATABLE READ");
  (void)report->query("SELECT count(*) FROM reports");

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query(
                    "SELECT 1 FROM pg_index WHERE indexrelid = "
                    "to_regclass('accounts_balance_idx') AND NOT indisvalid")
                .empty();
  })) << "the build never started";
  std::this_thread::sleep_for(std::chrono::seconds(2));
  report->commit();
  const ProcessResult result = runner.wait();

  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.err.find("c3: lock_timeout (300ms) at " + c3_file + ":"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("; dropped the INVALID index \"accounts_balance_idx\" this try left; "
                            "retry 1 of 30 in "),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("already exists"), std::string::npos) << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(project.query_rows("SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
                               "'accounts_balance_idx'::regclass"),
            Strings{"true"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 3U);
  EXPECT_EQ(ledger[2].status, "ok") << ledger[2].error;
  EXPECT_EQ(ledger[2].error, "");
}

std::string database_of(const Project& project) {
  return project.config().url.substr(project.config().url.rfind('/') + 1);
}

// Issue #14 (6): idle_session_timeout set for the database would end the idle session that
// holds the advisory lock, and a second runner would get in while the first still migrates.
TEST(ConcurrencyPostgresTest, IdleSessionTimeoutDoesNotEndTheRunLock) {
  Project project(Backend::postgres, "idle_session_timeout");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "SELECT pg_sleep(4);\nCREATE TABLE u (id INTEGER);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project, "[retort.postgres]\nlock_wait = \"1s\"\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);
  project.db().execute("ALTER DATABASE " + database_of(project) +
                       " SET idle_session_timeout = '300ms'");
  project.db().execute("ALTER DATABASE " + database_of(project) +
                       " SET idle_in_transaction_session_timeout = '300ms'");

  Process first({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(4)%'")
                .empty();
  })) << "the first runner never started its slow statement";
  // Well past idle_session_timeout for the lock's idle session.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const ProcessResult second = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_NE(second.err.find("another runner holds the migration lock on public.retort_version"),
            std::string::npos)
      << second.err;

  const ProcessResult done = first.wait();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U) << "b2 ran once";
  EXPECT_EQ(ledger[1].status, "ok") << ledger[1].error;
}

// The run lock's session ends during a step (terminated, a restart of a session pooler): the
// step is rolled back before it commits, and the run stops saying so.
TEST(ConcurrencyPostgresTest, ALockLostDuringAStepRollsItBackBeforeCommit) {
  Project project(Backend::postgres, "lock_lost");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE u (id INTEGER);\nSELECT pg_sleep(2);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project);
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(2)%'")
                .empty();
  })) << "the slow statement never started";
  (void)project.db().query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'retort "
      "run lock'");
  const ProcessResult result = runner.wait();

  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("error: the migration lock on public.retort_version was lost: its "
                            "session ended"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("database: revision b2 was rolled back; the database is at a1"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("next: retort current -v"), std::string::npos) << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"t"}) << "u must have been rolled back";
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].status, "failed");
  EXPECT_NE(ledger[1].error.find("lost"), std::string::npos) << ledger[1].error;

  const ProcessResult again = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
}

// A lease's renewals go on through idle_session_timeout, which ends its connection between
// renewals: the renewer reconnects and renews at once. A runner waiting for the lease does the
// same between its looks.
TEST(ConcurrencyPostgresTest, IdleSessionTimeoutDoesNotLoseTheLease) {
  Project project(Backend::postgres, "idle_session_lease");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "SELECT pg_sleep(8);\nCREATE TABLE u (id INTEGER);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project,
               "[retort.postgres]\nlock = \"lease\"\nlock_wait = \"4s\"\nlease_ttl = \"3s\"\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);
  project.db().execute("ALTER DATABASE " + database_of(project) +
                       " SET idle_session_timeout = '500ms'");

  Process first({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(8)%'")
                .empty();
  })) << "the first runner never started its slow statement";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // The waiting runner's polls back off past idle_session_timeout, which ends its connection
  // between two of them: it looks again on a new one, and gives up only at lock_wait.
  const ProcessResult second = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_NE(second.err.find("did not release it within lock_wait (4s)"), std::string::npos)
      << second.err;

  const ProcessResult done = first.wait();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
}

// Issue #14 (7): a runner that stalls past its lease (stopped, paused by its host) while a step
// is open finds, when it goes on, that another runner took the lease over and marked its row
// interrupted. It must not commit: its row says `failed`, with why, and the other runner applies
// the step.
TEST(ConcurrencyPostgresTest, ARunnerWhoseLeaseWasTakenOverWhileStoppedDoesNotCommit) {
  Project project(Backend::postgres, "lease_taken_over");
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE u (id INTEGER);\nSELECT pg_sleep(1);",
               "DROP TABLE u;",
               {},
               "slow"});
  write_config(project,
               "[retort.postgres]\nlock = \"lease\"\nlease_ttl = \"1s\"\nlock_timeout = "
               "\"500ms\"\nlock_retries = 30\n");
  ASSERT_EQ(run_retort({"upgrade", "a1"}, in(project)).exit_code, 0);

  Process first({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(1)%'")
                .empty();
  })) << "the first runner never started its slow statement";
  first.kill(SIGSTOP);

  // The second runner waits out the lease, takes it over and marks the first one's row.
  Process second({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return !project.db()
                .query(
                    "SELECT 1 FROM retort_log WHERE revision = 'b2' AND error LIKE "
                    "'interrupted:%'")
                .empty();
  })) << "the second runner never took over";
  // Hold the lease row for a moment, as a slow network would delay the first runner's renewal:
  // it must not matter which of its threads learns first that the lease is gone.
  auto holder = connect_to(project);
  holder->begin();
  (void)holder->query("SELECT 1 FROM retort_lease FOR UPDATE");
  first.kill(SIGCONT);
  (void)wait_for([&] {
    return !project.db()
                .query(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'retort' AND "
                    "wait_event_type = 'Lock' AND query LIKE '%retort_lease%'")
                .empty();
  });
  holder->commit();

  const ProcessResult one = first.wait();
  const ProcessResult two = second.wait();
  EXPECT_EQ(one.exit_code, 1) << one.err;
  EXPECT_NE(one.err.find("error: the migration lease on public.retort_version was lost"),
            std::string::npos)
      << one.err;
  EXPECT_NE(one.err.find("database: revision b2 was rolled back; the database is at a1"),
            std::string::npos)
      << one.err;
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.tables(), (Strings{"t", "u"}));
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 3U);
  EXPECT_EQ(ledger[1].revision, "b2");
  EXPECT_EQ(ledger[1].status, "failed") << "the first runner's row: " << ledger[1].error;
  EXPECT_NE(ledger[1].error.find("lease"), std::string::npos) << ledger[1].error;
  EXPECT_EQ(ledger[1].error.find("interrupted:"), std::string::npos)
      << "the row says what happened, not what the taker guessed: " << ledger[1].error;
  EXPECT_EQ(ledger[2].revision, "b2");
  EXPECT_EQ(ledger[2].status, "ok") << ledger[2].error;
  EXPECT_EQ(ledger[2].error, "");
}

// Behind PgBouncer in transaction mode: each transaction may run on another server session.
void write_pooled_config(const Project& project, const PgBouncer& pooler,
                         const std::string& postgres_settings) {
  const std::string database = project.config().url.substr(project.config().url.rfind('/') + 1);
  std::ofstream out(project.dir() / "retort.toml");
  out << "[retort]\nscript_location = \"migrations\"\nurl = \"" << pooler.url(database)
      << "\"\n[retort.postgres]\n"
      << postgres_settings;
}

TEST(ConcurrencyPgBouncerTest, ManyRunnersThroughATransactionPoolerWithALeaseApplyEachOnce) {
  const PgBouncer pooler(PoolMode::transaction);
  Project project(Backend::postgres, "pooled_racers");
  add_slow_history(project, 5);
  write_pooled_config(project, pooler, "lock = \"lease\"\n");

  race_upgrades(project, 32);
  EXPECT_EQ(project.version_rows(), Strings{"r104"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 6U) << "each migration applied exactly once";
  for (const auto& row : ledger) {
    EXPECT_EQ(row.status, "ok") << row.revision << ": " << row.error;
  }
  EXPECT_EQ(project.tables().size(), 5U);
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM retort_lease"), Strings{"0"});
}

TEST(ConcurrencyPgBouncerTest, AnAdvisoryLockThroughATransactionPoolerIsRefusedBeforeAnythingRuns) {
  const PgBouncer pooler(PoolMode::transaction);
  Project project(Backend::postgres, "pooled_advisory");
  add_history(project, 2);
  write_pooled_config(project, pooler, "");

  const ProcessResult result = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("the advisory run lock cannot work on this connection: it goes "
                            "through a transaction-mode pooler"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("next: set lock = \"lease\" under [retort.postgres]"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"}) << "nothing may run";
  EXPECT_TRUE(project.tables().empty());
  EXPECT_TRUE(project.db()
                  .query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = "
                         "1919251570::oid")
                  .empty())
      << "no lock may be left on a pooled server session";

  // Through a session-mode pool every client keeps its server session: the advisory lock works.
  const PgBouncer session_pool(PoolMode::session);
  write_pooled_config(project, session_pool, "");
  const ProcessResult pooled = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(pooled.exit_code, 0) << pooled.err;
  EXPECT_EQ(project.version_rows(), Strings{"r101"});
}

TEST(ConcurrencyPgBouncerTest, NonTransactionalStepsThroughATransactionPoolerKeepTheirTimeouts) {
  const PgBouncer pooler(PoolMode::transaction);
  Project project(Backend::postgres, "pooled_no_transaction");
  add_accounts(project);
  const std::string c3_file =
      project.add({"c3",
                   {"b2"},
                   "ALTER TABLE accounts ADD COLUMN flag BOOLEAN;\n"
                   "CREATE INDEX CONCURRENTLY accounts_note_idx ON accounts (note);",
                   "DROP INDEX accounts_note_idx;\nALTER TABLE accounts DROP COLUMN flag;",
                   {"transaction false"},
                   "flag and index"});
  write_pooled_config(project, pooler,
                      "lock = \"lease\"\nlock_timeout = \"200ms\"\nlock_retries = 2\n");
  ASSERT_EQ(run_retort({"upgrade", "b2"}, in(project)).exit_code, 0);

  // The ALTER of the non-transactional step still runs under lock_timeout: in a transaction
  // of its own with SET LOCAL, which a transaction pooler keeps together.
  Blocker blocker = hold_access_share(project);
  const ProcessResult blocked = run_retort({"upgrade", "head"}, in(project));
  blocker.connection->rollback();
  EXPECT_EQ(blocked.exit_code, 1) << blocked.err;
  EXPECT_NE(blocked.err.find("c3: lock_timeout (200ms) at " + c3_file + ":"), std::string::npos)
      << blocked.err;
  EXPECT_EQ(project.version_rows(), Strings{"b2"});

  const ProcessResult result = run_retort({"upgrade", "head"}, in(project));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("runs without lock_timeout and statement_timeout: it cannot run in "
                            "a transaction block"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(project.query_rows("SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
                               "'accounts_note_idx'::regclass"),
            Strings{"true"});
  // No session setting of retort's was left on the pool's server sessions.
  auto client = driver::connect(base::parse_database_url(pooler.url(project.config().url.substr(
                                                             project.config().url.rfind('/') + 1)))
                                    .value());
  EXPECT_EQ(client->query("SHOW lock_timeout").rows[0][0], std::optional<std::string>("0"));
}
#endif

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

#if RETORT_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, ConcurrencyTest, ::testing::Values(Backend::postgres), name_of);
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, ConcurrencyTest, ::testing::Values(Backend::sqlite), name_of);
#endif

}  // namespace
}  // namespace retort::test
