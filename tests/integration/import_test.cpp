// `retort import` on real PostgreSQL databases: each tool's documented layout and version table
// (Flyway, golang-migrate, dbmate, goose, Diesel and Sqitch written as their documentation
// describes them; Alembic 1.8 run for real), imported through the binary, the database
// adopted with a stamp whose ledger row names the tool's table, that table left as it was, and
// the rest of the history then run by retort.
#include "harness/postgres_server.hpp"
#include "harness/process.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

void write(const Project& project, const std::string& relative, const std::string& text) {
  fs::create_directories((project.dir() / relative).parent_path());
  std::ofstream(project.dir() / relative) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The stamp rows the adoption wrote: "revision|reason".
Strings stamps(Project& project) {
  return project.query_rows(
      "SELECT revision, reason FROM retort_log WHERE direction = 'stamp' ORDER BY id");
}

// `retort import ... --url URL` in the project, whose retort.toml names the same database.
ProcessResult import_adopting(Project& project, const Strings& args) {
  write_config(project);
  Strings argv{"import"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--url", project.config().url});
  return retort(project, argv);
}

TEST(Import, FlywayIsImportedAdoptedFromItsHistoryTableAndRunOn) {
  Project project(Backend::postgres, "import_flyway");
  write(project, "flyway/V1__create_users.sql", "CREATE TABLE users (id int PRIMARY KEY);\n");
  write(project, "flyway/V1.1__add_email.sql", "ALTER TABLE users ADD COLUMN email text;\n");
  write(project, "flyway/U1.1__add_email.sql", "ALTER TABLE users DROP COLUMN email;\n");
  write(project, "flyway/V2__index_email.sql",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\n");
  write(project, "flyway/V2__index_email.sql.conf", "executeInTransaction=false\n");
  write(project, "flyway/U2__index_email.sql", "DROP INDEX CONCURRENTLY users_email;\n");
  // What Flyway 9 leaves after `flyway migrate -target=1.1`.
  project.db().execute(
      "CREATE TABLE users (id int PRIMARY KEY); ALTER TABLE users ADD COLUMN email text;"
      "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version "
      "varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script "
      "varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL, installed_on "
      "timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL);"
      "INSERT INTO flyway_schema_history VALUES "
      "(1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1, 'app', now(), 5, true),"
      "(2, '1.1', 'add email', 'SQL', 'V1.1__add_email.sql', 2, 'app', now(), 5, true)");

  const ProcessResult imported = import_adopting(project, {"--from", "flyway", "flyway"});
  ASSERT_EQ(imported.exit_code, 0) << shown(imported);
  EXPECT_TRUE(has(imported.out, "Imported 3 revisions from flyway into migrations/versions"));
  EXPECT_TRUE(has(imported.out, "Stamped the database at v1_1 from flyway_schema_history"));
  EXPECT_EQ(project.version_rows(), Strings{"v1_1"});
  EXPECT_EQ(stamps(project),
            Strings{"v1_1|imported from flyway: flyway_schema_history says version 1.1 is "
                    "applied"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM flyway_schema_history"), Strings{"2"})
      << "Flyway's table is left as it was";
  const std::string index = read(project.dir() / "migrations/versions/v2_index_email.sql");
  EXPECT_TRUE(has(index, "-- retort:transaction false\n"));
  EXPECT_TRUE(has(index, "-- imported from flyway: V2__index_email.sql (version 2)\n"));

  // retort runs the rest: V2, statement by statement, outside a transaction.
  const ProcessResult upgraded = retort(project, {"upgrade"});
  ASSERT_EQ(upgraded.exit_code, 0) << shown(upgraded);
  EXPECT_EQ(project.version_rows(), Strings{"v2"});
  EXPECT_EQ(project.query_rows("SELECT indexname FROM pg_indexes WHERE indexname = "
                               "'users_email'"),
            Strings{"users_email"});
  // And Flyway's undo files are retort's downgrades.
  const ProcessResult down = retort(project, {"downgrade", "v1"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM information_schema.columns WHERE "
                               "table_name = 'users' AND column_name = 'email'"),
            Strings{"0"});
}

// --verify: the imported files built by retort on one throwaway database, the tool's SQL on
// another, equal by pg_dump --schema-only before anything is written.
TEST(Import, VerifyBuildsBothHistoriesBeforeWriting) {
  Project project(Backend::postgres, "import_verify");
  write(project, "goose/00001_users.sql",
        "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY, email text);\n"
        "-- +goose Down\nDROP TABLE users;\n");
  write(project, "goose/00002_index.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\n"
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\n");
  write_config(project, "[retort.schema]\ndev_url = \"" +
                            PostgresServer::instance().url("postgres") + "\"\n");
  const ProcessResult verified =
      retort(project, {"import", "--from", "goose", "goose", "--verify"});
  ASSERT_EQ(verified.exit_code, 0) << shown(verified);
  EXPECT_TRUE(has(verified.out,
                  "Verified by pg_dump --schema-only (3 statements): the imported "
                  "history builds the same schema as goose's migrations run in "
                  "goose's order."));
  EXPECT_TRUE(fs::exists(project.dir() / "migrations" / "versions" / "v2_index.sql"));
  EXPECT_TRUE(project.tables().empty()) << "only throwaway databases were used";
}

TEST(Import, AFileTheImporterDoesNotUnderstandIsNamedAndNothingIsWritten) {
  Project project(Backend::postgres, "import_refused");
  write(project, "flyway/V1__create_users.sql", "CREATE TABLE users (id int);\n");
  write(project, "flyway/R__refresh_views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;\n");
  const ProcessResult refused = import_adopting(project, {"--from", "flyway", "flyway"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err, "R__refresh_views.sql: a Flyway repeatable migration"));
  EXPECT_TRUE(has(refused.err, "no file was written and no database was touched"));
  EXPECT_FALSE(fs::exists(project.dir() / "migrations" / "versions" / "v1_create_users.sql"));
  EXPECT_TRUE(project.query_rows("SELECT to_regclass('retort_log')") == Strings{"NULL"});

  // A statement PostgreSQL cannot parse: named by the original file, nothing written.
  fs::remove(project.dir() / "flyway" / "R__refresh_views.sql");
  write(project, "flyway/V2__broken.sql", "CREATE TABLE (;\n");
  const ProcessResult broken = import_adopting(project, {"--from", "flyway", "flyway"});
  EXPECT_EQ(broken.exit_code, 2) << shown(broken);
  EXPECT_TRUE(has(broken.err, "from V2__broken.sql"));
  EXPECT_FALSE(fs::exists(project.dir() / "migrations" / "versions" / "v1_create_users.sql"));
}

TEST(Import, GolangMigrateIsStampedAtItsVersionAndADirtyDatabaseIsNot) {
  Project project(Backend::postgres, "import_golang_migrate");
  write(project, "db/000001_create_users.up.sql",
        "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n");
  write(project, "db/000001_create_users.down.sql", "DROP TABLE users;\n");
  write(project, "db/000002_create_posts.up.sql", "CREATE TABLE posts (id int);\n");
  write(project, "db/000002_create_posts.down.sql", "DROP TABLE posts;\n");
  project.db().execute(
      "CREATE TABLE users (id int); CREATE TABLE posts (id int);"
      "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT "
      "NULL); INSERT INTO schema_migrations VALUES (2, true)");
  const ProcessResult dirty = import_adopting(project, {"--from", "golang-migrate", "db"});
  EXPECT_EQ(dirty.exit_code, 2) << shown(dirty);
  EXPECT_TRUE(has(dirty.err, "schema_migrations is dirty at version 2"));
  EXPECT_TRUE(has(dirty.err, "the database was not stamped"));
  EXPECT_TRUE(project.query_rows("SELECT to_regclass('retort_version')") == Strings{"NULL"});

  fs::remove_all(project.dir() / "migrations" / "versions");
  project.db().execute("UPDATE schema_migrations SET dirty = false");
  const ProcessResult clean = import_adopting(project, {"--from", "golang-migrate", "db"});
  ASSERT_EQ(clean.exit_code, 0) << shown(clean);
  EXPECT_EQ(project.version_rows(), Strings{"v2"});
  EXPECT_EQ(project.query_rows("SELECT version, dirty FROM schema_migrations"), Strings{"2|f"});
  const ProcessResult down = retort(project, {"downgrade", "base"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_EQ(project.tables(), Strings{"schema_migrations"});
}

TEST(Import, GooseFollowsItsUpAndDownRowsAndRunsNoTransactionFilesAlone) {
  Project project(Backend::postgres, "import_goose");
  write(project, "goose/00001_users.sql",
        "-- +goose Up\nCREATE TABLE users (id int, email text);\n"
        "-- +goose StatementBegin\nCREATE FUNCTION one() RETURNS int AS $$\nBEGIN\n  RETURN 1;\n"
        "END;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n\n"
        "-- +goose Down\nDROP FUNCTION one();\nDROP TABLE users;\n");
  write(project, "goose/00002_posts.sql",
        "-- +goose Up\nCREATE TABLE posts (id int);\n-- +goose Down\nDROP TABLE posts;\n");
  write(project, "goose/00003_index.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\n"
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\n"
        "-- +goose Down\nDROP INDEX CONCURRENTLY users_email;\n");
  // goose up, goose up, goose down: version 2 was applied and rolled back.
  project.db().execute(
      "CREATE TABLE users (id int, email text);"
      "CREATE FUNCTION one() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;"
      "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, "
      "is_applied boolean NOT NULL, tstamp timestamp DEFAULT now());"
      "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), "
      "(2, true), (2, false)");
  const ProcessResult imported = import_adopting(project, {"--from", "goose", "goose"});
  ASSERT_EQ(imported.exit_code, 0) << shown(imported);
  EXPECT_EQ(project.version_rows(), Strings{"v1"});
  EXPECT_TRUE(has(imported.out, "v3               00003_index.sql, transaction false"));
  const ProcessResult upgraded = retort(project, {"upgrade"});
  ASSERT_EQ(upgraded.exit_code, 0) << shown(upgraded);
  EXPECT_EQ(project.version_rows(), Strings{"v3"});
  EXPECT_EQ(project.tables(), (Strings{"goose_db_version", "posts", "users"}));
  EXPECT_EQ(project.query_rows("SELECT one()"), Strings{"1"});
}

// dbmate, Diesel and Sqitch keep one row per applied migration; each is adopted at the last.
TEST(Import, DbmateDieselAndSqitchAreAdoptedAtTheirLastAppliedMigration) {
  struct Case {
    std::string tool;
    std::vector<std::pair<std::string, std::string>> files;
    std::string table;  // what the tool leaves after applying the first migration
    std::string stamped;
  };
  const std::vector<Case> cases{
      {"dbmate",
       {{"db/migrations/20230101000000_users.sql",
         "-- migrate:up\nCREATE TABLE users (id int);\n\n-- migrate:down\nDROP TABLE users;\n"},
        {"db/migrations/20230102000000_index.sql",
         "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n\n"
         "-- migrate:down\nDROP INDEX users_id;\n"}},
       "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
       "INSERT INTO schema_migrations VALUES ('20230101000000')",
       "v20230101000000"},
      {"diesel",
       {{"db/migrations/2023-01-01-000000_create_users/up.sql", "CREATE TABLE users (id int);\n"},
        {"db/migrations/2023-01-01-000000_create_users/down.sql", "DROP TABLE users;\n"},
        {"db/migrations/2023-01-02-000000_index/up.sql",
         "CREATE INDEX CONCURRENTLY users_id ON users (id);\n"},
        {"db/migrations/2023-01-02-000000_index/down.sql", "DROP INDEX users_id;\n"},
        {"db/migrations/2023-01-02-000000_index/metadata.toml", "run_in_transaction = false\n"}},
       "CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on "
       "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);"
       "INSERT INTO __diesel_schema_migrations (version) VALUES ('20230101000000')",
       "v20230101000000"},
      {"sqitch",
       {{"db/sqitch.plan",
         "%syntax-version=1.0.0\n%project=app\n\n"
         "users 2023-01-01T00:00:00Z Ann <ann@example.com> # users table\n"
         "users_index [users] 2023-01-02T00:00:00Z Ann <ann@example.com> # index\n"},
        {"db/deploy/users.sql", "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n"},
        {"db/revert/users.sql", "BEGIN;\nDROP TABLE users;\nCOMMIT;\n"},
        {"db/deploy/users_index.sql", "CREATE INDEX users_id ON users (id);\n"},
        {"db/revert/users_index.sql", "DROP INDEX users_id;\n"}},
       "CREATE SCHEMA sqitch; CREATE TABLE sqitch.changes (change_id text PRIMARY KEY, change "
       "text NOT NULL, project text NOT NULL, committed_at timestamptz NOT NULL DEFAULT now());"
       "INSERT INTO sqitch.changes (change_id, change, project) VALUES ('a1', 'users', 'app')",
       "users"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tool);
    Project project(Backend::postgres, "import_" + c.tool);
    for (const auto& [file, text] : c.files) {
      write(project, file, text);
    }
    project.db().execute("CREATE TABLE users (id int);" + c.table);
    const std::string dir = c.tool == "sqitch" ? "db" : "db/migrations";
    const ProcessResult imported = import_adopting(project, {"--from", c.tool, dir});
    ASSERT_EQ(imported.exit_code, 0) << shown(imported);
    EXPECT_EQ(project.version_rows(), Strings{c.stamped});
    const Strings stamped = stamps(project);
    ASSERT_EQ(stamped.size(), 1U);
    EXPECT_TRUE(has(stamped[0], "imported from " + c.tool));
    const ProcessResult upgraded = retort(project, {"upgrade"});
    ASSERT_EQ(upgraded.exit_code, 0) << shown(upgraded);
    EXPECT_EQ(project.query_rows("SELECT indexname FROM pg_indexes WHERE tablename = 'users'"),
              Strings{"users_id"});
    if (c.tool == "sqitch") {
      EXPECT_TRUE(has(read(project.dir() / "migrations/versions/users_index_index.sql"),
                      "-- retort:depends_on users\n"));
    }
  }
}

}  // namespace
}  // namespace retort::test
