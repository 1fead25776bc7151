#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(DropColumn, ReportsEachDroppedColumn) {
  const auto found =
      findings("PG204", "ALTER TABLE users DROP COLUMN legacy_name, DROP COLUMN IF EXISTS fax;");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].message, "DROP COLUMN users.legacy_name deletes the column and its values");
  EXPECT_NE(found[0].fix.find("ALTER TABLE users DROP COLUMN legacy_name;"), std::string::npos);
  EXPECT_NE(found[0].fix.find("release that no longer uses legacy_name"), std::string::npos);
}

TEST(DropColumn, NotReportedOnANewTableOrForOtherCommands) {
  EXPECT_TRUE(
      findings("PG204", "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;").empty());
  EXPECT_TRUE(findings("PG204", "ALTER TABLE users DROP CONSTRAINT users_fk;").empty());
}

}  // namespace
}  // namespace retort::lint
