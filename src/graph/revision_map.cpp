// Building and validating the revision graph, and the structural queries (heads, bases,
// children, branch labels), with Alembic's semantics (alembic/script/revision.py RevisionMap).
#include "graph/revision_map.hpp"

#include "graph/graph_impl.hpp"

#include <algorithm>
#include <utility>

namespace retort::graph {

namespace {

// Prefixes shorter than this never match, as in Alembic (_revision_for_ident).
constexpr std::size_t k_min_prefix = 4;

std::string and_list(const std::vector<std::string>& items) {
  if (items.empty()) return {};
  if (items.size() == 1) return items.front();
  std::string out;
  for (std::size_t item_idx = 0; item_idx + 1 < items.size(); ++item_idx) {
    if (item_idx > 0) out += ", ";
    out += items[item_idx];
  }
  return out + " and " + items.back();
}

// Finds the cycles left in `remaining` (nodes that Kahn's algorithm could not order) and
// reports each in order, following `down` edges from its smallest id.
void report_cycles(const GraphCore& impl, std::vector<char> remaining, Edges edges,
                   std::vector<GraphProblem>& problems) {
  const std::size_t n = impl.size();
  auto down_in = [&](Idx idx) {
    std::vector<Idx> out;
    for (Idx parent : impl.down(idx, edges))
      if (remaining[parent]) out.push_back(parent);
    return out;
  };
  // Trims nodes that lead into no cycle: no remaining parent or no remaining child.
  auto trim = [&] {
    bool changed = true;
    while (changed) {
      changed = false;
      std::vector<std::size_t> child_count(n, 0);
      for (Idx idx = 0; idx < n; ++idx)
        if (remaining[idx])
          for (Idx parent : down_in(idx)) ++child_count[parent];
      for (Idx idx = 0; idx < n; ++idx) {
        if (remaining[idx] && (down_in(idx).empty() || child_count[idx] == 0)) {
          remaining[idx] = 0;
          changed = true;
        }
      }
    }
  };
  trim();
  for (Idx start = 0; start < n; ++start) {
    if (!remaining[start]) continue;
    std::vector<Idx> path;
    std::vector<std::size_t> position(n, n);
    Idx node = start;
    while (position[node] == n) {
      position[node] = path.size();
      path.push_back(node);
      const std::vector<Idx> next = down_in(node);
      node = *std::min_element(next.begin(), next.end());
    }
    std::vector<Idx> cycle(path.begin() + static_cast<std::ptrdiff_t>(position[node]), path.end());
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    GraphProblem problem{GraphProblem::Kind::cycle, impl.id(cycle.front()), impl.ids(cycle), {}};
    std::vector<std::string> links;
    for (std::size_t cycle_idx = 0; cycle_idx < cycle.size(); ++cycle_idx) {
      const Idx from = cycle[cycle_idx];
      const Idx to = cycle[(cycle_idx + 1) % cycle.size()];
      const auto& parents = impl.parents[from];
      const bool revises = std::find(parents.begin(), parents.end(), to) != parents.end();
      links.push_back(impl.id(from) + (revises ? " revises " : " depends on ") + impl.id(to));
    }
    if (cycle.size() == 1) {
      const std::string& only = impl.id(cycle.front());
      problem.message = "Revision " + only +
                        links.front().substr(only.size(), links.front().size() - 2 * only.size()) +
                        "itself.";
    } else {
      problem.message = std::string(edges == Edges::versioned ? "Revisions " : "Dependencies of ") +
                        and_list(problem.revisions) + " form a cycle: " + and_list(links) + ".";
    }
    problems.push_back(std::move(problem));
    for (Idx idx : cycle) remaining[idx] = 0;
    trim();
  }
}

// Kahn's algorithm over `edges`; the order puts parents before children. Nodes on or above a
// cycle are left out.
std::vector<Idx> topological_order(const GraphCore& impl, Edges edges) {
  const std::size_t n = impl.size();
  std::vector<std::size_t> pending(n, 0);
  std::vector<Idx> order;
  order.reserve(n);
  for (Idx idx = 0; idx < n; ++idx) {
    pending[idx] = impl.down(idx, edges).size();
    if (pending[idx] == 0) order.push_back(idx);
  }
  for (std::size_t pos = 0; pos < order.size(); ++pos)
    for (Idx child : impl.up(order[pos], edges))
      if (--pending[child] == 0) order.push_back(child);
  return order;
}

}  // namespace

TargetError target_error(TargetError::Kind kind, std::string message,
                         std::vector<std::string> candidates) {
  return TargetError{kind, std::move(message), std::move(candidates)};
}

std::optional<Idx> GraphCore::find_exact(std::string_view id) const {
  auto it =
      std::lower_bound(revisions.begin(), revisions.end(), id,
                       [](const Revision& rev, std::string_view key) { return rev.id < key; });
  if (it == revisions.end() || it->id != id) return std::nullopt;
  return static_cast<Idx>(it - revisions.begin());
}

std::vector<Idx> GraphCore::with_prefix(std::string_view prefix) const {
  std::vector<Idx> out;
  auto it =
      std::lower_bound(revisions.begin(), revisions.end(), prefix,
                       [](const Revision& rev, std::string_view key) { return rev.id < key; });
  for (; it != revisions.end() && it->id.starts_with(prefix); ++it)
    out.push_back(static_cast<Idx>(it - revisions.begin()));
  return out;
}

std::vector<std::string> GraphCore::ids(std::span<const Idx> indexes) const {
  std::vector<std::string> out;
  out.reserve(indexes.size());
  for (Idx idx : indexes) out.push_back(id(idx));
  return out;
}

void GraphCore::mark_ancestors(std::span<const Idx> starts, Edges edges, Marks& marks) const {
  std::vector<Idx> todo;
  for (Idx start : starts)
    if (marks.mark(start)) todo.push_back(start);
  while (!todo.empty()) {
    const Idx idx = todo.back();
    todo.pop_back();
    for (Idx parent : down(idx, edges))
      if (marks.mark(parent)) todo.push_back(parent);
  }
}

void GraphCore::mark_descendants(std::span<const Idx> starts, Edges edges, Marks& marks) const {
  std::vector<Idx> todo;
  for (Idx start : starts)
    if (marks.mark(start)) todo.push_back(start);
  while (!todo.empty()) {
    const Idx idx = todo.back();
    todo.pop_back();
    for (Idx child : up(idx, edges))
      if (marks.mark(child)) todo.push_back(child);
  }
}

bool GraphCore::is_ancestor(Idx ancestor, Idx descendant, Edges edges) const {
  if (ancestor == descendant) return true;
  // Walk down from the descendant; ids are not ordered by depth, so this is a plain search.
  std::vector<char> seen(size(), 0);
  std::vector<Idx> todo{descendant};
  seen[descendant] = 1;
  while (!todo.empty()) {
    const Idx idx = todo.back();
    todo.pop_back();
    for (Idx parent : down(idx, edges)) {
      if (parent == ancestor) return true;
      if (!seen[parent]) {
        seen[parent] = 1;
        todo.push_back(parent);
      }
    }
  }
  return false;
}

std::vector<char> GraphCore::lineage_of(Idx idx) const {
  Marks below(size());
  Marks above(size());
  const Idx start[] = {idx};
  mark_ancestors(start, Edges::versioned, below);
  mark_descendants(start, Edges::versioned, above);
  std::vector<char> out(size(), 0);
  for (Idx other = 0; other < size(); ++other)
    out[other] = below.test(other) || above.test(other) ? 1 : 0;
  return out;
}

RevisionMap::RevisionMap(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RevisionMap::RevisionMap(RevisionMap&&) noexcept = default;
RevisionMap& RevisionMap::operator=(RevisionMap&&) noexcept = default;
RevisionMap::~RevisionMap() = default;

base::Result<RevisionMap, std::vector<GraphProblem>> RevisionMap::build(
    std::vector<Revision> revisions) {
  using Kind = GraphProblem::Kind;
  std::vector<GraphProblem> problems;
  auto impl = std::make_unique<Impl>();

  // Sort positions, then move each revision once, in place: on large graphs moving whole
  // revisions around, or into a second buffer, costs more than the rest of build().
  std::vector<std::size_t> by_id(revisions.size());
  for (std::size_t rev_idx = 0; rev_idx < by_id.size(); ++rev_idx) by_id[rev_idx] = rev_idx;
  std::stable_sort(by_id.begin(), by_id.end(),
                   [&](std::size_t a, std::size_t b) { return revisions[a].id < revisions[b].id; });
  for (std::size_t start = 0; start < by_id.size(); ++start) {
    if (by_id[start] == start) continue;
    Revision held = std::move(revisions[start]);
    std::size_t slot = start;
    while (by_id[slot] != start) {
      const std::size_t from = by_id[slot];
      revisions[slot] = std::move(revisions[from]);
      by_id[slot] = slot;
      slot = from;
    }
    revisions[slot] = std::move(held);
    by_id[slot] = slot;
  }
  std::size_t kept = 0;
  for (std::size_t pos = 0; pos < revisions.size();) {
    std::size_t run_end = pos + 1;
    while (run_end < revisions.size() && revisions[run_end].id == revisions[pos].id) ++run_end;
    if (run_end - pos > 1) {
      problems.push_back({Kind::duplicate_revision,
                          revisions[pos].id,
                          {},
                          "Revision " + revisions[pos].id + " is declared " +
                              std::to_string(run_end - pos) + " times."});
    }
    if (kept != pos) revisions[kept] = std::move(revisions[pos]);
    ++kept;
    pos = run_end;
  }
  revisions.erase(revisions.begin() + static_cast<std::ptrdiff_t>(kept), revisions.end());
  impl->revisions = std::move(revisions);
  const std::size_t n = impl->size();
  impl->labels.resize(n);

  // Branch labels share one namespace with revision ids (Alembic's _map_branch_labels).
  for (Idx idx = 0; idx < n; ++idx) {
    for (const std::string& label : impl->revisions[idx].branch_labels) {
      if (auto holder = impl->find_exact(label)) {
        problems.push_back({Kind::label_collides,
                            impl->id(idx),
                            {impl->id(*holder)},
                            "Branch label '" + label + "' of revision " + impl->id(idx) +
                                " is also the id of revision " + impl->id(*holder) + "."});
        continue;
      }
      auto [it, inserted] = impl->by_label.emplace(label, idx);
      if (!inserted && it->second != idx) {
        problems.push_back({Kind::duplicate_label,
                            impl->id(idx),
                            {impl->id(it->second)},
                            "Branch label '" + label + "' is declared by both revision " +
                                impl->id(it->second) + " and revision " + impl->id(idx) + "."});
      }
    }
  }

  Adjacency deps;
  for (Idx idx = 0; idx < n; ++idx) {
    const Revision& rev = impl->revisions[idx];
    for (const std::string& parent_id : rev.down_revisions) {
      auto parent = impl->find_exact(parent_id);
      if (!parent) {
        problems.push_back(
            {Kind::missing_parent,
             rev.id,
             {parent_id},
             "Revision " + rev.id + " revises " + parent_id + ", which is not a known revision."});
        continue;
      }
      impl->parents.push_unique(*parent);
    }
    for (const std::string& dep_id : rev.depends_on) {
      std::optional<Idx> dep = impl->find_exact(dep_id);
      if (!dep) {
        if (auto label = impl->by_label.find(dep_id); label != impl->by_label.end()) {
          dep = label->second;
        }
      }
      std::vector<std::string> matches;
      if (!dep && dep_id.size() >= k_min_prefix) {
        matches = impl->ids(impl->with_prefix(dep_id));
        if (matches.size() == 1) dep = impl->find_exact(matches.front());
      }
      if (!dep) {
        std::string message =
            "Revision " + rev.id + " depends on " + dep_id + ", which " +
            (matches.size() > 1 ? "is the start of several revisions: " + and_list(matches)
                                : std::string("is neither a revision nor a branch label")) +
            ".";
        problems.push_back({Kind::missing_dependency, rev.id, {dep_id}, std::move(message)});
        continue;
      }
      deps.push_unique(*dep);
    }
    impl->parents.end_row();
    deps.end_row();
  }
  for (Idx idx = 0; idx < n; ++idx) {
    for (Idx parent : impl->parents[idx]) impl->all_down.push_unique(parent);
    for (Idx dep : deps[idx]) impl->all_down.push_unique(dep);
    impl->all_down.end_row();
  }
  impl->children = impl->parents.reversed();
  impl->all_children = impl->all_down.reversed();

  // Cycles through `revises` first; only without those do dependency cycles make sense.
  const std::vector<Idx> versioned_order = topological_order(*impl, Edges::versioned);
  if (versioned_order.size() != n) {
    std::vector<char> remaining(n, 1);
    for (Idx idx : versioned_order) remaining[idx] = 0;
    report_cycles(*impl, std::move(remaining), Edges::versioned, problems);
  } else if (const std::vector<Idx> order = topological_order(*impl, Edges::all);
             order.size() != n) {
    std::vector<char> remaining(n, 1);
    for (Idx idx : order) remaining[idx] = 0;
    report_cycles(*impl, std::move(remaining), Edges::all, problems);
  }
  if (!problems.empty()) return base::fail(std::move(problems));

  for (Idx idx = 0; idx < n; ++idx) {
    if (impl->children[idx].empty()) impl->heads.push_back(idx);
    if (impl->all_children[idx].empty()) impl->real_heads.push_back(idx);
    if (impl->parents[idx].empty()) impl->bases.push_back(idx);
  }

  // The immediate down revisions that decide the version-table rows leave out what another of
  // them already implies. Alembic drops a dependency that an ancestor also declares
  // (_normalize_depends_on, its issue 789) but keeps one that is an ancestor of a parent, or a
  // parent below another parent; its downgrades then insert a row below another row. Keeping
  // only the topmost ones makes the rows the heads of the applied revisions, as documented.
  Marks below(n);
  for (Idx idx = 0; idx < n; ++idx) {
    const std::span<const Idx> down_list = impl->all_down[idx];
    if (down_list.size() > 1) {
      below.clear();
      std::vector<Idx> stack;
      for (Idx down_idx : down_list)
        for (Idx anc : impl->all_down[down_idx])
          if (below.mark(anc)) stack.push_back(anc);
      while (!stack.empty()) {
        const Idx anc = stack.back();
        stack.pop_back();
        for (Idx parent : impl->all_down[anc])
          if (below.mark(parent)) stack.push_back(parent);
      }
    }
    for (Idx down_idx : down_list)
      if (down_list.size() == 1 || !below.test(down_idx)) impl->norm_down.push_unique(down_idx);
    impl->norm_down.end_row();
  }
  Marks marks(n);

  // Labels reach every versioned descendant, and the ancestors down to the nearest branch or
  // merge point (Alembic's _add_branches, walking from the labelled revision itself).
  std::vector<std::vector<Idx>> label_sets(n);
  for (Idx idx = 0; idx < n; ++idx) {
    if (impl->revisions[idx].branch_labels.empty()) continue;
    marks.clear();
    const Idx start[] = {idx};
    impl->mark_descendants(start, Edges::versioned, marks);
    Idx node = idx;
    while (impl->all_children[node].size() <= 1 && impl->parents[node].size() <= 1) {
      marks.mark(node);
      if (impl->parents[node].empty()) break;
      node = impl->parents[node].front();
    }
    for (Idx other = 0; other < n; ++other)
      if (marks.test(other)) label_sets[other].push_back(idx);
  }
  for (Idx idx = 0; idx < n; ++idx) {
    for (Idx holder : label_sets[idx])
      for (const std::string& label : impl->revisions[holder].branch_labels)
        impl->labels[idx].push_back(label);
    std::sort(impl->labels[idx].begin(), impl->labels[idx].end());
    impl->labels[idx].erase(std::unique(impl->labels[idx].begin(), impl->labels[idx].end()),
                            impl->labels[idx].end());
  }

  return RevisionMap(std::move(impl));
}

std::size_t RevisionMap::size() const noexcept { return m_impl->size(); }

const Revision* RevisionMap::find(std::string_view id) const noexcept {
  auto idx = m_impl->find_exact(id);
  return idx ? &m_impl->revisions[*idx] : nullptr;
}

std::vector<std::string> RevisionMap::heads() const { return m_impl->ids(m_impl->heads); }

std::vector<std::string> RevisionMap::real_heads() const { return m_impl->ids(m_impl->real_heads); }

std::vector<std::string> RevisionMap::bases() const { return m_impl->ids(m_impl->bases); }

std::vector<std::string> RevisionMap::children(std::string_view id) const {
  auto idx = m_impl->find_exact(id);
  if (!idx) return {};
  return m_impl->ids(m_impl->children[*idx]);
}

std::vector<std::string> RevisionMap::branch_points() const {
  std::vector<std::string> out;
  for (Idx idx = 0; idx < m_impl->size(); ++idx)
    if (m_impl->children[idx].size() > 1) out.push_back(m_impl->id(idx));
  return out;
}

bool RevisionMap::is_merge_point(std::string_view id) const {
  auto idx = m_impl->find_exact(id);
  return idx && m_impl->parents[*idx].size() > 1;
}

std::vector<std::string> RevisionMap::branch_labels_of(std::string_view id) const {
  auto idx = m_impl->find_exact(id);
  if (!idx) return {};
  return m_impl->labels[*idx];
}

}  // namespace retort::graph
