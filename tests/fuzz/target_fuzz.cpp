// libFuzzer entry point for target expressions: any bytes as a target, resolved and planned
// against a small fixed graph. Must never crash or hang; every error is a full sentence.
#include "graph/revision_map.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using retort::graph::Revision;
using retort::graph::RevisionMap;

RevisionMap make_graph() {
  // abcd01 -> abcd02 (alpha) -> abcd03 and abcd01 -> bcde01 (beta) -> bcde02; cdef01 merges
  // abcd03 and bcde02, cdef02 follows it; dddd01 (gamma, its own base) depends on alpha.
  std::vector<Revision> revisions = {
      {"abcd01", {}, {}, {}, "root"},     {"abcd02", {"abcd01"}, {}, {"alpha"}, ""},
      {"abcd03", {"abcd02"}, {}, {}, ""}, {"bcde01", {"abcd01"}, {}, {"beta"}, ""},
      {"bcde02", {"bcde01"}, {}, {}, ""}, {"cdef01", {"abcd03", "bcde02"}, {}, {}, "merge"},
      {"cdef02", {"cdef01"}, {}, {}, ""}, {"dddd01", {}, {"alpha"}, {"gamma"}, ""},
  };
  auto built = RevisionMap::build(std::move(revisions));
  if (!built) __builtin_trap();
  return std::move(built).value();
}

void check_error_message(const std::string& message) {
  if (message.empty() || message.back() != '.') __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const RevisionMap map = make_graph();
  static const std::vector<std::vector<std::string>> currents = {
      {}, {"abcd02"}, {"abcd03", "bcde02"}, {"cdef02", "dddd01"}};
  const std::string_view target(reinterpret_cast<const char*>(data), size);

  for (const auto& current : currents) {
    auto resolved = map.resolve(target, current);
    if (!resolved) check_error_message(resolved.error().message);

    auto up = map.plan_upgrade(current, target);
    if (!up) {
      check_error_message(up.error().message);
    } else if (!up->steps.empty() && up->steps.back().heads_after != up->heads_after) {
      __builtin_trap();
    }
    auto down = map.plan_downgrade(current, target);
    if (!down) {
      check_error_message(down.error().message);
    } else if (!down->steps.empty() && down->steps.back().heads_after != down->heads_after) {
      __builtin_trap();
    }
    auto stamp = map.plan_stamp(current, target, false);
    if (!stamp) check_error_message(stamp.error().message);
  }
  auto history = map.history(target);
  if (!history) check_error_message(history.error().message);
  return 0;
}
