// `retort import --from alembic` with the real Alembic 1.8: a history with a branch, a merge, a
// second root that depends on the first branch (with its own branch label) and an
// autocommit_block, imported, built on a new database and compared with Alembic's own build,
// and a database Alembic migrated adopted; a revision whose Python reads rows is left for the
// user, never emptied.
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

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr const char* k_env_py = R"(from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(
    config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
)";

struct PyRevision {
  std::string id;
  std::string down;   // Python: None, "a1", ("b1", "c1")
  std::string extra;  // more module-level lines: branch_labels, depends_on
  std::string upgrade;
  std::string downgrade;
};

// The project's alembic/ directory: alembic.ini, env.py and the revisions.
void write_alembic(const Project& project, const std::vector<PyRevision>& revisions) {
  fs::create_directories(project.dir() / "alembic" / "scripts" / "versions");
  std::ofstream(project.dir() / "alembic" / "alembic.ini") << fmt::format(
      "[alembic]\nscript_location = scripts\nsqlalchemy.url = {}\n", project.config().url);
  std::ofstream(project.dir() / "alembic" / "scripts" / "env.py") << k_env_py;
  for (const PyRevision& rev : revisions) {
    std::ofstream(project.dir() / "alembic" / "scripts" / "versions" / (rev.id + "_rev.py"))
        << fmt::format(
               "\"\"\"{0} change\n\"\"\"\nimport sqlalchemy as sa\nfrom alembic import op\n\n"
               "revision = \"{0}\"\ndown_revision = {1}\n{2}\n\n"
               "def upgrade():\n{3}\n\n\ndef downgrade():\n{4}\n",
               rev.id, rev.down, rev.extra, rev.upgrade, rev.downgrade);
  }
}

ProcessResult alembic(const Project& project, const Strings& args) {
  Strings argv{"/usr/bin/alembic", "-c", (project.dir() / "alembic" / "alembic.ini").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions options;
  options.cwd = project.dir() / "alembic";
  options.timeout = std::chrono::seconds(60);
  return run(argv, options);
}

const std::vector<PyRevision>& graph_history() {
  static const std::vector<PyRevision> history{
      {"a1", "None", "",
       "    op.create_table('accounts', sa.Column('id', sa.Integer, primary_key=True),\n"
       "                    sa.Column('name', sa.Text, nullable=False))",
       "    op.drop_table('accounts')"},
      {"b1", "\"a1\"", "branch_labels = (\"billing\",)",
       "    op.create_table('invoices', sa.Column('id', sa.Integer, primary_key=True),\n"
       "                    sa.Column('account_id', sa.Integer, sa.ForeignKey('accounts.id')))",
       "    op.drop_table('invoices')"},
      {"c1", "\"a1\"", "", "    op.add_column('accounts', sa.Column('email', sa.Text))",
       "    op.drop_column('accounts', 'email')"},
      {"d1", "(\"b1\", \"c1\")", "", "    pass", "    pass"},
      {"e1", "\"d1\"", "",
       "    with op.get_context().autocommit_block():\n"
       "        op.create_index('accounts_email', 'accounts', ['email'],\n"
       "                        postgresql_concurrently=True)",
       "    with op.get_context().autocommit_block():\n"
       "        op.drop_index('accounts_email', postgresql_concurrently=True)"},
      {"f1", "None", "branch_labels = (\"reports\",)\ndepends_on = \"b1\"",
       "    op.execute(\"CREATE VIEW invoice_count AS SELECT count(*) AS n FROM invoices\")",
       "    op.execute(\"DROP VIEW invoice_count\")"},
  };
  return history;
}

// The user's objects as a comparable text: columns, indexes, views.
Strings shape(Project& project) {
  return project.query_rows(
      "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable FROM "
      "information_schema.columns WHERE table_schema = 'public' AND table_name NOT IN "
      "('alembic_version', 'retort_version', 'retort_log') UNION ALL "
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT IN "
      "('alembic_version', 'retort_version', 'retort_log') ORDER BY 1");
}

TEST(ImportAlembic, TheGraphIsKeptBuiltLikeAlembicAndTheDatabaseAdopted) {
  Project project(Backend::postgres, "import_alembic");
  write_alembic(project, graph_history());
  const ProcessResult migrated = alembic(project, {"upgrade", "heads"});
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;

  write_config(project);
  const ProcessResult imported =
      retort(project, {"import", "--from", "alembic", "alembic", "--url", project.config().url});
  ASSERT_EQ(imported.exit_code, 0) << shown(imported);
  EXPECT_TRUE(has(imported.out, "Imported 6 revisions from alembic"));
  EXPECT_TRUE(has(imported.out, "d1               scripts/versions/d1_rev.py, merges b1 c1"));
  EXPECT_TRUE(has(imported.out,
                  "f1               scripts/versions/f1_rev.py, depends on b1, "
                  "branch reports"));
  EXPECT_TRUE(has(imported.out, "e1               scripts/versions/e1_rev.py, transaction false"));
  EXPECT_EQ(project.version_rows(), (Strings{"e1", "f1"}));
  EXPECT_EQ(project.query_rows("SELECT version_num FROM alembic_version ORDER BY 1"),
            (Strings{"e1", "f1"}))
      << "Alembic's table is left as it was";
  EXPECT_EQ(project.query_rows("SELECT DISTINCT reason FROM retort_log"),
            (Strings{"imported from alembic: alembic_version says version e1 is applied",
                     "imported from alembic: alembic_version says version f1 is applied"}));
  const std::string b1 = read(project.dir() / "migrations/versions/b1_b1_change.sql");
  EXPECT_TRUE(has(b1, "-- retort:branch_labels billing\n")) << b1;
  EXPECT_TRUE(has(b1, "CREATE TABLE invoices")) << b1;
  const std::string d1 = read(project.dir() / "migrations/versions/d1_d1_change.sql");
  EXPECT_TRUE(has(d1, "-- retort:revises b1 c1\n")) << d1;

  // retort's heads are Alembic's.
  const ProcessResult heads = retort(project, {"heads"});
  EXPECT_TRUE(has(heads.out, "e1")) << shown(heads);
  EXPECT_TRUE(has(heads.out, "f1 (reports)")) << shown(heads);

  // The imported history on a new database builds what Alembic built.
  Project fresh(Backend::postgres, "import_alembic_fresh");
  fs::copy(project.dir() / "migrations", fresh.dir() / "migrations",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  write_config(fresh);
  const ProcessResult built = retort(fresh, {"upgrade", "heads"});
  ASSERT_EQ(built.exit_code, 0) << shown(built);
  EXPECT_EQ(shape(fresh), shape(project));
  EXPECT_FALSE(shape(fresh).empty());
  // --verify builds the same with Alembic itself running the Python on a throwaway database.
  write_config(project, "[retort.schema]\ndev_url = \"" +
                            PostgresServer::instance().url("postgres") + "\"\n");
  const ProcessResult verified =
      retort(project, {"import", "--from", "alembic", "alembic", "--to", "verified", "--verify"});
  ASSERT_EQ(verified.exit_code, 0) << shown(verified);
  EXPECT_TRUE(has(verified.out,
                  "the imported history builds the same schema as alembic "
                  "upgrade heads."));
  // And it goes down to nothing again.
  const ProcessResult down = retort(fresh, {"downgrade", "base"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_TRUE(fresh.tables().empty());
}

// A revision that does one thing offline and another online: --verify catches it, and
// nothing is written.
TEST(ImportAlembic, VerifyRefusesAHistoryThatBuildsOtherwiseOnline) {
  Project project(Backend::postgres, "import_alembic_verify");
  write_alembic(project, {{"a1", "None", "",
                           "    if op.get_context().as_sql:\n"
                           "        op.execute(\"CREATE TABLE offline_only (id int)\")\n"
                           "    else:\n"
                           "        op.execute(\"CREATE TABLE online_only (id int)\")",
                           "    pass"}});
  write_config(project, "[retort.schema]\ndev_url = \"" +
                            PostgresServer::instance().url("postgres") + "\"\n");
  const ProcessResult refused =
      retort(project, {"import", "--from", "alembic", "alembic", "--verify"});
  EXPECT_EQ(refused.exit_code, 1) << shown(refused);
  EXPECT_TRUE(has(refused.err, "the imported history does not build what alembic builds"));
  EXPECT_TRUE(has(refused.err, "only in alembic's: CREATE TABLE public.online_only"));
  EXPECT_TRUE(has(refused.err, "only in retort's: CREATE TABLE public.offline_only"));
  EXPECT_FALSE(fs::exists(project.dir() / "migrations" / "versions" / "a1_a1_change.sql"));
}

TEST(ImportAlembic, ARevisionWhosePythonReadsRowsIsLeftForTheUser) {
  Project project(Backend::postgres, "import_alembic_data");
  write_alembic(project,
                {{"a1", "None", "", "    op.execute(\"CREATE TABLE accounts (id int, plan text)\")",
                  "    op.execute(\"DROP TABLE accounts\")"},
                 {"b1", "\"a1\"", "",
                  "    bind = op.get_bind()\n"
                  "    rows = bind.execute(sa.text(\"SELECT id FROM accounts\")).fetchall()\n"
                  "    for (id,) in rows:\n"
                  "        op.execute(f\"UPDATE accounts SET plan = 'free' WHERE id = {id}\")",
                  "    pass"}});
  write_config(project);
  const ProcessResult imported = retort(project, {"import", "--from", "alembic", "alembic"});
  ASSERT_EQ(imported.exit_code, 0) << shown(imported);
  EXPECT_TRUE(has(imported.out, "1 revision left for you to write by hand"));
  EXPECT_TRUE(has(imported.out, "upgrade: scripts/versions/b1_rev.py:12: AttributeError"));
  const std::string b1 = read(project.dir() / "migrations/versions/b1_b1_change.sql");
  EXPECT_TRUE(has(b1, "-- TODO: write this revision's SQL by hand")) << b1;
  EXPECT_TRUE(lacks(b1, "UPDATE")) << b1;

  // Never silently emptied: retort refuses to run it until its SQL is written.
  const ProcessResult upgraded = retort(project, {"upgrade"});
  EXPECT_EQ(upgraded.exit_code, 2) << shown(upgraded);
  EXPECT_TRUE(has(upgraded.err, "b1_b1_change.sql"));
  EXPECT_TRUE(project.tables().empty());
}

}  // namespace
}  // namespace retort::test
