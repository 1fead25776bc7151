// A squash revision (`-- retort:replaces`) adopted by every database, through the retort
// binary on a real SQLite file and (in the postgres build of this file) a real PostgreSQL 15:
// an empty database runs the squash; one at its tip adopts it with no statement (the squash's
// upgrade would fail if it ran); one inside its history follows the replaced files first; one
// past it needs nothing; a straggler whose files were retired stops before anything runs.
// Also current, check, doctor, --sql, downgrade, and the loader's errors with file:line.
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;
using Json = nlohmann::json;

class SquashAdoptionTest : public ::testing::TestWithParam<Backend> {
 protected:
  // a1 <- b2 <- c3: three tables.
  static void add_history(Project& project) {
    project.add({"a1", {}, "CREATE TABLE a (id integer);", "DROP TABLE a;", {}, "a"});
    project.add({"b2", {"a1"}, "CREATE TABLE b (id integer);", "DROP TABLE b;", {}, "b"});
    project.add({"c3", {"b2"}, "CREATE TABLE c (id integer);", "DROP TABLE c;", {}, "c"});
  }
  // s0 replaces a1 b2 c3 and builds the same tables: on a database that has them already, its
  // upgrade fails ("already exists"), so a run that succeeds there did not run it. d4 comes
  // after c3 and keeps saying so.
  static void add_squash(Project& project) {
    project.add({"s0",
                 {},
                 "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n"
                 "CREATE TABLE c (id integer);",
                 "DROP TABLE c;\nDROP TABLE b;\nDROP TABLE a;",
                 {"replaces a1 b2", "replaces c3"},
                 "squash"});
    project.add({"d4", {"c3"}, "CREATE TABLE d (id integer);", "DROP TABLE d;", {}, "d"});
  }
  static void retire(Project& project, const Strings& revisions) {
    for (const std::string& revision : revisions) {
      ASSERT_TRUE(std::filesystem::remove(project.dir() / "migrations" / "versions" /
                                          (revision + "_change.sql")));
    }
  }
  static Strings ledger(Project& project) {
    return project.query_rows(
        "SELECT revision, direction, status, COALESCE(reason, '') FROM retort_log ORDER BY id");
  }
  static void upgrade_ok(Project& project, const Strings& args = {"upgrade"}) {
    const ProcessResult run = retort(project, args);
    ASSERT_EQ(run.exit_code, 0) << shown(run);
  }
  static Json doctor(Project& project) {
    const ProcessResult run = retort(project, {"doctor", "--json"});
    return Json::parse(run.out);
  }
  static const Json* finding(const Json& doc, const std::string& code) {
    for (const Json& item : doc["findings"]) {
      if (item.value("code", "") == code) {
        return &item;
      }
    }
    return nullptr;
  }
};

TEST_P(SquashAdoptionTest, EmptyDatabaseRunsTheSquashNotTheOldFiles) {
  Project project(GetParam(), "squash_empty");
  write_config(project);
  add_history(project);
  add_squash(project);
  upgrade_ok(project);
  EXPECT_EQ(project.tables(), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
  EXPECT_EQ(ledger(project), (Strings{"s0|upgrade|ok|", "d4|upgrade|ok|"}));
  // history shows the squash in place of what it replaces.
  const ProcessResult history = retort(project, {"history"});
  EXPECT_TRUE(has(history.out, "<base> -> s0"));
  EXPECT_TRUE(lacks(history.out, "b2"));
  // A replaced revision whose file is still there shows as its file says.
  const ProcessResult show = retort(project, {"show", "b2"});
  EXPECT_EQ(show.exit_code, 0) << shown(show);
  EXPECT_TRUE(has(show.out, "Path: migrations/versions/b2_change.sql"));
}

TEST_P(SquashAdoptionTest, AtTheTipAdoptsWithoutRunningTheSquash) {
  Project project(GetParam(), "squash_at_tip");
  write_config(project);
  add_history(project);
  upgrade_ok(project);
  add_squash(project);

  const ProcessResult current = retort(project, {"current", "-v"});
  EXPECT_EQ(current.exit_code, 0) << shown(current);
  EXPECT_TRUE(has(current.out, "c3"));
  EXPECT_TRUE(has(current.out, "which squash s0 replaces: the next upgrade adopts s0"));
  EXPECT_TRUE(lacks(current.out, "ahead of this code"));
  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 1) << shown(check);
  EXPECT_TRUE(has(check.out + check.err, "adopts s0 without running it"));
  const Json found = doctor(project);
  const Json* pending = finding(found, "squash-adoption-pending");
  ASSERT_NE(pending, nullptr) << found.dump();
  EXPECT_EQ((*pending)["fix"], "retort upgrade");
  EXPECT_EQ(finding(found, "unknown-revision"), nullptr) << found.dump();

  // Up to the squash only: one version-table change, one `stamp` row, no statement.
  const ProcessResult adopt = retort(project, {"upgrade", "s0"});
  ASSERT_EQ(adopt.exit_code, 0) << shown(adopt);
  EXPECT_TRUE(has(adopt.err + adopt.out, "adopted s0: c3 -> s0"));
  EXPECT_EQ(project.version_rows(), Strings{"s0"});
  EXPECT_EQ(ledger(project), (Strings{"a1|upgrade|ok|", "b2|upgrade|ok|", "c3|upgrade|ok|",
                                      "s0|stamp|ok|squash s0 replaces 3 revisions"}));
  EXPECT_EQ(project.tables(), (Strings{"a", "b", "c"}));
  upgrade_ok(project);
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
  EXPECT_EQ(project.tables(), (Strings{"a", "b", "c", "d"}));
  const ProcessResult again = retort(project, {"check"});
  EXPECT_EQ(again.exit_code, 0) << shown(again);
}

TEST_P(SquashAdoptionTest, InsideTheHistoryFollowsTheReplacedFilesThenAdopts) {
  Project project(GetParam(), "squash_interior");
  write_config(project);
  add_history(project);
  upgrade_ok(project, {"upgrade", "a1"});
  add_squash(project);
  const ProcessResult current = retort(project, {"current", "-v"});
  EXPECT_TRUE(has(current.out, "the next upgrade runs b2, c3 from the replaced files up to c3"));
  EXPECT_TRUE(has(current.out, "Pending: 3 revisions: b2, c3, d4"));
  upgrade_ok(project);
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
  EXPECT_EQ(ledger(project),
            (Strings{"a1|upgrade|ok|", "b2|upgrade|ok|", "c3|upgrade|ok|",
                     "s0|stamp|ok|squash s0 replaces 3 revisions", "d4|upgrade|ok|"}));
  EXPECT_EQ(project.tables(), (Strings{"a", "b", "c", "d"}));
}

TEST_P(SquashAdoptionTest, PastTheTipNeedsNothing) {
  Project project(GetParam(), "squash_past");
  write_config(project);
  add_history(project);
  project.add({"d4", {"c3"}, "CREATE TABLE d (id integer);", "DROP TABLE d;", {}, "d"});
  upgrade_ok(project);
  add_squash(project);
  upgrade_ok(project);
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM retort_log WHERE revision = 's0'"),
            Strings{"0"});
  const ProcessResult current = retort(project, {"current", "-v"});
  EXPECT_TRUE(has(current.out, "Up to date."));
  // A downgrade to base runs d4's and then the squash's downgrade.
  upgrade_ok(project, {"downgrade", "base"});
  EXPECT_TRUE(project.tables().empty());
}

TEST_P(SquashAdoptionTest, RetiredFilesAtTheTipStillAdopt) {
  Project project(GetParam(), "squash_tip_retired");
  write_config(project);
  add_history(project);
  upgrade_ok(project);
  add_squash(project);
  retire(project, {"a1", "b2", "c3"});
  upgrade_ok(project);
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
  EXPECT_EQ(project.query_rows("SELECT direction, reason FROM retort_log WHERE revision = 's0'"),
            Strings{"stamp|squash s0 replaces 3 revisions"});
  // The ledger's rows of the retired files are neither edited nor missing files.
  const Json found = doctor(project);
  EXPECT_EQ(finding(found, "edited-applied-file"), nullptr) << found.dump();
  EXPECT_EQ(finding(found, "unknown-revision"), nullptr) << found.dump();
  const ProcessResult check = retort(project, {"check"});
  EXPECT_EQ(check.exit_code, 0) << shown(check);
}

TEST_P(SquashAdoptionTest, AStragglerInsideRetiredFilesStopsBeforeAnythingRuns) {
  Project project(GetParam(), "squash_straggler");
  write_config(project);
  add_history(project);
  upgrade_ok(project, {"upgrade", "b2"});
  add_squash(project);
  retire(project, {"a1", "b2", "c3"});
  const ProcessResult run = retort(project, {"upgrade"});
  EXPECT_EQ(run.exit_code, 1) << shown(run);
  EXPECT_TRUE(has(run.err, "the database is at b2, which squash s0 replaces"));
  EXPECT_TRUE(has(run.err, "migrations/versions/b2_*.sql"));
  EXPECT_TRUE(has(run.err, "git log --diff-filter=D -- migrations/versions"));
  EXPECT_TRUE(has(run.err, "or rebuild the database from s0"));
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.tables(), (Strings{"a", "b"}));
  const Json found = doctor(project);
  const Json* straggler = finding(found, "squash-straggler");
  ASSERT_NE(straggler, nullptr) << found.dump();
  EXPECT_EQ((*straggler)["level"], "error");
}

TEST_P(SquashAdoptionTest, DowngradeToAReplacedRevisionNamesTheSquash) {
  Project project(GetParam(), "squash_downgrade");
  write_config(project);
  add_history(project);
  add_squash(project);
  upgrade_ok(project);
  const ProcessResult run = retort(project, {"downgrade", "c3"});
  EXPECT_EQ(run.exit_code, 2) << shown(run);
  EXPECT_TRUE(has(run.err, "c3 was squashed into s0; downgrade to base or to a revision after s0"));
  upgrade_ok(project, {"downgrade", "base"});
  EXPECT_TRUE(project.tables().empty());
  EXPECT_TRUE(project.version_rows().empty());
}

TEST_P(SquashAdoptionTest, DowngradeAndStampAtTheTipAdoptFirstAndRefuseInside) {
  Project project(GetParam(), "squash_down_at_tip");
  write_config(project);
  add_history(project);
  upgrade_ok(project);
  add_squash(project);
  // At the tip: adopted with no statement, then the squash's downgrade empties the database.
  upgrade_ok(project, {"downgrade", "base"});
  EXPECT_TRUE(project.tables().empty());
  EXPECT_EQ(project.query_rows("SELECT revision, direction FROM retort_log WHERE id > 3 "
                               "ORDER BY id"),
            (Strings{"s0|stamp", "s0|downgrade"}));
  // Inside: a downgrade cannot start there.
  upgrade_ok(project, {"stamp", "--purge", "d4"});
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
  project.db().execute("UPDATE retort_version SET version_num = 'b2'");
  const ProcessResult inside = retort(project, {"downgrade", "base"});
  EXPECT_EQ(inside.exit_code, 2) << shown(inside);
  EXPECT_TRUE(has(inside.err, "the database is inside the history squash s0 replaces (at b2)"));
  EXPECT_TRUE(has(inside.err, "retort upgrade s0, then run the same command again"));
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  // A stamp at the tip adopts first, then moves the row.
  project.db().execute("UPDATE retort_version SET version_num = 'c3'");
  upgrade_ok(project, {"stamp", "d4"});
  EXPECT_EQ(project.version_rows(), Strings{"d4"});
}

TEST_P(SquashAdoptionTest, OfflineFromTheTipWritesTheAdoption) {
  Project project(GetParam(), "squash_offline");
  write_config(project);
  add_history(project);
  add_squash(project);
  const ProcessResult from_tip = retort(project, {"upgrade", "--sql", "c3:head"});
  ASSERT_EQ(from_tip.exit_code, 0) << shown(from_tip);
  EXPECT_TRUE(has(from_tip.out, "SET version_num = 's0' WHERE version_num = 'c3'"));
  EXPECT_TRUE(has(from_tip.out, "'squash s0 replaces 3 revisions'"));
  EXPECT_TRUE(lacks(from_tip.out, "CREATE TABLE a"));
  const ProcessResult from_base = retort(project, {"upgrade", "--sql"});
  ASSERT_EQ(from_base.exit_code, 0) << shown(from_base);
  EXPECT_TRUE(has(from_base.out, "-- Running upgrade s0"));
  EXPECT_TRUE(lacks(from_base.out, "-- Running upgrade a1"));
}

TEST_P(SquashAdoptionTest, BranchySetWithAMergeAndADependencyOntoTheTip) {
  Project project(GetParam(), "squash_branchy");
  write_config(project);
  // a1 <- (b2, x2) <- m3; o1 on its own branch; y4 revises o1 and depends on m3.
  project.add({"a1", {}, "CREATE TABLE a (id integer);", "DROP TABLE a;", {}, "a"});
  project.add({"b2", {"a1"}, "CREATE TABLE b (id integer);", "DROP TABLE b;", {}, "b"});
  project.add({"x2", {"a1"}, "CREATE TABLE x (id integer);", "DROP TABLE x;", {}, "x"});
  project.add({"m3", {"b2", "x2"}, "", "", {}, "merge"});
  project.add({"o1", {}, "CREATE TABLE o (id integer);", "DROP TABLE o;", {}, "o"});
  upgrade_ok(project, {"upgrade", "b2"});
  upgrade_ok(project, {"upgrade", "o1"});
  project.add({"s0",
               {},
               "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n"
               "CREATE TABLE x (id integer);",
               "DROP TABLE x;\nDROP TABLE b;\nDROP TABLE a;",
               {"replaces a1 b2 x2 m3"},
               "squash"});
  project.add(
      {"y4", {"o1"}, "CREATE TABLE y (id integer);", "DROP TABLE y;", {"depends_on m3"}, "y"});
  upgrade_ok(project, {"upgrade", "heads"});
  EXPECT_EQ(project.version_rows(), Strings{"y4"});
  EXPECT_EQ(project.query_rows("SELECT revision, direction FROM retort_log WHERE revision IN "
                               "('x2', 'm3', 's0', 'y4') ORDER BY id"),
            (Strings{"x2|upgrade", "m3|upgrade", "s0|stamp", "y4|upgrade"}));
  EXPECT_EQ(project.tables(), (Strings{"a", "b", "o", "x", "y"}));
}

TEST_P(SquashAdoptionTest, LoaderErrorsNameTheFileLineAndTheFix) {
  Project project(GetParam(), "squash_loader");
  write_config(project);
  add_history(project);
  add_squash(project);
  project.add({"e5", {"b2"}, "CREATE TABLE e (id integer);", "", {}, "e"});
  ProcessResult run = retort(project, {"heads"});
  EXPECT_EQ(run.exit_code, 2) << shown(run);
  EXPECT_TRUE(has(run.err, "migrations/versions/e5_change.sql:2"));
  EXPECT_TRUE(has(run.err, "e5 revises b2, which squash s0 replaces"));
  EXPECT_TRUE(has(run.err, "revise s0 instead"));
  std::filesystem::remove(project.dir() / "migrations" / "versions" / "e5_change.sql");
  project.add({"t0", {}, "SELECT 1;", "", {"replaces c3"}, "second"});
  run = retort(project, {"heads"});
  EXPECT_EQ(run.exit_code, 2) << shown(run);
  EXPECT_TRUE(has(run.err, "Revision c3 is replaced by both squash s0 and squash t0"));
  EXPECT_TRUE(has(run.err, "migrations/versions/t0_change.sql:3"));
}

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

#if RETORT_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, SquashAdoptionTest, ::testing::Values(Backend::postgres),
                         name_of);
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, SquashAdoptionTest, ::testing::Values(Backend::sqlite), name_of);
#endif

}  // namespace
}  // namespace retort::test
