// Property tests over thousands of random revision graphs (fixed seed), and the size tests:
// 10,000 revisions in a line and in branches with merges.
#include "graph/graph_test_util.hpp"
#include "graph/revision_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

namespace retort::graph {
namespace {

using testing::join_ids;
using testing::random_graph;
using testing::RandomGraph;
using testing::rev;
using Heads = std::vector<std::string>;

// What the version table must hold for an applied set: the applied revisions that no applied
// revision revises or depends on.
class Model {
 public:
  explicit Model(const std::vector<Revision>& revisions) {
    for (const Revision& revision : revisions) m_by_id[revision.id] = &revision;
  }
  [[nodiscard]] std::vector<std::string> rows(const std::set<std::string>& applied) const {
    std::set<std::string> covered;
    for (const std::string& id : applied) {
      const Revision* revision = m_by_id.at(id);
      covered.insert(revision->down_revisions.begin(), revision->down_revisions.end());
      covered.insert(revision->depends_on.begin(), revision->depends_on.end());
    }
    std::vector<std::string> out;
    for (const std::string& id : applied)
      if (!covered.count(id)) out.push_back(id);
    return out;
  }
  [[nodiscard]] const Revision& at(const std::string& id) const { return *m_by_id.at(id); }
  // The applied set the rows stand for: the rows and all they need.
  [[nodiscard]] std::set<std::string> closure(const std::vector<std::string>& rows) const {
    std::set<std::string> out;
    std::vector<std::string> todo(rows);
    while (!todo.empty()) {
      std::string id = todo.back();
      todo.pop_back();
      if (!out.insert(id).second) continue;
      const Revision& revision = at(id);
      todo.insert(todo.end(), revision.down_revisions.begin(), revision.down_revisions.end());
      todo.insert(todo.end(), revision.depends_on.begin(), revision.depends_on.end());
    }
    return out;
  }

 private:
  std::map<std::string, const Revision*> m_by_id;
};

// Replays a plan on the model, checking order and rows after every step.
::testing::AssertionResult replay(const Model& model, const Plan& plan,
                                  std::set<std::string>& applied) {
  for (const Step& step : plan.steps) {
    const Revision& revision = model.at(step.revision);
    if (step.direction == Direction::upgrade) {
      if (applied.count(step.revision))
        return ::testing::AssertionFailure() << step.revision << " is applied twice";
      for (const auto* needs : {&revision.down_revisions, &revision.depends_on})
        for (const std::string& need : *needs)
          if (!applied.count(need))
            return ::testing::AssertionFailure()
                   << step.revision << " runs before " << need << ", which it needs";
      applied.insert(step.revision);
    } else {
      if (!applied.erase(step.revision))
        return ::testing::AssertionFailure() << step.revision << " is not applied";
      for (const std::string& other : applied) {
        const Revision& dependent = model.at(other);
        for (const auto* needs : {&dependent.down_revisions, &dependent.depends_on})
          if (std::find(needs->begin(), needs->end(), step.revision) != needs->end())
            return ::testing::AssertionFailure()
                   << step.revision << " is downgraded before " << other << ", which needs it";
      }
    }
    const std::vector<std::string> expected = model.rows(applied);
    if (step.heads_after != expected)
      return ::testing::AssertionFailure()
             << "after " << step.revision << " the rows are [" << join_ids(step.heads_after)
             << "], expected [" << join_ids(expected) << "]";
  }
  if (plan.heads_after != model.rows(applied))
    return ::testing::AssertionFailure() << "plan.heads_after differs from the last step";
  return ::testing::AssertionSuccess();
}

TEST(GraphProperties, RandomGraphsUpgradeAndDowngradeConsistently) {
  std::mt19937 rng(20240611);
  constexpr int k_graphs = 3000;
  for (int graph_idx = 0; graph_idx < k_graphs; ++graph_idx) {
    std::uniform_int_distribution<std::size_t> sizes(1, 24);
    RandomGraph graph = random_graph(rng, sizes(rng));
    SCOPED_TRACE("graph " + std::to_string(graph_idx));
    auto built = RevisionMap::build(graph.revisions);
    ASSERT_TRUE(built.ok()) << built.error().front().message;
    const RevisionMap& map = *built;
    Model model(graph.revisions);

    // Upgrade to a random revision, then to every head, then down to a random revision, then
    // down to base.
    std::uniform_int_distribution<std::size_t> pick(0, graph.revisions.size() - 1);
    std::set<std::string> applied;
    const std::string middle = graph.revisions[pick(rng)].id;
    auto first = map.plan_upgrade({}, middle);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_TRUE(replay(model, *first, applied)) << "upgrade to " << middle;
    EXPECT_EQ(applied, model.closure({middle}));

    auto all = map.plan_upgrade(first->heads_after, "heads");
    ASSERT_TRUE(all.ok()) << all.error().message;
    ASSERT_TRUE(replay(model, *all, applied)) << "upgrade heads";
    EXPECT_EQ(applied.size(), graph.revisions.size()) << "every revision is applied";

    const std::string lower = graph.revisions[pick(rng)].id;
    auto partial = map.plan_downgrade(all->heads_after, lower);
    if (partial.ok()) {
      ASSERT_TRUE(replay(model, *partial, applied)) << "downgrade to " << lower;
      EXPECT_TRUE(applied.count(lower)) << lower << " stays applied";
    } else {
      // Only a target with nothing above it in the applied set is refused... and never that.
      ADD_FAILURE() << "downgrade to " << lower << ": " << partial.error().message;
    }

    auto rows = model.rows(applied);
    auto to_base = map.plan_downgrade(rows, "base");
    ASSERT_TRUE(to_base.ok()) << to_base.error().message;
    ASSERT_TRUE(replay(model, *to_base, applied)) << "downgrade base";
    EXPECT_TRUE(applied.empty());
    EXPECT_TRUE(to_base->heads_after.empty());

    // Every revision and its prefix resolves to itself; history lists everything once.
    for (const Revision& revision : graph.revisions) {
      auto found = map.resolve(revision.id.substr(0, 6));
      ASSERT_TRUE(found.ok());
      ASSERT_EQ(found->size(), 1u);
      EXPECT_EQ(found->front(), revision.id);
    }
    // A branch's head upgrades on its own, or names the heads it cannot choose between.
    for (const Revision& revision : graph.revisions) {
      for (const std::string& label : revision.branch_labels) {
        auto branch = map.plan_upgrade({}, label + "@head");
        if (!branch) {
          EXPECT_EQ(branch.error().kind, TargetError::Kind::multiple_heads)
              << branch.error().message;
          EXPECT_GT(branch.error().candidates.size(), 1u);
          continue;
        }
        std::set<std::string> on_branch;
        ASSERT_TRUE(replay(model, *branch, on_branch)) << label << "@head";
        EXPECT_TRUE(on_branch.count(revision.id)) << label << "@head applies " << revision.id;
      }
    }
    auto history = map.history("");
    ASSERT_TRUE(history.ok()) << history.error().message;
    EXPECT_EQ(history->size(), graph.revisions.size());
  }
}

// 10,000 revisions: one line, or 100 branches of 100 that merge in pairs. These tests check
// the answers at that size; how fast they come is measured in bench/graph_bench.cpp, not here.
std::vector<Revision> big_line(std::size_t size) {
  std::vector<Revision> out;
  for (std::size_t rev_idx = 0; rev_idx < size; ++rev_idx) {
    char id[32];
    std::snprintf(id, sizeof id, "r%07zu", rev_idx);
    out.push_back(rev(id));
    if (rev_idx > 0) out.back().down_revisions.push_back(out[rev_idx - 1].id);
  }
  return out;
}

std::vector<Revision> big_branchy() {
  std::vector<Revision> out;
  out.push_back(rev("root0000"));
  std::vector<std::string> tips;
  for (int branch = 0; branch < 100; ++branch) {
    std::string parent = "root0000";
    for (int depth = 0; depth < 99; ++depth) {
      char id[32];
      std::snprintf(id, sizeof id, "b%03dd%03d", branch, depth);
      out.push_back(rev(id, {parent}));
      if (depth == 50 && branch > 0) out.back().depends_on.push_back("b000d050");
      parent = id;
    }
    tips.push_back(parent);
  }
  for (std::size_t pair = 0; pair + 1 < tips.size(); pair += 2) {
    out.push_back(rev("m" + std::to_string(1000 + pair), {tips[pair], tips[pair + 1]}));
  }
  return out;
}

TEST(GraphSize, TenThousandInALine) {
  std::vector<Revision> revisions = big_line(10000);
  auto built = RevisionMap::build(revisions);
  ASSERT_TRUE(built.ok());
  auto heads = built->heads();
  EXPECT_EQ(heads, Heads{"r0009999"});

  auto resolved = built->resolve("r000500");
  ASSERT_FALSE(resolved.ok()) << "a prefix of ten revisions is ambiguous";

  auto plan = built->plan_upgrade({}, "head");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->steps.size(), 10000u);

  auto down = built->plan_downgrade(plan->heads_after, "base");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->steps.size(), 10000u);
}

TEST(GraphSize, TenThousandInBranchesWithMerges) {
  std::vector<Revision> revisions = big_branchy();
  auto built = RevisionMap::build(revisions);
  ASSERT_TRUE(built.ok()) << built.error().front().message;
  auto heads = built->heads();
  EXPECT_EQ(heads.size(), 50u);

  auto resolved = built->resolve("b042d017@head");
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, Heads{"m1042"});

  auto plan = built->plan_upgrade({}, "heads");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->steps.size(), revisions.size());
  EXPECT_EQ(plan->heads_after.size(), 50u);

  auto down = built->plan_downgrade(plan->heads_after, "base");
  ASSERT_TRUE(down.ok()) << down.error().message;
  EXPECT_EQ(down->steps.size(), revisions.size());
  EXPECT_TRUE(down->heads_after.empty());
}

}  // namespace
}  // namespace retort::graph
