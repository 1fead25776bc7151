#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(CreateIndexBlocksWrites, ReportsAnIndexOnAnExistingTable) {
  const auto found = findings("PG101", "CREATE INDEX accounts_email_idx ON accounts (email);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::error);
  EXPECT_NE(found[0].message.find("accounts"), std::string::npos);
  EXPECT_NE(found[0].why.find("SHARE lock"), std::string::npos);
  EXPECT_NE(found[0].fix.find("CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"),
            std::string::npos);
  EXPECT_NE(found[0].fix.find("-- retort:transaction false"), std::string::npos);
}

TEST(CreateIndexBlocksWrites, PointsAtTheTable) {
  const auto found = findings("PG101", "CREATE UNIQUE INDEX i ON\n  ops.accounts (email);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].line, 5);  // the header takes 4 lines in the test file
  EXPECT_EQ(found[0].column, 3);
  EXPECT_NE(found[0].fix.find("CREATE UNIQUE INDEX CONCURRENTLY i ON"), std::string::npos);
}

TEST(CreateIndexBlocksWrites, AsksForANameWhenTheIndexHasNone) {
  const auto found = findings("PG101", "CREATE INDEX ON accounts (email);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("give the index a name"), std::string::npos);
}

TEST(CreateIndexBlocksWrites, NotReportedWhenConcurrent) {
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(
      findings("PG101", "CREATE INDEX CONCURRENTLY i ON accounts (email);", options).empty());
}

TEST(CreateIndexBlocksWrites, NotReportedOnATableCreatedEarlierInTheMigration) {
  EXPECT_TRUE(findings("PG101",
                       "CREATE TABLE accounts (id bigint, email text);\n"
                       "CREATE INDEX accounts_email_idx ON accounts (email);")
                  .empty());
  EXPECT_TRUE(findings("PG101",
                       "CREATE TABLE ops.accounts (id bigint, email text);\n"
                       "CREATE INDEX accounts_email_idx ON accounts (email);")
                  .empty());
}

TEST(CreateIndexBlocksWrites, NotReportedOnATableAnEarlierStepOfTheRunCreated) {
  test::Options options;
  options.context.new_tables = {"accounts"};
  EXPECT_TRUE(findings("PG101", "CREATE INDEX i ON accounts (email);", options).empty());
}

TEST(CreateIndexBlocksWrites, ReportedOnATableOfAnotherSchema) {
  EXPECT_EQ(findings("PG101",
                     "CREATE TABLE audit.accounts (id bigint);\n"
                     "CREATE INDEX i ON ops.accounts (email);")
                .size(),
            1U);
}

}  // namespace
}  // namespace retort::lint
