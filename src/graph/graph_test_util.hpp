// Helpers for the graph tests: revisions in one line each, maps that must build, and plans
// flattened to text so a whole plan is checked in one assertion.
#pragma once

#include "graph/revision_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace retort::graph::testing {

inline Revision rev(std::string id, std::vector<std::string> down = {},
                    std::vector<std::string> deps = {}, std::vector<std::string> labels = {}) {
  return Revision{std::move(id), std::move(down), std::move(deps), std::move(labels), {}, {}};
}

// Builds a map that must be valid; a failure names every problem.
inline RevisionMap must_build(std::vector<Revision> revisions) {
  auto built = RevisionMap::build(std::move(revisions));
  if (!built) {
    std::string all;
    for (const GraphProblem& problem : built.error()) all += problem.message + "\n";
    ADD_FAILURE() << "the graph did not build:\n" << all;
    std::abort();
  }
  return std::move(built).value();
}

inline std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

// One line per step: "up abcd02: insert abcd02 | heads abcd02 bcde02".
inline std::vector<std::string> describe(const Plan& plan) {
  std::vector<std::string> lines;
  for (const Step& step : plan.steps) {
    std::string line = step.direction == Direction::upgrade     ? "up "
                       : step.direction == Direction::downgrade ? "down "
                                                                : "stamp ";
    line += step.revision + ":";
    for (const VersionOp& op : step.version_ops) {
      switch (op.kind) {
        case VersionOp::Kind::insert:
          line += " insert " + op.to;
          break;
        case VersionOp::Kind::update:
          line += " update " + op.from + "->" + op.to;
          break;
        case VersionOp::Kind::remove:
          line += " remove " + op.from;
          break;
      }
    }
    line += " | heads " + join_ids(step.heads_after);
    lines.push_back(line);
  }
  return lines;
}

struct RandomGraph {
  std::vector<Revision> revisions;  // in creation order: parents before children
};

// A random DAG: bases, chains, branch points, merges, and depends_on across branches.
inline RandomGraph random_graph(std::mt19937& rng, std::size_t size) {
  RandomGraph graph;
  std::set<std::string> used;
  std::uniform_int_distribution<int> hex(0, 15);
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  for (std::size_t rev_idx = 0; rev_idx < size; ++rev_idx) {
    std::string id;
    do {
      id.clear();
      for (int digit = 0; digit < 6; ++digit) id += "0123456789abcdef"[hex(rng)];
    } while (!used.insert(id).second);
    Revision revision = rev(id);
    if (rev_idx > 0 && chance(rng) > 0.12) {
      std::uniform_int_distribution<std::size_t> earlier(0, rev_idx - 1);
      // Mostly extend a recent revision, so lines get long.
      std::size_t parent = chance(rng) < 0.6 ? rev_idx - 1 : earlier(rng);
      revision.down_revisions.push_back(graph.revisions[parent].id);
      if (chance(rng) < 0.15) {
        std::size_t other = earlier(rng);
        if (other != parent) revision.down_revisions.push_back(graph.revisions[other].id);
      }
    }
    if (rev_idx > 0 && chance(rng) < 0.12) {
      std::uniform_int_distribution<std::size_t> earlier(0, rev_idx - 1);
      const std::string& dep = graph.revisions[earlier(rng)].id;
      if (std::find(revision.down_revisions.begin(), revision.down_revisions.end(), dep) ==
          revision.down_revisions.end())
        revision.depends_on.push_back(dep);
    }
    if (chance(rng) < 0.05) revision.branch_labels.push_back("lbl" + std::to_string(rev_idx));
    graph.revisions.push_back(std::move(revision));
  }
  return graph;
}

}  // namespace retort::graph::testing
