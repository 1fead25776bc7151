// Internal state of RevisionMap: revisions as dense indexes with their adjacency lists, and the
// traversals that build, resolve and planning share. Only src/graph includes this header.
#pragma once

#include "graph/revision_map.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::graph {

// A revision's position in Impl::revisions, which is sorted by id: ordering indexes orders ids.
using Idx = std::size_t;

// Which edges a traversal follows. Alembic walks `down_revision` alone for branch structure
// (heads, labels, walks) and `down_revision` plus `depends_on` for what must be applied first.
enum class Edges { versioned, all };

// Visit marks for repeated traversals within one call: a generation counter instead of clearing.
class Marks {
 public:
  explicit Marks(std::size_t size) : m_generation(size, 0) {}
  void clear() noexcept { ++m_current; }
  [[nodiscard]] bool test(Idx idx) const noexcept { return m_generation[idx] == m_current; }
  // True if idx was not marked yet.
  bool mark(Idx idx) noexcept {
    if (test(idx)) return false;
    m_generation[idx] = m_current;
    return true;
  }

 private:
  std::vector<std::uint64_t> m_generation;
  std::uint64_t m_current = 1;
};

// The adjacency lists of all revisions in one block (compressed rows): a graph of 10,000
// revisions is a handful of allocations, not tens of thousands.
class Adjacency {
 public:
  [[nodiscard]] std::span<const Idx> operator[](Idx idx) const noexcept {
    return {m_items.data() + m_offsets[idx], m_offsets[idx + 1] - m_offsets[idx]};
  }
  // Building, row by row in index order: push the items of a row, then end it.
  void push_unique(Idx item) {
    const auto row_begin = m_items.begin() + static_cast<std::ptrdiff_t>(m_offsets.back());
    if (std::find(row_begin, m_items.end(), item) == m_items.end()) m_items.push_back(item);
  }
  void end_row() { m_offsets.push_back(m_items.size()); }
  // The same edges pointing the other way; rows come out sorted.
  [[nodiscard]] Adjacency reversed() const {
    const std::size_t rows = m_offsets.size() - 1;
    Adjacency out;
    out.m_offsets.assign(rows + 1, 0);
    for (Idx item : m_items) ++out.m_offsets[item + 1];
    for (std::size_t row = 0; row < rows; ++row) out.m_offsets[row + 1] += out.m_offsets[row];
    out.m_items.resize(m_items.size());
    std::vector<std::size_t> fill(out.m_offsets.begin(), out.m_offsets.end() - 1);
    for (Idx row = 0; row < rows; ++row)
      for (Idx item : (*this)[row]) out.m_items[fill[item]++] = row;
    return out;
  }

 private:
  std::vector<std::size_t> m_offsets{0};
  std::vector<Idx> m_items;
};

// A parsed target expression: [LABEL@]SYMBOL[+N|-N]. Alembic's _relative_destination.
struct TargetExpr {
  std::optional<std::string> label;  // before the first '@'
  std::string symbol;                // may be empty for "+N" / "LABEL@-N"
  std::optional<long> relative;      // signed step count
};

struct GraphCore {
  std::vector<Revision> revisions;  // sorted by id
  std::map<std::string, Idx, std::less<>> by_label;
  Adjacency parents;                             // versioned down revisions, declared order
  Adjacency all_down;                            // parents + depends_on
  Adjacency norm_down;                           // all_down less those below another of them
  Adjacency children;                            // versioned, sorted
  Adjacency all_children;                        // through all_down, sorted
  std::vector<std::vector<std::string>> labels;  // declared and inherited, sorted
  std::vector<Idx> heads;                        // no versioned children
  std::vector<Idx> real_heads;                   // no children at all, dependencies included
  std::vector<Idx> bases;                        // no parents (depends_on allowed)

  [[nodiscard]] std::size_t size() const noexcept { return revisions.size(); }
  [[nodiscard]] const std::string& id(Idx idx) const { return revisions[idx].id; }
  [[nodiscard]] std::optional<Idx> find_exact(std::string_view id) const;
  [[nodiscard]] std::vector<std::string> ids(std::span<const Idx> indexes) const;
  // Revisions whose id starts with prefix, in id order.
  [[nodiscard]] std::vector<Idx> with_prefix(std::string_view prefix) const;
  [[nodiscard]] std::span<const Idx> down(Idx idx, Edges edges) const {
    return edges == Edges::versioned ? parents[idx] : all_down[idx];
  }
  [[nodiscard]] std::span<const Idx> up(Idx idx, Edges edges) const {
    return edges == Edges::versioned ? children[idx] : all_children[idx];
  }

  // Marks the starts and everything below (ancestors) or above (descendants) them.
  void mark_ancestors(std::span<const Idx> starts, Edges edges, Marks& marks) const;
  void mark_descendants(std::span<const Idx> starts, Edges edges, Marks& marks) const;
  // True if ancestor is below or equal to descendant.
  [[nodiscard]] bool is_ancestor(Idx ancestor, Idx descendant, Edges edges) const;
  // Everything sharing lineage with idx (versioned ancestors and descendants, and idx), for
  // filtering many candidates against one branch in O(n).
  [[nodiscard]] std::vector<char> lineage_of(Idx idx) const;
  // Alembic's _shares_lineage: one is an ancestor of the other.
  [[nodiscard]] bool shares_lineage(Idx a, Idx b, Edges edges) const {
    return is_ancestor(a, b, edges) || is_ancestor(b, a, edges);
  }

  // Target resolution (resolve.cpp).
  [[nodiscard]] base::Result<TargetExpr, TargetError> parse(std::string_view target) const;
  // An identifier: a full id, a branch label, or a unique prefix (of ids and labels of four or more
  // characters), optionally restricted to the lineage of `branch`.
  [[nodiscard]] base::Result<Idx, TargetError> lookup(std::string_view ident,
                                                      std::optional<Idx> branch,
                                                      std::string_view branch_name) const;
  // A branch name: a label, or any identifier (Alembic's _resolve_branch).
  [[nodiscard]] base::Result<Idx, TargetError> lookup_branch(std::string_view name) const;
  // Absolute targets: head, heads, base, ids, labels, LABEL@head, LABEL@heads, LABEL@base,
  // LABEL@REV. "base" gives an empty list.
  [[nodiscard]] base::Result<std::vector<Idx>, TargetError> resolve_absolute(
      const TargetExpr& expr, std::string_view target) const;
  // A single revision or base (nullopt); several are a multiple_heads error.
  [[nodiscard]] base::Result<std::optional<Idx>, TargetError> resolve_one(
      const TargetExpr& expr, std::string_view target) const;
  // The current heads as indexes; unknown ids are an unknown_current error.
  [[nodiscard]] base::Result<std::vector<Idx>, TargetError> current(
      std::span<const std::string> current_heads) const;
  // Alembic's _walk. nullopt start is "before the bases"; a result of nullopt is base.
  // Walking past the end is a relative_range error unless clamp is set.
  [[nodiscard]] base::Result<std::optional<Idx>, TargetError> walk(std::optional<Idx> start,
                                                                   long steps,
                                                                   std::optional<Idx> branch,
                                                                   std::string_view target,
                                                                   bool clamp) const;
  // Targets for an upgrade (Alembic's _parse_upgrade_target).
  [[nodiscard]] base::Result<std::vector<Idx>, TargetError> upgrade_targets(
      std::string_view target, std::span<const Idx> current, bool clamp) const;
  // The target of a downgrade (Alembic's _parse_downgrade_target): a branch restriction and
  // the revision to keep (nullopt: base).
  struct DowngradeTarget {
    std::optional<Idx> branch;
    std::optional<Idx> revision;
  };
  [[nodiscard]] base::Result<DowngradeTarget, TargetError> downgrade_target(
      std::string_view target, std::span<const Idx> current, bool clamp) const;
};

// RevisionMap's hidden state is the core; a separate name lets the planning and resolution
// helpers in this folder take it without being members.
struct RevisionMap::Impl : GraphCore {};

// Error constructors, so every message is written in one place.
[[nodiscard]] TargetError target_error(TargetError::Kind kind, std::string message,
                                       std::vector<std::string> candidates = {});

}  // namespace retort::graph
