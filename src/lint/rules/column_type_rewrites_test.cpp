#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(ColumnTypeRewrites, ReportsATypeChangeThatRewrites) {
  const auto found = findings("PG108", "ALTER TABLE orders ALTER COLUMN id TYPE bigint;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message, "ALTER COLUMN orders.id TYPE bigint rewrites orders and its indexes");
  EXPECT_NE(found[0].why.find("ACCESS EXCLUSIVE"), std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE orders ADD COLUMN id_new bigint;"), std::string::npos);
}

TEST(ColumnTypeRewrites, AnUnknownOldTypeNamesTheSafeCases) {
  const auto found = findings("PG108", "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].message.find("unless the column is a varchar of the same or a shorter "
                                  "length now"),
            std::string::npos);
}

TEST(ColumnTypeRewrites, NotReportedForAWideningItCanSee) {
  EXPECT_TRUE(findings("PG108",
                       "ALTER TABLE users ADD COLUMN email varchar(100);\n"
                       "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n"
                       "ALTER TABLE users ALTER COLUMN email TYPE text;")
                  .empty());
  EXPECT_TRUE(findings("PG108",
                       "ALTER TABLE p ADD COLUMN price numeric(10,2);\n"
                       "ALTER TABLE p ALTER COLUMN price TYPE numeric(12,2);")
                  .empty());
}

TEST(ColumnTypeRewrites, ReportedForANarrowingOrUsing) {
  EXPECT_EQ(findings("PG108",
                     "ALTER TABLE users ADD COLUMN email varchar(320);\n"
                     "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);")
                .size(),
            1U);
  const auto with_using =
      findings("PG108", "ALTER TABLE t ALTER COLUMN n TYPE text USING n::text;");
  ASSERT_EQ(with_using.size(), 1U);
  EXPECT_NE(with_using[0].why.find("USING clause always rewrites"), std::string::npos);
}

TEST(ColumnTypeRewrites, NotReportedOnANewTable) {
  EXPECT_TRUE(
      findings("PG108", "CREATE TABLE t (id int);\nALTER TABLE t ALTER COLUMN id TYPE bigint;")
          .empty());
}

}  // namespace
}  // namespace retort::lint

namespace retort::lint {
namespace {

// A schema whose users.email is `type`, as the catalog renders it.
schema::Schema users_email(const std::string& type) {
  schema::Schema known;
  schema::Table& users = known.tables["public.users"];
  users.schema = "public";
  users.name = "users";
  users.ident = "users";
  schema::Column email;
  email.name = "email";
  email.ident = "email";
  email.type = type;
  users.columns.push_back(email);
  return known;
}

TEST(ColumnTypeRewrites, TheSchemasOldTypeDecides) {
  for (const char* widening : {"character varying(100)", "text"}) {
    const schema::Schema known = users_email(widening);
    test::Options options;
    options.context.schema = &known;
    EXPECT_TRUE(
        test::findings("PG108", "ALTER TABLE users ALTER COLUMN email TYPE text;", options).empty())
        << widening;
  }
  const schema::Schema known = users_email("character varying(100)");
  test::Options options;
  options.context.schema = &known;
  EXPECT_TRUE(
      test::findings("PG108", "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);", options)
          .empty());
  const auto narrowing =
      test::findings("PG108", "ALTER TABLE users ALTER COLUMN email TYPE varchar(50);", options);
  ASSERT_EQ(narrowing.size(), 1U);
  EXPECT_EQ(narrowing[0].message,
            "ALTER COLUMN users.email TYPE varchar(50) rewrites users and its indexes: the column "
            "is character varying(100) now");
}

TEST(ColumnTypeRewrites, ARewriteNamesTheSchemasOldType) {
  const schema::Schema known = users_email("integer");
  test::Options options;
  options.context.schema = &known;
  const auto found =
      test::findings("PG108", "ALTER TABLE users ALTER COLUMN email TYPE text;", options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message,
            "ALTER COLUMN users.email TYPE text rewrites users and its indexes: the column is "
            "integer now");
  // A column the schema does not have is judged as without it.
  EXPECT_NE(test::findings("PG108", "ALTER TABLE users ALTER COLUMN other TYPE text;", options)
                .at(0)
                .message.find("unless the column is varchar or text now"),
            std::string::npos);
}

TEST(ColumnTypeRewrites, EarlierStatementsAdvanceTheSchema) {
  const schema::Schema known = users_email("integer");
  test::Options options;
  options.context.schema = &known;
  // The USING rewrites; the later widening of the renamed column does not.
  EXPECT_TRUE(test::findings("PG108",
                             "ALTER TABLE users ALTER COLUMN email TYPE varchar(10) USING "
                             "email::text;\n"
                             "ALTER TABLE users RENAME COLUMN email TO mail;\n"
                             "ALTER TABLE users ALTER COLUMN mail TYPE varchar(20);",
                             options)
                  .size() == 1U);
}

}  // namespace
}  // namespace retort::lint
