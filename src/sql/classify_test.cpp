// Table-driven tests of statement classification for both dialects.
#include "sql/classify.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace retort::sql {
namespace {

struct Case {
  const char* sql;
  bool transaction_control;
  bool needs_no_transaction;
  const char* command;
};

TEST(ClassifyPostgres, EveryKind) {
  const Case cases[] = {
      {"BEGIN", true, false, "BEGIN"},
      {"begin transaction isolation level serializable", true, false, "BEGIN"},
      {"START TRANSACTION", true, false, "START TRANSACTION"},
      {"COMMIT", true, false, "COMMIT"},
      {"END", true, false, "COMMIT"},
      {"ROLLBACK", true, false, "ROLLBACK"},
      {"ABORT", true, false, "ROLLBACK"},
      {"PREPARE TRANSACTION 'x'", true, false, "PREPARE TRANSACTION"},
      {"COMMIT PREPARED 'x'", true, false, "COMMIT PREPARED"},
      {"SAVEPOINT a", false, false, ""},
      {"RELEASE SAVEPOINT a", false, false, ""},
      {"ROLLBACK TO SAVEPOINT a", false, false, ""},
      {"CREATE INDEX CONCURRENTLY i ON t (a)", false, true, "CREATE INDEX CONCURRENTLY"},
      {"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", false, true,
       "CREATE INDEX CONCURRENTLY"},
      {"CREATE INDEX i ON t (a)", false, false, ""},
      {"DROP INDEX CONCURRENTLY i", false, true, "DROP INDEX CONCURRENTLY"},
      {"DROP INDEX i", false, false, ""},
      {"REINDEX INDEX CONCURRENTLY i", false, true, "REINDEX CONCURRENTLY"},
      {"REINDEX TABLE t", false, false, ""},
      {"REINDEX DATABASE app", false, true, "REINDEX DATABASE"},
      {"VACUUM t", false, true, "VACUUM"},
      {"VACUUM (ANALYZE) t", false, true, "VACUUM"},
      {"ANALYZE t", false, false, ""},
      {"ALTER SYSTEM SET work_mem = '64MB'", false, true, "ALTER SYSTEM"},
      {"CREATE DATABASE app", false, true, "CREATE DATABASE"},
      {"DROP DATABASE app", false, true, "DROP DATABASE"},
      {"CREATE TABLESPACE fast LOCATION '/ssd'", false, true, "CREATE TABLESPACE"},
      {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", false, true,
       "DETACH PARTITION CONCURRENTLY"},
      {"ALTER TABLE p DETACH PARTITION c", false, false, ""},
      {"INSERT INTO t (note) VALUES ('\"concurrent\":true')", false, false, ""},
      {"CREATE TABLE t (id bigint)", false, false, ""},
      {"not sql at all", false, false, ""},
  };
  for (const Case& c : cases) {
    const StatementTraits traits = classify(c.sql, base::Dialect::postgres);
    EXPECT_EQ(traits.transaction_control, c.transaction_control) << c.sql;
    EXPECT_EQ(traits.needs_no_transaction, c.needs_no_transaction) << c.sql;
    EXPECT_EQ(traits.command, c.command) << c.sql;
  }
  EXPECT_TRUE(classify("COMMIT", base::Dialect::postgres).transaction_control);
  EXPECT_TRUE(classify("VACUUM", base::Dialect::postgres).needs_no_transaction);
  EXPECT_FALSE(classify("SELECT 1", base::Dialect::postgres).needs_no_transaction);
}

TEST(ClassifySqlite, EveryKind) {
  const Case cases[] = {
      {"BEGIN", true, false, "BEGIN"},
      {"begin immediate transaction", true, false, "BEGIN"},
      {"/* x */ COMMIT", true, false, "COMMIT"},
      {"END TRANSACTION", true, false, "END"},
      {"ROLLBACK", true, false, "ROLLBACK"},
      {"ROLLBACK TRANSACTION TO SAVEPOINT a", false, false, ""},
      {"ROLLBACK TO a", false, false, ""},
      {"SAVEPOINT a", false, false, ""},
      {"VACUUM", false, true, "VACUUM"},
      {"ATTACH DATABASE 'x.db' AS x", false, true, "ATTACH"},
      {"DETACH x", false, true, "DETACH"},
      {"CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END", false, false, ""},
      {"-- BEGIN\nCREATE TABLE t (id INTEGER)", false, false, ""},
  };
  for (const Case& c : cases) {
    const StatementTraits traits = classify(c.sql, base::Dialect::sqlite);
    EXPECT_EQ(traits.transaction_control, c.transaction_control) << c.sql;
    EXPECT_EQ(traits.needs_no_transaction, c.needs_no_transaction) << c.sql;
    EXPECT_EQ(traits.command, c.command) << c.sql;
  }
}

// What a squash lists: statements on rows, not on the schema. A function's or a trigger's
// body that writes rows is schema: it runs later, not in the migration.
TEST(ClassifyData, RowStatementsInBothDialects) {
  const std::pair<const char*, const char*> postgres[] = {
      {"INSERT INTO t VALUES (1)", "INSERT"},
      {"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT"},
      {"UPDATE t SET a = 1", "UPDATE"},
      {"DELETE FROM t", "DELETE"},
      {"COPY t FROM STDIN", "COPY"},
      {"DO $$ BEGIN PERFORM 1; END $$", "DO"},
      {"CALL seed()", "CALL"},
      {"TRUNCATE t", "TRUNCATE"},
      {"SELECT setval('t_id_seq', 10)", "SELECT"},
      {"CREATE TABLE t (id int)", ""},
      {"CREATE TABLE t2 AS SELECT 1", ""},
      {"CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ INSERT INTO t VALUES (1) $$", ""},
      {"CREATE INDEX CONCURRENTLY i ON t (a)", ""},
      {"not sql at all", ""},
  };
  for (const auto& [sql, command] : postgres) {
    EXPECT_EQ(data_command(sql, base::Dialect::postgres), command) << sql;
  }
  const std::pair<const char*, const char*> sqlite[] = {
      {"INSERT INTO t VALUES (1)", "INSERT"},
      {"insert or replace into t values (1)", "INSERT"},
      {"REPLACE INTO t VALUES (1)", "REPLACE"},
      {"UPDATE t SET a = 1", "UPDATE"},
      {"DELETE FROM t", "DELETE"},
      {"-- seed\nSELECT 1", "SELECT"},
      {"CREATE TABLE t (id INTEGER)", ""},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END", ""},
  };
  for (const auto& [sql, command] : sqlite) {
    EXPECT_EQ(data_command(sql, base::Dialect::sqlite), command) << sql;
  }
}

}  // namespace
}  // namespace retort::sql
