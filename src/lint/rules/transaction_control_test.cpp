#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(TransactionControl, ReportsBeginAndCommit) {
  const auto found = findings("PG305", "BEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].line, 4);  // the upgrade section starts on line 4 of the test file
  EXPECT_EQ(found[1].line, 6);
  EXPECT_NE(found[0].fix.find("-- retort:transaction false"), std::string::npos);
}

TEST(TransactionControl, SavepointsAreAllowed) {
  EXPECT_TRUE(findings("PG305",
                       "SAVEPOINT a;\nCREATE TABLE t (id bigint);\nRELEASE SAVEPOINT a;\n"
                       "ROLLBACK TO SAVEPOINT a;")
                  .empty());
}

}  // namespace
}  // namespace retort::lint
