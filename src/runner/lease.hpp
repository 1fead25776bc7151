// The run lease (lock = "lease"): a row in retort_lease that names the one runner allowed to
// migrate, with an expiry it renews while it runs. For connections through a transaction-mode
// pooler (PgBouncer), where a session advisory lock would not stay with the run's session.
#pragma once

#include "base/duration.hpp"
#include "driver/driver.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace retort::runner {

// Who holds (or held) a lease, as the table says.
struct LeaseHolder {
  std::string owner;  // a random token of the runner that took it
  std::string host;
  std::string pid;
  std::string os_user;
  std::string acquired_at;         // UTC, ISO 8601
  std::string expires_at;          // UTC, ISO 8601
  std::int64_t expires_in_ms = 0;  // negative: expired

  // "host web-7, pid 4242 (os user deploy), since 2026-12-01T10:00:00Z, expires in 25s"
  [[nodiscard]] std::string describe() const;
};

struct LeaseAttempt {
  bool taken = false;
  // When not taken: who holds it. When taken: the expired lease this one replaced, if any.
  std::optional<LeaseHolder> previous;
};

// One lease row, keyed on the version table's schema and name like the advisory lock, so two
// projects in one database, or two schemas, do not block each other. Every statement runs in
// autocommit, so it works through any pooler. Not thread-safe: one thread per Lease.
class Lease {
 public:
  // schema: the version table's schema; empty for the connection's current schema.
  Lease(driver::Connection& connection, const std::string& schema, const std::string& version_table,
        base::Millis ttl);

  // "public.retort_version": what the lease is for.
  [[nodiscard]] const std::string& key() const noexcept { return m_key; }
  // The table as SQL: [schema.]retort_lease.
  [[nodiscard]] const std::string& qualified() const noexcept { return m_qualified; }
  [[nodiscard]] const std::string& owner() const noexcept { return m_owner; }

  // Talks through another connection from now on (after the first one broke).
  void use(driver::Connection& connection) noexcept { m_connection = &connection; }
  // Creates retort_lease when it is missing; safe when several runners do it at once.
  void create_if_missing();
  // Takes the lease when nobody holds it or its holder let it expire. Throws DatabaseError.
  [[nodiscard]] LeaseAttempt try_take();
  // The row as it is now, expired or not; nullopt when nobody holds the lease.
  [[nodiscard]] std::optional<LeaseHolder> holder();
  // Deletes the row when it has expired (its runner is gone); true when it did.
  bool delete_expired();
  // Moves the expiry to now + ttl; false when the row is no longer this runner's (it expired
  // and another runner took it over). Throws DatabaseError.
  [[nodiscard]] bool renew();
  // Deletes the row; false when it was not this runner's any more. Throws DatabaseError.
  [[nodiscard]] bool release();
  // The SQL an operator runs to free the lease of a runner that is gone.
  [[nodiscard]] std::string delete_sql(const std::string& owner) const;

 private:
  driver::Connection* m_connection;
  std::string m_qualified;
  std::string m_key;
  std::string m_owner;
  std::string m_ttl;  // as an interval literal: "30000 milliseconds"
};

}  // namespace retort::runner
