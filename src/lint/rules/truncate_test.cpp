#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(Truncate, ReportsEachTableAndNamesCascade) {
  const auto found = findings("PG205", "TRUNCATE sessions, carts CASCADE;");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].message, "TRUNCATE sessions CASCADE deletes every row");
  EXPECT_NE(found[0].why.find("every table whose foreign keys reference it"), std::string::npos);
  EXPECT_EQ(found[1].column, 20);
}

TEST(Truncate, NotReportedForATableTheMigrationCreated) {
  EXPECT_TRUE(findings("PG205", "CREATE TABLE staging (id bigint);\nTRUNCATE staging;").empty());
}

}  // namespace
}  // namespace retort::lint
