// Parity with Alembic: random graphs planned by retort and by Alembic's own RevisionMap and
// HeadMaintainer (alembic_plan.py, in memory), compared wherever Alembic is correct; where it is
// not (an assertion, a row left below another), retort's plan is judged on its own terms.
// RETORT_PARITY_GRAPHS=N compares N graphs instead of the 200 of every test run.
#include "graph/graph_test_util.hpp"
#include "graph/revision_map.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace retort::graph {
namespace {

using nlohmann::json;
using testing::random_graph;
using testing::RandomGraph;

#ifdef RETORT_PARITY_PYTHON
constexpr const char* k_python = RETORT_PARITY_PYTHON;
constexpr const char* k_script = RETORT_PARITY_SCRIPT;
#else
constexpr const char* k_python = nullptr;
constexpr const char* k_script = nullptr;
#endif

constexpr int k_default_graphs = 200;
constexpr std::size_t k_max_size = 20;

json revisions_json(const RandomGraph& graph) {
  json out = json::array();
  for (const Revision& revision : graph.revisions) {
    out.push_back({{"id", revision.id},
                   {"down", revision.down_revisions},
                   {"deps", revision.depends_on},
                   {"labels", revision.branch_labels}});
  }
  return out;
}

json plan_json(const base::Result<Plan, TargetError>& plan) {
  if (!plan) return {{"error", plan.error().message}};
  json steps = json::array();
  for (const Step& step : plan->steps) {
    json ops = json::array();
    for (const VersionOp& op : step.version_ops) {
      const char* kind = op.kind == VersionOp::Kind::insert   ? "insert"
                         : op.kind == VersionOp::Kind::update ? "update"
                                                              : "remove";
      ops.push_back({kind, op.from, op.to});
    }
    steps.push_back(
        {step.revision, step.direction == Direction::upgrade ? "upgrade" : "downgrade", ops});
  }
  return {{"steps", steps}, {"heads", plan->heads_after}};
}

struct Case {
  std::string op;
  std::vector<std::string> current;
  std::string target;
};

json run_retort(const RevisionMap& map, const Case& c) {
  if (c.op == "upgrade") return plan_json(map.plan_upgrade(c.current, c.target));
  if (c.op == "downgrade") return plan_json(map.plan_downgrade(c.current, c.target));
  auto ids = map.resolve(c.target, c.current);
  if (!ids) return {{"error", ids.error().message}};
  return {{"ids", *ids}};
}

// Alembic's failures that are real answers; the others (assertions, lookups of missing rows,
// row-count errors) are Alembic bugs that retort answers differently on purpose.
bool is_legitimate_alembic_error(const std::string& error) {
  return error.starts_with("MultipleHeads") || error.starts_with("ResolutionError") ||
         error.starts_with("RangeNotAncestorError");
}

// Alembic's rows are wrong when one row is an ancestor of another.
bool rows_are_heads(const RevisionMap& map, const std::vector<std::string>& rows) {
  std::set<std::string> below;
  for (const std::string& row : rows) {
    std::vector<std::string> todo{row};
    std::set<std::string> seen;
    while (!todo.empty()) {
      const Revision* revision = map.find(todo.back());
      todo.pop_back();
      if (revision == nullptr) continue;
      for (const auto* list : {&revision->down_revisions, &revision->depends_on})
        for (const std::string& next : *list)
          if (seen.insert(next).second) todo.push_back(next);
    }
    below.insert(seen.begin(), seen.end());
  }
  for (const std::string& row : rows)
    if (below.count(row)) return false;
  return true;
}

// What is applied when `rows` are the version table's rows: the rows and everything they stand
// on (down revisions and depends_on).
std::set<std::string> applied_by(const RevisionMap& map, const std::vector<std::string>& rows) {
  std::set<std::string> seen(rows.begin(), rows.end());
  std::vector<std::string> todo(rows.begin(), rows.end());
  while (!todo.empty()) {
    const Revision* revision = map.find(todo.back());
    todo.pop_back();
    if (revision == nullptr) continue;
    for (const auto* list : {&revision->down_revisions, &revision->depends_on})
      for (const std::string& next : *list)
        if (seen.insert(next).second) todo.push_back(next);
  }
  return seen;
}

// The rows that stand for an applied set: its revisions that no other applied revision stands
// on, sorted.
std::vector<std::string> rows_for(const RevisionMap& map, const std::set<std::string>& applied) {
  std::set<std::string> below;
  for (const std::string& id : applied) {
    const std::set<std::string> under = applied_by(map, {id});
    for (const std::string& other : under)
      if (other != id) below.insert(other);
  }
  std::vector<std::string> rows;
  for (const std::string& id : applied)
    if (below.count(id) == 0) rows.push_back(id);
  return rows;
}

// Where Alembic has no right answer (it fails with an assertion, or leaves a row below another
// row), retort's plan is judged on its own terms: it runs each migration at most once, only
// upgrades what is not applied and downgrades what is; what it leaves applied is closed under
// down revisions and depends_on; its rows are exactly the heads of that set; an upgrade applies
// the target and all below it; a downgrade keeps the target (unless it is `base`) and removes
// something only when the target is below it. Returns what is wrong, or empty.
std::string judge_alone(const RevisionMap& map, const Case& c, const json& ours) {
  if (!ours.contains("steps")) return "";
  std::set<std::string> applied = applied_by(map, c.current);
  std::set<std::string> ran;
  for (const json& step : ours["steps"]) {
    const std::string id = step[0];
    if (!ran.insert(id).second) return id + " runs twice";
    if (step[1] == "upgrade") {
      if (!applied.insert(id).second) return id + " is upgraded though applied";
    } else if (applied.erase(id) == 0) {
      return id + " is downgraded though not applied";
    }
  }
  for (const std::string& id : applied)
    for (const std::string& under : applied_by(map, {id}))
      if (applied.count(under) == 0) return id + " stays applied without " + under;
  if (ours["heads"].get<std::vector<std::string> >() != rows_for(map, applied))
    return "the rows are not the heads of what is applied";
  if (c.op == "upgrade") {
    auto targets = map.resolve(c.target, c.current);
    if (!targets) return "";
    for (const std::string& under : applied_by(map, *targets))
      if (applied.count(under) == 0) return "the upgrade leaves " + under + " unapplied";
  } else if (c.op == "downgrade") {
    auto targets = map.resolve(c.target, c.current);
    if (!targets) return "";
    for (const std::string& target : *targets)
      if (c.target != "base" && !c.target.ends_with("@base") && applied.count(target) == 0)
        return "the downgrade removed its target " + target;
  }
  return "";
}

std::multiset<std::string> step_set(const json& result) {
  std::multiset<std::string> out;
  for (const json& step : result["steps"])
    out.insert(step[0].get<std::string>() + " " + step[1].get<std::string>());
  return out;
}

// RETORT_PARITY_SHOW=1 prints every plan that runs the same migrations to the same rows but
// differs in step order or row operations (Alembic's own choices vary with Python's hashing).
TEST(AlembicParity, RandomGraphsPlanAsAlembicDoes) {
  // Never skipped: scripts/install-deps.sh installs the Debian alembic package.
  ASSERT_NE(k_python, nullptr) << "no python3 with alembic was found at configure time; "
                                  "install the Debian package alembic (scripts/install-deps.sh)";
  const char* asked = std::getenv("RETORT_PARITY_GRAPHS");
  const int k_graphs = asked != nullptr ? std::atoi(asked) : k_default_graphs;
  ASSERT_GT(k_graphs, 0) << "RETORT_PARITY_GRAPHS must be a positive count";
  std::mt19937 rng(7031);
  std::vector<RandomGraph> graphs;
  std::vector<std::vector<Case> > cases;
  json input = {{"graphs", json::array()}};
  for (int graph_idx = 0; graph_idx < k_graphs; ++graph_idx) {
    std::uniform_int_distribution<std::size_t> sizes(1, k_max_size);
    RandomGraph graph = random_graph(rng, sizes(rng));
    auto map = RevisionMap::build(graph.revisions);
    ASSERT_TRUE(map.ok());
    std::uniform_int_distribution<std::size_t> pick(0, graph.revisions.size() - 1);
    const std::string some = graph.revisions[pick(rng)].id;
    const std::string other = graph.revisions[pick(rng)].id;
    auto all = map->plan_upgrade({}, "heads");
    ASSERT_TRUE(all.ok());
    std::vector<Case> list = {{"upgrade", {}, "heads"},
                              {"upgrade", {}, some},
                              {"downgrade", all->heads_after, other},
                              {"downgrade", all->heads_after, "base"},
                              {"resolve", {}, "heads"},
                              {"resolve", {}, "head"},
                              {"resolve", {}, some.substr(0, 4)},
                              // Alembic 1.8 takes a partial id of any length (issue #15).
                              {"resolve", {}, some.substr(0, 1)},
                              {"resolve", {}, some.substr(0, 2)},
                              {"resolve", {}, other.substr(0, 3)},
                              {"upgrade", {}, other.substr(0, 2)}};
    for (const Revision& revision : graph.revisions) {
      for (const std::string& label : revision.branch_labels) {
        list.push_back({"resolve", {}, label + "@head"});
        list.push_back({"downgrade", all->heads_after, label + "@base"});
        list.push_back({"upgrade", {}, label + "@head"});
      }
    }
    json graph_json = {{"revisions", revisions_json(graph)}, {"cases", json::array()}};
    for (const Case& c : list)
      graph_json["cases"].push_back({{"op", c.op}, {"current", c.current}, {"target", c.target}});
    input["graphs"].push_back(graph_json);
    graphs.push_back(std::move(graph));
    cases.push_back(std::move(list));
  }

  const auto dir = std::filesystem::temp_directory_path();
  const auto input_path = dir / ("retort_parity_" + std::to_string(::getpid()) + ".json");
  std::ofstream(input_path) << input.dump();
  const std::string command =
      "PYTHONHASHSEED=0 " + std::string(k_python) + " " + k_script + " < " + input_path.string();
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[65536];
  while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, got);
  const int status = pclose(pipe);
  std::filesystem::remove(input_path);
  ASSERT_EQ(status, 0) << "the Alembic script failed";
  const json alembic = json::parse(output);

  int compared = 0;
  int exact = 0;
  int alembic_wrong = 0;
  for (std::size_t graph_idx = 0; graph_idx < graphs.size(); ++graph_idx) {
    auto map = RevisionMap::build(graphs[graph_idx].revisions);
    ASSERT_TRUE(map.ok());
    const json& results = alembic["graphs"][graph_idx]["results"];
    for (std::size_t case_idx = 0; case_idx < cases[graph_idx].size(); ++case_idx) {
      const Case& c = cases[graph_idx][case_idx];
      const json theirs = results[case_idx];
      const json ours = run_retort(*map, c);
      SCOPED_TRACE("graph " + input["graphs"][graph_idx]["revisions"].dump() + "\n" + c.op + " '" +
                   c.target + "' from " + json(c.current).dump() + "\nalembic: " + theirs.dump() +
                   "\nretort:  " + ours.dump());
      if (theirs.contains("error")) {
        const std::string error = theirs["error"];
        // Alembic refuses to downgrade to an applied revision that is no row (another
        // revision depends on it); retort plans nothing, as for any applied target.
        const bool applied_target = error.find("Nothing to drop") != std::string::npos &&
                                    ours.contains("steps") && ours["steps"].empty();
        if (!is_legitimate_alembic_error(error) || applied_target) {
          ++alembic_wrong;
          EXPECT_EQ(judge_alone(*map, c, ours), "") << "Alembic fails here; retort's own plan";
          continue;
        }
        ++compared;
        EXPECT_TRUE(ours.contains("error")) << "Alembic refuses this; retort must too";
        continue;
      }
      if (theirs.contains("ids")) {
        ++compared;
        ASSERT_TRUE(ours.contains("ids"));
        EXPECT_EQ(ours["ids"], theirs["ids"]);
        continue;
      }
      if (!rows_are_heads(*map, theirs["heads"].get<std::vector<std::string> >())) {
        // Alembic runs the right migrations but leaves a row below another row: retort runs the
        // same migrations and keeps only the heads of what is applied.
        ++alembic_wrong;
        ASSERT_TRUE(ours.contains("steps"));
        EXPECT_EQ(step_set(ours), step_set(theirs)) << "the same migrations run";
        EXPECT_EQ(
            ours["heads"].get<std::vector<std::string> >(),
            rows_for(*map, applied_by(*map, theirs["heads"].get<std::vector<std::string> >())))
            << "the heads of what Alembic leaves applied";
        EXPECT_EQ(judge_alone(*map, c, ours), "");
        continue;
      }
      ++compared;
      ASSERT_TRUE(ours.contains("steps"));
      EXPECT_EQ(step_set(ours), step_set(theirs)) << "the same migrations run";
      EXPECT_EQ(ours["heads"], theirs["heads"]) << "the same rows remain";
      if (ours == theirs) {
        ++exact;
      } else if (std::getenv("RETORT_PARITY_SHOW") != nullptr) {
        std::printf("differs: %s '%s'\n  alembic %s\n  retort  %s\n", c.op.c_str(),
                    c.target.c_str(), theirs.dump().c_str(), ours.dump().c_str());
      }
    }
  }
  std::printf(
      "parity: %d graphs, %d cases compared (%d identical step by step), %d where Alembic is "
      "wrong and retort's plan was judged alone\n",
      k_graphs, compared, exact, alembic_wrong);
  EXPECT_GT(compared, k_graphs * 5);
}

}  // namespace
}  // namespace retort::graph
