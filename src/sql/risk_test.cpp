// Tests of which statements drop or rewrite stored data, from the parse tree (PostgreSQL) and
// the keywords (SQLite) alone, without a database.
#include "sql/risk.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace retort::sql {
namespace {

using Cases = std::vector<std::pair<std::string, std::string>>;  // statement, expected risk

void expect_risks(const Cases& cases, base::Dialect dialect) {
  for (const auto& [statement, expected] : cases) {
    EXPECT_EQ(data_risk(statement, dialect), expected) << statement;
  }
}

TEST(DataRisk, PostgresStatementsThatDropOrRewriteData) {
  expect_risks(
      {
          {"DROP TABLE accounts", "DROP TABLE"},
          {"drop table if exists ops.accounts, ops.notes", "DROP TABLE"},
          {"DROP SCHEMA archive CASCADE", "DROP SCHEMA"},
          {"DROP MATERIALIZED VIEW daily_totals", "DROP MATERIALIZED VIEW"},
          {"DROP SEQUENCE invoice_no", "DROP SEQUENCE"},
          {"DROP TYPE mood CASCADE", "DROP ... CASCADE"},
          {"DROP EXTENSION hstore CASCADE", "DROP ... CASCADE"},
          {"DROP OWNED BY old_app", "DROP OWNED"},
          {"TRUNCATE events", "TRUNCATE"},
          {"DELETE FROM sessions WHERE expires_at < now()", "DELETE"},
          {"UPDATE accounts SET email = lower(email)", "UPDATE"},
          {"MERGE INTO stock s USING delivery d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = "
           "s.n + d.n",
           "MERGE"},
          {"INSERT INTO totals (id, n) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = "
           "excluded.n",
           "INSERT ... ON CONFLICT DO UPDATE"},
          {"ALTER TABLE accounts DROP COLUMN nickname", "ALTER TABLE ... DROP COLUMN"},
          {"ALTER TABLE accounts ADD COLUMN note text, DROP COLUMN IF EXISTS legacy",
           "ALTER TABLE ... DROP COLUMN"},
          {"ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,2)",
           "ALTER TABLE ... ALTER COLUMN ... TYPE"},
          {"ALTER TABLE accounts ALTER balance SET DATA TYPE bigint USING balance::bigint",
           "ALTER TABLE ... ALTER COLUMN ... TYPE"},
          {"DO $$ BEGIN UPDATE accounts SET x = 1; END $$", "DO"},
          {"CALL archive_old_orders()", "CALL"},
          {"EXECUTE purge_plan(30)", "EXECUTE"},
      },
      base::Dialect::postgres);
}

TEST(DataRisk, PostgresStatementsThatRunADataChangeInside) {
  expect_risks(
      {
          {"WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone", "DELETE"},
          {"INSERT INTO archive WITH moved AS (DELETE FROM orders RETURNING *) SELECT * FROM "
           "moved",
           "DELETE"},
          {"WITH u AS (UPDATE t SET x = 1 RETURNING id) INSERT INTO log SELECT id FROM u",
           "UPDATE"},
          {"EXPLAIN ANALYZE DELETE FROM sessions", "DELETE"},
          {"EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET x = 2", "UPDATE"},
          {"CREATE TABLE snapshot AS WITH d AS (DELETE FROM q RETURNING *) SELECT * FROM d",
           "DELETE"},
          {"COPY (DELETE FROM q RETURNING *) TO STDOUT", "DELETE"},
      },
      base::Dialect::postgres);
}

TEST(DataRisk, PostgresStatementsThatKeepTheData) {
  expect_risks(
      {
          {"CREATE TABLE accounts (id bigint PRIMARY KEY)", ""},
          {"ALTER TABLE accounts ADD COLUMN note text", ""},
          {"ALTER TABLE accounts ALTER COLUMN note SET NOT NULL", ""},
          {"ALTER TABLE accounts RENAME COLUMN note TO remark", ""},
          {"ALTER TABLE accounts DROP CONSTRAINT accounts_note_check", ""},
          {"CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email)", ""},
          {"DROP INDEX CONCURRENTLY accounts_email_idx", ""},
          {"DROP VIEW active_accounts", ""},
          {"DROP FUNCTION touch()", ""},
          {"DROP TYPE mood", ""},
          {"INSERT INTO accounts VALUES (1)", ""},
          {"INSERT INTO accounts VALUES (1) ON CONFLICT DO NOTHING", ""},
          {"SELECT * INTO copy_of_accounts FROM accounts", ""},
          {"EXPLAIN DELETE FROM sessions", ""},
          {"COPY accounts FROM STDIN", ""},
          {"REFRESH MATERIALIZED VIEW daily_totals", ""},
          {"VACUUM accounts", ""},
          {"CREATE RULE keep AS ON DELETE TO accounts DO INSTEAD NOTHING", ""},
          {"CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ DELETE FROM sessions $$", ""},
          {"COMMENT ON TABLE accounts IS 'DROP TABLE accounts'", ""},
      },
      base::Dialect::postgres);
}

TEST(DataRisk, APostgresStatementThatDoesNotParseCountsAsRisky) {
  EXPECT_EQ(data_risk("DROPP TABLE accounts", base::Dialect::postgres),
            "a statement retort's parser does not read");
}

TEST(DataRisk, SqliteStatementsByTheirKeywords) {
  expect_risks(
      {
          {"DROP TABLE accounts", "DROP TABLE"},
          {"drop table if exists \"old accounts\"", "DROP TABLE"},
          {"DELETE FROM sessions", "DELETE"},
          {"UPDATE accounts SET email = lower(email)", "UPDATE"},
          {"REPLACE INTO totals VALUES (1, 2)", "REPLACE"},
          {"INSERT OR REPLACE INTO totals VALUES (1, 2)", "INSERT OR REPLACE"},
          {"INSERT INTO totals VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = excluded.n",
           "INSERT ... ON CONFLICT DO UPDATE"},
          {"ALTER TABLE accounts DROP COLUMN nickname", "ALTER TABLE ... DROP COLUMN"},
          {"ALTER TABLE accounts DROP nickname", "ALTER TABLE ... DROP COLUMN"},
          {"WITH old AS (SELECT id FROM sessions) DELETE FROM sessions WHERE id IN old", "DELETE"},
          {"-- tidy up\nDELETE FROM sessions", "DELETE"},
      },
      base::Dialect::sqlite);
  expect_risks(
      {
          {"CREATE TABLE accounts (id INTEGER PRIMARY KEY)", ""},
          {"ALTER TABLE accounts ADD COLUMN note TEXT", ""},
          {"ALTER TABLE accounts RENAME COLUMN note TO \"drop\"", ""},
          {"DROP INDEX accounts_email", ""},
          {"DROP VIEW active_accounts", ""},
          {"INSERT INTO accounts SELECT * FROM old_accounts", ""},
          {"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", ""},
          {"WITH x AS (SELECT 1) SELECT * FROM x", ""},
          {"CREATE TRIGGER purge AFTER INSERT ON t BEGIN DELETE FROM u; END", ""},
          {"SELECT 'DELETE FROM t'", ""},
      },
      base::Dialect::sqlite);
}

using Names = std::vector<std::string>;

TEST(RiskRelations, PostgresNamesTheRelationsARiskyStatementChanges) {
  EXPECT_EQ(risk_relations("DROP TABLE ops.accounts", base::Dialect::postgres),
            Names{"ops.accounts"});
  EXPECT_EQ(risk_relations("ALTER TABLE \"Accounts\" DROP COLUMN note", base::Dialect::postgres),
            Names{"Accounts"});
  EXPECT_EQ(
      risk_relations("ALTER TABLE Accounts ALTER COLUMN n TYPE bigint", base::Dialect::postgres),
      Names{"accounts"});
  EXPECT_EQ(risk_relations("UPDATE accounts SET n = 1 FROM owners WHERE owners.id = 1",
                           base::Dialect::postgres),
            (Names{"accounts", "owners"}));
  EXPECT_EQ(risk_relations("TRUNCATE a, b", base::Dialect::postgres), (Names{"a", "b"}));
  EXPECT_EQ(risk_relations("CREATE TABLE t (id int)", base::Dialect::postgres), Names{})
      << "not risky: nothing to name";
}

TEST(RiskRelations, PostgresStatementsWhoseTablesCannotBeNamed) {
  for (const char* sql : {"DO $$ BEGIN DELETE FROM t; END $$", "CALL purge()", "EXECUTE purge_plan",
                          "DROP SCHEMA ops CASCADE", "DROP OWNED BY app", "DROP TYPE mood CASCADE",
                          "TRUNCATE accounts CASCADE", "DROPP TABLE accounts"}) {
    EXPECT_EQ(risk_relations(sql, base::Dialect::postgres), std::nullopt) << sql;
  }
}

TEST(RiskRelations, SqliteNamesTheTableAfterTheVerb) {
  EXPECT_EQ(risk_relations("DROP TABLE IF EXISTS \"Old Accounts\"", base::Dialect::sqlite),
            Names{"old accounts"});
  EXPECT_EQ(risk_relations("ALTER TABLE main.Accounts DROP COLUMN note", base::Dialect::sqlite),
            Names{"main.accounts"});
  EXPECT_EQ(risk_relations("DELETE FROM [sessions] WHERE id = 1", base::Dialect::sqlite),
            Names{"sessions"});
  EXPECT_EQ(risk_relations("UPDATE OR IGNORE `t` SET n = 1", base::Dialect::sqlite), Names{"t"});
  EXPECT_EQ(risk_relations("INSERT OR REPLACE INTO totals VALUES (1)", base::Dialect::sqlite),
            Names{"totals"});
  EXPECT_EQ(risk_relations("REPLACE INTO totals VALUES (1)", base::Dialect::sqlite),
            Names{"totals"});
  EXPECT_EQ(risk_relations("INSERT INTO t VALUES (1)", base::Dialect::sqlite), Names{});
  EXPECT_EQ(risk_relations("WITH old AS (SELECT 1) DELETE FROM sessions", base::Dialect::sqlite),
            std::nullopt)
      << "read by keywords: what follows WITH is not followed";
}

TEST(CreatedTables, BothDialects) {
  EXPECT_EQ(
      created_tables("CREATE TABLE IF NOT EXISTS ops.accounts (id int)", base::Dialect::postgres),
      Names{"ops.accounts"});
  EXPECT_EQ(created_tables("CREATE TABLE Totals AS SELECT 1 AS n", base::Dialect::postgres),
            Names{"totals"});
  EXPECT_EQ(created_tables("CREATE INDEX ON accounts (id)", base::Dialect::postgres), Names{});
  EXPECT_EQ(created_tables("CREATE TEMP TABLE IF NOT EXISTS \"Items\" (id)", base::Dialect::sqlite),
            Names{"items"});
  EXPECT_EQ(created_tables("create table items (id integer)", base::Dialect::sqlite),
            Names{"items"});
  EXPECT_EQ(created_tables("CREATE VIEW v AS SELECT 1", base::Dialect::sqlite), Names{});
}

}  // namespace
}  // namespace retort::sql
