#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(RenameColumn, ReportsWithTheExpandContractSteps) {
  const auto found = findings("PG202", "ALTER TABLE users RENAME COLUMN name TO full_name;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message,
            "RENAME COLUMN users.name to full_name breaks every query that names name");
  EXPECT_NE(found[0].fix.find("ALTER TABLE users ADD COLUMN full_name <type>;"), std::string::npos);
  EXPECT_NE(found[0].fix.find("UPDATE users SET full_name = name WHERE ...;"), std::string::npos);
}

TEST(RenameColumn, NotReportedOnANewTable) {
  EXPECT_TRUE(findings("PG202",
                       "CREATE TABLE users (name text);\n"
                       "ALTER TABLE users RENAME COLUMN name TO full_name;")
                  .empty());
}

}  // namespace
}  // namespace retort::lint
