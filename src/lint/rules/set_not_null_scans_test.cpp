#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(SetNotNullScans, ReportsWithTheCheckPattern) {
  const auto found = findings("PG105", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK "
                              "(email IS NOT NULL) NOT VALID;"),
            std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;"),
            std::string::npos);
}

TEST(SetNotNullScans, NotReportedAfterAValidatedCheck) {
  EXPECT_TRUE(findings("PG105",
                       "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n"
                       "ALTER TABLE users VALIDATE CONSTRAINT c;\n"
                       "ALTER TABLE users ALTER COLUMN email SET NOT NULL;")
                  .empty());
}

TEST(SetNotNullScans, ReportedWhenTheCheckIsNotValidatedOrOfAnotherColumn) {
  EXPECT_EQ(findings("PG105",
                     "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n"
                     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;")
                .size(),
            1U);
  EXPECT_EQ(findings("PG105",
                     "ALTER TABLE users ADD CONSTRAINT c CHECK (name IS NOT NULL);\n"
                     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;")
                .size(),
            1U);
}

TEST(SetNotNullScans, BeforePostgres12ACheckDoesNotHelp) {
  test::Options options;
  options.context.server_version = 11;
  const auto found = findings("PG105",
                              "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL);\n"
                              "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
                              options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("before PostgreSQL 12"), std::string::npos);
}

TEST(SetNotNullScans, NotReportedOnANewTable) {
  EXPECT_TRUE(
      findings("PG105", "CREATE TABLE t (a text);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;")
          .empty());
}

}  // namespace
}  // namespace retort::lint
