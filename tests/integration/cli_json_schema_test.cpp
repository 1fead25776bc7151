// Every command of the retort binary with --json, on a real SQLite file and (in the postgres
// build of this file) a real PostgreSQL 15: stdout is exactly one JSON document, and that
// document passes its command's schema in docs/reference/json/ (checked by
// python3-jsonschema through validate_json.py), the error document included: a usage error, an
// input error in a migration file, a failed migration, a lock another runner holds.
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "harness/postgres_server.hpp"
#include "harness/process.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/file.h>
#include <unistd.h>
#include <utility>
#include <vector>

#ifndef RETORT_SOURCE_DIR
#error "RETORT_SOURCE_DIR must name the source tree, where docs/reference/json/ is"
#endif
#ifndef RETORT_TEST_POSTGRES
#error "RETORT_TEST_POSTGRES must be 0 or 1"
#endif

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;
using Json = nlohmann::json;

constexpr Backend k_backend = RETORT_TEST_POSTGRES ? Backend::postgres : Backend::sqlite;
// The suite's name says the backend: both builds of this file register their tests in CTest.
#if RETORT_TEST_POSTGRES
#define RETORT_JSON_SUITE CliJsonSchemaPostgresTest
#else
#define RETORT_JSON_SUITE CliJsonSchemaSqliteTest
#endif

const fs::path k_schemas = fs::path(RETORT_SOURCE_DIR) / "docs" / "reference" / "json";
const fs::path k_validator =
    fs::path(RETORT_SOURCE_DIR) / "tests" / "integration" / "validate_json.py";

// Runs commands with --json, keeps each stdout in a file with the schema it must pass, and
// validates them all at the end with one python3 process.
class Outputs {
 public:
  explicit Outputs(const Project& project) : m_project(project) {}

  // `retort --json ARGS...` in dir (the project's unless given): checks the exit code and that
  // stdout is one JSON document, and files it under `schema`. Returns the document and the run.
  std::pair<Json, ProcessResult> run(const std::string& schema, Strings args, int expected_exit,
                                     const fs::path& dir = {}) {
    args.insert(args.begin(), "--json");
    SpawnOptions options = in(m_project);
    if (!dir.empty()) {
      options.cwd = dir;
    }
    options.stdin_text = "";
    ProcessResult result = run_retort(args, options);
    std::string command;
    for (const std::string& arg : args) {
      command += (command.empty() ? "" : " ") + arg;
    }
    EXPECT_EQ(result.exit_code, expected_exit) << "retort " << command << "\n" << shown(result);
    Json document = Json::object();
    try {
      document = Json::parse(result.out);
    } catch (const Json::exception& error) {
      ADD_FAILURE() << "retort " << command << ": stdout is not exactly one JSON document ("
                    << error.what() << ")\n"
                    << shown(result);
    }
    const fs::path file =
        m_dir.path() / (std::to_string(m_files.size() + 1) + "-" + schema + ".json");
    std::ofstream(file) << result.out;
    m_files.emplace_back(schema, file.string());
    m_commands.push_back("retort " + command);
    return {document, result};
  }

  Json json(const std::string& schema, const Strings& args, int expected_exit,
            const fs::path& dir = {}) {
    return run(schema, args, expected_exit, dir).first;
  }

  // Validates every document filed so far; every schema that no output was checked against is
  // a failure too, so that a new schema comes with its test.
  void validate_all() {
    Strings argv{"python3", k_validator.string(), k_schemas.string()};
    for (const auto& [schema, file] : m_files) {
      argv.push_back(schema);
      argv.push_back(file);
    }
    const ProcessResult checked = retort::test::run(argv);
    std::string commands;
    for (std::size_t idx = 0; idx < m_commands.size(); ++idx) {
      commands += "  " + m_files[idx].second + ": " + m_commands[idx] + "\n";
    }
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << "\nthe documents:\n"
                                    << commands;
  }

  [[nodiscard]] Strings schemas_used() const {
    Strings out;
    for (const auto& entry : m_files) {
      out.push_back(entry.first);
    }
    return out;
  }

 private:
  const Project& m_project;
  TempDir m_dir;
  std::vector<std::pair<std::string, std::string>> m_files;
  Strings m_commands;
};

// The name `retort restore --confirm` wants: the PostgreSQL database, or the SQLite file's stem.
std::string database_name(Project& project) {
  return project.backend() == Backend::postgres
             ? project.query_rows("SELECT current_database()").at(0)
             : fs::path(base::parse_database_url(project.config().url).value().sqlite_path)
                   .stem()
                   .string();
}

// a1 creates items; b2 drops a column (a backup is taken before it); c3, a branch from a1,
// creates audit outside a transaction.
void add_history(Project& project) {
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT);\n"
               "INSERT INTO items VALUES (1, 'one');",
               "DROP TABLE items;",
               {"estimate 2s"},
               "create items"});
  project.add({"b2",
               {"a1"},
               "ALTER TABLE items DROP COLUMN note;",
               "ALTER TABLE items ADD COLUMN note TEXT;",
               {"lint-ignore PG204 -- the backup before it keeps the notes"},
               "drop note"});
  project.add({"c3",
               {"a1"},
               "CREATE TABLE audit (id INTEGER);",
               "DROP TABLE audit;",
               {"transaction false", "branch_labels audit"},
               "create audit"});
}

TEST(RETORT_JSON_SUITE, EveryCommandPrintsOneDocumentThatPassesItsSchema) {
  Project project(k_backend, "json_schema");
  add_history(project);
  std::string settings = "[retort.postgres]\nlock_wait = \"1s\"\n";
#if RETORT_TEST_POSTGRES
  // Throwaway databases for diff and check --drift on the harness's server.
  settings += "[retort.schema]\ndev_url = \"" + PostgresServer::instance().url("postgres") + "\"\n";
#endif
  write_config(project, settings);
  Outputs outputs(project);

  // ---- retort itself, and the project ----
  const Json version = outputs.json("retort", {"--version"}, 0);
  EXPECT_EQ(version.at("version"), "0.1.0");
  EXPECT_NE(version.at("git_commit"), "") << version.dump();
  EXPECT_EQ(version.at("libraries").at("sqlite").get<std::string>().rfind("3.", 0), 0U)
      << version.dump();
  EXPECT_NE(
      outputs.json("retort", {"upgrade", "--help"}, 0).at("help").get<std::string>().find("--sql"),
      std::string::npos);
  const TempDir empty;
  const Json created = outputs.json("init", {"init", "migrations"}, 0, empty.path());
  EXPECT_GE(created.at("created").size(), 3U) << created.dump();
  EXPECT_TRUE(outputs.json("error", {"init", "migrations"}, 2, empty.path()).contains("error"));

  // ---- reading the files ----
  outputs.json("heads", {"heads"}, 0);
  outputs.json("branches", {"branches"}, 0);
  outputs.json("history", {"history"}, 0);
  outputs.json("show", {"show", "b2"}, 0);
  outputs.json("check", {"check"}, 1);
  outputs.json("lint", {"lint"}, 0);
  outputs.json("lint", {"lint", "--rules"}, 0);

  // ---- --sql: the script in the document, with its plan ----
  const Json offline = outputs.json("upgrade", {"upgrade", "--sql", "base:b2"}, 0);
  EXPECT_NE(offline.at("sql").get<std::string>().find("CREATE TABLE items"), std::string::npos)
      << offline.dump(2);
  ASSERT_EQ(offline.at("steps").size(), 2U) << offline.dump(2);
  EXPECT_EQ(offline["steps"][0].at("revision"), "a1");
  EXPECT_EQ(offline["steps"][0].at("status"), "planned");
  EXPECT_EQ(offline["steps"][0].at("statements_total"), 2);
  EXPECT_EQ(offline["steps"][1].at("revision"), "b2");
  EXPECT_EQ(offline.at("heads_after"), Json(Strings{"b2"}));
  EXPECT_EQ(project.tables(), Strings{}) << "--sql runs nothing";
  const Json offline_down = outputs.json("downgrade", {"downgrade", "--sql", "b2:base"}, 0);
  EXPECT_NE(offline_down.at("sql").get<std::string>().find("DROP TABLE items"), std::string::npos);
  const Json offline_stamp = outputs.json("stamp", {"stamp", "--sql", "a1"}, 0);
  EXPECT_NE(offline_stamp.at("sql").get<std::string>().find("a1"), std::string::npos);

  // ---- running ----
  outputs.json("preflight", {"preflight", "b2"}, 0);
  // Two runs: a backup protects the rows that were there before its run, and a1's row is
  // there before the second.
  const Json first = outputs.json("upgrade", {"upgrade", "a1"}, 0);
  ASSERT_EQ(first.at("steps").size(), 1U) << first.dump(2);
  EXPECT_EQ(first["steps"][0].at("backup"), nullptr) << "a1 drops nothing";
  const auto [up, up_run] = outputs.run("upgrade", {"upgrade", "b2"}, 0);
  ASSERT_EQ(up.at("steps").size(), 1U) << up.dump(2);
  const Strings ledger_backup =
      project.query_rows("SELECT backup FROM retort_log WHERE revision = 'b2'");
  ASSERT_EQ(ledger_backup.size(), 1U);
  EXPECT_EQ(up["steps"][0].at("backup"), ledger_backup.front())
      << "the step names the backup its ledger row keeps";
  EXPECT_TRUE(fs::exists(up["steps"][0].at("backup").get<std::string>()));
  const Json& notes = up.at("notes");
  EXPECT_NE(std::find_if(notes.begin(), notes.end(),
                         [](const Json& note) {
                           return note.get<std::string>().starts_with(
                               "backup before b2 (ALTER TABLE ... DROP COLUMN, line 7)");
                         }),
            notes.end())
      << "the run's notes are in the document: " << up.dump(2);
  EXPECT_TRUE(has(up_run.err, "backup before b2 (ALTER TABLE")) << "and on stderr, as it happens";

  const Json now = outputs.json("current", {"current"}, 0);
  EXPECT_EQ(now.at("pending"), Json(Strings{"c3"}));
  outputs.json("history", {"history", "--indicate-current"}, 0);
  outputs.json("upgrade", {"upgrade", "heads"}, 0);
  const Json merged = outputs.json("merge", {"merge", "heads", "-m", "join", "--rev-id", "d4"}, 0);
  EXPECT_EQ(merged.at("down_revisions"), Json(Strings{"b2", "c3"}));
  outputs.json("upgrade", {"upgrade", "head"}, 0);
  outputs.json("check-drift", {"check", "--drift"}, 0);
  const Json changes = outputs.json("diff", {"diff", "--from", "head", "--to", "a1"}, 0);
  EXPECT_FALSE(changes.at("equal").get<bool>()) << changes.dump(2);
  outputs.json("downgrade", {"downgrade", "c3"}, 0);
  outputs.json("stamp", {"stamp", "d4", "--reason", "joined by hand"}, 0);
  outputs.json("doctor", {"doctor"}, 0);
  outputs.json("check", {"check"}, 0);
  outputs.json("schema-dump", {"schema", "dump"}, 0);

  // ---- fleet: two SQLite files, tenants of the same history ----
  {
    const TempDir fleet;
    std::ofstream(fleet.path() / "retort.toml")
        << "[retort]\nscript_location = \"" << (project.dir() / "migrations").string()
        << "\"\nurl = \"sqlite:///" << (fleet.path() / "unused.db").string()
        << "\"\n[retort.fleet]\ntenants = [\"one=sqlite:///" << (fleet.path() / "one.db").string()
        << "\", \"two=sqlite:///" << (fleet.path() / "two.db").string() << "\"]\n";
    const Json behind = outputs.json("fleet", {"fleet", "check"}, 1, fleet.path());
    EXPECT_EQ(behind.at("counts").at("pending"), 2) << behind.dump(2);
    const Json moved = outputs.json("fleet", {"fleet", "upgrade", "head"}, 0, fleet.path());
    EXPECT_EQ(moved.at("counts").at("applied"), 2) << moved.dump(2);
    outputs.json("fleet", {"fleet", "current"}, 0, fleet.path());
  }

  // ---- backups and timings ----
  const Json backup = outputs.json("backup", {"backup"}, 0);
  const std::string file = backup.at("path").get<std::string>();
  const Json refused = outputs.json("error", {"restore", file}, 2);
  EXPECT_TRUE(has(refused.dump(), "--confirm")) << "stdin is no terminal to ask on";
  const Json wrong = outputs.json("error", {"restore", file, "--confirm", "not-it"}, 2);
  EXPECT_TRUE(wrong.contains("error")) << wrong.dump();
  outputs.json("restore", {"restore", file, "--confirm", database_name(project)}, 0);
  const auto [exported, export_run] = outputs.run("timings", {"timings", "export"}, 0);
  const fs::path timings_file = project.dir() / "timings.json";
  std::ofstream(timings_file) << export_run.out;
  EXPECT_EQ(outputs.json("timings", {"timings", "import", timings_file.string()}, 0)
                .at("imported")
                .get<int>(),
            static_cast<int>(exported.at("timings").size()));
  outputs.json("revision", {"revision", "-m", "next", "--rev-id", "e5"}, 0);

  // ---- errors: usage, a missing command, input, a failed migration, a busy lock ----
  outputs.json("error", {"upgrade", "--bogus"}, 2);
  outputs.json("error", {"upgrade", "--lock-timeout"}, 2);
  outputs.json("error", {}, 2);
  outputs.json("error", {"upgarde"}, 2);
  outputs.json("error", {"show", "zz9"}, 2);
  const TempDir nowhere;
  outputs.json("error", {"current"}, 2, nowhere.path());

  project.add({"f6",
               {"d4"},
               "CREATE TABLE f (id INTEGER);\nINSERT INTO missing VALUES (1);",
               "DROP TABLE f;",
               {},
               "broken"});
  const Json failed = outputs.json("error", {"upgrade", "f6"}, 1);
  EXPECT_EQ(failed["error"].at("file"), "migrations/versions/f6_change.sql") << failed.dump(2);
  if (project.backend() == Backend::postgres) {
    EXPECT_EQ(failed["error"].at("sqlstate"), "42P01") << failed.dump(2);
  }
  {
    std::ofstream(project.dir() / "migrations" / "versions" / "f6_change.sql", std::ios::app)
        << "-- retort:no_such_key 1\n";
  }
  const Json input = outputs.json("error", {"upgrade", "f6"}, 2);
  EXPECT_TRUE(has(input.dump(), "no_such_key")) << input.dump(2);
  fs::remove(project.dir() / "migrations" / "versions" / "f6_change.sql");

  project.add({"g7", {"d4"}, "CREATE TABLE g (id INTEGER);", "DROP TABLE g;", {}, "later"});
  std::unique_ptr<driver::Connection> holder;
  int lock_fd = -1;
  if (project.backend() == Backend::postgres) {
    holder = driver::connect(base::parse_database_url(project.config().url).value());
    holder->execute(
        "SELECT pg_advisory_lock(1919251570, hashtext(current_schema() || '.retort_version'))");
  } else {
    const std::string path =
        base::parse_database_url(project.config().url).value().sqlite_path + ".retort-lock";
    lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_EQ(::flock(lock_fd, LOCK_EX), 0);
  }
  EXPECT_EQ(outputs.json("error", {"upgrade", "g7"}, 3)["error"].at("exit_code"), 3);
  if (lock_fd >= 0) {
    ::close(lock_fd);
  }

  // ---- the declared schema: check and autogenerate, in a project of their own ----
  Project declared(k_backend, "json_declared");
  declared.add({"a1", {}, "CREATE TABLE a (id integer PRIMARY KEY);", "DROP TABLE a;", {}, "a"});
  write_config(declared, settings);
  fs::create_directories(declared.dir() / "schema");
  std::ofstream(declared.dir() / "schema" / "tables.sql")
      << "CREATE TABLE a (id integer PRIMARY KEY);\nCREATE TABLE b (id integer PRIMARY KEY);\n";
  const Json forgotten = outputs.json("check", {"check"}, 1, declared.dir());
  EXPECT_FALSE(forgotten.at("schema").at("equal").get<bool>()) << forgotten.dump(2);
  const Json generated = outputs.json("revision-autogenerate",
                                      {"revision", "--autogenerate", "-m", "b"}, 0, declared.dir());
  EXPECT_EQ(generated.at("written").size(), 1U) << generated.dump(2);
  // ---- pictures: the graph as a string of the document, the report's counts ----
  const Json drawn = outputs.json("graph", {"graph", "--format", "dot"}, 0, declared.dir());
  EXPECT_TRUE(has(drawn.at("graph").get<std::string>(), "digraph")) << drawn.dump(2);
  const Json reported = outputs.json(
      "report", {"report", "--html", (declared.dir() / "report.html").string()}, 0, declared.dir());
  EXPECT_EQ(reported.at("failures"), 0) << reported.dump(2);

  // ---- squash: the history (a1 and the generated revision) becomes one revision ----
  const Json squashed =
      outputs.json("squash", {"squash", "--to", "head", "--rev-id", "s1"}, 0, declared.dir());
  EXPECT_EQ(squashed.at("replaced").size(), 2U) << squashed.dump(2);
  const Json retire =
      outputs.json("squash-retire", {"squash", "--retire", "s1"}, 0, declared.dir());
  EXPECT_FALSE(retire.at("deleted").get<bool>()) << retire.dump(2);

  // ---- import: a goose history into a script directory of its own ----
  fs::create_directories(declared.dir() / "goose");
  std::ofstream(declared.dir() / "goose" / "00001_t.sql")
      << "-- +goose Up\nCREATE TABLE t (id integer);\n-- +goose Down\nDROP TABLE t;\n";
  const Json imported = outputs.json(
      "import", {"import", "--from", "goose", "goose", "--to", "imported"}, 0, declared.dir());
  EXPECT_EQ(imported.at("revisions").size(), 1U) << imported.dump(2);

  outputs.validate_all();

  // Every schema file is some output's contract in this test.
  Strings used = outputs.schemas_used();
  for (const fs::directory_entry& entry : fs::directory_iterator(k_schemas)) {
    const std::string name = entry.path().filename().string();
    const std::string schema = name.substr(0, name.find(".schema.json"));
    if (schema == "common") {
      continue;
    }
    EXPECT_NE(std::find(used.begin(), used.end(), schema), used.end())
        << name << " is checked against no command's output";
  }
}

#if !RETORT_TEST_POSTGRES
// The schemas are strict: a document with a field renamed, a field added, or a word outside a
// fixed vocabulary fails, so a change of the output that the schema does not follow is caught.
TEST(CliJsonSchemaTest, TheSchemasRejectARenamedFieldAnUnknownFieldAndAWordOutsideTheirEnum) {
  const TempDir dir;
  const auto write = [&dir](const std::string& name, const Json& document) {
    const fs::path file = dir.path() / name;
    std::ofstream(file) << document.dump();
    return file.string();
  };
  const Json error{{"error",
                    {{"exit_code", 2},
                     {"message", "m"},
                     {"explanation", ""},
                     {"database_state", ""},
                     {"next_command", ""}}}};
  const auto validate = [](const std::string& schema, const std::string& file) {
    return run({"python3", k_validator.string(), k_schemas.string(), schema, file});
  };
  const ProcessResult good = validate("error", write("good.json", error));
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;

  Json renamed = error;
  renamed["error"].erase("next_command");
  renamed["error"]["next"] = "";
  const ProcessResult bad_name = validate("error", write("renamed.json", renamed));
  EXPECT_EQ(bad_name.exit_code, 1) << bad_name.out << bad_name.err;
  EXPECT_TRUE(has(bad_name.out, "'next_command' is a required property"));

  Json exit_code = error;
  exit_code["error"]["exit_code"] = 0;
  const ProcessResult bad_code = validate("error", write("exit.json", exit_code));
  EXPECT_EQ(bad_code.exit_code, 1) << bad_code.out << bad_code.err;

  const Json step{{"revision", "a1"},        {"message", ""},
                  {"direction", "sideways"}, {"status", "ok"},
                  {"statements_done", 1},    {"statements_total", 1},
                  {"duration_ms", 3},        {"heads_after", Strings{"a1"}},
                  {"backup", nullptr}};
  const Json run_document{{"database", "sqlite:///app.db"},
                          {"target", "head"},
                          {"heads_before", Strings{}},
                          {"heads_after", Strings{"a1"}},
                          {"steps", Json::array({step})},
                          {"duration_ms", 3},
                          {"notes", Strings{}}};
  const ProcessResult bad_enum = validate("upgrade", write("direction.json", run_document));
  EXPECT_EQ(bad_enum.exit_code, 1) << bad_enum.out << bad_enum.err;
  EXPECT_TRUE(has(bad_enum.out, "'sideways' is not one of")) << bad_enum.out;
}

#endif

}  // namespace
}  // namespace retort::test
