#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(UnbatchedDataChange, ReportsAnUpdateOrDeleteOfALiveTable) {
  const auto all = findings("PG302", "UPDATE users SET active = true;");
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].level, Level::warning);
  EXPECT_EQ(all[0].message, "UPDATE of users, every row, in one statement");
  EXPECT_NE(all[0].fix.find("UPDATE users SET ... WHERE id >= 1 AND id < 10001 AND <condition>;"),
            std::string::npos);
  const auto some = findings("PG302", "DELETE FROM sessions WHERE expires_at < now();");
  ASSERT_EQ(some.size(), 1U);
  EXPECT_EQ(some[0].message, "DELETE of sessions in one statement");
}

TEST(UnbatchedDataChange, NotReportedForABatch) {
  EXPECT_TRUE(findings("PG302",
                       "UPDATE users SET active = true WHERE id IN (SELECT id FROM users WHERE "
                       "active IS NULL LIMIT 1000);")
                  .empty());
  EXPECT_TRUE(findings("PG302", "UPDATE users SET a = 1 WHERE id BETWEEN 1 AND 10000;").empty());
  EXPECT_TRUE(
      findings("PG302", "DELETE FROM events WHERE id >= 1 AND id < 10000 AND kind = 'x';").empty());
}

TEST(UnbatchedDataChange, NotReportedOnANewTable) {
  EXPECT_TRUE(findings("PG302", "CREATE TABLE t (id bigint);\nUPDATE t SET id = 1;").empty());
}

}  // namespace
}  // namespace retort::lint
