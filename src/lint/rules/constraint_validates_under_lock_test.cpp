#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(ConstraintValidatesUnderLock, ReportsAForeignKeyWithNotValidAndValidate) {
  const auto found = findings("PG106",
                              "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY "
                              "(user_id) REFERENCES users (id);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message,
            "ADD FOREIGN KEY on orders checks every row while writes to orders and users wait");
  EXPECT_NE(found[0].why.find("SHARE ROW EXCLUSIVE"), std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY "
                              "(user_id) REFERENCES users (id) NOT VALID;"),
            std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;"),
            std::string::npos);
}

TEST(ConstraintValidatesUnderLock, ReportsACheckAndNamesAnUnnamedOne) {
  const auto found = findings("PG106", "ALTER TABLE orders ADD CHECK (total >= 0);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].why.find("ACCESS EXCLUSIVE"), std::string::npos);
  EXPECT_NE(found[0].fix.find("orders_check"), std::string::npos);
  EXPECT_NE(found[0].fix.find("VALIDATE CONSTRAINT needs its name"), std::string::npos);
}

TEST(ConstraintValidatesUnderLock, ReportsADomainConstraint) {
  EXPECT_EQ(findings("PG106", "ALTER DOMAIN email ADD CONSTRAINT has_at CHECK (VALUE LIKE '%@%');")
                .size(),
            1U);
  EXPECT_TRUE(findings("PG106",
                       "ALTER DOMAIN email ADD CONSTRAINT has_at CHECK (VALUE LIKE '%@%') NOT "
                       "VALID;")
                  .empty());
}

TEST(ConstraintValidatesUnderLock, ValidateInTheTransactionOfTheAddIsReported) {
  const auto found = findings("PG106",
                              "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) "
                              "REFERENCES users (id) NOT VALID;\n"
                              "ALTER TABLE orders VALIDATE CONSTRAINT fk;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].line, 5);
  EXPECT_NE(found[0].fix.find("move the VALIDATE to the next migration"), std::string::npos);
  test::Options options;
  options.header = "-- retort:transaction false\n";
  EXPECT_TRUE(findings("PG106",
                       "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES "
                       "users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
                       options)
                  .empty());
}

TEST(ConstraintValidatesUnderLock, NotReportedNotValidOnNewTablesOrForNewColumns) {
  EXPECT_TRUE(findings("PG106",
                       "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES "
                       "users (id) NOT VALID;")
                  .empty());
  EXPECT_TRUE(findings("PG106", "ALTER TABLE orders VALIDATE CONSTRAINT fk;").empty());
  EXPECT_TRUE(findings("PG106",
                       "CREATE TABLE t (id bigint, user_id bigint);\n"
                       "ALTER TABLE t ADD FOREIGN KEY (user_id) REFERENCES users (id);")
                  .empty());
  EXPECT_TRUE(
      findings("PG106", "ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);")
          .empty());
}

}  // namespace
}  // namespace retort::lint
