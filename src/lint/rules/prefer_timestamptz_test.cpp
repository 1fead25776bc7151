#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(PreferTimestamptz, ReportsTimestampWithoutTimeZone) {
  const auto found = findings("PG405",
                              "CREATE TABLE t (a timestamp, b timestamp without time zone, "
                              "c timestamp(3));\nALTER TABLE t ADD COLUMN d timestamp[];");
  ASSERT_EQ(found.size(), 4U);
  EXPECT_EQ(found[0].message, "column t.a is timestamp without time zone");
  EXPECT_NE(found[3].fix.find("d timestamptz[]"), std::string::npos);
}

TEST(PreferTimestamptz, NotReportedForTimestamptzOrDate) {
  EXPECT_TRUE(
      findings("PG405", "CREATE TABLE t (a timestamptz, b timestamp with time zone, c date);")
          .empty());
}

}  // namespace
}  // namespace retort::lint
