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
