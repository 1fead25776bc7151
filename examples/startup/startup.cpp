// An application that migrates its database at start-up through libretort: the readiness
// probe asks what is pending without taking a lock; the migration itself is the same call
// `retort upgrade head` makes. Several replicas may start at once.
//
// Build: part of the project (target retort_startup_example). Run from a project directory:
//   retort_startup_example            # migrates, then "serves"
//   retort_startup_example --probe    # exit 0 when nothing is pending, 1 otherwise
#include "retort/retort.hpp"

#include <cstdio>
#include <cstring>

namespace {

int probe(const retort::Config& config) {
  const retort::PendingResult state = retort::pending(config);
  if (state.pending.empty()) {
    std::printf("ready: database at %s\n",
                state.current.empty() ? "base" : state.current.front().c_str());
    return 0;
  }
  std::printf("not ready: %zu revision(s) pending\n", state.pending.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const retort::Config config = retort::load_config(retort::ConfigSources{});
    if (argc > 1 && std::strcmp(argv[1], "--probe") == 0) {
      return probe(config);
    }
    retort::RunOptions options;
    options.target = "head";
    const retort::RunResult result = retort::upgrade(config, options);
    std::printf("migrated %zu step(s); serving on a database at %s\n", result.steps.size(),
                result.heads_after.empty() ? "base" : result.heads_after.front().c_str());
    return 0;
  } catch (const retort::Error& error) {
    // The same words the CLI prints: what failed, where, the state and the next command.
    std::fputs(retort::format_error(error).c_str(), stderr);
    return static_cast<int>(error.code());
  }
}
