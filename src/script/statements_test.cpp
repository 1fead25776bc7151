// Tests of script::statements(): file lines and offsets, syntax errors at file:line, and the
// statements a transactional migration cannot hold, for both dialects.
#include "script/migration_parser.hpp"
#include "script/script_directory.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace retort::script {
namespace {

Migration parse(const std::string& body, bool transactional = true) {
  std::string text = "-- retort:revision r1\n";
  if (!transactional) {
    text += "-- retort:transaction false\n";
  }
  text += body;
  ParsedMigration parsed = parse_migration_text("versions/r1_x.sql", text);
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front().message;
  return std::move(parsed.migration);
}

std::string where(const Problem& problem) {
  return problem.where.file + ":" + std::to_string(problem.where.line) + ":" +
         std::to_string(problem.where.column);
}

// Lines are counted from one statement to the next (counting each from the section's start
// made 100,000 statements quadratic): every statement of a long section, of one line or
// several, after comments and blank lines, on the line the file has it, in both dialects.
TEST(Statements, EveryLineOfALongSectionIsRight) {
  std::string body = "\n-- retort:upgrade\n";  // the marker on line 3
  std::vector<int> expected;
  int line = 4;
  for (int i = 0; i < 3000; ++i) {
    switch (i % 3) {
      case 0:
        expected.push_back(line);
        body += "SELECT 1;\n";
        line += 1;
        break;
      case 1:
        body += "-- a comment; with a semicolon\n";
        expected.push_back(line + 1);
        body += "SELECT\n  2;\n";
        line += 3;
        break;
      default:
        body += "\n\n";
        expected.push_back(line + 2);
        body += "SELECT 3; ";  // two statements on one line
        expected.push_back(line + 2);
        body += "SELECT 4;\n";
        line += 3;
        break;
    }
  }
  const Migration migration = parse(body);
  for (const base::Dialect dialect : {base::Dialect::postgres, base::Dialect::sqlite}) {
    const auto up = statements(migration, Which::upgrade, dialect);
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_EQ(up->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ((*up)[i].line, expected[i]) << "statement " << i << ": " << (*up)[i].sql;
    }
  }
}

TEST(Statements, PositionsAreFileLinesAndOffsets) {
  const std::string body =
      "\n"
      "-- retort:upgrade\n"                   // line 3
      "-- leading comment\n"                  // line 4
      "CREATE TABLE a (id int);\n"            // line 5
      "CREATE FUNCTION f() RETURNS int\n"     // line 6
      "  LANGUAGE sql AS $$ SELECT 1; $$;\n"  // line 7
      "-- retort:downgrade\n"                 // line 8
      "DROP FUNCTION f();  DROP TABLE a\n";   // line 9
  const Migration migration = parse(body);
  const std::string file = "-- retort:revision r1\n" + body;
  {
    const base::Dialect dialect =
        base::Dialect::postgres;  // $$ bodies are PostgreSQL's; SQLite below
    const auto up = statements(migration, Which::upgrade, dialect);
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_EQ(up->size(), 2U);
    EXPECT_EQ((*up)[0].sql, "CREATE TABLE a (id int)");
    EXPECT_EQ((*up)[0].line, 5);
    EXPECT_EQ(file.substr((*up)[0].offset, 12), "CREATE TABLE");
    EXPECT_EQ((*up)[1].sql, "CREATE FUNCTION f() RETURNS int\n  LANGUAGE sql AS $$ SELECT 1; $$");
    EXPECT_EQ((*up)[1].line, 6);
    EXPECT_EQ((*up)[1].fingerprint.size(), 64U);
    const auto down = statements(migration, Which::downgrade, dialect);
    ASSERT_TRUE(down.ok()) << down.error().message;
    ASSERT_EQ(down->size(), 2U);
    EXPECT_EQ((*down)[1].sql, "DROP TABLE a");
    EXPECT_EQ((*down)[1].line, 9);
    EXPECT_EQ(file.substr((*down)[1].offset, 12), "DROP TABLE a");
  }
}

TEST(Statements, SqliteTriggersAndLines) {
  const Migration migration = parse(
      "-- retort:upgrade\n"                             // line 2
      "CREATE TABLE t (id INTEGER);\n"                  // line 3
      "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN\n"  // line 4
      "  INSERT INTO log VALUES (1);\n"
      "END;\n");
  const auto up = statements(migration, Which::upgrade, base::Dialect::sqlite);
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_EQ(up->size(), 2U);
  EXPECT_EQ((*up)[1].line, 4);
  EXPECT_EQ((*up)[1].sql,
            "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES (1);\nEND");
}

TEST(Statements, SyntaxErrorIsAProblemAtFileLineAndColumn) {
  const Migration migration = parse(
      "-- retort:upgrade\n"            // line 2
      "CREATE TABLE a (id int);\n"     // line 3
      "CREATE TABLE b (id int,);\n");  // line 4, ')' at column 24
  const auto pg = statements(migration, Which::upgrade, base::Dialect::postgres);
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.error().message, "syntax error at or near \")\"");
  EXPECT_EQ(where(pg.error()), "versions/r1_x.sql:4:24");
  EXPECT_EQ(pg.error().fix, "correct the SQL of the upgrade section; nothing has run");

  const auto lite = statements(migration, Which::upgrade, base::Dialect::sqlite);
  ASSERT_FALSE(lite.ok());
  EXPECT_EQ(lite.error().message, "near \")\": syntax error");
  EXPECT_EQ(where(lite.error()), "versions/r1_x.sql:4:24");
}

TEST(Statements, TransactionControlIsRejectedEvenWithoutATransaction) {
  for (const bool transactional : {true, false}) {
    const Migration migration =
        parse("-- retort:upgrade\nCREATE TABLE a (id int);\nCOMMIT;\n", transactional);
    for (const base::Dialect dialect : {base::Dialect::postgres, base::Dialect::sqlite}) {
      const auto result = statements(migration, Which::upgrade, dialect);
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().message,
                "`COMMIT` controls the transaction, which retort does itself");
      EXPECT_EQ(result.error().fix,
                "remove it: retort runs the migration in one transaction, or with "
                "`-- retort:transaction false` each statement on its own");
      EXPECT_EQ(result.error().where.line, transactional ? 4 : 5);
    }
  }
}

TEST(Statements, NoTransactionStatementNeedsTransactionFalse) {
  const std::string body =
      "-- retort:upgrade\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n";
  const auto refused = statements(parse(body), Which::upgrade, base::Dialect::postgres);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
  EXPECT_EQ(refused.error().fix,
            "add `-- retort:transaction false` to the header, or move the statement to a "
            "migration of its own with `-- retort:transaction false`");
  EXPECT_EQ(where(refused.error()), "versions/r1_x.sql:3:1");

  const auto accepted = statements(parse(body, false), Which::upgrade, base::Dialect::postgres);
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->size(), 1U);

  const auto vacuum =
      statements(parse("-- retort:upgrade\nVACUUM;\n"), Which::upgrade, base::Dialect::sqlite);
  ASSERT_FALSE(vacuum.ok());
  EXPECT_EQ(vacuum.error().message, "VACUUM cannot run inside a transaction block");
}

TEST(Statements, MissingDowngradeSection) {
  const auto result = statements(parse("-- retort:upgrade\nSELECT 1;\n"), Which::downgrade,
                                 base::Dialect::postgres);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "revision r1 has no downgrade section, so it cannot be downgraded");
}

TEST(Statements, EmptyDowngradeSectionHasNoStatements) {
  const auto result = statements(parse("-- retort:upgrade\nSELECT 1;\n-- retort:downgrade\n"),
                                 Which::downgrade, base::Dialect::postgres);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
}

}  // namespace
}  // namespace retort::script
