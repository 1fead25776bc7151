// `retort revision --autogenerate` and `retort check` against the declared schema, through the
// binary: what a user runs, reads and applies. The written revision applies with `retort
// upgrade` to the declared schema and reverts with `retort downgrade` to the history's, lint
// finds nothing it did not accept, destructive changes wait for --allow-hazards, and nothing is
// written when there is nothing to do or the proof fails.
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> version_files(const Project& project) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(project.dir() / "migrations" / "versions")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> scratch_leftovers() {
  PostgresServer& server = PostgresServer::instance();
  const std::string rows =
      server.psql(server.url("postgres"),
                  "SELECT datname FROM pg_database WHERE datname LIKE 'retort_scratch_%'");
  return rows.empty() ? std::vector<std::string>{} : std::vector<std::string>{rows};
}

class AutogenerateTest : public ::testing::TestWithParam<Backend> {
 protected:
  [[nodiscard]] bool postgres() const { return GetParam() == Backend::postgres; }
  // A name as the dump and the change lines spell it.
  [[nodiscard]] std::string q(const std::string& name) const {
    return postgres() ? "public." + name : name;
  }

  // A history of two revisions, upgraded, and its schema split into schema/ as a team starts.
  void build(Project& project) {
    project.add({"a1",
                 {},
                 "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);\n"
                 "CREATE VIEW user_emails AS SELECT id, email FROM users;",
                 "DROP VIEW user_emails; DROP TABLE users;",
                 {},
                 "users"});
    project.add({"b2",
                 {"a1"},
                 "CREATE TABLE legacy (id integer PRIMARY KEY, note text);",
                 "DROP TABLE legacy;",
                 {},
                 "legacy"});
    std::string settings = "\n[retort.schema]\n";
    if (postgres()) {
      settings += "dev_url = \"" + PostgresServer::instance().url("postgres") + "\"\n";
    }
    write_config(project, settings);
    const ProcessResult up = retort(project, {"upgrade", "head"});
    ASSERT_EQ(up.exit_code, 0) << shown(up);
    const ProcessResult split = retort(project, {"schema", "dump", "--split", "schema"});
    ASSERT_EQ(split.exit_code, 0) << shown(split);
  }

  // The declared schema gains a table with a foreign key, a column and an index on the
  // existing users (built online on PostgreSQL), and a view over the new column.
  void declare_orders(const Project& project) const {
    std::ofstream(project.dir() / "schema" / "orders.sql")
        << "CREATE TABLE " << q("orders")
        << " (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES " << q("users")
        << " (id), total numeric(12,2));\n"
        << "CREATE INDEX orders_user_id ON " << q("orders") << " (user_id);\n"
        << "ALTER TABLE " << q("users") << " ADD COLUMN country text;\n"
        << "CREATE INDEX users_country ON " << q("users") << " (country);\n"
        << "CREATE VIEW " << q("user_countries") << " AS SELECT id, country FROM " << q("users")
        << ";\n";
  }
};

TEST_P(AutogenerateTest, NothingToDoWritesNothingAndSaysSo) {
  Project project(GetParam(), "autogen_none");
  build(project);
  const std::vector<std::string> before = version_files(project);
  const ProcessResult none = retort(project, {"revision", "--autogenerate", "-m", "nothing"});
  ASSERT_EQ(none.exit_code, 0) << shown(none);
  EXPECT_TRUE(has(none.out,
                  "No changes: declared schema schema/ and the history at revision b2 "
                  "are equal; no revision was written."))
      << shown(none);
  EXPECT_EQ(version_files(project), before);

  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 0) << shown(check);
}

TEST_P(AutogenerateTest, TheRevisionAppliesToTheDeclaredSchemaAndRevertsToTheHistorys) {
  Project project(GetParam(), "autogen_apply");
  build(project);
  declare_orders(project);

  // Before the revision exists, check names each object it would carry.
  const ProcessResult forgotten = retort(project, {"check"});
  EXPECT_EQ(forgotten.exit_code, 1) << shown(forgotten);
  EXPECT_TRUE(has(forgotten.out, "+ table " + q("orders"))) << shown(forgotten);
  EXPECT_TRUE(has(forgotten.out, "+ column " + q("users.country"))) << shown(forgotten);
  EXPECT_TRUE(has(forgotten.out, "retort revision --autogenerate -m")) << shown(forgotten);

  const ProcessResult made =
      retort(project, {"revision", "--autogenerate", "-m", "orders", "--rev-id", "c3"});
  ASSERT_EQ(made.exit_code, 0) << shown(made);
  EXPECT_TRUE(has(made.out, "Generating migrations/versions/c3_orders.sql ... done"));
  EXPECT_TRUE(has(made.err, "proved on the throwaway database")) << shown(made);
  const std::string first = read_file(project.dir() / "migrations/versions/c3_orders.sql");
  EXPECT_TRUE(has(first, "-- retort:revises b2")) << first;
  if (postgres()) {
    // The index on the existing, live table is built without blocking writes, in a revision
    // of its own that runs outside a transaction.
    const std::string online =
        read_file(project.dir() / "migrations/versions/c3_online_orders_online.sql");
    EXPECT_TRUE(has(online, "-- retort:revises c3")) << online;
    EXPECT_TRUE(has(online, "-- retort:transaction false")) << online;
    EXPECT_TRUE(has(online, "CREATE INDEX CONCURRENTLY users_country")) << online;
    EXPECT_TRUE(lacks(first, "users_country")) << first;
    const ProcessResult lint = retort(project, {"lint"});
    EXPECT_EQ(lint.exit_code, 0) << shown(lint);
  }

  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  const ProcessResult live = retort(project, {"schema", "dump"});
  const ProcessResult declared = retort(project, {"schema", "dump", "--dir", "schema"});
  ASSERT_EQ(declared.exit_code, 0) << shown(declared);
  EXPECT_EQ(live.out, declared.out);
  const ProcessResult clean = retort(project, {"check"});
  EXPECT_EQ(clean.exit_code, 0) << shown(clean);

  const ProcessResult down = retort(project, {"downgrade", "b2"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  const ProcessResult reverted = retort(project, {"schema", "dump"});
  const ProcessResult history = retort(project, {"schema", "dump", "--rev", "b2"});
  EXPECT_EQ(reverted.out, history.out);
  if (postgres()) {
    EXPECT_TRUE(scratch_leftovers().empty());
  }
}

TEST_P(AutogenerateTest, ADestructiveChangeWaitsForAllowHazardsAndNamesItsCode) {
  Project project(GetParam(), "autogen_hazard");
  build(project);
  // Rows that the drop would lose are there: nothing may be written without the user's word.
  project.db().execute("INSERT INTO legacy VALUES (1, 'kept')");
  for (const auto& entry : fs::recursive_directory_iterator(project.dir() / "schema")) {
    if (entry.is_regular_file() && has(read_file(entry.path()), "legacy")) {
      fs::remove(entry.path());
    }
  }
  const std::vector<std::string> before = version_files(project);
  const ProcessResult refused = retort(project, {"revision", "--autogenerate", "-m", "drop"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err, "PG203 table " + q("legacy"))) << shown(refused);
  EXPECT_TRUE(has(refused.err, "--allow-hazards PG203")) << shown(refused);
  EXPECT_TRUE(has(refused.err, "no file was written"));
  EXPECT_EQ(version_files(project), before);

  const ProcessResult allowed = retort(project, {"revision", "--autogenerate", "-m", "drop",
                                                 "--rev-id", "d4", "--allow-hazards", "PG203"});
  ASSERT_EQ(allowed.exit_code, 0) << shown(allowed);
  EXPECT_TRUE(has(allowed.out, "allowed hazard PG203")) << shown(allowed);
  const std::string file = read_file(project.dir() / "migrations/versions/d4_drop.sql");
  EXPECT_TRUE(has(file, "-- retort:lint-ignore PG203 -- ")) << file;
  EXPECT_EQ(project.query_rows("SELECT note FROM legacy"), std::vector<std::string>{"kept"})
      << "writing a revision touches no database but the throwaway ones";
}

TEST_P(AutogenerateTest, TwoRunsWriteTheSameBytes) {
  Project project(GetParam(), "autogen_same");
  build(project);
  declare_orders(project);
  std::vector<std::string> texts;
  for (int run = 0; run < 2; ++run) {
    const ProcessResult made =
        retort(project, {"revision", "--autogenerate", "-m", "orders", "--rev-id", "c3"});
    ASSERT_EQ(made.exit_code, 0) << shown(made);
    std::string all;
    for (const std::string& name : version_files(project)) {
      if (name.starts_with("c3")) {
        all += read_file(project.dir() / "migrations" / "versions" / name);
        fs::remove(project.dir() / "migrations" / "versions" / name);
      }
    }
    texts.push_back(all);
  }
  EXPECT_FALSE(texts[0].empty());
  EXPECT_EQ(texts[0], texts[1]);
}

TEST_P(AutogenerateTest, WithoutADeclaredSchemaItSaysHowToStartOne) {
  Project project(GetParam(), "autogen_noschema");
  build(project);
  fs::remove_all(project.dir() / "schema");
  const ProcessResult missing = retort(project, {"revision", "--autogenerate", "-m", "x"});
  EXPECT_EQ(missing.exit_code, 2) << shown(missing);
  EXPECT_TRUE(has(missing.err, "there is no declared schema at"));
  EXPECT_TRUE(has(missing.err, "retort schema dump --split schema"));
  const ProcessResult bad = retort(project, {"revision", "-m", "x", "--allow-hazards", "PG203"});
  EXPECT_EQ(bad.exit_code, 2) << shown(bad);
  EXPECT_TRUE(has(bad.err, "go with --autogenerate"));
}

// A change the planner does not know how to make (a domain's base type, while a column uses
// it) fails the proof on the throwaway database: nothing is written, and the error says the
// flaw is retort's.
TEST(AutogeneratePostgresTest, APlanThatFailsItsProofWritesNothing) {
  Project project(Backend::postgres, "autogen_proof");
  project.add({"a1",
               {},
               "CREATE DOMAIN public.amount AS integer;\n"
               "CREATE TABLE public.items (id bigint PRIMARY KEY, price public.amount);",
               "DROP TABLE public.items; DROP DOMAIN public.amount;",
               {},
               "items"});
  write_config(project, "\n[retort.schema]\ndev_url = \"" +
                            PostgresServer::instance().url("postgres") + "\"\n");
  fs::create_directories(project.dir() / "schema");
  std::ofstream(project.dir() / "schema" / "items.sql")
      << "CREATE DOMAIN public.amount AS bigint;\n"
         "CREATE TABLE public.items (id bigint PRIMARY KEY, price public.amount);\n";
  const std::vector<std::string> before = version_files(project);
  const ProcessResult failed =
      retort(project, {"revision", "--autogenerate", "-m", "wider", "--allow-hazards", "PG108"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.err, "this is a flaw in retort's planner")) << shown(failed);
  EXPECT_TRUE(has(failed.err, "no file was written")) << shown(failed);
  EXPECT_EQ(version_files(project), before);
  EXPECT_TRUE(scratch_leftovers().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AutogenerateTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& param) { return std::string(backend_name(param.param)); });

}  // namespace
}  // namespace retort::test
