// RunObserver: what the runner reports while it works. The CLI turns these into a progress bar
// or one plain line per step; the library API may pass nullptr.
#pragma once

#include "retort/results.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace retort {

struct StepEvent {
  int index = 0;  // 1-based
  int count = 0;  // steps in the plan
  std::string revision;
  std::string message;
  Direction direction = Direction::upgrade;
  std::optional<std::int64_t> estimate_ms;
};

// Called on the thread running the command, one call at a time: an observer needs no lock
// unless it shares its state with another thread (the CLI's signal thread). Every method has a
// no-op default.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void step_started(const StepEvent& /*step*/) {}
  virtual void statement_done(const StepEvent& /*step*/, int /*done*/, int /*total*/) {}
  virtual void step_finished(const StepEvent& /*step*/, std::int64_t /*duration_ms*/, bool /*ok*/) {
  }
  // Anything worth a line on stderr: a retry, a lock wait, a server notice.
  virtual void note(const std::string& /*text*/) {}
};

}  // namespace retort
