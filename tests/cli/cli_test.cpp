// The retort binary end to end on the embedded default (SQLite): commands, exit codes, the
// words a user reads on stdout and stderr, --json documents, and the files written.
#include "harness/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

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
  EXPECT_EQ(retort({"current"}).out, "mmm (head)\n");

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
