// Who a statement waits behind: once a statement has waited most of its lock_timeout, a
// thread of the runner asks PostgreSQL for pg_blocking_pids() of the run's session, so that
// a lock timeout names the sessions that caused it (pid, application, client, state, age,
// query) instead of only "canceling statement due to lock timeout".
#pragma once

#include "base/duration.hpp"
#include "base/url.hpp"
#include "driver/driver.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace retort::runner {

// One blocking session, as an operator reads it.
struct Blocker {
  std::string pid;
  // "pid 4242 (psql, user app, 127.0.0.1), idle in transaction, transaction open 41s: UPDATE .."
  std::string line;
};

class BlockerWatch {
 public:
  // watched_pid: the backend of the run's connection. The watch opens its own connection to
  // url the first time a statement runs long enough to be looked at, so that a run whose
  // statements never wait costs no connection.
  BlockerWatch(base::DatabaseUrl url, std::int64_t watched_pid);
  ~BlockerWatch();
  BlockerWatch(const BlockerWatch&) = delete;
  BlockerWatch& operator=(const BlockerWatch&) = delete;

  // A statement starts; if it still runs after `after`, the watch looks at who blocks it.
  void arm(base::Millis after);
  // The statement ended. Returns what the watch saw for it (empty: it did not look, or the
  // statement waited for nobody). Called on the thread that called arm().
  [[nodiscard]] std::vector<Blocker> disarm();

 private:
  void watch();
  [[nodiscard]] std::vector<Blocker> look();

  base::DatabaseUrl m_url;
  std::int64_t m_pid;
  std::unique_ptr<driver::Connection> m_connection;  // used by the watching thread only
  std::mutex m_mutex;
  std::condition_variable m_wake;
  // Guarded by m_mutex:
  bool m_stop = false;
  std::uint64_t m_generation = 0;  // one per arm(), so a late look is not kept for the next
  bool m_armed = false;
  std::chrono::steady_clock::time_point m_deadline;
  std::vector<Blocker> m_seen;
  std::thread m_thread;  // started last
};

}  // namespace retort::runner
