// Cancellation of a run in progress, from another thread (the CLI's signal thread, an
// application's shutdown path, the lease renewer of run_lock.hpp): the running statement is
// cancelled on the server, the current migration rolls back and is recorded `failed`, the lock
// is released, and the command throws.
//
// Each run has its own cancellation state, held by its CancelScope and found through the
// thread that runs it, so that several runs may work in one process at once (`retort fleet`
// runs one tenant per thread): a lost lease cancels its own run, and request_cancel() (SIGINT,
// SIGTERM, retort::cancel()) every run of the process.
#pragma once

#include "driver/driver.hpp"

#include <memory>

namespace retort::runner {

// One run's cancellation: whether it was requested, and the connection whose statement a
// request interrupts. Thread-safe.
class CancelState;
using CancelHandle = std::shared_ptr<CancelState>;

// Marks the span of a command that can be cancelled (lock wait and run), on the thread that
// runs it. Not nested.
class CancelScope {
 public:
  CancelScope();
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  CancelHandle m_state;
  CancelHandle m_previous;
};

// Makes the calling thread a helper of `run` for its lifetime (a thread a command starts for
// part of its work): cancel_requested() answers for that run, and CancelTarget registers with
// it. A null run leaves the thread outside any.
class CancelJoin {
 public:
  explicit CancelJoin(CancelHandle run);
  ~CancelJoin();
  CancelJoin(const CancelJoin&) = delete;
  CancelJoin& operator=(const CancelJoin&) = delete;

 private:
  CancelHandle m_previous;
};

// Registers the connection whose statement a cancellation of this thread's run interrupts,
// for its lifetime. Outside a CancelScope it still answers request_cancel().
class CancelTarget {
 public:
  explicit CancelTarget(driver::Connection& connection);
  ~CancelTarget();
  CancelTarget(const CancelTarget&) = delete;
  CancelTarget& operator=(const CancelTarget&) = delete;

 private:
  CancelHandle m_state;
  bool m_own_state = false;  // no CancelScope on the thread: registered by itself
};

// While it lives, a cancellation request only marks this thread's run cancelled and leaves the
// statement in progress alone: a backfill's batch, short and under its own statement_timeout,
// commits with its progress, and the backfill stops after it (issue #20). Not nested.
class CancelDeferred {
 public:
  CancelDeferred();
  ~CancelDeferred();
  CancelDeferred(const CancelDeferred&) = delete;
  CancelDeferred& operator=(const CancelDeferred&) = delete;

 private:
  CancelHandle m_state;
  driver::Connection* m_target = nullptr;
};

// Requests cancellation of every run in the process; returns false when no cancellable
// command runs (the caller may then exit at once). Thread-safe; not async-signal-safe (call it
// from a thread, not a handler).
bool request_cancel() noexcept;
// Whether this thread's run was asked to stop; false outside a CancelScope.
[[nodiscard]] bool cancel_requested() noexcept;

// This thread's run, for another thread that may have to cancel it (the lease renewer);
// null outside a CancelScope.
[[nodiscard]] CancelHandle current_run() noexcept;
// Cancels that one run and no other; a null handle does nothing. Thread-safe.
void request_cancel(const CancelHandle& run) noexcept;

}  // namespace retort::runner
