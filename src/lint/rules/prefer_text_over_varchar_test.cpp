#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(PreferTextOverVarchar, ReportsALimitWithTheCheckToWriteInstead) {
  const auto found = findings("PG402", "CREATE TABLE ops.users (email varchar(255) NOT NULL);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message, "column ops.users.email is varchar(255)");
  EXPECT_NE(found[0].why.find("ACCESS EXCLUSIVE"), std::string::npos);
  EXPECT_NE(
      found[0].fix.find("email text CONSTRAINT users_email_length CHECK (length(email) <= 255)"),
      std::string::npos);
  EXPECT_EQ(findings("PG402", "ALTER TABLE users ADD COLUMN name character varying(80);").size(),
            1U);
}

TEST(PreferTextOverVarchar, NotReportedWithoutALimit) {
  EXPECT_TRUE(findings("PG402", "CREATE TABLE users (email varchar, name text);").empty());
}

TEST(PreferTextOverVarchar, SaysARewriteOnOldServers) {
  test::Options options;
  options.context.server_version = 9;
  const auto found = findings("PG402", "CREATE TABLE users (email varchar(255));", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].why.find("rewrite before PostgreSQL 9.2"), std::string::npos);
}

}  // namespace
}  // namespace retort::lint
