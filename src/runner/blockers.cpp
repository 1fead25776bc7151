// The blocker watch: a thread that sleeps until an armed statement has run for most of its
// lock_timeout, then reads pg_blocking_pids() of the run's session.
#include "runner/blockers.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace retort::runner {

BlockerWatch::BlockerWatch(base::DatabaseUrl url, std::int64_t watched_pid)
    : m_url(std::move(url)), m_pid(watched_pid), m_thread([this] { watch(); }) {}

BlockerWatch::~BlockerWatch() {
  {
    const std::lock_guard<std::mutex> guard(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

void BlockerWatch::arm(base::Millis after) {
  {
    const std::lock_guard<std::mutex> guard(m_mutex);
    ++m_generation;
    m_armed = true;
    m_deadline = std::chrono::steady_clock::now() + after;
    m_seen.clear();
  }
  m_wake.notify_all();
}

std::vector<Blocker> BlockerWatch::disarm() {
  const std::lock_guard<std::mutex> guard(m_mutex);
  m_armed = false;
  return std::exchange(m_seen, {});
}

void BlockerWatch::watch() {
  std::unique_lock<std::mutex> guard(m_mutex);
  while (!m_stop) {
    if (!m_armed) {
      m_wake.wait(guard, [this] { return m_stop || m_armed; });
      continue;
    }
    const std::uint64_t generation = m_generation;
    const auto deadline = m_deadline;
    const bool moved = m_wake.wait_until(
        guard, deadline, [this, generation] { return m_stop || m_generation != generation; });
    if (moved || !m_armed) {
      continue;
    }
    // Still the same statement, still running: look without holding the mutex, so that the
    // statement's end is never delayed by this query.
    m_armed = false;
    guard.unlock();
    std::vector<Blocker> seen = look();
    guard.lock();
    if (m_generation == generation) {
      m_seen = std::move(seen);
    }
  }
}

std::vector<Blocker> BlockerWatch::look() {
  try {
    if (!m_connection) {
      m_connection = driver::connect(m_url, {std::chrono::seconds(5), "retort lock watch"});
    }
    const std::array<driver::Value, 1> params{std::to_string(m_pid)};
    const driver::Rows rows = m_connection->query(
        "SELECT a.pid::text, coalesce(nullif(a.application_name, ''), '-'), "
        "coalesce(a.usename::text, '-'), coalesce(host(a.client_addr), 'local socket'), "
        "coalesce(a.state, '-'), "
        "coalesce(floor(extract(epoch FROM clock_timestamp() - a.xact_start))::bigint::text, "
        "''), left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) "
        "FROM pg_stat_activity a "
        "WHERE a.pid = ANY (pg_blocking_pids(CAST($1 AS INTEGER))) ORDER BY a.xact_start",
        params);
    std::vector<Blocker> out;
    for (const auto& row : rows.rows) {
      const std::string age = row[5].value_or("");
      out.push_back({row[0].value_or(""),
                     fmt::format("pid {} ({}, user {}, {}), {}{}: {}", row[0].value_or("?"),
                                 row[1].value_or("-"), row[2].value_or("-"), row[3].value_or("-"),
                                 row[4].value_or("-"),
                                 age.empty() ? std::string() : ", transaction open " + age + "s",
                                 row[6].value_or(""))});
    }
    return out;
  } catch (const driver::DatabaseError&) {
    // Diagnostics only: a lock timeout without names is still reported and retried.
    m_connection.reset();
    return {};
  }
}

}  // namespace retort::runner
