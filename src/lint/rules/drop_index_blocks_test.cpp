#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(DropIndexBlocks, ReportsADropWithoutConcurrently) {
  const auto found = findings("PG102", "DROP INDEX accounts_email_idx;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::error);
  EXPECT_EQ(found[0].line, 4);
  EXPECT_EQ(found[0].column, 1);
  EXPECT_NE(found[0].message.find("accounts_email_idx"), std::string::npos);
  EXPECT_NE(found[0].why.find("ACCESS EXCLUSIVE"), std::string::npos);
  EXPECT_NE(found[0].fix.find("-- retort:transaction false\n"
                              "    DROP INDEX CONCURRENTLY accounts_email_idx;"),
            std::string::npos)
      << found[0].fix;
}

TEST(DropIndexBlocks, KeepsIfExistsInTheFix) {
  test::Options options;
  options.header = "-- retort:transaction false\n";
  const auto found = findings("PG102", "DROP INDEX IF EXISTS ops.i;", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("    DROP INDEX CONCURRENTLY IF EXISTS ops.i;"), std::string::npos);
  EXPECT_EQ(found[0].fix.find("-- retort:transaction false"), std::string::npos)
      << "the migration is already transaction false";
}

TEST(DropIndexBlocks, SplitsSeveralIndexesAndCascade) {
  const auto found = findings("PG102", "DROP INDEX a_idx, \"B_idx\" CASCADE;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].message.find("a_idx, B_idx"), std::string::npos);
  EXPECT_NE(found[0].fix.find("    DROP INDEX CONCURRENTLY a_idx;\n"
                              "    DROP INDEX CONCURRENTLY \"B_idx\";"),
            std::string::npos)
      << found[0].fix;
  EXPECT_NE(found[0].fix.find("no CASCADE"), std::string::npos);
  EXPECT_NE(found[0].fix.find("DROP CONSTRAINT"), std::string::npos);
}

TEST(DropIndexBlocks, NotReportedWhenConcurrent) {
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(findings("PG102", "DROP INDEX CONCURRENTLY i;", options).empty());
}

TEST(DropIndexBlocks, NotReportedForAnIndexCreatedEarlierInTheMigration) {
  EXPECT_TRUE(findings("PG102",
                       "CREATE TABLE t (id bigint);\n"
                       "CREATE INDEX t_id_idx ON t (id);\n"
                       "DROP INDEX t_id_idx;")
                  .empty());
  EXPECT_TRUE(findings("PG102",
                       "CREATE TABLE ops.t (id bigint);\n"
                       "CREATE INDEX t_id_idx ON ops.t (id);\n"
                       "DROP INDEX ops.t_id_idx;")
                  .empty());
}

TEST(DropIndexBlocks, ReportsOnlyTheIndexesThatExistBefore) {
  const auto found = findings("PG102",
                              "CREATE INDEX new_idx ON t (id);\n"
                              "DROP INDEX new_idx, old_idx;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].message.find("old_idx"), std::string::npos);
  EXPECT_EQ(found[0].message.find("new_idx"), std::string::npos);
}

TEST(DropIndexBlocks, ReportedWhenTheIndexIsCreatedLater) {
  EXPECT_EQ(findings("PG102",
                     "DROP INDEX i;\n"
                     "CREATE INDEX i ON t (id);")
                .size(),
            1U);
}

TEST(DropIndexBlocks, NotReportedForOtherDrops) {
  EXPECT_TRUE(findings("PG102", "DROP TABLE t;").empty());
}

}  // namespace
}  // namespace retort::lint
