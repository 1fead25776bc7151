#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(ReindexBlocks, ReportsWithTheConcurrentForm) {
  const auto index = findings("PG111", "REINDEX INDEX accounts_email_idx;");
  ASSERT_EQ(index.size(), 1U);
  EXPECT_EQ(index[0].message, "REINDEX of accounts_email_idx blocks writes until it is done");
  EXPECT_NE(index[0].fix.find("REINDEX INDEX CONCURRENTLY accounts_email_idx;"), std::string::npos);
  EXPECT_NE(index[0].fix.find("-- retort:transaction false"), std::string::npos);
  const auto table = findings("PG111", "REINDEX TABLE accounts;");
  ASSERT_EQ(table.size(), 1U);
  EXPECT_NE(table[0].fix.find("REINDEX TABLE CONCURRENTLY accounts;"), std::string::npos);
}

TEST(ReindexBlocks, BeforePostgres12TheFixBuildsACopy) {
  test::Options options;
  options.context.server_version = 11;
  const auto found = findings("PG111", "REINDEX INDEX i;", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("CREATE INDEX CONCURRENTLY"), std::string::npos);
}

TEST(ReindexBlocks, NotReportedConcurrentlyOrForNewObjects) {
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(findings("PG111", "REINDEX INDEX CONCURRENTLY i;", options).empty());
  EXPECT_TRUE(findings("PG111", "REINDEX (CONCURRENTLY) TABLE t;", options).empty());
  EXPECT_TRUE(findings("PG111", "CREATE TABLE t (id bigint);\nREINDEX TABLE t;").empty());
  EXPECT_TRUE(findings("PG111",
                       "CREATE TABLE t (id bigint);\nCREATE INDEX t_idx ON t (id);\n"
                       "REINDEX INDEX t_idx;")
                  .empty());
}

}  // namespace
}  // namespace retort::lint
