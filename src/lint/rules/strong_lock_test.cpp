// PG113 strong-lock: the statements no other rule judges, reported by the lock they take.
#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;
using test::lint;
using test::Options;

Options no_lock_timeout() {
  Options options;
  options.header = "-- retort:lock_timeout 0\n";
  return options;
}

TEST(StrongLock, ARewriteNoRuleJudgesIsAWarningNamingLockAndSource) {
  const auto found = findings("PG113", "ALTER TABLE accounts SET TABLESPACE cold;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::warning);
  EXPECT_EQ(found[0].message,
            "ALTER TABLE ... SET TABLESPACE takes an ACCESS EXCLUSIVE lock on accounts, a table "
            "that exists before this migration, and rewrites it: it blocks reads and writes");
  EXPECT_NE(found[0].why.find("sql-altertable.html"), std::string::npos);
  EXPECT_NE(found[0].fix.find("pg_repack"), std::string::npos);
  EXPECT_EQ(findings("PG113", "ALTER TABLE accounts SET UNLOGGED;")[0].level, Level::warning);
}

TEST(StrongLock, AttachPartitionScansThePartitionItAttaches) {
  const auto found = findings(
      "PG113", "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM (1) TO (2);");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::warning);
  EXPECT_NE(found[0].message.find("ACCESS EXCLUSIVE lock on events_2026"), std::string::npos);
  EXPECT_NE(found[0].message.find("and scans it"), std::string::npos);
  EXPECT_NE(found[0].fix.find("CHECK constraint that matches the partition bound"),
            std::string::npos);
}

TEST(StrongLock, ABriefCatalogChangeUnderLockTimeoutIsANote) {
  const auto found =
      findings("PG113", "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::note);
  EXPECT_NE(found[0].message.find("to change the catalog only: it blocks reads and writes"),
            std::string::npos);
  EXPECT_NE(found[0].why.find("lock_timeout (2s)"), std::string::npos);
  const auto trigger = findings(
      "PG113", "CREATE TRIGGER audit AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION f();");
  ASSERT_EQ(trigger.size(), 1U);
  EXPECT_EQ(trigger[0].level, Level::note);
  EXPECT_NE(trigger[0].message.find("a SHARE ROW EXCLUSIVE lock"), std::string::npos);
  EXPECT_NE(trigger[0].message.find("blocks writes"), std::string::npos);
}

TEST(StrongLock, AForeignKeyOfANewTableLocksTheTableItReferencesBriefly) {
  const auto found =
      findings("PG113", "CREATE TABLE orders (id bigint, user_id bigint REFERENCES users (id));");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::note);
  EXPECT_NE(found[0].message.find("the foreign key of orders, a new table, takes a SHARE ROW "
                                  "EXCLUSIVE lock on users"),
            std::string::npos);
}

TEST(StrongLock, AForeignKeyAddedToATableNewInTheMigrationIsANoteNotAnError) {
  const Outcome outcome = lint(
      "CREATE TABLE orders (id bigint, user_id bigint);\n"
      "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users "
      "(id);");
  ASSERT_EQ(outcome.findings.size(), 1U);
  const Finding& found = outcome.findings[0];
  EXPECT_EQ(found.code, "PG113");
  EXPECT_EQ(found.level, Level::note);
  EXPECT_EQ(found.line, 5);
  EXPECT_EQ(found.message,
            "the foreign key of orders, a new table, takes a SHARE ROW EXCLUSIVE lock on users, a "
            "table that exists before this migration: it blocks writes");
  EXPECT_NE(found.why.find("orders is new, so it has no row to check against users"),
            std::string::npos);
  EXPECT_NE(found.why.find("lock_timeout (2s)"), std::string::npos);
  EXPECT_EQ(outcome.errors(), 0U);
}

TEST(StrongLock, AForeignKeyOfATableAnEarlierStepOfTheRunCreatedIsANote) {
  Options options;
  options.context.new_tables = {"public.orders"};
  const Outcome outcome =
      lint("ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);", options);
  ASSERT_EQ(outcome.findings.size(), 1U);
  EXPECT_EQ(outcome.findings[0].code, "PG113");
  EXPECT_EQ(outcome.findings[0].level, Level::note);
  // The same key on a table that exists is PG106's error, and PG113 says nothing of it.
  const Outcome live = lint("ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);");
  ASSERT_EQ(live.findings.size(), 1U);
  EXPECT_EQ(live.findings[0].code, "PG106");
  EXPECT_EQ(live.findings[0].level, Level::error);
  // Without a lock_timeout the wait is unbounded: a warning.
  Options untimed = no_lock_timeout();
  untimed.context.new_tables = {"orders"};
  const auto warned = findings(
      "PG113", "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);", untimed);
  ASSERT_EQ(warned.size(), 1U);
  EXPECT_EQ(warned[0].level, Level::warning);
}

TEST(StrongLock, WithoutLockTimeoutEvenABriefLockIsAWarning) {
  const auto found = findings("PG113", "DROP VIEW reports;", no_lock_timeout());
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::warning);
  EXPECT_NE(found[0].why.find("no lock_timeout"), std::string::npos);
}

TEST(StrongLock, SaysNothingTwiceNorOfWhatOtherRulesJudge) {
  // Forms a specific rule judges, whether it reports them or not.
  EXPECT_TRUE(findings("PG113", "ALTER TABLE accounts ADD COLUMN note text;").empty());
  EXPECT_TRUE(findings("PG113",
                       "ALTER TABLE accounts ADD CONSTRAINT fk FOREIGN KEY (u) "
                       "REFERENCES users (id) NOT VALID;")
                  .empty());
  EXPECT_TRUE(findings("PG113", "CREATE INDEX accounts_email_idx ON accounts (email);").empty());
  EXPECT_TRUE(findings("PG113", "DROP TABLE accounts;").empty());
  EXPECT_TRUE(findings("PG113", "REFRESH MATERIALIZED VIEW CONCURRENTLY totals;").empty());
  // A statement another rule reported gets no second finding, whatever else it does.
  const Outcome both = lint(
      "ALTER TABLE accounts ADD COLUMN id2 uuid DEFAULT gen_random_uuid(), "
      "ALTER COLUMN plan SET DEFAULT 'free';");
  ASSERT_EQ(both.findings.size(), 1U);
  EXPECT_EQ(both.findings[0].code, "PG103");
  // With no lock_timeout, PG110 reports the ALTER TABLE; PG113 stays quiet.
  const Outcome untimed =
      lint("ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';", no_lock_timeout());
  ASSERT_EQ(untimed.findings.size(), 1U);
  EXPECT_EQ(untimed.findings[0].code, "PG110");
}

TEST(StrongLock, NotReportedForNewTablesOrWeakLocks) {
  EXPECT_TRUE(findings("PG113",
                       "CREATE TABLE t (id bigint);\nCREATE TRIGGER a AFTER INSERT ON t "
                       "FOR EACH ROW EXECUTE FUNCTION f();")
                  .empty());
  EXPECT_TRUE(findings("PG113", "ALTER TABLE accounts ALTER COLUMN a SET STATISTICS 500;").empty());
  EXPECT_TRUE(findings("PG113", "COMMENT ON TABLE accounts IS 'x';").empty());
  EXPECT_TRUE(findings("PG113", "ALTER TABLE accounts VALIDATE CONSTRAINT c;").empty());
  EXPECT_TRUE(findings("PG113", "GRANT SELECT ON accounts TO reader;").empty());
  EXPECT_TRUE(findings("PG113",
                       "CREATE TABLE t (id bigint);\nCREATE TABLE u (t_id bigint "
                       "REFERENCES t (id));")
                  .empty());
}

}  // namespace
}  // namespace retort::lint
