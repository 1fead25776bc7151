#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(UniqueConstraintBuildsIndex, ReportsUniqueWithTheConcurrentIndexFirst) {
  const auto found =
      findings("PG107", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message, "ADD UNIQUE on users builds its index under an exclusive lock");
  EXPECT_NE(found[0].fix.find("CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);"),
            std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX "
                              "users_email_key;"),
            std::string::npos);
}

TEST(UniqueConstraintBuildsIndex, APrimaryKeyNamesItsNotNullScan) {
  const auto found = findings("PG107", "ALTER TABLE users ADD PRIMARY KEY (id);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("users_pkey PRIMARY KEY USING INDEX users_pkey"), std::string::npos);
  EXPECT_NE(found[0].fix.find("PG105"), std::string::npos);
}

TEST(UniqueConstraintBuildsIndex, ExcludeHasNoOnlineForm) {
  const auto found = findings(
      "PG107", "ALTER TABLE rooms ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].fix.find("maintenance_window"), std::string::npos);
}

TEST(UniqueConstraintBuildsIndex, NotReportedUsingIndexOrOnANewTable) {
  EXPECT_TRUE(findings("PG107",
                       "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX "
                       "users_email_key;")
                  .empty());
  EXPECT_TRUE(findings("PG107", "CREATE TABLE t (id bigint);\nALTER TABLE t ADD PRIMARY KEY (id);")
                  .empty());
  EXPECT_TRUE(
      findings("PG107", "ALTER TABLE users ADD CONSTRAINT c CHECK (id > 0) NOT VALID;").empty());
}

}  // namespace
}  // namespace retort::lint
