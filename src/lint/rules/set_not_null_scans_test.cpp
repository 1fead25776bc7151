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

namespace retort::lint {
namespace {

schema::Schema users_with_email(bool not_null, const std::string& check, bool validated) {
  schema::Schema known;
  schema::Table& users = known.tables["public.users"];
  users.schema = "public";
  users.name = "users";
  users.ident = "users";
  schema::Column email;
  email.name = "email";
  email.ident = "email";
  email.type = "text";
  email.not_null = not_null;
  users.columns.push_back(email);
  if (!check.empty()) {
    users.constraints["users_email_check"] = {"users_email_check", "users_email_check", 'c', check,
                                              validated};
  }
  return known;
}

TEST(SetNotNullScans, ASchemasValidatedCheckSkipsTheScan) {
  const std::string sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
  const schema::Schema proven = users_with_email(false, "CHECK ((email IS NOT NULL))", true);
  test::Options options;
  options.context.schema = &proven;
  EXPECT_TRUE(findings("PG105", sql, options).empty());
  // Before PostgreSQL 12 the CHECK does not spare the scan.
  options.context.server_version = 11;
  EXPECT_EQ(findings("PG105", sql, options).size(), 1U);

  const schema::Schema not_valid =
      users_with_email(false, "CHECK ((email IS NOT NULL)) NOT VALID", false);
  options = {};
  options.context.schema = &not_valid;
  EXPECT_EQ(findings("PG105", sql, options).size(), 1U);
  // A VALIDATE earlier in the migration proves it, on the schema as it left it.
  EXPECT_TRUE(
      findings("PG105", "ALTER TABLE users VALIDATE CONSTRAINT users_email_check;\n" + sql, options)
          .empty());

  const schema::Schema other_check = users_with_email(false, "CHECK ((email <> ''::text))", true);
  options.context.schema = &other_check;
  EXPECT_EQ(findings("PG105", sql, options).size(), 1U);
}

TEST(SetNotNullScans, AColumnThatIsNotNullAlreadyIsNotScanned) {
  const schema::Schema known = users_with_email(true, "", false);
  test::Options options;
  options.context.schema = &known;
  EXPECT_TRUE(
      findings("PG105", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", options).empty());
}

}  // namespace
}  // namespace retort::lint
