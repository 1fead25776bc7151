// The single-runner lock: at most one retort migrates a database at a time. PostgreSQL: a
// session advisory lock keyed on the version table, held on a dedicated connection that is
// never inside a transaction (so it cannot deadlock CREATE INDEX CONCURRENTLY). SQLite: an
// exclusive flock on a file beside the database.
#pragma once

#include "base/duration.hpp"
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "retort/events.hpp"

#include <memory>
#include <string>

namespace retort::runner {

enum class LockKind { advisory, file, none };

struct LockSettings {
  LockKind kind = LockKind::advisory;
  base::Millis wait{300'000};  // lock_wait: then exit 3
  std::string version_table = "retort_version";
  std::string version_table_schema;  // empty: the connection's current schema
};

class RunLock {
 public:
  // Takes the lock, polling with jittered backoff and holding no snapshot while it waits;
  // tells the observer who holds it. Throws Error(ExitCode::lock_busy) past settings.wait,
  // naming the holder and the SQL that would end it.
  static std::unique_ptr<RunLock> acquire(const base::DatabaseUrl& url,
                                          const LockSettings& settings, RunObserver* observer);

  // Releases the lock; throws Error when the database says it was not held (it was lost
  // with its session). The destructor releases quietly if release() was not called.
  void release();
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  RunLock() = default;
  std::unique_ptr<driver::Connection> m_connection;  // advisory: the session holding the lock
  std::string m_key;                                 // advisory: schema.table
  int m_fd = -1;                                     // file: the flock'ed file
  bool m_held = false;
};

}  // namespace retort::runner
