// The single-runner lock: try, back off with jitter, report the holder, give up at lock_wait.
#include "runner/run_lock.hpp"

#include "runner/cancel.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <fcntl.h>
#include <random>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace retort::runner {

namespace {

using Clock = std::chrono::steady_clock;

// The first key of the two-key advisory lock: "retr" in ASCII, so that retort's locks are
// recognisable in pg_locks and do not collide with an application's single-key locks.
constexpr int k_lock_class = 0x72657472;

void throw_if_cancelled() {
  if (cancel_requested()) {
    throw Error(ExitCode::failed, "cancelled while waiting for the run lock")
        .state("nothing was run by this process");
  }
}

std::string key_sql() { return "coalesce(nullif($1, ''), current_schema()) || '.' || $2"; }

base::Millis next_backoff(base::Millis current) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const std::int64_t cap = std::min<std::int64_t>(2000, current.count() * 2);
  std::uniform_int_distribution<std::int64_t> dist(cap / 2, cap);
  return base::Millis{dist(rng)};
}

// Who holds the advisory lock, as one line; empty if nobody does now.
struct Holder {
  std::string pid;
  std::string line;
};

Holder advisory_holder(driver::Connection& connection, const LockSettings& settings) {
  const std::array<driver::Value, 2> params{settings.version_table_schema, settings.version_table};
  const driver::Rows rows = connection.query(
      fmt::format("SELECT a.pid::text, coalesce(a.application_name, ''), "
                  "coalesce(host(a.client_addr), 'local socket'), "
                  "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                  "coalesce(a.state, ''), left(coalesce(a.query, ''), 120) "
                  "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                  "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {}::oid "
                  "AND l.objid = (hashtext({}))::oid AND l.objsubid = 2",
                  k_lock_class, key_sql()),
      params);
  if (rows.empty()) {
    return {};
  }
  const auto& row = rows.rows[0];
  return {row[0].value_or(""),
          fmt::format("pid {} ({}, {}), connected since {}, {}: {}", row[0].value_or("?"),
                      row[1].value_or(""), row[2].value_or(""), row[3].value_or(""),
                      row[4].value_or(""), row[5].value_or(""))};
}

}  // namespace

std::unique_ptr<RunLock> RunLock::acquire(const base::DatabaseUrl& url,
                                          const LockSettings& settings, RunObserver* observer) {
  std::unique_ptr<RunLock> lock(new RunLock());
  if (settings.kind == LockKind::none) {
    return lock;
  }
  const Clock::time_point deadline = Clock::now() + settings.wait;
  base::Millis backoff{50};
  std::string last_reported;

  if (settings.kind == LockKind::file) {
    if (url.sqlite_path.empty() || url.sqlite_path == ":memory:") {
      return lock;
    }
    const std::string path = url.sqlite_path + ".retort-lock";
    lock->m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock->m_fd < 0) {
      throw Error(ExitCode::failed, fmt::format("cannot open the run lock file {}", path))
          .next("check that the database's directory is writable");
    }
    for (;;) {
      if (::flock(lock->m_fd, LOCK_EX | LOCK_NB) == 0) {
        lock->m_held = true;
        return lock;
      }
      if (Clock::now() >= deadline) {
        throw Error(ExitCode::lock_busy,
                    fmt::format("another retort is migrating {} (it holds {}) and did not "
                                "finish within lock_wait ({})",
                                url.redacted(), path, base::format_duration(settings.wait)))
            .state("nothing was run by this process")
            .next("wait for the other run to finish, then run this command again");
      }
      if (observer != nullptr && last_reported.empty()) {
        last_reported = path;
        observer->note(fmt::format("waiting for the run lock: another retort holds {}", path));
      }
      std::this_thread::sleep_for(backoff);
      backoff = next_backoff(backoff);
      throw_if_cancelled();
    }
  }

  lock->m_connection = driver::connect(url, {std::chrono::seconds(10), "retort run lock"});
  driver::Connection& connection = *lock->m_connection;
  const std::array<driver::Value, 2> params{settings.version_table_schema, settings.version_table};
  const driver::Rows key = connection.query(fmt::format("SELECT {}", key_sql()), params);
  lock->m_key = key.empty() ? settings.version_table : key.rows[0][0].value_or("");
  for (;;) {
    const driver::Rows got = connection.query(
        fmt::format("SELECT pg_try_advisory_lock({}, hashtext({}))::text", k_lock_class, key_sql()),
        params);
    if (!got.empty() && got.rows[0][0] == std::optional<std::string>("true")) {
      lock->m_held = true;
      return lock;
    }
    const Holder holder = advisory_holder(connection, settings);
    if (Clock::now() >= deadline) {
      Error error(ExitCode::lock_busy,
                  fmt::format("another runner holds the migration lock on {} and did not "
                              "release it within lock_wait ({})",
                              lock->m_key, base::format_duration(settings.wait)));
      error
          .explain("holder: " +
                   (holder.line.empty() ? std::string("(gone just now)") : holder.line))
          .state("nothing was run by this process");
      error.next(holder.pid.empty()
                     ? std::string("run this command again")
                     : fmt::format("wait for it to finish; if it is stuck, end it with SELECT "
                                   "pg_terminate_backend({}); and run this command again",
                                   holder.pid));
      throw error;
    }
    if (observer != nullptr && !holder.line.empty() && holder.pid != last_reported) {
      last_reported = holder.pid;
      observer->note("waiting for the migration lock, held by " + holder.line);
    }
    std::this_thread::sleep_for(backoff);
    backoff = next_backoff(backoff);
    throw_if_cancelled();
  }
}

void RunLock::release() {
  if (!m_held) {
    return;
  }
  m_held = false;
  if (m_fd >= 0) {
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
    m_fd = -1;
    return;
  }
  if (m_connection) {
    const std::array<driver::Value, 1> params{m_key};
    const driver::Rows released = m_connection->query(
        fmt::format("SELECT pg_advisory_unlock({}, hashtext($1))::text", k_lock_class), params);
    m_connection.reset();
    if (released.empty() || released.rows[0][0] != std::optional<std::string>("true")) {
      throw Error(ExitCode::failed,
                  fmt::format("the migration lock on {} was not held at release: its session "
                              "was lost during the run",
                              m_key))
          .state(
              "the migrations reported above did run; another runner may have run at the "
              "same time")
          .next("retort current -v");
    }
  }
}

RunLock::~RunLock() {
  try {
    release();
  } catch (...) {
    // Destruction during an error: the session's end frees an advisory lock anyway.
  }
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

}  // namespace retort::runner
