// --sql equals online: the script `upgrade --sql` and `downgrade --sql` print, fed to psql or
// the sqlite3 shell, must leave the same schema, version table and ledger as an online run.
#include "harness/postgres_server.hpp"
#include "harness/process.hpp"
#include "integration/project.hpp"
#include "retort/commands.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

// Branches (auth, billing), a depends_on across them, a non-transactional step and a merge.
std::vector<MigrationSpec> postgres_history() {
  return {
      {"root",
       {},
       "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);",
       "DROP TABLE accounts;",
       {},
       "accounts"},
      {"auth1",
       {"root"},
       "CREATE TABLE sessions (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts "
       "(id));",
       "DROP TABLE sessions;",
       {"branch_labels auth"},
       "sessions"},
      {"bill1",
       {"root"},
       "CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint, total numeric(12, "
       "2));",
       "DROP TABLE invoices;",
       {"branch_labels billing"},
       "invoices"},
      {"bill2",
       {"bill1"},
       "ALTER TABLE invoices ADD COLUMN session_id bigint REFERENCES sessions (id);",
       "ALTER TABLE invoices DROP COLUMN session_id;",
       {"depends_on auth1"},
       "invoice session"},
      {"idx",
       {"auth1"},
       "CREATE INDEX CONCURRENTLY sessions_account_idx ON sessions (account_id);\n"
       "CREATE INDEX CONCURRENTLY invoices_account_idx ON invoices (account_id);",
       "DROP INDEX CONCURRENTLY invoices_account_idx;\n"
       "DROP INDEX CONCURRENTLY sessions_account_idx;",
       {"transaction false", "depends_on bill1"},
       "indexes"},
      {"func",
       {"bill2"},
       "CREATE FUNCTION invoice_total(p bigint) RETURNS numeric LANGUAGE plpgsql AS $body$\n"
       "DECLARE\n  result numeric; -- a semicolon; in a comment\nBEGIN\n"
       "  SELECT total INTO result FROM invoices WHERE id = p;\n"
       "  RETURN coalesce(result, 0) + length('$;');\nEND;\n$body$;",
       "DROP FUNCTION invoice_total(bigint);",
       {},
       "invoice total"},
      {"merged",
       {"idx", "func"},
       "CREATE VIEW account_totals AS SELECT a.id, sum(i.total) AS total FROM accounts a JOIN "
       "invoices i ON i.account_id = a.id GROUP BY a.id;",
       "DROP VIEW account_totals;",
       {},
       "merge auth and billing"},
  };
}

std::vector<MigrationSpec> sqlite_history() {
  return {
      {"root",
       {},
       "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
       "DROP TABLE accounts;",
       {},
       "accounts"},
      {"auth1",
       {"root"},
       "CREATE TABLE sessions (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts "
       "(id));",
       "DROP TABLE sessions;",
       {"branch_labels auth"},
       "sessions"},
      {"bill1",
       {"root"},
       "CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER, total NUMERIC);",
       "DROP TABLE invoices;",
       {"branch_labels billing"},
       "invoices"},
      {"bill2",
       {"bill1"},
       "ALTER TABLE invoices ADD COLUMN session_id INTEGER;",
       "ALTER TABLE invoices DROP COLUMN session_id;",
       {"depends_on auth1"},
       "invoice session"},
      {"idx",
       {"auth1"},
       "CREATE INDEX sessions_account_idx ON sessions (account_id);\n"
       "CREATE INDEX invoices_account_idx ON invoices (account_id);",
       "DROP INDEX invoices_account_idx;\nDROP INDEX sessions_account_idx;",
       {"transaction false", "depends_on bill1"},
       "indexes"},
      {"func",
       {"bill2"},
       "CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN\n"
       "  UPDATE accounts SET name = name || ';' WHERE id = new.account_id;\n"
       "  DELETE FROM sessions WHERE account_id = new.account_id;\nEND;",
       "DROP TRIGGER invoices_touch;",
       {},
       "trigger"},
      {"merged",
       {"idx", "func"},
       "CREATE VIEW account_totals AS SELECT a.id, sum(i.total) AS total FROM accounts a JOIN "
       "invoices i ON i.account_id = a.id GROUP BY a.id;",
       "DROP VIEW account_totals;",
       {},
       "merge auth and billing"},
  };
}

// `retort upgrade|downgrade --sql RANGE` through the binary, as a reviewer would run it.
std::string offline_script(const Project& project, const std::string& command,
                           const std::string& range) {
  project.write_config_file();
  SpawnOptions options;
  options.cwd = project.dir();
  // --sql must not connect: a URL of a database that is not there proves it.
  const std::string nowhere = project.backend() == Backend::sqlite
                                  ? "sqlite:///no/such/dir/app.db"
                                  : "postgresql://nobody@127.0.0.1:1/none";
  const ProcessResult result = run_retort({command, "--sql", range, "--url", nowhere}, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

// Feeds a script to psql or the sqlite3 shell, stopping at the first error.
void run_script(Project& project, const std::string& script) {
  SpawnOptions options;
  options.stdin_text = script;
  options.timeout = std::chrono::seconds(30);
  ProcessResult result;
  if (project.backend() == Backend::sqlite) {
    const std::string url = project.config().url;
    result = run({"sqlite3", "-bail", url.substr(std::string("sqlite:///").size())}, options);
  } else {
    result = run({(PostgresServer::instance().bin_dir() / "psql").string(), "-X", "-q", "-v",
                  "ON_ERROR_STOP=1", "-d", project.config().url},
                 options);
  }
  ASSERT_EQ(result.exit_code, 0) << result.err << "\nscript:\n" << script;
}

// The whole schema as the database's own dump tool sees it.
std::string dump_schema(Project& project) {
  if (project.backend() == Backend::sqlite) {
    std::string out;
    for (const std::string& row :
         project.query_rows("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, "
                            "name")) {
      out += row + "\n";
    }
    return out;
  }
  const ProcessResult dump = run({(PostgresServer::instance().bin_dir() / "pg_dump").string(),
                                  "--schema-only", "--no-owner", "-d", project.config().url});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  const std::string url = project.config().url;
  const std::string database = url.substr(url.rfind('/') + 1);
  std::string out;
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line);) {
    // pg_dump 15.14+ brackets its output with a random \restrict key.
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) {
      continue;
    }
    for (std::size_t pos = line.find(database); pos != std::string::npos;
         pos = line.find(database, pos)) {
      line.replace(pos, database.size(), "DATABASE");
    }
    out += line + "\n";
  }
  return out;
}

// The ledger without what differs between two runs (ids, times, host).
Strings ledger_summary(Project& project) {
  return project.query_rows(
      "SELECT revision, direction, status, statements_done, statements_total, checksum FROM "
      "retort_log ORDER BY id");
}

class OfflineSqlTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    for (const MigrationSpec& spec :
         GetParam() == Backend::sqlite ? sqlite_history() : postgres_history()) {
      (void)m_script.add(spec);
      (void)m_online.add(spec);
    }
  }

  Project m_script{GetParam(), "offline_script"};
  Project m_online{GetParam(), "offline_online"};
};

TEST_P(OfflineSqlTest, UpgradeScriptLeavesWhatTheOnlineUpgradeLeaves) {
  const std::string script = offline_script(m_script, "upgrade", "base:heads");
  EXPECT_NE(script.find("-- Running upgrade merged"), std::string::npos) << script;

  run_script(m_script, script);
  RunOptions heads;
  heads.target = "heads";
  const RunResult online = upgrade(m_online.config(), heads);

  ASSERT_EQ(online.steps.size(), 7U);
  EXPECT_EQ(m_online.version_rows(), Strings{"merged"});
  EXPECT_EQ(m_script.version_rows(), m_online.version_rows());
  // information_schema.tables lists views too; sqlite_master's tables do not.
  const Strings expected_tables =
      GetParam() == Backend::sqlite ? Strings{"accounts", "invoices", "sessions"}
                                    : Strings{"account_totals", "accounts", "invoices", "sessions"};
  EXPECT_EQ(m_script.tables(), expected_tables);
  const std::string schema = dump_schema(m_online);
  EXPECT_NE(schema.find("sessions_account_idx"), std::string::npos) << schema;
  EXPECT_NE(schema.find(GetParam() == Backend::sqlite ? "invoices_touch" : "invoice_total"),
            std::string::npos)
      << schema;
  EXPECT_EQ(dump_schema(m_script), schema);
  EXPECT_EQ(ledger_summary(m_script), ledger_summary(m_online));
  EXPECT_EQ(ledger_summary(m_online).size(), 7U);
}

TEST_P(OfflineSqlTest, DowngradeScriptLeavesWhatTheOnlineDowngradeLeaves) {
  RunOptions heads;
  heads.target = "heads";
  (void)upgrade(m_script.config(), heads);
  (void)upgrade(m_online.config(), heads);

  const std::string script = offline_script(m_script, "downgrade", "merged:root");
  run_script(m_script, script);
  RunOptions to_root;
  to_root.target = "root";
  const RunResult online = downgrade(m_online.config(), to_root);

  EXPECT_EQ(online.steps.size(), 6U);
  EXPECT_EQ(m_online.version_rows(), Strings{"root"});
  EXPECT_EQ(m_script.version_rows(), Strings{"root"});
  EXPECT_EQ(m_script.tables(), Strings{"accounts"});
  EXPECT_EQ(dump_schema(m_script), dump_schema(m_online));
  EXPECT_EQ(ledger_summary(m_script), ledger_summary(m_online));
}

TEST_P(OfflineSqlTest, OneTransactionScriptLeavesWhatTheOnlineRunLeaves) {
  m_script.config().transaction_per_migration = false;
  m_online.config().transaction_per_migration = false;
  const std::string script = offline_script(m_script, "upgrade", "base:heads");

  run_script(m_script, script);
  RunOptions heads;
  heads.target = "heads";
  (void)upgrade(m_online.config(), heads);

  EXPECT_EQ(m_script.version_rows(), Strings{"merged"});
  EXPECT_EQ(m_script.version_rows(), m_online.version_rows());
  EXPECT_EQ(dump_schema(m_script), dump_schema(m_online));
  EXPECT_EQ(ledger_summary(m_script), ledger_summary(m_online));
}

TEST_P(OfflineSqlTest, StampScriptLeavesWhatTheOnlineStampLeaves) {
  const std::string script = offline_script(m_script, "stamp", "base:bill2");
  run_script(m_script, script);
  RunOptions options;
  options.target = "bill2";
  (void)stamp(m_online.config(), options);

  // bill2 depends on auth1: one row stands for both, as in Alembic.
  EXPECT_EQ(m_online.version_rows(), Strings{"bill2"});
  EXPECT_EQ(m_script.version_rows(), m_online.version_rows());
  EXPECT_EQ(m_script.tables(), Strings{}) << "a stamp runs no migration";
  EXPECT_EQ(ledger_summary(m_script), ledger_summary(m_online));
}

class OfflineSqlTextTest : public ::testing::TestWithParam<Backend> {};

// A message or --reason with a backslash-quote must not end its literal when the script runs
// where standard_conforming_strings is off (a database's setting, an old server's default): no
// statement of the text runs, and the ledger holds the text exactly.
TEST_P(OfflineSqlTextTest, TextWithABackslashQuoteStaysInItsLiteral) {
  Project project(GetParam(), "offline_quoting");
  const std::string message = "a\\'); CREATE TABLE pwned_message (id int); --";
  const std::string reason = "r\\'); CREATE TABLE pwned_reason (id int); --";
  project.add({"a1", {}, "CREATE TABLE users (id int);", "DROP TABLE users;", {}, message});
  if (GetParam() == Backend::postgres) {
    const std::string url = project.config().url;
    project.db().execute("ALTER DATABASE \"" + url.substr(url.rfind('/') + 1) +
                         "\" SET standard_conforming_strings = off");
  }
  project.write_config_file();
  SpawnOptions options;
  options.cwd = project.dir();
  const std::string nowhere = GetParam() == Backend::sqlite
                                  ? "sqlite:///no/such/dir/app.db"
                                  : "postgresql://nobody@127.0.0.1:1/none";
  const ProcessResult up = run_retort({"upgrade", "--sql", "base:head", "--url", nowhere}, options);
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const ProcessResult stamp =
      run_retort({"stamp", "--sql", "a1:base", "--reason", reason, "--url", nowhere}, options);
  ASSERT_EQ(stamp.exit_code, 0) << stamp.err;

  if (GetParam() == Backend::postgres) {
    // Either alone would do; both are there, the setting for the user's own statements.
    EXPECT_NE(up.out.find("SET standard_conforming_strings = on;\n"), std::string::npos);
    EXPECT_NE(up.out.find("E'a\\\\''); CREATE TABLE pwned_message (id int); --')"),
              std::string::npos)
        << up.out;
  }
  run_script(project, up.out);
  run_script(project, stamp.out);
  EXPECT_EQ(project.tables(), Strings{"users"}) << up.out << stamp.out;
  EXPECT_EQ(project.version_rows(), Strings{});
  EXPECT_EQ(project.query_rows("SELECT direction, message, reason FROM retort_log ORDER BY id"),
            (Strings{"upgrade|" + message + "|NULL", "stamp|" + message + "|" + reason}))
      << up.out << stamp.out;
}

// A message's carriage return ends a comment for PostgreSQL: the comment line that names the
// step must not let the rest of the message run.
TEST_P(OfflineSqlTextTest, AMessageCannotEndItsCommentLine) {
  Project project(GetParam(), "offline_comment");
  const std::string message = "a\rCREATE TABLE pwned (id int);";
  project.add({"a1", {}, "CREATE TABLE users (id int);", "DROP TABLE users;", {}, message});
  project.write_config_file();
  SpawnOptions options;
  options.cwd = project.dir();
  const ProcessResult script = run_retort({"upgrade", "--sql", "base:head"}, options);
  ASSERT_EQ(script.exit_code, 0) << script.err;
  EXPECT_NE(script.out.find("-- Running upgrade a1: a\\x0DCREATE TABLE pwned (id int);"),
            std::string::npos)
      << script.out;

  run_script(project, script.out);
  EXPECT_EQ(project.tables(), Strings{"users"}) << script.out;
  EXPECT_EQ(project.query_rows("SELECT message FROM retort_log"), Strings{message});
}

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(OfflineSql, OfflineSqlTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), name_of);
INSTANTIATE_TEST_SUITE_P(OfflineSql, OfflineSqlTextTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), name_of);

}  // namespace
}  // namespace retort::test
