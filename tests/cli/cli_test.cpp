// The retort binary end to end on the embedded default (SQLite): commands, exit codes, the
// words a user reads on stdout and stderr, --json documents, and the files written.
#include "harness/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace retort::test {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class CliTest : public ::testing::Test {
 protected:
  ProcessResult retort(const std::vector<std::string>& args,
                       std::map<std::string, std::string> env = {}) {
    SpawnOptions options;
    options.cwd = m_dir.path();
    options.env = std::move(env);
    return run_retort(args, options);
  }

  // init, then three revisions in a line with real SQL.
  void make_project() {
    ASSERT_EQ(retort({"init", "migrations"}).exit_code, 0);
    m_dir.write("migrations/versions/aaa_create_users.sql",
                "-- retort:revision aaa\n-- retort:message create users\n\n-- retort:upgrade\n"
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n\n"
                "-- retort:downgrade\nDROP TABLE users;\n");
    m_dir.write("migrations/versions/bbb_create_orders.sql",
                "-- retort:revision bbb\n-- retort:revises aaa\n-- retort:message create "
                "orders\n\n-- retort:upgrade\nCREATE TABLE orders (id INTEGER);\n\n"
                "-- retort:downgrade\nDROP TABLE orders;\n");
  }

  TempDir m_dir;
};

TEST_F(CliTest, InitWritesConfigTemplateAndVersionsDirectory) {
  const ProcessResult result = retort({"init", "migrations"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(m_dir.path() / "retort.toml"));
  EXPECT_TRUE(std::filesystem::is_directory(m_dir.path() / "migrations" / "versions"));
  EXPECT_TRUE(std::filesystem::exists(m_dir.path() / "migrations" / "script.sql.tmpl"));
  EXPECT_NE(result.out.find("Created retort.toml"), std::string::npos) << result.out;
  const std::string config = read_file(m_dir.path() / "retort.toml");
  EXPECT_NE(config.find("script_location = \"migrations\""), std::string::npos) << config;

  const ProcessResult again = retort({"init", "migrations"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
}

TEST_F(CliTest, WithoutConfigurationEveryCommandSaysHowToRunInit) {
  const ProcessResult result = retort({"current"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("retort init"), std::string::npos) << result.err;
}

TEST_F(CliTest, UpgradeHistoryCurrentOnSqlite) {
  make_project();
  const ProcessResult up = retort({"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.err.find("[1/2] upgrade aaa: create users ok ("), std::string::npos) << up.err;
  EXPECT_NE(up.out.find("2 steps"), std::string::npos) << up.out;
  EXPECT_TRUE(std::filesystem::exists(m_dir.path() / "app.db"));

  const ProcessResult history = retort({"history"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(history.out, "aaa -> bbb (head), create orders\n<base> -> aaa, create users\n");

  const ProcessResult now = retort({"current"});
  ASSERT_EQ(now.exit_code, 0) << now.err;
  EXPECT_EQ(now.out, "bbb (head)\n");

  const ProcessResult check = retort({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(CliTest, JsonOutputIsOneDocumentOnStdout) {
  make_project();
  const ProcessResult up = retort({"upgrade", "--json"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const auto doc = nlohmann::json::parse(up.out);
  EXPECT_EQ(doc["heads_after"], nlohmann::json::array({"bbb"}));
  ASSERT_EQ(doc["steps"].size(), 2U);
  EXPECT_EQ(doc["steps"][0]["revision"], "aaa");
  EXPECT_EQ(doc["steps"][0]["status"], "ok");

  const auto current = nlohmann::json::parse(retort({"current", "--json"}).out);
  EXPECT_EQ(current["heads"][0]["revision"], "bbb");
  EXPECT_EQ(current["up_to_date"], true);

  const auto heads = nlohmann::json::parse(retort({"heads", "--json"}).out);
  ASSERT_EQ(heads.size(), 1U);
  EXPECT_EQ(heads[0]["revision"], "bbb");

  const auto history = nlohmann::json::parse(retort({"history", "--json"}).out);
  EXPECT_EQ(history.size(), 2U);
}

TEST_F(CliTest, AFailingMigrationExitsOneWithFileLineStateAndNextCommand) {
  make_project();
  m_dir.write("migrations/versions/ccc_broken.sql",
              "-- retort:revision ccc\n-- retort:revises bbb\n-- retort:message broken\n\n"
              "-- retort:upgrade\nCREATE TABLE fine (id INTEGER);\n"
              "INSERT INTO missing VALUES (1);\n");
  const ProcessResult up = retort({"upgrade"});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find("migrations/versions/ccc_broken.sql:7"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("no such table: missing"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("database: revision ccc was rolled back; the database is at bbb"),
            std::string::npos)
      << up.err;
  EXPECT_NE(up.err.find("next: "), std::string::npos) << up.err;
  // bbb is no longer the head of the files; ccc did not apply, and its failure is shown.
  const ProcessResult now = retort({"current"});
  EXPECT_EQ(now.out.substr(0, 4), "bbb\n") << now.out;
  EXPECT_NE(now.out.find("upgrade ccc failed (started "), std::string::npos) << now.out;
  EXPECT_NE(now.out.find("0 of 2 statements ran"), std::string::npos) << now.out;
}

TEST_F(CliTest, RevisionWritesAFileThatLoadsAndChainsOnTheHead) {
  make_project();
  const ProcessResult made = retort({"revision", "-m", "Add index!", "--rev-id", "ddd"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_TRUE(
      std::filesystem::exists(m_dir.path() / "migrations" / "versions" / "ddd_add_index.sql"))
      << made.out;
  const ProcessResult heads = retort({"heads"});
  EXPECT_EQ(heads.out, "ddd (head)\n") << heads.err;
  const std::string text =
      read_file(m_dir.path() / "migrations" / "versions" / "ddd_add_index.sql");
  EXPECT_NE(text.find("-- retort:revises bbb"), std::string::npos) << text;
}

TEST_F(CliTest, RevisionRefusesWhatAlembicRefusesAndMergeJoinsHeads) {
  make_project();
  // A second branch on aaa needs --splice: aaa is not a head.
  const ProcessResult no_splice = retort({"revision", "-m", "side", "--head", "aaa"});
  EXPECT_EQ(no_splice.exit_code, 2);
  EXPECT_NE(no_splice.err.find("revision aaa is not a head"), std::string::npos) << no_splice.err;
  EXPECT_NE(no_splice.err.find("--splice"), std::string::npos) << no_splice.err;

  const ProcessResult spliced =
      retort({"revision", "-m", "side", "--head", "aaa", "--splice", "--rev-id", "sss"});
  ASSERT_EQ(spliced.exit_code, 0) << spliced.err;
  m_dir.write("migrations/versions/sss_side.sql",
              "-- retort:revision sss\n-- retort:revises aaa\n-- retort:message side\n\n"
              "-- retort:upgrade\nCREATE TABLE side (id INTEGER);\n");
  EXPECT_EQ(retort({"heads"}).out, "bbb (head)\nsss (head)\n");

  // Two heads: a plain revision must say which head.
  const ProcessResult ambiguous = retort({"revision", "-m", "next"});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.err.find("several heads are present"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("bbb, sss"), std::string::npos) << ambiguous.err;

  const ProcessResult branches = retort({"branches"});
  EXPECT_NE(branches.out.find("-> aaa (branchpoint), create users"), std::string::npos)
      << branches.out;

  const ProcessResult merged = retort({"merge", "heads", "-m", "join", "--rev-id", "mmm"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const std::string text = read_file(m_dir.path() / "migrations" / "versions" / "mmm_join.sql");
  EXPECT_NE(text.find("-- retort:revises bbb sss"), std::string::npos) << text;
  EXPECT_EQ(retort({"heads"}).out, "mmm (head)\n");
  // A merge with no statement runs: it only joins the graph.
  const ProcessResult up = retort({"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  // As Alembic's current: the merge revision is marked as one.
  EXPECT_EQ(retort({"current"}).out, "mmm (head) (mergepoint)\n");

  const ProcessResult show = retort({"show", "mmm"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Rev: mmm (head)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Parent: bbb, sss"), std::string::npos) << show.out;
}

TEST_F(CliTest, AnApplicationMigratesAtStartUpThroughTheLibrary) {
  make_project();
  SpawnOptions options;
  options.cwd = m_dir.path();
  const ProcessResult before = run({RETORT_STARTUP_EXAMPLE, "--probe"}, options);
  EXPECT_EQ(before.exit_code, 1) << before.out << before.err;
  EXPECT_EQ(before.out, "not ready: 2 revision(s) pending\n");

  const ProcessResult started = run({RETORT_STARTUP_EXAMPLE}, options);
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "migrated 2 step(s); serving on a database at bbb\n");

  const ProcessResult replica = run({RETORT_STARTUP_EXAMPLE}, options);
  EXPECT_EQ(replica.out, "migrated 0 step(s); serving on a database at bbb\n");
  EXPECT_EQ(run({RETORT_STARTUP_EXAMPLE, "--probe"}, options).exit_code, 0);
  EXPECT_EQ(retort({"current"}).out, "bbb (head)\n");
}

TEST_F(CliTest, UnknownTargetAndBadFlagsAreInputErrors) {
  make_project();
  const ProcessResult bad_target = retort({"upgrade", "zzz"});
  EXPECT_EQ(bad_target.exit_code, 2) << bad_target.err;
  const ProcessResult bad_flag = retort({"upgrade", "--no-such-flag"});
  EXPECT_EQ(bad_flag.exit_code, 2) << bad_flag.err;
}

TEST_F(CliTest, PasswordsNeverAppearInOutput) {
  make_project();
  const ProcessResult result =
      retort({"current", "-v"}, {{"RETORT_URL", "postgresql://app:hunter2secret@127.0.0.1:1/db"}});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(result.out.find("hunter2secret"), std::string::npos) << result.out;
  EXPECT_EQ(result.err.find("hunter2secret"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("***"), std::string::npos) << result.err;
}

// Issue #15, item 1: a mistyped or missing command says so, as Alembic's argparse does.
TEST_F(CliTest, AnUnknownCommandNamesTheNearestOneAndListsThemAll) {
  make_project();
  const ProcessResult typo = retort({"upgrde", "head"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("error: unknown command 'upgrde'; did you mean 'upgrade'?"),
            std::string::npos)
      << typo.err;
  EXPECT_NE(typo.err.find("commands:"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("    downgrade  Revert migrations down to a target"), std::string::npos)
      << typo.err;
  EXPECT_EQ(typo.err.find("subcommand is required"), std::string::npos) << typo.err;
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "app.db")) << "nothing may run";

  // Alembic's `edit` is no command of retort, and no typo of one.
  const ProcessResult edit = retort({"edit"});
  EXPECT_EQ(edit.exit_code, 2);
  EXPECT_NE(edit.err.find("error: unknown command 'edit'\n"), std::string::npos) << edit.err;

  const ProcessResult nested = retort({"timings", "exprot"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_NE(nested.err.find("unknown command 'exprot'; did you mean 'export'?"), std::string::npos)
      << nested.err;

  const ProcessResult none = retort({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("error: retort needs a command"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("    upgrade"), std::string::npos) << none.err;

  const ProcessResult json = retort({"--json", "upgrde"});
  EXPECT_EQ(json.exit_code, 2);
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_NE(doc.dump().find("did you mean 'upgrade'?"), std::string::npos) << json.out;
}

TEST_F(CliTest, HelpCommandIsTheCommandsHelp) {
  const ProcessResult help = retort({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out, retort({"--help"}).out);
  EXPECT_NE(help.out.find("downgrade"), std::string::npos) << help.out;

  const ProcessResult upgrade = retort({"help", "upgrade"});
  EXPECT_EQ(upgrade.exit_code, 0) << upgrade.err;
  EXPECT_EQ(upgrade.out, retort({"upgrade", "--help"}).out);
  EXPECT_NE(upgrade.out.find("--sql"), std::string::npos) << upgrade.out;

  EXPECT_EQ(retort({"help", "timings", "import"}).out, retort({"timings", "import", "--help"}).out);
  const ProcessResult unknown = retort({"help", "upgrde"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("did you mean 'upgrade'?"), std::string::npos) << unknown.err;
}

TEST_F(CliTest, AMissingArgumentIsNamedWithTheUsageLine) {
  make_project();
  const ProcessResult down = retort({"downgrade"});
  EXPECT_EQ(down.exit_code, 2);
  EXPECT_NE(down.err.find("error: retort downgrade needs target: -1, REV, base, LABEL@base"),
            std::string::npos)
      << down.err;
  EXPECT_NE(down.err.find("  Usage: retort downgrade [OPTIONS] target"), std::string::npos)
      << down.err;
  EXPECT_NE(down.err.find("next: retort downgrade --help"), std::string::npos) << down.err;

  const ProcessResult revision = retort({"revision"});
  EXPECT_EQ(revision.exit_code, 2);
  EXPECT_NE(revision.err.find("retort revision needs --message"), std::string::npos)
      << revision.err;
}

TEST_F(CliTest, ARangeWithoutSqlSaysARangeNeedsSql) {
  make_project();
  const ProcessResult up = retort({"upgrade", "aaa:bbb"});
  EXPECT_EQ(up.exit_code, 2);
  EXPECT_NE(up.err.find("error: 'aaa:bbb' is a range START:END, which only upgrade --sql takes"),
            std::string::npos)
      << up.err;
  EXPECT_NE(up.err.find("next: retort upgrade --sql aaa:bbb > script.sql, or retort upgrade bbb"),
            std::string::npos)
      << up.err;
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "app.db")) << "the database is untouched";
  EXPECT_EQ(retort({"upgrade", "--sql", "aaa:bbb"}).exit_code, 0);
}

// Issue #15, item 2: targets as Alembic 1.8 reads them.
TEST_F(CliTest, APartialIdOfAnyLengthNamesALongIdButNeverAShortOne) {
  make_project();
  m_dir.write("migrations/versions/c0ffee01_create_items.sql",
              "-- retort:revision c0ffee01\n-- retort:revises bbb\n-- retort:message create "
              "items\n\n-- retort:upgrade\nCREATE TABLE items (id INTEGER);\n\n"
              "-- retort:downgrade\nDROP TABLE items;\n");
  const ProcessResult one = retort({"show", "c"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("Rev: c0ffee01"), std::string::npos) << one.out;

  // aaa is three characters: only "aaa" names it, as in Alembic.
  const ProcessResult short_id = retort({"upgrade", "a"});
  EXPECT_EQ(short_id.exit_code, 2);
  EXPECT_NE(short_id.err.find("No revision or branch label matches 'a'; aaa is a revision id "
                              "shorter than four characters, which only the full id names"),
            std::string::npos)
      << short_id.err;

  ASSERT_EQ(retort({"upgrade", "c0f"}).exit_code, 0);
  EXPECT_EQ(retort({"current"}).out, "c0ffee01 (head)\n");
}

TEST_F(CliTest, HistoryRangesWithCurrentReadTheDatabase) {
  make_project();
  m_dir.write("migrations/versions/ccc_create_items.sql",
              "-- retort:revision ccc\n-- retort:revises bbb\n-- retort:message create items\n\n"
              "-- retort:upgrade\nCREATE TABLE items (id INTEGER);\n");
  ASSERT_EQ(retort({"upgrade", "bbb"}).exit_code, 0);
  const ProcessResult above = retort({"history", "-r", "current:head"});
  ASSERT_EQ(above.exit_code, 0) << above.err;
  EXPECT_EQ(above.out, "bbb -> ccc (head), create items\naaa -> bbb, create orders\n");
  const ProcessResult below = retort({"history", "-r", ":current"});
  ASSERT_EQ(below.exit_code, 0) << below.err;
  EXPECT_EQ(below.out, "aaa -> bbb, create orders\n<base> -> aaa, create users\n");
}

TEST_F(CliTest, CurrentMarksHeadsBranchpointsMergepointsAndEffectiveHeads) {
  ASSERT_EQ(retort({"init", "migrations"}).exit_code, 0);
  const auto write = [this](const std::string& id, const std::string& header) {
    m_dir.write("migrations/versions/" + id + "_t.sql",
                "-- retort:revision " + id + "\n" + header + "-- retort:message t " + id +
                    "\n\n-- retort:upgrade\nCREATE TABLE t_" + id + " (id INTEGER);\n");
  };
  // aaa branches into bbb and ccc, which ddd merges; fff depends on the base eee.
  write("aaa", "");
  write("bbb", "-- retort:revises aaa\n");
  write("ccc", "-- retort:revises aaa\n");
  write("ddd", "-- retort:revises bbb ccc\n");
  write("eee", "");
  write("fff", "-- retort:revises ddd\n-- retort:depends_on eee\n");
  ASSERT_EQ(retort({"upgrade", "aaa"}).exit_code, 0);
  EXPECT_EQ(retort({"current"}).out, "aaa (branchpoint)\n");
  ASSERT_EQ(retort({"upgrade", "ddd"}).exit_code, 0);
  EXPECT_EQ(retort({"current"}).out, "ddd (mergepoint)\n");
  ASSERT_EQ(retort({"upgrade", "eee"}).exit_code, 0);
  EXPECT_EQ(retort({"current"}).out, "ddd (mergepoint)\neee (effective head)\n");
  ASSERT_EQ(retort({"upgrade", "heads"}).exit_code, 0);
  EXPECT_EQ(retort({"current"}).out, "fff (head)\n");
}

// Issue #15, item 3: the progress bar on a real terminal (tmux's), at several widths. The
// bar is caught while a slow step runs, then the screen is read when the run has ended.
class ProgressOnATerminal : public CliTest, public ::testing::WithParamInterface<int> {
 protected:
  ProcessResult tmux(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"tmux", "-S", (m_dir.path() / "tmux.sock").string(), "-f", "/dev/null"});
    return run(args);
  }
  // The pane's text, wrapped lines joined: a line longer than the pane was wrapped.
  std::vector<std::string> screen() {
    std::vector<std::string> lines;
    std::istringstream text(tmux({"capture-pane", "-p", "-J", "-t", "run"}).out);
    for (std::string line; std::getline(text, line);) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }
  void TearDown() override { (void)tmux({"kill-server"}); }
};

bool is_bar(const std::string& line) {
  return line.find("[#") != std::string::npos || line.find("[.") != std::string::npos;
}

TEST_P(ProgressOnATerminal, TheBarFitsTheWidthAndLeavesNoFragments) {
  const int columns = GetParam();
  const std::string long_message =
      "copy three million generated rows twice for the reporting dashboard, then index them";
  ASSERT_EQ(retort({"init", "migrations"}).exit_code, 0);
  m_dir.write("migrations/versions/aaa_first.sql",
              "-- retort:revision aaa\n-- retort:message create users\n\n-- retort:upgrade\n"
              "CREATE TABLE users (id INTEGER);\n");
  const std::string rows =
      " AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
      "SELECT x FROM c;\n";
  m_dir.write("migrations/versions/bbb_slow.sql",
              "-- retort:revision bbb\n-- retort:revises aaa\n-- retort:message " + long_message +
                  "\n\n-- retort:upgrade\nCREATE TABLE big1" + rows + "CREATE TABLE big2" + rows +
                  "CREATE TABLE big3" + rows + "CREATE INDEX big1_x ON big1 (x);\n");
  m_dir.write("migrations/versions/ccc_last.sql",
              "-- retort:revision ccc\n-- retort:revises bbb\n-- retort:message create orders\n\n"
              "-- retort:upgrade\nCREATE TABLE orders (id INTEGER);\n");

  const std::string command = "cd '" + m_dir.path().string() +
                              "' && env -u RETORT_URL -u DATABASE_URL NO_COLOR=1 COLUMNS=500 '" +
                              retort_binary().string() +
                              "' upgrade head; echo retort-exit=$?; sleep 600";
  const ProcessResult started =
      tmux({"new-session", "-d", "-s", "run", "-x", std::to_string(columns), "-y", "50", command});
  ASSERT_EQ(started.exit_code, 0) << "tmux is needed (scripts/install-deps.sh): " << started.err;

  std::vector<std::string> bars;  // every bar line seen while the run lasted
  std::vector<std::string> final_screen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    final_screen = screen();
    const bool done = std::any_of(final_screen.begin(), final_screen.end(), [](const auto& line) {
      return line.starts_with("retort-exit=");
    });
    if (done) break;
    for (const std::string& line : final_screen)
      if (is_bar(line)) bars.push_back(line);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string shown;
  for (const std::string& line : final_screen) shown += line + "\n";
  ASSERT_NE(shown.find("retort-exit=0"), std::string::npos) << shown;

  // What stays: one line per step (each message once), the summary; no piece of a bar.
  for (const std::string& line : final_screen) EXPECT_FALSE(is_bar(line)) << shown;
  const auto count = [&shown](const std::string& what) {
    std::size_t found = 0;
    for (std::size_t pos = shown.find(what); pos != std::string::npos;
         pos = shown.find(what, pos + 1))
      ++found;
    return found;
  };
  EXPECT_EQ(count("[2/3] upgrade bbb: " + long_message + " ok ("), 1U) << shown;
  EXPECT_EQ(count("million"), 1U) << shown;
  EXPECT_EQ(count("create users"), 1U) << shown;

  if (columns < 50) {
    EXPECT_TRUE(bars.empty()) << "below 50 columns, plain lines only; saw " << bars.front();
    return;
  }
  ASSERT_FALSE(bars.empty()) << "no bar was seen during the slow step\n" << shown;
  std::vector<std::string> slow;  // the bars of the slow step
  for (const std::string& bar : bars) {
    EXPECT_LT(bar.size(), static_cast<std::size_t>(columns)) << bar;
    if (bar.find(" 2/3 upgrade bbb ") != std::string::npos) slow.push_back(bar);
  }
  ASSERT_FALSE(slow.empty()) << "the slow step's bar was not seen\n" << shown;
  if (columns >= 200) {
    EXPECT_NE(slow.back().find(long_message + "  "), std::string::npos)
        << "room for the whole message: " << slow.back();
  } else {
    EXPECT_NE(slow.back().find("copy three million"), std::string::npos) << slow.back();
    EXPECT_NE(slow.back().find("...  "), std::string::npos) << slow.back();
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, ProgressOnATerminal, ::testing::Values(40, 80, 200));

TEST_F(CliTest, AnApplicationsSqlalchemyUrlRunsAsItIsWithANoteOnStderr) {
  make_project();
  const std::string note =
      "note: the database URL from the environment variable DATABASE_URL names the SQLAlchemy "
      "driver aiosqlite; retort connects through sqlite3 itself, so it reads "
      "sqlite+aiosqlite:// as sqlite://\n";
  const ProcessResult up =
      retort({"upgrade", "head"}, {{"DATABASE_URL", "sqlite+aiosqlite:///data.db"}});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.err.find(note), std::string::npos) << up.err;
  EXPECT_TRUE(std::filesystem::exists(m_dir.path() / "data.db")) << "relative to the directory";
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "app.db")) << "DATABASE_URL wins";

  // An absolute path, with --json: stdout stays one document, the note goes to stderr.
  const std::string absolute = "sqlite+pysqlite:///" + (m_dir.path() / "data.db").string();
  const ProcessResult current = retort({"current", "--json"}, {{"DATABASE_URL", absolute}});
  ASSERT_EQ(current.exit_code, 0) << current.err;
  const auto doc = nlohmann::json::parse(current.out);
  EXPECT_EQ(doc["heads"][0]["revision"], "bbb") << current.out;
  EXPECT_NE(current.err.find("names the SQLAlchemy driver pysqlite"), std::string::npos)
      << current.err;
  const ProcessResult quiet = retort({"current", "-q"}, {{"DATABASE_URL", absolute}});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("note:"), std::string::npos) << "-q prints only errors and results";

  // sqlite:// is SQLAlchemy's in-memory database: the run works and writes no file.
  const ProcessResult memory = retort({"upgrade", "head"}, {{"DATABASE_URL", "sqlite://"}});
  EXPECT_EQ(memory.exit_code, 0) << memory.err;
  EXPECT_NE(memory.err.find("[2/2] upgrade bbb"), std::string::npos) << memory.err;
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "app.db"));
}

TEST_F(CliTest, AnUnsupportedSchemeIsAnInputErrorNamingItAndWhatIsSupported) {
  make_project();
  const ProcessResult result =
      retort({"upgrade", "head"}, {{"DATABASE_URL", "mysql+pymysql://app:hunter2secret@db/shop"}});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("unsupported scheme 'mysql+pymysql': retort supports postgresql:// (or "
                            "postgres://) and sqlite:///, with or without a SQLAlchemy driver"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("(from the environment variable DATABASE_URL)"), std::string::npos)
      << result.err;
  EXPECT_EQ((result.out + result.err).find("hunter2secret"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "app.db")) << "nothing ran";
}

}  // namespace
}  // namespace retort::test
