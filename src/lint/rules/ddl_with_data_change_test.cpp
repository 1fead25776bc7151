#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(DdlWithDataChange, ReportsABackfillAfterAnAlterOfALiveTable) {
  const auto found = findings("PG301",
                              "ALTER TABLE orders ADD COLUMN total numeric;\n"
                              "UPDATE orders SET total = price * quantity;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].line, 5);
  EXPECT_EQ(found[0].message,
            "this data change of orders runs in the transaction of the schema change of orders "
            "on line 4");
  EXPECT_NE(found[0].why.find("held until the migration commits"), std::string::npos);
}

TEST(DdlWithDataChange, NotReportedForSeedsValuesOrTransactionFalse) {
  EXPECT_TRUE(findings("PG301",
                       "CREATE TABLE plans (id bigint, name text);\n"
                       "ALTER TABLE plans ADD COLUMN price numeric;\n"
                       "INSERT INTO plans SELECT 1, 'free', 0;")
                  .empty());
  EXPECT_TRUE(findings("PG301",
                       "ALTER TABLE orders ADD COLUMN note text;\n"
                       "INSERT INTO orders (id) VALUES (1);")
                  .empty());
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(findings("PG301",
                       "ALTER TABLE orders ADD COLUMN total numeric;\n"
                       "UPDATE orders SET total = 0;",
                       options)
                  .empty());
}

}  // namespace
}  // namespace retort::lint
