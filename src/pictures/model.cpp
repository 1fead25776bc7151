// The drawing's graph. A revision joins a collapsed run when it has one parent and one child in
// the drawing, nothing depends on it and it depends on nothing, is no current row, and has the
// same labels and pending mark as its neighbours in the run; a run of three or more is one node.
// Bases, heads, branch and merge points always stand alone.
#include "pictures/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <unordered_map>

namespace retort::pictures {

namespace {

constexpr std::size_t k_min_run = 3;

struct Facts {
  const RevisionInfo* info = nullptr;
  std::vector<std::size_t> parents;   // indexes into revisions
  std::vector<std::size_t> children;  // indexes into revisions
  std::vector<std::size_t> depends;
  std::size_t dependents = 0;
  bool pending = false;
};

bool can_collapse(const Facts& facts) {
  return facts.parents.size() == 1 && facts.children.size() == 1 && facts.depends.empty() &&
         facts.dependents == 0 && !facts.info->is_current && !facts.info->is_branch_point &&
         !facts.info->is_merge_point;
}

bool same_run(const Facts& a, const Facts& b) {
  return a.pending == b.pending && a.info->branch_labels == b.info->branch_labels;
}

}  // namespace

std::string Node::name() const {
  if (!collapsed()) {
    return revisions.front();
  }
  return fmt::format("{} revisions: {} .. {}", revisions.size(), revisions.back(),
                     revisions.front());
}

std::vector<std::string> Node::tags() const {
  std::vector<std::string> out;
  if (head) {
    out.emplace_back("head");
  }
  if (base) {
    out.emplace_back("base");
  }
  if (merge) {
    out.emplace_back("merge");
  }
  if (branch_point) {
    out.emplace_back("branch point");
  }
  if (mark == Mark::current) {
    out.emplace_back("current");
  } else if (mark == Mark::pending) {
    out.emplace_back("pending");
  }
  if (!labels.empty()) {
    std::string joined;
    for (const std::string& label : labels) {
      joined += (joined.empty() ? "" : ", ") + label;
    }
    out.push_back("label " + joined);
  }
  return out;
}

Drawing build(const std::vector<RevisionInfo>& revisions, const std::vector<std::string>& pending,
              bool full) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < revisions.size(); ++i) {
    index.emplace(revisions[i].revision, i);
  }
  const std::set<std::string> pending_set(pending.begin(), pending.end());
  std::vector<Facts> facts(revisions.size());
  for (std::size_t i = 0; i < revisions.size(); ++i) {
    facts[i].info = &revisions[i];
    facts[i].pending = pending_set.contains(revisions[i].revision);
  }
  for (std::size_t i = 0; i < revisions.size(); ++i) {
    for (const std::string& parent : revisions[i].down_revisions) {
      if (const auto found = index.find(parent); found != index.end()) {
        facts[i].parents.push_back(found->second);
        facts[found->second].children.push_back(i);
      }
    }
    for (const std::string& dependency : revisions[i].depends_on) {
      if (const auto found = index.find(dependency); found != index.end()) {
        facts[i].depends.push_back(found->second);
        ++facts[found->second].dependents;
      }
    }
  }

  // Each revision's node: runs first, then every other revision alone.
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<std::size_t> node_of(revisions.size(), none);
  Drawing drawing;
  drawing.revisions = revisions.size();
  std::vector<std::vector<std::size_t>> members;  // per node, revision indexes newest first
  if (!full) {
    for (std::size_t i = 0; i < revisions.size(); ++i) {
      if (!can_collapse(facts[i])) {
        continue;
      }
      // The top of a run: its child does not continue it.
      const std::size_t child = facts[i].children.front();
      if (can_collapse(facts[child]) && same_run(facts[child], facts[i])) {
        continue;
      }
      std::vector<std::size_t> run{i};
      std::size_t at = i;
      while (true) {
        const std::size_t parent = facts[at].parents.front();
        if (!can_collapse(facts[parent]) || !same_run(facts[parent], facts[at])) {
          break;
        }
        run.push_back(parent);
        at = parent;
      }
      if (run.size() >= k_min_run) {
        for (const std::size_t member : run) {
          node_of[member] = members.size();
        }
        members.push_back(std::move(run));
      }
    }
  }
  for (std::size_t i = 0; i < revisions.size(); ++i) {
    if (node_of[i] == none) {
      node_of[i] = members.size();
      members.push_back({i});
    }
  }

  // Children before parents; among the ready, the one history lists first.
  std::vector<std::size_t> first(members.size());
  std::vector<std::set<std::size_t>> node_parents(members.size());
  std::vector<std::set<std::size_t>> node_depends(members.size());
  for (std::size_t n = 0; n < members.size(); ++n) {
    first[n] = *std::min_element(members[n].begin(), members[n].end());
    for (const std::size_t member : members[n]) {
      for (const std::size_t parent : facts[member].parents) {
        if (node_of[parent] != n) {
          node_parents[n].insert(node_of[parent]);
        }
      }
      for (const std::size_t dependency : facts[member].depends) {
        node_depends[n].insert(node_of[dependency]);
      }
    }
  }
  std::vector<std::size_t> waiting(members.size(), 0);  // children not yet placed
  for (std::size_t n = 0; n < members.size(); ++n) {
    for (const std::size_t parent : node_parents[n]) {
      ++waiting[parent];
    }
  }
  using Ready = std::pair<std::size_t, std::size_t>;  // (first, node)
  std::priority_queue<Ready, std::vector<Ready>, std::greater<>> ready;
  for (std::size_t n = 0; n < members.size(); ++n) {
    if (waiting[n] == 0) {
      ready.emplace(first[n], n);
    }
  }
  std::vector<std::size_t> order;
  order.reserve(members.size());
  while (!ready.empty()) {
    const std::size_t n = ready.top().second;
    ready.pop();
    order.push_back(n);
    for (const std::size_t parent : node_parents[n]) {
      if (--waiting[parent] == 0) {
        ready.emplace(first[parent], parent);
      }
    }
  }
  std::vector<std::size_t> position(members.size());
  for (std::size_t p = 0; p < order.size(); ++p) {
    position[order[p]] = p;
  }

  for (std::size_t p = 0; p < order.size(); ++p) {
    const std::vector<std::size_t>& run = members[order[p]];
    const RevisionInfo& top = revisions[run.front()];
    const RevisionInfo& bottom = revisions[run.back()];
    Node node;
    node.id = fmt::format("n{}", p);
    for (const std::size_t member : run) {
      node.revisions.push_back(revisions[member].revision);
    }
    if (run.size() == 1) {
      node.message = top.message;
    }
    node.head = facts[run.front()].children.empty();
    node.base = facts[run.back()].parents.empty();
    node.merge = top.is_merge_point;
    node.branch_point = top.is_branch_point;
    node.mark = top.is_current               ? Mark::current
                : facts[run.front()].pending ? Mark::pending
                                             : Mark::none;
    // A label shows where it starts (a parent lacks it) and on heads.
    bool starts = facts[run.back()].parents.empty();
    for (const std::size_t parent : facts[run.back()].parents) {
      if (revisions[parent].branch_labels != bottom.branch_labels) {
        starts = true;
      }
    }
    if (starts || node.head) {
      node.labels = top.branch_labels;
    }
    for (const std::size_t parent : node_parents[order[p]]) {
      node.parents.push_back(position[parent]);
    }
    for (const std::size_t dependency : node_depends[order[p]]) {
      node.depends.push_back(position[dependency]);
    }
    std::sort(node.parents.begin(), node.parents.end());
    std::sort(node.depends.begin(), node.depends.end());
    drawing.nodes.push_back(std::move(node));
  }
  return drawing;
}

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace retort::pictures
