#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(PreferBigintKey, ReportsIntegerKeysAndGeneratedColumns) {
  const auto found = findings("PG406",
                              "CREATE TABLE a (id integer PRIMARY KEY);\n"
                              "CREATE TABLE b (id int, name text, PRIMARY KEY (id));\n"
                              "CREATE TABLE c (id serial);\n"
                              "CREATE TABLE d (id smallint GENERATED ALWAYS AS IDENTITY);");
  ASSERT_EQ(found.size(), 4U);
  EXPECT_EQ(found[0].message, "key a.id is integer");
  EXPECT_NE(found[0].why.find("2,147,483,647"), std::string::npos);
  EXPECT_NE(found[0].fix.find("id bigint"), std::string::npos);
  EXPECT_NE(found[2].fix.find("id bigserial"), std::string::npos);
  EXPECT_NE(found[3].why.find("32,767"), std::string::npos);
}

TEST(PreferBigintKey, ASerialKeyIsReportedByBothTypeRules) {
  const char* sql = "CREATE TABLE t (id serial PRIMARY KEY);";
  EXPECT_EQ(findings("PG406", sql).size(), 1U);
  EXPECT_EQ(findings("PG404", sql).size(), 1U);
}

TEST(PreferBigintKey, NotReportedForOtherIntegersOrCompositeKeys) {
  EXPECT_TRUE(findings("PG406",
                       "CREATE TABLE t (id bigint PRIMARY KEY, quantity integer, "
                       "parent_id integer);\n"
                       "CREATE TABLE u (a integer, b integer, PRIMARY KEY (a, b));")
                  .empty());
}

}  // namespace
}  // namespace retort::lint
