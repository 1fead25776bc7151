// Every command's --json through the retort binary on a SQLite project: one document on stdout
// that a script can parse, and {"error": {...}} with exit code 1 or 2 when the command fails.
#include "harness/process.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;
using nlohmann::json;

// Runs `retort --json ARGS...` in dir, checks the exit code and parses stdout as one document.
json run_json(const std::filesystem::path& dir, Strings args, int expected_exit) {
  args.insert(args.begin(), "--json");
  SpawnOptions options;
  options.cwd = dir;
  const ProcessResult result = run_retort(args, options);
  EXPECT_EQ(result.exit_code, expected_exit) << "retort " << args[1] << "\nstdout:\n"
                                             << result.out << "\nstderr:\n"
                                             << result.err;
  try {
    return json::parse(result.out);
  } catch (const json::parse_error& error) {
    ADD_FAILURE() << "retort " << args[1] << ": stdout is not one JSON document (" << error.what()
                  << "):\n"
                  << result.out;
    return json::object();
  }
}

Strings revisions_of(const json& list) {
  Strings out;
  for (const json& item : list) {
    out.push_back(item.at("revision").get<std::string>());
  }
  return out;
}

class CliJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_project.add({"a1",
                   {},
                   "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                   "DROP TABLE users;",
                   {},
                   "create users"});
    m_project.add({"b2",
                   {"a1"},
                   "CREATE TABLE orders (id INTEGER);\nCREATE TABLE items (id "
                   "INTEGER);",
                   "DROP TABLE items;\nDROP TABLE orders;",
                   {"branch_labels orders", "estimate 90s"},
                   "create orders"});
    m_project.add({"c3",
                   {"a1"},
                   "CREATE TABLE audit (id INTEGER);",
                   "",
                   {"transaction false"},
                   "create audit"});
    m_project.write_config_file();
  }

  [[nodiscard]] const std::filesystem::path& dir() const { return m_project.dir(); }

  Project m_project{Backend::sqlite, "cli_json"};
};

TEST(CliJsonInit, InitListsWhatItCreatedAndRefusesASecondTime) {
  const TempDir empty;
  const json created = run_json(empty.path(), {"init", "migrations"}, 0);
  EXPECT_EQ(created.at("config_file")
                .get<std::string>()
                .substr(created.at("config_file").get<std::string>().rfind('/') + 1),
            "retort.toml");
  EXPECT_NE(created.at("script_location").get<std::string>().find("migrations"), std::string::npos);
  EXPECT_GE(created.at("created").size(), 3U) << created.dump();
  EXPECT_TRUE(std::filesystem::exists(empty.path() / "migrations" / "script.sql.tmpl"));

  const json refused = run_json(empty.path(), {"init", "migrations"}, 2);
  ASSERT_TRUE(refused.contains("error")) << refused.dump();
  EXPECT_EQ(refused["error"].at("exit_code"), 2);
  EXPECT_NE(refused["error"].at("message").get<std::string>().find("retort.toml"),
            std::string::npos)
      << refused.dump();
}

TEST_F(CliJsonTest, ReadingCommandsDescribeTheGraph) {
  const json heads = run_json(dir(), {"heads"}, 0);
  EXPECT_EQ(revisions_of(heads), (Strings{"b2", "c3"}));
  for (const json& head : heads) {
    EXPECT_EQ(head.at("is_head"), true);
  }

  const json branches = run_json(dir(), {"branches"}, 0);
  ASSERT_EQ(branches.size(), 1U) << branches.dump();
  EXPECT_EQ(branches[0].at("revision"), "a1");
  EXPECT_EQ(branches[0].at("is_branch_point"), true);
  EXPECT_EQ(branches[0].at("children").get<Strings>(), (Strings{"b2", "c3"}));

  const json history = run_json(dir(), {"history"}, 0);
  Strings all = revisions_of(history);
  ASSERT_EQ(all.size(), 3U) << history.dump();
  EXPECT_EQ(all.back(), "a1") << "newest first, the base last";

  const json shown = run_json(dir(), {"show", "b2"}, 0);
  EXPECT_EQ(shown.at("revision"), "b2");
  EXPECT_EQ(shown.at("message"), "create orders");
  EXPECT_EQ(shown.at("down_revisions").get<Strings>(), Strings{"a1"});
  EXPECT_EQ(shown.at("branch_labels").get<Strings>(), Strings{"orders"});
  EXPECT_EQ(shown.at("path"), "migrations/versions/b2_change.sql");
  EXPECT_EQ(shown.at("estimate_ms"), 90000);
  EXPECT_EQ(shown.at("transactional"), true);
  const json audit = run_json(dir(), {"show", "c3"}, 0);
  EXPECT_EQ(audit.at("transactional"), false);
  EXPECT_EQ(audit.at("has_downgrade"), false);
  EXPECT_EQ(audit.at("estimate_ms"), nullptr);
}

TEST_F(CliJsonTest, RunningCommandsReportStepsAndHeads) {
  const json up = run_json(dir(), {"upgrade", "b2"}, 0);
  EXPECT_EQ(up.at("target"), "b2");
  EXPECT_EQ(up.at("heads_before").get<Strings>(), Strings{});
  EXPECT_EQ(up.at("heads_after").get<Strings>(), Strings{"b2"});
  ASSERT_EQ(up.at("steps").size(), 2U) << up.dump();
  EXPECT_EQ(up["steps"][1].at("revision"), "b2");
  EXPECT_EQ(up["steps"][1].at("direction"), "upgrade");
  EXPECT_EQ(up["steps"][1].at("status"), "ok");
  EXPECT_EQ(up["steps"][1].at("statements_done"), 2);
  EXPECT_EQ(up["steps"][1].at("statements_total"), 2);
  EXPECT_EQ(up.at("database").get<std::string>().rfind("sqlite:///", 0), 0U) << up.dump();

  const json now = run_json(dir(), {"current"}, 0);
  EXPECT_EQ(revisions_of(now.at("heads")), Strings{"b2"});
  EXPECT_EQ(now.at("pending").get<Strings>(), Strings{"c3"});
  EXPECT_EQ(now.at("up_to_date"), false);
  EXPECT_EQ(now.at("unfinished").size(), 0U);

  const json pending = run_json(dir(), {"check"}, 1);
  EXPECT_EQ(pending.at("ok"), false);
  ASSERT_EQ(pending.at("findings").size(), 1U) << pending.dump();
  EXPECT_NE(pending["findings"][0].get<std::string>().find("c3"), std::string::npos);

  const json all = run_json(dir(), {"upgrade", "heads"}, 0);
  EXPECT_EQ(revisions_of(all.at("steps")), Strings{"c3"});
  EXPECT_EQ(all.at("heads_after").get<Strings>(), (Strings{"b2", "c3"}));
  // Nothing pending now, but two heads of the files: check still fails, for that reason alone.
  const json two_heads = run_json(dir(), {"check"}, 1);
  ASSERT_EQ(two_heads.at("findings").size(), 1U) << two_heads.dump();
  EXPECT_EQ(two_heads["findings"][0],
            "the migration files have 2 heads (b2, c3); merge them: retort merge heads -m "
            "\"merge heads\"");

  const json down = run_json(dir(), {"downgrade", "orders@-1"}, 0);
  ASSERT_EQ(down.at("steps").size(), 1U) << down.dump();
  EXPECT_EQ(down["steps"][0].at("revision"), "b2");
  EXPECT_EQ(down["steps"][0].at("direction"), "downgrade");
  EXPECT_EQ(m_project.version_rows(), Strings{"c3"}) << "a1 stays applied as c3's parent";

  const json stamped = run_json(dir(), {"stamp", "b2", "--reason", "applied by hand"}, 0);
  EXPECT_EQ(stamped.at("heads_before").get<Strings>(), Strings{"c3"});
  EXPECT_EQ(stamped.at("heads_after").get<Strings>(), (Strings{"b2", "c3"}));
  EXPECT_EQ(m_project.version_rows(), (Strings{"b2", "c3"}));
  EXPECT_EQ(m_project.query_rows("SELECT direction, reason FROM retort_log ORDER BY id DESC "
                                 "LIMIT 1"),
            Strings{"stamp|applied by hand"});
}

TEST_F(CliJsonTest, WritingCommandsReportTheNewFile) {
  const json merged = run_json(dir(), {"merge", "heads", "-m", "join", "--rev-id", "d4"}, 0);
  EXPECT_EQ(merged.at("revision"), "d4");
  EXPECT_EQ(merged.at("down_revisions").get<Strings>(), (Strings{"b2", "c3"}));
  EXPECT_EQ(merged.at("is_merge_point"), true);
  EXPECT_TRUE(std::filesystem::exists(dir() / merged.at("path").get<std::string>()));

  const json written = run_json(dir(), {"revision", "-m", "add email", "--rev-id", "e5"}, 0);
  EXPECT_EQ(written.at("revision"), "e5");
  EXPECT_EQ(written.at("down_revisions").get<Strings>(), Strings{"d4"});
  EXPECT_EQ(written.at("message"), "add email");
  EXPECT_EQ(written.at("is_head"), true);
}

TEST_F(CliJsonTest, ErrorsAreOneDocumentWithTheExitCode) {
  // Input error (exit 2): two heads, no single `head`.
  const json heads = run_json(dir(), {"upgrade", "head"}, 2);
  ASSERT_TRUE(heads.contains("error")) << heads.dump();
  EXPECT_EQ(heads["error"].at("exit_code"), 2);
  const std::string explained = heads["error"].at("message").get<std::string>() + " " +
                                heads["error"].at("explanation").get<std::string>();
  EXPECT_NE(explained.find("b2"), std::string::npos) << explained;
  EXPECT_NE(explained.find("c3"), std::string::npos) << explained;
  EXPECT_NE(heads["error"].at("next_command").get<std::string>().find("retort"), std::string::npos);

  const json unknown = run_json(dir(), {"show", "zz9"}, 2);
  ASSERT_TRUE(unknown.contains("error")) << unknown.dump();
  EXPECT_NE(unknown["error"].at("message").get<std::string>().find("zz9"), std::string::npos);

  // A migration that fails (exit 1): where, the database's state, and nothing applied of it.
  m_project.add({"f6",
                 {"b2"},
                 "CREATE TABLE f (id INTEGER);\nINSERT INTO missing VALUES (1);",
                 "DROP TABLE f;",
                 {},
                 "broken"});
  const json failed = run_json(dir(), {"upgrade", "f6"}, 1);
  ASSERT_TRUE(failed.contains("error")) << failed.dump();
  EXPECT_EQ(failed["error"].at("exit_code"), 1);
  EXPECT_EQ(failed["error"].at("file"), "migrations/versions/f6_change.sql");
  EXPECT_EQ(failed["error"].at("line"), 7);
  EXPECT_NE(failed["error"].at("message").get<std::string>().find("missing"), std::string::npos)
      << failed.dump();
  EXPECT_NE(failed["error"].at("database_state").get<std::string>().find("b2"), std::string::npos)
      << failed.dump();
  EXPECT_EQ(m_project.version_rows(), Strings{"b2"});
  EXPECT_EQ(m_project.tables(), (Strings{"items", "orders", "users"}));

  // A usage error is an error document too: a script that asked for JSON always gets one.
  const json usage = run_json(dir(), {"upgrade", "--bogus"}, 2);
  ASSERT_TRUE(usage.contains("error")) << usage.dump();
  EXPECT_EQ(usage["error"].at("exit_code"), 2);
  EXPECT_EQ(usage["error"].at("message"), "The following argument was not expected: --bogus");
  EXPECT_EQ(usage["error"].at("next_command"), "retort upgrade --help");

  // No configuration at all: say how to start.
  const TempDir nowhere;
  const json unconfigured = run_json(nowhere.path(), {"current"}, 2);
  ASSERT_TRUE(unconfigured.contains("error")) << unconfigured.dump();
  const std::string text = unconfigured["error"].dump();
  EXPECT_NE(text.find("retort init"), std::string::npos) << text;
}

}  // namespace
}  // namespace retort::test
