#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(PreferTextOverChar, ReportsCharAndCharacter) {
  const auto found = findings("PG403", "CREATE TABLE c (code char(2), kind character(10));");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].message, "column c.code is char(2)");
  EXPECT_NE(found[0].fix.find("code text"), std::string::npos);
}

TEST(PreferTextOverChar, NotReportedForTheInternalCharTypeOrVarchar) {
  EXPECT_TRUE(findings("PG403", "CREATE TABLE c (flag \"char\", name varchar);").empty());
}

}  // namespace
}  // namespace retort::lint
