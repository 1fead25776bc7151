#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(DropSchema, ReportsCascade) {
  const auto found = findings("PG206", "DROP SCHEMA reporting CASCADE;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("DROP SCHEMA reporting;"), std::string::npos);
}

TEST(DropSchema, NotReportedWithoutCascadeOrForASchemaCreatedHere) {
  EXPECT_TRUE(findings("PG206", "DROP SCHEMA reporting;").empty());
  EXPECT_TRUE(findings("PG206", "CREATE SCHEMA tmp;\nDROP SCHEMA tmp CASCADE;").empty());
}

}  // namespace
}  // namespace retort::lint
