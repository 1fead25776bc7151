// `retort squash` through the binary, on both dialects: a long linear history, a branchy one
// with merges and depends_on, and (PostgreSQL) one with every kind the schema model carries
// become one revision that is proved before it is written; data statements wait for a
// decision; what follows the squash point is kept; every database adopts the squash; the
// replaced files are retired only when no database is left on them.
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Strings version_files(const Project& project) {
  Strings names;
  for (const auto& entry : fs::directory_iterator(project.dir() / "migrations" / "versions")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The number of revisions of the long linear history: 300 as the issue sets it, fewer where
// every process runs several times slower (RETORT_SQUASH_REVISIONS, the sanitizer build).
int linear_size() {
  const char* value = std::getenv("RETORT_SQUASH_REVISIONS");
  const int size = value == nullptr ? 300 : std::atoi(value);
  return std::max(size, 12);
}

std::string id(int number) {
  std::string digits = std::to_string(number);
  return "r" + std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

class SquashTest : public ::testing::TestWithParam<Backend> {
 protected:
  [[nodiscard]] bool postgres() const { return GetParam() == Backend::postgres; }

  void configure(const Project& project, const std::string& url = "") const {
    std::string settings = "\n[retort.schema]\n";
    if (postgres()) {
      settings += "dev_url = \"" + PostgresServer::instance().url("postgres") + "\"\n";
    }
    write_config(project, settings, url);
  }

  // r0001..rNNNN in a line, each a small change of its own kind: a table, a column, an index,
  // a view, a column with a default; the last two come after the squash point.
  static void add_linear(Project& project, int size) {
    for (int i = 1; i <= size; ++i) {
      const int base = i - (i - 1) % 5;  // the table of this group of five
      const std::string table = "t" + std::to_string(base);
      std::string up;
      std::string down;
      switch ((i - 1) % 5) {
        case 0:
          up = "CREATE TABLE " + table + " (id integer PRIMARY KEY, name text NOT NULL);";
          down = "DROP TABLE " + table + ";";
          break;
        case 1:
          up = "ALTER TABLE " + table + " ADD COLUMN c" + std::to_string(i) + " integer;";
          down = "ALTER TABLE " + table + " DROP COLUMN c" + std::to_string(i) + ";";
          break;
        case 2:
          up = "CREATE INDEX " + table + "_c ON " + table + " (c" + std::to_string(i - 1) + ");";
          down = "DROP INDEX " + table + "_c;";
          break;
        case 3:
          up = "CREATE VIEW v" + std::to_string(i) + " AS SELECT id, name FROM " + table + ";";
          down = "DROP VIEW v" + std::to_string(i) + ";";
          break;
        default:
          up = "ALTER TABLE " + table + " ADD COLUMN d" + std::to_string(i) +
               " text NOT NULL DEFAULT 'x';";
          down = "ALTER TABLE " + table + " DROP COLUMN d" + std::to_string(i) + ";";
          break;
      }
      project.add({id(i), i == 1 ? Strings{} : Strings{id(i - 1)}, up, down, {}, "step"});
    }
  }
};

TEST_P(SquashTest, ALongHistoryBecomesOneProvedRevisionThatEveryDatabaseAdopts) {
  const int size = linear_size();
  const std::string to = id(size - 2);
  Project project(GetParam(), "squash_linear");
  add_linear(project, size);
  configure(project);
  // A database at the squash point before the squash exists, as production is.
  ASSERT_EQ(retort(project, {"upgrade", to}).exit_code, 0);
  const Strings before = version_files(project);

  const ProcessResult squashed =
      retort(project, {"squash", "--to", to, "--rev-id", "s0001", "-m", "squash"});
  ASSERT_EQ(squashed.exit_code, 0) << shown(squashed);
  EXPECT_TRUE(has(squashed.out, "Generating migrations/versions/s0001_squash.sql ... done"));
  EXPECT_TRUE(has(squashed.out, "the squash alone builds what the " + std::to_string(size - 2) +
                                    " revisions build"))
      << shown(squashed);
  EXPECT_TRUE(has(squashed.out, "its downgrade empties the database it built"));
  EXPECT_TRUE(has(squashed.out, "the 2 revisions after it apply on both and leave them equal"));
  if (postgres()) {
    EXPECT_TRUE(has(squashed.out, "pg_dump --schema-only"));
  }
  EXPECT_TRUE(has(squashed.out, "retort squash --retire s0001 --confirm"));
  Strings expected = before;
  expected.push_back("s0001_squash.sql");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(version_files(project), expected) << "the old files stay until --retire";
  const std::string text = read_file(project.dir() / "migrations/versions/s0001_squash.sql");
  EXPECT_TRUE(lacks(text, "-- retort:revises")) << "a squash of a whole history is a new base";
  for (int i = 1; i <= size - 2; ++i) {
    EXPECT_TRUE(has(text, " " + id(i))) << id(i) << " must be listed in replaces";
  }
  EXPECT_TRUE(lacks(text, " " + id(size - 1) + "\n")) << text.substr(0, 2000);
  EXPECT_TRUE(has(text, "-- retort:replaces r0001 r0002"));

  // The same history squashed again, in another project: the same bytes.
  Project again(GetParam(), "squash_linear_again");
  add_linear(again, size);
  configure(again);
  const ProcessResult second =
      retort(again, {"squash", "--to", to, "--rev-id", "s0001", "-m", "squash"});
  ASSERT_EQ(second.exit_code, 0) << shown(second);
  EXPECT_EQ(read_file(again.dir() / "migrations/versions/s0001_squash.sql"), text);

  // The database at the squash point adopts it without running it, then goes on.
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{id(size)});
  const std::vector<Project::LedgerRow> ledger = project.ledger();
  const auto adopted = std::find_if(ledger.begin(), ledger.end(), [](const auto& row) {
    return row.revision == "s0001" && row.direction == "stamp";
  });
  EXPECT_NE(adopted, ledger.end()) << shown(up);

  // A new database runs the squash alone, then what follows it, and ends up the same.
  const ProcessResult fresh = retort(again, {"upgrade", "head"});
  ASSERT_EQ(fresh.exit_code, 0) << shown(fresh);
  const ProcessResult same =
      retort(project, {"diff", "--from", project.config().url, "--to", again.config().url});
  EXPECT_EQ(same.exit_code, 0) << shown(same);
  EXPECT_TRUE(has(same.out, "No differences")) << shown(same);
  const std::vector<Project::LedgerRow> fresh_ledger = again.ledger();
  EXPECT_EQ(fresh_ledger.size(), 3U) << "the squash and the two revisions after it";
}

TEST_P(SquashTest, ABranchyHistoryWithMergesAndDependsOnSquashesToTheMerge) {
  Project project(GetParam(), "squash_branchy");
  project.add({"a1",
               {},
               "CREATE TABLE accounts (id integer PRIMARY KEY);",
               "DROP TABLE accounts;",
               {},
               "accounts"});
  project.add({"b1",
               {"a1"},
               "CREATE TABLE bills (id integer PRIMARY KEY);",
               "DROP TABLE bills;",
               {"branch_labels billing"},
               "bills"});
  project.add({"b2",
               {"b1"},
               "ALTER TABLE bills ADD COLUMN total integer;",
               "ALTER TABLE bills DROP COLUMN total;",
               {},
               "bill totals"});
  project.add({"c1",
               {"a1"},
               "CREATE TABLE carts (id integer PRIMARY KEY);",
               "DROP TABLE carts;",
               {"depends_on b1"},
               "carts"});
  project.add({"m1",
               {"b2", "c1"},
               "CREATE VIEW totals AS SELECT id, total FROM bills;",
               "DROP VIEW totals;",
               {},
               "merge with a view"});
  project.add({"d1",
               {"m1"},
               "ALTER TABLE carts ADD COLUMN note text;",
               "ALTER TABLE carts DROP COLUMN note;",
               {"depends_on m1"},
               "after"});
  configure(project);

  const ProcessResult squashed = retort(project, {"squash", "--to", "m1", "--rev-id", "s1"});
  ASSERT_EQ(squashed.exit_code, 0) << shown(squashed);
  const std::string text =
      read_file(project.dir() / "migrations/versions/s1_squash_of_5_revisions_up_to_m1.sql");
  EXPECT_TRUE(has(text, "-- retort:replaces a1 ")) << text;
  for (const char* replaced : {"b1", "b2", "c1", "m1"}) {
    EXPECT_TRUE(has(text, std::string(" ") + replaced)) << text;
  }
  EXPECT_TRUE(has(text, "-- retort:branch_labels billing")) << "labels stay with the squash";
  EXPECT_TRUE(has(squashed.out, "the 1 revision after it apply on both")) << shown(squashed);

  // A new database takes the squash and the revision after it.
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{"d1"});
  const ProcessResult heads = retort(project, {"heads"});
  EXPECT_TRUE(has(heads.out, "d1")) << shown(heads);
}

TEST_P(SquashTest, ARevisionAfterTheSquashThatFollowsAnEarlierOneIsRefused) {
  Project project(GetParam(), "squash_cut");
  project.add({"a1", {}, "CREATE TABLE a (id integer PRIMARY KEY);", "DROP TABLE a;", {}, "a"});
  project.add({"b1", {"a1"}, "CREATE TABLE b (id integer PRIMARY KEY);", "DROP TABLE b;", {}, "b"});
  project.add({"c1", {"b1"}, "CREATE TABLE c (id integer PRIMARY KEY);", "DROP TABLE c;", {}, "c"});
  // x1 starts a branch at a1: squashing to b1 would take its parent away.
  const std::string branch = project.add(
      {"x1", {"a1"}, "CREATE TABLE x (id integer PRIMARY KEY);", "DROP TABLE x;", {}, "x"});
  configure(project);
  const Strings before = version_files(project);
  const ProcessResult refused = retort(project, {"squash", "--to", "b1"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err, "x1 (" + branch + ") revises a1")) << shown(refused);
  EXPECT_TRUE(has(refused.err, "no file was written"));
  EXPECT_EQ(version_files(project), before);

  const ProcessResult several = retort(project, {"squash", "--to", "heads"});
  EXPECT_EQ(several.exit_code, 2) << shown(several);
  EXPECT_TRUE(has(several.err, "names 2 revisions")) << shown(several);
}

TEST_P(SquashTest, DataStatementsAreListedThenKeptOrElidedOnlyWhenAsked) {
  Project project(GetParam(), "squash_data");
  project.add({"a1",
               {},
               "CREATE TABLE plans (id integer PRIMARY KEY, name text NOT NULL);",
               "DROP TABLE plans;",
               {},
               "plans"});
  const std::string seed =
      project.add({"b1",
                   {"a1"},
                   "INSERT INTO plans (id, name) VALUES (1, 'free'), (2, 'pro');",
                   "DELETE FROM plans;",
                   {},
                   "seed plans"});
  project.add({"c1",
               {"b1"},
               "ALTER TABLE plans ADD COLUMN price integer;",
               "ALTER TABLE plans DROP COLUMN price;",
               {},
               "price"});
  configure(project);
  const Strings before = version_files(project);

  const ProcessResult refused = retort(project, {"squash", "--to", "c1", "--rev-id", "s1"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err, "1 statement on rows in the revisions the squash replaces"))
      << shown(refused);
  EXPECT_TRUE(has(refused.err, seed + ":6: INSERT")) << shown(refused);
  EXPECT_TRUE(has(refused.err, "--data keep")) << shown(refused);
  EXPECT_EQ(version_files(project), before);

  const ProcessResult elided =
      retort(project, {"squash", "--to", "c1", "--rev-id", "s1", "--data", "elide", "-m", "e"});
  ASSERT_EQ(elided.exit_code, 0) << shown(elided);
  const std::string elided_text = read_file(project.dir() / "migrations/versions/s1_e.sql");
  EXPECT_TRUE(has(elided_text, "-- Elided (--data elide): " + seed + ":6 INSERT")) << elided_text;
  EXPECT_TRUE(lacks(elided_text, "VALUES (1, 'free')"));
  fs::remove(project.dir() / "migrations/versions/s1_e.sql");

  const ProcessResult kept =
      retort(project, {"squash", "--to", "c1", "--rev-id", "s1", "--data", "keep", "-m", "k"});
  ASSERT_EQ(kept.exit_code, 0) << shown(kept);
  const std::string kept_text = read_file(project.dir() / "migrations/versions/s1_k.sql");
  const std::size_t insert = kept_text.find("INSERT INTO plans");
  ASSERT_NE(insert, std::string::npos) << kept_text;
  EXPECT_LT(kept_text.find("price"), insert) << "the data runs after the schema it needs";
  EXPECT_LT(insert, kept_text.find("-- retort:downgrade"));
  // A new database built from the squash has the rows.
  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM plans"), Strings{"2"});
}

TEST_P(SquashTest, RetireWaitsForEveryDatabaseItSeesThenDeletesOnlyWithConfirm) {
  Project project(GetParam(), "squash_retire");
  project.add({"a1", {}, "CREATE TABLE a (id integer PRIMARY KEY);", "DROP TABLE a;", {}, "a"});
  const std::string b1 = project.add(
      {"b1", {"a1"}, "CREATE TABLE b (id integer PRIMARY KEY);", "DROP TABLE b;", {}, "b"});
  project.add({"c1", {"b1"}, "CREATE TABLE c (id integer PRIMARY KEY);", "DROP TABLE c;", {}, "c"});
  configure(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult squashed = retort(project, {"squash", "--to", "b1", "--rev-id", "s1"});
  ASSERT_EQ(squashed.exit_code, 0) << shown(squashed);

  // The database is still on the old path: nothing is deleted.
  const ProcessResult stranded = retort(project, {"squash", "--retire", "s1", "--confirm"});
  EXPECT_EQ(stranded.exit_code, 1) << shown(stranded);
  EXPECT_TRUE(has(stranded.err, "is at a1")) << shown(stranded);
  EXPECT_TRUE(has(stranded.err, "nothing was deleted"));
  EXPECT_TRUE(fs::exists(project.dir() / b1));

  ASSERT_EQ(retort(project, {"upgrade", "head"}).exit_code, 0);
  EXPECT_EQ(project.version_rows(), Strings{"c1"});
  const ProcessResult dry = retort(project, {"squash", "--retire", "s1"});
  EXPECT_EQ(dry.exit_code, 0) << shown(dry);
  EXPECT_TRUE(has(dry.out, b1)) << shown(dry);
  EXPECT_TRUE(has(dry.out, "Nothing was deleted: add --confirm")) << shown(dry);
  EXPECT_TRUE(fs::exists(project.dir() / b1));

  const ProcessResult retired = retort(project, {"squash", "--retire", "s1", "--confirm"});
  ASSERT_EQ(retired.exit_code, 0) << shown(retired);
  EXPECT_TRUE(has(retired.out, "Deleted 2 files")) << shown(retired);
  EXPECT_FALSE(fs::exists(project.dir() / b1));
  // The history reads as before, and the database needs nothing.
  const ProcessResult current = retort(project, {"upgrade", "head"});
  EXPECT_EQ(current.exit_code, 0) << shown(current);
  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 0) << shown(check);
}

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SquashTest, ::testing::Values(Backend::sqlite), name_of);
INSTANTIATE_TEST_SUITE_P(Postgres, SquashTest, ::testing::Values(Backend::postgres), name_of);

// Every kind the schema model carries, squashed and proved by the model and by pg_dump.
TEST(SquashPostgresTest, EveryKindTheModelCarriesSurvivesTheSquash) {
  Project project(Backend::postgres, "squash_kinds");
  project.add({"k1",
               {},
               "CREATE SCHEMA app;\n"
               "CREATE TYPE app.mood AS ENUM ('sad', 'ok');\n"
               "CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);\n"
               "CREATE TYPE app.pair AS (a integer, b text);\n"
               "CREATE SEQUENCE app.counter START 100;\n"
               "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
               "DROP EXTENSION pg_trgm; DROP SEQUENCE app.counter; DROP TYPE app.pair;\n"
               "DROP DOMAIN app.positive; DROP TYPE app.mood; DROP SCHEMA app;",
               {},
               "types"});
  project.add(
      {"k2",
       {"k1"},
       "CREATE TABLE app.people (\n"
       "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
       "  name text COLLATE \"C\" NOT NULL,\n"
       "  mood app.mood NOT NULL DEFAULT 'ok',\n"
       "  age app.positive,\n"
       "  upper_name text GENERATED ALWAYS AS (upper(name)) STORED,\n"
       "  UNIQUE (name)\n"
       ");\n"
       "CREATE TABLE app.pets (id serial PRIMARY KEY, owner bigint REFERENCES "
       "app.people (id) ON DELETE CASCADE, tag text);\n"
       "ALTER TABLE app.pets ADD CONSTRAINT tag_set CHECK (tag <> '') NOT VALID;\n"
       "CREATE INDEX pets_tag ON app.pets USING gin (tag gin_trgm_ops) WHERE tag IS NOT NULL;\n"
       "COMMENT ON TABLE app.people IS 'who';\n"
       "COMMENT ON COLUMN app.people.name IS 'their name';",
       "DROP TABLE app.pets; DROP TABLE app.people;",
       {},
       "tables"});
  project.add({"k3",
               {"k2"},
               "CREATE VIEW app.adults AS SELECT id, name FROM app.people WHERE age >= 18;\n"
               "CREATE MATERIALIZED VIEW app.pet_counts AS SELECT owner, count(*) AS n FROM "
               "app.pets GROUP BY owner;\n"
               "CREATE UNIQUE INDEX pet_counts_owner ON app.pet_counts (owner);\n"
               "CREATE FUNCTION app.shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ "
               "SELECT upper(t) || '!' $$;\n"
               "CREATE FUNCTION app.shout(t text, n integer) RETURNS text LANGUAGE sql AS $$ "
               "SELECT repeat(upper(t), n) $$;\n"
               "CREATE PROCEDURE app.tidy() LANGUAGE sql AS $$ DELETE FROM app.pets WHERE tag IS "
               "NULL $$;\n"
               "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "NEW.tag := lower(NEW.tag); RETURN NEW; END $$;\n"
               "CREATE TRIGGER pets_touch BEFORE INSERT OR UPDATE ON app.pets FOR EACH ROW "
               "EXECUTE FUNCTION app.touch();\n"
               "ALTER TABLE app.pets DISABLE TRIGGER pets_touch;",
               "DROP TRIGGER pets_touch ON app.pets; DROP FUNCTION app.touch();\n"
               "DROP PROCEDURE app.tidy(); DROP FUNCTION app.shout(text, integer);\n"
               "DROP FUNCTION app.shout(text); DROP MATERIALIZED VIEW app.pet_counts;\n"
               "DROP VIEW app.adults;",
               {},
               "code"});
  project.add({"k4",
               {"k3"},
               "ALTER TABLE app.people ENABLE ROW LEVEL SECURITY;\n"
               "CREATE POLICY own ON app.people USING (name = current_user);\n"
               "CREATE TABLE app.events (at date NOT NULL, what text) PARTITION BY RANGE (at);\n"
               "CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM "
               "('2026-01-01') TO ('2027-01-01');\n"
               "CREATE TABLE app.rooms (id integer PRIMARY KEY, during int4range, EXCLUDE USING "
               "gist (during WITH &&));",
               "DROP TABLE app.rooms; DROP TABLE app.events; DROP POLICY own ON app.people;\n"
               "ALTER TABLE app.people DISABLE ROW LEVEL SECURITY;",
               {},
               "security and partitions"});
  project.add({"k5",
               {"k4"},
               "ALTER TABLE app.people ADD COLUMN email text;",
               "ALTER TABLE app.people DROP COLUMN email;",
               {},
               "after"});
  std::string settings =
      "\n[retort.schema]\ndev_url = \"" + PostgresServer::instance().url("postgres") + "\"\n";
  write_config(project, settings);

  const ProcessResult squashed = retort(project, {"squash", "--to", "k4", "--rev-id", "s1"});
  ASSERT_EQ(squashed.exit_code, 0) << shown(squashed);
  EXPECT_TRUE(has(squashed.out, "schema model and pg_dump --schema-only")) << shown(squashed);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{"k5"});
  EXPECT_EQ(project.query_rows("SELECT tgenabled FROM pg_trigger WHERE tgname = 'pets_touch'"),
            Strings{"D"});
}

}  // namespace
}  // namespace retort::test
