// Tests of building the revision graph: structure queries, branch labels, and every problem
// build() reports, with the words a user reads.
#include "graph/revision_map.hpp"

#include "graph/graph_test_util.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace retort::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::must_build;
using testing::rev;

// abcd01 -> abcd02 (alpha) -> abcd03
//        \-> bcde01 (beta) -> bcde02
std::vector<Revision> two_branches() {
  return {rev("abcd01"), rev("abcd02", {"abcd01"}, {}, {"alpha"}), rev("abcd03", {"abcd02"}),
          rev("bcde01", {"abcd01"}, {}, {"beta"}), rev("bcde02", {"bcde01"})};
}

std::vector<GraphProblem> problems_of(std::vector<Revision> revisions) {
  auto built = RevisionMap::build(std::move(revisions));
  EXPECT_FALSE(built.ok()) << "the graph should not build";
  if (built) return {};
  return std::move(built).error();
}

TEST(RevisionMapBuild, EmptyGraphHasNoHeadsOrBases) {
  RevisionMap map = must_build({});
  EXPECT_EQ(map.size(), 0u);
  EXPECT_THAT(map.heads(), IsEmpty());
  EXPECT_THAT(map.bases(), IsEmpty());
}

TEST(RevisionMapBuild, LinearChainHasOneHeadAndOneBase) {
  RevisionMap map = must_build({rev("c3", {"b2"}), rev("a1"), rev("b2", {"a1"})});
  EXPECT_EQ(map.size(), 3u);
  EXPECT_THAT(map.heads(), ElementsAre("c3"));
  EXPECT_THAT(map.bases(), ElementsAre("a1"));
  EXPECT_THAT(map.children("a1"), ElementsAre("b2"));
  EXPECT_THAT(map.children("c3"), IsEmpty());
  EXPECT_THAT(map.branch_points(), IsEmpty());
  ASSERT_NE(map.find("b2"), nullptr);
  EXPECT_THAT(map.find("b2")->down_revisions, ElementsAre("a1"));
  EXPECT_EQ(map.find("b"), nullptr) << "find() takes exact ids only";
}

TEST(RevisionMapBuild, BranchesAndMergePoints) {
  std::vector<Revision> revisions = two_branches();
  revisions.push_back(rev("cdef01", {"abcd03", "bcde02"}));
  RevisionMap map = must_build(std::move(revisions));
  EXPECT_THAT(map.heads(), ElementsAre("cdef01"));
  EXPECT_THAT(map.bases(), ElementsAre("abcd01"));
  EXPECT_THAT(map.branch_points(), ElementsAre("abcd01"));
  EXPECT_THAT(map.children("abcd01"), ElementsAre("abcd02", "bcde01"));
  EXPECT_TRUE(map.is_merge_point("cdef01"));
  EXPECT_FALSE(map.is_merge_point("abcd01"));
  EXPECT_FALSE(map.is_merge_point("nope"));
}

TEST(RevisionMapBuild, DependenciesDoNotMakeChildrenOrHideHeads) {
  // As in Alembic, `heads` lists revisions with no versioned child; a dependency target stays a
  // head of its own branch.
  RevisionMap map = must_build({rev("aaaa01"), rev("bbbb01", {}, {"aaaa01"})});
  EXPECT_THAT(map.heads(), ElementsAre("aaaa01", "bbbb01"));
  EXPECT_THAT(map.bases(), ElementsAre("aaaa01", "bbbb01"));
  EXPECT_THAT(map.children("aaaa01"), IsEmpty());
}

TEST(RevisionMapBuild, BranchLabelsReachDescendantsAndAncestorsUpToTheBranchPoint) {
  RevisionMap map = must_build(two_branches());
  EXPECT_THAT(map.branch_labels_of("abcd01"), IsEmpty()) << "a branch point belongs to neither";
  EXPECT_THAT(map.branch_labels_of("abcd02"), ElementsAre("alpha"));
  EXPECT_THAT(map.branch_labels_of("abcd03"), ElementsAre("alpha"));
  EXPECT_THAT(map.branch_labels_of("bcde02"), ElementsAre("beta"));
  EXPECT_THAT(map.branch_labels_of("unknown"), IsEmpty());
}

TEST(RevisionMapBuild, LabelDeclaredMidBranchLabelsTheWholeLine) {
  RevisionMap map =
      must_build({rev("a1"), rev("a2", {"a1"}), rev("a3", {"a2"}, {}, {"core", "main"})});
  EXPECT_THAT(map.branch_labels_of("a1"), ElementsAre("core", "main"));
  EXPECT_THAT(map.branch_labels_of("a3"), ElementsAre("core", "main"));
}

TEST(RevisionMapBuild, LabelsStopAtMergePoints) {
  RevisionMap map =
      must_build({rev("a1"), rev("b1"), rev("m1", {"a1", "b1"}), rev("m2", {"m1"}, {}, {"after"})});
  EXPECT_THAT(map.branch_labels_of("m2"), ElementsAre("after"));
  EXPECT_THAT(map.branch_labels_of("m1"), IsEmpty());
  EXPECT_THAT(map.branch_labels_of("a1"), IsEmpty());
}

TEST(RevisionMapProblems, DuplicateRevision) {
  auto problems = problems_of({rev("a1"), rev("a1"), rev("b1", {"a1"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::duplicate_revision);
  EXPECT_EQ(problems[0].revision, "a1");
  EXPECT_EQ(problems[0].message, "Revision a1 is declared 2 times.");
}

TEST(RevisionMapProblems, MissingParent) {
  auto problems = problems_of({rev("a1"), rev("b1", {"zz9"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::missing_parent);
  EXPECT_EQ(problems[0].revision, "b1");
  EXPECT_THAT(problems[0].revisions, ElementsAre("zz9"));
  EXPECT_EQ(problems[0].message, "Revision b1 revises zz9, which is not a known revision.");
}

TEST(RevisionMapProblems, MissingDependency) {
  auto problems = problems_of({rev("a1"), rev("b1", {"a1"}, {"nowhere"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::missing_dependency);
  EXPECT_EQ(problems[0].message,
            "Revision b1 depends on nowhere, which is neither a revision nor a branch label.");
}

TEST(RevisionMapProblems, AmbiguousDependencyPrefix) {
  auto problems = problems_of({rev("abcd01"), rev("abcd02"), rev("b1", {}, {"abcd"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::missing_dependency);
  EXPECT_EQ(problems[0].message,
            "Revision b1 depends on abcd, which is the start of several revisions: abcd01 and "
            "abcd02.");
}

TEST(RevisionMapBuild, DependencyByLabelOrPrefix) {
  RevisionMap map = must_build(
      {rev("abcd01", {}, {}, {"core"}), rev("bcde01", {}, {"core"}), rev("cdef01", {}, {"abcd"})});
  auto resolved = map.resolve("heads");
  ASSERT_TRUE(resolved.ok());
  EXPECT_THAT(*resolved, ElementsAre("bcde01", "cdef01"))
      << "`heads` leaves out revisions that others depend on, as Alembic's real heads";
}

TEST(RevisionMapProblems, CycleIsListedInOrder) {
  auto problems =
      problems_of({rev("base1"), rev("c1", {"c3"}), rev("c2", {"c1"}), rev("c3", {"c2"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::cycle);
  EXPECT_THAT(problems[0].revisions, ElementsAre("c1", "c3", "c2"));
  EXPECT_EQ(problems[0].message,
            "Revisions c1, c3 and c2 form a cycle: c1 revises c3, c3 revises c2 and c2 revises "
            "c1.");
}

TEST(RevisionMapProblems, SelfLoop) {
  auto problems = problems_of({rev("a1", {"a1"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::cycle);
  EXPECT_EQ(problems[0].message, "Revision a1 revises itself.");
}

TEST(RevisionMapProblems, DependencyCycle) {
  auto problems = problems_of({rev("a1", {}, {"b2"}), rev("b1"), rev("b2", {"b1"}, {"a1"})});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::cycle);
  EXPECT_THAT(problems[0].revisions, ElementsAre("a1", "b2"));
  EXPECT_EQ(problems[0].message,
            "Dependencies of a1 and b2 form a cycle: a1 depends on b2 and b2 depends on a1.");
}

TEST(RevisionMapProblems, DuplicateLabelAndLabelCollidingWithARevision) {
  auto problems = problems_of(
      {rev("a1", {}, {}, {"core"}), rev("b1", {}, {}, {"core"}), rev("c1", {}, {}, {"a1"})});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].kind, GraphProblem::Kind::duplicate_label);
  EXPECT_EQ(problems[0].message,
            "Branch label 'core' is declared by both revision a1 and revision b1.");
  EXPECT_EQ(problems[1].kind, GraphProblem::Kind::label_collides);
  EXPECT_EQ(problems[1].message, "Branch label 'a1' of revision c1 is also the id of revision a1.");
}

TEST(RevisionMapProblems, EveryProblemIsReportedAtOnce) {
  auto problems = problems_of({rev("a1"), rev("a1"), rev("b1", {"gone"}), rev("c1", {}, {"x"}),
                               rev("d1", {"d2"}), rev("d2", {"d1"})});
  std::vector<GraphProblem::Kind> kinds;
  for (const auto& problem : problems) kinds.push_back(problem.kind);
  EXPECT_THAT(
      kinds, ElementsAre(GraphProblem::Kind::duplicate_revision, GraphProblem::Kind::missing_parent,
                         GraphProblem::Kind::missing_dependency, GraphProblem::Kind::cycle));
}

}  // namespace
}  // namespace retort::graph
