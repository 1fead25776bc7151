#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(DropDatabase, ReportsIt) {
  test::Options options;
  options.header = "-- retort:transaction false\n";
  const auto found = findings("PG207", "DROP DATABASE IF EXISTS staging_copy;", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message, "DROP DATABASE staging_copy deletes the whole database");
}

TEST(DropDatabase, NotReportedForOtherStatements) {
  EXPECT_TRUE(findings("PG207", "DROP TABLE t;\nCREATE TABLE d (id bigint);").empty());
}

}  // namespace
}  // namespace retort::lint
