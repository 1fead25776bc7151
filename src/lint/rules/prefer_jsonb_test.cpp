#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(PreferJsonb, ReportsJsonInCreateTableAddColumnAndAlterType) {
  const auto created = findings("PG401", "CREATE TABLE events (id bigint, payload json);");
  ASSERT_EQ(created.size(), 1U);
  EXPECT_EQ(created[0].level, Level::warning);
  EXPECT_EQ(created[0].message, "column events.payload is json, not jsonb");
  EXPECT_NE(created[0].fix.find("payload jsonb"), std::string::npos);
  EXPECT_EQ(created[0].column, 41);  // the type
  EXPECT_EQ(findings("PG401", "ALTER TABLE events ADD COLUMN meta json;").size(), 1U);
  EXPECT_EQ(findings("PG401", "ALTER TABLE events ALTER COLUMN meta TYPE json;").size(), 1U);
}

TEST(PreferJsonb, NotReportedForJsonb) {
  EXPECT_TRUE(findings("PG401", "CREATE TABLE events (payload jsonb, note text);").empty());
  EXPECT_TRUE(findings("PG401", "SELECT '{}'::json;").empty());
}

}  // namespace
}  // namespace retort::lint
