// The graph as DOT and Mermaid text, and as SVG: the DOT text laid out by Graphviz's library
// (the dot engine, gvc and cgraph), base at the top and time flowing down. Parent to child
// edges are solid, depends_on edges dashed; current revisions green, pending yellow, collapsed
// runs grey, heads with a heavy border. The marks are words in the label too, not colour alone.
#include "base/text.hpp"
#include "pictures/model.hpp"
#include "retort/error.hpp"

#include <fmt/format.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <memory>
#include <mutex>

namespace retort::pictures {

namespace {

std::string quoted_dot(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string tags_text(const Node& node) { return base::join(node.tags(), ", "); }

// The lines of a node's box.
std::vector<std::string> lines(const Node& node) {
  std::vector<std::string> out;
  if (node.collapsed()) {
    out.push_back(fmt::format("{} revisions", node.revisions.size()));
    out.push_back(node.revisions.back() + " .. " + node.revisions.front());
  } else {
    out.push_back(node.revisions.front());
    if (!node.message.empty()) {
      constexpr std::size_t k_width = 40;
      out.push_back(node.message.size() > k_width ? node.message.substr(0, k_width - 3) + "..."
                                                  : node.message);
    }
  }
  const std::string tags = tags_text(node);
  if (!tags.empty()) {
    out.push_back("(" + tags + ")");
  }
  return out;
}

const char* fill(const Node& node) {
  if (node.mark == Mark::current) {
    return "#c6f6d5";
  }
  if (node.mark == Mark::pending) {
    return "#fefcbf";
  }
  return node.collapsed() ? "#e2e8f0" : "#ffffff";
}

}  // namespace

std::string dot(const Drawing& drawing) {
  std::string out =
      "digraph revisions {\n"
      "  graph [rankdir=TB, nodesep=0.3, ranksep=0.35, fontname=\"DejaVu Sans\"];\n"
      "  node [shape=box, style=\"rounded,filled\", fontname=\"DejaVu Sans\", fontsize=10, "
      "color=\"#4a5568\"];\n"
      "  edge [color=\"#4a5568\", arrowsize=0.6];\n";
  for (const Node& node : drawing.nodes) {
    std::string tooltip;
    for (const std::string& revision : node.revisions) {
      tooltip += (tooltip.empty() ? "" : " ") + revision;
    }
    // Named by the revision (or the run), so the SVG's <title> of each node names it.
    out += fmt::format("  {} [label={}, tooltip={}, fillcolor=\"{}\"{}];\n",
                       quoted_dot(node.name()), quoted_dot(base::join(lines(node), "\n")),
                       quoted_dot(tooltip), fill(node), node.head ? ", penwidth=2.5" : "");
  }
  for (const Node& node : drawing.nodes) {
    for (const std::size_t parent : node.parents) {
      out += fmt::format("  {} -> {};\n", quoted_dot(drawing.nodes[parent].name()),
                         quoted_dot(node.name()));
    }
    for (const std::size_t dependency : node.depends) {
      out += fmt::format(
          "  {} -> {} [style=dashed, color=\"#805ad5\", label=\"depends on\", fontsize=8, "
          "constraint=false];\n",
          quoted_dot(drawing.nodes[dependency].name()), quoted_dot(node.name()));
    }
  }
  return out + "}\n";
}

std::string mermaid(const Drawing& drawing) {
  std::string out = "flowchart TB\n";
  std::string current;
  std::string pending;
  std::string collapsed;
  std::string heads;
  for (const Node& node : drawing.nodes) {
    std::string text;
    for (const std::string& line : lines(node)) {
      std::string escaped;
      for (const char c : line) {
        escaped += c == '"' ? std::string("#quot;") : std::string(1, c);
      }
      text += (text.empty() ? "" : "<br/>") + escaped;
    }
    out += fmt::format("  {}[\"{}\"]\n", node.id, text);
    const auto add = [&node](std::string& list) { list += (list.empty() ? "" : ",") + node.id; };
    if (node.mark == Mark::current) {
      add(current);
    } else if (node.mark == Mark::pending) {
      add(pending);
    } else if (node.collapsed()) {
      add(collapsed);
    }
    if (node.head) {
      add(heads);
    }
  }
  for (const Node& node : drawing.nodes) {
    for (const std::size_t parent : node.parents) {
      out += fmt::format("  {} --> {}\n", drawing.nodes[parent].id, node.id);
    }
    for (const std::size_t dependency : node.depends) {
      out += fmt::format("  {} -.->|depends on| {}\n", drawing.nodes[dependency].id, node.id);
    }
  }
  out +=
      "  classDef current fill:#c6f6d5,stroke:#276749\n"
      "  classDef pending fill:#fefcbf,stroke:#975a16\n"
      "  classDef collapsed fill:#e2e8f0\n"
      "  classDef head stroke-width:3px\n";
  for (const auto& [name, list] : {std::pair<const char*, const std::string&>{"current", current},
                                   {"pending", pending},
                                   {"collapsed", collapsed},
                                   {"head", heads}}) {
    if (!list.empty()) {
      out += fmt::format("  class {} {}\n", list, name);
    }
  }
  return out;
}

std::string svg(const Drawing& drawing) {
  const std::string text = dot(drawing);
  // Graphviz keeps global state (its error level, the graph discipline): one drawing at a time.
  static std::mutex graphviz;
  const std::lock_guard<std::mutex> lock(graphviz);
  agseterr(AGERR);  // warnings (a font not found) are not the user's concern
  const std::unique_ptr<GVC_t, int (*)(GVC_t*)> context(gvContext(), &gvFreeContext);
  if (!context) {
    throw Error(ExitCode::failed, "Graphviz could not start (gvContext failed)")
        .explain("reinstall Graphviz's library: apt-get install --reinstall libgvc6");
  }
  const std::unique_ptr<Agraph_t, int (*)(Agraph_t*)> graph(agmemread(text.c_str()), &agclose);
  if (!graph) {
    throw Error(ExitCode::failed, "Graphviz could not read the graph: " + std::string(aglasterr()));
  }
  if (gvLayout(context.get(), graph.get(), "dot") != 0) {
    throw Error(ExitCode::failed, "Graphviz could not lay the graph out with its dot engine")
        .explain("its plugins may be missing: apt-get install --reinstall libgvc6");
  }
  char* data = nullptr;
  unsigned int length = 0;
  const int rendered = gvRenderData(context.get(), graph.get(), "svg", &data, &length);
  std::string out = rendered == 0 && data != nullptr ? std::string(data, length) : std::string();
  gvFreeRenderData(data);
  gvFreeLayout(context.get(), graph.get());
  if (out.empty()) {
    throw Error(ExitCode::failed, "Graphviz could not render SVG")
        .explain("its plugins may be missing: apt-get install --reinstall libgvc6");
  }
  // Inline in HTML and on its own alike: no XML prologue or DOCTYPE, and a name for readers.
  if (const std::size_t start = out.find("<svg"); start != std::string::npos) {
    out.erase(0, start);
  }
  std::size_t heads = 0;
  for (const Node& node : drawing.nodes) {
    heads += node.head ? 1 : 0;
  }
  const std::string name =
      fmt::format("Revision graph: {} revisions in {} nodes, {} head{}", drawing.revisions,
                  drawing.nodes.size(), heads, heads == 1 ? "" : "s");
  out.replace(0, 4, "<svg role=\"img\" aria-label=\"" + escape_html(name) + "\"");
  return out;
}

}  // namespace retort::pictures
