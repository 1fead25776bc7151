// `retort diff`, `retort check --drift` and `retort schema dump --rev/--dir` through the binary:
// what they report, that the target database is only read, and that every throwaway database is
// dropped again, after success, failure, SIGINT and SIGTERM.
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* const k_users =
    "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz);\n"
    "CREATE VIEW active_users AS SELECT id, email FROM users;\n";
const char* const k_touch =
    "CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n"
    "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE "
    "FUNCTION touch_updated_at();\n";
const char* const k_sqlite_touch =
    "CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN UPDATE users SET updated_at = "
    "CURRENT_TIMESTAMP WHERE id = NEW.id; END;\n";

// The [retort.schema] lines: on PostgreSQL the harness's server makes the throwaway databases
// (the tests run as root in CI, where no private server can be started).
std::string schema_config(const Project& project, const std::string& more = "") {
  std::string out = "\n[retort.schema]\n";
  if (project.backend() == Backend::postgres) {
    out += "dev_url = \"" + PostgresServer::instance().url("postgres") + "\"\n";
  }
  return out + more;
}

void build(Project& project, const std::string& config_more = "") {
  const bool postgres = project.backend() == Backend::postgres;
  project.add({"a1", {}, k_users, "DROP VIEW active_users; DROP TABLE users;", {}, "users"});
  project.add({"b2",
               {"a1"},
               postgres ? k_touch : k_sqlite_touch,
               postgres ? "DROP TRIGGER users_touch ON users; DROP FUNCTION touch_updated_at();"
                        : "DROP TRIGGER users_touch;",
               {},
               "touch"});
  write_config(project, schema_config(project, config_more));
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
}

// Throwaway databases left on the harness's server.
std::vector<std::string> leftovers() {
  PostgresServer& server = PostgresServer::instance();
  const std::string rows = server.psql(
      server.url("postgres"),
      "SELECT datname FROM pg_database WHERE datname LIKE 'retort_scratch_%' ORDER BY 1");
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < rows.size()) {
    std::size_t end = rows.find('\n', start);
    if (end == std::string::npos) {
      end = rows.size();
    }
    if (end > start) {
      out.push_back(rows.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

// Files retort left in its TMPDIR (SQLite's throwaway files live there).
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    out.push_back(entry.path().filename().string());
  }
  return out;
}

class SchemaCompareTest : public ::testing::TestWithParam<Backend> {
 protected:
  [[nodiscard]] bool postgres() const { return GetParam() == Backend::postgres; }
};

TEST_P(SchemaCompareTest, NoDriftAfterUpgradeAndEveryHandMadeChangeIsNamed) {
  Project project(GetParam(), "drift");
  build(project);
  TempDir tmp;
  const std::map<std::string, std::string> env = {{"TMPDIR", tmp.path().string()}};

  const ProcessResult clean = retort(project, {"check", "--drift"}, env);
  ASSERT_EQ(clean.exit_code, 0) << shown(clean);
  EXPECT_TRUE(has(clean.out, "No drift: the database matches what the history at revision b2"));

  project.db().execute("ALTER TABLE users ADD COLUMN nickname text");
  project.db().execute("CREATE INDEX users_email ON users (email)");
  project.db().execute("DROP VIEW active_users");
  project.db().execute("CREATE VIEW active_users AS SELECT id FROM users");
  const ProcessResult drifted = retort(project, {"check", "--drift"}, env);
  EXPECT_EQ(drifted.exit_code, 1) << shown(drifted);
  EXPECT_TRUE(has(drifted.out, "Drift: "));
  EXPECT_TRUE(
      has(drifted.out, "+ column " + std::string(postgres() ? "public." : "") + "users.nickname"));
  EXPECT_TRUE(
      has(drifted.out, "+ index " + std::string(postgres() ? "public." : "") + "users_email"));
  EXPECT_TRUE(has(drifted.out, "~ view " + std::string(postgres() ? "public." : "") +
                                   "active_users: definition"));
  EXPECT_TRUE(lacks(drifted.out, "updated_at")) << "an unchanged column is not named";

  // Nothing of the throwaway databases is left, on the server or on disk.
  if (postgres()) {
    EXPECT_TRUE(leftovers().empty());
  }
  EXPECT_TRUE(files_in(tmp.path()).empty());
}

TEST_P(SchemaCompareTest, ARevisionDumpsAsTheDatabaseItBuiltAndDiffsEmptyAgainstIt) {
  Project project(GetParam(), "dump_rev");
  build(project);
  const ProcessResult live = retort(project, {"schema", "dump"});
  ASSERT_EQ(live.exit_code, 0) << shown(live);
  const ProcessResult built = retort(project, {"schema", "dump", "--rev", "head"});
  ASSERT_EQ(built.exit_code, 0) << shown(built);
  EXPECT_EQ(built.out, live.out);
  EXPECT_TRUE(has(built.err, "was built on a throwaway database, dropped again"));

  const ProcessResult older = retort(project, {"schema", "dump", "--rev", "a1"});
  ASSERT_EQ(older.exit_code, 0) << shown(older);
  EXPECT_TRUE(lacks(older.out, "users_touch"));
  EXPECT_TRUE(has(older.out, "active_users"));

  const ProcessResult same = retort(project, {"diff", "--to", "head"});
  ASSERT_EQ(same.exit_code, 0) << shown(same);
  EXPECT_TRUE(has(same.out, "No differences between database "));

  const ProcessResult back = retort(project, {"diff", "--from", "head", "--to", "a1"});
  ASSERT_EQ(back.exit_code, 0) << shown(back);
  EXPECT_TRUE(has(back.out, "- trigger "));
  EXPECT_TRUE(has(back.out, "From revision head (b2) to revision a1:"));
}

TEST_P(SchemaCompareTest, TheDeclaredSchemaSplitFromTheDatabaseLoadsInAnyFileOrder) {
  Project project(GetParam(), "declared");
  build(project);
  // --split writes tables/, views/, functions/, triggers/: their names sort out of load order
  // (functions/ before tables/), so loading them proves the retry of what names a later file.
  const ProcessResult split = retort(project, {"schema", "dump", "--split", "schema"});
  ASSERT_EQ(split.exit_code, 0) << shown(split);
  const ProcessResult equal = retort(project, {"diff"});
  ASSERT_EQ(equal.exit_code, 0) << shown(equal);
  EXPECT_TRUE(has(equal.out, "No differences between database "));
  EXPECT_TRUE(has(equal.out, "and declared schema schema/"));

  std::ofstream(project.dir() / "schema" / "tables" / "orders.sql")
      << "CREATE TABLE orders (id integer PRIMARY KEY, user_id bigint REFERENCES users (id));\n";
  const ProcessResult added = retort(project, {"diff", "--json"});
  ASSERT_EQ(added.exit_code, 0) << shown(added);
  EXPECT_TRUE(has(added.out,
                  "\"line\": \"+ table " + std::string(postgres() ? "public." : "") + "orders\""));
  EXPECT_TRUE(has(added.out, "\"equal\": false"));
}

TEST_P(SchemaCompareTest, ADeclaredSchemaThatDoesNotLoadNamesFileAndLineAndLeavesNothing) {
  Project project(GetParam(), "declared_bad");
  build(project);
  TempDir tmp;
  fs::create_directories(project.dir() / "schema");
  std::ofstream(project.dir() / "schema" / "01_tables.sql")
      << "CREATE TABLE a (id integer);\n\nCREATE INDEX a_id ON missing (id);\n";
  const ProcessResult bad = retort(project, {"diff"}, {{"TMPDIR", tmp.path().string()}});
  EXPECT_EQ(bad.exit_code, 1) << shown(bad);
  EXPECT_TRUE(has(bad.err, "01_tables.sql:3"));
  EXPECT_TRUE(has(bad.err, "names something none of its files creates"));
  EXPECT_TRUE(has(bad.err, "missing"));
  if (postgres()) {
    EXPECT_TRUE(leftovers().empty());
  }
  EXPECT_TRUE(files_in(tmp.path()).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SchemaCompareTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& param) { return std::string(backend_name(param.param)); });

TEST(SchemaComparePostgresTest, DevUrlThatIsTheTargetIsRefused) {
  Project project(Backend::postgres, "drift_self");
  build(project, "");
  write_config(project, "\n[retort.schema]\ndev_url = \"" + project.config().url + "\"\n");
  const ProcessResult refused = retort(project, {"check", "--drift"});
  EXPECT_EQ(refused.exit_code, 2) << shown(refused);
  EXPECT_TRUE(has(refused.err, "dev_url names the target database itself"));
  EXPECT_TRUE(leftovers().empty());
}

// A search_path on the URL decides where unqualified names land, on the target as on the
// throwaway database the history is rebuilt on: the same migrations build the same schema, and
// the catalog is read under an empty search_path, so nothing looks drifted.
TEST(SchemaComparePostgresTest, ASearchPathOnTheUrlIsNoDrift) {
  Project project(Backend::postgres, "drift_search_path");
  project.add({"a1",
               {},
               "CREATE SCHEMA app;\nCREATE TABLE things (id integer PRIMARY KEY);\n"
               "CREATE VIEW some_things AS SELECT id FROM things WHERE id > 1;",
               "DROP VIEW some_things; DROP TABLE things; DROP SCHEMA app;",
               {},
               "things"});
  write_config(project, schema_config(project),
               project.config().url + "?options=-csearch_path%3Dapp,public");
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM pg_tables WHERE schemaname = 'app' AND "
                               "tablename = 'things'"),
            std::vector<std::string>{"1"})
      << "the test needs the table where the search_path put it";
  const ProcessResult clean = retort(project, {"check", "--drift"});
  EXPECT_EQ(clean.exit_code, 0) << shown(clean);
  EXPECT_TRUE(has(clean.out, "No drift"));
}

// An event trigger is a kind retort cannot compare: the drift check cannot say the database is
// as its history builds it, so it fails naming it, until [retort.schema] ignore lists it.
TEST(SchemaComparePostgresTest, AKindRetortCannotCompareFailsTheDriftCheckUnlessIgnored) {
  Project project(Backend::postgres, "drift_unsupported");
  build(project);
  project.db().execute(
      "CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$");
  project.db().execute(
      "CREATE EVENT TRIGGER on_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl()");
  const ProcessResult failed = retort(project, {"check", "--drift"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.out, "! event trigger on_ddl: a kind retort does not compare"));
  EXPECT_TRUE(has(failed.out, "+ function public.note_ddl()"));

  write_config(project,
               schema_config(project, "ignore = [\"event trigger on_ddl\", \"public.note_*\"]\n"));
  const ProcessResult ignored = retort(project, {"check", "--drift"});
  EXPECT_EQ(ignored.exit_code, 0) << shown(ignored);
  EXPECT_TRUE(has(ignored.out, "No drift"));
}

// No dev_url: a private server of the target's major version, started for the command and
// removed after it. PostgreSQL refuses to run as root, so as root retort says what to set, and
// the rest of the test runs retort as the `postgres` OS user.
TEST(SchemaComparePostgresTest, WithoutDevUrlAPrivateServerIsStartedAndRemoved) {
  Project project(Backend::postgres, "drift_private");
  build(project);
  write_config(project, "");
  TempDir tmp;
  SpawnOptions options = in(project);
  options.env = {{"TMPDIR", tmp.path().string()}};
  if (::geteuid() == 0) {
    const ProcessResult refused = run_retort({"check", "--drift"}, options);
    EXPECT_EQ(refused.exit_code, 2) << shown(refused);
    EXPECT_TRUE(has(refused.err, "retort runs as root, which PostgreSQL refuses"));
    EXPECT_TRUE(has(refused.err, "set dev_url under [retort.schema]"));
    options.run_as_user = "postgres";
    for (const fs::path& dir : {project.dir(), tmp.path()}) {
      fs::permissions(dir, fs::perms::all, fs::perm_options::add);
      for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        fs::permissions(entry.path(), fs::perms::all, fs::perm_options::add);
      }
    }
  }
  const ProcessResult clean = run_retort({"check", "--drift"}, options);
  ASSERT_EQ(clean.exit_code, 0) << shown(clean);
  EXPECT_TRUE(has(clean.out, "No drift"));
  EXPECT_TRUE(has(clean.err, "on a private server, dropped again"));
  EXPECT_TRUE(files_in(tmp.path()).empty()) << "the private server's directory is removed";
}

// The drift check reads the target and nothing else: with log_statement = all on the target
// database alone, every statement the server logs is a read.
TEST(SchemaComparePostgresTest, TheDriftCheckSendsTheTargetOnlyReads) {
  Project project(Backend::postgres, "drift_reads");
  build(project);
  PostgresServer& server = PostgresServer::instance();
  const std::string database = project.query_rows("SELECT current_database()").at(0);
  server.psql(server.url("postgres"), "ALTER DATABASE " + database + " SET log_statement = 'all'");
  const std::size_t before = read_file(server.log_path()).size();
  const ProcessResult clean = retort(project, {"check", "--drift"});
  ASSERT_EQ(clean.exit_code, 0) << shown(clean);
  const std::string log = read_file(server.log_path()).substr(before);
  int statements = 0;
  std::size_t at = 0;
  while ((at = log.find("statement: ", at)) != std::string::npos) {
    at += std::string("statement: ").size();
    std::string statement = log.substr(at, log.find('\n', at) - at);
    ++statements;
    const bool read = statement.starts_with("SELECT") || statement.starts_with("BEGIN") ||
                      statement.starts_with("ROLLBACK") || statement.starts_with("SET ") ||
                      statement.starts_with("SHOW") || statement.starts_with("WITH") ||
                      statement.starts_with("COMMIT");
    EXPECT_TRUE(read) << "the target was sent: " << statement;
    EXPECT_TRUE(statement.find("INSERT") == std::string::npos &&
                statement.find("CREATE") == std::string::npos &&
                statement.find("UPDATE ") == std::string::npos)
        << statement;
  }
  EXPECT_GT(statements, 3) << "log_statement = all logged nothing: the test sees nothing\n" << log;
}

// A signal while the throwaway database is being built: the command stops, says so, and drops
// it.
class SchemaCompareSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(SchemaCompareSignalTest, ASignalDuringTheBuildDropsTheThrowawayDatabase) {
  Project project(Backend::postgres, "drift_signal");
  build(project);
  fs::create_directories(project.dir() / "schema");
  std::ofstream(project.dir() / "schema" / "slow.sql")
      << "CREATE TABLE slow (id integer);\nSELECT pg_sleep(60);\n";
  Process command({retort_binary().string(), "diff"}, in(project, 120s));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (leftovers().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(leftovers().empty()) << "the throwaway database never appeared";
  // The build reaches pg_sleep within moments of the database's creation.
  std::this_thread::sleep_for(500ms);
  ::kill(command.pid(), GetParam());
  const ProcessResult stopped = command.wait();
  EXPECT_EQ(stopped.exit_code, 1) << shown(stopped);
  EXPECT_TRUE(has(stopped.err, "cancelled"));
  EXPECT_TRUE(leftovers().empty());
}

INSTANTIATE_TEST_SUITE_P(Signals, SchemaCompareSignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& param) {
                           return std::string(param.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

}  // namespace
}  // namespace retort::test
