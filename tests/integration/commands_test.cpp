// The commands against real databases: upgrade, downgrade, stamp, current, check and --sql on
// a real SQLite file and (in the postgres build of this file) a real PostgreSQL 15.
#include "retort/commands.hpp"

#include "integration/cli_support.hpp"
#include "integration/project.hpp"
#include "retort/error.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

class CommandsTest : public ::testing::TestWithParam<Backend> {
 protected:
  Project make(const std::string& hint) { return Project(GetParam(), hint); }

  // Three revisions in a line, each reversible.
  static void add_linear(Project& project) {
    project.add({"a1",
                 {},
                 "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
                 "DROP TABLE users;",
                 {},
                 "create users"});
    project.add({"b2",
                 {"a1"},
                 "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n"
                 "CREATE INDEX orders_user_idx ON orders (user_id);",
                 "DROP INDEX orders_user_idx;\nDROP TABLE orders;",
                 {},
                 "create orders"});
    project.add({"c3",
                 {"b2"},
                 "ALTER TABLE users ADD COLUMN name TEXT;",
                 "ALTER TABLE users DROP COLUMN name;",
                 {},
                 "add name"});
  }
};

RunOptions target(const std::string& value) {
  RunOptions options;
  options.target = value;
  return options;
}

TEST_P(CommandsTest, UpgradeHeadAppliesEveryRevisionOnceInOrder) {
  Project project = make("upgrade_head");
  add_linear(project);

  const RunResult result = upgrade(project.config(), target("head"));

  ASSERT_EQ(result.steps.size(), 3U);
  EXPECT_EQ(result.steps[0].revision, "a1");
  EXPECT_EQ(result.steps[1].revision, "b2");
  EXPECT_EQ(result.steps[2].revision, "c3");
  EXPECT_EQ(result.heads_after, Strings{"c3"});
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(project.tables(), (Strings{"orders", "users"}));
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 3U);
  for (const auto& row : ledger) {
    EXPECT_EQ(row.direction, "upgrade");
    EXPECT_EQ(row.status, "ok") << row.revision;
    EXPECT_EQ(row.statements_done, row.statements_total) << row.revision;
  }
  EXPECT_EQ(ledger[1].statements_total, 2) << "b2 has two statements";

  // A second run finds nothing to do and writes nothing.
  const RunResult again = upgrade(project.config(), target("head"));
  EXPECT_TRUE(again.steps.empty());
  EXPECT_EQ(project.ledger().size(), 3U);
}

TEST_P(CommandsTest, FailingStatementLeavesSchemaAndVersionTableExactlyAsTheyWere) {
  Project project = make("failing_statement");
  project.add({"a1",
               {},
               "CREATE TABLE users (id INTEGER PRIMARY KEY);",
               "DROP TABLE users;",
               {},
               "create users"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE audit (id INTEGER);\n"
               "ALTER TABLE users ADD COLUMN note TEXT;\n"
               "INSERT INTO no_such_table VALUES (1);\n",
               "DROP TABLE audit;",
               {},
               "audit"});
  (void)upgrade(project.config(), target("a1"));
  const std::string schema_before = project.schema();

  try {
    (void)upgrade(project.config(), target("head"));
    FAIL() << "upgrade should have failed";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::failed);
    ASSERT_TRUE(error.where.has_value());
    EXPECT_EQ(error.where->file, "migrations/versions/b2_change.sql");
    // Header: 3 lines, blank, marker on 5; the failing INSERT is the third statement.
    EXPECT_EQ(error.where->line, 8);
    EXPECT_NE(std::string(error.what()).find("no_such_table"), std::string::npos) << error.what();
    EXPECT_NE(error.database_state.find("rolled back"), std::string::npos) << error.database_state;
    EXPECT_NE(error.database_state.find("a1"), std::string::npos) << error.database_state;
    EXPECT_FALSE(error.next_command.empty());
  }

  EXPECT_EQ(project.schema(), schema_before) << "nothing of b2 may remain";
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].revision, "b2");
  EXPECT_EQ(ledger[1].status, "failed");
  EXPECT_NE(ledger[1].error.find("no_such_table"), std::string::npos) << ledger[1].error;
}

TEST_P(CommandsTest, SyntaxErrorPointsAtTheLineAndColumnOfTheFailingCharacter) {
  Project project = make("syntax_position");
  project.add({"a1",
               {},
               "CREATE TABLE t (id INTEGER);\nSELECT 1;\nSELECT *\n  FROMM t;",
               "",
               {},
               "broken"});
  // PostgreSQL scripts are parsed before anything runs, so the error points at the line of
  // the bad token; SQLite reports it when the statement runs, at the statement or the token.
  const bool postgres = GetParam() == Backend::postgres;
  try {
    (void)upgrade(project.config(), target("head"));
    FAIL() << "expected a syntax error";
  } catch (const Error& error) {
    ASSERT_TRUE(error.where.has_value());
    EXPECT_EQ(error.where->file, "migrations/versions/a1_change.sql");
    if (postgres) {
      EXPECT_EQ(error.where->line, 8);
    } else {
      EXPECT_GE(error.where->line, 7);
      EXPECT_LE(error.where->line, 8);
    }
  }
  EXPECT_EQ(project.tables(), Strings{});
}

TEST_P(CommandsTest, DowngradeWalksBackOneStepAndToBase) {
  Project project = make("downgrade");
  add_linear(project);
  (void)upgrade(project.config(), target("head"));

  const RunResult one = downgrade(project.config(), target("-1"));
  ASSERT_EQ(one.steps.size(), 1U);
  EXPECT_EQ(one.steps[0].revision, "c3");
  EXPECT_EQ(one.steps[0].direction, Direction::downgrade);
  EXPECT_EQ(project.version_rows(), Strings{"b2"});

  (void)downgrade(project.config(), target("base"));
  EXPECT_EQ(project.version_rows(), Strings{});
  EXPECT_EQ(project.tables(), Strings{});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 6U);
  EXPECT_EQ(ledger.back().revision, "a1");
  EXPECT_EQ(ledger.back().direction, "downgrade");
}

TEST_P(CommandsTest, DowngradeOfAnIrreversibleRevisionIsRefusedBeforeAnythingRuns) {
  Project project = make("irreversible");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add({"b2", {"a1"}, "CREATE TABLE keep (id INTEGER);", "", {}, "no way back"});
  project.add({"c3", {"b2"}, "CREATE TABLE later (id INTEGER);", "DROP TABLE later;", {}, "later"});
  (void)upgrade(project.config(), target("head"));

  try {
    (void)downgrade(project.config(), target("base"));
    FAIL() << "downgrade across b2 must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_NE(std::string(error.what()).find("b2"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("cannot be downgraded"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(project.version_rows(), Strings{"c3"}) << "c3 must not have been downgraded";
  EXPECT_EQ(project.tables(), (Strings{"keep", "later", "users"}));
}

TEST_P(CommandsTest, StampWritesTheVersionTableAndLedgerWithoutRunningSql) {
  Project project = make("stamp");
  add_linear(project);
  RunOptions options = target("head");
  options.reason = "restored from a schema dump";

  const RunResult result = stamp(project.config(), options);

  EXPECT_EQ(result.heads_after, Strings{"c3"});
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  EXPECT_EQ(project.tables(), Strings{}) << "stamp runs no migration SQL";
  const auto ledger = project.ledger();
  ASSERT_FALSE(ledger.empty());
  EXPECT_EQ(ledger.back().direction, "stamp");
  EXPECT_EQ(ledger.back().status, "ok");

  RunOptions purge = target("a1");
  purge.purge = true;
  (void)stamp(project.config(), purge);
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
}

TEST_P(CommandsTest, UpgradeHeadsAppliesEveryBranchAndMergeJoinsThem) {
  Project project = make("branches");
  project.add({"root", {}, "CREATE TABLE root_t (id INTEGER);", "DROP TABLE root_t;", {}, "root"});
  project.add(
      {"left", {"root"}, "CREATE TABLE left_t (id INTEGER);", "DROP TABLE left_t;", {}, "left"});
  project.add({"right",
               {"root"},
               "CREATE TABLE right_t (id INTEGER);",
               "DROP TABLE right_t;",
               {},
               "right"});

  try {
    (void)upgrade(project.config(), target("head"));
    FAIL() << "head with two heads must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_NE(error.explanation.find("left"), std::string::npos) << error.explanation;
    EXPECT_NE(error.explanation.find("right"), std::string::npos) << error.explanation;
    EXPECT_NE(error.next_command.find("merge"), std::string::npos) << error.next_command;
  }
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"});

  (void)upgrade(project.config(), target("heads"));
  EXPECT_EQ(project.version_rows(), (Strings{"left", "right"}));

  project.add({"joined",
               {"left", "right"},
               "CREATE TABLE joined_t (id INTEGER);",
               "DROP TABLE joined_t;",
               {},
               "merge"});
  (void)upgrade(project.config(), target("head"));
  EXPECT_EQ(project.version_rows(), Strings{"joined"});

  // As in Alembic, -1 from a merge point is ambiguous: name the revision instead.
  try {
    (void)downgrade(project.config(), target("-1"));
    FAIL() << "-1 from a merge point must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_NE(std::string(error.what()).find("ambiguous"), std::string::npos) << error.what();
  }
  EXPECT_EQ(project.version_rows(), Strings{"joined"});
  (void)downgrade(project.config(), target("root"));
  EXPECT_EQ(project.version_rows(), Strings{"root"});
  EXPECT_EQ(project.tables(), Strings{"root_t"});
}

TEST_P(CommandsTest, CurrentAndCheckReportPendingRevisions) {
  Project project = make("current_check");
  add_linear(project);
  (void)upgrade(project.config(), target("a1"));

  const CurrentResult now = current(project.config());
  ASSERT_EQ(now.heads.size(), 1U);
  EXPECT_EQ(now.heads[0].revision, "a1");
  EXPECT_EQ(now.pending, (Strings{"b2", "c3"}));
  EXPECT_FALSE(now.up_to_date);

  const CheckResult before = check(project.config());
  EXPECT_FALSE(before.ok);
  ASSERT_EQ(before.findings.size(), 1U);
  EXPECT_NE(before.findings[0].find("2 revisions are not applied yet: b2, c3"), std::string::npos)
      << before.findings[0];

  (void)upgrade(project.config(), target("head"));
  EXPECT_TRUE(check(project.config()).ok);
  EXPECT_TRUE(current(project.config()).up_to_date);
}

TEST_P(CommandsTest, OneTransactionForTheWholeRunRollsBackEveryStep) {
  Project project = make("one_transaction");
  project.config().transaction_per_migration = false;
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add({"b2", {"a1"}, "INSERT INTO missing_table VALUES (1);", "", {}, "broken"});

  EXPECT_THROW((void)upgrade(project.config(), target("head")), Error);

  EXPECT_EQ(project.tables(), Strings{}) << "a1 must roll back with b2";
  EXPECT_EQ(project.version_rows(), Strings{});
}

TEST_P(CommandsTest, SqlOutputNeedsNoDatabaseAndHasEveryStatementAndVersionChange) {
  Project project = make("offline_sql");
  add_linear(project);
  Config offline = project.config();
  // A database that does not exist: --sql must not connect.
  offline.url = GetParam() == Backend::sqlite ? "sqlite:///no/such/dir/app.db"
                                              : "postgresql://nobody@127.0.0.1:1/none";
  std::ostringstream sql;
  RunOptions options = target("base:head");
  options.sql_out = &sql;

  (void)upgrade(offline, options);

  const std::string text = sql.str();
  EXPECT_NE(text.find("CREATE TABLE IF NOT EXISTS retort_version"), std::string::npos) << text;
  EXPECT_NE(text.find("CREATE TABLE users"), std::string::npos) << text;
  EXPECT_NE(text.find("INSERT INTO retort_version (version_num) VALUES ('a1')"), std::string::npos)
      << text;
  EXPECT_NE(text.find("UPDATE retort_version SET version_num = 'c3' WHERE version_num = 'b2'"),
            std::string::npos)
      << text;
  EXPECT_EQ(project.version_rows(), Strings{"<no version table>"});
}

TEST_P(CommandsTest, NonTransactionalMigrationRecordsEachStatement) {
  Project project = make("no_transaction");
  project.add(
      {"a1", {}, "CREATE TABLE users (id INTEGER, email TEXT);", "DROP TABLE users;", {}, "users"});
  const std::string index = GetParam() == Backend::postgres
                                ? "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);"
                                : "CREATE INDEX users_email_idx ON users (email);";
  project.add({"b2",
               {"a1"},
               index + "\nCREATE TABLE second (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
               "",
               {"transaction false"},
               "index"});

  EXPECT_THROW((void)upgrade(project.config(), target("head")), Error);

  // Statements run alone: the first two stay, and the ledger says how far it got.
  EXPECT_EQ(project.tables(), (Strings{"second", "users"}));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[1].status, "failed");
  EXPECT_EQ(ledger[1].statements_done, 2);
  EXPECT_EQ(ledger[1].statements_total, 3);
}

TEST_P(CommandsTest, AnUpgradeSectionWithNoStatementIsRefusedBeforeAnythingRuns) {
  Project project = make("empty_upgrade");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add({"b2", {"a1"}, "-- to be written", "", {}, "unfinished"});

  try {
    (void)upgrade(project.config(), target("head"));
    FAIL() << "an empty upgrade section must not run";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_EQ(std::string(error.what()), "the upgrade section of revision b2 has no statement");
    ASSERT_TRUE(error.where.has_value());
    EXPECT_EQ(error.where->file, "migrations/versions/b2_change.sql");
    EXPECT_EQ(error.where->line, 5);
  }
  EXPECT_EQ(project.tables(), Strings{}) << "a1 must not run either: the plan is checked first";

  // check says so before a deploy tries.
  const CheckResult checked = check(project.config());
  EXPECT_FALSE(checked.ok);
  std::string findings;
  for (const std::string& finding : checked.findings) {
    findings += finding + "\n";
  }
  EXPECT_TRUE(has(findings,
                  "migrations/versions/b2_change.sql:5: the upgrade section of revision b2 has no "
                  "statement\n  fix: write the upgrade SQL below `-- retort:upgrade`, or, if the "
                  "section is meant to do nothing, add `-- retort:empty upgrade` to the header"));
}

// A downgrade section with nothing in it used to report ok and revert nothing.
TEST_P(CommandsTest, ADowngradeSectionWithNoStatementIsRefusedBeforeAnythingRuns) {
  Project project = make("empty_downgrade");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add(
      {"b2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "-- to be written", {}, "orders"});
  write_config(project);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"downgrade", "base"},
        std::vector<std::string>{"downgrade", "--sql", "b2:base"}}) {
    const ProcessResult down = retort(project, args);
    EXPECT_EQ(down.exit_code, 2) << shown(down);
    EXPECT_TRUE(has(down.err, "the downgrade section of revision b2 has no statement"));
    EXPECT_TRUE(has(down.err, "migrations/versions/b2_change.sql:8"));
    EXPECT_TRUE(has(down.err, "add `-- retort:empty downgrade` to the header"));
    EXPECT_TRUE(lacks(down.out, "DROP TABLE users")) << "the --sql script is not written";
  }
  EXPECT_EQ(project.tables(), (Strings{"orders", "users"})) << "a1 must not be downgraded either";
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.ledger().size(), 2U) << "no downgrade is recorded";
}

// `-- retort:empty downgrade`: the data the upgrade added may stay; the downgrade runs nothing
// and is recorded as done.
TEST_P(CommandsTest, ADeclaredEmptyDowngradeRunsAsANoOp) {
  Project project = make("declared_empty");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add({"b2",
               {"a1"},
               "INSERT INTO users (id) VALUES (1);",
               "-- the row may stay",
               {"empty downgrade"},
               "seed"});
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);

  const ProcessResult script = retort(project, {"downgrade", "--sql", "b2:a1"});
  EXPECT_EQ(script.exit_code, 0) << shown(script);
  EXPECT_TRUE(has(script.out, "-- retort:empty downgrade: the section deliberately runs nothing"));

  const ProcessResult down = retort(project, {"downgrade", "a1"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.query_rows("SELECT id FROM users"), Strings{"1"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 3U);
  EXPECT_EQ(ledger[2].revision, "b2");
  EXPECT_EQ(ledger[2].direction, "downgrade");
  EXPECT_EQ(ledger[2].status, "ok");
  EXPECT_EQ(ledger[2].statements_total, 0);

  // The upgrade still runs as written.
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM users"), Strings{"2"});
}

TEST_P(CommandsTest, EmptyOnASectionThatHoldsStatementsIsAnInputError) {
  Project project = make("empty_with_sql");
  project.add({"a1",
               {},
               "CREATE TABLE users (id INTEGER);",
               "DROP TABLE users;",
               {"empty upgrade"},
               "users"});
  write_config(project);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"upgrade", "head"}, std::vector<std::string>{"check"}}) {
    const ProcessResult run = retort(project, args);
    EXPECT_EQ(run.exit_code, args[0] == "check" ? 1 : 2) << shown(run);
    EXPECT_TRUE(has(run.err + run.out,
                    "`-- retort:empty upgrade`, but the upgrade section (line 5) holds "
                    "statements"));
  }
  EXPECT_EQ(project.tables(), Strings{});
}

// Invalid UTF-8 in a message used to be applied and then fail (SQLite --json threw, PostgreSQL
// stopped with SQLSTATE 22021 and no file:line); a NUL cut the error off.
TEST_P(CommandsTest, AHeaderThatIsNotUtf8IsRefusedAtLoad) {
  Project project = make("bad_bytes");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  project.add({"b2",
               {"a1"},
               "CREATE TABLE orders (id INTEGER);",
               "DROP TABLE orders;",
               {},
               "caf\xE9 orders"});
  write_config(project);

  const ProcessResult run = retort(project, {"upgrade", "head", "--json"});
  EXPECT_EQ(run.exit_code, 2) << shown(run);
  EXPECT_TRUE(has(run.out + run.err, "migrations/versions/b2_change.sql"));
  EXPECT_TRUE(has(run.out + run.err, "a byte that is not UTF-8 (\\\\xE9) at column 22"))
      << "JSON escapes the backslash";
  EXPECT_EQ(project.tables(), Strings{}) << "a1 must not run either";

  using namespace std::string_literals;
  project.add({"b2", {"a1"}, "CREATE TABLE orders (id INTEGER);", "", {}, "add\0orders"s});
  const ProcessResult nul = retort(project, {"upgrade", "head"});
  EXPECT_EQ(nul.exit_code, 2) << shown(nul);
  EXPECT_TRUE(has(nul.err, "migrations/versions/b2_change.sql:3"));
  EXPECT_TRUE(has(nul.err, "a NUL byte (\\x00) at column 22: `-- retort:message add\\x00orders`"));
  EXPECT_EQ(project.tables(), Strings{});
}

TEST_P(CommandsTest, AVersionTableWriteThatTouchesNoRowRollsTheMigrationBack) {
  Project project = make("version_conflict");
  project.add({"a1", {}, "CREATE TABLE users (id INTEGER);", "DROP TABLE users;", {}, "users"});
  // The migration itself empties the version table, as a stray hand edit would.
  project.add({"b2",
               {"a1"},
               "CREATE TABLE orders (id INTEGER);\nDELETE FROM retort_version;",
               "DROP TABLE orders;",
               {},
               "tampers"});
  (void)upgrade(project.config(), target("a1"));

  try {
    (void)upgrade(project.config(), target("head"));
    FAIL() << "the update of a1 -> b2 touched no row and must fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::failed);
    EXPECT_NE(std::string(error.what())
                  .find("changed under this run: the change of row 'a1' "
                        "touched 0 rows instead of 1"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.tables(), Strings{"users"}) << "orders must have been rolled back";
}

#if RETORT_TEST_POSTGRES
// The server's NOTICEs and WARNINGs about a migration's statements reach the user, with where
// the statement is; those of retort's own bookkeeping do not.
TEST(CommandsPostgresTest, TheServersNoticesAboutAStatementArePrintedWithItsFileAndLine) {
  Project project(Backend::postgres, "notices");
  const std::string file = project.add({"a1",
                                        {},
                                        "CREATE TABLE t (id INTEGER);\nDROP TABLE IF EXISTS nope;\n"
                                        "DO $$ BEGIN RAISE WARNING 'mind the gap'; END $$;",
                                        "DROP TABLE t;",
                                        {},
                                        "notices"});
  project.add({"b2",
               {"a1"},
               "ALTER TABLE t ADD COLUMN IF NOT EXISTS id INTEGER;",
               "",
               {"transaction false"},
               "again"});
  write_config(project);
  // The line of each statement in the file as written.
  const auto line_of = [&](const std::string& text) {
    std::ifstream in(project.dir() / file);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      if (line.starts_with(text)) {
        return number;
      }
    }
    return 0;
  };

  const ProcessResult run = retort(project, {"upgrade", "head"});
  EXPECT_EQ(run.exit_code, 0) << shown(run);
  EXPECT_TRUE(has(run.err, "a1 " + file + ":" + std::to_string(line_of("DROP TABLE IF EXISTS")) +
                               ": NOTICE: table \"nope\" does not exist, skipping"));
  EXPECT_TRUE(has(
      run.err, "a1 " + file + ":" + std::to_string(line_of("DO $$")) + ": WARNING: mind the gap"));
  EXPECT_TRUE(has(run.err, "b2 "));
  EXPECT_TRUE(has(run.err, ": NOTICE: column \"id\" of relation \"t\" already exists, skipping"));
  // The ledger and version table are created with IF NOT EXISTS on every run: their notices
  // are retort's, not the migration's.
  const ProcessResult again = retort(project, {"upgrade", "head"});
  EXPECT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_TRUE(lacks(again.err, "NOTICE")) << shown(again);
}

// A migration that moves the session to another schema (`SET search_path`, which outlives its
// transaction) does not move retort's own tables: the version table and the ledger stay where
// the run started, for every later step, downgrade and command.
TEST(CommandsPostgresTest, AMigrationThatSetsTheSearchPathDoesNotMoveRetortsTables) {
  Project project(Backend::postgres, "search_path");
  project.add({"a1",
               {},
               "CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE items (id int);",
               "SET search_path = public;\nDROP TABLE app.items;\nDROP SCHEMA app;",
               {},
               "app schema"});
  project.add({"b2",
               {"a1"},
               "SET search_path = app, public;\nCREATE TABLE tags (id int);",
               "DROP TABLE app.tags;",
               {},
               "tags"});
  project.add({"c3",
               {"b2"},
               "SET search_path = app;\nCREATE INDEX CONCURRENTLY tags_id ON tags (id);",
               "DROP INDEX CONCURRENTLY app.tags_id;",
               {"transaction false"},
               "online index"});
  write_config(project);

  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{"c3"});
  const driver::Rows placed = project.db().query(
      "SELECT table_schema || '.' || table_name FROM information_schema.tables "
      "WHERE table_name IN ('items', 'tags', 'retort_version', 'retort_log') ORDER BY 1");
  Strings names;
  for (const auto& row : placed.rows) {
    names.push_back(row[0].value_or(""));
  }
  EXPECT_EQ(names,
            (Strings{"app.items", "app.tags", "public.retort_log", "public.retort_version"}));
  for (const Project::LedgerRow& row : project.ledger()) {
    EXPECT_EQ(row.status, "ok") << row.revision << ": " << row.error;
  }
  EXPECT_EQ(project.ledger().size(), 3U);

  const ProcessResult down = retort(project, {"downgrade", "base"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_TRUE(project.version_rows().empty());
  EXPECT_EQ(project.ledger().size(), 6U);
  const ProcessResult current = retort(project, {"current"});
  EXPECT_EQ(current.exit_code, 0) << shown(current);
}
#endif

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

#if RETORT_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, CommandsTest, ::testing::Values(Backend::postgres), name_of);
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, CommandsTest, ::testing::Values(Backend::sqlite), name_of);
#endif

}  // namespace
}  // namespace retort::test
