// `retort lint` through the binary against a real PostgreSQL 15: findings with file:line:column,
// the outputs (text, --json, github, sarif), lint-ignore with its reason in the output and the
// ledger, --pending with the context of the run (a table an earlier pending step creates is
// new), the server version read from the database, and lint before `upgrade` and in `check`:
// a refused run changes nothing. A SQLite project lints nothing and says so. A revision's
// statements are judged on the schema the revisions before it build on a throwaway database,
// or on the database's own, whose rows weigh a rewrite or a scan (an empty table's is a note),
// as preflight's and upgrade's lint judge them.
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace retort::test {
namespace {

using Json = nlohmann::json;

const MigrationSpec k_accounts{"a1",
                               {},
                               "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
                               "DROP TABLE accounts;",
                               {},
                               "accounts"};
const MigrationSpec k_email_index{"b2",
                                  {"a1"},
                                  "CREATE INDEX accounts_email_idx ON accounts (email);",
                                  "DROP INDEX accounts_email_idx;",
                                  {},
                                  "email index"};

Json json_of(const ProcessResult& result) {
  try {
    return Json::parse(result.out);
  } catch (const Json::exception& error) {
    ADD_FAILURE() << "not one JSON document: " << error.what() << "\n" << shown(result);
    return Json::object();
  }
}

TEST(LintCli, ReportsAFindingWithItsPlaceWhyAndFix) {
  Project project(Backend::postgres, "lint_text");
  project.add(k_accounts);
  const std::string file = project.add(k_email_index);
  write_config(project);

  const ProcessResult result = retort(project, {"lint"});
  EXPECT_EQ(result.exit_code, 1) << shown(result);
  // The header takes four lines (revision, revises, message, blank) before the upgrade marker.
  EXPECT_TRUE(has(result.out, file + ":")) << shown(result);
  EXPECT_TRUE(has(result.out, ": error PG101 create-index-blocks-writes\n"));
  EXPECT_TRUE(has(result.out, "    CREATE INDEX accounts_email_idx ON accounts (email)\n"));
  EXPECT_TRUE(has(result.out, "why: CREATE INDEX takes a SHARE lock on accounts"));
  EXPECT_TRUE(has(result.out, "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"));
  EXPECT_TRUE(has(result.out, "accept it: -- retort:lint-ignore PG101 -- "));
  EXPECT_TRUE(has(result.out, "Linted 2 statements in 2 migrations (PostgreSQL 14, assumed"));
  EXPECT_TRUE(has(result.out, "1 error, 0 warnings"));
  // Linting reads files only: the database is not touched.
  EXPECT_TRUE(project.tables().empty());
}

TEST(LintCli, JsonGithubAndSarifCarryTheSameFinding) {
  Project project(Backend::postgres, "lint_formats");
  project.add(k_accounts);
  const std::string file = project.add(k_email_index);
  write_config(project);

  const ProcessResult json = retort(project, {"lint", "--json"});
  EXPECT_EQ(json.exit_code, 1) << shown(json);
  const Json doc = json_of(json);
  ASSERT_EQ(doc.value("findings", Json::array()).size(), 1U) << json.out;
  const Json& finding = doc["findings"][0];
  EXPECT_EQ(finding.value("code", ""), "PG101");
  EXPECT_EQ(finding.value("file", ""), file);
  EXPECT_EQ(finding.value("revision", ""), "b2");
  EXPECT_GT(finding.value("line", 0), 0);
  EXPECT_EQ(finding.value("column", 0), 36);  // `accounts`, the table that is locked
  EXPECT_EQ(doc.value("ok", true), false);
  EXPECT_EQ(doc.value("errors", 0), 1);

  const ProcessResult github = retort(project, {"lint", "--format", "github"});
  EXPECT_EQ(github.exit_code, 1) << shown(github);
  EXPECT_TRUE(has(github.out, "::error file=" + file +
                                  ",line=" + std::to_string(finding.value("line", 0)) +
                                  ",col=36,title=PG101 create-index-blocks-writes::"));
  EXPECT_TRUE(has(github.out, "%0Afix: "));  // one line per finding: newlines escaped

  const ProcessResult sarif = retort(project, {"lint", "--format", "sarif"});
  EXPECT_EQ(sarif.exit_code, 1) << shown(sarif);
  const Json log = json_of(sarif);
  EXPECT_EQ(log.value("version", ""), "2.1.0");
  const Json& run = log["runs"][0];
  EXPECT_EQ(run["tool"]["driver"].value("name", ""), "retort");
  EXPECT_GE(run["tool"]["driver"]["rules"].size(), 20U);
  ASSERT_EQ(run["results"].size(), 1U) << sarif.out;
  EXPECT_EQ(run["results"][0].value("ruleId", ""), "PG101");
  EXPECT_EQ(
      run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"].value("uri", ""),
      file);
}

TEST(LintCli, ABriefLockIsANoteThatFailsNothing) {
  // PG113: SET DEFAULT takes ACCESS EXCLUSIVE on a live table for a catalog change only, under
  // retort's lock_timeout: a note in every output, and exit 0.
  Project project(Backend::postgres, "lint_note");
  project.add(k_accounts);
  const std::string file = project.add({"c3",
                                        {"a1"},
                                        "ALTER TABLE accounts ALTER COLUMN email SET DEFAULT '';",
                                        "ALTER TABLE accounts ALTER COLUMN email DROP DEFAULT;",
                                        {},
                                        "email default"});
  write_config(project);

  const ProcessResult json = retort(project, {"lint", "--json"});
  EXPECT_EQ(json.exit_code, 0) << shown(json);
  const Json doc = json_of(json);
  ASSERT_EQ(doc.value("findings", Json::array()).size(), 1U) << json.out;
  EXPECT_EQ(doc["findings"][0].value("code", ""), "PG113");
  EXPECT_EQ(doc["findings"][0].value("level", ""), "note");
  EXPECT_EQ(doc.value("notes", 0), 1);
  EXPECT_EQ(doc.value("warnings", -1), 0);
  EXPECT_EQ(doc.value("ok", false), true);

  const ProcessResult text = retort(project, {"lint"});
  EXPECT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out, "note PG113 strong-lock")) << text.out;
  EXPECT_TRUE(has(text.out, "0 errors, 0 warnings, 1 note")) << text.out;

  const ProcessResult github = retort(project, {"lint", "--format", "github"});
  EXPECT_EQ(github.exit_code, 0) << shown(github);
  EXPECT_TRUE(has(github.out, "::notice file=" + file + ",")) << github.out;
}

TEST(LintCli, AnnotationsNameTheFileFromTheWorkingDirectory) {
  // CI runs at the repository's root; retort.toml may sit in a subdirectory.
  Project project(Backend::postgres, "lint_paths");
  project.add(k_accounts);
  const std::string file = project.add(k_email_index);
  write_config(project);
  SpawnOptions options = in(project);
  options.cwd = project.dir().parent_path();
  const std::string config = (project.dir() / "retort.toml").string();
  const std::string from_root = project.dir().filename().string() + "/" + file;
  const ProcessResult github = run_retort({"-c", config, "lint", "--format", "github"}, options);
  EXPECT_EQ(github.exit_code, 1) << shown(github);
  EXPECT_TRUE(has(github.out, "::error file=" + from_root + ","));
  const ProcessResult text = run_retort({"-c", config, "lint"}, options);
  EXPECT_TRUE(has(text.out, file + ":"));
  EXPECT_TRUE(lacks(text.out, from_root)) << "text keeps the project's own paths";
}

TEST(LintCli, LintIgnoreAcceptsAFindingAndTheLedgerKeepsTheReason) {
  Project project(Backend::postgres, "lint_ignore");
  project.add(k_accounts);
  MigrationSpec index = k_email_index;
  index.extra_headers = {"lint-ignore PG101 -- accounts has 200 rows until the launch"};
  project.add(index);
  write_config(project);

  const ProcessResult lint = retort(project, {"lint"});
  EXPECT_EQ(lint.exit_code, 0) << shown(lint);
  EXPECT_TRUE(has(lint.out,
                  ": accepted PG101 create-index-blocks-writes: accounts has 200 rows "
                  "until the launch\n"));
  EXPECT_TRUE(has(lint.out, "0 errors, 0 warnings, 1 accepted by lint-ignore"));

  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(
      project.query_rows("SELECT revision || ' ' || coalesce(lint_ignores, 'NULL') FROM "
                         "retort_log ORDER BY id"),
      (std::vector<std::string>{"a1 NULL", "b2 PG101: accounts has 200 rows until the launch"}));
}

TEST(LintCli, AnUnknownCodeInLintIgnoreIsAnInputErrorWithTheNearestCode) {
  Project project(Backend::postgres, "lint_unknown");
  MigrationSpec spec = k_accounts;
  spec.extra_headers = {"lint-ignore PG1O1 -- typo"};
  const std::string file = project.add(spec);
  write_config(project);
  const ProcessResult result = retort(project, {"lint"});
  EXPECT_EQ(result.exit_code, 2) << shown(result);
  EXPECT_TRUE(has(result.err, file + ":3: `-- retort:lint-ignore` names PG1O1, which is no lint "
                                     "rule"));
  EXPECT_TRUE(has(result.err, "did you mean PG101?"));
}

TEST(LintCli, PendingKnowsWhatTheRunCreatesAndTheServersVersion) {
  Project project(Backend::postgres, "lint_pending");
  project.add(k_accounts);
  project.add(k_email_index);
  write_config(project);

  // Both pending: accounts is created by the run, so its index is built on an empty table.
  const ProcessResult fresh = retort(project, {"lint", "--pending", "--json"});
  EXPECT_EQ(fresh.exit_code, 0) << shown(fresh);
  const Json doc = json_of(fresh);
  EXPECT_TRUE(doc.value("findings", Json::array()).empty()) << fresh.out;
  EXPECT_EQ(doc.value("server_version", 0), 15);
  EXPECT_EQ(doc.value("server_version_source", ""), "database");
  EXPECT_EQ(doc.value("revisions", Json::array()), Json::array({"a1", "b2"}));

  // accounts exists (and may be large) once a1 has run: the index would block its writes.
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult later = retort(project, {"lint", "--pending"});
  EXPECT_EQ(later.exit_code, 1) << shown(later);
  EXPECT_TRUE(has(later.out, "error PG101 create-index-blocks-writes"));
  EXPECT_TRUE(has(later.out, "in 1 migration (PostgreSQL 15, the database's version)"));
}

TEST(LintCli, UpgradeWarnsByDefaultAndRefusesWithOnUpgradeError) {
  Project project(Backend::postgres, "lint_upgrade");
  project.add(k_accounts);
  project.add(k_email_index);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  // accounts holds a row: the index would block its writes for as long as the build takes.
  project.db().execute("INSERT INTO accounts VALUES (1, 'ada@example.com')");
  const std::string before = project.schema();

  write_config(project, "[retort.lint]\non_upgrade = \"error\"\n");
  const ProcessResult refused = retort(project, {"upgrade", "head"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err, "lint found 1 error-level finding in the steps to run"));
  EXPECT_TRUE(has(refused.err, "PG101 create-index-blocks-writes"));
  EXPECT_TRUE(has(refused.err, "nothing was run"));
  EXPECT_EQ(project.version_rows(), std::vector<std::string>{"a1"});
  EXPECT_EQ(project.schema(), before);

  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 1) << shown(check);
  EXPECT_TRUE(has(check.out + check.err, "lint: "));
  EXPECT_TRUE(has(check.out + check.err, "PG101 create-index-blocks-writes"));

  write_config(project);  // on_upgrade = "warn", the default
  const ProcessResult warned = retort(project, {"upgrade", "head"});
  EXPECT_EQ(warned.exit_code, 0) << shown(warned);
  EXPECT_TRUE(has(warned.err, "error PG101 create-index-blocks-writes"));
  EXPECT_TRUE(has(warned.err, "retort lint --pending shows why"));
  EXPECT_EQ(project.version_rows(), std::vector<std::string>{"b2"});
}

// Upgrade's own lint judges the steps on the database's schema, as `lint --pending --schema
// database` does: an index on a table the database shows empty is a note, which refuses nothing
// even with on_upgrade = "error"; check agrees.
TEST(LintCli, UpgradeJudgesTheStepsOnTheDatabasesSchemaAndRows) {
  Project project(Backend::postgres, "lint_upgrade_rows");
  project.add(k_accounts);
  project.add(k_email_index);
  write_config(project, "[retort.lint]\non_upgrade = \"error\"\n");
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  const ProcessResult pending = retort(project, {"lint", "--pending", "--schema", "database"});
  EXPECT_EQ(pending.exit_code, 0) << shown(pending);
  EXPECT_TRUE(has(pending.out, "note PG101 create-index-blocks-writes")) << pending.out;
  EXPECT_TRUE(
      has(pending.out,
          "weighed by: the database has no row in public.accounts: SELECT EXISTS found none"));
  EXPECT_TRUE(has(pending.out, "0 errors, 0 warnings, 1 note"));
  const ProcessResult check = retort(project, {"check"});
  EXPECT_FALSE(has(check.out + check.err, "PG101")) << shown(check);

  const ProcessResult ran = retort(project, {"upgrade", "head"});
  EXPECT_EQ(ran.exit_code, 0) << shown(ran);
  EXPECT_EQ(project.version_rows(), std::vector<std::string>{"b2"});
}

TEST(LintCli, PreflightFailsOnAnErrorLevelFindingOfThePendingSteps) {
  Project project(Backend::postgres, "lint_preflight");
  project.add(k_accounts);
  const std::string file = project.add(k_email_index);
  write_config(project);
  const auto lint_check = [&project] {
    const ProcessResult result = retort(project, {"preflight", "--json"});
    const Json doc = json_of(result);
    for (const Json& check : doc.value("checks", Json::array())) {
      if (check.value("code", "") == "lint") {
        return check;
      }
    }
    ADD_FAILURE() << "no lint check\n" << shown(result);
    return Json::object();
  };
  // Both pending: the index is built on a table the same run creates.
  const Json fresh = lint_check();
  EXPECT_EQ(fresh.value("status", ""), "pass") << fresh.dump();
  EXPECT_TRUE(has(fresh.value("message", ""), "no finding in 2 statements of 2 pending steps"));

  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  // accounts exists but the database shows it empty: preflight judges as `lint --pending
  // --schema database` does, and a note is no line of the checklist.
  const Json empty = lint_check();
  EXPECT_EQ(empty.value("status", ""), "pass") << empty.dump();
  EXPECT_TRUE(has(empty.value("message", ""), "judged on the database's schema"));
  EXPECT_EQ(retort(project, {"lint", "--pending", "--schema", "database"}).exit_code, 0);

  // With a row in it, both fail on the index that blocks its writes.
  project.db().execute("INSERT INTO accounts VALUES (1, 'ada@example.com')");
  const ProcessResult lint = retort(project, {"lint", "--pending", "--schema", "database"});
  EXPECT_EQ(lint.exit_code, 1) << shown(lint);
  EXPECT_TRUE(has(lint.out, "error PG101 create-index-blocks-writes"));
  const Json later = lint_check();
  EXPECT_EQ(later.value("status", ""), "fail") << later.dump();
  EXPECT_TRUE(has(later.value("message", ""), file + ":"));
  EXPECT_TRUE(has(later.value("message", ""), "PG101 create-index-blocks-writes"));
  EXPECT_TRUE(has(later.value("fix", ""), "retort lint --pending"));
}

TEST(LintCli, ASqliteProjectLintsNothingAndSaysWhy) {
  Project project(Backend::sqlite, "lint_sqlite");
  project.add(k_accounts);
  write_config(project);
  const ProcessResult result = retort(project, {"lint"});
  EXPECT_EQ(result.exit_code, 0) << shown(result);
  EXPECT_TRUE(has(result.out, "Nothing to lint: the database is SQLite"));
}

TEST(LintCli, RulesListsEveryCode) {
  Project project(Backend::sqlite, "lint_rules");
  write_config(project);
  const ProcessResult result = retort(project, {"lint", "--rules"});
  EXPECT_EQ(result.exit_code, 0) << shown(result);
  for (const char* code : {"PG101", "PG203", "PG304", "PG406"}) {
    EXPECT_TRUE(has(result.out, code));
  }
}

// The second revision's type changes, judged by the types the first one gave: a widening that
// PostgreSQL does without a rewrite is no finding, a rewrite names the old type. The history is
// built on a throwaway database on dev_url; the target is not touched.
TEST(LintCli, JudgesATypeChangeByTheTypeAnEarlierRevisionGave) {
  Project project(Backend::postgres, "lint_schema");
  project.add({"a1",
               {},
               "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(100), code integer);",
               "DROP TABLE accounts;",
               {},
               "accounts"});
  const std::string file =
      project.add({"b2",
                   {"a1"},
                   "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);\n"
                   "ALTER TABLE accounts ALTER COLUMN code TYPE bigint;",
                   "ALTER TABLE accounts ALTER COLUMN code TYPE integer;",
                   {},
                   "wider"});
  write_config(project, "[retort.schema]\ndev_url = \"" +
                            PostgresServer::instance().url("postgres") + "\"\n");

  const ProcessResult result = retort(project, {"lint", "b2"});
  EXPECT_EQ(result.exit_code, 1) << shown(result);
  EXPECT_TRUE(has(result.out,
                  "ALTER COLUMN accounts.code TYPE bigint rewrites accounts and its indexes: the "
                  "column is integer now"));
  EXPECT_FALSE(has(result.out, "ALTER COLUMN accounts.email TYPE"));  // PG402 still asks for text
  EXPECT_TRUE(has(result.out, "note: the schema of revision a1 was built on a throwaway"));
  EXPECT_TRUE(has(result.out, "1 error, 1 warning"));
  EXPECT_TRUE(project.tables().empty());

  // Without the schema the widening is hedged, as lint cannot see the old type.
  const ProcessResult blind = retort(project, {"lint", "b2", "--schema", "none"});
  EXPECT_TRUE(has(blind.out,
                  "ALTER COLUMN accounts.email TYPE varchar(320) rewrites accounts and its "
                  "indexes unless the column is a varchar of the same or a shorter length now"))
      << shown(blind);
  EXPECT_TRUE(has(blind.out, "2 errors"));

  // Linting every revision needs no throwaway database: the first runs on an empty schema.
  const ProcessResult all = retort(project, {"lint"});
  EXPECT_TRUE(has(all.out, "the column is integer now")) << shown(all);
  EXPECT_FALSE(has(all.out, "note: the schema"));
  EXPECT_TRUE(has(all.out, "1 error, 2 warnings"));  // PG402 on each varchar

  // --pending on the database's own schema, read only: accounts is empty, so the rewrite
  // is a note that names the evidence; with a row in it, an error again.
  EXPECT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult empty =
      retort(project, {"lint", "--pending", "--schema", "database", "--json"});
  EXPECT_EQ(empty.exit_code, 0) << shown(empty);
  const Json doc = json_of(empty);
  EXPECT_EQ(doc.value("errors", -1), 0);
  EXPECT_EQ(doc.value("notes", -1), 1);
  bool weighed = false;
  for (const Json& finding : doc.value("findings", Json::array())) {
    if (finding.value("code", "") == "PG108") {
      weighed = true;
      EXPECT_EQ(finding.value("level", ""), "note");
      EXPECT_TRUE(has(finding["evidence"].get<std::string>(), "no row in public.accounts"));
    }
  }
  EXPECT_TRUE(weighed) << empty.out;
  ASSERT_EQ(doc.value("schema_notes", Json::array()).size(), 1U) << empty.out;
  EXPECT_TRUE(
      has(doc["schema_notes"][0].get<std::string>(), "judged on the database's schema, read only"));

  project.db().execute("INSERT INTO accounts VALUES (1, 'ada@example.com', 7)");
  const ProcessResult pending = retort(project, {"lint", "--pending", "--schema", "database"});
  EXPECT_TRUE(has(pending.out, "the column is integer now")) << shown(pending);
  EXPECT_TRUE(has(pending.out, "note: the statements were judged on the database's schema"));
  EXPECT_TRUE(has(pending.out, "1 error, 1 warning"));
}

}  // namespace
}  // namespace retort::test
