// Tests of what PostgreSQL statements create and which relations they name, from the parse
// tree alone (no database).
#include "sql/objects.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace retort::sql {

// Readable failures: GoogleTest prints a CreatedObject through this.
void PrintTo(const CreatedObject& object, std::ostream* out) {
  *out << "{" << kind_name(object.kind) << " schema=\"" << object.schema << "\" name=\""
       << object.name << "\" table=\"" << object.table << "\""
       << (object.if_not_exists ? " if_not_exists" : "")
       << (object.concurrently ? " concurrently" : "") << (object.not_valid ? " not_valid" : "")
       << "}";
}

namespace {

using Objects = std::vector<CreatedObject>;
using Names = std::vector<std::string>;

CreatedObject object(ObjectKind kind, std::string schema, std::string name,
                     std::string table = {}) {
  return {.kind = kind,
          .schema = std::move(schema),
          .name = std::move(name),
          .table = std::move(table)};
}

CreatedObject one(std::string_view sql) {
  const Objects objects = created_objects(sql);
  EXPECT_EQ(objects.size(), 1U) << sql;
  return objects.empty() ? CreatedObject{} : objects.front();
}

TEST(CreatedObjects, Tables) {
  EXPECT_EQ(one("CREATE TABLE accounts (id bigint PRIMARY KEY, email text)"),
            object(ObjectKind::table, "", "accounts"));
  EXPECT_EQ(one("create table ops.accounts (id bigint)"),
            object(ObjectKind::table, "ops", "accounts"));
  EXPECT_EQ(one("CREATE UNLOGGED TABLE scratch (x int)"), object(ObjectKind::table, "", "scratch"));
  EXPECT_EQ(one("CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM (1) TO (2)"),
            object(ObjectKind::table, "", "events_2024"));
  EXPECT_EQ(one("CREATE TABLE archive AS SELECT * FROM accounts"),
            object(ObjectKind::table, "", "archive"));
  EXPECT_EQ(one("SELECT id, email INTO ops.snapshot FROM accounts"),
            object(ObjectKind::table, "ops", "snapshot"));
  // The INTO of a set operation sits on its leftmost arm.
  EXPECT_EQ(one("SELECT * INTO both_sides FROM a UNION SELECT * FROM b"),
            object(ObjectKind::table, "", "both_sides"));
  EXPECT_EQ(one("CREATE FOREIGN TABLE remote_accounts (id int) SERVER far"),
            object(ObjectKind::table, "", "remote_accounts"));
}

TEST(CreatedObjects, IfNotExists) {
  CreatedObject expected = object(ObjectKind::table, "ops", "accounts");
  expected.if_not_exists = true;
  EXPECT_EQ(one("CREATE TABLE IF NOT EXISTS ops.accounts (id int)"), expected);
  EXPECT_TRUE(one("CREATE TABLE IF NOT EXISTS t AS SELECT 1").if_not_exists);
  EXPECT_TRUE(one("CREATE SEQUENCE IF NOT EXISTS s").if_not_exists);
  EXPECT_TRUE(one("CREATE SCHEMA IF NOT EXISTS ops").if_not_exists);
  EXPECT_TRUE(one("CREATE EXTENSION IF NOT EXISTS pgcrypto").if_not_exists);
  EXPECT_TRUE(one("CREATE INDEX IF NOT EXISTS i ON t (a)").if_not_exists);
  EXPECT_TRUE(one("CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1").if_not_exists);
  EXPECT_FALSE(one("CREATE TABLE t (id int)").if_not_exists);
}

TEST(CreatedObjects, Identifiers) {
  // PostgreSQL folds unquoted names to lower case and keeps quoted ones.
  EXPECT_EQ(one("CREATE TABLE \"Mixed\" (id int)").name, "Mixed");
  EXPECT_EQ(one("CREATE TABLE Mixed (id int)").name, "mixed");
  EXPECT_EQ(one("CREATE TABLE MIXED (id int)").name, "mixed");
  EXPECT_EQ(one("CREATE TABLE \"Ops\".\"Big Table\" (id int)"),
            object(ObjectKind::table, "Ops", "Big Table"));
  EXPECT_EQ(one("CREATE TABLE Ops.Accounts (id int)"),
            object(ObjectKind::table, "ops", "accounts"));
  EXPECT_EQ(one("CREATE TABLE \"with \"\"quote\"\"\" (id int)").name, "with \"quote\"");
  EXPECT_EQ(one("CREATE TABLE U&\"d\\0061t\\+000061\" (id int)").name, "data");
  // Only ASCII letters fold, as in a UTF-8 database.
  EXPECT_EQ(one("CREATE TABLE ÄbC (id int)").name, "Äbc");
  // Names are cut to 63 bytes, as PostgreSQL stores them.
  const std::string long_name(70, 'a');
  EXPECT_EQ(one("CREATE TABLE " + long_name + " (id int)").name, std::string(63, 'a'));
  EXPECT_EQ(one("CREATE TABLE \"" + std::string(70, 'B') + "\" (id int)").name,
            std::string(63, 'B'));
}

TEST(CreatedObjects, Indexes) {
  CreatedObject expected = object(ObjectKind::index, "ops", "accounts_email_idx", "ops.accounts");
  EXPECT_EQ(one("CREATE INDEX accounts_email_idx ON ops.accounts (email)"), expected);
  EXPECT_EQ(
      one("CREATE UNIQUE INDEX accounts_email_idx ON ops.accounts USING btree (lower(email))"),
      expected);

  expected.concurrently = true;
  expected.if_not_exists = true;
  EXPECT_EQ(one("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx "
                "ON ops.accounts (email) WHERE email IS NOT NULL"),
            expected);

  // An index without a name: PostgreSQL picks one when it runs.
  EXPECT_EQ(one("CREATE INDEX ON accounts (email)"), object(ObjectKind::index, "", "", "accounts"));
  CreatedObject unnamed = object(ObjectKind::index, "", "", "accounts");
  unnamed.concurrently = true;
  EXPECT_EQ(one("CREATE INDEX CONCURRENTLY ON accounts (email)"), unnamed);
}

TEST(CreatedObjects, ReindexConcurrently) {
  CreatedObject expected = object(ObjectKind::index, "ops", "accounts_email_idx");
  expected.concurrently = true;
  EXPECT_EQ(one("REINDEX INDEX CONCURRENTLY ops.accounts_email_idx"), expected);
  EXPECT_EQ(one("REINDEX (CONCURRENTLY) INDEX ops.accounts_email_idx"), expected);
  EXPECT_EQ(one("REINDEX (VERBOSE, CONCURRENTLY true) INDEX ops.accounts_email_idx"), expected);
  // Rebuilt in place, or not one named index: nothing new.
  EXPECT_TRUE(created_objects("REINDEX INDEX accounts_email_idx").empty());
  EXPECT_TRUE(created_objects("REINDEX (CONCURRENTLY false) INDEX accounts_email_idx").empty());
  EXPECT_TRUE(created_objects("REINDEX TABLE CONCURRENTLY accounts").empty());
}

TEST(CreatedObjects, ViewsAndSequences) {
  EXPECT_EQ(one("CREATE VIEW ops.active AS SELECT * FROM accounts WHERE active"),
            object(ObjectKind::view, "ops", "active"));
  EXPECT_EQ(one("CREATE OR REPLACE VIEW active AS SELECT 1"),
            object(ObjectKind::view, "", "active"));
  EXPECT_EQ(one("CREATE RECURSIVE VIEW tree (n) AS SELECT 1 UNION ALL SELECT n + 1 FROM tree"),
            object(ObjectKind::view, "", "tree"));
  EXPECT_EQ(
      one("CREATE MATERIALIZED VIEW ops.totals AS SELECT count(*) FROM accounts WITH NO DATA"),
      object(ObjectKind::materialized_view, "ops", "totals"));
  EXPECT_EQ(one("CREATE SEQUENCE ops.invoice_no START 1000"),
            object(ObjectKind::sequence, "ops", "invoice_no"));
}

TEST(CreatedObjects, Types) {
  EXPECT_EQ(one("CREATE TYPE ops.mood AS ENUM ('sad', 'ok', 'happy')"),
            object(ObjectKind::type, "ops", "mood"));
  EXPECT_EQ(one("CREATE TYPE \"Pair\" AS (a int, b text)"), object(ObjectKind::type, "", "Pair"));
  EXPECT_EQ(one("CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')"),
            object(ObjectKind::type, "", "email"));
  EXPECT_EQ(one("CREATE TYPE floatrange AS RANGE (subtype = float8)"),
            object(ObjectKind::type, "", "floatrange"));
  EXPECT_EQ(one("CREATE TYPE shell"), object(ObjectKind::type, "", "shell"));
}

TEST(CreatedObjects, Functions) {
  EXPECT_EQ(one("CREATE FUNCTION ops.add(a int, b int) RETURNS int LANGUAGE sql "
                "AS $$ SELECT a + b $$"),
            object(ObjectKind::function, "ops", "add"));
  EXPECT_EQ(one("CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN NEW.updated_at := now(); RETURN NEW; END $$"),
            object(ObjectKind::function, "", "touch"));
  EXPECT_EQ(one("CREATE PROCEDURE ops.tidy() LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END"),
            object(ObjectKind::function, "ops", "tidy"));
}

TEST(CreatedObjects, SchemasAndExtensions) {
  EXPECT_EQ(one("CREATE SCHEMA ops"), object(ObjectKind::schema, "", "ops"));
  EXPECT_EQ(one("CREATE SCHEMA AUTHORIZATION joe"), object(ObjectKind::schema, "", "joe"));
  EXPECT_EQ(one("CREATE EXTENSION pgcrypto WITH SCHEMA ops"),
            object(ObjectKind::extension, "", "pgcrypto"));
  EXPECT_EQ(one("CREATE EXTENSION \"uuid-ossp\""), object(ObjectKind::extension, "", "uuid-ossp"));
}

TEST(CreatedObjects, SchemaElementsTakeTheSchema) {
  EXPECT_EQ(
      created_objects("CREATE SCHEMA ops "
                      "CREATE TABLE accounts (id int) "
                      "CREATE VIEW active AS SELECT * FROM accounts "
                      "CREATE INDEX accounts_id_idx ON accounts (id) "
                      "CREATE SEQUENCE ids"),
      (Objects{object(ObjectKind::schema, "", "ops"), object(ObjectKind::table, "ops", "accounts"),
               object(ObjectKind::view, "ops", "active"),
               object(ObjectKind::index, "ops", "accounts_id_idx", "ops.accounts"),
               object(ObjectKind::sequence, "ops", "ids")}));
}

TEST(CreatedObjects, Triggers) {
  EXPECT_EQ(one("CREATE TRIGGER touch BEFORE UPDATE ON ops.accounts "
                "FOR EACH ROW EXECUTE FUNCTION touch()"),
            object(ObjectKind::trigger, "ops", "touch", "ops.accounts"));
  EXPECT_EQ(one("CREATE CONSTRAINT TRIGGER \"Check\" AFTER INSERT ON accounts "
                "DEFERRABLE FOR EACH ROW EXECUTE FUNCTION f()"),
            object(ObjectKind::trigger, "", "Check", "accounts"));
}

TEST(CreatedObjects, AlterTableAddClauses) {
  CreatedObject note = object(ObjectKind::column, "ops", "note", "ops.accounts");
  note.if_not_exists = true;
  CreatedObject positive =
      object(ObjectKind::constraint, "ops", "balance_positive", "ops.accounts");
  positive.not_valid = true;
  const CreatedObject primary = object(ObjectKind::constraint, "ops", "", "ops.accounts");
  const CreatedObject balance = object(ObjectKind::column, "ops", "balance", "ops.accounts");
  CreatedObject owner = object(ObjectKind::constraint, "ops", "accounts_owner_fk", "ops.accounts");
  owner.not_valid = true;

  EXPECT_EQ(created_objects("ALTER TABLE ops.accounts "
                            "ADD COLUMN IF NOT EXISTS note text, "
                            "ADD balance numeric NOT NULL DEFAULT 0, "
                            "ALTER COLUMN email SET NOT NULL, "
                            "ADD CONSTRAINT balance_positive CHECK (balance >= 0) NOT VALID, "
                            "ADD PRIMARY KEY (id), "
                            "ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) "
                            "REFERENCES owners (id) NOT VALID, "
                            "DROP COLUMN legacy"),
            (Objects{note, balance, positive, primary, owner}));
}

TEST(CreatedObjects, AlterTableOther) {
  EXPECT_EQ(one("ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email)"),
            object(ObjectKind::constraint, "", "accounts_email_key", "accounts"));
  EXPECT_EQ(one("ALTER TABLE ONLY accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY "
                "USING INDEX accounts_id_idx"),
            object(ObjectKind::constraint, "", "accounts_pkey", "accounts"));
  EXPECT_EQ(one("ALTER TABLE IF EXISTS \"Accounts\" ADD COLUMN \"Note\" text"),
            object(ObjectKind::column, "", "Note", "Accounts"));
  EXPECT_FALSE(one("ALTER TABLE accounts ADD COLUMN note text").if_not_exists);
  EXPECT_FALSE(one("ALTER TABLE accounts ADD CHECK (x > 0)").not_valid);
  // Not a table: ALTER TYPE ... ADD ATTRIBUTE is an ALTER TABLE in the parse tree.
  EXPECT_TRUE(created_objects("ALTER TYPE pair ADD ATTRIBUTE c int").empty());
  EXPECT_TRUE(created_objects("ALTER TABLE accounts VALIDATE CONSTRAINT balance_positive").empty());
  EXPECT_TRUE(created_objects("ALTER TABLE accounts RENAME COLUMN a TO b").empty());
}

TEST(CreatedObjects, NothingCreated) {
  for (const char* sql : {
           "SELECT * FROM accounts",
           "UPDATE accounts SET note = 'CREATE TABLE x (id int)' WHERE id = 1",
           "INSERT INTO accounts (id) VALUES (1)",
           "DELETE FROM accounts",
           "DROP TABLE accounts",
           "DROP INDEX CONCURRENTLY accounts_email_idx",
           "COMMENT ON TABLE accounts IS 'CREATE TABLE y (id int)'",
           "GRANT SELECT ON accounts TO reader",
           "BEGIN",
           "CREATE ROLE reader",
           "CREATE DATABASE app",
           "DO $$ BEGIN CREATE TABLE hidden (id int); END $$",
       }) {
    EXPECT_TRUE(created_objects(sql).empty()) << sql;
  }
}

TEST(CreatedObjects, DoesNotParse) {
  for (const char* sql : {
           "CREATE TABLE (",
           "CREATE TABLE accounts (id int",
           "not sql at all",
           "CREATE INDEX ON",
           "ALTER TABLE t ADD CONSTRAINT",
           "SELECT 'unterminated",
           "\"",
       }) {
    EXPECT_TRUE(created_objects(sql).empty()) << sql;
    EXPECT_TRUE(mentioned_relations(sql).empty()) << sql;
  }
}

TEST(CreatedObjects, CommentsAndWhitespace) {
  for (const char* sql : {"", " \n\t ", "-- CREATE TABLE t (id int)", "/* CREATE TABLE t */",
                          "/* nested /* CREATE TABLE t */ */ -- more\n", ";", " ; ;"}) {
    EXPECT_TRUE(created_objects(sql).empty()) << sql;
    EXPECT_TRUE(mentioned_relations(sql).empty()) << sql;
  }
  EXPECT_EQ(one("-- the accounts\nCREATE TABLE accounts (id int) -- done\n"),
            object(ObjectKind::table, "", "accounts"));
}

TEST(CreatedObjects, SeveralStatementsInOneString) {
  // Callers pass one statement; more are still all read, in order.
  EXPECT_EQ(created_objects("CREATE TABLE a (id int); CREATE INDEX ON a (id)"),
            (Objects{object(ObjectKind::table, "", "a"), object(ObjectKind::index, "", "", "a")}));
}

TEST(MentionedRelations, EveryRangeVar) {
  EXPECT_EQ(mentioned_relations("SELECT * FROM ops.accounts a JOIN owners o ON o.id = a.owner_id "
                                "WHERE a.id IN (SELECT account_id FROM \"Audit\")"),
            (Names{"ops.accounts", "owners", "Audit"}));
  EXPECT_EQ(mentioned_relations("INSERT INTO archive SELECT * FROM accounts"),
            (Names{"archive", "accounts"}));
  EXPECT_EQ(mentioned_relations("UPDATE accounts SET n = 1 FROM owners WHERE owners.id = 1"),
            (Names{"accounts", "owners"}));
  EXPECT_EQ(mentioned_relations("CREATE TABLE ops.accounts (owner_id int REFERENCES owners)"),
            (Names{"ops.accounts", "owners"}));
  EXPECT_EQ(mentioned_relations("LOCK TABLE a, b.c IN ACCESS EXCLUSIVE MODE"), (Names{"a", "b.c"}));
  EXPECT_EQ(mentioned_relations("TRUNCATE accounts, accounts"), (Names{"accounts"}));
  EXPECT_TRUE(mentioned_relations("SELECT 1").empty());
  EXPECT_TRUE(mentioned_relations("SELECT 'FROM accounts'").empty());
}

TEST(MentionedRelations, IndexNames) {
  EXPECT_EQ(mentioned_relations("CREATE INDEX CONCURRENTLY accounts_email_idx ON ops.accounts "
                                "(email)"),
            (Names{"ops.accounts_email_idx", "ops.accounts"}));
  EXPECT_EQ(mentioned_relations("CREATE INDEX ON accounts (email)"), (Names{"accounts"}));
  EXPECT_EQ(mentioned_relations("REINDEX INDEX CONCURRENTLY ops.accounts_email_idx"),
            (Names{"ops.accounts_email_idx"}));
  EXPECT_EQ(mentioned_relations("DROP INDEX ops.accounts_email_idx, other_idx"),
            (Names{"ops.accounts_email_idx", "other_idx"}));
  EXPECT_EQ(mentioned_relations("ALTER INDEX ops.accounts_email_idx RENAME TO email_idx"),
            (Names{"ops.accounts_email_idx", "ops.email_idx"}));
  EXPECT_EQ(mentioned_relations("CLUSTER ops.accounts USING accounts_pkey"),
            (Names{"ops.accounts", "ops.accounts_pkey"}));
  EXPECT_EQ(mentioned_relations("ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY "
                                "USING INDEX accounts_id_idx"),
            (Names{"accounts", "accounts_id_idx"}));
  EXPECT_EQ(mentioned_relations("ALTER TABLE ops.accounts REPLICA IDENTITY USING INDEX ids"),
            (Names{"ops.accounts", "ops.ids"}));
  EXPECT_EQ(mentioned_relations("ALTER TABLE accounts CLUSTER ON accounts_pkey"),
            (Names{"accounts", "accounts_pkey"}));
}

TEST(MentionedRelations, DropCommentRenameSetSchema) {
  EXPECT_EQ(mentioned_relations("DROP TABLE IF EXISTS ops.accounts, \"Owners\" CASCADE"),
            (Names{"ops.accounts", "Owners"}));
  EXPECT_EQ(mentioned_relations("DROP VIEW active"), (Names{"active"}));
  EXPECT_TRUE(mentioned_relations("DROP FUNCTION f(int)").empty());
  EXPECT_TRUE(mentioned_relations("DROP TYPE mood").empty());
  EXPECT_EQ(mentioned_relations("COMMENT ON TABLE ops.accounts IS 'x'"), (Names{"ops.accounts"}));
  EXPECT_TRUE(mentioned_relations("COMMENT ON FUNCTION f() IS 'x'").empty());
  EXPECT_EQ(mentioned_relations("ALTER TABLE accounts RENAME TO users"),
            (Names{"accounts", "users"}));
  EXPECT_EQ(mentioned_relations("ALTER TABLE accounts RENAME COLUMN a TO b"), (Names{"accounts"}));
  EXPECT_EQ(mentioned_relations("ALTER TABLE accounts SET SCHEMA ops"),
            (Names{"accounts", "ops.accounts"}));
}

// a + 1 + 1 + ... nests each sum in the next: a tree `terms` * 2 messages deep.
std::string deep_sum(int terms) {
  std::string sum = "a";
  for (int i = 0; i < terms; ++i) {
    sum += " + 1";
  }
  return sum;
}

TEST(MentionedRelations, DeepTreesDoNotExhaustTheStack) {
  // 400 levels unpack on the caller's stack, 20000 on a thread of their own (8 MiB of stack
  // would last some 8000).
  EXPECT_EQ(mentioned_relations("SELECT " + deep_sum(200) + " FROM deep"), (Names{"deep"}));
  EXPECT_EQ(mentioned_relations("SELECT " + deep_sum(10000) + " FROM deep"), (Names{"deep"}));
  EXPECT_EQ(created_objects("CREATE TABLE deep (x int DEFAULT " + deep_sum(10000) + ")"),
            (Objects{object(ObjectKind::table, "", "deep")}));
}

TEST(Describe, ForMessages) {
  EXPECT_EQ(describe(object(ObjectKind::index, "ops", "accounts_email_idx", "ops.accounts")),
            "index ops.accounts_email_idx");
  EXPECT_EQ(describe(object(ObjectKind::column, "", "note", "accounts")), "column accounts.note");
  EXPECT_EQ(describe(object(ObjectKind::column, "ops", "note", "ops.accounts")),
            "column ops.accounts.note");
  EXPECT_EQ(describe(object(ObjectKind::constraint, "", "", "ops.accounts")),
            "unnamed constraint on ops.accounts");
  EXPECT_EQ(describe(object(ObjectKind::index, "", "", "accounts")), "unnamed index on accounts");
  EXPECT_EQ(describe(object(ObjectKind::trigger, "", "touch", "accounts")),
            "trigger accounts.touch");
  EXPECT_EQ(describe(object(ObjectKind::materialized_view, "ops", "totals")),
            "materialized view ops.totals");
  EXPECT_EQ(describe(object(ObjectKind::table, "", "Mixed")), "table Mixed");
  EXPECT_EQ(describe(object(ObjectKind::extension, "", "pgcrypto")), "extension pgcrypto");
  EXPECT_EQ(describe(one("CREATE TYPE ops.mood AS ENUM ('ok')")), "type ops.mood");
  EXPECT_EQ(describe(one("ALTER TABLE accounts ADD COLUMN note text")), "column accounts.note");
}

}  // namespace
}  // namespace retort::sql
