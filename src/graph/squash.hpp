// Squash revisions (`-- retort:replaces`), pure and in memory, with Django's semantics
// (django/db/migrations/loader.py build_graph) on Alembic-style heads. A squash S stands for a
// tip R and R's ancestors. In the main graph S takes their place: the replaced revisions are
// hidden, a reference to R is a reference to S, a reference to another replaced id is an
// error. The replaced revisions still declared by a file form the old graph, which a database
// part-way through them follows to R before it adopts S.
#pragma once

#include "base/result.hpp"
#include "graph/revision_map.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::graph {

// One squash that no other squash replaces.
struct Squash {
  std::string id;                     // S
  std::vector<std::string> replaces;  // as declared, in history order
  std::string tip;                    // R: the last of replaces; what later revisions revise
  std::vector<std::string> present;   // replaced revisions still declared by a file, sorted
  std::vector<std::string> retired;   // replaced revisions no file declares any more, sorted
  // Every id S stands for, nested squashes' replaced ids included, sorted.
  std::vector<std::string> all_replaced;
};

// A version row that cannot reach its squash: it is inside the replaced set and a revision on
// its way to the tip has no file any more (retired).
struct Straggler {
  std::string row;
  std::string squash;
  std::string tip;
  std::vector<std::string> missing;  // the retired revisions on the way (the row itself first)
};

// What a database at some replaced revisions does before anything else: the upgrades of the
// replaced files from its rows to the tip, then one `stamp` step per squash (tip -> S, reason
// "squash S replaces N revisions", no statement). heads_before are the rows as given.
struct Adoption {
  Plan plan;
  std::vector<Straggler> stragglers;  // not empty: the plan must not run
  [[nodiscard]] bool needed() const noexcept { return !plan.steps.empty() || !stragglers.empty(); }
};

class Squashes {
 public:
  // Takes every revision the files declare; leaves in `revisions` those of the main graph:
  // each squash in place of what it replaces, references to a tip turned into references to
  // its squash. Reports every problem at once (GraphProblem::Kind replaces_itself and after),
  // and the problems of the old graph.
  static base::Result<Squashes, std::vector<GraphProblem>> split(std::vector<Revision>& revisions);

  Squashes();
  Squashes(Squashes&&) noexcept;
  Squashes& operator=(Squashes&&) noexcept;
  ~Squashes();

  [[nodiscard]] bool empty() const noexcept;
  // The squashes no other squash replaces, sorted by id.
  [[nodiscard]] std::span<const Squash> all() const noexcept;
  // The squash (not itself replaced) that stands for a replaced id; null for any other id.
  [[nodiscard]] const Squash* replacing(std::string_view id) const noexcept;
  // The old graph: the replaced revisions still declared by a file, and an entry with no
  // parents for each retired one; parents outside a squash's set left out.
  [[nodiscard]] const RevisionMap& replaced_map() const noexcept;
  // The rows as they will be once adopted: each replaced id as its squash; sorted, unique.
  [[nodiscard]] std::vector<std::string> adopted(std::span<const std::string> rows) const;
  // What a database with these version rows runs before the plan of its command.
  [[nodiscard]] Adoption plan_adoption(std::span<const std::string> rows) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The ledger's reason for a squash's adoption: "squash S replaces N revisions".
[[nodiscard]] std::string adoption_reason(const Squash& squash);

}  // namespace retort::graph
