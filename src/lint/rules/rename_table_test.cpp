#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(RenameTable, ReportsWithTheViewThatKeepsTheOldName) {
  const auto found = findings("PG201", "ALTER TABLE customers RENAME TO clients;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message,
            "RENAME of customers to clients breaks every query that names customers");
  EXPECT_NE(found[0].fix.find("CREATE VIEW customers AS SELECT * FROM clients;"),
            std::string::npos);
  EXPECT_EQ(findings("PG201", "ALTER VIEW report RENAME TO report_v2;").size(), 1U);
}

TEST(RenameTable, NotReportedForANewTableOrAColumnRename) {
  EXPECT_TRUE(findings("PG201",
                       "CREATE TABLE tmp_clients (id bigint);\n"
                       "ALTER TABLE tmp_clients RENAME TO clients;")
                  .empty());
  EXPECT_TRUE(findings("PG201", "ALTER TABLE customers RENAME COLUMN a TO b;").empty());
}

}  // namespace
}  // namespace retort::lint
