// Cancellation of the run in progress, from another thread (the CLI's signal thread, or an
// application's shutdown path): the running statement is cancelled on the server, the current
// migration rolls back and is recorded `failed`, the lock is released, and the command throws.
#pragma once

#include "driver/driver.hpp"

namespace retort::runner {

// Marks the span of a command that can be cancelled (lock wait and run). Not nested.
class CancelScope {
 public:
  CancelScope();
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;
};

// Registers the connection whose statement cancel() interrupts, for its lifetime.
class CancelTarget {
 public:
  explicit CancelTarget(driver::Connection& connection);
  ~CancelTarget();
  CancelTarget(const CancelTarget&) = delete;
  CancelTarget& operator=(const CancelTarget&) = delete;
};

// While it lives, a cancellation request only marks the run cancelled and leaves the statement
// in progress alone: a backfill's batch, short and under its own statement_timeout, commits
// with its progress, and the backfill stops after it (issue #20). Not nested.
class CancelDeferred {
 public:
  CancelDeferred();
  ~CancelDeferred();
  CancelDeferred(const CancelDeferred&) = delete;
  CancelDeferred& operator=(const CancelDeferred&) = delete;

 private:
  driver::Connection* m_target;
};

// Requests cancellation; returns false when no cancellable command runs (the caller may then
// exit at once). Thread-safe; not async-signal-safe (call it from a thread, not a handler).
bool request_cancel() noexcept;
[[nodiscard]] bool cancel_requested() noexcept;

}  // namespace retort::runner
