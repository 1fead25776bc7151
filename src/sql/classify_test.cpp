// Table-driven tests of statement classification for both dialects.
#include "sql/classify.hpp"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace retort::sql
