#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(ConcurrentlyInTransaction, ReportsWhatCannotRunInATransactionBlock) {
  const auto found = findings("PG303",
                              "CREATE INDEX CONCURRENTLY i ON t (a);\n"
                              "DROP INDEX CONCURRENTLY j;\nVACUUM t;");
  ASSERT_EQ(found.size(), 3U);
  EXPECT_EQ(found[0].message,
            "CREATE INDEX CONCURRENTLY in a migration that runs in one transaction");
  EXPECT_NE(found[0].fix.find("-- retort:transaction false\n    CREATE INDEX CONCURRENTLY i ON t "
                              "(a);"),
            std::string::npos);
}

TEST(ConcurrentlyInTransaction, NotReportedWithTransactionFalse) {
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(findings("PG303", "CREATE INDEX CONCURRENTLY i ON t (a);", options).empty());
}

TEST(ConcurrentlyInTransaction, AddValueOnlyBeforePostgres12) {
  const char* sql = "ALTER TYPE mood ADD VALUE 'meh';";
  EXPECT_TRUE(findings("PG303", sql).empty());
  test::Options old_server;
  old_server.context.server_version = 11;
  EXPECT_EQ(findings("PG303", sql, old_server).size(), 1U);
  EXPECT_TRUE(findings("PG303", "ALTER TYPE mood RENAME VALUE 'a' TO 'b';", old_server).empty());
}

}  // namespace
}  // namespace retort::lint
