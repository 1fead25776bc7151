#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(LockWithoutTimeout, NotReportedUnderRetortsLockTimeout) {
  EXPECT_TRUE(findings("PG110", "ALTER TABLE orders ADD COLUMN note text;").empty());
}

TEST(LockWithoutTimeout, ReportedWhenTheConfigurationTurnsItOff) {
  test::Options options;
  options.context.lock_timeout = std::chrono::milliseconds(0);
  const auto found = findings("PG110", "ALTER TABLE orders ADD COLUMN note text;", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message, "this statement locks orders with no lock_timeout in force");
  EXPECT_NE(found[0].fix.find("[retort.postgres] lock_timeout"), std::string::npos);
}

TEST(LockWithoutTimeout, ReportedAfterTheMigrationTurnsItOffAndNotBefore) {
  const auto found = findings("PG110",
                              "ALTER TABLE a ADD COLUMN x text;\nSET lock_timeout = 0;\n"
                              "ALTER TABLE b ADD COLUMN y text;\nSET lock_timeout = '1s';\n"
                              "ALTER TABLE c ADD COLUMN z text;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].line, 6);
  test::Options header;
  header.header = "-- retort:lock_timeout 0\n";
  EXPECT_EQ(findings("PG110", "DROP TABLE legacy;", header).size(), 1U);
}

TEST(LockWithoutTimeout, NotReportedForNewTablesOrWeakLocks) {
  test::Options options;
  options.context.lock_timeout = std::chrono::milliseconds(0);
  EXPECT_TRUE(
      findings("PG110", "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN a text;", options)
          .empty());
  EXPECT_TRUE(findings("PG110", "SELECT count(*) FROM orders;\nINSERT INTO t VALUES (1);", options)
                  .empty());
}

}  // namespace
}  // namespace retort::lint
