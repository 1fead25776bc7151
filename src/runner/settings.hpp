// What the runner needs of the configuration: the run's settings, and what to do with a
// partially applied migration.
#pragma once

#include "base/duration.hpp"

#include <string>

namespace retort::runner {

// A partially applied `transaction false` migration: refused, resumed after its last
// statement that ran, or restarted from its first (retort::RunOptions::partial).
enum class Partial { refuse, resume, restart };

// Whether the connection keeps session state (SET) from one transaction to the next. A
// transaction-mode pooler does not: each transaction may run on another server session.
enum class SessionSettings { kept, not_kept };

// What the runner needs of the configuration.
struct Settings {
  std::string version_table = "retort_version";
  std::string version_table_schema;       // empty: the connection's default schema
  bool transaction_per_migration = true;  // false: the whole run in one transaction
  base::Millis lock_timeout{2000};        // PostgreSQL: SET LOCAL lock_timeout per migration
  int lock_retries = 10;                  // on SQLSTATE 55P03, with backoff
  base::Millis statement_timeout{0};      // 0 = none
  std::string reason;                     // kept in the ledger
  // A partially applied `transaction false` migration: refused, resumed after its last
  // statement that ran, or restarted from its first (see retort::RunOptions::partial).
  Partial partial = Partial::refuse;
  // How long to wait for the statement of a runner that was killed to end on the server
  // (PostgreSQL runs it on until it next talks to the dead client): lock_wait.
  base::Millis orphan_wait{300'000};
  // not_kept: a statement of a `transaction false` migration runs in a transaction of its own
  // with SET LOCAL timeouts when it can; one that cannot (CREATE INDEX CONCURRENTLY) runs
  // without retort's timeouts, since a session SET would leak to the pooler's next client.
  SessionSettings session = SessionSettings::kept;
};

}  // namespace retort::runner
