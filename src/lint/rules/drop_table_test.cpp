#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(DropTable, ReportsEachTableWithTheExpandContractFix) {
  const auto found = findings("PG203", "DROP TABLE IF EXISTS legacy_orders, ops.audit CASCADE;");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].message, "DROP TABLE legacy_orders deletes the table and every row in it");
  EXPECT_EQ(found[1].message, "DROP TABLE ops.audit deletes the table and every row in it");
  EXPECT_NE(found[0].why.find("a backup is the only way back"), std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE legacy_orders RENAME TO legacy_orders_deprecated;"),
            std::string::npos);
  EXPECT_NE(found[1].fix.find("ALTER TABLE ops.audit RENAME TO audit_deprecated;"),
            std::string::npos);
}

TEST(DropTable, NotReportedForATableTheMigrationCreatedOrOtherDrops) {
  EXPECT_TRUE(findings("PG203", "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;").empty());
  EXPECT_TRUE(findings("PG203", "DROP VIEW v;\nDROP INDEX i;\nDROP FUNCTION f();").empty());
}

TEST(DropTable, AcceptedByLintIgnoreWithTheReason) {
  test::Options options;
  options.header = "-- retort:lint-ignore PG203 -- unused since release 41\n";
  const auto found = findings("PG203", "DROP TABLE legacy_orders;", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].ignored, "unused since release 41");
}

}  // namespace
}  // namespace retort::lint
