// Tests of `retort import`'s readers on each tool's documented layout, written to real files:
// the order, the revision ids, the sections, the transaction markers, the files refused with
// their names; and the whole import, which writes nothing unless every revision loads.
#include "commands/import_tools.hpp"

#include "base/url.hpp"
#include "retort/import.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace retort::commands::importing {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

class ImportTools : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "retort-import-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    m_root = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }
  void write(const std::string& relative, const std::string& text) {
    fs::create_directories((m_root / "in" / relative).parent_path());
    std::ofstream(m_root / "in" / relative) << text;
  }
  [[nodiscard]] fs::path in() const { return m_root / "in"; }
  [[nodiscard]] const fs::path& root() const { return m_root; }

  // The message of the input error reading `tool` throws.
  std::string refusal(ImportTool tool) {
    try {
      (void)read_sql_history(tool, in());
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ExitCode::input);
      return error.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }

 private:
  fs::path m_root;
};

Strings revisions(const std::vector<Imported>& history) {
  Strings out;
  for (const Imported& item : history) {
    out.push_back(item.revision);
  }
  return out;
}

TEST(RevisionOf, MakesTheToolsVersionAValidId) {
  EXPECT_EQ(revision_of(ImportTool::flyway, "1_2", "V1.2__a.sql"), "v1_2");
  EXPECT_EQ(revision_of(ImportTool::goose, "20230101120000", "x"), "v20230101120000");
  EXPECT_EQ(revision_of(ImportTool::sqitch, "add-users", "x"), "add_users");
  EXPECT_THROW((void)revision_of(ImportTool::sqitch, std::string(65, 'a'), "x"), Error);
}

TEST_F(ImportTools, FlywayOrdersVersionsAsNumbersAndPairsUndoFiles) {
  write("V1__create_users.sql", "CREATE TABLE users (id int);\n");
  write("V1.1__add_email.sql", "ALTER TABLE users ADD email text;\n");
  write("U1.1__add_email.sql", "ALTER TABLE users DROP email;\n");
  write("V10__later.sql", "CREATE TABLE later (id int);\n");
  write("sub/V2__index.sql", "CREATE INDEX CONCURRENTLY users_email ON users (email);\n");
  write("sub/V2__index.sql.conf", "# per-script settings\nexecuteInTransaction=false\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::flyway, in());
  EXPECT_EQ(revisions(history), (Strings{"v1", "v1_1", "v2", "v10"}));
  EXPECT_EQ(history[1].version, "1.1");
  EXPECT_EQ(history[1].message, "add email");
  EXPECT_EQ(history[1].revises, Strings{"v1"});
  EXPECT_EQ(history[1].downgrade, "ALTER TABLE users DROP email;\n");
  EXPECT_FALSE(history[0].downgrade.has_value());
  EXPECT_FALSE(history[2].transactional);
  EXPECT_EQ(history[2].source, "sub/V2__index.sql");
  EXPECT_TRUE(history[3].transactional);
}

TEST_F(ImportTools, FlywayRefusesARepeatableMigrationByName) {
  write("V1__a.sql", "SELECT 1;\n");
  write("R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;\n");
  const std::string message = refusal(ImportTool::flyway);
  EXPECT_NE(message.find("R__views.sql"), std::string::npos) << message;
  EXPECT_NE(message.find("repeatable"), std::string::npos) << message;
}

TEST_F(ImportTools, GolangMigratePairsUpAndDownAndDropsTheFilesTransactionControl) {
  write("000001_create_users.up.sql", "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n");
  write("000001_create_users.down.sql", "DROP TABLE users;\n");
  write("000010_add_posts.up.sql", "CREATE TABLE posts (id int);\n");
  write("000002_add_email.up.sql", "ALTER TABLE users ADD email text;\n");
  write("000003_index.up.sql", "CREATE INDEX CONCURRENTLY i ON users (email);\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::golang_migrate, in());
  EXPECT_EQ(revisions(history), (Strings{"v1", "v2", "v3", "v10"}));
  EXPECT_TRUE(history[1].transactional);
  EXPECT_FALSE(history[2].transactional) << "golang-migrate sends the file alone, outside any "
                                            "transaction";
  EXPECT_EQ(history[0].upgrade, "CREATE TABLE users (id int);\n");
  EXPECT_EQ(history[0].downgrade, "DROP TABLE users;\n");
  EXPECT_EQ(history[3].revises, Strings{"v3"});
  write("README.md", "notes\n");
  const std::string message = refusal(ImportTool::golang_migrate);
  EXPECT_NE(message.find("README.md: not a golang-migrate migration"), std::string::npos)
      << message;
}

TEST_F(ImportTools, DbmateSplitsItsSectionsAndKeepsTransactionFalse) {
  write("20230102000000_index.sql",
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON users (id);\n\n"
        "-- migrate:down\nDROP INDEX i;\n");
  write("20230101000000_users.sql",
        "-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::dbmate, in());
  EXPECT_EQ(revisions(history), (Strings{"v20230101000000", "v20230102000000"}));
  EXPECT_TRUE(history[0].transactional);
  EXPECT_FALSE(history[0].downgrade.has_value()) << "an empty down section is no downgrade";
  EXPECT_FALSE(history[1].transactional);
  EXPECT_EQ(history[1].upgrade, "CREATE INDEX CONCURRENTLY i ON users (id);\n\n");
  EXPECT_EQ(history[1].downgrade, "DROP INDEX i;\n");
  write("20230103000000_bad.sql", "-- migrate:sideways\nSELECT 1;\n");
  const std::string message = refusal(ImportTool::dbmate);
  EXPECT_NE(message.find("20230103000000_bad.sql:1"), std::string::npos) << message;
}

TEST_F(ImportTools, GooseReadsItsAnnotations) {
  write("00001_users.sql",
        "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; "
        "$$ LANGUAGE sql;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n");
  write("00002_index.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (id);\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::goose, in());
  EXPECT_EQ(revisions(history), (Strings{"v1", "v2"}));
  EXPECT_EQ(history[0].upgrade,
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n");
  EXPECT_EQ(history[0].downgrade, "DROP FUNCTION f();\n");
  EXPECT_TRUE(history[0].transactional);
  EXPECT_FALSE(history[1].transactional);
  EXPECT_FALSE(history[1].downgrade.has_value());

  write("00003_env.sql", "-- +goose Up\n-- +goose ENVSUB ON\nSELECT '${X}';\n");
  std::string message = refusal(ImportTool::goose);
  EXPECT_NE(message.find("00003_env.sql:2"), std::string::npos) << message;
  fs::remove(in() / "00003_env.sql");
  write("00004_seed.go", "package migrations\n");
  message = refusal(ImportTool::goose);
  EXPECT_NE(message.find("00004_seed.go: a goose migration in Go"), std::string::npos) << message;
}

TEST_F(ImportTools, DieselReadsItsDirectoriesAndMetadata) {
  write("2023-01-02-000000_add_index/up.sql", "CREATE INDEX CONCURRENTLY i ON users (id);\n");
  write("2023-01-02-000000_add_index/down.sql", "DROP INDEX i;\n");
  write("2023-01-02-000000_add_index/metadata.toml", "run_in_transaction = false\n");
  write("2023-01-01-000000_create_users/up.sql", "CREATE TABLE users (id int);\n");
  write("2023-01-01-000000_create_users/down.sql", "DROP TABLE users;\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::diesel, in());
  EXPECT_EQ(revisions(history), (Strings{"v20230101000000", "v20230102000000"}));
  EXPECT_EQ(history[0].version, "20230101000000") << "as __diesel_schema_migrations keeps it";
  EXPECT_EQ(history[0].message, "create users");
  EXPECT_FALSE(history[1].transactional);
  write("2023-01-03-000000_x/up.sql", "SELECT 1;\n");
  write("2023-01-03-000000_x/notes.txt", "?\n");
  const std::string message = refusal(ImportTool::diesel);
  EXPECT_NE(message.find("2023-01-03-000000_x/notes.txt"), std::string::npos) << message;
}

TEST_F(ImportTools, SqitchFollowsThePlanAndKeepsRequirementsAsDependsOn) {
  write("sqitch.plan",
        "%syntax-version=1.0.0\n%project=flipr\n\n"
        "appschema 2023-01-01T00:00:00Z Ann <ann@example.com> # Add schema\n"
        "users [appschema] 2023-01-02T00:00:00Z Ann <ann@example.com> # Creates users\n"
        "@v1.0 2023-01-03T00:00:00Z Ann <ann@example.com> # Tag\n"
        "add-flips [appschema users] 2023-01-04T00:00:00Z Ann <ann@example.com>\n");
  write("deploy/appschema.sql", "BEGIN;\nCREATE SCHEMA flipr;\nCOMMIT;\n");
  write("revert/appschema.sql", "BEGIN;\nDROP SCHEMA flipr;\nCOMMIT;\n");
  write("deploy/users.sql", "CREATE TABLE flipr.users (id int);\n");
  write("deploy/add-flips.sql", "CREATE TABLE flipr.flips (id int);\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::sqitch, in());
  EXPECT_EQ(revisions(history), (Strings{"appschema", "users", "add_flips"}));
  EXPECT_EQ(history[0].upgrade, "CREATE SCHEMA flipr;\n");
  EXPECT_EQ(history[0].downgrade, "DROP SCHEMA flipr;\n");
  EXPECT_EQ(history[1].message, "Creates users");
  EXPECT_EQ(history[2].revises, Strings{"users"});
  EXPECT_EQ(history[2].depends_on, (Strings{"appschema", "users"}));
  EXPECT_EQ(history[2].version, "add-flips") << "as sqitch.changes names it";
  write("sqitch.plan", "%project=flipr\nusers [nothing] 2023-01-02T00:00:00Z Ann <a@b>\n");
  const std::string message = refusal(ImportTool::sqitch);
  EXPECT_NE(message.find("sqitch.plan:2"), std::string::npos) << message;
}

// The tools' tables read on a real (SQLite) database. Flyway: a baseline counts every version up to
// it, an undo takes its version back, a failed row refuses adoption.
TEST_F(ImportTools, TheToolsVersionTableSaysWhatIsApplied) {
  write("V1__a.sql", "SELECT 1;\n");
  write("V2__b.sql", "SELECT 1;\n");
  write("V3__c.sql", "SELECT 1;\n");
  write("V4__d.sql", "SELECT 1;\n");
  const std::vector<Imported> history = read_sql_history(ImportTool::flyway, in());
  const auto url = base::parse_database_url("sqlite:///" + (root() / "flyway.db").string());
  ASSERT_TRUE(url);
  const std::unique_ptr<driver::Connection> db = driver::connect(url.value());
  db->execute(
      "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version text, type "
      "text, success boolean);"
      "INSERT INTO flyway_schema_history VALUES (1, NULL, 'SCHEMA', 1), (2, '2', 'BASELINE', 1),"
      " (3, '3', 'SQL', 1), (4, '4', 'SQL', 1), (5, '4', 'UNDO_SQL', 1)");
  Applied applied = read_applied(ImportTool::flyway, *db, history);
  EXPECT_EQ(applied.table, "flyway_schema_history");
  EXPECT_EQ(applied.versions, Strings{"3"});

  db->execute("INSERT INTO flyway_schema_history VALUES (6, '4', 'SQL', 0)");
  try {
    (void)read_applied(ImportTool::flyway, *db, history);
    ADD_FAILURE() << "a failed row was adopted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_STREQ(error.what(), "flyway_schema_history records version 4 as failed");
  }

  // goose: the latest row of a version decides; a hole (3 applied, 2 not) is refused.
  db->execute(
      "CREATE TABLE goose_db_version (id integer PRIMARY KEY, version_id int, is_applied "
      "boolean);"
      "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), "
      "(3, 1), (2, 0)");
  try {
    (void)read_applied(ImportTool::goose, *db, history);  // versions 1..4, as goose numbers them
    ADD_FAILURE() << "a hole was stamped over";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("says 3 is applied but not the earlier 2"),
              std::string::npos)
        << error.what();
  }
}

// The whole import, without a database: the files land in versions/ and load as revisions;
// one that would not run leaves nothing behind.
TEST_F(ImportTools, ImportWritesEveryFileOrNone) {
  write("V1__users.sql", "CREATE TABLE users (id int);\n");
  write("V2__posts.sql", "CREATE TABLE posts (id int);\n");
  write("U2__posts.sql", "DROP TABLE posts;\n");
  Config config;
  config.project_dir = root();
  config.script_location = root() / "migrations";
  ImportOptions options;
  options.from = ImportTool::flyway;
  options.dir = in();
  const ImportResult result = import_history(config, options);
  ASSERT_EQ(result.revisions.size(), 2U);
  EXPECT_EQ(result.directory, "migrations/versions");
  EXPECT_EQ(result.revisions[1].file, "migrations/versions/v2_posts.sql");
  std::ifstream file(root() / "migrations" / "versions" / "v2_posts.sql");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "-- retort:revision v2\n-- retort:revises v1\n-- retort:message posts\n"
            "-- imported from flyway: V2__posts.sql (version 2)\n\n"
            "-- retort:upgrade\nCREATE TABLE posts (id int);\n\n"
            "-- retort:downgrade\nDROP TABLE posts;\n");

  // A second import into the same directory is refused: it would mix two histories.
  try {
    (void)import_history(config, options);
    ADD_FAILURE() << "imported twice";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_NE(std::string(error.what()).find("holds revisions already"), std::string::npos);
  }

  // A file whose SQL does not parse: an input error naming it, and no file written.
  write("V3__broken.sql", "CREATE TABLE (;\n");
  config.script_location = root() / "other";
  try {
    (void)import_history(config, options);
    ADD_FAILURE() << "a broken file was imported";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_NE(error.explanation.find("V3__broken.sql"), std::string::npos) << error.explanation;
    EXPECT_EQ(error.database_state, "no file was written and no database was touched");
  }
  EXPECT_FALSE(fs::exists(root() / "other" / "versions"));
  EXPECT_TRUE(fs::is_empty(root() / "other"));
}

}  // namespace
}  // namespace retort::commands::importing
