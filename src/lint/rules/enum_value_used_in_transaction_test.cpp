#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(EnumValueUsedInTransaction, ReportsTheStatementThatUsesTheNewValue) {
  const auto found = findings("PG304",
                              "ALTER TYPE order_status ADD VALUE 'refunded';\n"
                              "UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT "
                              "NULL;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].line, 5);
  EXPECT_EQ(found[0].column, 28);
  EXPECT_EQ(found[0].message,
            "'refunded' is used in the transaction that adds it to order_status (line 4)");
  EXPECT_NE(found[0].fix.find("ALTER TYPE order_status ADD VALUE 'refunded';"), std::string::npos);
}

TEST(EnumValueUsedInTransaction, NotReportedForATypeTheMigrationCreated) {
  EXPECT_TRUE(findings("PG304",
                       "CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';\n"
                       "CREATE TABLE p (m mood DEFAULT 'happy');")
                  .empty());
}

TEST(EnumValueUsedInTransaction, NotReportedWhenUnusedOrAlone) {
  EXPECT_TRUE(findings("PG304",
                       "ALTER TYPE order_status ADD VALUE 'refunded';\n"
                       "UPDATE orders SET status = 'paid' WHERE id = 1;")
                  .empty());
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(findings("PG304",
                       "ALTER TYPE order_status ADD VALUE 'refunded';\n"
                       "UPDATE orders SET status = 'refunded' WHERE id = 1;",
                       options)
                  .empty());
}

}  // namespace
}  // namespace retort::lint
