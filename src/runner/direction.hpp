// The graph's direction of a step as the public results name it: the one crossing from
// graph::Direction (plans) to retort::Direction (ledger rows, step results, events).
#pragma once

#include "graph/revision_map.hpp"
#include "retort/results.hpp"

namespace retort::runner {

// Pure, thread-safe.
[[nodiscard]] constexpr Direction to_result(graph::Direction direction) noexcept {
  switch (direction) {
    case graph::Direction::upgrade:
      return Direction::upgrade;
    case graph::Direction::downgrade:
      return Direction::downgrade;
    case graph::Direction::stamp:
      return Direction::stamp;
  }
  return Direction::upgrade;
}

}  // namespace retort::runner
