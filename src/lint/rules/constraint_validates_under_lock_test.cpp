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

namespace retort::lint {
namespace {

// events, partitioned, with two partitions; users, plain.
schema::Schema partitioned_events() {
  schema::Schema known;
  schema::Table events;
  events.schema = "public";
  events.name = "events";
  events.ident = "events";
  events.partitioned = true;
  known.tables["public.events"] = events;
  for (const char* name : {"events_2024", "events_2025"}) {
    schema::Table partition;
    partition.schema = "public";
    partition.name = name;
    partition.ident = name;
    partition.partition_of = "events";
    known.tables[std::string("public.") + name] = partition;
  }
  schema::Table users;
  users.schema = "public";
  users.name = "users";
  users.ident = "users";
  known.tables["public.users"] = users;
  return known;
}

TEST(ConstraintValidatesUnderLock, ANotValidForeignKeyOnAPartitionedTableFails) {
  const schema::Schema known = partitioned_events();
  test::Options options;
  options.context.schema = &known;
  const std::string sql =
      "ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users "
      "(id) NOT VALID;";
  const auto found = findings("PG106", sql, options);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].message,
            "ADD FOREIGN KEY ... NOT VALID on events, a partitioned table, fails on PostgreSQL 15");
  EXPECT_NE(found[0].fix.find("ALTER TABLE events_2024 ADD CONSTRAINT events_user_fk FOREIGN KEY "
                              "(user_id) REFERENCES users (id) NOT VALID;\n"
                              "    ALTER TABLE events_2024 VALIDATE CONSTRAINT events_user_fk;"),
            std::string::npos)
      << found[0].fix;
  EXPECT_NE(found[0].fix.find("ALTER TABLE events_2025 VALIDATE CONSTRAINT events_user_fk;"),
            std::string::npos);
  EXPECT_NE(found[0].fix.find("ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY "
                              "(user_id) REFERENCES users (id);"),
            std::string::npos);

  // Without NOT VALID it validates every partition at once, and the fix is the same.
  const auto validating = findings(
      "PG106",
      "ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users "
      "(id);",
      options);
  ASSERT_EQ(validating.size(), 1U);
  EXPECT_NE(validating[0].message.find("a partitioned table, checks every row of every partition"),
            std::string::npos);
  EXPECT_EQ(validating[0].fix, found[0].fix);

  // PostgreSQL 18 takes NOT VALID on a partitioned table; a plain table is as before.
  options.context.server_version = 18;
  EXPECT_TRUE(findings("PG106", sql, options).empty());
  options.context.server_version = 15;
  EXPECT_TRUE(findings("PG106",
                       "ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) "
                       "REFERENCES orgs (id) NOT VALID;",
                       options)
                  .empty());
  // A CHECK NOT VALID is taken on a partitioned table.
  EXPECT_TRUE(
      findings("PG106", "ALTER TABLE events ADD CONSTRAINT c CHECK (n > 0) NOT VALID;", options)
          .empty());
}

}  // namespace
}  // namespace retort::lint
