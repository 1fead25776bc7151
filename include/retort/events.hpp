// RunObserver: what the runner reports while it works. The CLI turns these into a progress bar
// or one plain line per step; the library API may pass nullptr.
#pragma once

#include "retort/results.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace retort {

struct StepEvent {
  int index = 0;  // 1-based
  int count = 0;  // steps in the plan
  std::string revision;
  std::string message;
  Direction direction = Direction::upgrade;
  std::optional<std::int64_t> estimate_ms;
};

// A run about to change the database: the lock is held, every step's statements are read and
// checked, and nothing is written yet.
struct RunEvent {
  Direction direction = Direction::upgrade;
  std::vector<std::string> revisions;  // the steps, in order
  std::vector<std::string> heads_before;
};

// Called on the thread running the command, one call at a time: an observer needs no lock
// unless it shares its state with another thread (the CLI's signal thread). Every method has a
// no-op default.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Before the first step of a run (upgrade, downgrade, stamp) that has steps. An observer may
  // throw retort::Error here to refuse the run: nothing has been written.
  virtual void run_started(const RunEvent& /*run*/) {}
  virtual void step_started(const StepEvent& /*step*/) {}
  virtual void statement_done(const StepEvent& /*step*/, int /*done*/, int /*total*/) {}
  virtual void step_finished(const StepEvent& /*step*/, std::int64_t /*duration_ms*/, bool /*ok*/) {
  }
  // A statement hit lock_timeout and is tried again (attempt 1 is the first retry).
  virtual void retrying(const StepEvent& /*step*/, int /*attempt*/) {}
  // The run waits for another runner's run lock; holder says who holds it. Once per holder.
  virtual void lock_waiting(const std::string& /*holder*/) {}
  // A backup was taken before a step: its path and size.
  virtual void backup_taken(const std::string& /*path*/, std::int64_t /*bytes*/) {}
  // Before a step, the lag of one replica as measured (PostgreSQL, [retort.replicas]); name as
  // the notes say it (application_name, or its URL redacted).
  virtual void replica_lag(const std::string& /*replica*/, std::int64_t /*lag_ms*/) {}
  // Anything worth a line on stderr: a retry, a lock wait, a server notice.
  virtual void note(const std::string& /*text*/) {}
};

}  // namespace retort
