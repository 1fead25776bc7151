// Plans for upgrade, downgrade, stamp and history: which revisions, in which order, and each
// step's version-table changes, as Alembic's revision.py and migration.py HeadMaintainer.
#include "graph/graph_impl.hpp"
#include "graph/revision_map.hpp"

#include <algorithm>
#include <set>

namespace retort::graph {

namespace {

using Kind = TargetError::Kind;

// Orders a set of revisions children first (a downgrade's order; an upgrade runs it reversed).
// Like Alembic's _topological_sort it follows one line of revisions down as far as it can
// before switching to another head, so a branch's migrations stay together; ties go by id.
std::vector<Idx> order_downward(const GraphCore& impl, const std::vector<char>& in_set) {
  const std::size_t n = impl.size();
  std::vector<std::size_t> pending_children(n, 0);
  for (Idx idx = 0; idx < n; ++idx)
    if (in_set[idx])
      for (Idx down_idx : impl.norm_down[idx])
        if (in_set[down_idx]) ++pending_children[down_idx];
  std::vector<Idx> current;
  std::vector<char> listed(n, 0);
  for (Idx idx = 0; idx < n; ++idx) {
    if (in_set[idx] && pending_children[idx] == 0) {
      current.push_back(idx);
      listed[idx] = 1;
    }
  }
  std::vector<Idx> out;
  std::vector<char> emitted(n, 0);
  Marks above(n);
  std::size_t pos = 0;
  while (!current.empty()) {
    if (pending_children[current[pos]] > 0) {
      // Another line still has to come down past this revision first: switch to the first
      // line that stands on it, as Alembic does, and look again.
      above.clear();
      std::vector<Idx> todo{current[pos]};
      while (!todo.empty()) {
        const Idx idx = todo.back();
        todo.pop_back();
        for (Idx child : impl.all_children[idx])
          if (in_set[child] && !emitted[child] && above.mark(child)) todo.push_back(child);
      }
      const auto next_line =
          std::find_if(current.begin(), current.end(), [&](Idx idx) { return above.test(idx); });
      if (next_line == current.end()) break;  // unreachable in a DAG
      pos = static_cast<std::size_t>(next_line - current.begin());
      continue;
    }
    const Idx node = current[pos];
    emitted[node] = 1;
    out.push_back(node);
    std::vector<Idx> next;
    for (Idx down_idx : impl.norm_down[node]) {
      if (!in_set[down_idx]) continue;
      --pending_children[down_idx];
      if (!listed[down_idx]) {
        listed[down_idx] = 1;
        next.push_back(down_idx);
      }
    }
    if (next.empty()) {
      current.erase(current.begin() + static_cast<std::ptrdiff_t>(pos));
      pos = pos > 0 ? pos - 1 : 0;
    } else {
      current[pos] = next.front();
      current.insert(current.end(), next.begin() + 1, next.end());
    }
  }
  return out;
}

// The version table as Alembic's HeadMaintainer keeps it, plus the set of applied revisions,
// which bounds the searches for "is this an ancestor of another head".
class HeadMaintainer {
 public:
  HeadMaintainer(const GraphCore& impl, std::span<const Idx> heads)
      : m_impl(impl), m_applied(impl.size(), 0), m_seen(impl.size()) {
    m_heads.insert(heads.begin(), heads.end());
    Marks marks(impl.size());
    impl.mark_ancestors(heads, Edges::all, marks);
    for (Idx idx = 0; idx < impl.size(); ++idx) m_applied[idx] = marks.test(idx) ? 1 : 0;
  }

  [[nodiscard]] std::vector<std::string> heads() const {
    std::vector<Idx> list(m_heads.begin(), m_heads.end());
    return m_impl.ids(list);
  }
  [[nodiscard]] bool is_head(Idx idx) const { return m_heads.count(idx) != 0; }

  base::Result<Step, TargetError> upgrade(Idx rev) {
    Step step{m_impl.id(rev), Direction::upgrade, {}, {}};
    const std::span<const Idx> downrevs = m_impl.norm_down[rev];
    std::vector<Idx> present;
    for (Idx down_idx : downrevs)
      if (is_head(down_idx)) present.push_back(down_idx);
    if (present.empty()) {
      // A base, or a revision none of whose parents is a row: a new branch.
      insert(rev, step);
    } else if (downrevs.size() > 1 && present.size() > 1) {
      // A merge: keep one parent row, moved to this revision; delete the other parents' rows,
      // except those another head still stands on.
      std::vector<Idx> from;
      for (Idx down_idx : present)
        if (!below_other_head(down_idx, downrevs)) from.push_back(down_idx);
      if (from.empty()) {
        insert(rev, step);
      } else {
        for (std::size_t from_idx = 0; from_idx + 1 < from.size(); ++from_idx)
          remove(from[from_idx], step);
        update(from.back(), rev, step);
      }
    } else {
      update(present.front(), rev, step);
    }
    m_applied[rev] = 1;
    step.heads_after = heads();
    return step;
  }

  base::Result<Step, TargetError> downgrade(Idx rev) {
    Step step{m_impl.id(rev), Direction::downgrade, {}, {}};
    if (!is_head(rev)) {
      // Alembic fails here with a KeyError or a wrong row count (its issues 789 and 1026).
      return base::fail(target_error(
          Kind::not_a_downgrade,
          "Revision " + m_impl.id(rev) +
              " cannot be downgraded here: it is not a row of the version table, so the rows " +
              "would no longer match the applied revisions.",
          {m_impl.id(rev)}));
    }
    const std::span<const Idx> downrevs = m_impl.norm_down[rev];
    std::vector<Idx> to;
    const Idx self[] = {rev};
    for (Idx down_idx : downrevs)
      if (!below_other_head(down_idx, self)) to.push_back(down_idx);
    m_applied[rev] = 0;
    if (to.empty()) {
      // A base, or every parent is still below another head: the row goes away.
      remove(rev, step);
    } else {
      for (std::size_t to_idx = 0; to_idx + 1 < to.size(); ++to_idx) insert(to[to_idx], step);
      update(rev, to.back(), step);
    }
    step.heads_after = heads();
    return step;
  }

  // Stamp primitives, which change rows without applying anything.
  void stamp_insert(Idx rev, Step& step) {
    insert(rev, step);
    mark_applied_to(rev);
  }
  void stamp_remove(Idx rev, Step& step) {
    remove(rev, step);
    recompute_applied();
  }
  void stamp_move(std::span<const Idx> from, Idx to, Step& step) {
    for (std::size_t from_idx = 0; from_idx + 1 < from.size(); ++from_idx)
      remove(from[from_idx], step);
    update(from.back(), to, step);
    recompute_applied();
  }

 private:
  // True if idx is an applied ancestor-or-self of a row other than those in `excluded`.
  bool below_other_head(Idx idx, std::span<const Idx> excluded) {
    auto is_other_head = [&](Idx node) {
      return is_head(node) && std::find(excluded.begin(), excluded.end(), node) == excluded.end();
    };
    m_seen.clear();
    std::vector<Idx> todo{idx};
    m_seen.mark(idx);
    while (!todo.empty()) {
      const Idx node = todo.back();
      todo.pop_back();
      if (is_other_head(node)) return true;
      for (Idx child : m_impl.all_children[node])
        if (m_applied[child] && m_seen.mark(child)) todo.push_back(child);
    }
    return false;
  }
  void insert(Idx rev, Step& step) {
    m_heads.insert(rev);
    step.version_ops.push_back({VersionOp::Kind::insert, {}, m_impl.id(rev)});
  }
  void remove(Idx rev, Step& step) {
    m_heads.erase(rev);
    step.version_ops.push_back({VersionOp::Kind::remove, m_impl.id(rev), {}});
  }
  void update(Idx from, Idx to, Step& step) {
    m_heads.erase(from);
    m_heads.insert(to);
    step.version_ops.push_back({VersionOp::Kind::update, m_impl.id(from), m_impl.id(to)});
  }
  void mark_applied_to(Idx rev) {
    Marks marks(m_impl.size());
    const Idx start[] = {rev};
    m_impl.mark_ancestors(start, Edges::all, marks);
    for (Idx idx = 0; idx < m_impl.size(); ++idx)
      if (marks.test(idx)) m_applied[idx] = 1;
  }
  void recompute_applied() {
    std::vector<Idx> list(m_heads.begin(), m_heads.end());
    Marks marks(m_impl.size());
    m_impl.mark_ancestors(list, Edges::all, marks);
    for (Idx idx = 0; idx < m_impl.size(); ++idx) m_applied[idx] = marks.test(idx) ? 1 : 0;
  }

  const GraphCore& m_impl;
  std::set<Idx> m_heads;  // ordered by index, which is ordered by id
  std::vector<char> m_applied;
  Marks m_seen;
};

std::vector<char> marked(const GraphCore& impl, std::span<const Idx> starts, Edges edges,
                         bool descendants) {
  Marks marks(impl.size());
  if (descendants) {
    impl.mark_descendants(starts, edges, marks);
  } else {
    impl.mark_ancestors(starts, edges, marks);
  }
  std::vector<char> out(impl.size(), 0);
  for (Idx idx = 0; idx < impl.size(); ++idx) out[idx] = marks.test(idx) ? 1 : 0;
  return out;
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text).append("'");
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

base::Result<Plan, TargetError> RevisionMap::plan_upgrade(
    std::span<const std::string> current_heads, std::string_view target) const {
  const Impl& impl = *m_impl;
  auto current = impl.current(current_heads);
  if (!current) return base::fail(std::move(current).error());
  auto targets = impl.upgrade_targets(target, *current, false);
  if (!targets) return base::fail(std::move(targets).error());

  // Everything the targets need, minus what the current heads already have (implicit base:
  // other branches' dependencies are included).
  std::vector<char> needs = marked(impl, *targets, Edges::all, false);
  const std::vector<char> have = marked(impl, *current, Edges::all, false);
  for (Idx idx = 0; idx < impl.size(); ++idx)
    if (have[idx]) needs[idx] = 0;
  std::vector<Idx> order = order_downward(impl, needs);
  std::reverse(order.begin(), order.end());

  Plan plan;
  plan.heads_before = impl.ids(*current);
  plan.steps.reserve(order.size());
  HeadMaintainer maintainer(impl, *current);
  for (Idx rev : order) {
    auto step = maintainer.upgrade(rev);
    if (!step) return base::fail(std::move(step).error());
    plan.steps.push_back(std::move(step).value());
  }
  plan.heads_after = maintainer.heads();
  return plan;
}

base::Result<Plan, TargetError> RevisionMap::plan_downgrade(
    std::span<const std::string> current_heads, std::string_view target) const {
  const Impl& impl = *m_impl;
  auto current = impl.current(current_heads);
  if (!current) return base::fail(std::move(current).error());
  auto destination = impl.downgrade_target(target, *current, false);
  if (!destination) return base::fail(std::move(destination).error());

  // The roots are what must go: the revisions just above the target, or every base.
  std::vector<Idx> roots = impl.bases;
  if (destination->revision) {
    const std::span<const Idx> above = impl.children[*destination->revision];
    roots.assign(above.begin(), above.end());
  }
  if (destination->branch && roots.size() > 1) {
    // LABEL@REV: only the branch named, not the other lines above a branch point.
    std::erase_if(roots, [&](Idx root) {
      return !impl.shares_lineage(root, *destination->branch, Edges::versioned);
    });
    if (roots.empty()) {
      return base::fail(target_error(Kind::not_a_downgrade,
                                     "Target " + quoted(target) +
                                         " is not a downgrade from the current heads: branch " +
                                         impl.id(*destination->branch) + " has no revision above " +
                                         impl.id(*destination->revision) + "."));
    }
  }
  // Downgrade what is above the roots (dependents included) and applied now.
  std::vector<char> drop = marked(impl, roots, Edges::all, true);
  const std::vector<char> active = marked(impl, *current, Edges::all, false);
  bool any = false;
  for (Idx idx = 0; idx < impl.size(); ++idx) {
    drop[idx] = drop[idx] && active[idx];
    any = any || drop[idx];
  }
  // Alembic asks whether the target is a row; an applied target that another revision only
  // depends on is no row, and downgrading to it is simply empty.
  if (destination->revision && !any && !active[*destination->revision]) {
    return base::fail(target_error(
        Kind::not_a_downgrade, "Target " + quoted(target) + " (revision " +
                                   impl.id(*destination->revision) +
                                   ") is not below the current heads" +
                                   (current->empty() ? std::string("; the database is at base.")
                                                     : ": " + joined(impl.ids(*current)) + ".")));
  }
  std::vector<Idx> order = order_downward(impl, drop);

  Plan plan;
  plan.heads_before = impl.ids(*current);
  plan.steps.reserve(order.size());
  HeadMaintainer maintainer(impl, *current);
  for (Idx rev : order) {
    auto step = maintainer.downgrade(rev);
    if (!step) return base::fail(std::move(step).error());
    plan.steps.push_back(std::move(step).value());
  }
  plan.heads_after = maintainer.heads();
  return plan;
}

base::Result<Plan, TargetError> RevisionMap::plan_stamp(std::span<const std::string> current_heads,
                                                        std::string_view target, bool purge) const {
  const Impl& impl = *m_impl;
  if (target.empty()) target = "base";
  Plan plan;
  std::vector<Idx> current;
  if (purge) {
    // --purge empties the table first, unknown rows included, so nothing is validated.
    std::vector<std::string> rows(current_heads.begin(), current_heads.end());
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    plan.heads_before = rows;
    for (std::size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
      Step step{rows[row_idx],
                Direction::stamp,
                {{VersionOp::Kind::remove, rows[row_idx], {}}},
                std::vector<std::string>(rows.begin() + static_cast<std::ptrdiff_t>(row_idx) + 1,
                                         rows.end())};
      plan.steps.push_back(std::move(step));
    }
  } else {
    auto validated = impl.current(current_heads);
    if (!validated) return base::fail(std::move(validated).error());
    current = std::move(validated).value();
    plan.heads_before = impl.ids(current);
  }

  auto parsed = impl.parse(target);
  if (!parsed) return base::fail(std::move(parsed).error());
  std::vector<Idx> dests;
  if (parsed->relative && *parsed->relative < 0 && parsed->symbol.empty()) {
    auto down = impl.downgrade_target(target, current, false);
    if (!down) return base::fail(std::move(down).error());
    if (down->revision) dests.push_back(*down->revision);
  } else {
    auto up = impl.upgrade_targets(target, current, false);
    if (!up) return base::fail(std::move(up).error());
    dests = std::move(up).value();
  }

  // The rows a stamp may move: those on the lineage of the target (Alembic's filtered heads).
  std::vector<Idx> lineage = dests;
  if (parsed->label) {
    auto branch = impl.lookup_branch(*parsed->label);
    if (!branch) return base::fail(std::move(branch).error());
    lineage.push_back(*branch);
  }
  std::vector<Idx> filtered;
  for (Idx head : current) {
    const bool related =
        lineage.empty() || std::any_of(lineage.begin(), lineage.end(), [&](Idx other) {
          return impl.shares_lineage(head, other, Edges::all);
        });
    if (related) filtered.push_back(head);
  }

  HeadMaintainer maintainer(impl, current);
  if (dests.empty()) {
    for (Idx head : filtered) {
      Step step{impl.id(head), Direction::stamp, {}, {}};
      maintainer.stamp_remove(head, step);
      step.heads_after = maintainer.heads();
      plan.steps.push_back(std::move(step));
    }
  }
  for (Idx dest : dests) {
    if (maintainer.is_head(dest)) continue;
    // Rows above or below the destination on its lineage move to it in one step; Alembic
    // moves every filtered row, which breaks with several branches, so only related rows move.
    std::vector<Idx> from;
    for (Idx head : filtered) {
      if (maintainer.is_head(head) &&
          (impl.is_ancestor(dest, head, Edges::all) || impl.is_ancestor(head, dest, Edges::all)))
        from.push_back(head);
    }
    Step step{impl.id(dest), Direction::stamp, {}, {}};
    if (from.empty()) {
      maintainer.stamp_insert(dest, step);
    } else {
      maintainer.stamp_move(from, dest, step);
    }
    step.heads_after = maintainer.heads();
    plan.steps.push_back(std::move(step));
  }
  plan.heads_after = maintainer.heads();
  return plan;
}

base::Result<std::vector<const Revision*>, TargetError> RevisionMap::history(
    std::string_view range, std::span<const std::string> current_heads) const {
  const Impl& impl = *m_impl;
  auto current = impl.current(current_heads);
  if (!current) return base::fail(std::move(current).error());
  std::string_view lower = "base";
  std::string_view upper = "heads";
  if (!range.empty()) {
    const auto colon = range.find(':');
    if (colon == std::string_view::npos) {
      return base::fail(target_error(
          Kind::syntax,
          "History range " + quoted(range) + " needs a colon: LOWER:UPPER, LOWER: or :UPPER."));
    }
    if (colon > 0) lower = range.substr(0, colon);
    if (colon + 1 < range.size()) upper = range.substr(colon + 1);
  }

  // History walks are clamped at the ends of the graph, as Alembic's walk_revisions.
  auto targets = impl.upgrade_targets(upper, *current, true);
  if (!targets) return base::fail(std::move(targets).error());
  if (auto at = lower.find('@'); at != std::string_view::npos) {
    // LABEL@...:UPPER shows that branch only.
    auto branch = impl.lookup_branch(lower.substr(0, at));
    if (!branch) return base::fail(std::move(branch).error());
    std::erase_if(*targets,
                  [&](Idx idx) { return !impl.shares_lineage(idx, *branch, Edges::versioned); });
  }
  std::vector<Idx> lower_revs;
  auto lower_expr = impl.parse(lower);
  if (!lower_expr) return base::fail(std::move(lower_expr).error());
  if (lower_expr->relative && *lower_expr->relative < 0 && lower_expr->symbol.empty()) {
    std::vector<Idx> from = current->empty() ? impl.real_heads : *current;
    auto down = impl.downgrade_target(lower, from, true);
    if (!down) return base::fail(std::move(down).error());
    if (down->revision) lower_revs.push_back(*down->revision);
  } else if (lower_expr->label && lower_expr->symbol == "base" && !lower_expr->relative) {
    // LABEL@base: from the bottom of the branch.
  } else {
    auto found = impl.upgrade_targets(lower, *current, true);
    if (!found) return base::fail(std::move(found).error());
    lower_revs = std::move(found).value();
  }

  std::vector<char> needs = marked(impl, *targets, Edges::all, false);
  for (Idx idx : lower_revs) {
    if (!needs[idx]) {
      return base::fail(target_error(
          Kind::not_found, "History range " + quoted(range) + " does not go from an ancestor " +
                               "to a descendant: " + impl.id(idx) + " is not below " +
                               std::string(upper) + "."));
    }
  }
  if (!lower_revs.empty()) {
    const std::vector<char> have = marked(impl, lower_revs, Edges::all, false);
    const std::vector<char> above = marked(impl, lower_revs, Edges::versioned, true);
    for (Idx idx = 0; idx < impl.size(); ++idx)
      needs[idx] = needs[idx] &&
                   (!have[idx] ||
                    std::find(lower_revs.begin(), lower_revs.end(), idx) != lower_revs.end()) &&
                   above[idx];
  }
  std::vector<const Revision*> out;
  for (Idx idx : order_downward(impl, needs)) out.push_back(&impl.revisions[idx]);
  return out;
}

}  // namespace retort::graph
