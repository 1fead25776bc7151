// Telling the team and the monitors, through the binary: [retort.hooks] (with the recipes of
// docs/guide/operations.md posting to a webhook stand-in on loopback), --metrics-file checked
// by promtool, maintenance windows under a fake clock (RETORT_NOW), and --log-format json.
#include "base/url.hpp"
#include "harness/process.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/file.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef RETORT_SOURCE_DIR
#error "RETORT_SOURCE_DIR must name the source tree, where tests/integration/record_posts.py is"
#endif

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Strings = std::vector<std::string>;

// The recipes of docs/guide/operations.md, word for word (the audit log's path aside).
[[maybe_unused]] constexpr const char* k_slack_recipe =
    R"rec(printf '{"text":"retort %s of %s: %s (%s)"}' "$RETORT_EVENT_DIRECTION" )rec"
    R"rec("$RETORT_EVENT_DATABASE" "$RETORT_EVENT_STATUS" "$RETORT_EVENT_REVISIONS" | )rec"
    R"rec(curl -fsS -m 10 -H 'Content-Type: application/json' --data-binary @- )rec"
    R"rec("$SLACK_WEBHOOK_URL")rec";
[[maybe_unused]] constexpr const char* k_pagerduty_recipe =
    R"rec({ printf '{"routing_key":"%s","event_action":"trigger","payload":{"summary":)rec"
    R"rec("retort %s failed on %s","source":"%s","severity":"critical","custom_details":' )rec"
    R"rec("$PAGERDUTY_ROUTING_KEY" "$RETORT_EVENT_DIRECTION" "$RETORT_EVENT_DATABASE" )rec"
    R"rec("$RETORT_EVENT_HOST"; cat; printf '}}'; } | curl -fsS -m 10 )rec"
    R"rec(-H 'Content-Type: application/json' --data-binary @- )rec"
    R"rec(https://events.pagerduty.com/v2/enqueue)rec";
constexpr const char* k_audit_recipe = "cat >> audit.jsonl";

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      out.push_back(Json::parse(line));
    }
  }
  return out;
}

// A TOML literal string for a hook command: '''...'''.
std::string literal(const std::string& command) { return "'''" + command + "'''"; }

SpawnOptions listener_options(const fs::path& dir) {
  SpawnOptions options;
  options.cwd = dir;
  options.timeout = std::chrono::seconds(300);
  return options;
}

// The webhook stand-in: tests/integration/record_posts.py on a free loopback port.
class Listener {
 public:
  explicit Listener(const fs::path& dir)
      : m_port_file(dir / "listener.port"),
        m_log(dir / "posts.jsonl"),
        m_process(
            {"python3",
             (fs::path(RETORT_SOURCE_DIR) / "tests" / "integration" / "record_posts.py").string(),
             m_port_file.string(), m_log.string()},
            listener_options(dir)) {
    for (int attempt = 0; attempt < 200 && !fs::exists(m_port_file); ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~Listener() { m_process.kill(SIGKILL); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + read_file(m_port_file) + path;
  }
  [[nodiscard]] std::vector<Json> posts() const { return json_lines(read_file(m_log)); }

 private:
  fs::path m_port_file;
  fs::path m_log;
  Process m_process;
};

// promtool's verdict on a metrics file: empty when it passes.
std::string promtool_problems(const fs::path& file) {
  SpawnOptions options;
  options.stdin_text = read_file(file);
  const ProcessResult checked = run({"promtool", "check", "metrics"}, options);
  return checked.exit_code == 0 && checked.out.empty() && checked.err.empty() ? std::string()
                                                                              : shown(checked);
}

class OpsTest : public ::testing::Test {
 protected:
  // a1 and c3 plain, b2 marked for a maintenance window with a 30m estimate.
  static void add_history(Project& project) {
    project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "items"});
    project.add({"b2",
                 {"a1"},
                 "CREATE INDEX items_id ON items (id);",
                 "DROP INDEX items_id;",
                 {"maintenance_window true", "estimate 30m"},
                 "index items"});
    project.add(
        {"c3", {"b2"}, "CREATE TABLE notes (id INTEGER);", "DROP TABLE notes;", {}, "notes"});
  }
};

#if !RETORT_TEST_POSTGRES

// 1. Hooks ----------------------------------------------------------------------------------

TEST_F(OpsTest, HooksGetTheEventAsJsonOnStdinAndInRetortEventVariables) {
  Project project(Backend::sqlite, "hooks_event");
  add_history(project);
  write_config(project, "[retort.hooks]\nafter_step = " + literal(k_audit_recipe) +
                            "\nbefore_run = 'env | grep ^RETORT_EVENT | sort > before.env'\n");
  const ProcessResult run = retort(project, {"upgrade", "a1"});
  ASSERT_EQ(run.exit_code, 0) << shown(run);

  const std::vector<Json> audit = json_lines(read_file(project.dir() / "audit.jsonl"));
  ASSERT_EQ(audit.size(), 1U) << "one after_step per step";
  EXPECT_EQ(audit[0]["event"], "after_step");
  EXPECT_EQ(audit[0]["revision"], "a1");
  EXPECT_EQ(audit[0]["status"], "ok");
  EXPECT_EQ(audit[0]["direction"], "upgrade");
  EXPECT_EQ(audit[0]["index"], 1);
  EXPECT_EQ(audit[0]["count"], 1);
  EXPECT_TRUE(audit[0]["duration_ms"].is_number());

  const std::string env = read_file(project.dir() / "before.env");
  EXPECT_TRUE(has(env, "RETORT_EVENT=before_run\n"));
  EXPECT_TRUE(has(env, "RETORT_EVENT_REVISIONS=a1\n"));
  EXPECT_TRUE(has(env, "RETORT_EVENT_TARGET=a1\n"));
  EXPECT_TRUE(has(env, "RETORT_EVENT_DIRECTION=upgrade\n"));

  // Nothing to do: no run, no hook.
  const ProcessResult idle = retort(project, {"upgrade", "a1"});
  ASSERT_EQ(idle.exit_code, 0) << shown(idle);
  EXPECT_EQ(json_lines(read_file(project.dir() / "audit.jsonl")).size(), 1U);
}

TEST_F(OpsTest, TheSlackAndPagerDutyRecipesPostToTheirWebhooks) {
  Project project(Backend::sqlite, "hooks_recipes");
  const Listener listener(project.dir());
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "items"});
  std::string pagerduty = k_pagerduty_recipe;
  const std::string pd_url = "https://events.pagerduty.com/v2/enqueue";
  pagerduty.replace(pagerduty.find(pd_url), pd_url.size(), listener.url("/v2/enqueue"));
  write_config(project, "[retort.hooks]\nafter_run = " + literal(k_slack_recipe) +
                            "\non_failure = " + literal(pagerduty) + "\n");
  const std::map<std::string, std::string> env = {
      {"SLACK_WEBHOOK_URL", listener.url("/services/T000/B000/XXXX")},
      {"PAGERDUTY_ROUTING_KEY", "R0UT1NGKEY"}};

  const ProcessResult run = retort(project, {"upgrade"}, env);
  ASSERT_EQ(run.exit_code, 0) << shown(run);
  EXPECT_TRUE(lacks(run.err, "hook")) << "a hook that succeeds is silent";
  std::vector<Json> posts = listener.posts();
  ASSERT_EQ(posts.size(), 1U) << shown(run);
  EXPECT_EQ(posts[0]["path"], "/services/T000/B000/XXXX");
  EXPECT_EQ(posts[0]["content_type"], "application/json");
  const Json slack = Json::parse(posts[0]["body"].get<std::string>());
  EXPECT_EQ(slack["text"], "retort upgrade of " + project.config().redacted_url + ": ok (a1)");

  project.add({"b2", {"a1"}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "dup"});
  const ProcessResult failed = retort(project, {"upgrade"}, env);
  ASSERT_EQ(failed.exit_code, 1) << shown(failed);
  posts = listener.posts();
  ASSERT_EQ(posts.size(), 3U) << "on_failure to PagerDuty, after_run to Slack\n" << shown(failed);
  const Json page = Json::parse(posts[1]["body"].get<std::string>());
  EXPECT_EQ(posts[1]["path"], "/v2/enqueue");
  EXPECT_EQ(page["routing_key"], "R0UT1NGKEY");
  EXPECT_EQ(page["event_action"], "trigger");
  EXPECT_EQ(page["payload"]["severity"], "critical");
  EXPECT_EQ(page["payload"]["summary"],
            "retort upgrade failed on " + project.config().redacted_url);
  const Json& details = page["payload"]["custom_details"];
  EXPECT_EQ(details["event"], "on_failure");
  EXPECT_EQ(details["exit_code"], 1);
  EXPECT_EQ(details["revisions"], Json::array({"b2"}));
  EXPECT_TRUE(has(details["error"].get<std::string>(), "items")) << details.dump();
  const Json slack_failed = Json::parse(posts[2]["body"].get<std::string>());
  EXPECT_EQ(slack_failed["text"],
            "retort upgrade of " + project.config().redacted_url + ": failed (b2)");
}

TEST_F(OpsTest, ARequiredBeforeRunHookThatFailsStopsTheRunBeforeAnythingRuns) {
  Project project(Backend::sqlite, "hooks_required");
  add_history(project);
  write_config(project,
               "[retort.hooks]\nbefore_run = 'echo change freeze >&2; exit 7'\n"
               "before_run_required = true\n");
  const ProcessResult refused = retort(project, {"upgrade", "a1"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err, "hook before_run failed: exit status 7: change freeze"));
  EXPECT_TRUE(has(refused.err,
                  "error: the before_run hook failed, and [retort.hooks] before_run_required = "
                  "true stops the run"));
  EXPECT_TRUE(has(refused.err, "database: nothing was run; the database is as it was"));
  EXPECT_TRUE(project.tables().empty()) << "no version table, no ledger, no items";

  // Not required: the failure is reported and the run goes on.
  write_config(project, "[retort.hooks]\nbefore_run = 'echo change freeze >&2; exit 7'\n");
  const ProcessResult ran = retort(project, {"upgrade", "a1"});
  EXPECT_EQ(ran.exit_code, 0) << shown(ran);
  EXPECT_TRUE(has(ran.err, "hook before_run failed: exit status 7: change freeze"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
}

TEST_F(OpsTest, AHookPastItsTimeoutIsKilledWithWhatItStarted) {
  Project project(Backend::sqlite, "hooks_timeout");
  add_history(project);
  write_config(project,
               "[retort.hooks]\nafter_step = 'echo posting; sleep 60 & sleep 60'\n"
               "timeout = \"1s\"\n");
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult run = retort(project, {"upgrade", "a1", "--json"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(run.exit_code, 0) << shown(run);
  EXPECT_LT(took, std::chrono::seconds(20)) << "the background sleep was killed too";
  EXPECT_TRUE(has(run.err, "hook after_step failed: timed out after 1s: posting"));
  const Json document = Json::parse(run.out);
  EXPECT_EQ(document["notes"], Json::array({"hook after_step failed: timed out after 1s: posting"}))
      << "the failure is in the --json document too";
}

TEST_F(OpsTest, OnLockWaitAndOnFailureRunWhenAnotherRunnerHoldsTheLock) {
  Project project(Backend::sqlite, "hooks_lock");
  add_history(project);
  write_config(project,
               "[retort.postgres]\nlock_wait = \"1s\"\n[retort.hooks]\n"
               "on_lock_wait = " +
                   literal(k_audit_recipe) + "\non_failure = " + literal(k_audit_recipe) + "\n");
  const std::string lock_path =
      base::parse_database_url(project.config().url).value().sqlite_path + ".retort-lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(::flock(lock_fd, LOCK_EX), 0);
  const ProcessResult busy = retort(project, {"upgrade", "--metrics-file", "retort.prom"});
  ::close(lock_fd);
  EXPECT_EQ(busy.exit_code, 3) << shown(busy);
  const std::vector<Json> audit = json_lines(read_file(project.dir() / "audit.jsonl"));
  ASSERT_EQ(audit.size(), 2U) << shown(busy);
  EXPECT_EQ(audit[0]["event"], "on_lock_wait");
  EXPECT_TRUE(has(audit[0]["holder"].get<std::string>(), ".retort-lock"));
  EXPECT_EQ(audit[1]["event"], "on_failure");
  EXPECT_EQ(audit[1]["exit_code"], 3);
  const std::string metrics = read_file(project.dir() / "retort.prom");
  EXPECT_TRUE(has(metrics, "\nretort_lock_waits_total 1\n"));
  EXPECT_TRUE(has(metrics, "\nretort_last_run_success 0\n"));
}

// 2. Metrics --------------------------------------------------------------------------------

TEST_F(OpsTest, TheMetricsFilePassesPromtoolAndItsCountersGrowAcrossRuns) {
  Project project(Backend::sqlite, "metrics");
  add_history(project);
  write_config(project);
  const fs::path file = project.dir() / "textfile" / "retort.prom";
  fs::create_directories(file.parent_path());
  const ProcessResult first = retort(project, {"upgrade", "--metrics-file", file.string()},
                                     {{"RETORT_NOW", "2026-12-12T01:00:00Z"}});
  ASSERT_EQ(first.exit_code, 0) << shown(first);
  std::string metrics = read_file(file);
  EXPECT_EQ(promtool_problems(file), "") << metrics;
  EXPECT_TRUE(has(metrics,
                  "# TYPE retort_steps_applied_total counter\n"
                  "retort_steps_applied_total 3\n"));
  EXPECT_TRUE(has(metrics, "\nretort_steps_failed_total 0\n"));
  EXPECT_TRUE(has(metrics, "\nretort_last_run_success 1\n"));
  EXPECT_TRUE(
      has(metrics, "\nretort_step_duration_seconds{revision=\"b2\",direction=\"upgrade\"} "));
  EXPECT_TRUE(has(metrics, "\nretort_runs_total 1\n"));
  EXPECT_TRUE(lacks(metrics, "retort_step_running_seconds")) << "no step runs now";

  // A failing downgrade: counters go on from the file, the last run is a failure.
  project.add({"d4", {"c3"}, "CREATE TABLE items (id INTEGER);", "", {}, "duplicate"});
  const ProcessResult failed = retort(project, {"upgrade", "--metrics-file", file.string()});
  ASSERT_EQ(failed.exit_code, 1) << shown(failed);
  metrics = read_file(file);
  EXPECT_EQ(promtool_problems(file), "") << metrics;
  EXPECT_TRUE(has(metrics, "\nretort_steps_applied_total 3\n"));
  EXPECT_TRUE(has(metrics, "\nretort_steps_failed_total 1\n"));
  EXPECT_TRUE(has(metrics, "\nretort_runs_total 2\n"));
  EXPECT_TRUE(has(metrics, "\nretort_runs_failed_total 1\n"));
  EXPECT_TRUE(has(metrics, "\nretort_last_run_success 0\n"));
  EXPECT_TRUE(
      has(metrics, "\nretort_step_duration_seconds{revision=\"d4\",direction=\"upgrade\"} "));

  Strings names;
  for (const fs::directory_entry& entry : fs::directory_iterator(file.parent_path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, Strings{"retort.prom"}) << "no temporary file is left beside it";

  // A file that cannot be written is a note; the run goes on.
  const ProcessResult nowhere =
      retort(project, {"downgrade", "c3", "--metrics-file", "missing/dir/retort.prom"});
  EXPECT_EQ(nowhere.exit_code, 0) << shown(nowhere);
  EXPECT_TRUE(has(nowhere.err,
                  "could not write the metrics file missing/dir/retort.prom: check "
                  "that its directory exists and is writable"));
}

// The backup before a risky step is counted, with its bytes, even when the step then fails.
TEST_F(OpsTest, TheBackupBeforeAStepThatFailsIsCountedWithItsSize) {
  Project project(Backend::sqlite, "metrics_backup");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER);\nINSERT INTO items VALUES (1);",
               "DROP TABLE items;",
               {},
               "items"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "--metrics-file", "retort.prom"}).exit_code, 0);
  project.add(
      {"b2", {"a1"}, "DELETE FROM items;\nINSERT INTO missing VALUES (1);", "", {}, "clear items"});
  const ProcessResult failed = retort(project, {"upgrade", "--metrics-file", "retort.prom"});
  ASSERT_EQ(failed.exit_code, 1) << shown(failed);
  ASSERT_TRUE(has(failed.err, "backup before b2: "));
  const std::string metrics = read_file(project.dir() / "retort.prom");
  EXPECT_EQ(promtool_problems(project.dir() / "retort.prom"), "") << metrics;
  EXPECT_TRUE(has(metrics, "\nretort_backups_total 1\n"));
  EXPECT_TRUE(lacks(metrics, "\nretort_backup_bytes_total 0\n"));
  EXPECT_TRUE(lacks(metrics, "\nretort_last_backup_bytes 0\n"));
  EXPECT_TRUE(has(metrics, "\nretort_last_run_success 0\n"));
}

// 3. Maintenance windows --------------------------------------------------------------------

TEST_F(OpsTest, AMarkedRevisionDoesNotStartOutsideItsWindowAndNamesTheNextOne) {
  Project project(Backend::sqlite, "windows");
  add_history(project);
  write_config(project, "[retort.windows]\nallowed = [\"Sat 02:00-05:00 Europe/Berlin\"]\n");

  // Tuesday evening: a1 runs, b2 stops the run before it starts.
  const ProcessResult tuesday =
      retort(project, {"upgrade"}, {{"RETORT_NOW", "2026-12-08T21:00:00Z"}});
  EXPECT_EQ(tuesday.exit_code, 1) << shown(tuesday);
  EXPECT_TRUE(has(tuesday.err,
                  "error: b2 needs a maintenance window, and Tue 2026-12-08 21:00 UTC is outside "
                  "every allowed window; the next window opens Sat 2026-12-12 01:00 UTC (Sat "
                  "2026-12-12 02:00 Europe/Berlin)"));
  EXPECT_TRUE(has(tuesday.err,
                  "database: nothing of b2 ran; the steps before it in this run are "
                  "applied"));
  EXPECT_TRUE(has(tuesday.err, "retort upgrade --ignore-window --reason \"why now\""));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"items"}) << "the index of b2 was not built";

  // Inside the window, but a 30m estimate would end after 05:00 Berlin (04:00 UTC).
  const ProcessResult late = retort(project, {"upgrade"}, {{"RETORT_NOW", "2026-12-12T03:45:00Z"}});
  EXPECT_EQ(late.exit_code, 1) << shown(late);
  EXPECT_TRUE(has(late.err,
                  "error: b2 is estimated at 30m, and the maintenance window closes at Sat "
                  "2026-12-12 04:00 UTC (Sat 2026-12-12 05:00 Europe/Berlin), in 15m: it would "
                  "run past the window's end"));
  EXPECT_TRUE(has(late.err, "database: nothing was run; the database is as it was"))
      << "b2 is the run's first step";
  EXPECT_EQ(project.version_rows(), Strings{"a1"});

  // Early in the window: everything runs.
  const ProcessResult saturday =
      retort(project, {"upgrade"}, {{"RETORT_NOW", "2026-12-12T01:10:00Z"}});
  EXPECT_EQ(saturday.exit_code, 0) << shown(saturday);
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
}

TEST_F(OpsTest, IgnoreWindowNeedsAReasonWhichTheLedgerKeeps) {
  Project project(Backend::sqlite, "windows_ignore");
  add_history(project);
  write_config(project, "[retort.windows]\nallowed = [\"02:00-04:00 UTC\"]\n");
  const std::map<std::string, std::string> noon = {{"RETORT_NOW", "2026-12-08T12:00:00Z"}};

  const ProcessResult bare = retort(project, {"upgrade", "--ignore-window"}, noon);
  EXPECT_EQ(bare.exit_code, 2) << shown(bare);
  EXPECT_TRUE(has(bare.err, "error: --ignore-window needs --reason, which the ledger keeps"));
  EXPECT_TRUE(project.tables().empty()) << "nothing ran";

  const ProcessResult forced =
      retort(project, {"upgrade", "--ignore-window", "--reason", "INC-4711 hotfix index"}, noon);
  EXPECT_EQ(forced.exit_code, 0) << shown(forced);
  EXPECT_TRUE(
      has(forced.err, "b2 is marked for a maintenance window: --ignore-window runs it now"));
  EXPECT_EQ(project.query_rows("SELECT revision, reason FROM retort_log ORDER BY id"),
            (Strings{"a1|INC-4711 hotfix index", "b2|INC-4711 hotfix index",
                     "c3|INC-4711 hotfix index"}));

  // A downgrade of a marked revision needs the window too.
  const ProcessResult down = retort(project, {"downgrade", "a1"}, noon);
  EXPECT_EQ(down.exit_code, 1) << shown(down);
  EXPECT_TRUE(has(down.err, "the next window opens Wed 2026-12-09 02:00 UTC"));
  EXPECT_TRUE(has(down.err, "retort downgrade TARGET --ignore-window --reason \"why now\""));
  EXPECT_EQ(project.version_rows(), Strings{"b2"}) << "c3 went down, b2 did not";
}

// Without a header estimate, staging's timing of the same statements (retort timings import)
// is what must fit in the window.
TEST_F(OpsTest, StagingsTimingMustFitInTheWindowToo) {
  Project project(Backend::sqlite, "windows_staging");
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER);",
               "DROP TABLE items;",
               {"maintenance_window true"},
               "items"});
  write_config(project, "[retort.windows]\nallowed = [\"02:00-04:00 UTC\"]\n");
  const std::map<std::string, std::string> early = {{"RETORT_NOW", "2026-12-08T02:00:00Z"}};
  ASSERT_EQ(retort(project, {"upgrade"}, early).exit_code, 0);
  // What staging measured: two hours and a half.
  const ProcessResult exported = retort(project, {"timings", "export"});
  ASSERT_EQ(exported.exit_code, 0) << shown(exported);
  Json timings = Json::parse(exported.out);
  ASSERT_EQ(timings["timings"].size(), 1U) << exported.out;
  timings["timings"][0]["duration_ms"] = 9'000'000;
  std::ofstream(project.dir() / "staging.json") << timings.dump();
  ASSERT_EQ(retort(project, {"downgrade", "base"}, early).exit_code, 0);
  const ProcessResult imported = retort(project, {"timings", "import", "staging.json"});
  ASSERT_EQ(imported.exit_code, 0) << shown(imported);

  const ProcessResult refused = retort(project, {"upgrade"}, early);
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err,
                  "error: a1 is estimated at 150m, and the maintenance window "
                  "closes at Tue 2026-12-08 04:00 UTC, in 2h"));
  EXPECT_TRUE(has(refused.err,
                  "the estimate is staging's timing of the same statements (retort "
                  "timings import)"));
  EXPECT_EQ(project.version_rows(), Strings{});
}

// With transaction_per_migration = false the refusal rolls back the run's one transaction.
TEST_F(OpsTest, InOneTransactionARefusedWindowRollsBackTheWholeRun) {
  Project project(Backend::sqlite, "windows_one_tx");
  add_history(project);
  write_config(project,
               "transaction_per_migration = false\n[retort.windows]\n"
               "allowed = [\"02:00-04:00 UTC\"]\n");
  const ProcessResult run = retort(project, {"upgrade"}, {{"RETORT_NOW", "2026-12-08T12:00:00Z"}});
  EXPECT_EQ(run.exit_code, 1) << shown(run);
  EXPECT_TRUE(has(run.err,
                  "database: the run is one transaction (transaction_per_migration = "
                  "false) and was rolled back whole: the database is as it was"));
  EXPECT_EQ(project.version_rows(), Strings{});
  EXPECT_EQ(project.tables(), Strings{});
}

TEST_F(OpsTest, WithoutWindowsAMarkedRevisionRunsWithANote) {
  Project project(Backend::sqlite, "windows_none");
  add_history(project);
  write_config(project);
  const ProcessResult run = retort(project, {"upgrade"});
  EXPECT_EQ(run.exit_code, 0) << shown(run);
  EXPECT_TRUE(has(run.err,
                  "b2 is marked for a maintenance window, and [retort.windows] allows "
                  "none: it runs now"));
}

// 4. Structured logs ------------------------------------------------------------------------

TEST_F(OpsTest, LogFormatJsonWritesOneObjectPerLineAndLeavesStdoutAlone) {
  Project project(Backend::sqlite, "json_log");
  add_history(project);
  write_config(project);
  const ProcessResult run = retort(project, {"upgrade", "b2", "--log-format", "json", "--json"});
  ASSERT_EQ(run.exit_code, 0) << shown(run);
  const Json document = Json::parse(run.out);
  EXPECT_EQ(document["steps"].size(), 2U) << run.out;
  EXPECT_EQ(document["heads_after"], Json::array({"b2"}));

  Strings events;
  for (const Json& line : json_lines(run.err)) {
    EXPECT_TRUE(line["timestamp"].is_string() && line["level"].is_string() &&
                line["event"].is_string() && line.contains("revision") &&
                line["fields"].is_object())
        << line.dump();
    events.push_back(line["event"].get<std::string>() + " " +
                     (line["revision"].is_null() ? "-" : line["revision"].get<std::string>()));
  }
  EXPECT_EQ(events, (Strings{"run_started -", "step_started a1", "step_finished a1", "note -",
                             "step_started b2", "step_finished b2"}))
      << run.err;

  // The error a command ends with is a line too; stdout keeps its text.
  project.add({"d4", {"c3"}, "CREATE TABLE items (id INTEGER);", "", {}, "duplicate"});
  const ProcessResult failed = retort(project, {"upgrade", "--log-format", "json"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  const std::vector<Json> lines = json_lines(failed.err);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["level"], "error");
  EXPECT_EQ(lines.back()["event"], "error");
  EXPECT_EQ(lines.back()["fields"]["exit_code"], 1);
  EXPECT_EQ(lines[lines.size() - 2]["event"], "step_finished");
  EXPECT_EQ(lines[lines.size() - 2]["fields"]["status"], "failed");

  // A usage error too, and a wrong --log-format is one.
  const ProcessResult usage =
      retort(project, {"upgrade", "--lock-wiat", "1s", "--log-format=json"});
  EXPECT_EQ(usage.exit_code, 2) << shown(usage);
  const std::vector<Json> usage_lines = json_lines(usage.err);
  ASSERT_EQ(usage_lines.size(), 1U) << usage.err;
  EXPECT_EQ(usage_lines[0]["fields"]["exit_code"], 2);
  const ProcessResult wrong = retort(project, {"upgrade", "--log-format", "yaml"});
  EXPECT_EQ(wrong.exit_code, 2) << shown(wrong);
  EXPECT_TRUE(has(wrong.err, "yaml")) << "the value it does not know is named";
}

#else

// PostgreSQL: the hooks and the metrics file around a step that runs longer than the metrics
// interval (10 s), during which the file says which step runs.
TEST_F(OpsTest, OnPostgresHooksAndMetricsFollowALongStep) {
  Project project(Backend::postgres, "ops_long");
  project.add({"s1",
               {},
               "CREATE TABLE items (id integer);\nSELECT pg_sleep(12);",
               "DROP TABLE items;",
               {"transaction false"},
               "slow"});
  write_config(project, "[retort.hooks]\nbefore_run = " + literal(k_audit_recipe) +
                            "\nafter_step = " + literal(k_audit_recipe) +
                            "\nafter_run = " + literal(k_audit_recipe) + "\n");
  const fs::path file = project.dir() / "retort.prom";
  SpawnOptions options = in(project);
  Process upgrade({retort_binary().string(), "upgrade", "--metrics-file", file.string()}, options);
  std::string during;
  for (int attempt = 0; attempt < 300; ++attempt) {
    during = read_file(file);
    if (during.find("retort_step_running_seconds{revision=\"s1\"}") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const ProcessResult done = upgrade.wait();
  ASSERT_EQ(done.exit_code, 0) << shown(done);
  EXPECT_TRUE(has(during, "\nretort_step_running_seconds{revision=\"s1\"} "));
  EXPECT_TRUE(has(during, "\nretort_step_statements_done{revision=\"s1\"} 1\n"))
      << "the first statement is done, the second sleeps";
  EXPECT_TRUE(has(during, "\nretort_step_statements_total{revision=\"s1\"} 2\n"));

  const std::string after = read_file(file);
  EXPECT_EQ(promtool_problems(file), "") << after;
  EXPECT_TRUE(has(after, "\nretort_steps_applied_total 1\n"));
  EXPECT_TRUE(lacks(after, "retort_step_running_seconds"));
  const std::vector<Json> audit = json_lines(read_file(project.dir() / "audit.jsonl"));
  ASSERT_EQ(audit.size(), 3U);
  EXPECT_EQ(audit[0]["event"], "before_run");
  EXPECT_EQ(audit[1]["event"], "after_step");
  EXPECT_GE(audit[1]["duration_ms"].get<std::int64_t>(), 12000);
  EXPECT_EQ(audit[2]["event"], "after_run");
  EXPECT_EQ(audit[2]["heads_after"], Json::array({"s1"}));
  EXPECT_EQ(audit[2]["database"], project.config().redacted_url);
}

#endif

}  // namespace
}  // namespace retort::test
