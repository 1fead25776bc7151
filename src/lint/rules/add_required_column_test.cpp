#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(AddRequiredColumn, ReportsNotNullWithoutADefault) {
  const auto found = findings("PG104", "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message,
            "ADD COLUMN users.tenant_id NOT NULL without a default fails on a table with rows");
  EXPECT_NE(
      found[0].fix.find("ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT <value>;"),
      std::string::npos);
}

TEST(AddRequiredColumn, NotReportedWithADefaultIdentityOrOnANewTable) {
  EXPECT_TRUE(
      findings("PG104", "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;")
          .empty());
  EXPECT_TRUE(findings("PG104",
                       "ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS "
                       "IDENTITY;")
                  .empty());
  EXPECT_TRUE(findings("PG104", "ALTER TABLE users ADD COLUMN note text;").empty());
  EXPECT_TRUE(
      findings("PG104", "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN a text NOT NULL;")
          .empty());
}

}  // namespace
}  // namespace retort::lint
