// Backfills (issue #20) through the retort binary on a real PostgreSQL 15: a backfill revision
// runs in batches over the key range recorded at its start (rows inserted meanwhile are not
// touched), resumes after kill -9 and after SIGTERM with every row updated exactly once (the
// same data as one plain UPDATE), refuses a changed table or key, halves a batch that hits
// statement_timeout, and reports a malformed revision at its file:line before anything runs.
//
// The default run uses a few thousand rows; RETORT_BACKFILL_ROWS sets the size of the first
// test, which the `slow` build of this file (backfill_full_test) runs at 2,000,000.
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

std::int64_t number(Project& project, const std::string& sql) {
  const Strings rows = project.query_rows(sql);
  return rows.empty() || rows[0] == "NULL" ? -1 : std::stoll(rows[0]);
}

// The batches the backfill has committed; 0 before its table exists.
std::int64_t batches(Project& project) {
  if (number(project, "SELECT count(*) FROM pg_class WHERE relname = 'retort_backfill'") == 0) {
    return 0;
  }
  return number(project, "SELECT coalesce(max(batches), 0) FROM retort_backfill");
}

bool wait_for(const std::function<bool()>& condition, int polls = 1200) {
  for (int poll_idx = 0; poll_idx < polls; ++poll_idx) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

#if RETORT_BACKFILL_FULL
// The full-size run: 2,000,000 rows, or RETORT_BACKFILL_ROWS (CI runs it reduced).
std::int64_t full_rows() {
  const char* value = std::getenv("RETORT_BACKFILL_ROWS");
  return value == nullptr ? 2'000'000 : std::stoll(value);
}
#endif

// a1: t(id, a, c, n) with `rows` rows; `n` counts how often the backfill touched a row.
void add_table(Project& project, std::int64_t rows) {
  project.add({"a1",
               {},
               "CREATE TABLE t (id BIGINT PRIMARY KEY, a INTEGER NOT NULL, c INTEGER, n INTEGER "
               "NOT NULL DEFAULT 0);\n"
               "INSERT INTO t (id, a) SELECT g, g % 1000 FROM generate_series(1, " +
                   std::to_string(rows) + ") g;",
               "DROP TABLE t;",
               {},
               "table"});
}

constexpr const char* k_fill = "UPDATE t SET c = a * 2, n = n + 1 WHERE {batch} AND c IS NULL;";

// The backfill revision b2 with `options` after `table=t key=id`.
void add_backfill(Project& project, const std::string& options,
                  const std::string& statement = k_fill) {
  project.add({"b2",
               {"a1"},
               statement,
               "UPDATE t SET c = NULL, n = 0;",
               {"backfill table=t key=id " + options},
               "fill c"});
}

// Every row of the range updated exactly once, as one plain UPDATE would have left it.
void expect_filled_once(Project& project, std::int64_t rows) {
  EXPECT_EQ(number(project, "SELECT count(*) FROM t WHERE id <= " + std::to_string(rows) +
                                " AND (c IS DISTINCT FROM a * 2 OR n <> 1)"),
            0)
      << "a row of the range missed or updated twice";
  EXPECT_EQ(number(project, "SELECT max(n) FROM t"), 1);
}

// `rows` rows backfilled with `options`, 500 rows inserted by the application once the second
// batch has committed: the range's rows are updated once, the new ones not at all.
void backfill_with_inserts(std::int64_t rows, const std::string& options) {
  Project project(Backend::postgres, "backfill_range");
  add_table(project, rows);
  add_backfill(project, options);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  Process runner({retort_binary().string(), "upgrade", "head"},
                 in(project, std::chrono::seconds(1800)));
  ASSERT_TRUE(wait_for([&] { return batches(project) >= 2; })) << "the backfill never started";
  // The application writes new rows (and rows with no c) while the backfill runs.
  (void)project.query_rows("INSERT INTO t (id, a) SELECT g, 7 FROM generate_series(" +
                           std::to_string(rows + 1) + ", " + std::to_string(rows + 500) +
                           ") g RETURNING 1");
  const ProcessResult done = runner.wait();
  ASSERT_EQ(done.exit_code, 0) << shown(done);

  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.ledger().back().status, "ok");
  expect_filled_once(project, rows);
  EXPECT_EQ(number(project, "SELECT count(*) FROM t WHERE id > " + std::to_string(rows) +
                                " AND (c IS NOT NULL OR n <> 0)"),
            0)
      << "rows above the recorded max were touched";
  EXPECT_EQ(project.query_rows("SELECT table_name, key_columns, range_min, range_max, \"cursor\", "
                               "rows_done, state FROM retort_backfill"),
            Strings{"t|id|{1}|{" + std::to_string(rows) + "}|{" + std::to_string(rows) + "}|" +
                    std::to_string(rows) + "|done"});
  EXPECT_TRUE(has(done.err + done.out,
                  "b2: backfill of t over keys (1) to (" + std::to_string(rows) + ")"));
#if RETORT_BACKFILL_FULL
  // The yardstick of issue #20: the same UPDATE as hand-written batches of 10,000 keys, each
  // in autocommit as psql would run them, on a table made the same way (freshly loaded, so
  // that both pay for the first touch of every page and for updates that are not HOT).
  const double backfill_s = std::stod(project.query_rows(
      "SELECT extract(epoch FROM updated_at - started_at) FROM retort_backfill")[0]);
  project.db().execute(
      "CREATE TABLE t_hand (LIKE t INCLUDING ALL); INSERT INTO t_hand (id, a) "
      "SELECT g, g % 1000 FROM generate_series(1, " +
      std::to_string(rows) + ") g");
  const auto by_hand = std::chrono::steady_clock::now();
  for (std::int64_t low = 0; low < rows; low += 10'000) {
    project.db().execute("UPDATE t_hand SET c = a * 2, n = n + 1 WHERE id > " +
                         std::to_string(low) + " AND id <= " + std::to_string(low + 10'000) +
                         " AND c IS NULL");
  }
  const double by_hand_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - by_hand).count();
  std::cout << "backfill of " << rows << " rows: " << backfill_s << " s in retort ("
            << number(project, "SELECT batches FROM retort_backfill") << " batches), " << by_hand_s
            << " s as 10,000-key batches by hand: " << backfill_s / by_hand_s << "x\n";
#endif
}

#if RETORT_BACKFILL_FULL

TEST(BackfillFull, TwoMillionRowsAtTheTargetBatchTime) {
  // RETORT_BACKFILL_OPTIONS compares other settings (`batch_size=10000`).
  const char* options = std::getenv("RETORT_BACKFILL_OPTIONS");
  backfill_with_inserts(full_rows(), options == nullptr ? "batch_time=300ms" : options);
}

#else

// Ends the sessions a killed runner left, so that the next runner need not wait for them.
void end_other_sessions(Project& project) {
  (void)project.query_rows(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
      "datname = current_database()");
  EXPECT_TRUE(wait_for([&] {
    return number(project,
                  "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                  "datname = current_database() AND backend_type = 'client backend'") == 0;
  })) << "the killed runner's sessions did not end";
}

TEST(Backfill, RunsInBatchesOverTheRangeRecordedAtItsStart) {
  // Paused between batches, so that the inserts arrive during the backfill.
  backfill_with_inserts(20'000, "batch_size=1000 pause=20ms");
}

TEST(Backfill, ResumesAfterKillNineUpdatingEveryRowOnce) {
  constexpr std::int64_t k_rows = 12'000;
  Project project(Backend::postgres, "backfill_kill");
  add_table(project, k_rows);
  add_backfill(project, "batch_size=300 pause=30ms");
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  for (int kill = 0; kill < 3; ++kill) {
    Process victim({retort_binary().string(), "upgrade", "head"}, in(project));
    const std::int64_t before = batches(project);
    ASSERT_TRUE(wait_for([&] { return batches(project) >= before + 3 + kill; }))
        << "the backfill made no progress";
    victim.kill(SIGKILL);
    const ProcessResult killed = victim.wait();
    EXPECT_EQ(killed.signal, SIGKILL) << shown(killed);
    end_other_sessions(project);
    EXPECT_EQ(project.version_rows(), Strings{"a1"});
    // The progress row and the rows agree: each batch committed with its progress.
    EXPECT_EQ(number(project, "SELECT count(*) FROM t WHERE n = 1"),
              number(project, "SELECT rows_done FROM retort_backfill"));
    EXPECT_EQ(number(project, "SELECT max(n) FROM t"), 1);
  }

  const ProcessResult resumed = retort(project, {"upgrade", "head"});
  ASSERT_EQ(resumed.exit_code, 0) << shown(resumed);
  EXPECT_TRUE(has(resumed.err + resumed.out, "b2: backfill of t resumes after key ("));
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  expect_filled_once(project, k_rows);
  EXPECT_EQ(number(project, "SELECT rows_done FROM retort_backfill"), k_rows);
}

TEST(Backfill, SigtermStopsAfterTheBatchAndAChangedKeyIsRefused) {
  constexpr std::int64_t k_rows = 6'000;
  Project project(Backend::postgres, "backfill_term");
  add_table(project, k_rows);
  add_backfill(project, "batch_size=200 pause=30ms");
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] { return batches(project) >= 3; }));
  runner.kill(SIGTERM);
  const ProcessResult stopped = runner.wait();
  EXPECT_EQ(stopped.exit_code, 1) << shown(stopped);
  EXPECT_TRUE(has(stopped.err, "cancelled: "));
  EXPECT_TRUE(has(stopped.err, "backfill revision b2 stopped part-way: "));
  EXPECT_TRUE(has(stopped.err,
                  "run the same command again to continue the backfill after its "
                  "cursor"));
  EXPECT_EQ(project.query_rows("SELECT state FROM retort_backfill"), Strings{"stopped"});
  EXPECT_EQ(number(project, "SELECT count(*) FROM t WHERE n = 1"),
            number(project, "SELECT rows_done FROM retort_backfill"));

  // The file now cuts the batches on another key: its cursor would mean nothing.
  project.add({"b2",
               {"a1"},
               "UPDATE t SET c = a * 2, n = n + 1 WHERE {batch} AND c IS NULL;",
               "UPDATE t SET c = NULL, n = 0;",
               {"backfill table=t key=a,id batch_size=200"},
               "fill c"});
  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err,
                  "revision b2 is a backfill of table t by key (id), which stopped "
                  "part-way; the file now says table t by key (a,id)"));
  EXPECT_TRUE(has(refused.err, "put back `table=t key=id` to finish it"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});

  add_backfill(project, "batch_size=200");
  // `--resume` says what is meant: the stopped backfill continues after its cursor.
  const ProcessResult finished = retort(project, {"upgrade", "--resume"});
  ASSERT_EQ(finished.exit_code, 0) << shown(finished);
  EXPECT_TRUE(has(finished.err + finished.out, "b2: backfill of t resumes after key ("));
  expect_filled_once(project, k_rows);
}

TEST(Backfill, ACompositeKeyIsComparedAsARowValue) {
  Project project(Backend::postgres, "backfill_composite");
  project.add({"a1",
               {},
               "CREATE TABLE m (tenant TEXT NOT NULL, id INTEGER NOT NULL, c INTEGER, n INTEGER "
               "NOT NULL DEFAULT 0, PRIMARY KEY (tenant, id));\n"
               "INSERT INTO m (tenant, id) SELECT 'tenant ''' || (g % 7), g FROM "
               "generate_series(1, 3000) g;",
               "DROP TABLE m;",
               {},
               "m"});
  project.add({"b2",
               {"a1"},
               "UPDATE m SET c = id, n = n + 1 WHERE {batch};",
               "",
               {"backfill table=m key=tenant,id batch_size=128"},
               "fill m"});
  write_config(project);
  const ProcessResult run = retort(project, {"upgrade", "head"});
  ASSERT_EQ(run.exit_code, 0) << shown(run);
  EXPECT_EQ(number(project, "SELECT count(*) FROM m WHERE c IS DISTINCT FROM id OR n <> 1"), 0);
  EXPECT_EQ(number(project, "SELECT batches FROM retort_backfill"), 24);  // ceil(3000 / 128)
}

TEST(Backfill, AStatementTimeoutHalvesTheBatch) {
  Project project(Backend::postgres, "backfill_timeout");
  add_table(project, 400);
  // 2ms a row: a batch of 1000 would take 2s; 300ms of statement_timeout takes 125.
  project.add({"a2",
               {"a1"},
               "CREATE FUNCTION slow(x INTEGER) RETURNS INTEGER LANGUAGE plpgsql VOLATILE AS $$ "
               "BEGIN PERFORM pg_sleep(0.002); RETURN x; END $$;",
               "DROP FUNCTION slow(INTEGER);",
               {},
               "slow"});
  project.add({"b2",
               {"a2"},
               "UPDATE t SET c = slow(a) * 2, n = n + 1 WHERE {batch};",
               "",
               {"backfill table=t key=id batch_size=1000", "statement_timeout 300ms"},
               "fill c slowly"});
  write_config(project);
  const ProcessResult run = retort(project, {"upgrade", "head"});
  ASSERT_EQ(run.exit_code, 0) << shown(run);
  const std::string said = run.err + run.out;
  EXPECT_TRUE(has(said, "b2: a batch hit statement_timeout after "));
  EXPECT_TRUE(has(said, "rolled back, batch size halved to 500"));
  EXPECT_TRUE(has(said, "rolled back, batch size halved to 250"));
  EXPECT_TRUE(has(said, "rolled back, batch size halved to 125"));
  expect_filled_once(project, 400);
  EXPECT_EQ(number(project, "SELECT batch_size FROM retort_backfill"), 125);
}

TEST(Backfill, AMalformedRevisionIsAnInputErrorAtItsLine) {
  Project project(Backend::postgres, "backfill_input");
  add_table(project, 10);
  project.add({"b2",
               {"a1"},
               "ALTER TABLE t ADD COLUMN d INTEGER;\n" + std::string(k_fill),
               "",
               {"backfill table=t key=id"},
               "two statements"});
  write_config(project);
  const ProcessResult run = retort(project, {"upgrade", "head"});
  EXPECT_EQ(run.exit_code, 2) << shown(run);
  EXPECT_TRUE(has(run.err, "migrations/versions/b2_change.sql:8: error: "));
  EXPECT_TRUE(has(run.err,
                  "the upgrade section of backfill revision b2 holds 2 statements; a "
                  "backfill (line "));
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"}) << "nothing ran";

  project.add(
      {"b2", {"a1"}, k_fill, "", {"backfill table=t key=id batch_sise=10"}, "two statements"});
  const ProcessResult typo = retort(project, {"upgrade", "head"});
  EXPECT_EQ(typo.exit_code, 2) << shown(typo);
  EXPECT_TRUE(has(typo.err, "unknown option `batch_sise` in `-- retort:backfill`"));
  EXPECT_TRUE(has(typo.err, "did you mean `batch_size`?"));
}

TEST(Backfill, SqliteAndSqlScriptsRefuseIt) {
  Project sqlite(Backend::sqlite, "backfill_sqlite");
  add_table(sqlite, 10);
  add_backfill(sqlite, "batch_size=5");
  write_config(sqlite);
  const ProcessResult refused = retort(sqlite, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err,
                  "migrations/versions/b2_change.sql:4: error: revision b2 is a "
                  "backfill, which retort runs on PostgreSQL only"));
  EXPECT_EQ(sqlite.version_rows(), Strings{"<no version table>"}) << "nothing ran";

  Project postgres(Backend::postgres, "backfill_sql");
  add_table(postgres, 10);
  add_backfill(postgres, "batch_size=5");
  write_config(postgres);
  const ProcessResult script = retort(postgres, {"upgrade", "--sql", "base:head"});
  EXPECT_EQ(script.exit_code, 2) << shown(script);
  EXPECT_TRUE(has(script.err,
                  "revision b2 is a backfill, which runs online in batches and "
                  "cannot be written as a SQL script"));
}

#endif  // RETORT_BACKFILL_FULL

}  // namespace
}  // namespace retort::test
