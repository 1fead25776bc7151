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
#include "runner/recovery.hpp"
#include "runner/settings.hpp"
#include "script/script_directory.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retort::runner {

class BlockerWatch;
class RunLock;
struct Blocker;
struct PreparedStep;

// How the ledger's `error` of a step stopped by a cancellation (SIGTERM, SIGINT, an
// application's shutdown) begins: it was rolled back like any failure, but nothing in the file
// is to fix, so `current` and `doctor` say to run the same command again.
inline constexpr std::string_view k_cancelled_error = "cancelled: ";

// The reason of the `stamp` ledger row that settles the failed run of a revision whose file
// was deleted since (doctor --fix, stamp).
inline constexpr std::string_view k_settled_reason =
    "settled: the failed run's file was deleted, nothing of it applied";

// What a run that stopped at a step leaves, as facts: src/commands/ says what they mean for the
// user (the state of the database, the next command).
struct StepFailure {
  // What the step left in the database.
  enum class Left {
    rolled_back,        // a transactional step: nothing of it stays
    nothing_ran,        // a `transaction false` step stopped at its first statement
    partially_applied,  // a `transaction false` step stopped after statements_done
  };
  Left left = Left::rolled_back;
  std::string revision;
  graph::Direction direction = graph::Direction::upgrade;
  std::string file;  // the migration's path, relative to the project
  int statements_done = 0;
  int statements_total = 0;
  std::vector<std::string> heads_now;  // the version table's rows after the rollback
  bool whole_run = false;  // the whole run was one transaction, rolled back with the step
  // The INVALID index the statement that runs next drops and builds again; empty: none.
  std::string index_rebuilt{};
  bool lock_timeout = false;  // stopped by lock_timeout once its retries were spent
  std::string blocker_pid{};  // the first session it waited behind; empty: none seen
  bool lock_lost = false;     // the run lock was lost: another runner may be migrating
  bool cancelled = false;     // the run was cancelled (SIGTERM, SIGINT, cancel())
  // A backfill step: its progress ("12,000 rows in 12 batches, cursor (12000) of (20000)
  // (public.retort_backfill)"), whose batches stay committed; empty for any other step.
  std::string backfill{};
};

// The error of a step that failed (what failed and where, the server's words) with the facts
// of what it left.
class StepFailed : public Error {
 public:
  StepFailed(const Error& error, StepFailure facts) : Error(error), failure(std::move(facts)) {}
  StepFailure failure;
};

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
                   base::Dialect dialect);

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

  // Runs the plan. A step that fails throws StepFailed with file:line, the server's words and
  // what the step left (for src/commands/ to say the state and the next command); the ledger
  // row of that step says `failed`. Steps before it stay applied (one transaction per migration)
  // unless transaction_per_migration is false.
  RunResult run(const graph::Plan& plan);

  // Stamp: version-table changes only, with a ledger row per step. A --purge plan removes
  // every row, known or not, in its first steps.
  RunResult stamp(const graph::Plan& plan);

 private:
  struct RunState;
  struct StepRun;
  // The steps of run(), in the order they happen. Planning: every step's statements split and
  // checked before the first statement runs.
  [[nodiscard]] std::vector<PreparedStep> prepare_steps(const graph::Plan& plan,
                                                        base::Dialect dialect) const;
  // Tells the observer the run starts (RunObserver::run_started), before anything is written.
  void announce(const graph::Plan& plan, Direction direction);
  // Adoption and leftovers: the revisions another tool applied are recorded, the rows of
  // runners that are gone marked, partially applied migrations refused or resumed.
  void recover(RunState& state, std::vector<PreparedStep>& prepared, base::Dialect dialect);
  // Throws, between steps, when the run was asked to stop.
  void stop_if_cancelled(RunState& state, const graph::Step& step);
  // One step: its gates, its ledger row, its attempts (lock_timeout retries).
  [[nodiscard]] StepResult run_step(RunState& state, const PreparedStep& item,
                                    const PreparedStep* next);
  // One attempt: the statements, the version-table change, the ledger row `ok`, the commit.
  void attempt_step(RunState& state, StepRun& run);
  // After an attempt failed: rolls back, and returns to try again (a lock_timeout with retries
  // left); otherwise records the failure in the ledger and throws StepFailed.
  void retry_or_fail(RunState& state, StepRun& run, Error& caught);
  // What a failed step left, for the StepFailed it throws.
  [[nodiscard]] StepFailure failure_of(RunState& state, const StepRun& run) const;
  // Finishing: the commit of the run's one transaction, when it is one.
  void finish_run(RunState& state);
  [[nodiscard]] LedgerStart ledger_start_of(const PreparedStep& item) const;

  void run_transactional(const PreparedStep& prepared, StepResult& result, bool own_transaction);
  void run_alone(const PreparedStep& prepared, StepResult& result, Ledger& ledger,
                 std::int64_t ledger_id);
  void set_session_timeouts(const script::Migration& migration);
  void set_local_timeouts(const script::Migration& migration);
  // Throws the lock-lost Error, after marking the lock lost, when the run lock is no longer
  // this process's; `what` says what was about to happen ("revision b2 could commit").
  void check_lock(const std::string& what);
  // Runs one statement of a step, watching for blockers under lock_timeout, and passes the
  // server's notices about it to the observer.
  void execute_statement(const PreparedStep& prepared, const script::Statement& statement,
                         base::Millis lock_timeout);
  // "; waiting behind pid 42 (psql, ...): UPDATE ..." for the last statement that failed.
  [[nodiscard]] std::string blockers_text() const;

  driver::Connection& m_connection;
  const script::ScriptDirectory& m_scripts;
  Settings m_settings;
  RunObserver* m_observer;
  Recovery m_recovery;
  std::optional<base::DatabaseUrl> m_watch_url;
  std::unique_ptr<BlockerWatch> m_watch;
  std::vector<Blocker> m_blockers;  // seen for the last statement that failed
  std::int64_t m_backend_pid = 0;   // PostgreSQL, outside a pooler: the run's server session
  bool m_session_prepared = false;
  std::vector<StepGate*> m_gates;
  RunLock* m_lock = nullptr;
};

}  // namespace retort::runner
