// One runner at a time, with real processes: many `retort upgrade head` started at once,
// a lock held past lock_wait (exit 3), and a waiter beside CREATE INDEX CONCURRENTLY.
#include "base/url.hpp"
#include "harness/postgres_server.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <sys/file.h>
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

class ConcurrencyTest : public ::testing::TestWithParam<Backend> {};

TEST_P(ConcurrencyTest, ManyRunnersStartedAtOnceApplyEveryMigrationExactlyOnce) {
  Project project(GetParam(), "racing_runners");
  add_history(project, 5);
  write_config(project);
  const int runners = GetParam() == Backend::postgres ? 32 : 8;

  SpawnOptions options;
  options.cwd = project.dir();
  options.timeout = std::chrono::seconds(120);
  std::vector<std::unique_ptr<Process>> processes;
  for (int runner_idx = 0; runner_idx < runners; ++runner_idx) {
    processes.push_back(std::make_unique<Process>(
        std::vector<std::string>{retort_binary().string(), "upgrade", "head"}, options));
  }
  for (auto& process : processes) {
    const ProcessResult result = process->wait();
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.err.find("error"), std::string::npos) << result.err;
  }

  EXPECT_EQ(project.version_rows(), Strings{"r104"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 5U) << "each migration applied exactly once";
  std::map<std::string, int> applied;
  for (const auto& row : ledger) {
    EXPECT_EQ(row.status, "ok") << row.revision << ": " << row.error;
    ++applied[row.revision];
  }
  EXPECT_EQ(applied.size(), 5U);
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

TEST(ConcurrencyPostgresTest, SigtermCancelsTheStatementRollsBackRecordsAndReleasesTheLock) {
  Project project(Backend::postgres, "sigterm");
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
  runner.kill(SIGTERM);
  const ProcessResult result = runner.wait();

  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("SIGTERM: cancelling the running statement"), std::string::npos)
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
