#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;
using test::Options;

Options transaction_false() {
  Options options;
  options.header = "-- retort:transaction false\n";
  return options;
}

TEST(TableRewriteCommand, ReportsVacuumFullAndCluster) {
  const auto vacuum = findings("PG109", "VACUUM FULL events, ops.audit;", transaction_false());
  ASSERT_EQ(vacuum.size(), 2U);
  EXPECT_EQ(vacuum[0].message, "VACUUM FULL rewrites events while its reads and writes wait");
  EXPECT_NE(vacuum[0].fix.find("pg_repack"), std::string::npos);
  EXPECT_EQ(findings("PG109", "VACUUM (FULL, ANALYZE);", transaction_false()).size(), 1U);
  const auto cluster = findings("PG109", "CLUSTER events USING events_created_idx;");
  ASSERT_EQ(cluster.size(), 1U);
  EXPECT_NE(cluster[0].why.find("ACCESS EXCLUSIVE"), std::string::npos);
}

TEST(TableRewriteCommand, NotReportedForPlainVacuumFullFalseOrANewTable) {
  EXPECT_TRUE(findings("PG109", "VACUUM (ANALYZE) events;", transaction_false()).empty());
  EXPECT_TRUE(findings("PG109", "VACUUM (FULL false) events;", transaction_false()).empty());
  EXPECT_TRUE(findings("PG109", "ANALYZE events;").empty());
  EXPECT_TRUE(findings("PG109", "CREATE TABLE t (id bigint);\nCLUSTER t USING t_pkey;").empty());
}

}  // namespace
}  // namespace retort::lint
