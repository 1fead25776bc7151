// Adopting a database that Alembic migrated: the real alembic 1.8 upgrades a SQLite file and a
// PostgreSQL database, then retort takes over with version_table = "alembic_version" alone.
#include "harness/process.hpp"
#include "integration/project.hpp"
#include "retort/commands.hpp"
#include "retort/error.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

// One revision, written both as an Alembic script and as a retort file with the same id.
struct SharedRevision {
  std::string id;
  Strings down;  // empty: a base; two: an Alembic merge
  std::string upgrade;
  std::string downgrade;
  std::string message;
};

const std::vector<SharedRevision>& linear_history() {
  static const std::vector<SharedRevision> history{
      {"1a2b3c4d5e6f",
       {},
       "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
       "DROP TABLE accounts",
       "create accounts"},
      {"2b3c4d5e6f70",
       {"1a2b3c4d5e6f"},
       "CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, total "
       "INTEGER)",
       "DROP TABLE invoices",
       "create invoices"},
      {"3c4d5e6f7081",
       {"2b3c4d5e6f70"},
       "CREATE INDEX invoices_account_idx ON invoices (account_id)",
       "DROP INDEX invoices_account_idx",
       "index invoices by account"},
  };
  return history;
}

// Two branches off one base, both applied by Alembic: its version table holds two rows.
const std::vector<SharedRevision>& branched_history() {
  static const std::vector<SharedRevision> history{
      {"aa11", {}, "CREATE TABLE base_t (id INTEGER)", "DROP TABLE base_t", "base"},
      {"bb22", {"aa11"}, "CREATE TABLE left_t (id INTEGER)", "DROP TABLE left_t", "left"},
      {"cc33", {"aa11"}, "CREATE TABLE right_t (id INTEGER)", "DROP TABLE right_t", "right"},
  };
  return history;
}

std::string python_down_revision(const Strings& down) {
  if (down.empty()) {
    return "None";
  }
  std::string out = "(";
  for (const std::string& parent : down) {
    out += "\"" + parent + "\", ";
  }
  return out + ")";
}

constexpr const char* k_env_py = R"(from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.",
        poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
)";

// An Alembic environment of its own (alembic.ini, env.py, versions/*.py) beside the project.
class AlembicEnv {
 public:
  AlembicEnv(const std::string& url, const std::vector<SharedRevision>& history) {
    m_dir.write("alembic.ini", fmt::format("[alembic]\nscript_location = alembic\n"
                                           "sqlalchemy.url = {}\n",
                                           url));
    m_dir.write("alembic/env.py", k_env_py);
    for (const SharedRevision& rev : history) {
      m_dir.write(fmt::format("alembic/versions/{}_change.py", rev.id),
                  fmt::format("from alembic import op\n\n"
                              "revision = \"{}\"\n"
                              "down_revision = {}\n"
                              "branch_labels = None\n"
                              "depends_on = None\n\n\n"
                              "def upgrade():\n    op.execute(\"{}\")\n\n\n"
                              "def downgrade():\n    op.execute(\"{}\")\n",
                              rev.id, python_down_revision(rev.down), rev.upgrade, rev.downgrade));
    }
  }

  // Runs `alembic ARGS...` and fails the test, with alembic's stderr, unless it exits 0.
  std::string run(const Strings& args) const {
    Strings argv{"/usr/bin/alembic", "-c", (m_dir.path() / "alembic.ini").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.cwd = m_dir.path();
    options.timeout = std::chrono::seconds(30);
    const ProcessResult result = test::run(argv, options);
    EXPECT_EQ(result.exit_code, 0) << "alembic " << args.front() << ":\n" << result.err;
    return result.out;
  }

 private:
  TempDir m_dir;
};

// The same revisions as retort files, with the same ids.
void add_retort_files(Project& project, const std::vector<SharedRevision>& history) {
  for (const SharedRevision& rev : history) {
    (void)project.add({rev.id, rev.down, rev.upgrade + ";", rev.downgrade + ";", {}, rev.message});
  }
}

class AlembicTest : public ::testing::TestWithParam<Backend> {};

RunOptions target(const std::string& value) {
  RunOptions options;
  options.target = value;
  return options;
}

// The version_num column as the database describes it: Alembic's varchar(32) must survive.
std::string version_column_type(Project& project) {
  if (project.backend() == Backend::sqlite) {
    return project.query_rows(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")[0];
  }
  return project.query_rows(
      "SELECT data_type || '(' || character_maximum_length || ') ' || is_nullable FROM "
      "information_schema.columns WHERE table_name = 'alembic_version' AND column_name = "
      "'version_num'")[0];
}

TEST_P(AlembicTest, RetortTakesOverWhereAlembicLeftOffAndAlembicCanStillReadTheTable) {
  Project project(GetParam(), "alembic_adoption");
  project.config().version_table = "alembic_version";
  const AlembicEnv alembic(project.config().url, linear_history());

  (void)alembic.run({"upgrade", "head"});
  ASSERT_EQ(project.version_rows(), Strings{"3c4d5e6f7081"}) << "alembic upgrade head ran";
  const std::string column_before = version_column_type(project);
  if (GetParam() == Backend::sqlite) {
    EXPECT_NE(column_before.find("VARCHAR(32)"), std::string::npos) << column_before;
  } else {
    EXPECT_EQ(column_before, "character varying(32) NO");
  }

  add_retort_files(project, linear_history());
  project.add({"4d5e6f708192",
               {"3c4d5e6f7081"},
               "ALTER TABLE accounts ADD COLUMN email TEXT;",
               "ALTER TABLE accounts DROP COLUMN email;",
               {},
               "add account email"});

  // retort current, through the binary and a retort.toml that names only the version table.
  project.write_config_file();
  SpawnOptions in_project;
  in_project.cwd = project.dir();
  const ProcessResult shown = run_retort({"current"}, in_project);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("3c4d5e6f7081"), std::string::npos) << shown.out;
  const CurrentResult before = current(project.config());
  ASSERT_EQ(before.heads.size(), 1U);
  EXPECT_EQ(before.heads[0].revision, "3c4d5e6f7081");
  EXPECT_EQ(before.pending, Strings{"4d5e6f708192"});
  EXPECT_TRUE(before.unknown.empty());

  const RunResult up = upgrade(project.config(), target("head"));
  ASSERT_EQ(up.steps.size(), 1U) << "only the revision Alembic never ran";
  EXPECT_EQ(up.steps[0].revision, "4d5e6f708192");
  EXPECT_EQ(project.version_rows(), Strings{"4d5e6f708192"});
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 4U) << "three adoption rows, then the one upgrade";
  EXPECT_EQ(ledger[3].revision, "4d5e6f708192");
  EXPECT_EQ(ledger[3].direction, "upgrade");
  EXPECT_EQ(ledger[3].status, "ok");
  EXPECT_EQ(version_column_type(project), column_before) << "retort must not alter the column";

  // Back across two revisions: one of retort's, one Alembic made.
  const RunResult down = downgrade(project.config(), target("-2"));
  ASSERT_EQ(down.steps.size(), 2U);
  EXPECT_EQ(down.steps[0].revision, "4d5e6f708192");
  EXPECT_EQ(down.steps[1].revision, "3c4d5e6f7081");
  EXPECT_EQ(project.version_rows(), Strings{"2b3c4d5e6f70"});
  EXPECT_EQ(project.tables(), (Strings{"accounts", "invoices"}));
  const std::string indexes =
      GetParam() == Backend::sqlite
          ? "SELECT count(*) FROM sqlite_master WHERE name = 'invoices_account_idx'"
          : "SELECT count(*) FROM pg_indexes WHERE indexname = 'invoices_account_idx'";
  EXPECT_EQ(project.query_rows(indexes), Strings{"0"}) << "the Alembic revision's index is gone";
  EXPECT_EQ(version_column_type(project), column_before);

  // Alembic reads what retort wrote, and can even carry on from there.
  const std::string alembic_current = alembic.run({"current"});
  EXPECT_NE(alembic_current.find("2b3c4d5e6f70"), std::string::npos) << alembic_current;
  (void)alembic.run({"upgrade", "head"});
  EXPECT_EQ(project.version_rows(), Strings{"3c4d5e6f7081"});
  const CurrentResult after = current(project.config());
  ASSERT_EQ(after.heads.size(), 1U);
  EXPECT_EQ(after.heads[0].revision, "3c4d5e6f7081");
  EXPECT_EQ(after.pending, Strings{"4d5e6f708192"});
}

TEST_P(AlembicTest, AdoptionRecordsTheChecksumsOfWhatAlembicAppliedOnceAndCheckCatchesAnEdit) {
  Project project(GetParam(), "alembic_adopt_ledger");
  project.config().version_table = "alembic_version";
  const AlembicEnv alembic(project.config().url, linear_history());
  (void)alembic.run({"upgrade", "2b3c4d5e6f70"});
  add_retort_files(project, linear_history());
  project.write_config_file();
  SpawnOptions in_project;
  in_project.cwd = project.dir();

  const ProcessResult up = run_retort({"upgrade", "head"}, in_project);
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const std::string adopted =
      "SELECT revision, direction, status, reason, length(checksum) FROM retort_log ORDER BY id";
  const Strings expected{
      "1a2b3c4d5e6f|stamp|ok|adopted: applied before retort|64",
      "2b3c4d5e6f70|stamp|ok|adopted: applied before retort|64",
      "3c4d5e6f7081|upgrade|ok|NULL|64",
  };
  EXPECT_EQ(project.query_rows(adopted), expected)
      << "the revisions Alembic applied are recorded once, with their files' checksums";

  // Another run adds no second adoption.
  const ProcessResult again = run_retort({"upgrade", "head"}, in_project);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const ProcessResult stamped = run_retort({"stamp", "head"}, in_project);
  ASSERT_EQ(stamped.exit_code, 0) << stamped.err;
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM retort_log WHERE reason = 'adopted: "
                               "applied before retort'"),
            Strings{"2"});

  const ProcessResult clean = run_retort({"check"}, in_project);
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  // A file Alembic applied is edited after the adoption: check says so, as for any other.
  const SharedRevision& second = linear_history()[1];
  (void)project.add({second.id,
                     second.down,
                     "CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER NOT "
                     "NULL, total INTEGER, currency TEXT);",
                     second.downgrade + ";",
                     {},
                     second.message});
  const ProcessResult edited = run_retort({"check"}, in_project);
  EXPECT_EQ(edited.exit_code, 1) << edited.out << edited.err;
  const std::string words = edited.out + edited.err;
  EXPECT_NE(words.find("(revision 2b3c4d5e6f70) changed since retort adopted the database on"),
            std::string::npos)
      << words;
  EXPECT_NE(words.find("statement 1 (line"), std::string::npos) << words;
}

TEST(AlembicRevId, AnIdLongerThanAlembicVersionHoldsIsRefusedWithoutADatabase) {
  Project project(Backend::sqlite, "alembic_rev_id");
  project.config().version_table = "alembic_version";
  project.config().url = "postgresql://nobody@127.0.0.1:1/none";
  project.write_config_file();
  SpawnOptions in_project;
  in_project.cwd = project.dir();
  const std::string long_id(33, 'a');

  const ProcessResult refused =
      run_retort({"revision", "-m", "too long", "--rev-id", long_id}, in_project);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find(fmt::format("--rev-id '{}' is 33 characters long; the version "
                                         "table alembic_version holds at most 32",
                                         long_id)),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(project.config().script_location) /
                                        "versions"))
      << "no file was written";

  const ProcessResult fits =
      run_retort({"revision", "-m", "fits", "--rev-id", std::string(32, 'a')}, in_project);
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
}

TEST(AlembicRevId, TheRunnerRefusesAnIdLongerThanTheLiveColumnBeforeAnythingRuns) {
  Project project(Backend::postgres, "alembic_live_width");
  project.config().version_table = "alembic_version";
  const AlembicEnv alembic(project.config().url, linear_history());
  (void)alembic.run({"upgrade", "head"});
  add_retort_files(project, linear_history());
  const std::string long_id(40, 'b');
  const std::string file = project.add({long_id,
                                        {"3c4d5e6f7081"},
                                        "CREATE TABLE too_long_t (id INTEGER);",
                                        "DROP TABLE too_long_t;",
                                        {},
                                        "too long for alembic_version"});
  project.write_config_file();
  SpawnOptions in_project;
  in_project.cwd = project.dir();

  const ProcessResult refused = run_retort({"upgrade", "head"}, in_project);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  // Named with its schema: the one the run found the table in.
  EXPECT_NE(refused.err.find(fmt::format("revision {} is 40 characters long; the version table "
                                         "public.alembic_version holds at most 32",
                                         long_id)),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find(file + ":1"), std::string::npos) << refused.err;
  EXPECT_EQ(project.version_rows(), Strings{"3c4d5e6f7081"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM pg_tables WHERE tablename IN "
                               "('too_long_t', 'retort_log')"),
            Strings{"0"})
      << "nothing ran, not even the ledger's creation";
}

TEST_P(AlembicTest, BranchesAlembicAppliedAreAdoptedAsTwoHeadsAndMergedByRetort) {
  Project project(GetParam(), "alembic_branches");
  project.config().version_table = "alembic_version";
  const AlembicEnv alembic(project.config().url, branched_history());
  (void)alembic.run({"upgrade", "heads"});
  ASSERT_EQ(project.version_rows(), (Strings{"bb22", "cc33"}));

  add_retort_files(project, branched_history());
  project.add({"dd44",
               {"bb22", "cc33"},
               "CREATE TABLE joined_t (id INTEGER);",
               "DROP TABLE joined_t;",
               {},
               "merge left and right"});
  const CurrentResult before = current(project.config());
  ASSERT_EQ(before.heads.size(), 2U);
  EXPECT_EQ(before.pending, Strings{"dd44"});

  const RunResult up = upgrade(project.config(), target("head"));
  ASSERT_EQ(up.steps.size(), 1U);
  EXPECT_EQ(up.steps[0].revision, "dd44");
  EXPECT_EQ(project.version_rows(), Strings{"dd44"}) << "the merge replaces both rows";

  (void)downgrade(project.config(), target("aa11"));
  EXPECT_EQ(project.version_rows(), Strings{"aa11"});
  EXPECT_EQ(project.tables(), Strings{"base_t"});
  (void)downgrade(project.config(), target("base"));
  EXPECT_EQ(project.version_rows(), Strings{}) << "the table stays, empty, as Alembic leaves it";

  // Alembic starts over on the table retort emptied.
  (void)alembic.run({"upgrade", "heads"});
  EXPECT_EQ(project.version_rows(), (Strings{"bb22", "cc33"}));
  EXPECT_EQ(project.tables(), (Strings{"base_t", "left_t", "right_t"}));
}

TEST(AlembicUnported, ARevisionAlembicRanButRetortLacksIsNamedAndNothingRuns) {
  Project project(Backend::sqlite, "alembic_unported");
  project.config().version_table = "alembic_version";
  const AlembicEnv alembic(project.config().url, linear_history());
  (void)alembic.run({"upgrade", "head"});
  // The team ported only the first two revisions.
  add_retort_files(project, {linear_history()[0], linear_history()[1]});
  project.write_config_file();
  SpawnOptions in_project;
  in_project.cwd = project.dir();

  const ProcessResult shown = run_retort({"current"}, in_project);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out,
            "3c4d5e6f7081 (not in the migration files: the database is ahead of this code)\n"
            "  the version table names revision 3c4d5e6f7081, which no migration file declares "
            "and the ledger does not know: the database is ahead of this code, its file was "
            "deleted, or (a database another tool migrated) it was not ported yet\n"
            "  next: run retort from the release that has 3c4d5e6f7081; restore or port its "
            "file; after a hand fix: retort stamp --purge REV --reason \"...\"\n");

  const ProcessResult refused = run_retort({"upgrade", "head"}, in_project);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("error: the version table names revision 3c4d5e6f7081, which no "
                             "migration file declares"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(project.version_rows(), Strings{"3c4d5e6f7081"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM sqlite_master WHERE name = 'retort_log'"),
            Strings{"0"})
      << "a refused run writes nothing, not even the ledger table";
}

TEST(AlembicHandBack, AlembicContinuesOnAVersionTableRetortCreated) {
  Project project(Backend::postgres, "alembic_hand_back");
  project.config().version_table = "alembic_version";
  add_retort_files(project, linear_history());
  (void)upgrade(project.config(), target("2b3c4d5e6f70"));
  EXPECT_EQ(project.query_rows("SELECT conname FROM pg_constraint WHERE conrelid = "
                               "'alembic_version'::regclass AND contype = 'p'"),
            Strings{"alembic_version_pkc"})
      << "the primary key is named as Alembic names it";

  const AlembicEnv alembic(project.config().url, linear_history());
  (void)alembic.run({"upgrade", "head"});
  EXPECT_EQ(project.version_rows(), Strings{"3c4d5e6f7081"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM pg_indexes WHERE indexname = "
                               "'invoices_account_idx'"),
            Strings{"1"})
      << "Alembic ran only the revision retort had not";
}

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(Alembic, AlembicTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), name_of);

}  // namespace
}  // namespace retort::test
