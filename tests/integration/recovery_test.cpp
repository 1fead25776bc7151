// Recovering from what failed, partial and killed runs leave behind, through the retort binary
// on a real SQLite file and (in the postgres build of this file) a real PostgreSQL 15: the
// failed and partial ledger rows current and doctor show, `upgrade --resume`, doctor's
// findings and --fix, check of edited applied files, a database ahead of its code, stamps with
// a reason, and an older ledger migrated in place.
#include "base/url.hpp"
#include "harness/tcp_proxy.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;
using Json = nlohmann::json;

int count(Project& project, const std::string& sql) {
  const Strings rows = project.query_rows(sql);
  return rows.empty() ? -1 : std::stoi(rows[0]);
}

bool table_exists(Project& project, const std::string& table) {
  const Strings tables = project.tables();
  return std::find(tables.begin(), tables.end(), table) != tables.end();
}

// `retort doctor --json ...`: the one document it prints, and its exit code.
struct Doctor {
  ProcessResult process;
  Json doc;

  // The first finding with this code, or null.
  [[nodiscard]] const Json* finding(const std::string& code) const {
    if (!doc.contains("findings")) {
      return nullptr;
    }
    for (const Json& item : doc["findings"]) {
      if (item.value("code", "") == code) {
        return &item;
      }
    }
    return nullptr;
  }
  [[nodiscard]] std::string codes() const {
    std::string out;
    if (doc.contains("findings")) {
      for (const Json& item : doc["findings"]) {
        out += item.value("code", "?") + "(" + item.value("level", "?") + ") ";
      }
    }
    return out;
  }
};

Doctor doctor_json(const Project& project, const Strings& extra = {}) {
  Strings args{"doctor", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Doctor out{retort(project, args), {}};
  try {
    out.doc = Json::parse(out.process.out);
  } catch (const Json::exception& error) {
    ADD_FAILURE() << "doctor --json did not print one JSON document: " << error.what() << "\n"
                  << shown(out.process);
  }
  return out;
}

bool wait_for(const std::function<bool()>& condition, int polls = 800) {
  for (int poll_idx = 0; poll_idx < polls; ++poll_idx) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// The ledger rows of one revision, oldest first: "id|status|done|total|resumed_from".
Strings ledger_of(Project& project, const std::string& revision) {
  return project.query_rows(
      "SELECT id, status, statements_done, statements_total, resumed_from FROM retort_log WHERE "
      "revision = '" +
      revision + "' ORDER BY id");
}

std::string field(const std::string& row, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t skip = 0; skip < index; ++skip) {
    start = row.find('|', start) + 1;
  }
  return row.substr(start, row.find('|', start) - start);
}

// A statement that runs until the test kills its runner: PostgreSQL sleeps; SQLite counts
// through a recursive CTE that would take hours.
std::string endless(Backend backend) {
  return backend == Backend::postgres
             ? "SELECT pg_sleep(30);"
             : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
               "4000000000) SELECT count(*) FROM c;";
}

class RecoveryTest : public ::testing::TestWithParam<Backend> {
 protected:
  [[nodiscard]] bool postgres() const { return GetParam() == Backend::postgres; }

  // a1 makes a log table (a row per statement of b2 that ran) and items with a duplicate v;
  // b2 (`transaction false`, five statements) fails at its third, the unique index, on the
  // duplicate; c3 comes after.
  static std::string add_partial_history(
      Project& project,
      const std::string& first_statement = "INSERT INTO run_log VALUES ('b2 statement 1');") {
    project.add({"a1",
                 {},
                 "CREATE TABLE run_log (msg TEXT);\n"
                 "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER);\n"
                 "INSERT INTO items VALUES (1, 10), (2, 10), (3, 30);",
                 "DROP TABLE items;\nDROP TABLE run_log;",
                 {},
                 "log and items"});
    const std::string b2 =
        project.add({"b2",
                     {"a1"},
                     first_statement + "\n"
                                       "CREATE TABLE b2_first (id INTEGER);\n"
                                       "CREATE UNIQUE INDEX items_v_key ON items (v);\n"
                                       "INSERT INTO run_log VALUES ('b2 statement 4');\n"
                                       "CREATE TABLE b2_last (id INTEGER);",
                     "",
                     {"transaction false"},
                     "unique v"});
    project.add({"c3", {"b2"}, "CREATE TABLE c3_t (id INTEGER);", "DROP TABLE c3_t;", {}, "after"});
    return b2;
  }

  // Waits until the run lock is free again after its holder was killed: on PostgreSQL the
  // server notices the lock session's socket close a moment later; the backend that ran the
  // migration may still be inside its statement, and is terminated.
  void after_kill(Project& project) {
    if (!postgres()) {
      return;
    }
    (void)project.query_rows(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND datname = current_database()");
    EXPECT_TRUE(wait_for([&] {
      return count(project,
                   "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                   "datname = current_database() AND backend_type = 'client backend'") == 0;
    })) << "the killed runner's sessions did not end";
  }
};

// ---- 1. A transactional migration fails half way ----

TEST_P(RecoveryTest, AFailedTransactionalMigrationRollsBackAndCurrentAndDoctorSayWhatToDo) {
  Project project(GetParam(), "tx_failure");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER PRIMARY KEY);", "", {}, "users"});
  const std::string b2 = project.add({"b2",
                                      {"a1"},
                                      "CREATE TABLE audit (id INTEGER);\n"
                                      "INSERT INTO no_such_table VALUES (1);\n"
                                      "CREATE TABLE never (id INTEGER);",
                                      "",
                                      {},
                                      "audit"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const std::string schema_before = project.schema();

  const ProcessResult failed = retort(project, {"upgrade", "head"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.err, b2 + ":7"));
  EXPECT_TRUE(has(failed.err, "no_such_table"));
  EXPECT_TRUE(has(failed.err, "database: revision b2 was rolled back; the database is at a1"));
  EXPECT_TRUE(has(failed.err, "next: fix " + b2 + " and run `retort upgrade b2` again"));
  EXPECT_EQ(project.schema(), schema_before) << "nothing of b2 may remain";
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger.back().revision, "b2");
  EXPECT_EQ(ledger.back().direction, "upgrade");
  EXPECT_EQ(ledger.back().status, "failed");
  EXPECT_EQ(ledger.back().statements_total, 3);
  EXPECT_TRUE(has(ledger.back().error, "no_such_table"));

  const ProcessResult current = retort(project, {"current", "-v"});
  EXPECT_EQ(current.exit_code, 0) << shown(current);
  EXPECT_TRUE(has(current.out, "upgrade b2 failed (started "));
  EXPECT_TRUE(has(current.out, "0 of 3 statements ran"));
  EXPECT_TRUE(
      has(current.out, "\n  next: rolled back: fix " + b2 + " and run retort upgrade b2\n"));

  const ProcessResult doctor = retort(project, {"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << "a warning is not an error\n" << shown(doctor);
  EXPECT_TRUE(has(doctor.out,
                  "warning failed-migration: the last upgrade b2 failed and was "
                  "rolled back (the database does not include it): "));
  EXPECT_TRUE(has(doctor.out, "no_such_table"));
  EXPECT_TRUE(has(doctor.out, "\n  fix: fix " + b2 + " and run: retort upgrade b2\n"));
  const ProcessResult history = retort(project, {"history", "-i"});
  EXPECT_TRUE(has(history.out, "a1 -> b2 (head), audit  [upgrade failed "));

  // The fix the messages name: mend the file and run the upgrade again.
  project.add({"b2",
               {"a1"},
               "CREATE TABLE audit (id INTEGER);\nCREATE TABLE never (id INTEGER);",
               "",
               {},
               "audit"});
  const ProcessResult again = retort(project, {"upgrade", "b2"});
  EXPECT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.tables(), (Strings{"audit", "never", "users"}));
  const ProcessResult current_after = retort(project, {"current", "-v"});
  EXPECT_TRUE(lacks(current_after.out, "failed")) << "the ok run supersedes the failed row";
  const ProcessResult doctor_after = retort(project, {"doctor"});
  EXPECT_EQ(doctor_after.exit_code, 0) << shown(doctor_after);
  EXPECT_TRUE(has(doctor_after.out, "No problems found on "));
}

// ---- 2. A non-transactional migration fails at its third of five statements ----

TEST_P(RecoveryTest, APartialMigrationStopsEveryRunUntilResumedFromTheStatementAfterTheLast) {
  Project project(GetParam(), "partial_resume");
  const std::string b2 = add_partial_history(project);
  write_config(project);

  const ProcessResult failed = retort(project, {"upgrade", "head"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.err, b2 + ":9"));  // the unique index, statement 3
  EXPECT_TRUE(has(failed.err,
                  "database: revision b2 is partially applied: 2 of 5 statements ran (no "
                  "transaction); the version table still says a1"));
  EXPECT_TRUE(has(failed.err, "retort upgrade --resume"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const Strings failed_rows = ledger_of(project, "b2");
  ASSERT_EQ(failed_rows.size(), 1U);
  EXPECT_EQ(field(failed_rows[0], 1), "failed");
  EXPECT_EQ(field(failed_rows[0], 2), "2") << "statements_done";
  EXPECT_EQ(field(failed_rows[0], 3), "5") << "statements_total";
  EXPECT_FALSE(project.ledger().back().error.empty());
  const std::string failed_id = field(failed_rows[0], 0);
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);
  EXPECT_TRUE(table_exists(project, "b2_first"));
  const std::size_t ledger_size = project.ledger().size();

  // Every other run is refused, and runs nothing.
  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err,
                  "revision b2 (unique v) is partially applied; retort runs "
                  "nothing else until you decide"));
  EXPECT_TRUE(has(refused.err, "retort upgrade --resume"));
  EXPECT_TRUE(has(refused.err, "retort stamp b2"));
  const ProcessResult refused_down = retort(project, {"downgrade", "base"});
  EXPECT_EQ(refused_down.exit_code, 1) << shown(refused_down);
  EXPECT_TRUE(has(refused_down.err,
                  "is partially applied; retort runs nothing else until you "
                  "decide"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_TRUE(table_exists(project, "items")) << "the refused downgrade must not have run";
  EXPECT_EQ(project.ledger().size(), ledger_size);
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);

  const ProcessResult current = retort(project, {"current", "-v"});
  EXPECT_TRUE(has(current.out, "upgrade b2 failed (started "));
  EXPECT_TRUE(has(current.out, "2 of 5 statements ran"));
  EXPECT_TRUE(has(current.out,
                  "  next: partially applied: retort upgrade --resume, or finish it "
                  "by hand and retort stamp b2\n"));

  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  const Json* partial = doctor.finding("partial-migration");
  ASSERT_NE(partial, nullptr) << doctor.codes();
  EXPECT_EQ(partial->value("level", ""), "error");
  EXPECT_TRUE(has(partial->value("message", ""),
                  "upgrade b2 is partially applied: 2 of 5 "
                  "statements ran"));
  EXPECT_TRUE(has(partial->value("fix", ""), "retort upgrade --resume"));
  EXPECT_TRUE(has(partial->value("fix", ""), "statement 3 of " + b2));
  EXPECT_FALSE(doctor.doc.value("ok", true));
  const ProcessResult doctor_text = retort(project, {"doctor"});
  EXPECT_EQ(doctor_text.exit_code, 1);
  EXPECT_TRUE(has(doctor_text.out, "error partial-migration: "));
  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 1) << shown(check);
  EXPECT_TRUE(has(check.out, "upgrade b2 is partially applied"));

  // The cause mended (the duplicate the unique index tripped on), resume runs 3..5 only.
  project.db().execute("DELETE FROM items WHERE id = 2");
  const ProcessResult resumed = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << shown(resumed);
  EXPECT_TRUE(has(resumed.err, "b2: resuming at statement 3 of 5 (" + b2 + ":9)"));
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(project.query_rows("SELECT msg FROM run_log ORDER BY msg"),
            (Strings{"b2 statement 1", "b2 statement 4"}))
      << "statement 1 must not have run again";
  EXPECT_TRUE(table_exists(project, "b2_last"));
  EXPECT_TRUE(table_exists(project, "c3_t"));
  const Strings rows = ledger_of(project, "b2");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(field(rows[1], 1), "ok");
  EXPECT_EQ(field(rows[1], 2), "5");
  EXPECT_EQ(field(rows[1], 4), failed_id) << "resumed_from names the failed row";
  const Doctor clean = doctor_json(project);
  EXPECT_EQ(clean.process.exit_code, 0) << shown(clean.process);
  EXPECT_TRUE(clean.doc.value("ok", false));
}

TEST_P(RecoveryTest, ResumeWithNothingPartialIsAnInputError) {
  Project project(GetParam(), "nothing_to_resume");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  project.add({"b2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "", {}, "orders"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  // Something pending, nothing partial.
  const ProcessResult pending = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(pending.exit_code, 2) << shown(pending);
  EXPECT_TRUE(has(pending.err, "nothing to resume: no migration is partially applied"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"}) << "a refused --resume runs nothing";
  EXPECT_EQ(project.tables(), Strings{"users"});

  // Nothing pending either: the same question, the same answer.
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  const ProcessResult at_head = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(at_head.exit_code, 2) << shown(at_head);
  EXPECT_TRUE(has(at_head.err, "nothing to resume"));
}

TEST_P(RecoveryTest, RestartRunsAPartialMigrationFromItsFirstStatementAfterAHandUndo) {
  Project project(GetParam(), "restart_partial");
  (void)add_partial_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 1);
  ASSERT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);

  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_TRUE(has(refused.err, "undo by hand what ran, then: retort upgrade --restart"))
      << shown(refused);
  const ProcessResult both = retort(project, {"upgrade", "--resume", "--restart"});
  EXPECT_EQ(both.exit_code, 2) << "the two ways are exclusive\n" << shown(both);

  // The operator undoes what ran (statements 1 and 2) and mends the data.
  project.db().execute("DELETE FROM run_log");
  project.db().execute("DROP TABLE b2_first");
  project.db().execute("UPDATE items SET v = 20 WHERE id = 2");
  const ProcessResult restarted = retort(project, {"upgrade", "--restart"});
  EXPECT_EQ(restarted.exit_code, 0) << shown(restarted);
  EXPECT_TRUE(has(restarted.err, "b2: restarting from its first statement, as asked"));
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 2)
      << "statements 1 and 4 ran once each, from the start";
  EXPECT_TRUE(table_exists(project, "b2_first"));
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  const Strings rows = ledger_of(project, "b2");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(field(rows[1], 1), "ok");
  EXPECT_EQ(field(rows[1], 4), field(rows[0], 0)) << "the restart names the row it continues";

  const ProcessResult nothing = retort(project, {"upgrade", "--restart"});
  EXPECT_EQ(nothing.exit_code, 2) << shown(nothing);
  EXPECT_TRUE(has(nothing.err, "nothing to restart"));
}

TEST_P(RecoveryTest, StampingAPartialMigrationFinishedByHandIsTheOtherWayOut) {
  Project project(GetParam(), "partial_stamp");
  (void)add_partial_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 1);

  // The operator finishes statements 3..5 by hand, and records it.
  project.db().execute("DELETE FROM items WHERE id = 2");
  project.db().execute("CREATE UNIQUE INDEX items_v_key ON items (v)");
  project.db().execute("INSERT INTO run_log VALUES ('b2 statement 4')");
  project.db().execute("CREATE TABLE b2_last (id INTEGER)");
  const ProcessResult stamped =
      retort(project, {"stamp", "b2", "--reason", "finished by hand, INC-9"});
  EXPECT_EQ(stamped.exit_code, 0) << shown(stamped);
  EXPECT_EQ(project.version_rows(), Strings{"b2"});

  const ProcessResult current = retort(project, {"current", "-v"});
  EXPECT_TRUE(lacks(current.out, "partially applied")) << "the stamp supersedes the partial row";
  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 0) << shown(doctor.process);
  EXPECT_EQ(doctor.finding("partial-migration"), nullptr) << doctor.codes();
  const ProcessResult upgrade = retort(project, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << shown(upgrade);
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 2);
}

TEST_P(RecoveryTest, DoctorWhileARunIsGoingOnOnlyReadsAndCallsItRunning) {
  Project project(GetParam(), "doctor_during_run");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  project.add(
      {"b2", {"a1"}, "CREATE TABLE u (id INTEGER);\n" + endless(GetParam()), "", {}, "slow"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  Process runner({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return project.query_rows("SELECT status FROM retort_log WHERE revision = 'b2'") ==
           Strings{"running"};
  })) << "b2 never started";

  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 0) << shown(doctor.process);
  const Json* running = doctor.finding("running");
  ASSERT_NE(running, nullptr) << doctor.codes();
  EXPECT_EQ(running->value("level", ""), "info");
  EXPECT_TRUE(has(running->value("message", ""), "upgrade b2 is running now"));
  EXPECT_EQ(doctor.finding("interrupted"), nullptr) << "a live run is not interrupted";
  EXPECT_NE(doctor.finding("lock-held"), nullptr) << doctor.codes();

  const Doctor fix = doctor_json(project, {"--fix"});
  EXPECT_EQ(fix.process.exit_code, 0) << shown(fix.process);
  EXPECT_NE(fix.finding("not-fixed"), nullptr) << fix.codes();
  EXPECT_EQ(project.query_rows("SELECT status FROM retort_log WHERE revision = 'b2'"),
            Strings{"running"})
      << "--fix must not mark the row of a live runner";

  runner.kill(SIGKILL);
  (void)runner.wait();
  after_kill(project);
}

// ---- 3. Resume refuses a statement that ran and was edited since ----

TEST_P(RecoveryTest, ResumeRefusesAnEditedStatementThatRanButNotAChangedCommentOrLayout) {
  Project project(GetParam(), "resume_edited");
  const std::string b2 = add_partial_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 1);
  project.db().execute("DELETE FROM items WHERE id = 2");
  const std::size_t ledger_size = project.ledger().size();

  (void)add_partial_history(project, "INSERT INTO run_log VALUES ('b2 statement one');");
  const ProcessResult edited = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(edited.exit_code, 2) << shown(edited);
  EXPECT_TRUE(has(edited.err, b2 + ":7"));
  EXPECT_TRUE(has(edited.err,
                  "cannot resume revision b2: statement 1, which already ran, was "
                  "edited since"));
  // format_error indents an explanation's lines by two more.
  EXPECT_TRUE(
      has(edited.err, "\n  it ran as:\n      INSERT INTO run_log VALUES ('b2 statement 1')"));
  EXPECT_TRUE(has(edited.err,
                  "\n  the file now says:\n      INSERT INTO run_log VALUES ('b2 statement one')"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.ledger().size(), ledger_size) << "nothing ran";
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);
  EXPECT_FALSE(table_exists(project, "b2_last"));

  // A comment in the statement and a new layout are not edits.
  (void)add_partial_history(project,
                            "INSERT   INTO run_log -- the first step leaves a trace\n"
                            "    VALUES ('b2 statement 1');");
  const ProcessResult resumed = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << shown(resumed);
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(project.query_rows("SELECT msg FROM run_log ORDER BY msg"),
            (Strings{"b2 statement 1", "b2 statement 4"}));
}

// ---- 5. A runner killed with SIGKILL ----

TEST_P(RecoveryTest, AKilledTransactionalMigrationIsInterruptedAndNothingOfItWasApplied) {
  Project project(GetParam(), "killed_tx");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  const std::string slow_b2 =
      "CREATE TABLE u (id INTEGER);\n" + endless(GetParam()) + "\nCREATE TABLE w (id INTEGER);";
  project.add({"b2", {"a1"}, slow_b2, "", {}, "slow"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  Process victim({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return project.query_rows("SELECT status FROM retort_log WHERE revision = 'b2'") ==
           Strings{"running"};
  })) << "b2 never started";
  if (postgres()) {
    ASSERT_TRUE(wait_for([&] {
      return count(project,
                   "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                   "'SELECT pg_sleep(30)%'") == 1;
    })) << "the long statement never started";
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // into the CTE
  }
  const int victim_pid = victim.pid();
  victim.kill(SIGKILL);
  const ProcessResult killed = victim.wait();
  EXPECT_EQ(killed.signal, SIGKILL) << shown(killed);
  after_kill(project);

  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"users"}) << "the transaction of b2 never committed";
  EXPECT_EQ(project.ledger().back().status, "running") << "the row written before it began";

  const ProcessResult doctor = retort(project, {"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << "nothing was applied: a warning\n" << shown(doctor);
  EXPECT_TRUE(
      has(doctor.out, "warning interrupted: upgrade b2 was interrupted: its runner (host "));
  EXPECT_TRUE(has(doctor.out, "pid " + std::to_string(victim_pid) + ")"));
  EXPECT_TRUE(has(doctor.out, "it ran in one transaction, so nothing of it was applied"));
  EXPECT_TRUE(has(doctor.out, "  fix: retort upgrade b2"));
  EXPECT_EQ(project.ledger().back().status, "running") << "doctor without --fix only reads";

  const Doctor fixed = doctor_json(project, {"--fix"});
  EXPECT_EQ(fixed.process.exit_code, 0) << shown(fixed.process);
  const Json* interrupted = fixed.finding("interrupted");
  ASSERT_NE(interrupted, nullptr) << fixed.codes();
  EXPECT_TRUE(interrupted->value("fixed", false));
  EXPECT_TRUE(has(interrupted->value("fix", ""), "marked its ledger row failed"));
  EXPECT_EQ(project.ledger().back().status, "failed");
  EXPECT_TRUE(has(project.ledger().back().error, "nothing of it was applied"));
  const Doctor after_fix = doctor_json(project);
  EXPECT_EQ(after_fix.finding("interrupted"), nullptr) << after_fix.codes();

  // The slow statement taken out, the next run applies b2.
  project.add(
      {"b2", {"a1"}, "CREATE TABLE u (id INTEGER);\nCREATE TABLE w (id INTEGER);", "", {}, "slow"});
  const ProcessResult next = retort(project, {"upgrade", "head"});
  EXPECT_EQ(next.exit_code, 0) << shown(next);
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.tables(), (Strings{"u", "users", "w"}));
}

TEST_P(RecoveryTest, AKilledNonTransactionalMigrationIsInterruptedPartialAndResumes) {
  Project project(GetParam(), "killed_partial");
  project.add({"a1", {}, "CREATE TABLE run_log (msg TEXT);", "", {}, "log"});
  const auto write_b2 = [&](const std::string& third) {
    return project.add({"b2",
                        {"a1"},
                        "INSERT INTO run_log VALUES ('b2 statement 1');\n"
                        "CREATE TABLE b2_first (id INTEGER);\n" +
                            third + "\nCREATE TABLE b2_last (id INTEGER);",
                        "",
                        {"transaction false"},
                        "step by step"});
  };
  const std::string b2 = write_b2(endless(GetParam()));
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  Process victim({retort_binary().string(), "upgrade", "head"}, in(project));
  ASSERT_TRUE(wait_for([&] {
    return project.query_rows(
               "SELECT status, statements_done FROM retort_log WHERE revision = "
               "'b2'") == Strings{"running|2"};
  })) << "b2 never got to its third statement";
  if (postgres()) {
    ASSERT_TRUE(wait_for([&] {
      return count(project,
                   "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                   "'SELECT pg_sleep(30)%'") == 1;
    })) << "the long statement never started";
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  victim.kill(SIGKILL);
  (void)victim.wait();
  after_kill(project);
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);
  EXPECT_EQ(project.version_rows(), Strings{"a1"});

  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  const Json* interrupted = doctor.finding("interrupted-partial");
  ASSERT_NE(interrupted, nullptr) << doctor.codes();
  EXPECT_EQ(interrupted->value("level", ""), "error");
  EXPECT_TRUE(has(interrupted->value("message", ""), "upgrade b2 was interrupted"));
  EXPECT_TRUE(has(interrupted->value("message", ""), "ended after statement 2 of 4"));
  EXPECT_TRUE(has(interrupted->value("message", ""), "statement 3 of " + b2));
  EXPECT_TRUE(has(interrupted->value("fix", ""), "retort upgrade --resume"));

  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err, "upgrade b2: interrupted: its runner (host "));
  EXPECT_TRUE(has(refused.err, "ended after statement 2 of 4 (no transaction)"));
  EXPECT_TRUE(has(refused.err, "is partially applied; retort runs nothing else until you decide"));
  EXPECT_LT(refused.err.find("interrupted: its runner"),
            refused.err.find("is partially applied; retort runs nothing else"))
      << "the note comes before the refusal\n"
      << refused.err;
  EXPECT_EQ(project.ledger().back().status, "failed")
      << "the run marked the row of the dead runner";
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);

  // Statement 3 never finished, so it may change; statements 1 and 2 stay as they ran.
  (void)write_b2("SELECT 1;");
  const ProcessResult resumed = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << shown(resumed);
  EXPECT_TRUE(has(resumed.err, "b2: resuming at statement 3 of 4"));
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1) << "statement 1 ran once";
  EXPECT_TRUE(table_exists(project, "b2_last"));
  const Strings rows = ledger_of(project, "b2");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(field(rows[1], 1), "ok");
  EXPECT_EQ(field(rows[1], 4), field(rows[0], 0));
}

// ---- 6. check and doctor on an applied file edited since it ran ----

TEST_P(RecoveryTest, CheckFailsOnAnEditedAppliedStatementButNotOnCommentsOrAnAllowedEdit) {
  Project project(GetParam(), "edited_file");
  const auto write_a1 = [&](const std::string& second) {
    return project.add({"a1",
                        {},
                        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n" + second,
                        "",
                        {},
                        "users and notes"});
  };
  const std::string a1 = write_a1("CREATE TABLE notes (id INTEGER);");
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  const ProcessResult clean = retort(project, {"check"});
  EXPECT_EQ(clean.exit_code, 0) << shown(clean);

  (void)write_a1("CREATE TABLE notes (id INTEGER, body TEXT);");
  const ProcessResult edited = retort(project, {"check"});
  EXPECT_EQ(edited.exit_code, 1) << shown(edited);
  EXPECT_TRUE(has(edited.out, a1 + " (revision a1) changed since it ran on "));
  EXPECT_TRUE(has(edited.out, "statement 2 (line 6) changed"));
  EXPECT_TRUE(has(edited.out, "\n    - CREATE TABLE notes (id INTEGER)"));
  EXPECT_TRUE(has(edited.out, "\n    + CREATE TABLE notes (id INTEGER, body TEXT)"));
  EXPECT_TRUE(lacks(edited.out, "CREATE TABLE users")) << "statement 1 is unchanged";
  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  const Json* finding = doctor.finding("edited-applied-file");
  ASSERT_NE(finding, nullptr) << doctor.codes();
  EXPECT_EQ(finding->value("level", ""), "error");
  EXPECT_TRUE(has(finding->value("fix", ""), "[retort.allowed_edits]"));

  // Comments and layout are not edits.
  (void)write_a1("-- notes are free text\nCREATE TABLE notes (\n  id INTEGER  -- the key\n);");
  const ProcessResult comments = retort(project, {"check"});
  EXPECT_EQ(comments.exit_code, 0) << shown(comments);
  const Doctor doctor_comments = doctor_json(project);
  EXPECT_EQ(doctor_comments.process.exit_code, 0) << shown(doctor_comments.process);
  EXPECT_EQ(doctor_comments.finding("edited-applied-file"), nullptr) << doctor_comments.codes();

  // An edit the team accepted, with its reason.
  (void)write_a1("CREATE TABLE notes (id INTEGER, body TEXT);");
  write_config(project, "[retort.allowed_edits]\na1 = \"body added by hand, INC-7\"\n");
  const ProcessResult allowed = retort(project, {"check"});
  EXPECT_EQ(allowed.exit_code, 0) << shown(allowed);
  EXPECT_TRUE(has(allowed.out, "body added by hand, INC-7"));
  const Doctor doctor_allowed = doctor_json(project);
  EXPECT_EQ(doctor_allowed.process.exit_code, 0) << shown(doctor_allowed.process);
  const Json* info = doctor_allowed.finding("edited-applied-file");
  ASSERT_NE(info, nullptr) << doctor_allowed.codes();
  EXPECT_EQ(info->value("level", ""), "info");
  EXPECT_TRUE(has(info->value("fix", ""), "body added by hand, INC-7"));

  // An empty reason accepts nothing: an input error naming the key.
  for (const std::string reason : {"\"\"", "\"   \""}) {
    write_config(project, "[retort.allowed_edits]\na1 = " + reason + "\n");
    const ProcessResult empty = retort(project, {"check"});
    EXPECT_EQ(empty.exit_code, 2) << reason << "\n" << shown(empty);
    EXPECT_TRUE(has(empty.err, "retort.allowed_edits.a1")) << reason;
    const ProcessResult doctor_empty = retort(project, {"doctor"});
    EXPECT_EQ(doctor_empty.exit_code, 2) << reason << "\n" << shown(doctor_empty);
  }
}

// ---- 7. A database ahead of its code ----

TEST_P(RecoveryTest, ADatabaseAheadOfItsCodeNamesWhatTheLedgerKnowsAndRunsNothing) {
  Project project(GetParam(), "ahead_of_code");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add(
      {"a2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "DROP TABLE orders;", {}, "orders"});
  const std::string a3 = project.add(
      {"a3", {"a2"}, "CREATE TABLE notes (id INTEGER);", "DROP TABLE notes;", {}, "add notes"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  // An older release: its files end at a2.
  std::filesystem::remove(project.dir() / a3);
  const std::size_t ledger_size = project.ledger().size();

  const ProcessResult current = retort(project, {"current"});
  EXPECT_EQ(current.exit_code, 0) << shown(current);
  EXPECT_TRUE(
      has(current.out, "a3 (not in the migration files: the database is ahead of this code)"));
  EXPECT_TRUE(has(current.out, "the database is ahead of this code: it is at a3"));
  EXPECT_TRUE(has(current.out, "a3 (\"add notes\")"));
  EXPECT_TRUE(has(current.out, "the newest revision these files know is a2"));
  EXPECT_TRUE(has(current.out, "retort downgrade a2"));

  const ProcessResult upgrade = retort(project, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 1) << shown(upgrade);
  EXPECT_TRUE(has(upgrade.err, "the database is ahead of this code: it is at a3"));
  EXPECT_TRUE(has(upgrade.err, "a3 (\"add notes\")"));
  EXPECT_TRUE(has(upgrade.err, "retort downgrade a2"));
  EXPECT_TRUE(has(upgrade.err, "database: nothing was run"));
  EXPECT_EQ(project.version_rows(), Strings{"a3"});
  EXPECT_EQ(project.ledger().size(), ledger_size);
  EXPECT_EQ(project.tables(), (Strings{"notes", "orders", "users"}));

  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  const Json* unknown = doctor.finding("unknown-revision");
  ASSERT_NE(unknown, nullptr) << doctor.codes();
  EXPECT_EQ(unknown->value("level", ""), "error");
  EXPECT_TRUE(has(unknown->value("message", ""), "add notes"));
  EXPECT_TRUE(has(unknown->value("fix", ""), "retort downgrade a2"));

  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 1) << shown(check);
  EXPECT_TRUE(has(check.out, "a3"));
}

// ---- 8. stamp with a reason, and history -i ----

TEST_P(RecoveryTest, AStampWithAReasonIsInTheLedgerAndHistory) {
  Project project(GetParam(), "stamp_reason");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  project.add({"a2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "", {}, "orders"});
  write_config(project);
  // Built by hand, as a schema dump would.
  project.db().execute("CREATE TABLE users (id INTEGER)");
  project.db().execute("CREATE TABLE orders (id INTEGER)");

  const ProcessResult stamped =
      retort(project, {"stamp", "head", "--reason", "built from a schema dump"});
  EXPECT_EQ(stamped.exit_code, 0) << shown(stamped);
  EXPECT_EQ(project.version_rows(), Strings{"a2"});
  const Strings rows =
      project.query_rows("SELECT revision, direction, status, reason FROM retort_log ORDER BY id");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back(), "a2|stamp|ok|built from a schema dump");
  for (const std::string& row : rows) {
    EXPECT_TRUE(has(row, "|stamp|ok|built from a schema dump"));
  }

  const ProcessResult history = retort(project, {"history", "-i"});
  EXPECT_EQ(history.exit_code, 0) << shown(history);
  EXPECT_TRUE(has(history.out, "a1 -> a2 (current) (head), orders  [stamped "));
  // The time in ISO 8601 UTC on both databases.
  EXPECT_TRUE(std::regex_search(
      history.out, std::regex(R"(\[stamped \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z: built from a )"
                              R"(schema dump\])")))
      << history.out;

  const ProcessResult json = retort(project, {"history", "-i", "--json"});
  EXPECT_EQ(json.exit_code, 0) << shown(json);
  const Json doc = Json::parse(json.out);
  ASSERT_TRUE(doc.is_array()) << json.out;
  bool seen = false;
  for (const Json& revision : doc) {
    if (revision.value("revision", "") != "a2") {
      continue;
    }
    seen = true;
    EXPECT_TRUE(revision.value("is_current", false));
    ASSERT_TRUE(revision.contains("last_run")) << revision.dump();
    EXPECT_EQ(revision["last_run"].value("direction", ""), "stamp");
    EXPECT_EQ(revision["last_run"].value("status", ""), "ok");
    EXPECT_EQ(revision["last_run"].value("reason", ""), "built from a schema dump");
  }
  EXPECT_TRUE(seen) << json.out;
}

// ---- 9. doctor: the next migration's objects exist already ----

TEST_P(RecoveryTest, DoctorSaysWhenTheNextMigrationsObjectsExistAlready) {
  Project project(GetParam(), "objects_exist");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  const std::string b2 = project.add({"b2",
                                      {"a1"},
                                      "CREATE TABLE widgets (id INTEGER);\n"
                                      "CREATE TABLE gadgets (id INTEGER);",
                                      "",
                                      {},
                                      "widgets and gadgets"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const Doctor none = doctor_json(project);
  EXPECT_EQ(none.finding("objects-exist"), nullptr) << none.codes();

  // Some of them: the migration would fail on the first.
  project.db().execute("CREATE TABLE widgets (id INTEGER)");
  const ProcessResult some = retort(project, {"doctor"});
  EXPECT_EQ(some.exit_code, 1) << shown(some);
  EXPECT_TRUE(has(some.out, "error objects-exist: 1 of the 2 objects the next migration, b2 (" +
                                b2 + "), creates exist already: table widgets"));

  // All of them: a hand fix never stamped.
  project.db().execute("CREATE TABLE gadgets (id INTEGER)");
  const Doctor all = doctor_json(project);
  EXPECT_EQ(all.process.exit_code, 0) << shown(all.process);
  const Json* finding = all.finding("objects-exist");
  ASSERT_NE(finding, nullptr) << all.codes();
  EXPECT_EQ(finding->value("level", ""), "warning");
  EXPECT_TRUE(has(finding->value("message", ""),
                  "everything the next migration, b2 (" + b2 + "), creates exists already: "));
  EXPECT_TRUE(has(finding->value("message", ""), "widgets"));
  EXPECT_TRUE(has(finding->value("message", ""), "gadgets"));
  EXPECT_TRUE(has(finding->value("fix", ""), "retort stamp b2"));

  ASSERT_EQ(retort(project, {"stamp", "b2", "--reason", "applied by hand"}).exit_code, 0);
  const Doctor stamped = doctor_json(project);
  EXPECT_EQ(stamped.process.exit_code, 0);
  EXPECT_TRUE(stamped.doc.value("findings", Json::array()).empty()) << stamped.codes();
}

TEST_P(RecoveryTest, AfterAFailedUpgradeOnObjectsMadeByHandDoctorStillProposesTheStamp) {
  Project project(GetParam(), "objects_exist_failed");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE widgets (id INTEGER);\nCREATE TABLE gadgets (id INTEGER);",
               "",
               {},
               "widgets and gadgets"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  // Someone applied b2 by hand, then the deploy ran it again.
  project.db().execute("CREATE TABLE widgets (id INTEGER)");
  project.db().execute("CREATE TABLE gadgets (id INTEGER)");
  const ProcessResult failed = retort(project, {"upgrade", "head"});
  ASSERT_EQ(failed.exit_code, 1) << shown(failed);

  const Doctor after = doctor_json(project);
  ASSERT_NE(after.finding("failed-migration"), nullptr) << after.codes();
  const Json* exists = after.finding("objects-exist");
  ASSERT_NE(exists, nullptr) << after.codes();
  EXPECT_TRUE(has(exists->value("message", ""), "everything the next migration, b2 ("));
  EXPECT_TRUE(has(exists->value("fix", ""), "retort stamp b2 --reason \"applied by hand\""))
      << exists->dump();

  ASSERT_EQ(retort(project, {"stamp", "b2", "--reason", "applied by hand"}).exit_code, 0);
  const Doctor stamped = doctor_json(project);
  EXPECT_TRUE(stamped.doc.value("findings", Json::array()).empty()) << stamped.codes();
}

TEST_P(RecoveryTest, AFailedRunWhoseFileWasDeletedIsClearedByDoctorFixOrByAStamp) {
  for (const bool by_stamp : {false, true}) {
    SCOPED_TRACE(by_stamp ? "cleared by stamp" : "cleared by doctor --fix");
    Project project(GetParam(), by_stamp ? "gone_file_stamp" : "gone_file_fix");
    project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
    const std::string b2 = project.add({"b2",
                                        {"a1"},
                                        "CREATE TABLE audit (id INTEGER);\n"
                                        "INSERT INTO no_such_table VALUES (1);",
                                        "",
                                        {},
                                        "audit"});
    write_config(project);
    ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
    ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 1);
    // The change is given up: its file goes.
    std::filesystem::remove(project.dir() / b2);

    const ProcessResult warned = retort(project, {"doctor"});
    EXPECT_EQ(warned.exit_code, 0) << shown(warned);
    EXPECT_TRUE(has(warned.out,
                    "warning failed-migration-file-gone: the last upgrade b2 failed and no "
                    "migration file declares b2 any more; the ledger records no statement of it "
                    "as applied: "))
        << warned.out;
    EXPECT_TRUE(lacks(warned.out, "stopped at its first statement")) << warned.out;
    EXPECT_TRUE(has(warned.out,
                    "`retort doctor --fix` (or the next `retort stamp`) records it "
                    "settled"))
        << warned.out;

    if (by_stamp) {
      const ProcessResult stamped = retort(project, {"stamp", "a1", "--reason", "b2 given up"});
      EXPECT_EQ(stamped.exit_code, 0) << shown(stamped);
    } else {
      const ProcessResult fixed = retort(project, {"doctor", "--fix"});
      EXPECT_EQ(fixed.exit_code, 0) << shown(fixed);
      EXPECT_TRUE(has(fixed.out, "recorded it settled")) << fixed.out;
    }
    EXPECT_EQ(project
                  .query_rows("SELECT direction, status, reason FROM retort_log WHERE "
                              "revision = 'b2' ORDER BY id DESC")
                  .front(),
              "stamp|ok|settled: the failed run's file was deleted, nothing of it applied");
    EXPECT_EQ(project.version_rows(), Strings{"a1"});
    const ProcessResult doctor = retort(project, {"doctor"});
    EXPECT_EQ(doctor.exit_code, 0) << shown(doctor);
    EXPECT_TRUE(has(doctor.out, "No problems found on ")) << doctor.out;
    const ProcessResult current = retort(project, {"current", "-v"});
    EXPECT_TRUE(lacks(current.out, "failed")) << current.out;
  }
}

TEST_P(RecoveryTest, StampPurgeSaysWhichVersionRowsItRemovedAndWrote) {
  Project project(GetParam(), "stamp_purge_words");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  project.add({"a2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "", {}, "orders"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);

  const ProcessResult purged = retort(project, {"stamp", "--purge", "a1", "--reason", "test"});
  EXPECT_EQ(purged.exit_code, 0) << shown(purged);
  EXPECT_TRUE(has(purged.out,
                  ": removed version row a2, wrote version row a1; the version "
                  "table now says a1 (no migration ran)\n"))
      << purged.out;
  EXPECT_TRUE(has(purged.out, "Stamped ")) << purged.out;
  EXPECT_TRUE(lacks(purged.out, "Done:")) << purged.out;
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
}

// ---- 10. An older ledger migrated in place ----

TEST_P(RecoveryTest, AnOlderLedgerGetsTheNewColumnsInPlaceAndKeepsItsRows) {
  Project project(GetParam(), "older_ledger");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  project.add({"b2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "", {}, "orders"});
  write_config(project);
  // What the first release of retort left: its version table and its ledger, with one row.
  const bool pg = postgres();
  project.db().execute(
      "CREATE TABLE retort_version (version_num VARCHAR(64) NOT NULL, CONSTRAINT "
      "retort_version_pkc PRIMARY KEY (version_num))");
  project.db().execute(std::string("CREATE TABLE retort_log (\n    id ") +
                       (pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT") +
                       ",\n"
                       "    revision VARCHAR(64) NOT NULL,\n"
                       "    direction VARCHAR(16) NOT NULL,\n"
                       "    status VARCHAR(16) NOT NULL,\n"
                       "    statements_done INTEGER NOT NULL DEFAULT 0,\n"
                       "    statements_total INTEGER NOT NULL DEFAULT 0,\n"
                       "    started_at " +
                       (pg ? "TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()"
                           : "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))") +
                       ",\n    finished_at " + (pg ? "TIMESTAMPTZ" : "TEXT") +
                       ",\n"
                       "    duration_ms BIGINT,\n"
                       "    error TEXT,\n"
                       "    checksum TEXT,\n"
                       "    retort_version TEXT,\n"
                       "    os_user TEXT,\n"
                       "    host TEXT,\n"
                       "    reason TEXT,\n"
                       "    pid INTEGER,\n"
                       "    parents TEXT,\n"
                       "    message TEXT\n)");
  project.db().execute("CREATE TABLE users (id INTEGER)");
  project.db().execute("INSERT INTO retort_version VALUES ('a1')");
  project.db().execute(
      std::string("INSERT INTO retort_log (revision, direction, status, statements_done, "
                  "statements_total, finished_at, duration_ms, retort_version, os_user, host, "
                  "pid, parents, message) VALUES ('a1', 'upgrade', 'ok', 1, 1, ") +
      (pg ? "clock_timestamp()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')") +
      ", 4, '0.0.9', 'deploy', 'old-host', 42, '', 'users')");

  // Reading it does not need the new columns.
  const ProcessResult doctor_before = retort(project, {"doctor"});
  EXPECT_EQ(doctor_before.exit_code, 0) << shown(doctor_before);
  EXPECT_TRUE(lacks(doctor_before.err, "internal"));
  const ProcessResult history_before = retort(project, {"history", "-i"});
  EXPECT_EQ(history_before.exit_code, 0) << shown(history_before);

  const ProcessResult upgrade = retort(project, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << shown(upgrade);
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  const Strings columns =
      pg ? project.query_rows(
               "SELECT column_name FROM information_schema.columns WHERE "
               "table_name = 'retort_log' AND table_schema = current_schema()")
         : project.query_rows("SELECT name FROM pragma_table_info('retort_log')");
  const std::set<std::string> have(columns.begin(), columns.end());
  for (const char* column : {"statement_checksums", "sql", "resumed_from", "message", "host",
                             "version_table", "heads_after"}) {
    EXPECT_TRUE(have.contains(column)) << column;
  }
  const Strings rows = project.query_rows(
      "SELECT id, revision, status, retort_version, host, pid, statement_checksums IS NULL, sql "
      "IS NULL FROM retort_log ORDER BY id");
  ASSERT_EQ(rows.size(), 2U);
  const std::string null_true = pg ? "t" : "1";
  const std::string null_false = pg ? "f" : "0";
  EXPECT_EQ(rows[0], "1|a1|ok|0.0.9|old-host|42|" + null_true + "|" + null_true)
      << "the old row is kept as it was";
  EXPECT_EQ(project.query_rows("SELECT revision, version_table FROM retort_log ORDER BY id"),
            (Strings{"a1|retort_version", "b2|retort_version"}))
      << "the older ledger was one project's: its rows are the version table's that migrated it";
  EXPECT_TRUE(has(rows[1], "|b2|ok|0.1.0|")) << rows[1];
  EXPECT_TRUE(has(rows[1], "|" + null_false + "|" + null_false))
      << "the new row keeps its statements' fingerprints and SQL: " << rows[1];
  const Strings sql = project.query_rows("SELECT sql FROM retort_log WHERE revision = 'b2'");
  ASSERT_EQ(sql.size(), 1U);
  EXPECT_TRUE(has(sql[0], "CREATE TABLE orders (id INTEGER);")) << "the section as it ran";

  // The old row keeps no statement record: check and doctor take it as it is.
  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 0) << shown(check);
  const ProcessResult doctor_after = retort(project, {"doctor"});
  EXPECT_EQ(doctor_after.exit_code, 0) << shown(doctor_after);
}

// ---- 11. doctor --json ----

TEST_P(RecoveryTest, DoctorJsonIsOneDocumentWithEveryFindingsFields) {
  Project project(GetParam(), "doctor_json");
  (void)add_partial_history(project);
  write_config(project);

  const Doctor clean = doctor_json(project);
  EXPECT_EQ(clean.process.exit_code, 0) << shown(clean.process);
  EXPECT_EQ(clean.doc, (Json{{"database", project.config().redacted_url},
                             {"ok", true},
                             {"findings", Json::array()}}))
      << clean.doc.dump(2);

  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 1);
  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  ASSERT_TRUE(doctor.doc.is_object()) << doctor.process.out;
  std::set<std::string> keys;
  for (const auto& [key, value] : doctor.doc.items()) {
    keys.insert(key);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"database", "ok", "findings"}));
  EXPECT_EQ(doctor.doc.value("database", ""), project.config().redacted_url);
  EXPECT_EQ(doctor.doc["ok"], Json(false));
  ASSERT_TRUE(doctor.doc["findings"].is_array());
  ASSERT_FALSE(doctor.doc["findings"].empty());
  for (const Json& finding : doctor.doc["findings"]) {
    std::set<std::string> fields;
    for (const auto& [key, value] : finding.items()) {
      fields.insert(key);
    }
    EXPECT_EQ(fields, (std::set<std::string>{"code", "level", "message", "fix", "fixed"}))
        << finding.dump();
    EXPECT_TRUE(finding["code"].is_string() && !finding["code"].get<std::string>().empty());
    EXPECT_TRUE(finding["message"].is_string() && !finding["message"].get<std::string>().empty());
    EXPECT_TRUE(finding["fix"].is_string() && !finding["fix"].get<std::string>().empty());
    EXPECT_TRUE(finding["fixed"].is_boolean());
    const std::string level = finding.value("level", "");
    EXPECT_TRUE(level == "error" || level == "warning" || level == "info") << level;
  }
  EXPECT_NE(doctor.finding("partial-migration"), nullptr) << doctor.codes();
  EXPECT_TRUE(doctor.process.err.empty()) << "--json prints the document only\n"
                                          << doctor.process.err;
}

// ---- 12. The version table lost while the ledger remembers ----

TEST_P(RecoveryTest, ALostVersionTableIsRefusedWithTheLedgersStateAndTheStampThatRestoresIt) {
  Project project(GetParam(), "lost_version_table");
  project.add({"a1",
               {},
               "CREATE TABLE counter (n INTEGER);\nINSERT INTO counter VALUES (0);",
               "DROP TABLE counter;",
               {},
               "counter"});
  project.add({"a2",
               {"a1"},
               "UPDATE counter SET n = n + 1;",
               "UPDATE counter SET n = n - 1;",
               {},
               "count once"});
  project.add({"a3", {"a2"}, "CREATE TABLE notes (id INTEGER);", "DROP TABLE notes;", {}, "notes"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  // The ledger's last state is a2: an upgrade adds, a downgrade takes away.
  ASSERT_EQ(retort(project, {"downgrade", "a2"}).exit_code, 0);
  const Strings counted{"1"};
  ASSERT_EQ(project.query_rows("SELECT n FROM counter"), counted);
  project.db().execute("DROP TABLE retort_version");
  const std::size_t ledger_size = project.ledger().size();
  const std::string schema_before = project.schema();

  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  const Json* lost = doctor.finding("version-table-lost");
  ASSERT_NE(lost, nullptr) << doctor.codes();
  EXPECT_EQ(lost->value("level", ""), "error");
  EXPECT_TRUE(has(lost->value("message", ""),
                  "the version table retort_version does not exist, but the ledger retort_log "
                  "says the database is at a2 (its last run: downgrade a3, "));
  EXPECT_TRUE(has(lost->value("fix", ""), "retort stamp a2 --reason \"...\""));

  for (const Strings& args : {Strings{"upgrade", "head"}, Strings{"downgrade", "base"}}) {
    const ProcessResult refused = retort(project, args);
    EXPECT_EQ(refused.exit_code, 1) << args[0] << "\n" << shown(refused);
    EXPECT_TRUE(has(refused.err,
                    "the version table retort_version does not exist, but the "
                    "ledger retort_log says the database is at a2"));
    EXPECT_TRUE(has(refused.err, "database: nothing was run; the database is as it was"));
    EXPECT_TRUE(has(refused.err,
                    "next: check that the schema has what the ledger says, then "
                    "restore the version table: retort stamp a2 --reason \"...\""));
  }
  EXPECT_EQ(project.query_rows("SELECT n FROM counter"), counted) << "no UPDATE ran twice";
  EXPECT_EQ(project.schema(), schema_before);
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"});
  EXPECT_EQ(project.ledger().size(), ledger_size);
  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 1) << shown(check);
  EXPECT_TRUE(has(check.out, "retort stamp a2"));

  // The way out the messages name.
  const ProcessResult stamped = retort(project, {"stamp", "a2", "--reason", "INC-7: table lost"});
  EXPECT_EQ(stamped.exit_code, 0) << shown(stamped);
  EXPECT_EQ(project.version_rows(), Strings{"a2"});
  const ProcessResult upgrade = retort(project, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << shown(upgrade);
  EXPECT_EQ(project.version_rows(), Strings{"a3"});
  EXPECT_EQ(project.query_rows("SELECT n FROM counter"), counted);

  // Emptied rather than dropped: the same refusal, in its words.
  project.db().execute("DELETE FROM retort_version");
  const ProcessResult emptied = retort(project, {"upgrade", "head"});
  EXPECT_EQ(emptied.exit_code, 1) << shown(emptied);
  EXPECT_TRUE(has(emptied.err,
                  "the version table retort_version is empty, but the ledger "
                  "retort_log says the database is at a3 (its last run: upgrade a3"));
  EXPECT_EQ(project.query_rows("SELECT n FROM counter"), counted);
  EXPECT_TRUE(project.version_rows().empty());

  // A database taken back to base is at base: its empty table is no loss.
  ASSERT_EQ(retort(project, {"stamp", "a3"}).exit_code, 0);
  ASSERT_EQ(retort(project, {"downgrade", "base"}).exit_code, 0);
  EXPECT_TRUE(project.version_rows().empty());
  const Doctor at_base = doctor_json(project);
  EXPECT_EQ(at_base.finding("version-table-lost"), nullptr) << at_base.codes();
  const ProcessResult again = retort(project, {"upgrade", "head"});
  EXPECT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_EQ(project.query_rows("SELECT n FROM counter"), counted);
}

TEST_P(RecoveryTest, AVersionTableTooLongForItsPrimaryKeysNameIsAnInputErrorBeforeAnyWrite) {
  Project project(GetParam(), "long_version_table");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  const std::string too_long(63, 'v');
  write_config(project, "version_table = \"" + too_long + "\"\n");
  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err,
                  "retort.toml:4: error: retort.version_table must be at most 59 "
                  "characters (this one has 63)"));
  EXPECT_TRUE(has(refused.err, "the longest version_table is 59 characters"));
  EXPECT_TRUE(project.tables().empty());
  EXPECT_FALSE(table_exists(project, too_long));
  EXPECT_FALSE(table_exists(project, "retort_log"));

  // The longest name that fits: its primary key is named as retort and Alembic name it.
  const std::string longest(59, 'v');
  write_config(project, "version_table = \"" + longest + "\"\n");
  const ProcessResult upgrade = retort(project, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << shown(upgrade);
  EXPECT_EQ(project.query_rows("SELECT version_num FROM " + longest), Strings{"a1"});
  const Strings key =
      postgres() ? project.query_rows(
                       "SELECT conname FROM pg_constraint WHERE contype = 'p' AND "
                       "conrelid = to_regclass('" +
                       longest + "')")
                 : project.query_rows("SELECT sql LIKE '%CONSTRAINT " + longest +
                                      "_pkc PRIMARY KEY%' FROM sqlite_master WHERE name = '" +
                                      longest + "'");
  EXPECT_EQ(key, Strings{postgres() ? longest + "_pkc" : "1"});
  EXPECT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0) << "found again by its name";
}

// ---- 13. A revision and its ancestor in the version table ----

TEST_P(RecoveryTest, ARevisionListedWithItsAncestorIsRefusedUntilStampPurgeWritesTheHead) {
  Project project(GetParam(), "row_below_row");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add(
      {"a2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "DROP TABLE orders;", {}, "orders"});
  project.add({"a3", {"a2"}, "CREATE TABLE notes (id INTEGER);", "DROP TABLE notes;", {}, "notes"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a2"}).exit_code, 0);
  project.db().execute("INSERT INTO retort_version VALUES ('a1')");
  const std::size_t ledger_size = project.ledger().size();
  const std::string schema_before = project.schema();

  for (const Strings& args :
       {Strings{"upgrade", "head"}, Strings{"downgrade", "base"}, Strings{"stamp", "a3"}}) {
    const ProcessResult refused = retort(project, args);
    EXPECT_EQ(refused.exit_code, 1) << args[0] << "\n" << shown(refused);
    EXPECT_TRUE(has(refused.err, "the version table lists both a2 and its ancestor a1"));
    EXPECT_TRUE(has(refused.err, "database: nothing was run; the database is as it was"));
    EXPECT_TRUE(has(refused.err, "next: retort stamp --purge a2 --reason \"...\""));
  }
  EXPECT_EQ(project.schema(), schema_before);
  EXPECT_EQ(project.version_rows(), (Strings{"a1", "a2"}));
  EXPECT_EQ(project.ledger().size(), ledger_size);

  const ProcessResult purged =
      retort(project, {"stamp", "--purge", "a2", "--reason", "row a1 added by hand"});
  EXPECT_EQ(purged.exit_code, 0) << shown(purged);
  EXPECT_EQ(project.version_rows(), Strings{"a2"});
  const ProcessResult upgrade = retort(project, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << shown(upgrade);
  EXPECT_EQ(project.version_rows(), Strings{"a3"});
  EXPECT_EQ(project.tables(), (Strings{"notes", "orders", "users"}));
}

// ---- 14. Two version tables in one schema ----

TEST_P(RecoveryTest, TwoVersionTablesInOneSchemaEachSeeOnlyTheirOwnLedgerRows) {
  Project first(GetParam(), "shared_a");
  const std::string b2 = add_partial_history(first);
  write_config(first, "version_table = \"a_version\"\n");
  first.config().version_table = "a_version";
  ASSERT_EQ(retort(first, {"upgrade", "head"}).exit_code, 1) << "b2 stops half way";
  const Strings first_rows = first.query_rows(
      "SELECT id, revision, status, statements_done, error FROM retort_log ORDER BY id");

  // A second project in the same database and schema, with its own version table.
  Project second(GetParam(), "shared_b");
  second.add({"x1", {}, "CREATE TABLE things (id INTEGER);", "DROP TABLE things;", {}, "things"});
  write_config(second, "version_table = \"b_version\"\n", first.config().url);
  const ProcessResult upgrade = retort(second, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << "the first project's partial b2 is not this one's\n"
                                  << shown(upgrade);
  const ProcessResult doctor = retort(second, {"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << shown(doctor);
  EXPECT_TRUE(has(doctor.out, "No problems found on "));
  const ProcessResult current = retort(second, {"current", "-v"});
  EXPECT_TRUE(lacks(current.out, "b2")) << shown(current);

  EXPECT_EQ(first.query_rows("SELECT version_num FROM b_version"), Strings{"x1"});
  EXPECT_EQ(first.query_rows("SELECT revision, version_table FROM retort_log WHERE "
                             "version_table = 'b_version' ORDER BY id"),
            Strings{"x1|b_version"});
  const Strings first_rows_after = first.query_rows(
      "SELECT id, revision, status, statements_done, error FROM retort_log WHERE version_table "
      "= 'a_version' ORDER BY id");
  EXPECT_EQ(first_rows_after, first_rows) << "the first project's rows are as it left them";

  // And the first project still sees its own partial migration, and only that.
  const ProcessResult refused = retort(first, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err, "revision b2 (unique v) is partially applied"));
  const Doctor first_doctor = doctor_json(first);
  EXPECT_NE(first_doctor.finding("partial-migration"), nullptr) << first_doctor.codes();
  EXPECT_TRUE(lacks(first_doctor.process.out, "x1"));
}

#if RETORT_TEST_POSTGRES

// ---- 4. A concurrent index build that fails leaves an INVALID index ----

// a1: items with a duplicate v; b2 (`transaction false`): a log row, the unique index built
// concurrently (fails on the duplicate), a table.
void add_concurrent_history(Project& project, bool index_first) {
  project.add({"a1",
               {},
               "CREATE TABLE run_log (msg TEXT);\n"
               "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER);\n"
               "INSERT INTO items VALUES (1, 10), (2, 10), (3, 30);",
               "",
               {},
               "log and items"});
  const std::string index = "CREATE UNIQUE INDEX CONCURRENTLY items_v_key ON items (v);\n";
  const std::string log = "INSERT INTO run_log VALUES ('b2 statement');\n";
  project.add({"b2",
               {"a1"},
               (index_first ? index + log : log + index) + "CREATE TABLE b2_last (id INTEGER);",
               "",
               {"transaction false"},
               "unique v"});
}

Strings index_validity(Project& project) {
  return project.query_rows(
      "SELECT indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('items_v_key')");
}

// CREATE INDEX CONCURRENTLY in a transactional migration would fail on the server after the
// statements before it ran in the same transaction; retort refuses the file before anything
// runs, naming the statement and the header that makes it run alone.
TEST(RecoveryPostgresTest, ConcurrentlyInATransactionalMigrationIsRefusedBeforeAnythingRuns) {
  Project project(Backend::postgres, "concurrently_in_transaction");
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "items"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE other (id INTEGER);\n"
               "CREATE INDEX CONCURRENTLY items_id ON items (id);",
               "DROP TABLE other;",
               {},
               "index items"});
  write_config(project);

  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block"))
      << shown(refused);
  EXPECT_TRUE(has(refused.err, "retort:transaction false")) << shown(refused);
  EXPECT_EQ(project.tables(), Strings{}) << "nothing ran, not even a1";
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"}) << "nothing was written";
}

TEST(RecoveryPostgresTest, AFailedConcurrentIndexIsReportedInvalidAndBuiltAgainOnResume) {
  Project project(Backend::postgres, "invalid_index");
  add_concurrent_history(project, false);
  write_config(project);

  const ProcessResult failed = retort(project, {"upgrade", "head"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.err, "revision b2 is partially applied: 1 of 3 statements ran"));
  EXPECT_EQ(index_validity(project), Strings{"false"}) << "the failed build leaves it INVALID";

  const Doctor doctor = doctor_json(project);
  EXPECT_EQ(doctor.process.exit_code, 1) << shown(doctor.process);
  const Json* invalid = doctor.finding("invalid-index");
  ASSERT_NE(invalid, nullptr) << doctor.codes();
  EXPECT_EQ(invalid->value("level", ""), "error");
  EXPECT_TRUE(has(invalid->value("message", ""), "items_v_key"));
  EXPECT_TRUE(has(invalid->value("message", ""), "is INVALID"));
  EXPECT_TRUE(has(invalid->value("message", ""), "made by b2"));
  EXPECT_TRUE(has(invalid->value("fix", ""), "retort upgrade --resume"));
  EXPECT_NE(doctor.finding("partial-migration"), nullptr) << doctor.codes();

  project.db().execute("DELETE FROM items WHERE id = 2");
  const ProcessResult resumed = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << shown(resumed);
  EXPECT_TRUE(
      has(resumed.err, "b2: dropped the INVALID index \"items_v_key\" that the statement at "));
  EXPECT_EQ(index_validity(project), Strings{"true"});
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 1);
  const Doctor clean = doctor_json(project);
  EXPECT_EQ(clean.process.exit_code, 0) << shown(clean.process);
  EXPECT_EQ(clean.finding("invalid-index"), nullptr) << clean.codes();
}

// A runner killed while its statement runs leaves an orphan on the server: the statement goes
// on until the server learns its client is gone. retort's own session asks PostgreSQL 14+ to
// check the connection every second, so on a healthy network the orphan ends soon; but when the
// client's connections were not closed (a host gone from the network, a NAT or proxy that keeps
// the server side open) the server learns nothing until the statement ends. The runner reaches
// the server through a proxy that keeps the server side of its connections open after the
// kill; the dead runner's idle lock session is ended by hand, as TCP keepalive would end it.
struct Orphan {
  std::unique_ptr<TcpProxy> proxy;
  std::string backend_pid;
};

Orphan orphan_a_slow_statement(Project& project, int sleep_seconds) {
  project.add({"a1", {}, "CREATE TABLE t (id INTEGER);", "DROP TABLE t;", {}, "t"});
  const std::string sleep = "SELECT pg_sleep(" + std::to_string(sleep_seconds) + ")";
  project.add({"b2",
               {"a1"},
               "INSERT INTO t VALUES (1);\n" + sleep + ";\nINSERT INTO t VALUES (2);",
               "",
               {"transaction false"},
               "slow"});
  Orphan orphan;
  const base::DatabaseUrl direct = base::parse_database_url(project.config().url).value();
  orphan.proxy = std::make_unique<TcpProxy>(std::stoi(direct.port));
  orphan.proxy->hold_server_side(true);
  std::string through_proxy = project.config().url;
  const std::size_t at = through_proxy.find(":" + direct.port + "/");
  if (at != std::string::npos) {
    through_proxy.replace(at + 1, direct.port.size(), std::to_string(orphan.proxy->port()));
  }
  EXPECT_NE(through_proxy, project.config().url);
  EXPECT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  Process victim({retort_binary().string(), "--url", through_proxy, "upgrade", "head"},
                 in(project));
  const std::string running =
      "FROM pg_stat_activity WHERE state = 'active' AND query LIKE '" + sleep + "%'";
  EXPECT_TRUE(wait_for([&] { return count(project, "SELECT count(*) " + running) > 0; }))
      << "the slow statement never started";
  const Strings backend = project.query_rows(
      "SELECT backend_pid FROM retort_log WHERE revision = 'b2' ORDER BY id DESC LIMIT 1");
  EXPECT_EQ(backend, project.query_rows("SELECT pid::text " + running))
      << "the ledger names the server session that runs the step";
  orphan.backend_pid = backend.empty() ? "" : backend[0];
  victim.kill(SIGKILL);
  (void)victim.wait();
  // The dead runner's lock session, idle, ends as keepalive would end it; its statement runs on.
  (void)project.query_rows(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> "
      "pg_backend_pid()");
  EXPECT_TRUE(wait_for([&] {
    return count(project, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0;
  })) << "the dead runner's lock session did not end";
  EXPECT_EQ(count(project, "SELECT count(*) " + running), 1)
      << "the orphaned statement still runs: the scenario holds";
  return orphan;
}

TEST(RecoveryPostgresTest, TheNextRunnerWaitsWhileAKilledRunnersStatementStillRunsOnTheServer) {
  Project project(Backend::postgres, "orphaned_statement");
  write_config(project, "[retort.postgres]\nlock_wait = \"60s\"\n");
  Orphan orphan = orphan_a_slow_statement(project, 2);
  ASSERT_FALSE(orphan.backend_pid.empty());
  const Strings ledger_before = ledger_of(project, "b2");

  Process next_runner({retort_binary().string(), "upgrade", "head"}, in(project));
  // The orphan's statement ends; its transaction stays open, waiting for a client that is gone.
  // The next runner must still not touch b2: the session could yet be holding locks and rows.
  ASSERT_TRUE(wait_for([&] {
    return project.query_rows("SELECT state FROM pg_stat_activity WHERE pid = " +
                              orphan.backend_pid) == Strings{"idle in transaction"};
  }));
  EXPECT_EQ(ledger_of(project, "b2"), ledger_before) << "nothing touched b2 beside the orphan";
  // The network at last tells the server its client is gone: the orphan's session ends.
  orphan.proxy->release_held();
  const ProcessResult next = next_runner.wait();

  EXPECT_TRUE(has(next.err,
                  "b2: its runner is gone, but its statement still runs on the server as server "
                  "pid " +
                      orphan.backend_pid + " ("));
  EXPECT_TRUE(has(next.err, "waiting for it to end (up to lock_wait, 1m)"));
  EXPECT_TRUE(has(next.err, "upgrade b2: interrupted: its runner"));
  EXPECT_EQ(next.exit_code, 1) << "partially applied: statement 1 ran\n" << shown(next);
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const ProcessResult resumed = retort(project, {"upgrade", "--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << shown(resumed);
  EXPECT_EQ(project.query_rows("SELECT id FROM t ORDER BY id"), (Strings{"1", "2"}));
}

TEST(RecoveryPostgresTest, AnOrphanedStatementThatOutlastsLockWaitEndsTheNextRunWithExitThree) {
  Project project(Backend::postgres, "orphan_past_lock_wait");
  write_config(project, "[retort.postgres]\nlock_wait = \"1s\"\n");
  const Orphan orphan = orphan_a_slow_statement(project, 30);
  ASSERT_FALSE(orphan.backend_pid.empty());
  const Strings ledger_before = ledger_of(project, "b2");

  const ProcessResult next = retort(project, {"upgrade", "head"});
  EXPECT_EQ(next.exit_code, 3) << shown(next);
  EXPECT_TRUE(has(next.err,
                  "the statement of the runner that was interrupted while applying b2 still "
                  "runs on the server: server pid " +
                      orphan.backend_pid));
  EXPECT_TRUE(has(next.err, "SELECT pg_terminate_backend(" + orphan.backend_pid + ")"));
  EXPECT_TRUE(has(next.err, "nothing was run by this process"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(ledger_of(project, "b2"), ledger_before) << "the ledger is left as the orphan left it";
  EXPECT_EQ(project.query_rows("SELECT id FROM t ORDER BY id"), Strings{"1"});

  // Ended as the advice says, the next run goes on to find the step interrupted (the first test
  // shows --resume finishing it).
  (void)project.query_rows("SELECT pg_terminate_backend(" + orphan.backend_pid + ")");
  const ProcessResult after = retort(project, {"upgrade", "head"});
  EXPECT_EQ(after.exit_code, 1) << shown(after);
  EXPECT_TRUE(has(after.err, "upgrade b2: interrupted: its runner"));
  EXPECT_TRUE(has(after.err, "retort upgrade --resume"));
}

TEST(RecoveryPostgresTest, AConcurrentIndexThatFailedAsTheFirstStatementIsBuiltAgainByTheNextRun) {
  Project project(Backend::postgres, "invalid_index_first");
  add_concurrent_history(project, true);
  write_config(project);

  const ProcessResult failed = retort(project, {"upgrade", "head"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.err, "revision b2 stopped at its first statement, so nothing of it ran"));
  EXPECT_EQ(index_validity(project), Strings{"false"});
  const Doctor doctor = doctor_json(project);
  const Json* invalid = doctor.finding("invalid-index");
  ASSERT_NE(invalid, nullptr) << doctor.codes();
  EXPECT_TRUE(has(invalid->value("message", ""), "made by b2"));
  EXPECT_EQ(count(project, "SELECT count(*) FROM run_log"), 0) << "nothing of b2 ran";

  // The data mended, the command doctor gives as the fix must do it.
  project.db().execute("DELETE FROM items WHERE id = 2");
  const std::string advice = invalid->value("fix", "");
  Strings advised_args;
  if (advice.starts_with("retort ")) {
    std::istringstream words(advice.substr(0, advice.find("   (")).substr(7));
    for (std::string word; words >> word;) {
      advised_args.push_back(word);
    }
  }
  ASSERT_FALSE(advised_args.empty()) << "the fix is a retort command: " << advice;
  const ProcessResult advised = retort(project, advised_args);
  EXPECT_EQ(advised.exit_code, 0) << "doctor's fix `" << advice << "` failed\n" << shown(advised);
  // Without --resume (nothing of b2 ran, so nothing is partial), the next run rebuilds it.
  const ProcessResult again =
      advised.exit_code == 0 ? advised : retort(project, {"upgrade", "head"});
  EXPECT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_TRUE(
      has(again.err, "b2: dropped the INVALID index \"items_v_key\" that the statement at "));
  EXPECT_EQ(index_validity(project), Strings{"true"});
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
}

// ---- 14. Two version tables in one schema: a live run of the other project ----

TEST(RecoveryPostgresTest, AnotherVersionTablesRunningRowIsLeftAloneWhileItRuns) {
  Project first(Backend::postgres, "live_a");
  first.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "", {}, "users"});
  first.add({"a2", {"a1"}, "SELECT pg_sleep(3);\nCREATE TABLE slow (id INTEGER);", "", {}, "slow"});
  write_config(first, "version_table = \"a_version\"\n");
  first.config().version_table = "a_version";
  Project second(Backend::postgres, "live_b");
  second.add({"x1", {}, "CREATE TABLE things (id INTEGER);", "", {}, "things"});
  write_config(second, "version_table = \"b_version\"\n", first.config().url);

  Process live({retort_binary().string(), "upgrade", "head"}, in(first));
  ASSERT_TRUE(wait_for([&] {
    // The ledger is created by the run.
    return first.query_rows(
               "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
               "'SELECT pg_sleep(3)%' AND state = 'active'") == Strings{"1"};
  })) << "a2 never started";
  ASSERT_EQ(first.query_rows("SELECT status FROM retort_log WHERE revision = 'a2'"),
            Strings{"running"});
  const ProcessResult upgrade = retort(second, {"upgrade", "head"});
  EXPECT_EQ(upgrade.exit_code, 0) << shown(upgrade);
  EXPECT_TRUE(lacks(upgrade.err, "a2")) << "the other project's run is not this one's business";
  EXPECT_EQ(first.query_rows("SELECT status, error FROM retort_log WHERE revision = 'a2'"),
            Strings{"running|NULL"})
      << "the live run's row is left alone";

  const ProcessResult finished = live.wait();
  EXPECT_EQ(finished.exit_code, 0) << shown(finished);
  EXPECT_EQ(first.query_rows("SELECT status, error FROM retort_log WHERE revision = 'a2'"),
            Strings{"ok|NULL"});
  EXPECT_EQ(first.version_rows(), Strings{"a2"});
  EXPECT_EQ(first.query_rows("SELECT version_num FROM b_version"), Strings{"x1"});
}

#endif

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

#if RETORT_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, RecoveryTest, ::testing::Values(Backend::postgres), name_of);
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, RecoveryTest, ::testing::Values(Backend::sqlite), name_of);
#endif

}  // namespace
}  // namespace retort::test
