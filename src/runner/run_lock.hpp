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
#include "runner/cancel.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
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
  // A lock that this process no longer holds: a lease whose renewals failed for longer than
  // lease_ttl or that another runner took over (the run was cancelled because of it), or any
  // lock the run found lost before a commit (held_sql()).
  [[nodiscard]] bool lost() const noexcept { return m_lost; }
  // The run found the lock lost (held_sql() counted 0) and rolled back what it had open.
  void mark_lost() noexcept { m_lost = true; }
  // An SQL expression the run's own connection evaluates before each commit: 1 while this
  // process holds the lock, 0 once it is lost (the advisory lock's session ended; the lease
  // row is another runner's). Hold::until_commit, for a check that a commit follows at once:
  // a lease's row is also locked FOR SHARE until that commit, so that no runner can take the
  // lease over in between (its renewal waits that long too, so not for a transaction that goes
  // on). Empty when the lock cannot be lost unseen (SQLite's flock, lock = none).
  enum class Hold { look, until_commit };
  [[nodiscard]] const std::string& held_sql(Hold hold = Hold::until_commit) const noexcept {
    return hold == Hold::look ? m_look_sql : m_held_sql;
  }
  // What losing it means, for messages: "the migration lock on public.retort_version was lost:
  // its session ended (...)".
  [[nodiscard]] std::string lost_reason() const;
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
  // run: the run to cancel when the lease is lost (the acquiring thread's).
  void renew_until_stopped(const base::DatabaseUrl& url, base::Millis ttl, const CancelHandle& run);
  void stop_renewing();

  std::unique_ptr<driver::Connection> m_connection;  // advisory, lease: the lock's session
  std::string m_key;                                 // schema.table
  LockKind m_kind = LockKind::none;
  std::string m_held_sql;  // see held_sql()
  std::string m_look_sql;
  int m_fd = -1;  // file: the flock'ed file
  bool m_held = false;
  std::unique_ptr<Lease> m_lease;  // lease: the row, used by the renewing thread until stopped
  std::optional<base::DatabaseUrl> m_lease_url;  // lease: to reconnect at release
  std::thread m_renewer;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;  // guarded by m_mutex
  std::atomic<bool> m_lost{false};
};

}  // namespace retort::runner
