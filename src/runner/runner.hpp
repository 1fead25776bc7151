// The runner: executes a graph::Plan against one database connection, step by step, writing
// the version table and the ledger; or writes the same run as SQL text (--sql).
#pragma once

#include "base/duration.hpp"
#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/events.hpp"
#include "retort/results.hpp"
#include "script/script_directory.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace retort::runner {

// What the runner needs of the configuration.
struct Settings {
  std::string version_table = "retort_version";
  std::string version_table_schema;       // empty: the connection's default schema
  bool transaction_per_migration = true;  // false: the whole run in one transaction
  base::Millis lock_timeout{2000};        // PostgreSQL: SET LOCAL lock_timeout per migration
  int lock_retries = 10;                  // on SQLSTATE 55P03, with backoff
  base::Millis statement_timeout{0};      // 0 = none
  std::string reason;                     // kept in the ledger
};

[[nodiscard]] script::Dialect script_dialect(driver::Dialect dialect);

// Checks, before anything runs, that every step of the plan can run: downgrade sections
// exist, statements split and are allowed where they stand. Throws retort::Error (input)
// naming file:line and the fix.
void validate_plan(const script::ScriptDirectory& scripts, const graph::Plan& plan,
                   script::Dialect dialect);

class Runner {
 public:
  // observer may be null. The connection must not be inside a transaction.
  Runner(driver::Connection& connection, const script::ScriptDirectory& scripts, Settings settings,
         RunObserver* observer);

  // The version table's rows (empty when the table does not exist yet).
  [[nodiscard]] std::vector<std::string> current_heads();

  // Runs the plan. A step that fails throws retort::Error with file:line, the server's words,
  // the state the database is left in and the next command; the ledger row of that step says
  // `failed`. Steps before it stay applied (one transaction per migration) unless
  // transaction_per_migration is false.
  RunResult run(const graph::Plan& plan);

  // Stamp: version-table changes only, with a ledger row per step. A --purge plan removes
  // every row, known or not, in its first steps.
  RunResult stamp(const graph::Plan& plan);

 private:
  struct Prepared;
  void run_transactional(const Prepared& prepared, StepResult& result, bool own_transaction);
  void set_session_timeouts(const script::Migration& migration);
  void set_local_timeouts(const script::Migration& migration);

  driver::Connection& m_connection;
  const script::ScriptDirectory& m_scripts;
  Settings m_settings;
  RunObserver* m_observer;
};

// Writes the plan as the SQL script a DBA can review and run with psql (or sqlite3): the
// version table and ledger DDL, then each step's statements and its version-table change, in
// transaction blocks exactly as the online run would use them.
void write_sql(std::ostream& out, driver::Dialect dialect, const script::ScriptDirectory& scripts,
               const graph::Plan& plan, const Settings& settings);

}  // namespace retort::runner
