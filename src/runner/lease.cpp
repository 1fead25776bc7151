// retort_lease: take, renew and release one lease row, each in one autocommit statement.
#include "runner/lease.hpp"

#include "base/identifier.hpp"
#include "runner/ledger.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <random>
#include <unistd.h>

namespace retort::runner {

namespace {

constexpr std::string_view k_lease_table = "retort_lease";

std::string random_token() {
  std::random_device device;
  std::string out;
  for (int word_idx = 0; word_idx < 4; ++word_idx) {
    out += fmt::format("{:08x}", device());
  }
  return out;
}

std::string text_of(const driver::Value& value) { return value.value_or(""); }

// The columns of a holder, in LeaseHolder's order, from a row alias `l`.
constexpr std::string_view k_holder_columns =
    "l.owner, coalesce(l.host, ''), coalesce(l.pid::text, ''), coalesce(l.os_user, ''), "
    "to_char(l.acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(l.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "floor(extract(epoch FROM l.expires_at - clock_timestamp()) * 1000)::bigint::text";

LeaseHolder holder_of(const std::vector<driver::Value>& row, std::size_t first) {
  LeaseHolder holder;
  holder.owner = text_of(row[first]);
  holder.host = text_of(row[first + 1]);
  holder.pid = text_of(row[first + 2]);
  holder.os_user = text_of(row[first + 3]);
  holder.acquired_at = text_of(row[first + 4]);
  holder.expires_at = text_of(row[first + 5]);
  holder.expires_in_ms = std::strtoll(text_of(row[first + 6]).c_str(), nullptr, 10);
  return holder;
}

}  // namespace

std::string LeaseHolder::describe() const {
  const std::string expiry =
      expires_in_ms >= 0
          ? fmt::format("expires in {} unless renewed",
                        base::format_elapsed(base::Millis{expires_in_ms}))
          : fmt::format("expired {} ago", base::format_elapsed(base::Millis{-expires_in_ms}));
  return fmt::format("host {}, pid {} (os user {}), since {}, {}", host.empty() ? "?" : host,
                     pid.empty() ? "?" : pid, os_user.empty() ? "?" : os_user, acquired_at, expiry);
}

Lease::Lease(driver::Connection& connection, const std::string& schema,
             const std::string& version_table, base::Millis ttl)
    : m_connection(&connection),
      m_qualified(base::quote_qualified(schema, k_lease_table, connection.dialect())),
      m_owner(random_token()),
      m_ttl(fmt::format("{} milliseconds", ttl.count())) {
  const std::array<driver::Value, 2> params{schema, version_table};
  const driver::Rows key = m_connection->query("SELECT " + version_table_key_sql(), params);
  m_key = key.empty() ? version_table : text_of(key.rows[0][0]);
}

void Lease::create_if_missing() {
  if (table_exists(*m_connection, std::string(k_lease_table), m_qualified)) {
    return;
  }
  try {
    m_connection->execute(
        fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                    "    lock_key TEXT PRIMARY KEY,\n"
                    "    owner TEXT NOT NULL,\n"
                    "    host TEXT,\n"
                    "    pid INTEGER,\n"
                    "    os_user TEXT,\n"
                    "    acquired_at TIMESTAMPTZ NOT NULL,\n"
                    "    renewed_at TIMESTAMPTZ NOT NULL,\n"
                    "    expires_at TIMESTAMPTZ NOT NULL\n"
                    ")",
                    m_qualified));
  } catch (const driver::DatabaseError& error) {
    // Runners that start together race to create the table: IF NOT EXISTS does not stop two
    // CREATEs that both found it missing, and the loser fails on the catalog's unique index.
    const std::string& sqlstate = error.message().sqlstate;
    if (error.kind() != driver::DatabaseError::Kind::statement ||
        (sqlstate != "23505" && sqlstate != "42P07" && sqlstate != "42710")) {
      throw;
    }
  }
}

LeaseAttempt Lease::try_take() {
  static const std::string k_host = host_name();
  static const std::string k_os_user = os_user();
  const std::array<driver::Value, 6> params{m_key,     m_owner, k_host, std::to_string(getpid()),
                                            k_os_user, m_ttl};
  // One statement: the holder seen before (the CTE reads the snapshot before the upsert), and
  // whether the upsert took the row. Two runners racing are ordered by the primary key: one
  // inserts, the other finds a live lease and updates nothing.
  const driver::Rows rows = m_connection->query(
      fmt::format(
          "WITH previous (owner, host, pid, os_user, acquired_at, expires_at, expires_in) AS "
          "(SELECT {0} FROM {1} l WHERE l.lock_key = $1), "
          "taken AS (INSERT INTO {1} AS l (lock_key, owner, host, pid, os_user, acquired_at, "
          "renewed_at, expires_at) VALUES ($1, $2, $3, CAST($4 AS INTEGER), $5, "
          "clock_timestamp(), clock_timestamp(), clock_timestamp() + CAST($6 AS INTERVAL)) "
          "ON CONFLICT (lock_key) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, "
          "pid = EXCLUDED.pid, os_user = EXCLUDED.os_user, acquired_at = EXCLUDED.acquired_at, "
          "renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at "
          "WHERE l.expires_at < clock_timestamp() RETURNING 1) "
          "SELECT (SELECT count(*) FROM taken)::text, p.* FROM (SELECT 1) one "
          "LEFT JOIN previous p ON true",
          k_holder_columns, m_qualified),
      params);
  LeaseAttempt attempt;
  if (rows.empty()) {
    return attempt;
  }
  const std::vector<driver::Value>& row = rows.rows[0];
  attempt.taken = row[0] == std::optional<std::string>("1");
  if (row[1].has_value()) {
    attempt.previous = holder_of(row, 1);
  }
  return attempt;
}

std::optional<LeaseHolder> Lease::holder() {
  if (!table_exists(*m_connection, std::string(k_lease_table), m_qualified)) {
    return std::nullopt;
  }
  const std::array<driver::Value, 1> params{m_key};
  const driver::Rows rows = m_connection->query(
      fmt::format("SELECT {} FROM {} l WHERE l.lock_key = $1", k_holder_columns, m_qualified),
      params);
  if (rows.empty()) {
    return std::nullopt;
  }
  return holder_of(rows.rows[0], 0);
}

bool Lease::delete_expired() {
  if (!table_exists(*m_connection, std::string(k_lease_table), m_qualified)) {
    return false;
  }
  const std::array<driver::Value, 1> params{m_key};
  return !m_connection
              ->query(fmt::format("DELETE FROM {} WHERE lock_key = $1 AND expires_at < "
                                  "clock_timestamp() RETURNING 1",
                                  m_qualified),
                      params)
              .empty();
}

bool Lease::renew() {
  const std::array<driver::Value, 3> params{m_key, m_owner, m_ttl};
  const driver::Rows rows = m_connection->query(
      fmt::format("UPDATE {} SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + "
                  "CAST($3 AS INTERVAL) WHERE lock_key = $1 AND owner = $2 RETURNING 1",
                  m_qualified),
      params);
  return !rows.empty();
}

bool Lease::release() {
  const std::array<driver::Value, 2> params{m_key, m_owner};
  const driver::Rows rows = m_connection->query(
      fmt::format("DELETE FROM {} WHERE lock_key = $1 AND owner = $2 RETURNING 1", m_qualified),
      params);
  return !rows.empty();
}

std::string Lease::delete_sql(const std::string& owner) const {
  return fmt::format("DELETE FROM {} WHERE lock_key = {} AND owner = {};", m_qualified,
                     sql_literal(m_key), sql_literal(owner));
}

}  // namespace retort::runner
