// The runner: executes a graph::Plan against one database connection, step by step, writing
// the version table and the ledger; or writes the same run as SQL text (--sql).
#pragma once

#include "base/duration.hpp"
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/events.hpp"
#include "retort/results.hpp"
#include "runner/ledger.hpp"
#include "script/script_directory.hpp"

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace retort::runner {

class BlockerWatch;
class RunLock;
struct Blocker;

// How the ledger's `error` of a step stopped by a cancellation (SIGTERM, SIGINT, an
// application's shutdown) begins: it was rolled back like any failure, but nothing in the file
// is to fix, so `current` and `doctor` say to run the same command again.
inline constexpr std::string_view k_cancelled_error = "cancelled: ";

// The reason of the `stamp` ledger row that settles the failed run of a revision whose file
// was deleted since (doctor --fix, stamp).
inline constexpr std::string_view k_settled_reason =
    "settled: the failed run's file was deleted, nothing of it applied";

// What a failed or killed run left: the newest ledger row of a revision that is not `ok`.
struct Leftover {
  LedgerRow row;
  // Its runner is gone without finishing (the row said `running` while this process held the
  // run lock); the row is now `failed` with a note saying so.
  bool interrupted = false;
  // A `transaction false` migration of which some statements ran: what ran stays, and the
  // version table does not say so.
  bool partial = false;
};

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

[[nodiscard]] script::Dialect script_dialect(driver::Dialect dialect);

// What runs between steps: a backup before a step that drops or rewrites data, a wait while
// replicas lag. Called on the run's thread before each step starts, outside any transaction
// (with transaction_per_migration = false, only before a step that no open transaction
// precedes); it may take its time, and may throw Error to stop the run cleanly between steps.
class StepGate {
 public:
  virtual ~StepGate() = default;
  // Returns a note kept in the step's ledger row (its `backup` column: the backup taken), or
  // empty.
  virtual std::string before_step(const graph::Step& step, const script::Migration& migration,
                                  const std::vector<script::Statement>& statements) = 0;
  // Called instead of before_step for a step that starts inside the run's open transaction
  // (transaction_per_migration = false): it must neither wait nor use the connection. Returns
  // the note for the step's ledger row (the backup that covers it), or empty.
  virtual std::string inside_transaction(const graph::Step& /*step*/,
                                         const script::Migration& /*migration*/,
                                         const std::vector<script::Statement>& /*statements*/) {
    return {};
  }
};

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

  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // PostgreSQL: name the sessions a statement waits behind when it times out on a lock, read
  // through a second connection to url that is opened only once a statement has waited most
  // of its lock_timeout (runner/blockers.hpp). Not behind a transaction pooler, where the
  // run's server session changes from one transaction to the next.
  void watch_blockers(const base::DatabaseUrl& url);

  // Adds a gate that runs before each step, in the order added; gate must outlive the run.
  void add_gate(StepGate& gate) { m_gates.push_back(&gate); }

  // The run lock this run holds, checked before each commit (RunLock::held_sql()): a lock
  // found lost rolls back what is open, marks the lock lost, and stops the run with an Error
  // naming it; a lock_timeout is not retried once the lock is lost. lock must outlive the run.
  void hold(RunLock& lock) { m_lock = &lock; }

  // PostgreSQL, on a connection that keeps session settings: keeps this session from being
  // ended while it waits for the run lock or between steps (idle_session_timeout, and
  // idle_in_transaction_session_timeout for a run in one transaction, of a role or database),
  // and records its backend pid for the ledger. Called by run() when not called before; once.
  void prepare_session();

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
  void run_alone(const Prepared& prepared, StepResult& result, Ledger& ledger,
                 std::int64_t ledger_id);
  void set_session_timeouts(const script::Migration& migration);
  void set_local_timeouts(const script::Migration& migration);
  // Reads the ledger's unfinished rows under the run lock; marks those whose runner is gone.
  [[nodiscard]] std::vector<Leftover> inspect_leftovers(Ledger& ledger);
  // Waits, up to orphan_wait, until the server session of an interrupted runner has ended its
  // statement; throws Error(lock_busy) naming it past that.
  void wait_for_orphan(const LedgerRow& row);
  // Refuses a run while a migration is partially applied, unless it resumes it; checks that
  // the statements that already ran are the file's.
  void attach_resumes(const std::vector<Leftover>& leftovers, std::vector<Prepared>& prepared,
                      script::Dialect dialect);
  [[nodiscard]] bool resume_index(const Prepared& prepared, const script::Statement& statement);
  // Whether an index exists (nullopt: it does not) and is valid.
  [[nodiscard]] std::optional<bool> index_valid(const std::string& index);
  // DROP INDEX CONCURRENTLY of the INVALID index a concurrent build left, under the same
  // lock_timeout and retries as the statements.
  void drop_invalid_index(const Prepared& prepared, const script::Statement& statement);
  // Throws the lock-lost Error, after marking the lock lost, when the run lock is no longer
  // this process's; `what` says what was about to happen ("revision b2 could commit").
  void check_lock(const std::string& what);
  // Runs one migration statement, watched for blockers when a watch is on.
  void execute_statement(const script::Statement& statement, base::Millis lock_timeout);
  // "; waiting behind pid 42 (psql, ...): UPDATE ..." for the last statement that failed.
  [[nodiscard]] std::string blockers_text() const;

  driver::Connection& m_connection;
  const script::ScriptDirectory& m_scripts;
  Settings m_settings;
  RunObserver* m_observer;
  std::optional<base::DatabaseUrl> m_watch_url;
  std::unique_ptr<BlockerWatch> m_watch;
  std::vector<Blocker> m_blockers;  // seen for the last statement that failed
  std::int64_t m_backend_pid = 0;   // PostgreSQL, outside a pooler: the run's server session
  bool m_session_prepared = false;
  std::vector<StepGate*> m_gates;
  RunLock* m_lock = nullptr;
};

// Statement `done` + 1 of a `transaction false` migration (0-based `done`), as the file says
// it now; nullopt when the file is gone, does not split, or has no such statement.
[[nodiscard]] std::optional<script::Statement> statement_after(const script::Migration* migration,
                                                               graph::Direction direction, int done,
                                                               script::Dialect dialect);

// After an interruption after `done` statements of a `transaction false` migration: whether
// statement done+1 may have finished without the ledger knowing. Only a statement that runs
// alone (CREATE INDEX CONCURRENTLY) can; any other commits together with the ledger's count.
// True when the file cannot say (nothing can be promised then).
[[nodiscard]] bool next_statement_in_doubt(const script::Migration* migration,
                                           graph::Direction direction, int done,
                                           script::Dialect dialect);

// "retort upgrade --resume", "retort downgrade --resume TARGET" (flag: "--resume" or
// "--restart"), for messages about a step in `direction` (upgrade or downgrade).
[[nodiscard]] std::string partial_command(Direction direction, std::string_view flag);

// ", and an INVALID index it left is dropped and built again" when statement done+1 builds an
// index concurrently; empty otherwise.
[[nodiscard]] std::string index_rebuild_note(const script::Migration* migration,
                                             graph::Direction direction, int done,
                                             script::Dialect dialect);

// A version row that no file declares (the database is ahead of this code): the revisions
// beyond the files as the ledger remembers them, newest first (each with its message and
// parents), and the first ancestor the files know; empty when the ledger has none of it.
struct BeyondFiles {
  std::vector<LedgerRow> revisions;
  std::string known_ancestor;  // empty: none found
};
[[nodiscard]] BeyondFiles beyond_files(Ledger& ledger, const graph::RevisionMap& map,
                                       const std::string& revision);

// Writes the plan as the SQL script a DBA can review and run with psql (or sqlite3): the
// version table and ledger DDL, then each step's statements and its version-table change, in
// transaction blocks exactly as the online run would use them.
void write_sql(std::ostream& out, driver::Dialect dialect, const script::ScriptDirectory& scripts,
               const graph::Plan& plan, const Settings& settings);

}  // namespace retort::runner
