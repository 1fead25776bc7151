// The drawing's graph: revisions as nodes, a linear run of them collapsed into one node, in
// the order every format draws them (children before parents, newest first). Pure.
#pragma once

#include "retort/results.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace retort::pictures {

enum class Mark { none, current, pending };

struct Node {
  std::string id;                      // "n0", "n1", ...: safe in DOT and Mermaid
  std::vector<std::string> revisions;  // newest first; more than one: a collapsed run
  std::string message;                 // of a single revision
  std::vector<std::string> labels;     // shown where a branch label starts, and on heads
  bool head = false;
  bool base = false;
  bool merge = false;
  bool branch_point = false;
  Mark mark = Mark::none;
  std::vector<std::size_t> parents;  // node indexes, in down_revision order
  std::vector<std::size_t> depends;  // node indexes this one depends on (dashed)

  [[nodiscard]] bool collapsed() const noexcept { return revisions.size() > 1; }
  // "3f2a9c1b7d4e" or "12 revisions: aaa .. bbb".
  [[nodiscard]] std::string name() const;
  // The words beside the name: "head, current, labels: app".
  [[nodiscard]] std::vector<std::string> tags() const;
};

struct Drawing {
  std::vector<Node> nodes;  // children before parents, newest first
  std::size_t revisions = 0;
};

// revisions as history() returns them; pending: the revisions an upgrade would run.
[[nodiscard]] Drawing build(const std::vector<RevisionInfo>& revisions,
                            const std::vector<std::string>& pending, bool full);

[[nodiscard]] std::string ascii(const Drawing& drawing);
[[nodiscard]] std::string dot(const Drawing& drawing);
[[nodiscard]] std::string mermaid(const Drawing& drawing);
// The DOT text laid out by Graphviz's library and rendered as SVG (no XML prologue).
[[nodiscard]] std::string svg(const Drawing& drawing);

// Text escaped for HTML and XML.
[[nodiscard]] std::string escape_html(const std::string& text);

}  // namespace retort::pictures
