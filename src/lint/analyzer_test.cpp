#include "lint/analyzer.hpp"

#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

TEST(Rules, HaveUniqueCodesInOrderAndSayWhatTheyFind) {
  std::string previous;
  for (const Rule* rule : all_rules()) {
    EXPECT_GT(std::string(rule->code), previous);
    EXPECT_EQ(rule->code.size(), 5U) << rule->code;
    EXPECT_FALSE(rule->name.empty()) << rule->code;
    EXPECT_FALSE(rule->summary.empty()) << rule->code;
    EXPECT_NE(rule->check, nullptr) << rule->code;
    EXPECT_EQ(find_rule(rule->code), rule);
    previous = std::string(rule->code);
  }
  EXPECT_EQ(find_rule("PG999"), nullptr);
}

TEST(LintIgnore, AcceptsAFindingWithItsReason) {
  test::Options options;
  options.header = "-- retort:lint-ignore PG101 -- the table has 40 rows\n";
  const Outcome outcome = test::lint("CREATE INDEX i ON accounts (email);", options);
  ASSERT_EQ(outcome.findings.size(), 1U);
  EXPECT_EQ(outcome.findings[0].ignored, "the table has 40 rows");
  EXPECT_EQ(outcome.errors(), 0U);
  EXPECT_TRUE(outcome.problems.empty());
  EXPECT_TRUE(outcome.unused_ignores.empty());
}

TEST(LintIgnore, AnUnknownCodeIsAProblemWithTheNearestCode) {
  test::Options options;
  options.header = "-- retort:lint-ignore PG110 PG1O1 -- typo\n";
  const Outcome outcome = test::lint("CREATE INDEX i ON accounts (email);", options);
  ASSERT_EQ(outcome.problems.size(), 1U);
  EXPECT_EQ(outcome.problems[0].where.line, 2);
  EXPECT_NE(outcome.problems[0].message.find("PG1O1"), std::string::npos);
  EXPECT_NE(outcome.problems[0].fix.find("PG101"), std::string::npos);
  EXPECT_EQ(outcome.errors(), 1U);  // the typo hides nothing
}

TEST(LintIgnore, AnIgnoreThatAcceptsNothingIsListed) {
  test::Options options;
  options.header = "-- retort:lint-ignore PG203 -- dropped on purpose\n";
  const Outcome outcome = test::lint("CREATE TABLE t (id bigint);", options);
  ASSERT_EQ(outcome.unused_ignores.size(), 1U);
  EXPECT_EQ(outcome.unused_ignores[0], "versions/abc123_test.sql:2: PG203");
}

TEST(Analyzer, ASyntaxErrorIsAProblemAtItsLine) {
  const Outcome outcome = test::lint("CREATE TABLE t (id bigint);\nCREATE TABLEE u ();");
  ASSERT_EQ(outcome.problems.size(), 1U);
  EXPECT_EQ(outcome.problems[0].where.line, 5);
}

TEST(Analyzer, CountsStatements) {
  EXPECT_EQ(test::lint("CREATE TABLE t (id bigint);\nSELECT 1;").statements, 2U);
}

TEST(Pass, LockTimeoutFollowsSetStatements) {
  script::Migration migration;
  migration.upgrade.text = "";
  std::vector<script::Statement> sources(4);
  sources[0].sql = "SET lock_timeout = '5s'";
  sources[1].sql = "SET LOCAL lock_timeout TO 250";
  sources[2].sql = "RESET lock_timeout";
  sources[3].sql = "SELECT 1";
  std::vector<sql::Tree> trees;
  std::vector<Stmt> stmts;
  for (std::size_t idx = 0; idx < sources.size(); ++idx) {
    trees.push_back(sql::parse_tree(sources[idx].sql));
    stmts.push_back(Stmt{&sources[idx], trees.back()->stmts[0]->stmt, idx});
  }
  const Context context = test::Options::defaults();
  const Pass pass(migration, stmts, context, {});
  EXPECT_EQ(pass.lock_timeout_at(0), std::chrono::seconds(2));
  EXPECT_EQ(pass.lock_timeout_at(1), std::chrono::seconds(5));
  EXPECT_EQ(pass.lock_timeout_at(2), std::chrono::milliseconds(250));
  EXPECT_EQ(pass.lock_timeout_at(3), std::chrono::milliseconds(0));
  migration.lock_timeout = std::chrono::milliseconds(700);
  EXPECT_EQ(pass.lock_timeout_at(0), std::chrono::milliseconds(700));
}

}  // namespace
}  // namespace retort::lint
