// Squashes: the main graph with a squash in place of what it replaces, the old graph, the
// load errors, and adoption plans for every place a database can be.
#include "graph/squash.hpp"

#include "graph/graph_test_util.hpp"

#include <gtest/gtest.h>

namespace retort::graph {
namespace {

using testing::join_ids;
using testing::rev;

Revision squash(std::string id, std::vector<std::string> replaces,
                std::vector<std::string> down = {}, std::vector<std::string> labels = {}) {
  Revision out = rev(std::move(id), std::move(down), {}, std::move(labels));
  out.replaces = std::move(replaces);
  return out;
}

struct Split {
  Squashes squashes;
  RevisionMap map;
};

Split must_split(std::vector<Revision> revisions) {
  auto squashes = Squashes::split(revisions);
  if (!squashes) {
    std::string all;
    for (const GraphProblem& problem : squashes.error()) all += problem.message + "\n";
    ADD_FAILURE() << all;
    std::abort();
  }
  return {std::move(squashes).value(), testing::must_build(std::move(revisions))};
}

std::vector<GraphProblem> problems_of(std::vector<Revision> revisions) {
  auto squashes = Squashes::split(revisions);
  EXPECT_FALSE(squashes.ok());
  return squashes ? std::vector<GraphProblem>{} : squashes.error();
}

std::string steps_text(const Plan& plan) {
  std::string out;
  for (const Step& step : plan.steps) {
    out += (out.empty() ? "" : " ") +
           std::string(step.direction == Direction::stamp ? "stamp:" : "up:") + step.revision;
  }
  return out;
}

// a1 <- b2 <- c3 <- d4, and S replacing a1 b2 c3.
std::vector<Revision> linear(bool retired) {
  std::vector<Revision> out{rev("d4", {"c3"}), squash("s0", {"a1", "b2", "c3"}, {}, {"main"})};
  if (!retired) {
    out.push_back(rev("a1", {}, {}, {"main"}));
    out.push_back(rev("b2", {"a1"}));
    out.push_back(rev("c3", {"b2"}));
  }
  return out;
}

TEST(Squash, MainGraphHasTheSquashInPlaceOfWhatItReplaces) {
  for (const bool retired : {false, true}) {
    const Split split = must_split(linear(retired));
    EXPECT_EQ(join_ids(split.map.bases()), "s0");
    EXPECT_EQ(join_ids(split.map.heads()), "d4");
    EXPECT_EQ(join_ids(split.map.children("s0")), "d4");
    EXPECT_EQ(split.map.find("b2"), nullptr);
    EXPECT_EQ(join_ids(split.map.branch_labels_of("d4")), "main");  // no clash with a1's
    ASSERT_NE(split.squashes.replacing("b2"), nullptr);
    EXPECT_EQ(split.squashes.replacing("b2")->id, "s0");
    EXPECT_EQ(split.squashes.replacing("c3")->tip, "c3");
    EXPECT_EQ(split.squashes.replacing("d4"), nullptr);
    EXPECT_EQ(split.squashes.replacing("s0"), nullptr);
    EXPECT_EQ(join_ids(split.squashes.all().front().retired), retired ? "a1 b2 c3" : "");
    // The old graph keeps the replaced files (or bare entries for retired ones).
    EXPECT_NE(split.squashes.replaced_map().find("b2"), nullptr);
    EXPECT_EQ(join_ids(split.squashes.adopted(std::vector<std::string>{"b2"})), "s0");
  }
}

TEST(Squash, AdoptionFromEveryPlace) {
  const Split files = must_split(linear(false));
  const Squashes& squashes = files.squashes;
  EXPECT_FALSE(squashes.plan_adoption({}).needed());
  EXPECT_FALSE(squashes.plan_adoption(std::vector<std::string>{"d4"}).needed());
  Adoption at_tip = squashes.plan_adoption(std::vector<std::string>{"c3"});
  EXPECT_EQ(steps_text(at_tip.plan), "stamp:s0");
  EXPECT_EQ(at_tip.plan.steps[0].reason, "squash s0 replaces 3 revisions");
  EXPECT_EQ(at_tip.plan.steps[0].version_ops[0].from, "c3");
  EXPECT_EQ(join_ids(at_tip.plan.heads_after), "s0");
  Adoption inside = squashes.plan_adoption(std::vector<std::string>{"a1"});
  EXPECT_EQ(steps_text(inside.plan), "up:b2 up:c3 stamp:s0");
  EXPECT_TRUE(inside.stragglers.empty());

  const Split retired = must_split(linear(true));
  EXPECT_EQ(steps_text(retired.squashes.plan_adoption(std::vector<std::string>{"c3"}).plan),
            "stamp:s0");
  const Adoption straggler = retired.squashes.plan_adoption(std::vector<std::string>{"b2"});
  ASSERT_EQ(straggler.stragglers.size(), 1U);
  EXPECT_EQ(straggler.stragglers[0].row, "b2");
  EXPECT_EQ(straggler.stragglers[0].squash, "s0");
  EXPECT_TRUE(straggler.plan.steps.empty());
}

TEST(Squash, PartlyRetiredFollowsOnlyWhatIsThere) {
  std::vector<Revision> revisions = linear(true);
  revisions.push_back(rev("c3", {"b2"}));
  const Split split = must_split(std::move(revisions));
  // b2 is gone: a database at a1 cannot reach c3.
  const Adoption at_a1 = split.squashes.plan_adoption(std::vector<std::string>{"a1"});
  ASSERT_EQ(at_a1.stragglers.size(), 1U);
  EXPECT_EQ(join_ids(at_a1.stragglers[0].missing), "a1");
}

TEST(Squash, BranchySetWithAMergeAndADependencyOntoTheTip) {
  // a1 <- (b2, x2) <- m3 (merge), replaced by s0; y4 depends on m3 from another branch.
  std::vector<Revision> revisions{rev("a1"),
                                  rev("b2", {"a1"}),
                                  rev("x2", {"a1"}),
                                  rev("m3", {"b2", "x2"}),
                                  squash("s0", {"a1", "b2", "x2", "m3"}),
                                  rev("o1"),
                                  rev("y4", {"o1"}, {"m3"}),
                                  rev("z5", {"m3"})};
  const Split split = must_split(std::move(revisions));
  EXPECT_EQ(join_ids(split.map.find("y4")->depends_on), "s0");
  EXPECT_EQ(join_ids(split.map.find("z5")->down_revisions), "s0");
  const Adoption two_rows = split.squashes.plan_adoption(std::vector<std::string>{"b2", "o1"});
  EXPECT_EQ(steps_text(two_rows.plan), "up:x2 up:m3 stamp:s0");
  EXPECT_EQ(join_ids(two_rows.plan.heads_after), "o1 s0");
  EXPECT_EQ(join_ids(two_rows.plan.steps[1].heads_after), "m3 o1");
  const auto plan = split.map.plan_upgrade(two_rows.plan.heads_after, "heads");
  ASSERT_TRUE(plan.ok());
}

TEST(Squash, NestedRetiredSquashIsReplacedToo) {
  // s1 replaced a1 b2 (retired); s2 replaces s1 c3; d4 revises c3.
  std::vector<Revision> revisions{squash("s1", {"a1", "b2"}), rev("c3", {"s1"}),
                                  squash("s2", {"s1", "c3"}), rev("d4", {"c3"})};
  const Split split = must_split(std::move(revisions));
  EXPECT_EQ(split.squashes.all().size(), 1U);
  EXPECT_EQ(split.squashes.replacing("a1")->id, "s2");
  EXPECT_EQ(join_ids(split.map.bases()), "s2");
  // A database at b2 adopted nothing yet: it adopts s1, runs c3, adopts s2.
  const Adoption at_b2 = split.squashes.plan_adoption(std::vector<std::string>{"b2"});
  EXPECT_EQ(steps_text(at_b2.plan), "stamp:s1 up:c3 stamp:s2");
  EXPECT_EQ(at_b2.plan.steps[0].reason, "squash s1 replaces 2 revisions");
  EXPECT_FALSE(split.squashes.plan_adoption(std::vector<std::string>{"a1"}).stragglers.empty());
}

TEST(Squash, LoadErrors) {
  using Kind = GraphProblem::Kind;
  // A reference to an interior replaced id.
  std::vector<Revision> interior = linear(false);
  interior.push_back(rev("e5", {"b2"}));
  auto problems = problems_of(std::move(interior));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].kind, Kind::replaced_reference);
  EXPECT_EQ(problems[0].revision, "e5");
  EXPECT_EQ(problems[0].message,
            "Revision e5 revises b2, which squash s0 replaces; only its last revision c3 stands "
            "for s0.");
  // Itself.
  problems = problems_of({squash("s0", {"a1", "s0"})});
  EXPECT_EQ(problems.at(0).kind, Kind::replaces_itself);
  problems = problems_of({rev("a1"), squash("s0", {"a1"}, {"a1"})});
  EXPECT_EQ(problems.at(0).kind, Kind::replaces_itself);
  // Twice.
  problems = problems_of({squash("s0", {"a1", "b2"}), squash("t0", {"b2", "c3"})});
  EXPECT_EQ(problems.at(0).kind, Kind::replaced_twice);
  EXPECT_EQ(problems.at(0).revisions.at(0), "b2");
  // Over a squash whose files are still there.
  problems = problems_of({rev("a1"), squash("s1", {"a1"}), squash("s2", {"s1"})});
  EXPECT_EQ(problems.at(0).kind, Kind::squash_not_retired);
  EXPECT_EQ(problems.at(0).revision, "s2");
  // The tip is not last.
  problems = problems_of({rev("a1"), rev("b2", {"a1"}), squash("s0", {"b2", "a1"})});
  EXPECT_EQ(problems.at(0).kind, Kind::tip_not_last);
  EXPECT_EQ(problems.at(0).message,
            "Squash s0 replaces b2, which comes after a1, the last revision it lists (its tip).");
  // A replaced revision hanging off something the squash does not revise.
  problems = problems_of({rev("o1"), rev("a1", {"o1"}), squash("s0", {"a1"})});
  EXPECT_EQ(problems.at(0).kind, Kind::replaced_outside);
}

}  // namespace
}  // namespace retort::graph
