// The graph as terminal text, one line per node and lanes as `git log --graph` draws them:
// `*` the node, `|` a lane passing, `\` a merge's second parent opening a lane, `/` and `_`
// lanes joining where a branch began.
#include "base/text.hpp"
#include "pictures/model.hpp"

#include <string>
#include <vector>

namespace retort::pictures {

namespace {

void trim_right(std::string& row) {
  while (!row.empty() && row.back() == ' ') {
    row.pop_back();
  }
}

std::string label(const Drawing& drawing, const Node& node) {
  std::string out = node.name();
  const std::vector<std::string> tags = node.tags();
  if (!tags.empty()) {
    out += " (" + base::join(tags, ", ") + ")";
  }
  if (!node.message.empty()) {
    out += "  " + node.message;
  }
  if (!node.depends.empty()) {
    std::string names;
    for (const std::size_t dependency : node.depends) {
      names += (names.empty() ? "" : ", ") + drawing.nodes[dependency].name();
    }
    out += "  [depends on " + names + "]";
  }
  return out;
}

}  // namespace

std::string ascii(const Drawing& drawing) {
  std::vector<std::size_t> lanes;  // the node each lane waits for
  std::string out;
  const auto emit = [&out](std::string row) {
    trim_right(row);
    out += row + "\n";
  };
  for (std::size_t n = 0; n < drawing.nodes.size(); ++n) {
    std::vector<std::size_t> columns;
    for (std::size_t k = 0; k < lanes.size(); ++k) {
      if (lanes[k] == n) {
        columns.push_back(k);
      }
    }
    if (columns.empty()) {
      lanes.push_back(n);
      columns.push_back(lanes.size() - 1);
    }
    const std::size_t c = columns.front();
    // The other lanes waiting for this node join it, rightmost first.
    for (std::size_t i = columns.size() - 1; i > 0; --i) {
      const std::size_t j = columns[i];
      std::string row(2 * lanes.size() + 1, ' ');
      for (std::size_t k = 0; k < j; ++k) {
        row[2 * k] = '|';
      }
      for (std::size_t k = c; k + 2 <= j; ++k) {
        row[2 * k + 1] = '_';
      }
      row[2 * j - 1] = '/';
      for (std::size_t k = j + 1; k < lanes.size(); ++k) {
        row[2 * k - 1] = '/';
      }
      emit(row);
      lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(j));
    }

    std::string row(2 * lanes.size(), ' ');
    for (std::size_t k = 0; k < lanes.size(); ++k) {
      row[2 * k] = k == c ? '*' : '|';
    }
    trim_right(row);
    emit(row + "  " + label(drawing, drawing.nodes[n]));

    const std::vector<std::size_t>& parents = drawing.nodes[n].parents;
    if (parents.empty()) {
      lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(c));
      if (c < lanes.size()) {
        std::string closing(2 * lanes.size() + 2, ' ');
        for (std::size_t k = 0; k < c; ++k) {
          closing[2 * k] = '|';
        }
        for (std::size_t k = c; k < lanes.size(); ++k) {
          closing[2 * k + 1] = '/';
        }
        emit(closing);
      }
      continue;
    }
    lanes[c] = parents.front();
    for (std::size_t i = parents.size() - 1; i > 0; --i) {
      std::string opening(2 * lanes.size() + 2, ' ');
      for (std::size_t k = 0; k <= c; ++k) {
        opening[2 * k] = '|';
      }
      opening[2 * c + 1] = '\\';
      for (std::size_t k = c + 1; k < lanes.size(); ++k) {
        opening[2 * k + 1] = '\\';
      }
      emit(opening);
      lanes.insert(lanes.begin() + static_cast<std::ptrdiff_t>(c) + 1, parents[i]);
    }
  }
  return out;
}

}  // namespace retort::pictures
