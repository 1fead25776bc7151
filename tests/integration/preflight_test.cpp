// `retort preflight` through the binary, on a real SQLite file and (in the postgres build of this
// file) a real PostgreSQL 15: the pending steps with their estimates from the file's header and
// from the ledger, max_step_runtime, the run's timeouts, connection headroom, sessions that hold
// or wait for locks on the tables a pending migration changes, replica lag, steps marked for a
// maintenance window, free disk against the tables a step rewrites, redacted replica URLs, bad
// [retort.preflight] / [retort.replicas] values, and that preflight writes nothing.
#include "base/url.hpp"
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

// Preflight only reads: a run that takes this long waits behind a lock it must not take.
constexpr std::chrono::seconds k_preflight_timeout{30};

using Strings = std::vector<std::string>;
using Json = nlohmann::json;

// `retort preflight --json ...`: the one document it prints, and its exit code.
struct Preflight {
  ProcessResult process;
  Json doc;

  // The check with this code, or an empty object.
  [[nodiscard]] Json check(const std::string& code) const {
    if (doc.contains("checks")) {
      for (const Json& item : doc["checks"]) {
        if (item.value("code", "") == code) {
          return item;
        }
      }
    }
    return Json::object();
  }
  [[nodiscard]] std::string status(const std::string& code) const {
    return check(code).value("status", "<missing>");
  }
  [[nodiscard]] std::string message(const std::string& code) const {
    return check(code).value("message", "");
  }
  [[nodiscard]] std::string fix(const std::string& code) const {
    return check(code).value("fix", "");
  }
  // "pending=pass timeouts=warn ...", in the order printed.
  [[nodiscard]] std::string statuses() const {
    std::string out;
    if (doc.contains("checks")) {
      for (const Json& item : doc["checks"]) {
        out += (out.empty() ? "" : " ") + item.value("code", "?") + "=" + item.value("status", "?");
      }
    }
    return out;
  }
  [[nodiscard]] Strings step_revisions() const {
    Strings out;
    if (doc.contains("steps")) {
      for (const Json& step : doc["steps"]) {
        out.push_back(step.value("revision", "?"));
      }
    }
    return out;
  }
};

Preflight preflight_json(const Project& project, const Strings& extra = {},
                         const std::map<std::string, std::string>& env = {}) {
  Strings args{"preflight"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.emplace_back("--json");
  Preflight out{retort(project, args, env, k_preflight_timeout), {}};
  EXPECT_FALSE(out.process.timed_out) << "preflight blocked\n" << shown(out.process);
  try {
    out.doc = Json::parse(out.process.out);
  } catch (const Json::exception& error) {
    ADD_FAILURE() << "preflight --json did not print one JSON document: " << error.what() << "\n"
                  << shown(out.process);
  }
  return out;
}

ProcessResult preflight_text(const Project& project, const Strings& extra = {}) {
  Strings args{"preflight"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult result = retort(project, args, {}, k_preflight_timeout);
  EXPECT_FALSE(result.timed_out) << "preflight blocked\n" << shown(result);
  return result;
}

[[maybe_unused]] bool wait_for(const std::function<bool()>& condition, int polls = 800) {
  for (int poll_idx = 0; poll_idx < polls; ++poll_idx) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// Statements that take a measurable moment, so that the ledger records a duration.
std::string some_work(Backend backend) {
  return backend == Backend::postgres
             ? "SELECT pg_sleep(0.3);"
             : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
               "SELECT count(*) FROM c;";
}

// Every table of the database, retort's own included.
Strings all_tables(Project& project) {
  return project.query_rows(
      project.backend() == Backend::sqlite
          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
          : "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE "
            "table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
}

class PreflightTest : public ::testing::TestWithParam<Backend> {
 protected:
  [[nodiscard]] bool postgres() const { return GetParam() == Backend::postgres; }
  [[nodiscard]] Strings all_codes() const {
    return postgres() ? Strings{"pending", "timeouts",    "primary",  "privileges",
                                "lint",    "connections", "blockers", "replica-lag",
                                "disk",    "backup",      "rollback"}
                      : Strings{"pending", "timeouts", "backup", "rollback"};
  }
  static Strings codes(const Preflight& result) {
    Strings out;
    for (const Json& item : result.doc.value("checks", Json::array())) {
      out.push_back(item.value("code", "?"));
    }
    return out;
  }
};

// ---- 1. Nothing pending ----

TEST_P(PreflightTest, NothingPendingPassesEveryCheckAndSaysThereIsNothingToRun) {
  Project project(GetParam(), "pf_nothing");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  write_config(project);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_EQ(result.doc.value("ok", false), true) << result.process.out;
  EXPECT_EQ(result.doc.value("target", ""), "head");
  EXPECT_EQ(result.doc.value("database", ""), project.config().redacted_url);
  EXPECT_TRUE(result.doc["steps"].is_array() && result.doc["steps"].empty()) << result.process.out;
  EXPECT_EQ(codes(result), all_codes()) << result.process.out;
  for (const Json& check : result.doc["checks"]) {
    EXPECT_EQ(check.value("status", ""), "pass") << result.process.out;
    EXPECT_EQ(check.value("fix", "?"), "") << "a pass has no fix: " << result.process.out;
  }
  EXPECT_EQ(result.message("pending"), "nothing to run: the database is at the target");

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out,
                  "Preflight of `retort upgrade head` on " + project.config().redacted_url + "\n"));
  EXPECT_TRUE(has(text.out, "\npass pending: nothing to run: the database is at the target\n"));
  EXPECT_TRUE(lacks(text.out, "fix:"));
  EXPECT_TRUE(lacks(text.out, "[1/"));
  if (postgres()) {
    EXPECT_TRUE(has(text.out,
                    "pass timeouts: lock_timeout 2s, 10 retries; statement_timeout "
                    "none\n"));
    EXPECT_TRUE(has(text.out,
                    "pass replica-lag: no replicas: none in pg_stat_replication, none "
                    "in [retort.replicas] urls\n"));
  } else {
    EXPECT_TRUE(has(text.out,
                    "pass timeouts: SQLite: a writer waits for the database lock; no "
                    "lock_timeout applies\n"));
  }
}

// ---- 2. Pending steps and their estimates ----

TEST_P(PreflightTest, PendingStepsAreListedInOrderWithHeaderEstimatesAndWarnWithoutOne) {
  Project project(GetParam(), "pf_pending");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY);",
               "DROP TABLE items;",
               {"estimate 40m"},
               "create items"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE notes (id INTEGER PRIMARY KEY);",
               "DROP TABLE notes;",
               {"transaction false"},
               "create notes"});
  write_config(project);

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << "a warning is not a failure\n" << shown(result.process);
  EXPECT_EQ(result.doc.value("ok", false), true);
  EXPECT_EQ(result.step_revisions(), (Strings{"a1", "b2"})) << result.process.out;
  ASSERT_EQ(result.doc["steps"].size(), 2U) << result.process.out;
  const Json& a1 = result.doc["steps"][0];
  EXPECT_EQ(a1.value("message", ""), "create items");
  EXPECT_EQ(a1.value("transactional", false), true);
  EXPECT_EQ(a1["estimate_ms"], Json(40 * 60 * 1000));
  EXPECT_EQ(a1.value("estimate_source", "?"), "header");
  const Json& b2 = result.doc["steps"][1];
  EXPECT_EQ(b2.value("message", ""), "create notes");
  EXPECT_EQ(b2.value("transactional", true), false);
  EXPECT_TRUE(b2["estimate_ms"].is_null()) << result.process.out;
  EXPECT_EQ(b2.value("estimate_source", "?"), "");
  EXPECT_EQ(result.status("pending"), "warn");
  EXPECT_EQ(result.message("pending"),
            "2 steps to run, 40m estimated (1 without an estimate); no estimate for b2");
  EXPECT_EQ(result.fix("pending"),
            "time each on prod-shaped data in staging and carry the timings over (`retort "
            "timings export > timings.json` there, `retort timings import timings.json` here), "
            "or write it in the file's header: -- retort:estimate 40m");

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out, "  [1/2] a1 create items: estimate 40m00s (-- retort:estimate)\n"));
  EXPECT_TRUE(has(text.out, "  [2/2] b2 create notes (no transaction): no estimate\n"));
  EXPECT_TRUE(has(text.out,
                  "\nwarn pending: 2 steps to run, 40m estimated (1 without an "
                  "estimate); no estimate for b2\n  fix: time each on prod-shaped "
                  "data in staging and carry the timings over"));

  // A target short of head: only its steps.
  const Preflight to_a1 = preflight_json(project, {"a1"});
  EXPECT_EQ(to_a1.process.exit_code, 0) << shown(to_a1.process);
  EXPECT_EQ(to_a1.doc.value("target", ""), "a1");
  EXPECT_EQ(to_a1.step_revisions(), Strings{"a1"});
  EXPECT_EQ(to_a1.status("pending"), "pass");
  EXPECT_EQ(to_a1.message("pending"), "1 step to run, 40m estimated");
}

TEST_P(PreflightTest, StagingTimingsImportedHereEstimateThePendingStepsWhoseFilesMatch) {
  const auto add_history = [](Project& project, const std::string& b2_sql) {
    project.add({"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "", {}, "items"});
    project.add({"b2", {"a1"}, b2_sql, "", {}, "notes"});
  };
  // Staging ran both steps and exports their durations.
  Project staging(GetParam(), "pf_staging");
  add_history(staging, "CREATE TABLE notes (id INTEGER);");
  write_config(staging);
  ASSERT_EQ(retort(staging, {"upgrade", "head"}).exit_code, 0);
  const ProcessResult exported = retort(staging, {"timings", "export"});
  ASSERT_EQ(exported.exit_code, 0) << shown(exported);
  const Json document = Json::parse(exported.out);
  ASSERT_EQ(document["timings"].size(), 2U) << exported.out;
  const std::int64_t b2_ms = document["timings"][1].value("duration_ms", std::int64_t{-1});
  EXPECT_EQ(document["timings"][1].value("revision", ""), "b2");
  EXPECT_EQ(document["timings"][1].value("source", ""), staging.config().redacted_url);
  const std::filesystem::path file = staging.dir() / "timings.json";
  std::ofstream(file) << exported.out;

  // Production has the same files, with b2 edited since staging timed it.
  Project production(GetParam(), "pf_production");
  add_history(production, "CREATE TABLE notes (id INTEGER, body TEXT);");
  write_config(production);
  const ProcessResult imported = retort(production, {"timings", "import", file.string()});
  EXPECT_EQ(imported.exit_code, 0) << shown(imported);
  EXPECT_TRUE(has(imported.out, "Imported 2 timings from "));
  const Preflight result = preflight_json(production);
  ASSERT_EQ(result.doc["steps"].size(), 2U) << result.process.out;
  EXPECT_EQ(result.doc["steps"][0].value("estimate_source", ""), "staging")
      << "a1 is the file staging ran";
  EXPECT_EQ(result.doc["steps"][1].value("estimate_source", "?"), "")
      << "b2 changed since staging timed it: " << result.process.out;

  // The same file as staging's: now b2 has staging's duration too.
  Project same(GetParam(), "pf_same");
  add_history(same, "CREATE TABLE notes (id INTEGER);");
  write_config(same);
  ASSERT_EQ(retort(same, {"timings", "import", file.string()}).exit_code, 0);
  const Preflight matched = preflight_json(same);
  ASSERT_EQ(matched.doc["steps"].size(), 2U) << matched.process.out;
  EXPECT_EQ(matched.doc["steps"][1].value("estimate_source", ""), "staging");
  EXPECT_EQ(matched.doc["steps"][1].value("estimate_ms", std::int64_t{-2}), b2_ms);

  std::ofstream(staging.dir() / "bad.json") << "{\"timings\": [{\"revision\": \"a1\"}]}";
  const ProcessResult bad =
      retort(same, {"timings", "import", (staging.dir() / "bad.json").string()});
  EXPECT_EQ(bad.exit_code, 2) << shown(bad);
  EXPECT_TRUE(has(bad.err, "is not a timings file: entry 1 lacks revision, direction, checksum"));
}

TEST_P(PreflightTest, ADowngradedRevisionPendingAgainIsEstimatedFromItsRunInTheLedger) {
  Project project(GetParam(), "pf_ledger");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  const std::string b2 =
      project.add({"b2",
                   {"a1"},
                   "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n" + some_work(GetParam()),
                   "DROP TABLE notes;",
                   {},
                   "create notes"});
  write_config(project);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  const ProcessResult down = retort(project, {"downgrade", "-1"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  ASSERT_EQ(project.version_rows(), Strings{"a1"});
  const Strings recorded = project.query_rows(
      "SELECT duration_ms FROM retort_log WHERE revision = 'b2' AND direction = 'upgrade' AND "
      "status = 'ok'");
  ASSERT_EQ(recorded.size(), 1U);
  const std::int64_t duration_ms = std::stoll(recorded[0]);
  if (postgres()) {
    EXPECT_GE(duration_ms, 300) << "b2 sleeps 0.3s";
  }

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  ASSERT_EQ(result.step_revisions(), Strings{"b2"}) << result.process.out;
  const Json& step = result.doc["steps"][0];
  EXPECT_EQ(step.value("estimate_source", "?"), "ledger") << result.process.out;
  EXPECT_EQ(step["estimate_ms"], Json(duration_ms)) << result.process.out;
  EXPECT_EQ(result.status("pending"), "pass") << result.process.out;
  EXPECT_TRUE(has(result.message("pending"), "1 step to run, ")) << result.process.out;

  const ProcessResult text = preflight_text(project);
  EXPECT_TRUE(has(text.out, "  [1/1] b2 create notes: estimate "));
  EXPECT_TRUE(has(text.out, " (an earlier run in this database)\n"));

  // Other statements than the ones that ran: the earlier run says nothing of them.
  {
    std::ofstream file(project.dir() / b2);
    file << "-- retort:revision b2\n-- retort:revises a1\n-- retort:message create notes\n\n"
            "-- retort:upgrade\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n\n"
            "-- retort:downgrade\nDROP TABLE notes;\n";
  }
  const Preflight edited = preflight_json(project);
  EXPECT_EQ(edited.process.exit_code, 0) << shown(edited.process);
  ASSERT_EQ(edited.doc["steps"].size(), 1U) << edited.process.out;
  EXPECT_EQ(edited.doc["steps"][0].value("estimate_source", "?"), "") << edited.process.out;
  EXPECT_TRUE(edited.doc["steps"][0]["estimate_ms"].is_null()) << edited.process.out;
  EXPECT_EQ(edited.status("pending"), "warn");
}

// ---- 3. max_step_runtime ----

TEST_P(PreflightTest, AStepEstimatedAboveMaxStepRuntimeFailsNamingTheRevision) {
  Project project(GetParam(), "pf_max_step");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY);",
               "DROP TABLE items;",
               {"estimate 30s"},
               "create items"});
  project.add({"b2",
               {"a1"},
               "CREATE INDEX items_id ON items (id);",
               "DROP INDEX items_id;",
               {"estimate 90s"},
               "index items"});
  write_config(project, "[retort.preflight]\nmax_step_runtime = \"1m\"\n");

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 1) << shown(result.process);
  EXPECT_EQ(result.doc.value("ok", true), false);
  EXPECT_EQ(result.status("pending"), "fail");
  EXPECT_EQ(result.message("pending"),
            "2 steps to run, 2m estimated; above max_step_runtime (1m): b2 (90s)");
  EXPECT_EQ(result.fix("pending"),
            "split the change into batches (a backfill) that stay under it, or run it in a "
            "maintenance window: mark its file `-- retort:maintenance_window true` and schedule "
            "the run in the window");
  // The other checks still ran.
  EXPECT_EQ(codes(result), all_codes()) << result.process.out;

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 1) << shown(text);
  EXPECT_TRUE(has(text.out,
                  "\nfail pending: 2 steps to run, 2m estimated; above "
                  "max_step_runtime (1m): b2 (90s)\n  fix: split the change into "
                  "batches"));
  EXPECT_TRUE(has(text.out, "  [2/2] b2 index items: estimate 1m30s (-- retort:estimate)\n"));

  // Under the limit: a pass, exit 0.
  write_config(project, "[retort.preflight]\nmax_step_runtime = \"2m\"\n");
  const Preflight under = preflight_json(project);
  EXPECT_EQ(under.process.exit_code, 0) << shown(under.process);
  EXPECT_EQ(under.status("pending"), "pass");
  EXPECT_EQ(under.message("pending"), "2 steps to run, 2m estimated");
}

// A step marked `-- retort:maintenance_window true` may run longer than max_step_runtime:
// preflight warns that the run belongs in the window instead of failing; an unmarked one beside
// it still fails. The run itself does nothing different.
TEST_P(PreflightTest, AStepMarkedForAMaintenanceWindowWarnsWhereAnUnmarkedOneFails) {
  Project project(GetParam(), "pf_window");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY);",
               "DROP TABLE items;",
               {"estimate 30s"},
               "create items"});
  project.add({"b2",
               {"a1"},
               "CREATE INDEX items_id ON items (id);",
               "DROP INDEX items_id;",
               {"estimate 90s", "maintenance_window true"},
               "index items"});
  project.add({"c3",
               {"b2"},
               "CREATE TABLE notes (id INTEGER);",
               "DROP TABLE notes;",
               {"estimate 2m", "maintenance_window false"},
               "create notes"});
  write_config(project, "[retort.preflight]\nmax_step_runtime = \"1m\"\n");

  const Preflight both = preflight_json(project);
  EXPECT_EQ(both.process.exit_code, 1) << shown(both.process);
  EXPECT_EQ(both.status("pending"), "fail");
  EXPECT_EQ(both.message("pending"),
            "3 steps to run, 4m estimated; above max_step_runtime (1m): c3 (2m); marked for a "
            "maintenance window, above max_step_runtime (1m): b2 (90s)");
  EXPECT_TRUE(has(both.fix("pending"), "mark its file `-- retort:maintenance_window true`"));

  const Preflight marked = preflight_json(project, {"b2"});
  EXPECT_EQ(marked.process.exit_code, 0) << "a warning is not a failure\n" << shown(marked.process);
  EXPECT_EQ(marked.status("pending"), "warn");
  EXPECT_EQ(marked.message("pending"),
            "2 steps to run, 2m estimated; marked for a maintenance window, above "
            "max_step_runtime (1m): b2 (90s)");
  EXPECT_EQ(marked.fix("pending"),
            "schedule the run in the maintenance window, with time for b2 (90s)");
  const ProcessResult text = preflight_text(project, {"b2"});
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out,
                  "\nwarn pending: 2 steps to run, 2m estimated; marked for a maintenance "
                  "window, above max_step_runtime (1m): b2 (90s)\n  fix: schedule the run in the "
                  "maintenance window, with time for b2 (90s)\n"));

  // The marker changes nothing in the run: the marked step runs as any other.
  const ProcessResult up = retort(project, {"upgrade", "b2"});
  EXPECT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  const Preflight rest = preflight_json(project);
  EXPECT_EQ(rest.step_revisions(), Strings{"c3"});
  EXPECT_EQ(rest.status("pending"), "fail") << "maintenance_window false is no mark";

  // Without max_step_runtime nothing is too long, marked or not.
  write_config(project);
  EXPECT_EQ(preflight_json(project).status("pending"), "pass");
}

TEST_P(PreflightTest, AMaintenanceWindowValueOtherThanTrueOrFalseIsAnInputErrorNamingTheLine) {
  Project project(GetParam(), "pf_window_bad");
  const std::string file = project.add({"a1",
                                        {},
                                        "CREATE TABLE items (id INTEGER PRIMARY KEY);",
                                        "DROP TABLE items;",
                                        {"maintenance_window yes"},
                                        "create items"});
  write_config(project);
  const ProcessResult result = preflight_text(project);
  EXPECT_EQ(result.exit_code, 2) << shown(result);
  EXPECT_TRUE(has(result.err, file + ":")) << "the error names the file";
  EXPECT_TRUE(has(result.err, "`-- retort:maintenance_window` is `yes`; it takes true or false"));
  EXPECT_TRUE(has(result.err,
                  "write `-- retort:maintenance_window true` when the step is to run "
                  "in a maintenance window, or remove the line"));
  const ProcessResult up = retort(project, {"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 2) << "nothing runs\n" << shown(up);
}

// ---- 4. timeouts ----

TEST_P(PreflightTest, LockTimeoutZeroOrLongWarnsOnPostgresAndSqliteSaysNoneApplies) {
  Project project(GetParam(), "pf_timeouts");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  write_config(project, "[retort.postgres]\nlock_timeout = \"0\"\n");
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);

  const Preflight zero = preflight_json(project);
  EXPECT_EQ(zero.process.exit_code, 0) << shown(zero.process);
  if (!postgres()) {
    EXPECT_EQ(zero.status("timeouts"), "pass");
    EXPECT_EQ(zero.message("timeouts"),
              "SQLite: a writer waits for the database lock; no lock_timeout applies");
    return;
  }
  EXPECT_EQ(zero.status("timeouts"), "warn") << zero.process.out;
  EXPECT_EQ(zero.message("timeouts"),
            "lock_timeout 0, 10 retries; statement_timeout none: a statement without "
            "lock_timeout can hold the application's queries behind it for as long as it waits "
            "for its lock");
  EXPECT_EQ(zero.fix("timeouts"), "set lock_timeout (2s is the default) and let retort retry");

  write_config(project, "[retort.postgres]\nlock_timeout = \"30s\"\nstatement_timeout = \"15m\"\n");
  const Preflight long_wait = preflight_json(project);
  EXPECT_EQ(long_wait.process.exit_code, 0) << shown(long_wait.process);
  EXPECT_EQ(long_wait.status("timeouts"), "warn");
  EXPECT_TRUE(has(long_wait.message("timeouts"),
                  "lock_timeout 30s, 10 retries; statement_timeout 15m: while a statement waits "
                  "for its lock, every query behind it waits as long"));

  write_config(project, "[retort.postgres]\nlock_timeout = \"10s\"\n");
  EXPECT_EQ(preflight_json(project).status("timeouts"), "pass") << "10s is not over 10s";

  // A file's own lock_timeout 0 warns too, naming the file's revision.
  project.add({"b2",
               {"a1"},
               "ALTER TABLE items ADD COLUMN note TEXT;",
               "ALTER TABLE items DROP COLUMN note;",
               {"lock_timeout 0"},
               ""});
  write_config(project);
  const Preflight in_file = preflight_json(project);
  EXPECT_EQ(in_file.status("timeouts"), "warn") << in_file.process.out;
  EXPECT_TRUE(has(in_file.message("timeouts"),
                  "lock_timeout 2s, 10 retries; statement_timeout none; in the files: b2 "
                  "lock_timeout 0: a statement without lock_timeout"));
}

// ---- 8. Preflight writes nothing ----

TEST_P(PreflightTest, OnAFreshDatabaseItCreatesNeitherTheVersionTableNorTheLedger) {
  Project project(GetParam(), "pf_fresh");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  write_config(project);
  const Strings before = postgres() ? all_tables(project) : Strings{};

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_EQ(result.step_revisions(), Strings{"a1"});
  EXPECT_EQ(result.status("pending"), "warn");
  EXPECT_EQ(all_tables(project), before) << "preflight created tables";
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"});

  // With a ledger already there: no row added, none changed.
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  project.add({"b2", {"a1"}, "CREATE TABLE notes (id INTEGER);", "DROP TABLE notes;", {}, ""});
  const std::string ledger_sql =
      "SELECT id, revision, direction, status, coalesce(CAST(finished_at AS TEXT), '-') FROM "
      "retort_log ORDER BY id";
  const Strings ledger_before = project.query_rows(ledger_sql);
  const Strings tables_before = all_tables(project);
  const Preflight again = preflight_json(project);
  EXPECT_EQ(again.process.exit_code, 0) << shown(again.process);
  EXPECT_EQ(project.query_rows(ledger_sql), ledger_before);
  EXPECT_EQ(all_tables(project), tables_before) << "no lease table, nothing else";
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
}

// ---- 9. Bad configuration ----

TEST_P(PreflightTest, BadPreflightAndReplicaValuesAreInputErrorsNamingTheKey) {
  Project project(GetParam(), "pf_bad_config");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  struct Case {
    std::string toml;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"[retort.replicas]\nurls = \"not an array\"\n",
       "retort.replicas.urls must be an array of strings, written [\"...\", \"...\"], not "},
      {"[retort.replicas]\nurls = [\"\"]\n",
       "retort.replicas.urls must be an array of non-empty strings"},
      {"[retort.replicas]\nurls = [5432]\n",
       "retort.replicas.urls must be an array of non-empty strings"},
      {"[retort.replicas]\nmax_lag = \"a while\"\n", "retort.replicas.max_lag must be a duration"},
      {"[retort.preflight]\napp_connections = -1\n",
       "retort.preflight.app_connections must be a whole number (0 or more), not -1"},
      {"[retort.preflight]\nmax_step_runtime = \"soon\"\n",
       "retort.preflight.max_step_runtime must be a duration"},
      {"[retort.preflight]\nlong_transaction = 5\n",
       "retort.preflight.long_transaction must be a duration"},
      {"[retort.preflight]\nmax_step_runtim = \"1m\"\n", "max_step_runtime"},
  };
  for (const Case& item : cases) {
    SCOPED_TRACE(item.toml);
    write_config(project, item.toml);
    const ProcessResult result = preflight_text(project);
    EXPECT_EQ(result.exit_code, 2) << shown(result);
    EXPECT_TRUE(has(result.err, item.words)) << shown(result);
    EXPECT_TRUE(has(result.err, "retort.toml")) << "the error names the file";
  }

  // The value echoed back is redacted: a URL written where the array belongs.
  write_config(project, "[retort.replicas]\nurls = \"postgresql://u:secret@127.0.0.1:1/x\"\n");
  const ProcessResult url = preflight_text(project);
  EXPECT_EQ(url.exit_code, 2) << shown(url);
  EXPECT_TRUE(has(url.err, "retort.replicas.urls must be an array")) << shown(url);
  EXPECT_TRUE(lacks(url.out + url.err, "secret"));

  // An unknown target is an input error too.
  write_config(project);
  const ProcessResult target = preflight_text(project, {"nosuch"});
  EXPECT_EQ(target.exit_code, 2) << shown(target);
  EXPECT_TRUE(has(target.err, "nosuch")) << shown(target);
}

// ---- 12. rollback: a downgrade section or a backup before each step ----

TEST_P(PreflightTest, AStepWithNeitherDowngradeNorBackupBeforeItWarnsNamingRevisionAndFile) {
  Project project(GetParam(), "pf_rollback");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  project.add({"b2", {"a1"}, "CREATE TABLE notes (id INTEGER);", "", {}, ""});
  project.add({"c3", {"b2"}, "CREATE TABLE tags (id INTEGER);", "DROP TABLE tags;", {}, ""});
  project.add({"d4", {"c3"}, "CREATE TABLE marks (id INTEGER);", "", {}, ""});

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << "a warning is not a failure\n" << shown(result.process);
  EXPECT_EQ(result.doc.value("ok", false), true) << result.process.out;
  EXPECT_EQ(result.status("rollback"), "warn") << result.process.out;
  EXPECT_EQ(result.message("rollback"),
            "2 pending steps have no downgrade section and no backup before them: b2 "
            "(migrations/versions/b2_change.sql), d4 (migrations/versions/d4_change.sql)");
  EXPECT_EQ(result.fix("rollback"),
            "add a `-- retort:downgrade` section to each, or take a backup before the run "
            "(`retort backup`), or set [retort.backup] when = \"always\" to back up before the "
            "first step");

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out, "\nwarn rollback: 2 pending steps have no downgrade section"));

  // The checklist's fix: a backup before the run is the way back.
  const ProcessResult taken = retort(project, {"backup"});
  ASSERT_EQ(taken.exit_code, 0) << shown(taken);
  const Preflight backed = preflight_json(project);
  EXPECT_EQ(backed.status("rollback"), "pass") << backed.process.out;
  EXPECT_TRUE(has(backed.message("rollback"), (project.dir() / "backups").string() + "/"));
  EXPECT_TRUE(has(backed.message("rollback"),
                  "is the way back for the steps without a downgrade section: b2 "
                  "(migrations/versions/b2_change.sql), d4 (migrations/versions/d4_change.sql)"));
  EXPECT_EQ(backed.fix("rollback"), "");
}

TEST_P(PreflightTest, ABackupTheRunTakesBeforeTheStepOrAnEarlierOneIsItsRollbackPlan) {
  Project project(GetParam(), "pf_rollback_gate");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY);\nCREATE TABLE audit (id INTEGER);",
               "DROP TABLE audit;\nDROP TABLE items;",
               {},
               ""});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  // b2 comes before the risky c3; d4 after it.
  project.add({"b2", {"a1"}, "CREATE TABLE notes (id INTEGER);", "", {}, ""});
  project.add({"c3", {"b2"}, "DROP TABLE audit;", "", {}, ""});
  project.add({"d4", {"c3"}, "CREATE TABLE marks (id INTEGER);", "", {}, ""});

  // when = "risky" (the default): the backup before c3 covers c3 and d4, not b2.
  const Preflight risky = preflight_json(project);
  EXPECT_EQ(risky.status("rollback"), "warn") << risky.process.out;
  EXPECT_EQ(risky.message("rollback"),
            "1 pending step has no downgrade section and no backup before it: b2 "
            "(migrations/versions/b2_change.sql)");

  // when = "always", or a risky run in one transaction: a backup before the first step.
  for (const std::string extra :
       {"[retort.backup]\nwhen = \"always\"\n", "transaction_per_migration = false\n"}) {
    write_config(project, extra);
    const Preflight first = preflight_json(project);
    EXPECT_EQ(first.status("rollback"), "pass") << extra << first.process.out;
    EXPECT_EQ(first.message("rollback"),
              "every pending step has a downgrade section or a backup before it");
  }

  // when = "never": no step has a way back.
  write_config(project, "[retort.backup]\nwhen = \"never\"\n");
  const Preflight never = preflight_json(project);
  EXPECT_EQ(never.status("rollback"), "warn") << never.process.out;
  EXPECT_TRUE(has(never.message("rollback"), "3 pending steps have no downgrade section"));
  EXPECT_TRUE(has(never.message("rollback"),
                  ": b2 (migrations/versions/b2_change.sql), c3 "
                  "(migrations/versions/c3_change.sql), d4 "
                  "(migrations/versions/d4_change.sql)"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"}) << "preflight ran nothing";
}

// ---- 10. SQLite: pending and timeouts only ----

#if !RETORT_TEST_POSTGRES

// A SQLite URL naming a file that does not exist (a typo, a wrong directory) is a database
// with nothing applied: preflight reports every step as pending, and must leave no empty
// database file behind that later commands would take for the real one.
TEST_P(PreflightTest, OnAMissingSqliteFileItDoesNotCreateTheFile) {
  Project project(GetParam(), "pf_sqlite_file");
  project.add(
      {"a1", {}, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;", {}, ""});
  write_config(project);
  const std::filesystem::path file = project.dir() / "app.db";
  ASSERT_FALSE(std::filesystem::exists(file));
  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_EQ(result.step_revisions(), Strings{"a1"});
  // Checked before the test's own connection opens (and so creates) the file.
  EXPECT_FALSE(std::filesystem::exists(file))
      << "preflight created the SQLite database file " << file << " ("
      << (std::filesystem::exists(file) ? std::filesystem::file_size(file) : 0) << " bytes)";
}

TEST_P(PreflightTest, OnSqliteOnlyPendingAndTimeoutsApplyWhateverTheServerSettingsSay) {
  Project project(GetParam(), "pf_sqlite_only");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY);",
               "DROP TABLE items;",
               {"estimate 5s"},
               ""});
  write_config(project,
               "[retort.preflight]\napp_connections = 10000\nlong_transaction = \"1s\"\n"
               "[retort.replicas]\nurls = [\"postgresql://u:secret@127.0.0.1:1/x\"]\n");
  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_EQ(result.statuses(), "pending=pass timeouts=pass backup=pass rollback=pass");
  EXPECT_TRUE(lacks(result.process.out + result.process.err, "secret"));

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(lacks(text.out, "connections:"));
  EXPECT_TRUE(lacks(text.out, "blockers:"));
  EXPECT_TRUE(lacks(text.out, "replica-lag:"));
}

#else

// A session of the test's own, named as an application would name it.
std::unique_ptr<driver::Connection> session(const Project& project, const std::string& name) {
  return driver::connect(base::parse_database_url(project.config().url).value(),
                         {std::chrono::seconds(10), name});
}

std::string backend_pid(driver::Connection& connection) {
  return connection.query("SELECT pg_backend_pid()::text").rows.at(0).at(0).value_or("?");
}

class PreflightPostgresTest : public PreflightTest {
 protected:
  // a1 (applied) makes items and audit; b2 (pending) alters items.
  static void add_items_history(Project& project) {
    project.add({"a1",
                 {},
                 "CREATE TABLE items (id INTEGER PRIMARY KEY);\nCREATE TABLE audit (id "
                 "INTEGER);\nINSERT INTO items VALUES (1), (2);",
                 "DROP TABLE audit;\nDROP TABLE items;",
                 {},
                 ""});
    write_config(project);
    const ProcessResult up = retort(project, {"upgrade", "head"});
    ASSERT_EQ(up.exit_code, 0) << shown(up);
    project.add({"b2",
                 {"a1"},
                 "ALTER TABLE items ADD COLUMN note TEXT;",
                 "ALTER TABLE items DROP COLUMN note;",
                 {"estimate 1s"},
                 "add note"});
  }
};

// ---- 5. blockers ----

TEST_P(PreflightPostgresTest, ALongTransactionReadingTheAlteredTableFailsNamingPidTableAndLock) {
  Project project(GetParam(), "pf_blockers");
  add_items_history(project);
  write_config(project, "[retort.preflight]\nlong_transaction = \"1s\"\n");

  const Preflight none = preflight_json(project);
  EXPECT_EQ(none.process.exit_code, 0) << shown(none.process);
  EXPECT_EQ(none.status("blockers"), "pass") << none.process.out;
  EXPECT_EQ(none.message("blockers"),
            "no transaction open longer than 1s, and none idle holding locks on the 1 relation the "
            "migration touches");

  const auto blocker = session(project, "billing-worker");
  const std::string pid = backend_pid(*blocker);
  blocker->execute("BEGIN");
  (void)blocker->query("SELECT count(*) FROM items");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  const Preflight held = preflight_json(project);
  EXPECT_EQ(held.process.exit_code, 1) << shown(held.process);
  EXPECT_EQ(held.doc.value("ok", true), false);
  EXPECT_EQ(held.status("blockers"), "fail") << held.process.out;
  const std::string message = held.message("blockers");
  EXPECT_TRUE(
      has(message,
          "1 session with a transaction idle or open longer than 1s holds or waits for locks "
          "on tables the migration changes: pid " +
              pid + " (billing-worker, user " + PostgresServer::instance().user() +
              ", 127.0.0.1) holds AccessShareLock on items, "));
  EXPECT_TRUE(has(message, "idle in transaction, transaction open "));
  EXPECT_TRUE(
      has(message, ") holds AccessShareLock on items, idle in transaction, transaction open "));
  EXPECT_TRUE(has(held.fix("blockers"), "the migration would time out behind them"));
  // The fix names the session to end.
  EXPECT_TRUE(has(held.fix("blockers"), "SELECT pg_terminate_backend(" + pid + ")"))
      << "the pid the message names, in the fix";

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 1) << shown(text);
  EXPECT_TRUE(
      has(text.out, "\nfail blockers: 1 session with a transaction idle or open longer than 1s"));

  // Preflight returned while the blocker still holds its lock, and the blocker's transaction
  // is untouched.
  EXPECT_TRUE(blocker->in_transaction());
  const Strings locks = project.query_rows(
      "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = " + pid +
      " AND c.relname = 'items' AND l.granted");
  EXPECT_EQ(locks, Strings{"AccessShareLock"});
  EXPECT_EQ(blocker->query("SELECT count(*)::text FROM items").rows.at(0).at(0).value_or("?"), "2");
  blocker->rollback();

  const Preflight after = preflight_json(project);
  EXPECT_EQ(after.process.exit_code, 0) << shown(after.process);
  EXPECT_EQ(after.status("blockers"), "pass") << after.process.out;
}

TEST_P(PreflightPostgresTest, AnIdleInTransactionSessionOnTheTableFailsBeforeLongTransaction) {
  Project project(GetParam(), "pf_idle");
  add_items_history(project);  // long_transaction stays at its default, 5m

  const auto idle = session(project, "report-job");
  const std::string pid = backend_pid(*idle);
  idle->execute("BEGIN");
  (void)idle->query("SELECT count(*) FROM items");
  ASSERT_TRUE(wait_for([&] {
    return project.query_rows("SELECT state FROM pg_stat_activity WHERE pid = " + pid) ==
           Strings{"idle in transaction"};
  }));

  const Preflight held = preflight_json(project);
  EXPECT_EQ(held.process.exit_code, 1) << shown(held.process);
  EXPECT_EQ(held.status("blockers"), "fail") << held.process.out;
  EXPECT_TRUE(has(held.message("blockers"), "pid " + pid + " (report-job, "));
  EXPECT_TRUE(has(held.message("blockers"), "holds AccessShareLock on items"));
  idle->rollback();
}

TEST_P(PreflightPostgresTest, ASessionWaitingBehindTheBlockerForTheTableIsNamedToo) {
  Project project(GetParam(), "pf_waiter");
  add_items_history(project);
  write_config(project, "[retort.preflight]\nlong_transaction = \"1s\"\n");

  const auto holder = session(project, "holder");
  const std::string holder_pid = backend_pid(*holder);
  holder->execute("BEGIN");
  holder->execute("LOCK TABLE items IN ACCESS SHARE MODE");
  // A second session queues for ACCESS EXCLUSIVE behind it (as an ALTER TABLE would).
  SpawnOptions psql_options;
  psql_options.timeout = std::chrono::seconds(60);
  Process waiter({(PostgresServer::instance().bin_dir() / "psql").string(), "-X", "-q", "-d",
                  project.config().url + "?application_name=queued-alter", "-c",
                  "BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; COMMIT;"},
                 psql_options);
  std::string waiter_pid;
  ASSERT_TRUE(wait_for([&] {
    const Strings rows = project.query_rows(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'queued-alter' AND "
        "wait_event_type = 'Lock'");
    waiter_pid = rows.empty() ? "" : rows[0];
    return !waiter_pid.empty();
  })) << "the waiter never queued";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 1) << shown(result.process);
  EXPECT_EQ(result.status("blockers"), "fail") << result.process.out;
  const std::string message = result.message("blockers");
  EXPECT_TRUE(has(
      message, "2 sessions with a transaction idle or open longer than 1s hold or wait for locks"));
  EXPECT_TRUE(has(message, "pid " + holder_pid + " (holder, "));
  EXPECT_TRUE(has(message, "holds AccessShareLock on items"));
  EXPECT_TRUE(has(message, "pid " + waiter_pid + " (queued-alter, "));
  EXPECT_TRUE(has(message, "waits for AccessExclusiveLock on items"));

  holder->rollback();
  const ProcessResult done = waiter.wait();
  EXPECT_EQ(done.exit_code, 0) << shown(done);
}

TEST_P(PreflightPostgresTest, ALongTransactionOnAnotherTableOnlyWarns) {
  Project project(GetParam(), "pf_unrelated");
  add_items_history(project);
  write_config(project, "[retort.preflight]\nlong_transaction = \"1s\"\n");

  const auto other = session(project, "audit-writer");
  const std::string pid = backend_pid(*other);
  other->execute("BEGIN");
  other->execute("INSERT INTO audit VALUES (1)");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_EQ(result.doc.value("ok", false), true);
  EXPECT_EQ(result.status("blockers"), "warn") << result.process.out;
  EXPECT_TRUE(has(result.message("blockers"),
                  "1 transaction open longer than long_transaction (1s): pid " + pid +
                      " (audit-writer, user " + PostgresServer::instance().user() +
                      ", 127.0.0.1), idle in transaction, transaction open "));
  EXPECT_TRUE(has(result.message("blockers"), "INSERT INTO audit VALUES (1)"));
  EXPECT_TRUE(has(result.fix("blockers"), "none holds a lock on what the migration changes now"));
  other->rollback();
}

// A session that read the table and then changed a row holds two lock modes on it: still one
// session, named once.
TEST_P(PreflightPostgresTest, ASessionHoldingTwoLockModesOnTheTableIsOneSessionNamedOnce) {
  Project project(GetParam(), "pf_two_modes");
  add_items_history(project);
  write_config(project, "[retort.preflight]\nlong_transaction = \"1s\"\n");

  const auto worker = session(project, "two-modes");
  const std::string pid = backend_pid(*worker);
  worker->execute("BEGIN");
  (void)worker->query("SELECT count(*) FROM items");
  worker->execute("UPDATE items SET id = id WHERE id = 1");

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 1) << shown(result.process);
  EXPECT_EQ(result.status("blockers"), "fail") << result.process.out;
  const std::string message = result.message("blockers");
  EXPECT_TRUE(
      has(message,
          "1 session with a transaction idle or open longer than 1s holds or waits for locks"));
  const std::string named = "pid " + pid + " (two-modes, ";
  EXPECT_EQ(message.find(named), message.rfind(named)) << "the session is named twice: " << message;
  EXPECT_TRUE(has(message, "AccessShareLock"));
  EXPECT_TRUE(has(message, "RowExclusiveLock"));
  worker->rollback();
}

// long_transaction under a second, or not a whole number of seconds, is shown as written.
TEST_P(PreflightPostgresTest, ASubSecondLongTransactionIsShownAsWrittenNotAsZeroSeconds) {
  Project project(GetParam(), "pf_subsecond");
  add_items_history(project);
  write_config(project, "[retort.preflight]\nlong_transaction = \"500ms\"\n");

  const Preflight none = preflight_json(project);
  EXPECT_EQ(none.status("blockers"), "pass") << none.process.out;
  EXPECT_TRUE(has(none.message("blockers"), "no transaction open longer than 500ms"));
  EXPECT_TRUE(lacks(none.message("blockers"), "longer than 0s"));

  const auto other = session(project, "audit-writer");
  other->execute("BEGIN");
  other->execute("INSERT INTO audit VALUES (1)");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const Preflight warned = preflight_json(project);
  EXPECT_EQ(warned.status("blockers"), "warn") << warned.process.out;
  EXPECT_TRUE(
      has(warned.message("blockers"), "1 transaction open longer than long_transaction (500ms): "));
  other->rollback();
}

// A file's own lock_timeout replaces the run's for its statements: a long one stalls the
// application as a long [retort.postgres] lock_timeout does.
TEST_P(PreflightPostgresTest, AFileLockTimeoutOverTenSecondsWarnsLikeTheRunsOwn) {
  Project project(GetParam(), "pf_file_timeout");
  add_items_history(project);
  project.add({"c3",
               {"b2"},
               "ALTER TABLE audit ADD COLUMN at TEXT;",
               "ALTER TABLE audit DROP COLUMN at;",
               {"lock_timeout 1m"},
               "audit time"});
  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_TRUE(has(result.message("timeouts"),
                  "lock_timeout 2s, 10 retries; statement_timeout none; in the files: c3 "
                  "lock_timeout 1m"));
  EXPECT_EQ(result.status("timeouts"), "warn") << result.process.out;
}

// ---- 6. connections ----

TEST_P(PreflightPostgresTest, ConnectionHeadroomFailsWarnsAndPassesWithAppConnections) {
  Project project(GetParam(), "pf_connections");
  add_items_history(project);

  write_config(project, "[retort.preflight]\napp_connections = 10000\n");
  const Preflight short_of = preflight_json(project);
  EXPECT_EQ(short_of.process.exit_code, 1) << shown(short_of.process);
  EXPECT_EQ(short_of.status("connections"), "fail") << short_of.process.out;
  const std::string message = short_of.message("connections");
  std::smatch numbers;
  ASSERT_TRUE(std::regex_match(
      message, numbers,
      std::regex("(\\d+) of (\\d+) connections free \\((\\d+) reserved, (\\d+) in use\\); the "
                 "run needs 10003 \\(3 for retort, 10000 for the application's pools\\)")))
      << message;
  EXPECT_EQ(numbers[2].str(), "200") << "the harness's max_connections";
  EXPECT_EQ(std::stoi(numbers[1]),
            std::stoi(numbers[2]) - std::stoi(numbers[3]) - std::stoi(numbers[4]));
  EXPECT_GE(std::stoi(numbers[4]), 1) << "preflight's own session is in use";
  EXPECT_TRUE(has(short_of.fix("connections"), "close idle sessions"));

  const int free = std::stoi(numbers[1]);
  // needed <= free < 2 * needed: little headroom.
  write_config(project,
               "[retort.preflight]\napp_connections = " + std::to_string(free - 10) + "\n");
  const Preflight little = preflight_json(project);
  EXPECT_EQ(little.process.exit_code, 0) << shown(little.process);
  EXPECT_EQ(little.status("connections"), "warn") << little.process.out;
  EXPECT_TRUE(has(little.message("connections"), ": little headroom left"));

  write_config(project, "[retort.preflight]\napp_connections = 20\n");
  const Preflight room = preflight_json(project);
  EXPECT_EQ(room.process.exit_code, 0) << shown(room.process);
  EXPECT_EQ(room.status("connections"), "pass") << room.process.out;
  EXPECT_TRUE(has(room.message("connections"),
                  "the run needs 23 (3 for retort, 20 for the "
                  "application's pools)"));
  EXPECT_EQ(room.fix("connections"), "");
}

// ---- 6b. privileges ----

// PostgreSQL 15 grants CREATE on public to nobody but its owner: a role that may log in and
// read passes every other check, and its upgrade fails at the first CREATE. Preflight says so,
// and the run's error names the GRANT.
TEST_P(PreflightPostgresTest, ARoleWithoutCreateWhereTheRunCreatesFailsAndUpgradeNamesTheGrant) {
  Project project(GetParam(), "pf_nocreate");
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "items"});
  const std::string database = project.query_rows("SELECT current_database()").at(0);
  const std::string role = "pf_nocreate_" + database.substr(database.size() - 4);
  (void)project.query_rows("CREATE ROLE " + role + " LOGIN");
  write_config(project, "",
               fmt::format("postgresql://{}@127.0.0.1:{}/{}", role,
                           PostgresServer::instance().port(), database));

  const Preflight denied = preflight_json(project);
  EXPECT_EQ(denied.process.exit_code, 1) << shown(denied.process);
  EXPECT_EQ(denied.status("primary"), "pass") << denied.process.out;
  EXPECT_EQ(denied.status("privileges"), "fail") << denied.process.out;
  EXPECT_EQ(denied.message("privileges"),
            "role " + role +
                " may not create in schema public, where the run creates the version table "
                "retort_version, the ledger retort_log, table items (a1): the run would fail at "
                "once (permission denied)");
  EXPECT_EQ(denied.fix("privileges"),
            "as the owner or a superuser: GRANT CREATE ON SCHEMA public "
            "TO " +
                role + "; (or point the URL at a role that may create there)");

  const ProcessResult up = retort(project, {"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 1) << shown(up);
  EXPECT_TRUE(has(up.err, "permission denied for schema public"));
  EXPECT_TRUE(has(up.err, "\n  database: nothing was run; the database is as it was\n"));
  EXPECT_TRUE(has(up.err, "\n  next: GRANT CREATE ON SCHEMA public TO " + role + ";"));
  EXPECT_TRUE(project.tables().empty());

  // Granted: preflight passes the check, and the run goes through.
  (void)project.query_rows("GRANT CREATE ON SCHEMA public TO " + role);
  const Preflight granted = preflight_json(project);
  EXPECT_EQ(granted.status("privileges"), "pass") << granted.process.out;
  EXPECT_EQ(granted.message("privileges"),
            "role " + role + " may create where the run creates: schema public");
  const ProcessResult done = retort(project, {"upgrade", "head"});
  EXPECT_EQ(done.exit_code, 0) << shown(done);
  EXPECT_EQ(project.version_rows(), Strings{"a1"});

  // retort's tables exist now; a step creating in another schema needs CREATE there.
  (void)project.query_rows("CREATE SCHEMA ops");
  (void)project.query_rows("GRANT USAGE ON SCHEMA ops TO " + role);
  project.add({"b2", {"a1"}, "CREATE TABLE ops.things (id INTEGER);", "", {}, "things"});
  const Preflight ops = preflight_json(project);
  EXPECT_EQ(ops.status("privileges"), "fail") << ops.process.out;
  EXPECT_EQ(ops.message("privileges"),
            "role " + role +
                " may not create in schema ops, where the run creates table ops.things (b2): the "
                "run would fail at once (permission denied)");
  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err, "\n  next: GRANT CREATE ON SCHEMA ops TO " + role + ";"));
  EXPECT_TRUE(has(refused.err, "\n  database: ")) << shown(refused);
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
}

// ---- 7. replica-lag ----

TEST_P(PreflightPostgresTest, ReplicaUrlsThatCannotShowLagFailAndTheirPasswordsNeverShow) {
  Project project(GetParam(), "pf_replicas");
  add_items_history(project);

  write_config(project);
  const Preflight none = preflight_json(project);
  EXPECT_EQ(none.status("replica-lag"), "pass");
  EXPECT_EQ(none.message("replica-lag"),
            "no replicas: none in pg_stat_replication, none in [retort.replicas] urls");

  write_config(project, "[retort.replicas]\nurls = [\"postgresql://u:secret@127.0.0.1:1/x\"]\n");
  const Preflight closed = preflight_json(project);
  EXPECT_EQ(closed.process.exit_code, 1) << shown(closed.process);
  EXPECT_EQ(closed.status("replica-lag"), "fail") << closed.process.out;
  EXPECT_TRUE(
      has(closed.message("replica-lag"), "postgresql://u:***@127.0.0.1:1/x: lag not observable ("));
  EXPECT_TRUE(has(closed.message("replica-lag"), "; max_lag is 30s"));
  EXPECT_TRUE(lacks(closed.message("replica-lag"), "\n"));
  EXPECT_TRUE(has(closed.fix("replica-lag"), "make a replica that cannot be reached reachable"));
  EXPECT_TRUE(lacks(closed.process.out + closed.process.err, "secret"));
  const ProcessResult closed_text = preflight_text(project);
  EXPECT_EQ(closed_text.exit_code, 1) << shown(closed_text);
  EXPECT_TRUE(has(closed_text.out,
                  "\nfail replica-lag: postgresql://u:***@127.0.0.1:1/x: lag not "
                  "observable ("));
  EXPECT_TRUE(lacks(closed_text.out + closed_text.err, "secret"));

  // The primary itself, through the password role: reachable, but not a replica.
  const std::string database = project.query_rows("SELECT current_database()").at(0);
  const std::string primary = PostgresServer::instance().password_url(database);
  write_config(project, "[retort.replicas]\nurls = [\"" + primary + "\"]\nmax_lag = \"5s\"\n");
  const Preflight itself = preflight_json(project);
  EXPECT_EQ(itself.process.exit_code, 1) << shown(itself.process);
  EXPECT_EQ(itself.status("replica-lag"), "fail") << itself.process.out;
  EXPECT_EQ(itself.message("replica-lag"),
            base::redact_url(primary) +
                ": lag not observable (it is not a replica (not in recovery)); max_lag is 5s");
  EXPECT_TRUE(
      lacks(itself.process.out + itself.process.err, std::string(PostgresServer::k_password)));

  // From the environment, as a secret would come: still redacted.
  write_config(project, "[retort.replicas]\nurls = [\"${REPLICA_URL}\"]\n");
  const Preflight from_env = preflight_json(project, {}, {{"REPLICA_URL", primary}});
  EXPECT_EQ(from_env.status("replica-lag"), "fail") << from_env.process.out;
  EXPECT_TRUE(has(from_env.message("replica-lag"), "not a replica"));
  EXPECT_TRUE(
      lacks(from_env.process.out + from_env.process.err, std::string(PostgresServer::k_password)));
}

TEST_P(PreflightPostgresTest, ABlockerHoldingAccessExclusiveOnTheTableDoesNotBlockPreflight) {
  Project project(GetParam(), "pf_exclusive");
  add_items_history(project);
  write_config(project, "[retort.preflight]\nlong_transaction = \"1s\"\n");

  const auto holder = session(project, "hand-fix");
  const std::string pid = backend_pid(*holder);
  holder->execute("BEGIN");
  holder->execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");

  const auto started = std::chrono::steady_clock::now();
  const Preflight result = preflight_json(project);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(result.process.timed_out);
  EXPECT_LT(took, std::chrono::seconds(20)) << "preflight waited behind the lock";
  EXPECT_EQ(result.process.exit_code, 1) << shown(result.process);
  EXPECT_EQ(result.status("blockers"), "fail") << result.process.out;
  EXPECT_TRUE(has(result.message("blockers"), "pid " + pid + " (hand-fix, "));
  EXPECT_TRUE(has(result.message("blockers"), "holds AccessExclusiveLock on items"));
  EXPECT_TRUE(holder->in_transaction());
  holder->rollback();
}

// ---- 11. disk ----

class PreflightDiskTest : public PreflightTest {
 protected:
  // a1 (applied) makes accounts with 20,000 rows and an index; b2 (pending) rewrites it.
  static void add_accounts_history(Project& project) {
    project.add({"a1",
                 {},
                 "CREATE TABLE accounts (id integer PRIMARY KEY, c integer NOT NULL);\n"
                 "INSERT INTO accounts SELECT n, n FROM generate_series(1, 20000) n;",
                 "DROP TABLE accounts;",
                 {},
                 "accounts"});
    write_config(project);
    const ProcessResult up = retort(project, {"upgrade", "head"});
    ASSERT_EQ(up.exit_code, 0) << shown(up);
    project.add({"b2",
                 {"a1"},
                 "ALTER TABLE accounts ALTER COLUMN c TYPE bigint;",
                 "ALTER TABLE accounts ALTER COLUMN c TYPE integer;",
                 // The rewrite is what the disk check measures: lint's PG108 is accepted.
                 {"lint-ignore PG108 -- the rewrite the disk check measures"},
                 "widen c"});
  }
  // What the rewrite of accounts needs room for: the table with its index.
  static std::int64_t accounts_bytes(Project& project) {
    return std::stoll(project.query_rows("SELECT pg_total_relation_size('accounts')::text").at(0));
  }
};

TEST_P(PreflightDiskTest, ARewriteOfATableWithRoomToSparePassesNamingTheTableAndItsSize) {
  Project project(GetParam(), "pf_disk_pass");
  add_accounts_history(project);
  ASSERT_GT(accounts_bytes(project), 512 * 1024) << "20,000 rows and an index";

  // The harness's server runs here: statvfs() of its data directory.
  const Preflight local = preflight_json(project);
  EXPECT_EQ(local.process.exit_code, 0) << shown(local.process);
  EXPECT_EQ(local.status("disk"), "pass") << local.process.out;
  const std::string message = local.message("disk");
  EXPECT_TRUE(std::regex_match(
      message,
      std::regex("the pending steps rewrite accounts \\d+\\.\\d [KM]iB \\(b2: ALTER "
                 "COLUMN \\.\\.\\. TYPE\\): about \\d+\\.\\d [KM]iB needed, \\d+\\.\\d [KMGTP]iB "
                 "free \\(statvfs of /.+\\)")))
      << message;
  const std::string data_directory =
      project.query_rows("SELECT current_setting('data_directory')").at(0);
  EXPECT_TRUE(has(message, "(statvfs of " + data_directory + ")"));
  EXPECT_EQ(local.fix("disk"), "");

  // A command that reports more than enough.
  write_config(project, "[retort.preflight]\nfree_disk_command = \"echo 1099511627776\"\n");
  const Preflight plenty = preflight_json(project);
  EXPECT_EQ(plenty.process.exit_code, 0) << shown(plenty.process);
  EXPECT_EQ(plenty.status("disk"), "pass") << plenty.process.out;
  EXPECT_TRUE(has(plenty.message("disk"), ", 1.0 TiB free (free_disk_command)"));
  EXPECT_TRUE(has(plenty.message("disk"), "the pending steps rewrite accounts "));

  const ProcessResult text = preflight_text(project);
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out, "\npass disk: the pending steps rewrite accounts "));
}

TEST_P(PreflightDiskTest, FreeDiskUnderTheTableSizeFailsAndUnderTwiceItWarns) {
  Project project(GetParam(), "pf_disk_short");
  add_accounts_history(project);
  const std::int64_t needed = accounts_bytes(project);

  write_config(project, "[retort.preflight]\nfree_disk_command = \"echo 1000\"\n");
  const Preflight short_of = preflight_json(project);
  EXPECT_EQ(short_of.process.exit_code, 1) << shown(short_of.process);
  EXPECT_EQ(short_of.doc.value("ok", true), false);
  EXPECT_EQ(short_of.status("disk"), "fail") << short_of.process.out;
  EXPECT_TRUE(has(short_of.message("disk"), "the pending steps rewrite accounts "));
  EXPECT_TRUE(has(short_of.message("disk"), "(b2: ALTER COLUMN ... TYPE)"));
  EXPECT_TRUE(has(short_of.message("disk"),
                  ", 1000 bytes free (free_disk_command): not enough for the copy; the server "
                  "stops when its disk fills up"));
  EXPECT_EQ(short_of.fix("disk"),
            "free disk on the server (or grow its volume) before the run, or rewrite with the "
            "expand/contract pattern instead: add a new column, backfill it in batches, then "
            "swap it in");
  EXPECT_EQ(codes(short_of), all_codes()) << "the other checks still ran";

  // Between the size and twice the size: room for the copy, little for its WAL.
  write_config(project, "[retort.preflight]\nfree_disk_command = \"echo " +
                            std::to_string(needed + needed / 2) + "\"\n");
  const Preflight little = preflight_json(project);
  EXPECT_EQ(little.process.exit_code, 0) << shown(little.process);
  EXPECT_EQ(little.status("disk"), "warn") << little.process.out;
  EXPECT_TRUE(has(little.message("disk"),
                  "free (free_disk_command): little headroom left for the WAL the rewrite "
                  "writes"));
  EXPECT_TRUE(has(little.fix("disk"), "expand/contract"));
}

// A command that fails, or prints no number, leaves the free space unknown; since the team set
// it up to be known, that fails, as a configured replica whose lag cannot be read does.
TEST_P(PreflightDiskTest, AFreeDiskCommandThatFailsOrPrintsNoNumberFails) {
  Project project(GetParam(), "pf_disk_command");
  add_accounts_history(project);
  struct Case {
    std::string command;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"echo no such pod >&2; exit 3", "; free_disk_command exited with 3: no such pod"},
      {"echo lots", "; free_disk_command printed \"lots\", not a number of bytes"},
      {"echo 12.5", "; free_disk_command printed \"12.5\", not a number of bytes"},
      {"true", "; free_disk_command printed nothing"},
  };
  for (const Case& item : cases) {
    SCOPED_TRACE(item.command);
    write_config(project, "[retort.preflight]\nfree_disk_command = \"" + item.command + "\"\n");
    const Preflight result = preflight_json(project);
    EXPECT_EQ(result.process.exit_code, 1) << shown(result.process);
    EXPECT_EQ(result.status("disk"), "fail") << result.process.out;
    EXPECT_TRUE(has(result.message("disk"), "the pending steps rewrite accounts "));
    EXPECT_TRUE(has(result.message("disk"), item.words));
    EXPECT_EQ(result.fix("disk"),
              "make [retort.preflight] free_disk_command print the free bytes of the server's "
              "data directory as its last line, and exit 0");
  }
  // What a command prints before its last line (a warning of kubectl's) does not matter.
  write_config(project,
               "[retort.preflight]\nfree_disk_command = \"echo warning: deprecated; echo "
               "1099511627776\"\n");
  EXPECT_EQ(preflight_json(project).status("disk"), "pass");
}

TEST_P(PreflightDiskTest, StepsThatRewriteNothingOrOnlyTablesTheyCreatePass) {
  Project project(GetParam(), "pf_disk_none");
  project.add({"a1",
               {},
               "CREATE TABLE accounts (id integer PRIMARY KEY);\nINSERT INTO accounts SELECT n "
               "FROM generate_series(1, 100) n;",
               "DROP TABLE accounts;",
               {},
               "accounts"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  EXPECT_EQ(preflight_json(project).message("disk"), "nothing to run");

  // A constant default is kept in the catalog: no rewrite. Nor does a bad command run.
  project.add({"b2",
               {"a1"},
               "ALTER TABLE accounts ADD COLUMN note text NOT NULL DEFAULT '';\nALTER TABLE "
               "accounts ADD COLUMN at timestamptz DEFAULT now();",
               "ALTER TABLE accounts DROP COLUMN at, DROP COLUMN note;",
               {},
               "note"});
  write_config(project, "[retort.preflight]\nfree_disk_command = \"exit 1\"\n");
  const Preflight none = preflight_json(project);
  EXPECT_EQ(none.process.exit_code, 0) << shown(none.process);
  EXPECT_EQ(none.status("disk"), "pass") << none.process.out;
  EXPECT_EQ(none.message("disk"), "no pending step rewrites a table");
  EXPECT_EQ(none.fix("disk"), "");

  // A table a pending step creates is empty when a later statement rewrites it.
  project.add({"c3",
               {"b2"},
               "CREATE TABLE ledger (id integer, amount integer);\nALTER TABLE ledger ALTER "
               "COLUMN amount TYPE bigint;",
               "DROP TABLE ledger;",
               {},
               "ledger"});
  const Preflight created = preflight_json(project);
  EXPECT_EQ(created.status("disk"), "pass") << created.process.out;
  EXPECT_EQ(created.message("disk"),
            "the tables the pending steps rewrite do not exist yet (an earlier step creates "
            "them): nothing to copy");

  // A volatile default fills every row: a rewrite, and now the command runs.
  project.add({"d4",
               {"c3"},
               "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();",
               "ALTER TABLE accounts DROP COLUMN token;",
               {},
               "token"});
  const Preflight token = preflight_json(project);
  EXPECT_EQ(token.status("disk"), "fail") << token.process.out;
  EXPECT_TRUE(has(token.message("disk"), "the pending steps rewrite accounts "))
      << token.process.out;
  EXPECT_TRUE(has(token.message("disk"), "(d4: ADD COLUMN ... DEFAULT gen_random_uuid())"));
  EXPECT_TRUE(has(token.message("disk"), "free_disk_command exited with 1"));
}

// A role that may not read data_directory cannot say where the server's disk is: unknown free
// space warns (it is not known, so it does not pass) and names free_disk_command.
TEST_P(PreflightDiskTest, FreeDiskThatCannotBeObservedWarnsNamingFreeDiskCommand) {
  Project project(GetParam(), "pf_disk_unknown");
  add_accounts_history(project);
  project.db().execute(
      "DO $$ BEGIN CREATE ROLE pf_disk_reader LOGIN; EXCEPTION WHEN duplicate_object THEN "
      "NULL; END $$");
  project.db().execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO pf_disk_reader");
  const std::string url =
      std::regex_replace(project.config().url, std::regex("//[^@/]*@"), "//pf_disk_reader@");
  write_config(project, "", url);

  const Preflight result = preflight_json(project);
  EXPECT_EQ(result.process.exit_code, 0) << shown(result.process);
  EXPECT_EQ(result.status("disk"), "warn") << result.process.out;
  EXPECT_TRUE(has(result.message("disk"), "the pending steps rewrite accounts "));
  EXPECT_TRUE(has(result.message("disk"),
                  "; the server's free disk cannot be observed: this role may not read "
                  "data_directory (pg_read_all_settings)"));
  EXPECT_EQ(result.fix("disk"),
            "set [retort.preflight] free_disk_command to a command that prints the free bytes "
            "of the server's data directory, e.g. \"kubectl exec db-0 -- df --output=avail -B1 "
            "/var/lib/postgresql/data | tail -1\"");
}

#endif

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

#if RETORT_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, PreflightTest, ::testing::Values(Backend::postgres), name_of);
INSTANTIATE_TEST_SUITE_P(Postgres, PreflightPostgresTest, ::testing::Values(Backend::postgres),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Postgres, PreflightDiskTest, ::testing::Values(Backend::postgres),
                         name_of);
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, PreflightTest, ::testing::Values(Backend::sqlite), name_of);
#endif

}  // namespace
}  // namespace retort::test
