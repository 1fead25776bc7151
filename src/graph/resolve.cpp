// Target expressions (head, heads, base, ids, prefixes, labels, LABEL@..., +N, -N, REV+N),
// resolved against the graph and the current heads as Alembic's RevisionMap resolves them.
#include "graph/graph_impl.hpp"
#include "graph/revision_map.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace retort::graph {

namespace {

using Kind = TargetError::Kind;

// Alembic matches a partial id, of any length, only against stored ids and labels longer than
// three characters (_revision_for_ident: `len(x) > 3 and x.startswith(resolved_id)`): a short
// id is named in full or not at all, and "a" names "a1b2c3" when nothing else starts with it.
constexpr std::size_t k_min_prefixed = 4;
// A relative step count longer than this is a typo, not a walk.
constexpr std::size_t k_max_relative_digits = 9;
// Candidates named in one message; the full list stays in TargetError::candidates.
constexpr std::size_t k_max_listed = 10;

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string listing(const std::vector<std::string>& items) {
  std::string out;
  const std::size_t shown = std::min(items.size(), k_max_listed);
  for (std::size_t item_idx = 0; item_idx < shown; ++item_idx) {
    if (item_idx > 0) out += (item_idx + 1 == items.size()) ? " and " : ", ";
    out += items[item_idx];
  }
  if (items.size() > shown) out += " and " + std::to_string(items.size() - shown) + " more";
  return out;
}

std::string signed_steps(long steps) {
  std::string out = steps >= 0 ? "+" : "";
  out += std::to_string(steps);
  return out;
}

}  // namespace

base::Result<TargetExpr, TargetError> GraphCore::parse(std::string_view target) const {
  std::string quoted = "'";
  quoted.append(target).append("'");
  if (target.empty()) return base::fail(target_error(Kind::syntax, "The target is empty."));
  for (char c : target) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 ||
        std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      return base::fail(target_error(
          Kind::syntax, "Target " + quoted + " contains a space or control character."));
    }
  }
  TargetExpr expr;
  std::string_view rest = target;
  if (auto at = target.find('@'); at != std::string_view::npos) {
    if (at == 0) {
      return base::fail(
          target_error(Kind::syntax, "Target " + quoted + " names no branch before '@'."));
    }
    expr.label = std::string(target.substr(0, at));
    rest = target.substr(at + 1);
    if (rest.empty()) {
      return base::fail(target_error(
          Kind::syntax,
          "Target " + quoted + " names nothing after '@'; try " + std::string(target) + "head."));
    }
  }
  const auto sign = rest.find_first_of("+-");
  if (sign != std::string_view::npos) {
    const std::string_view symbol = rest.substr(0, sign);
    const std::string_view digits = rest.substr(sign + 1);
    const bool relative = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
      return c >= '0' && c <= '9';
    }) && std::all_of(symbol.begin(), symbol.end(), is_word_char);
    if (relative) {
      if (digits.size() > k_max_relative_digits) {
        return base::fail(
            target_error(Kind::syntax, "Relative target " + quoted + " is too large."));
      }
      const long steps = std::stol(std::string(digits));
      expr.symbol = std::string(symbol);
      expr.relative = rest[sign] == '-' ? -steps : steps;
      return expr;
    }
  }
  expr.symbol = std::string(rest);
  return expr;
}

base::Result<Idx, TargetError> GraphCore::lookup(std::string_view ident, std::optional<Idx> branch,
                                                 std::string_view branch_name) const {
  std::optional<Idx> found = find_exact(ident);
  if (!found) {
    if (auto label = by_label.find(ident); label != by_label.end()) found = label->second;
  }
  if (!found) {
    std::set<Idx> matches;
    std::vector<std::string> too_short;  // ids that start with ident but match only in full
    for (Idx idx : with_prefix(ident)) {
      if (id(idx).size() >= k_min_prefixed) {
        matches.insert(idx);
      } else {
        too_short.push_back(id(idx));
      }
    }
    for (auto it = by_label.lower_bound(ident);
         it != by_label.end() && it->first.starts_with(ident); ++it) {
      if (it->first.size() >= k_min_prefixed) matches.insert(it->second);
    }
    if (branch) {
      std::erase_if(matches,
                    [&](Idx idx) { return !shares_lineage(idx, *branch, Edges::versioned); });
    }
    if (matches.empty()) {
      std::string message = "No revision or branch label matches '" + std::string(ident) + "'";
      if (branch) message += " on branch '" + std::string(branch_name) + "'";
      if (!too_short.empty()) {
        message += "; " + listing(too_short) +
                   (too_short.size() == 1 ? " is a revision id" : " are revision ids") +
                   " shorter than four characters, which only the full id names";
      }
      return base::fail(target_error(Kind::not_found, message + "."));
    }
    if (matches.size() > 1) {
      std::vector<Idx> sorted(matches.begin(), matches.end());
      std::vector<std::string> candidates = ids(sorted);
      return base::fail(target_error(
          Kind::ambiguous,
          "Several revisions start with '" + std::string(ident) + "': " + listing(candidates) + ".",
          candidates));
    }
    found = *matches.begin();
  }
  if (branch && !shares_lineage(*found, *branch, Edges::versioned)) {
    return base::fail(target_error(
        Kind::not_found,
        "Revision " + id(*found) + " is not on branch '" + std::string(branch_name) + "'."));
  }
  return *found;
}

base::Result<Idx, TargetError> GraphCore::lookup_branch(std::string_view name) const {
  if (auto label = by_label.find(name); label != by_label.end()) return label->second;
  auto found = lookup(name, std::nullopt, {});
  if (!found && found.error().kind == Kind::not_found) {
    return base::fail(target_error(
        Kind::not_found, "No branch label or revision matches '" + std::string(name) + "'."));
  }
  return found;
}

base::Result<std::vector<Idx>, TargetError> GraphCore::resolve_absolute(
    const TargetExpr& expr, std::string_view target) const {
  std::optional<Idx> branch;
  if (expr.label) {
    auto found = lookup_branch(*expr.label);
    if (!found) return base::fail(std::move(found).error());
    branch = *found;
  }
  const std::vector<char> on_branch = branch ? lineage_of(*branch) : std::vector<char>();
  auto lineage = [&](const std::vector<Idx>& list) {
    std::vector<Idx> out;
    for (Idx idx : list)
      if (!branch || on_branch[idx]) out.push_back(idx);
    return out;
  };
  if (expr.symbol == "heads") return branch ? lineage(heads) : real_heads;
  if (expr.symbol == "head") {
    std::vector<Idx> found = lineage(heads);
    if (found.size() > 1) {
      std::vector<std::string> candidates = ids(found);
      return base::fail(target_error(Kind::multiple_heads,
                                     "Several heads are present for '" + std::string(target) +
                                         "': " + listing(candidates) + ".",
                                     candidates));
    }
    return found;
  }
  if (expr.symbol == "base") return std::vector<Idx>{};
  auto found = lookup(expr.symbol, branch, expr.label ? *expr.label : std::string());
  if (!found) return base::fail(std::move(found).error());
  return std::vector<Idx>{*found};
}

base::Result<std::optional<Idx>, TargetError> GraphCore::resolve_one(
    const TargetExpr& expr, std::string_view target) const {
  auto found = resolve_absolute(expr, target);
  if (!found) return base::fail(std::move(found).error());
  if (found->size() > 1) {
    std::vector<std::string> candidates = ids(*found);
    return base::fail(target_error(
        Kind::multiple_heads,
        "Several heads are present for '" + std::string(target) + "': " + listing(candidates) + ".",
        candidates));
  }
  if (found->empty()) return std::optional<Idx>{};
  return std::optional<Idx>{found->front()};
}

base::Result<std::vector<Idx>, TargetError> GraphCore::current(
    std::span<const std::string> current_heads) const {
  std::vector<Idx> out;
  std::vector<std::string> unknown;
  for (const std::string& head : current_heads) {
    if (auto idx = find_exact(head)) {
      out.push_back(*idx);
    } else {
      unknown.push_back(head);
    }
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
    return base::fail(target_error(
        Kind::unknown_current,
        std::string("The version table names ") +
            (unknown.size() == 1 ? "revision " : "revisions ") + listing(unknown) +
            (unknown.size() == 1 ? ", which is" : ", which are") + " not in the script directory.",
        unknown));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

base::Result<std::optional<Idx>, TargetError> GraphCore::walk(std::optional<Idx> start, long steps,
                                                              std::optional<Idx> branch,
                                                              std::string_view target,
                                                              bool clamp) const {
  const bool upward = steps > 0;
  const long count = steps < 0 ? -steps : steps;
  std::optional<Idx> node = start;
  bool past_base = false;  // walking down from base goes nowhere
  const std::vector<char> on_branch = branch ? lineage_of(*branch) : std::vector<char>();
  for (long step = 0; step < count; ++step) {
    std::vector<Idx> next;
    if (upward) {
      for (Idx idx : node ? children[*node] : std::span<const Idx>(bases))
        if (!branch || on_branch[idx]) next.push_back(idx);
    } else if (node) {
      next.assign(parents[*node].begin(), parents[*node].end());
      if (next.empty()) {
        node.reset();  // reached base
        continue;
      }
    } else {
      past_base = true;
    }
    if (next.empty() || past_base) {
      if (clamp) return node;
      return base::fail(
          target_error(Kind::relative_range,
                       "Relative target '" + std::string(target) + "' walks past " +
                           (upward ? "a head" : "base") + ": fewer than " + std::to_string(count) +
                           " revisions are " + (upward ? "above " : "below ") +
                           (start ? "revision " + id(*start) : std::string("base")) + "."));
    }
    if (next.size() > 1) {
      std::vector<std::string> candidates = ids(next);
      const std::string where = node ? "revision " + id(*node) : std::string("base");
      return base::fail(target_error(
          Kind::relative_range,
          "Relative target '" + std::string(target) + "' is ambiguous: " + where +
              (upward ? " has several children, " : " is a merge of ") + listing(candidates) +
              (upward ? "; name a branch, e.g. LABEL@" + signed_steps(steps) + "."
                      : "; name the revision to go to instead."),
          candidates));
    }
    node = next.front();
  }
  return node;
}

base::Result<std::vector<Idx>, TargetError> GraphCore::upgrade_targets(std::string_view target,
                                                                       std::span<const Idx> current,
                                                                       bool clamp) const {
  auto parsed = parse(target);
  if (!parsed) return base::fail(std::move(parsed).error());
  const TargetExpr& expr = *parsed;
  if (!expr.relative) {
    if (!expr.label && expr.symbol == "current")
      return std::vector<Idx>(current.begin(), current.end());
    return resolve_absolute(expr, target);
  }
  const long steps = *expr.relative;
  std::optional<Idx> branch;
  if (expr.label) {
    auto found = lookup_branch(*expr.label);
    if (!found) return base::fail(std::move(found).error());
    branch = *found;
  }
  if (steps <= 0 && expr.symbol.empty()) {
    return base::fail(
        target_error(Kind::not_an_upgrade, "Relative target '" + std::string(target) +
                                               "' does not go up; run a downgrade to go down."));
  }
  std::optional<Idx> start;
  if (expr.symbol.empty()) {
    std::vector<Idx> starts;
    for (Idx idx : current)
      if (!branch || shares_lineage(idx, *branch, Edges::versioned)) starts.push_back(idx);
    if (branch && starts.empty() && !current.empty()) {
      // The branch has no current head: start from the tip of what is applied on it.
      Marks active(size());
      mark_ancestors(current, Edges::all, active);
      const std::vector<char> lineage = lineage_of(*branch);
      std::vector<Idx> on_branch;
      for (Idx idx = 0; idx < size(); ++idx)
        if (active.test(idx) && lineage[idx]) on_branch.push_back(idx);
      Marks below(size());
      for (Idx idx : on_branch)
        for (Idx down_idx : norm_down[idx]) below.mark(down_idx);
      for (Idx idx : on_branch)
        if (!below.test(idx)) starts.push_back(idx);
    }
    if (starts.size() > 1) {
      std::vector<std::string> candidates = ids(starts);
      return base::fail(target_error(Kind::relative_range,
                                     "Relative target '" + std::string(target) +
                                         "' is ambiguous with several current heads, " +
                                         listing(candidates) + "; name a branch, e.g. LABEL@" +
                                         signed_steps(steps) + " or REV@" + signed_steps(steps) +
                                         ".",
                                     candidates));
    }
    if (!starts.empty()) start = starts.front();
  } else {
    TargetExpr symbol_expr{steps < 0 ? expr.label : std::nullopt, expr.symbol, std::nullopt};
    auto found = resolve_one(symbol_expr, target);
    if (!found) return base::fail(std::move(found).error());
    start = *found;
    if (steps == 0) {
      return start ? std::vector<Idx>{*start} : std::vector<Idx>{};
    }
  }
  auto walked = walk(start, steps, steps > 0 ? branch : std::nullopt, target, clamp);
  if (!walked) return base::fail(std::move(walked).error());
  return *walked ? std::vector<Idx>{**walked} : std::vector<Idx>{};
}

base::Result<GraphCore::DowngradeTarget, TargetError> GraphCore::downgrade_target(
    std::string_view target, std::span<const Idx> current, bool clamp) const {
  auto parsed = parse(target);
  if (!parsed) return base::fail(std::move(parsed).error());
  const TargetExpr& expr = *parsed;
  DowngradeTarget out;
  if (expr.label) {
    auto found = lookup_branch(*expr.label);
    if (!found) return base::fail(std::move(found).error());
    out.branch = *found;
  }
  if (!expr.relative) {
    auto found = resolve_one(expr, target);
    if (!found) return base::fail(std::move(found).error());
    out.revision = *found;
    return out;
  }
  const long steps = *expr.relative;
  if (steps >= 0) {
    if (expr.symbol.empty()) {
      return base::fail(
          target_error(Kind::not_a_downgrade, "Relative target '" + std::string(target) +
                                                  "' does not go down; run an upgrade to go up."));
    }
    auto found = resolve_one(TargetExpr{std::nullopt, expr.symbol, std::nullopt}, target);
    if (!found) return base::fail(std::move(found).error());
    auto walked = walk(*found, steps, out.branch, target, clamp);
    if (!walked) return base::fail(std::move(walked).error());
    out.revision = *walked;
    return out;
  }
  std::optional<Idx> start;
  if (expr.symbol.empty()) {
    std::vector<Idx> starts;
    if (out.branch) {
      for (Idx idx : current)
        if (shares_lineage(idx, *out.branch, Edges::versioned)) starts.push_back(idx);
      if (starts.empty()) {
        // Issue 1026: the branch's head may be implied by a head of another branch that
        // depends on it; look at the tips of everything applied.
        Marks applied(size());
        mark_ancestors(current, Edges::all, applied);
        const std::vector<char> lineage = lineage_of(*out.branch);
        for (Idx idx = 0; idx < size(); ++idx) {
          if (!applied.test(idx)) continue;
          const bool tip = std::none_of(children[idx].begin(), children[idx].end(),
                                        [&](Idx child) { return applied.test(child); });
          if (tip && lineage[idx]) starts.push_back(idx);
        }
      }
    } else {
      starts.assign(current.begin(), current.end());
      out.branch = starts.empty() ? std::nullopt : std::optional<Idx>{starts.front()};
    }
    if (starts.empty()) {
      return base::fail(
          target_error(Kind::relative_range,
                       "Relative target '" + std::string(target) + "' needs a current revision" +
                           (expr.label ? " on branch '" + *expr.label + "'" : std::string()) +
                           ", and there is none."));
    }
    if (starts.size() > 1) {
      // Alembic warns and picks one; a downgrade must never guess (see its issue 765).
      std::vector<std::string> candidates = ids(starts);
      return base::fail(target_error(Kind::relative_range,
                                     "Relative target '" + std::string(target) +
                                         "' is ambiguous with several current heads, " +
                                         listing(candidates) + "; name the branch, e.g. " +
                                         candidates.front() + "@" + signed_steps(steps) + ".",
                                     candidates));
    }
    start = starts.front();
  } else {
    auto found = resolve_one(expr.label ? TargetExpr{expr.label, expr.symbol, std::nullopt}
                                        : TargetExpr{std::nullopt, expr.symbol, std::nullopt},
                             target);
    if (!found) return base::fail(std::move(found).error());
    start = *found;
  }
  auto walked = walk(start, steps, std::nullopt, target, clamp);
  if (!walked) return base::fail(std::move(walked).error());
  out.revision = *walked;
  return out;
}

base::Result<std::vector<std::string>, TargetError> RevisionMap::resolve(
    std::string_view target, std::span<const std::string> current_heads) const {
  auto current = m_impl->current(current_heads);
  if (!current) return base::fail(std::move(current).error());
  auto parsed = m_impl->parse(target);
  if (!parsed) return base::fail(std::move(parsed).error());
  std::vector<Idx> found;
  if (parsed->relative && *parsed->relative < 0 && parsed->symbol.empty()) {
    auto down = m_impl->downgrade_target(target, *current, false);
    if (!down) return base::fail(std::move(down).error());
    if (down->revision) found.push_back(*down->revision);
  } else {
    auto up = m_impl->upgrade_targets(target, *current, false);
    if (!up) return base::fail(std::move(up).error());
    found = std::move(up).value();
  }
  std::sort(found.begin(), found.end());
  return m_impl->ids(found);
}

}  // namespace retort::graph
