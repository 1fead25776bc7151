// The single-runner lock: at most one retort migrates a database at a time. PostgreSQL: a
// session advisory lock keyed on the version table, held on a dedicated connection that is
// never inside a transaction (so it cannot deadlock CREATE INDEX CONCURRENTLY), or a lease
// row renewed while the run lasts (for transaction-mode poolers). SQLite: an exclusive flock
// on a file beside the database.
#pragma once

#include "base/duration.hpp"
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "retort/events.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace retort::runner {

enum class LockKind { advisory, lease, file, none };

struct LockSettings {
  LockKind kind = LockKind::advisory;
  base::Millis wait{300'000};  // lock_wait: then exit 3
  std::string version_table = "retort_version";
  std::string version_table_schema;  // empty: the connection's current schema
  base::Millis lease_ttl{30'000};    // lease: a runner that stops renewing loses it after this
};

class Lease;

class RunLock {
 public:
  // Takes the lock, polling with jittered backoff and holding no snapshot while it waits;
  // tells the observer who holds it. Throws Error(ExitCode::lock_busy) past settings.wait,
  // naming the holder and the SQL that would end it.
  // session: the run's own connection (may be null). With an advisory lock it shows whether
  // the two connections reach one server session, which only a transaction-mode pooler
  // does: then the lock would not stay with the run, and acquire throws Error(ExitCode::input)
  // asking for lock = "lease", before taking anything.
  // A lease is renewed by a thread of its own, on a connection of its own, every third of
  // lease_ttl. When renewing fails for longer than that (another runner may have taken it
  // over), the thread cancels the run (runner/cancel.hpp) and lost() turns true.
  static std::unique_ptr<RunLock> acquire(const base::DatabaseUrl& url,
                                          const LockSettings& settings, RunObserver* observer,
                                          driver::Connection* session = nullptr);

  // Who holds the run lock now, without taking it or waiting: one line naming the holder,
  // or empty when nobody does. connection: any connection to the database (unused for
  // SQLite). A lease that has expired counts as free.
  [[nodiscard]] static std::string holder(const base::DatabaseUrl& url,
                                          const LockSettings& settings,
                                          driver::Connection& connection);

  // Releases the lock; throws Error when the database says it was not held (it was lost
  // with its session, or the lease expired). The destructor releases quietly if release()
  // was not called.
  void release();
  // A lease that this process no longer holds; the run was cancelled because of it.
  [[nodiscard]] bool lost() const noexcept { return m_lost; }
  // What the lock is on, for messages: "public.retort_version".
  [[nodiscard]] const std::string& key() const noexcept { return m_key; }
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  RunLock() = default;
  void acquire_file(const base::DatabaseUrl& url, const LockSettings& settings,
                    RunObserver* observer);
  void acquire_advisory(const base::DatabaseUrl& url, const LockSettings& settings,
                        RunObserver* observer, driver::Connection* session);
  void acquire_lease(const base::DatabaseUrl& url, const LockSettings& settings,
                     RunObserver* observer);
  void renew_until_stopped(const base::DatabaseUrl& url, base::Millis ttl);
  void stop_renewing();

  std::unique_ptr<driver::Connection> m_connection;  // advisory, lease: the lock's session
  std::string m_key;                                 // schema.table
  int m_fd = -1;                                     // file: the flock'ed file
  bool m_held = false;
  std::unique_ptr<Lease> m_lease;  // lease: the row, used by the renewing thread until stopped
  std::thread m_renewer;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;  // guarded by m_mutex
  std::atomic<bool> m_lost{false};
};

}  // namespace retort::runner
