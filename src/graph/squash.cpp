// Squashes: which revisions each squash stands for, the main graph's revisions with the
// replaced ones aliased away, the old graph of the replaced files, and adoption plans.
#include "graph/squash.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

namespace retort::graph {

namespace {

std::string reason_text(std::string_view squash, std::size_t count) {
  return "squash " + std::string(squash) + " replaces " + std::to_string(count) + " revision" +
         (count == 1 ? "" : "s");
}

template <typename Container>
bool contains(const Container& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

std::string adoption_reason(const Squash& squash) {
  return reason_text(squash.id, squash.replaces.size());
}

struct Squashes::Impl {
  std::vector<Squash> squashes;                              // not replaced, sorted by id
  std::map<std::string, std::size_t, std::less<>> top;       // replaced id -> squashes index
  std::map<std::string, std::string, std::less<>> owner;     // replaced id -> squash listing it
  std::map<std::string, std::string, std::less<>> tip_of;    // every squash id -> its tip
  std::map<std::string, std::size_t, std::less<>> replaces;  // every squash id -> ids listed
  std::set<std::string, std::less<>> present;                // replaced ids with a file
  std::optional<RevisionMap> old_map;

  // The member of `squash`'s own list that stands for a replaced id of a nested squash.
  [[nodiscard]] std::string representative(std::string id, const std::string& squash) const {
    for (std::size_t guard = 0; guard <= owner.size(); ++guard) {
      const auto it = owner.find(id);
      if (it == owner.end() || it->second == squash) break;
      id = it->second;
    }
    return id;
  }
};

Squashes::Squashes() : m_impl(std::make_unique<Impl>()) {
  m_impl->old_map.emplace(std::move(RevisionMap::build({})).value());
}
Squashes::Squashes(Squashes&&) noexcept = default;
Squashes& Squashes::operator=(Squashes&&) noexcept = default;
Squashes::~Squashes() = default;

base::Result<Squashes, std::vector<GraphProblem>> Squashes::split(
    std::vector<Revision>& revisions) {
  using Kind = GraphProblem::Kind;
  std::vector<GraphProblem> problems;
  Squashes out;
  Impl& impl = *out.m_impl;
  // Who lists what.
  std::map<std::string, std::vector<std::string>, std::less<>> listers;
  for (const Revision& rev : revisions) {
    if (rev.replaces.empty()) continue;
    impl.tip_of[rev.id] = rev.replaces.back();
    impl.replaces[rev.id] = rev.replaces.size();
    for (const std::string& id : rev.replaces) {
      if (id == rev.id) {
        problems.push_back({Kind::replaces_itself,
                            rev.id,
                            {id},
                            "Squash " + rev.id + " lists itself among the revisions it replaces."});
        continue;
      }
      std::vector<std::string>& list = listers[id];
      if (!contains(list, rev.id)) list.push_back(rev.id);
    }
  }
  if (impl.tip_of.empty()) return out;  // no squash: nothing to look up, as in most projects
  std::map<std::string, std::size_t, std::less<>> position;
  for (std::size_t pos = 0; pos < revisions.size(); ++pos) position.emplace(revisions[pos].id, pos);
  const auto revision_of = [&](const std::string& id) -> const Revision* {
    const auto it = position.find(id);
    return it == position.end() ? nullptr : &revisions[it->second];
  };

  // Whether squash `inner` is replaced, directly or through other squashes, by `outer`.
  const auto within = [&](std::string inner, const std::string& outer) {
    for (std::size_t guard = 0; guard <= listers.size(); ++guard) {
      const auto it = listers.find(inner);
      if (it == listers.end()) return false;
      if (contains(it->second, outer)) return true;
      inner = it->second.front();
    }
    return false;
  };
  // The squash that lists an id; of nested squashes listing it, the innermost.
  for (const auto& [id, list] : listers) {
    std::optional<std::string> innermost;
    for (const std::string& candidate : list) {
      const bool inside_all = std::all_of(list.begin(), list.end(), [&](const std::string& other) {
        return other == candidate || within(candidate, other);
      });
      if (inside_all) innermost = candidate;
    }
    if (!innermost) {
      problems.push_back({Kind::replaced_twice,
                          list[1],
                          {id, list[0]},
                          "Revision " + id + " is replaced by both squash " + list[0] +
                              " and squash " + list[1] + "."});
      innermost = list[0];
    }
    impl.owner.emplace(id, *innermost);
  }
  // The outermost squash of every replaced id.
  std::map<std::string, std::string, std::less<>> top_id;
  for (const auto& [id, first_owner] : impl.owner) {
    std::string squash = first_owner;
    bool cycle = true;
    for (std::size_t guard = 0; guard <= impl.owner.size(); ++guard) {
      const auto up = impl.owner.find(squash);
      if (up == impl.owner.end()) {
        cycle = false;
        break;
      }
      squash = up->second;
    }
    if (cycle) {
      if (impl.tip_of.contains(id)) {
        problems.push_back({Kind::replaces_itself,
                            id,
                            {first_owner},
                            "Squash " + id + " and squash " + first_owner +
                                " replace each other, directly or through other squashes."});
      }
      continue;
    }
    top_id.emplace(id, squash);
    if (revision_of(id) != nullptr) impl.present.insert(id);
  }
  if (!problems.empty()) return base::fail(std::move(problems));

  // The squashes no squash replaces, and what each stands for.
  for (const auto& [id, tip] : impl.tip_of) {
    if (impl.owner.contains(id)) continue;
    const Revision& rev = *revision_of(id);
    Squash squash{id, rev.replaces, tip, {}, {}, {}};
    for (const std::string& replaced : rev.replaces) {
      (impl.present.contains(replaced) ? squash.present : squash.retired).push_back(replaced);
    }
    std::sort(squash.present.begin(), squash.present.end());
    std::sort(squash.retired.begin(), squash.retired.end());
    impl.squashes.push_back(std::move(squash));
  }
  std::sort(impl.squashes.begin(), impl.squashes.end(),
            [](const Squash& a, const Squash& b) { return a.id < b.id; });
  std::map<std::string, std::size_t, std::less<>> index_of;
  for (std::size_t idx = 0; idx < impl.squashes.size(); ++idx) {
    index_of.emplace(impl.squashes[idx].id, idx);
  }
  for (const auto& [id, squash] : top_id) {
    const std::size_t idx = index_of.at(squash);
    impl.top.emplace(id, idx);
    impl.squashes[idx].all_replaced.push_back(id);  // top_id is sorted: so is this
  }

  // A squash nested in another stands for revisions whose files are gone: the outer squash was
  // made over a squash not yet retired.
  for (const auto& [inner, outer] : impl.owner) {
    if (!impl.tip_of.contains(inner)) continue;
    std::vector<std::string> still{inner};
    for (const auto& [id, owner] : impl.owner) {
      if (owner == inner && impl.present.contains(id)) still.push_back(id);
    }
    if (still.size() > 1) {
      std::string listed;
      for (std::size_t idx = 1; idx < still.size(); ++idx) {
        listed += (idx > 1 ? ", " : "") + still[idx];
      }
      problems.push_back({Kind::squash_not_retired, outer, still,
                          "Squash " + outer + " replaces squash " + inner +
                              ", whose replaced revisions still have files: " + listed + "."});
    }
  }

  // The main graph: what is not replaced, with references to a tip made to its squash.
  const auto alias = [&](const Revision& rev, const std::string& ref,
                         std::string_view link) -> std::optional<std::string> {
    const auto found = impl.top.find(ref);
    if (found == impl.top.end()) return ref;
    const Squash& squash = impl.squashes[found->second];
    if (rev.id == squash.id) {
      problems.push_back(
          {Kind::replaces_itself,
           rev.id,
           {ref},
           "Squash " + rev.id + " " + std::string(link) + " " + ref + ", which it replaces."});
      return std::nullopt;
    }
    if (ref == squash.tip) return squash.id;
    problems.push_back({Kind::replaced_reference,
                        rev.id,
                        {ref, squash.id, squash.tip},
                        "Revision " + rev.id + " " + std::string(link) + " " + ref +
                            ", which squash " + squash.id + " replaces; only its last revision " +
                            squash.tip + " stands for " + squash.id + "."});
    return std::nullopt;
  };
  std::map<std::string, std::vector<std::string>, std::less<>> squash_parents;
  for (const Squash& squash : impl.squashes) {
    squash_parents.emplace(squash.id, revision_of(squash.id)->down_revisions);
  }
  std::vector<Revision> main;
  std::vector<Revision> old;
  main.reserve(revisions.size());
  for (Revision& rev : revisions) {
    if (impl.top.contains(rev.id)) continue;
    Revision kept = std::move(rev);
    std::vector<std::string> parents;
    for (const std::string& parent : kept.down_revisions) {
      if (auto to = alias(kept, parent, "revises")) parents.push_back(std::move(*to));
    }
    std::vector<std::string> dependencies;
    for (const std::string& dependency : kept.depends_on) {
      if (auto to = alias(kept, dependency, "depends on")) dependencies.push_back(std::move(*to));
    }
    kept.down_revisions = std::move(parents);
    kept.depends_on = std::move(dependencies);
    main.push_back(std::move(kept));
  }

  // The old graph: the replaced files, parents inside their squash only, and a bare entry for
  // each retired revision a squash lists itself.
  for (const auto& [id, idx] : impl.top) {
    const Squash& squash = impl.squashes[idx];
    const auto pos = position.find(id);
    if (pos == position.end()) {
      if (impl.owner.at(id) == squash.id) old.push_back(Revision{id, {}, {}, {}, {}, {}});
      continue;
    }
    const Revision& rev = revisions[pos->second];
    const std::vector<std::string>& outside = squash_parents.at(squash.id);
    Revision entry{id, {}, {}, {}, rev.message, {}};
    for (const std::string& parent : rev.down_revisions) {
      const auto parent_top = impl.top.find(parent);
      if (parent_top != impl.top.end() && parent_top->second == idx) {
        entry.down_revisions.push_back(impl.representative(parent, squash.id));
      } else if (parent_top != impl.top.end() || !contains(outside, parent)) {
        problems.push_back({Kind::replaced_outside,
                            id,
                            {parent, squash.id},
                            "Revision " + id + ", which squash " + squash.id +
                                " replaces, revises " + parent + ", which " + squash.id +
                                " neither replaces nor revises."});
      }
    }
    for (const std::string& dependency : rev.depends_on) {
      const auto dep_top = impl.top.find(dependency);
      if (dep_top != impl.top.end() && dep_top->second == idx) {
        entry.depends_on.push_back(impl.representative(dependency, squash.id));
      }
    }
    old.push_back(std::move(entry));
  }
  revisions = std::move(main);
  auto old_map = RevisionMap::build(std::move(old));
  if (!old_map) {
    for (const GraphProblem& problem : old_map.error()) problems.push_back(problem);
  }
  if (!problems.empty()) return base::fail(std::move(problems));
  impl.old_map.emplace(std::move(old_map).value());
  // The tip is the last id listed: no replaced revision may come after it, or the list is not
  // in history order and the wrong revision would stand for the squash. (Below it cannot be
  // checked as surely: retired files leave gaps in the old graph.)
  for (const Squash& squash : impl.squashes) {
    std::vector<std::string> todo{squash.tip};
    std::set<std::string> seen{squash.tip};
    while (!todo.empty()) {
      const std::string id = std::move(todo.back());
      todo.pop_back();
      for (std::string& child : impl.old_map->children(id)) {
        if (!seen.insert(child).second) continue;
        problems.push_back({Kind::tip_not_last,
                            squash.id,
                            {child, squash.tip},
                            "Squash " + squash.id + " replaces " + child + ", which comes after " +
                                squash.tip + ", the last revision it lists (its tip)."});
        todo.push_back(std::move(child));
      }
    }
  }
  if (!problems.empty()) return base::fail(std::move(problems));
  return out;
}

bool Squashes::empty() const noexcept { return m_impl->squashes.empty(); }

std::span<const Squash> Squashes::all() const noexcept { return m_impl->squashes; }

const Squash* Squashes::replacing(std::string_view id) const noexcept {
  const auto it = m_impl->top.find(id);
  return it == m_impl->top.end() ? nullptr : &m_impl->squashes[it->second];
}

const RevisionMap& Squashes::replaced_map() const noexcept { return *m_impl->old_map; }

std::vector<std::string> Squashes::adopted(std::span<const std::string> rows) const {
  std::set<std::string> out;
  for (const std::string& row : rows) {
    const Squash* squash = replacing(row);
    out.insert(squash != nullptr ? squash->id : row);
  }
  return {out.begin(), out.end()};
}

Adoption Squashes::plan_adoption(std::span<const std::string> rows) const {
  const Impl& impl = *m_impl;
  Adoption out;
  std::set<std::string> heads(rows.begin(), rows.end());
  out.plan.heads_before.assign(heads.begin(), heads.end());
  std::map<std::size_t, std::vector<std::string>> by_squash;
  for (const std::string& row : heads) {
    if (const auto it = impl.top.find(row); it != impl.top.end()) {
      by_squash[it->second].push_back(row);
    }
  }
  const auto sorted = [](const std::set<std::string>& items) {
    return std::vector<std::string>(items.begin(), items.end());
  };
  const auto stamp = [&](const std::string& from, const std::string& squash) {
    heads.erase(from);
    heads.insert(squash);
    return Step{squash,
                Direction::stamp,
                {VersionOp{VersionOp::Kind::update, from, squash}},
                sorted(heads),
                reason_text(squash, impl.replaces.at(squash))};
  };
  for (const auto& [idx, in_rows] : by_squash) {
    const Squash& squash = impl.squashes[idx];
    std::vector<Step> steps;
    std::vector<std::string> starts;
    const std::set<std::string> heads_were = heads;
    std::optional<Straggler> stuck;
    for (const std::string& row : in_rows) {
      std::string rep = row;
      // A row at the tip of a nested (retired) squash adopts that squash first.
      while (!stuck && impl.owner.at(rep) != squash.id) {
        const std::string& inner = impl.owner.at(rep);
        if (rep != impl.tip_of.at(inner)) {
          stuck = Straggler{row, squash.id, squash.tip, {row}};
          break;
        }
        steps.push_back(stamp(rep, inner));
        rep = inner;
      }
      if (!stuck && rep != squash.tip && !impl.present.contains(rep)) {
        stuck = Straggler{row, squash.id, squash.tip, {rep}};
      }
      if (stuck) break;
      starts.push_back(rep);
    }
    if (!stuck && std::any_of(starts.begin(), starts.end(),
                              [&](const std::string& start) { return start != squash.tip; })) {
      auto old = impl.old_map->plan_upgrade(starts, squash.tip);
      std::vector<std::string> missing;
      if (old) {
        for (const Step& step : old->steps) {
          if (!impl.present.contains(step.revision)) missing.push_back(step.revision);
        }
      }
      if (!old || !missing.empty()) {
        const auto interior = std::find_if(starts.begin(), starts.end(),
                                           [&](const auto& start) { return start != squash.tip; });
        stuck = Straggler{*interior, squash.id, squash.tip, std::move(missing)};
      } else {
        std::set<std::string> in_set(starts.begin(), starts.end());
        for (Step& step : old->steps) {
          for (const std::string& row : in_set) heads.erase(row);
          in_set = std::set<std::string>(step.heads_after.begin(), step.heads_after.end());
          heads.insert(in_set.begin(), in_set.end());
          step.heads_after = sorted(heads);
          steps.push_back(std::move(step));
        }
      }
    }
    if (stuck) {
      heads = heads_were;
      out.stragglers.push_back(std::move(*stuck));
      continue;
    }
    steps.push_back(stamp(squash.tip, squash.id));
    for (Step& step : steps) out.plan.steps.push_back(std::move(step));
  }
  out.plan.heads_after = sorted(heads);
  return out;
}

}  // namespace retort::graph
