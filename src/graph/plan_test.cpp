// Planning tests: steps and version-table changes across branches, merges and depends_on, as
// Alembic's HeadMaintainer writes them, and regressions named after Alembic's issues.
#include "graph/graph_test_util.hpp"
#include "graph/revision_map.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace retort::graph {
namespace {

using testing::describe;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::must_build;
using testing::rev;
using Heads = std::vector<std::string>;
using Kind = TargetError::Kind;

// abcd01 -> abcd02 (alpha) -> abcd03
//        \-> bcde01 (beta) -> bcde02
std::vector<Revision> two_branches() {
  return {rev("abcd01"), rev("abcd02", {"abcd01"}, {}, {"alpha"}), rev("abcd03", {"abcd02"}),
          rev("bcde01", {"abcd01"}, {}, {"beta"}), rev("bcde02", {"bcde01"})};
}

std::vector<Revision> merged() {
  std::vector<Revision> revisions = two_branches();
  revisions.push_back(rev("cdef01", {"abcd03", "bcde02"}));
  return revisions;
}

// Branch a: a1 -> a2 -> a3. Branch b, its own base: b1 -> b2 -> b3, where b2 and b3 both
// depend on a2 (b3's dependency is implied by b2's).
std::vector<Revision> dependent_branches() {
  return {rev("a1", {}, {}, {"brancha"}), rev("a2", {"a1"}),         rev("a3", {"a2"}),
          rev("b1", {}, {}, {"branchb"}), rev("b2", {"b1"}, {"a2"}), rev("b3", {"b2"}, {"a2"})};
}

Plan must_plan(const base::Result<Plan, TargetError>& result) {
  if (!result) {
    ADD_FAILURE() << "planning failed: " << result.error().message;
    return {};
  }
  return result.value();
}

TEST(PlanUpgrade, LinearFromBase) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"}), rev("a3", {"a2"})});
  Plan plan = must_plan(map.plan_upgrade({}, "head"));
  EXPECT_THAT(plan.heads_before, IsEmpty());
  EXPECT_THAT(plan.heads_after, ElementsAre("a3"));
  EXPECT_THAT(describe(plan),
              ElementsAre("up a1: insert a1 | heads a1", "up a2: update a1->a2 | heads a2",
                          "up a3: update a2->a3 | heads a3"));
}

TEST(PlanUpgrade, AtHeadIsEmpty) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"})});
  Plan plan = must_plan(map.plan_upgrade(Heads{"a2"}, "head"));
  EXPECT_THAT(plan.steps, IsEmpty());
  EXPECT_THAT(plan.heads_after, ElementsAre("a2"));
}

TEST(PlanUpgrade, ToAnAncestorDoesNothingAsInAlembic) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"})});
  Plan plan = must_plan(map.plan_upgrade(Heads{"a2"}, "a1"));
  EXPECT_THAT(plan.steps, IsEmpty());
}

TEST(PlanUpgrade, HeadsWalksOneBranchThenTheOtherAsAlembic) {
  RevisionMap map = must_build(two_branches());
  Plan plan = must_plan(map.plan_upgrade({}, "heads"));
  EXPECT_THAT(describe(plan),
              ElementsAre("up abcd01: insert abcd01 | heads abcd01",
                          "up bcde01: update abcd01->bcde01 | heads bcde01",
                          "up bcde02: update bcde01->bcde02 | heads bcde02",
                          "up abcd02: insert abcd02 | heads abcd02 bcde02",
                          "up abcd03: update abcd02->abcd03 | heads abcd03 bcde02"));
}

TEST(PlanUpgrade, HeadWithSeveralHeadsNamesThem) {
  RevisionMap map = must_build(two_branches());
  auto plan = map.plan_upgrade({}, "head");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, Kind::multiple_heads);
  EXPECT_THAT(plan.error().candidates, ElementsAre("abcd03", "bcde02"));
}

TEST(PlanUpgrade, LabelHeadUpgradesThatBranchOnly) {
  RevisionMap map = must_build(two_branches());
  Plan plan = must_plan(map.plan_upgrade(Heads{"abcd02"}, "beta@head"));
  EXPECT_THAT(describe(plan),
              ElementsAre("up bcde01: insert bcde01 | heads abcd02 bcde01",
                          "up bcde02: update bcde01->bcde02 | heads abcd02 bcde02"));
}

TEST(PlanUpgrade, MergeRemovesOneParentRowAndMovesTheOther) {
  RevisionMap map = must_build(merged());
  Plan plan = must_plan(map.plan_upgrade(Heads{"abcd03", "bcde02"}, "head"));
  EXPECT_THAT(describe(plan),
              ElementsAre("up cdef01: remove abcd03 update bcde02->cdef01 | heads cdef01"));
}

TEST(PlanUpgrade, RelativeSteps) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"}), rev("a3", {"a2"})});
  Plan plan = must_plan(map.plan_upgrade(Heads{"a1"}, "+1"));
  EXPECT_THAT(describe(plan), ElementsAre("up a2: update a1->a2 | heads a2"));
  auto down = map.plan_upgrade(Heads{"a2"}, "-1");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, Kind::not_an_upgrade);
}

TEST(PlanUpgrade, DependenciesComeFirstAndMergeRows) {
  RevisionMap map = must_build(dependent_branches());
  Plan plan = must_plan(map.plan_upgrade({}, "heads"));
  // Alembic 1.8 gives exactly these steps and rows.
  EXPECT_THAT(
      describe(plan),
      ElementsAre("up a1: insert a1 | heads a1", "up a2: update a1->a2 | heads a2",
                  "up b1: insert b1 | heads a2 b1", "up b2: remove b1 update a2->b2 | heads b2",
                  "up b3: update b2->b3 | heads b3", "up a3: insert a3 | heads a3 b3"));
}

TEST(PlanUpgrade, UpgradeOfOneBranchPullsItsDependency) {
  RevisionMap map = must_build(dependent_branches());
  Plan plan = must_plan(map.plan_upgrade({}, "branchb@head"));
  EXPECT_THAT(plan.heads_after, ElementsAre("b3"));
  std::vector<std::string> order;
  for (const Step& step : plan.steps) order.push_back(step.revision);
  EXPECT_THAT(order, ElementsAre("a1", "a2", "b1", "b2", "b3"));
}

TEST(PlanDowngrade, ToBaseRemovesEveryRow) {
  RevisionMap map = must_build(two_branches());
  Plan plan = must_plan(map.plan_downgrade(Heads{"abcd03", "bcde02"}, "base"));
  EXPECT_THAT(describe(plan),
              ElementsAre("down abcd03: update abcd03->abcd02 | heads abcd02 bcde02",
                          "down abcd02: remove abcd02 | heads bcde02",
                          "down bcde02: update bcde02->bcde01 | heads bcde01",
                          "down bcde01: update bcde01->abcd01 | heads abcd01",
                          "down abcd01: remove abcd01 | heads "));
  EXPECT_THAT(plan.heads_after, IsEmpty());
}

TEST(PlanDowngrade, AcrossAMergeRestoresBothParents) {
  RevisionMap map = must_build(merged());
  Plan plan = must_plan(map.plan_downgrade(Heads{"cdef01"}, "abcd03"));
  EXPECT_THAT(
      describe(plan),
      ElementsAre("down cdef01: insert abcd03 update cdef01->bcde02 | heads abcd03 bcde02"));
}

TEST(PlanDowngrade, RelativeFromAMergeIsAmbiguous) {
  RevisionMap map = must_build(merged());
  auto plan = map.plan_downgrade(Heads{"cdef01"}, "-1");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, Kind::relative_range);
  EXPECT_THAT(plan.error().candidates, ElementsAre("abcd03", "bcde02"));
}

TEST(PlanDowngrade, TargetAboveTheHeadsIsNotADowngrade) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"}), rev("a3", {"a2"})});
  auto plan = map.plan_downgrade(Heads{"a1"}, "a3");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, Kind::not_a_downgrade);
  EXPECT_EQ(plan.error().message, "Target 'a3' (revision a3) is not below the current heads: a1.");
}

TEST(PlanDowngrade, LabelBaseDropsOnlyThatBranch) {
  RevisionMap map = must_build(dependent_branches());
  Plan plan = must_plan(map.plan_downgrade(Heads{"a3", "b3"}, "branchb@base"));
  EXPECT_THAT(describe(plan),
              ElementsAre("down b3: update b3->b2 | heads a3 b2",
                          "down b2: update b2->b1 | heads a3 b1", "down b1: remove b1 | heads a3"));
}

TEST(PlanDowngrade, DependencyDropsItsDependentsToo) {
  RevisionMap map = must_build(dependent_branches());
  Plan plan = must_plan(map.plan_downgrade(Heads{"a3", "b3"}, "brancha@base"));
  // Alembic 1.8 gives exactly these steps and rows.
  EXPECT_THAT(describe(plan),
              ElementsAre("down a3: remove a3 | heads b3", "down b3: update b3->b2 | heads b2",
                          "down b2: insert b1 update b2->a2 | heads a2 b1",
                          "down a2: update a2->a1 | heads a1 b1", "down a1: remove a1 | heads b1"));
}

TEST(PlanStamp, MovesRowsWithoutRunningAnything) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"}), rev("a3", {"a2"})});
  EXPECT_THAT(describe(must_plan(map.plan_stamp({}, "head", false))),
              ElementsAre("stamp a3: insert a3 | heads a3"));
  EXPECT_THAT(describe(must_plan(map.plan_stamp(Heads{"a1"}, "a3", false))),
              ElementsAre("stamp a3: update a1->a3 | heads a3"));
  EXPECT_THAT(describe(must_plan(map.plan_stamp(Heads{"a3"}, "a1", false))),
              ElementsAre("stamp a1: update a3->a1 | heads a1"));
  EXPECT_THAT(describe(must_plan(map.plan_stamp(Heads{"a3"}, "base", false))),
              ElementsAre("stamp a3: remove a3 | heads "));
  EXPECT_THAT(must_plan(map.plan_stamp(Heads{"a3"}, "a3", false)).steps, IsEmpty());
}

TEST(PlanStamp, NewBranchIsInserted) {
  RevisionMap map = must_build(two_branches());
  Plan plan = must_plan(map.plan_stamp(Heads{"abcd03"}, "bcde02", false));
  EXPECT_THAT(describe(plan), ElementsAre("stamp bcde02: insert bcde02 | heads abcd03 bcde02"));
}

TEST(PlanStamp, HeadsMovesEachBranchOwnRow) {
  RevisionMap map = must_build(two_branches());
  Plan plan = must_plan(map.plan_stamp(Heads{"abcd02", "bcde01"}, "heads", false));
  EXPECT_THAT(describe(plan),
              ElementsAre("stamp abcd03: update abcd02->abcd03 | heads abcd03 bcde01",
                          "stamp bcde02: update bcde01->bcde02 | heads abcd03 bcde02"));
}

TEST(PlanStamp, PurgeClearsUnknownRowsFirst) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"})});
  auto unpurged = map.plan_stamp(Heads{"gone99"}, "a2", false);
  ASSERT_FALSE(unpurged.ok());
  EXPECT_EQ(unpurged.error().kind, Kind::unknown_current);
  Plan plan = must_plan(map.plan_stamp(Heads{"gone99"}, "a2", true));
  EXPECT_THAT(describe(plan), ElementsAre("stamp gone99: remove gone99 | heads ",
                                          "stamp a2: insert a2 | heads a2"));
}

TEST(History, NewestFirstWithRanges) {
  RevisionMap map = must_build(two_branches());
  auto ids = [&](std::string_view range, Heads current = {}) {
    auto revisions = map.history(range, current);
    std::vector<std::string> out;
    if (!revisions) {
      out.push_back("error: " + revisions.error().message);
      return out;
    }
    for (const Revision* revision : *revisions) out.push_back(revision->id);
    return out;
  };
  EXPECT_THAT(ids(""), ElementsAre("abcd03", "abcd02", "bcde02", "bcde01", "abcd01"));
  EXPECT_THAT(ids("abcd02:"), ElementsAre("abcd03", "abcd02"));
  EXPECT_THAT(ids(":abcd02"), ElementsAre("abcd02", "abcd01"));
  EXPECT_THAT(ids("abcd01:bcde02"), ElementsAre("bcde02", "bcde01", "abcd01"));
  EXPECT_THAT(ids("beta@base:"), ElementsAre("bcde02", "bcde01", "abcd01"));
  EXPECT_THAT(ids("current:", Heads{"bcde01"}), ElementsAre("bcde02", "bcde01"));
  EXPECT_THAT(ids(":current", Heads{"bcde01"}), ElementsAre("bcde01", "abcd01"));
  EXPECT_THAT(ids("abcd03-1:abcd03"), ElementsAre("abcd03", "abcd02"));
  EXPECT_THAT(ids("abcd02"),
              ElementsAre("error: History range 'abcd02' needs a colon: LOWER:UPPER, LOWER: or "
                          ":UPPER."));
  EXPECT_THAT(ids("bcde01:abcd03"),
              ElementsAre("error: History range 'bcde01:abcd03' does not go from an ancestor to "
                          "a descendant: bcde01 is not below abcd03."));
}

// Alembic issue 765: downgrading one branch to its branch point leaves the other branch alone,
// and "-1" with several heads, which Alembic deprecated as ambiguous, is refused.
TEST(AlembicIssue, Issue765DowngradeOneBranchToTheBranchPoint) {
  RevisionMap map = must_build(two_branches());
  const Heads both{"abcd03", "bcde02"};
  EXPECT_THAT(describe(must_plan(map.plan_downgrade(both, "beta@abcd01"))),
              ElementsAre("down bcde02: update bcde02->bcde01 | heads abcd03 bcde01",
                          "down bcde01: remove bcde01 | heads abcd03"));
  EXPECT_THAT(describe(must_plan(map.plan_downgrade(both, "abcd03@abcd01"))),
              ElementsAre("down abcd03: update abcd03->abcd02 | heads abcd02 bcde02",
                          "down abcd02: remove abcd02 | heads bcde02"));
  auto ambiguous = map.plan_downgrade(both, "-1");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().kind, Kind::relative_range);
  EXPECT_THAT(ambiguous.error().candidates, ElementsAre("abcd03", "bcde02"));
  EXPECT_THAT(describe(must_plan(map.plan_downgrade(both, "bcde02@-1"))),
              ElementsAre("down bcde02: update bcde02->bcde01 | heads abcd03 bcde01"));
}

// Alembic issue 789: a downgrade across a revision that depends on another branch, whose
// ancestor depends on that branch too, must leave rows that later upgrades accept.
TEST(AlembicIssue, Issue789DowngradeWithImpliedDependencyKeepsRowsConsistent) {
  RevisionMap map = must_build(dependent_branches());
  Plan down = must_plan(map.plan_downgrade(Heads{"a3", "b3"}, "b3@-1"));
  EXPECT_THAT(describe(down), ElementsAre("down b3: update b3->b2 | heads a3 b2"));
  Plan down2 = must_plan(map.plan_downgrade(down.heads_after, "b2@-1"));
  EXPECT_THAT(describe(down2), ElementsAre("down b2: update b2->b1 | heads a3 b1"));
  Plan up = must_plan(map.plan_upgrade(down2.heads_after, "heads"));
  EXPECT_THAT(describe(up), ElementsAre("up b2: update b1->b2 | heads a3 b2",
                                        "up b3: update b2->b3 | heads a3 b3"));
}

// Alembic issue 839: "downgrade head" at head does nothing instead of failing.
TEST(AlembicIssue, Issue839DowngradeToTheCurrentHeadIsEmpty) {
  RevisionMap map = must_build({rev("a1"), rev("a2", {"a1"})});
  Plan plan = must_plan(map.plan_downgrade(Heads{"a2"}, "head"));
  EXPECT_THAT(plan.steps, IsEmpty());
  EXPECT_THAT(plan.heads_after, ElementsAre("a2"));
}

// Alembic issue 1026: a relative downgrade of a branch whose head is implied by another
// branch's head (through depends_on) finds that branch's tip.
TEST(AlembicIssue, Issue1026RelativeDowngradeOfAnImpliedBranch) {
  RevisionMap map = must_build(dependent_branches());
  Plan plan = must_plan(map.plan_downgrade(Heads{"b3"}, "brancha@-1"));
  EXPECT_THAT(describe(plan), ElementsAre("down b3: update b3->b2 | heads b2",
                                          "down b2: insert b1 update b2->a2 | heads a2 b1",
                                          "down a2: update a2->a1 | heads a1 b1"));
}

// Alembic issue 1373: where Alembic stops on an assertion, a plan fails with an error that
// says what is wrong.
TEST(AlembicIssue, Issue1373AmbiguityIsAnErrorNotAnAssertion) {
  // Two current heads on one labelled branch: Alembic asserts a single symbol.
  RevisionMap map = must_build({rev("a1", {}, {}, {"core"}), rev("a2", {"a1"}), rev("a3", {"a1"})});
  auto plan = map.plan_downgrade(Heads{"a2", "a3"}, "core@-1");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, Kind::relative_range);
  EXPECT_EQ(plan.error().message,
            "Relative target 'core@-1' is ambiguous with several current heads, a2 and a3; name "
            "the branch, e.g. a2@-1.");
  // A row the graph does not know: Alembic fails on a lookup; retort names the row.
  auto unknown = map.plan_downgrade(Heads{"a2", "zz77"}, "base");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Kind::unknown_current);
  EXPECT_THAT(unknown.error().candidates, ElementsAre("zz77"));
}

}  // namespace
}  // namespace retort::graph
