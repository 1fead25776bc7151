// The single-runner lock: try, back off with jitter, report the holder, give up at lock_wait;
// renew a lease while the run lasts.
#include "runner/run_lock.hpp"

#include "runner/cancel.hpp"
#include "runner/lease.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <span>
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
                  k_lock_class, version_table_key_sql()),
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
                                          const LockSettings& settings, RunObserver* observer,
                                          driver::Connection* session) {
  std::unique_ptr<RunLock> lock(new RunLock());
  lock->m_kind = settings.kind;
  switch (settings.kind) {
    case LockKind::none:
      break;
    case LockKind::file:
      lock->acquire_file(url, settings, observer);
      break;
    case LockKind::advisory:
      lock->acquire_advisory(url, settings, observer, session);
      break;
    case LockKind::lease:
      lock->acquire_lease(url, settings, observer);
      break;
  }
  return lock;
}

void RunLock::acquire_file(const base::DatabaseUrl& url, const LockSettings& settings,
                           RunObserver* observer) {
  if (url.sqlite_path.empty() || url.sqlite_path == ":memory:") {
    return;
  }
  const Clock::time_point deadline = Clock::now() + settings.wait;
  base::Millis backoff{50};
  bool reported = false;
  const std::string path = url.sqlite_path + ".retort-lock";
  m_key = path;
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) {
    throw Error(ExitCode::failed, fmt::format("cannot open the run lock file {}", path))
        .next("check that the database's directory is writable");
  }
  for (;;) {
    if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0) {
      m_held = true;
      return;
    }
    if (Clock::now() >= deadline) {
      throw Error(ExitCode::lock_busy,
                  fmt::format("another retort is migrating {} (it holds {}) and did not "
                              "finish within lock_wait ({})",
                              url.redacted(), path, base::format_duration(settings.wait)))
          .state("nothing was run by this process")
          .next("wait for the other run to finish, then run this command again");
    }
    if (observer != nullptr && !reported) {
      reported = true;
      observer->lock_waiting(path);
      observer->note(fmt::format("waiting for the run lock: another retort holds {}", path));
    }
    std::this_thread::sleep_for(backoff);
    backoff = next_backoff(backoff);
    throw_if_cancelled();
  }
}

namespace {

std::int64_t backend_pid(driver::Connection& connection) {
  const driver::Rows rows = connection.query("SELECT pg_backend_pid()::text");
  return rows.empty() ? 0 : std::strtoll(rows.rows[0][0].value_or("0").c_str(), nullptr, 10);
}

Error pooled_session_error(std::int64_t pid) {
  Error error(ExitCode::input,
              "the advisory run lock cannot work on this connection: it goes through a "
              "transaction-mode pooler (such as PgBouncer with pool_mode = transaction)");
  error
      .explain(fmt::format(
          "backend pid {} served two of retort's connections: the pooler hands each "
          "transaction to any server session, so a session lock would not stay with this run, "
          "and another runner could take it too",
          pid))
      .state("nothing was run");
  error.next(
      "set lock = \"lease\" under [retort.postgres] in retort.toml (a lease row works "
      "through any pooler), or connect to PostgreSQL directly or through a session-mode pool");
  return error;
}

}  // namespace

void RunLock::acquire_advisory(const base::DatabaseUrl& url, const LockSettings& settings,
                               RunObserver* observer, driver::Connection* session) {
  const Clock::time_point deadline = Clock::now() + settings.wait;
  base::Millis backoff{50};
  std::string last_reported;
  m_connection = driver::connect(url, {std::chrono::seconds(10), "retort run lock"});
  driver::Connection& connection = *m_connection;
  // Two connections that reach one server session, or a session that moves between
  // statements, mean a transaction pooler: direct connections and session pools give every
  // client a server session of its own for as long as it is connected.
  const std::int64_t lock_pid = backend_pid(connection);
  if (session != nullptr && backend_pid(*session) == lock_pid) {
    throw pooled_session_error(lock_pid);
  }
  // This session is idle for the whole run: an idle_session_timeout of the role or the
  // database (PostgreSQL 14 and later) would end it and free the lock while the run goes on,
  // letting a second runner in (issue #14). Not through a transaction pooler, refused above.
  (void)connection.query(
      "SELECT CASE WHEN current_setting('server_version_num')::int >= 140000 THEN "
      "set_config('idle_session_timeout', '0', false) END");
  const std::array<driver::Value, 3> params{settings.version_table_schema, settings.version_table,
                                            std::to_string(lock_pid)};
  const driver::Rows key = connection.query(fmt::format("SELECT {}", version_table_key_sql()),
                                            std::span(params).first(2));
  m_key = key.empty() ? settings.version_table : key.rows[0][0].value_or("");
  for (;;) {
    // The lock is tried only on the session seen above, so that a pooler that moved this
    // connection leaves no lock behind on a server session that retort cannot reach again.
    const driver::Rows got = connection.query(
        fmt::format("SELECT CASE WHEN pg_backend_pid() = CAST($3 AS INTEGER) THEN "
                    "pg_try_advisory_lock({}, hashtext({}))::text ELSE 'moved' END",
                    k_lock_class, version_table_key_sql()),
        params);
    const driver::Value answer = got.empty() ? driver::Value{} : got.rows[0][0];
    if (answer == std::optional<std::string>("true")) {
      m_held = true;
      m_held_sql = fmt::format(
          "(SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted "
          "AND classid = {}::oid AND objid = (hashtext({}))::oid AND objsubid = 2 AND pid = {})",
          k_lock_class, sql_literal(m_key), lock_pid);
      m_look_sql = m_held_sql;
      return;
    }
    if (answer == std::optional<std::string>("moved")) {
      throw pooled_session_error(lock_pid);
    }
    const Holder holder = advisory_holder(connection, settings);
    if (Clock::now() >= deadline) {
      Error error(ExitCode::lock_busy,
                  fmt::format("another runner holds the migration lock on {} and did not "
                              "release it within lock_wait ({})",
                              m_key, base::format_duration(settings.wait)));
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
      observer->lock_waiting(holder.line);
      observer->note("waiting for the migration lock, held by " + holder.line);
    }
    std::this_thread::sleep_for(backoff);
    backoff = next_backoff(backoff);
    throw_if_cancelled();
  }
}

void RunLock::acquire_lease(const base::DatabaseUrl& url, const LockSettings& settings,
                            RunObserver* observer) {
  const Clock::time_point deadline = Clock::now() + settings.wait;
  base::Millis backoff{50};
  std::string last_reported;
  m_lease_url = url;
  m_connection = driver::connect(url, {std::chrono::seconds(10), "retort run lease"});
  m_lease = std::make_unique<Lease>(*m_connection, settings.version_table_schema,
                                    settings.version_table, settings.lease_ttl);
  m_key = m_lease->key();
  m_lease->create_if_missing();
  for (;;) {
    LeaseAttempt attempt;
    try {
      attempt = m_lease->try_take();
    } catch (const driver::DatabaseError& error) {
      if (error.kind() == driver::DatabaseError::Kind::statement) {
        throw;
      }
      // The connection was ended while this runner waited between two looks at the lease
      // (idle_session_timeout, a pooler's client_idle_timeout): look again on a new one. Had
      // the lost statement taken the lease, the row names this runner and is live, so the new
      // look does not take it again; it waits for it to expire like any other holder's.
      m_connection = driver::connect(url, {std::chrono::seconds(10), "retort run lease"});
      m_lease->use(*m_connection);
      attempt = m_lease->try_take();
    }
    if (attempt.taken) {
      m_held = true;
      // FOR SHARE: a runner taking the lease over (an UPDATE of the row) waits for the commit
      // that checked it.
      m_look_sql =
          fmt::format("(SELECT count(*) FROM {} WHERE lock_key = {} AND owner = {})",
                      m_lease->qualified(), sql_literal(m_key), sql_literal(m_lease->owner()));
      m_held_sql = fmt::format(
          "(SELECT count(*) FROM (SELECT 1 FROM {} WHERE lock_key = {} AND owner = {} FOR SHARE) "
          "AS held)",
          m_lease->qualified(), sql_literal(m_key), sql_literal(m_lease->owner()));
      if (observer != nullptr && attempt.previous) {
        observer->note(fmt::format("took over the expired migration lease on {} (was: {})", m_key,
                                   attempt.previous->describe()));
      }
      m_renewer = std::thread([this, url, ttl = settings.lease_ttl, run = current_run()] {
        renew_until_stopped(url, ttl, run);
      });
      return;
    }
    if (Clock::now() >= deadline) {
      Error error(ExitCode::lock_busy,
                  fmt::format("another runner holds the migration lease on {} and did not "
                              "release it within lock_wait ({})",
                              m_key, base::format_duration(settings.wait)));
      error.explain("holder: " + (attempt.previous ? attempt.previous->describe()
                                                   : std::string("(gone just now)")));
      error.state("nothing was run by this process");
      error.next(attempt.previous
                     ? fmt::format("wait for it to finish; a runner that is gone loses the lease "
                                   "when it expires (lease_ttl {}), and the next run takes it "
                                   "over; to free it now: {}",
                                   base::format_duration(settings.lease_ttl),
                                   m_lease->delete_sql(attempt.previous->owner))
                     : std::string("run this command again"));
      throw error;
    }
    if (observer != nullptr && attempt.previous && attempt.previous->owner != last_reported) {
      last_reported = attempt.previous->owner;
      observer->lock_waiting(attempt.previous->describe());
      observer->note("waiting for the migration lease, held by " + attempt.previous->describe());
    }
    // Not past the holder's expiry by more than a moment: a runner that was killed blocks the
    // next one for no longer than its lease.
    std::this_thread::sleep_for(
        attempt.previous && attempt.previous->expires_in_ms >= 0
            ? std::min(backoff, base::Millis{attempt.previous->expires_in_ms + 20})
            : backoff);
    backoff = next_backoff(backoff);
    throw_if_cancelled();
  }
}

// The renewing thread: renews every third of the ttl, so two renewals may fail before the
// lease runs out. A failed renewal (a broken connection, the pooler restarting) is retried
// on a new connection; once the last successful renewal is a whole ttl old, another runner
// may hold the lease, and the run is cancelled.
void RunLock::renew_until_stopped(const base::DatabaseUrl& url, base::Millis ttl,
                                  const CancelHandle& run) {
  const base::Millis interval{std::max<std::int64_t>(ttl.count() / 3, 50)};
  Clock::time_point valid_until = Clock::now() + ttl;
  std::unique_lock<std::mutex> guard(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(guard, interval, [this] { return m_stop; });
    if (m_stop) {
      return;
    }
    guard.unlock();
    bool renewed = false;
    bool gone = false;
    try {
      renewed = m_lease->renew();
      gone = !renewed;
    } catch (const driver::DatabaseError&) {
      // The connection broke: ended by an idle_session_timeout between renewals (issue #14), a
      // pooler's client_idle_timeout, a restart. Renew at once through a new connection, so
      // that a connection ended at every interval never costs the lease; a failure there is
      // counted against valid_until below, and the next interval tries again.
      try {
        m_connection = driver::connect(url, {std::chrono::seconds(5), "retort run lease"});
        m_lease->use(*m_connection);
        renewed = m_lease->renew();
        gone = !renewed;
      } catch (const driver::DatabaseError&) {
        // Still unreachable: try again at the next interval.
      }
    }
    if (renewed) {
      valid_until = Clock::now() + ttl;
    }
    if (gone || Clock::now() >= valid_until) {
      m_lost = true;
      // This run only: other runs of the process (a fleet's other tenants) hold their own.
      request_cancel(run);
      return;
    }
    guard.lock();
  }
}

void RunLock::stop_renewing() {
  if (!m_renewer.joinable()) {
    return;
  }
  {
    const std::lock_guard<std::mutex> guard(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  m_renewer.join();
}

std::string RunLock::holder(const base::DatabaseUrl& url, const LockSettings& settings,
                            driver::Connection& connection) {
  switch (settings.kind) {
    case LockKind::none:
      return {};
    case LockKind::advisory:
      return advisory_holder(connection, settings).line;
    case LockKind::lease: {
      Lease lease(connection, settings.version_table_schema, settings.version_table,
                  settings.lease_ttl);
      const std::optional<LeaseHolder> held = lease.holder();
      return held && held->expires_in_ms >= 0 ? held->describe() : std::string();
    }
    case LockKind::file: {
      if (url.sqlite_path.empty() || url.sqlite_path == ":memory:") {
        return {};
      }
      const std::string path = url.sqlite_path + ".retort-lock";
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return {};
      }
      const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
      ::close(fd);  // also releases the flock just taken
      return free ? std::string() : "another retort holds " + path;
    }
  }
  return {};
}

std::string RunLock::lost_reason() const {
  switch (m_kind) {
    case LockKind::lease:
      return fmt::format(
          "the migration lease on {} was lost (another runner holds it now, or it could not be "
          "renewed within lease_ttl)",
          m_key);
    case LockKind::advisory:
      return fmt::format(
          "the migration lock on {} was lost: its session ended (pg_terminate_backend, a "
          "restart of the server or of a session pooler, a network failure), so another runner "
          "may hold it now",
          m_key);
    case LockKind::file:
    case LockKind::none:
      break;
  }
  return fmt::format("the migration lock on {} was lost", m_key);
}

void RunLock::release() {
  stop_renewing();
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
  if (m_lease) {
    bool released = false;
    if (!m_lost) {
      try {
        released = m_lease->release();
      } catch (const driver::DatabaseError& error) {
        // The connection was ended since the last renewal (idle_session_timeout, a pooler's
        // client_idle_timeout): release through a new one.
        if (error.kind() != driver::DatabaseError::Kind::broken || !m_lease_url) {
          throw;
        }
        m_connection = driver::connect(*m_lease_url, {std::chrono::seconds(5), "retort run lease"});
        m_lease->use(*m_connection);
        released = m_lease->release();
      }
    }
    if (!released) {
      throw Error(ExitCode::failed,
                  fmt::format("the migration lease on {} was not held at release: it was not "
                              "renewed within lease_ttl and may have been taken over",
                              m_key))
          .state(
              "the migrations reported above did run; another runner may have run at the "
              "same time")
          .next("retort current -v");
    }
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
