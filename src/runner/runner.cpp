// The runner's state machine. For each step of a plan:
//
//   1. ledger: INSERT a `running` row (autocommit, so a crash leaves a trace)
//   2. transactional step:      BEGIN; SET LOCAL timeouts; statements; version-table ops;
//                               ledger row `ok`; COMMIT
//      non-transactional step:  each statement alone in autocommit, the ledger's
//                               statements_done advanced after each; then BEGIN; version-table
//                               ops; ledger row `ok`; COMMIT
//   3. on failure: ROLLBACK what is open; ledger row `failed` with the error (autocommit);
//      throw StepFailed: file:line and the server's words, with the facts of what the step
//      left, which src/commands/ turns into the state of the database and the next command.
//
// A lock timeout (SQLSTATE 55P03) is retried with backoff: the whole step when it is
// transactional (it was rolled back), only the failed statement otherwise. A statement whose
// outcome is unknown (connection lost) is never retried.
//
// Every commit of migration work first checks that the run lock is still this process's
// (RunLock::held_sql(), in the same round trip as the step's version-table change): a lock
// lost meanwhile (its session ended, the lease taken over) rolls the step back and stops the
// run, since another runner may be migrating now (issue #14).
#include "runner/runner.hpp"

#include "base/text.hpp"
#include "runner/backfill.hpp"
#include "runner/blockers.hpp"
#include "runner/cancel.hpp"
#include "runner/direction.hpp"
#include "runner/ledger.hpp"
#include "runner/run_lock.hpp"
#include "runner/steps.hpp"
#include "runner/timeouts.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <fstream>
#include <thread>
#include <utility>

namespace retort::runner {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// The run lock was found lost before a commit: a step stops here whatever it was doing.
class LockLostError : public Error {
 public:
  using Error::Error;
};

// Marks the lock lost; `what` says what was about to happen ("revision b2 could commit").
LockLostError lock_lost_error(RunLock& lock, const std::string& what) {
  lock.mark_lost();
  return {ExitCode::failed, fmt::format("{}; found before {}", lock.lost_reason(), what)};
}

// BEGIN with the migration's timeouts, as one script (PostgreSQL).
std::string begin_sql(const script::Migration& migration, const Settings& settings) {
  return "BEGIN; " +
         base::join(set_timeouts_sql(effective_timeouts(migration, settings), SetScope::local),
                    "; ");
}

}  // namespace

namespace {

// The version table and the ledger of a run, created if missing.
struct Tables {
  VersionTable versions;
  Ledger ledger;
};

Tables open_tables(driver::Connection& connection, const Settings& settings) {
  Tables tables{VersionTable(&connection, settings.version_table, settings.version_table_schema),
                Ledger(&connection, connection.dialect(), settings.version_table_schema,
                       settings.version_table)};
  tables.versions.create_if_missing();
  tables.ledger.create_if_missing();
  return tables;
}

// The line of `-- retort:revision` in a migration's file, for an error about its id; 1 when
// the file cannot be read again.
int revision_line(const script::Migration& migration) {
  std::ifstream in(migration.path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find("retort:revision") != std::string::npos) {
      return number;
    }
  }
  return 1;
}

// Refuses, before anything runs, a plan that would write a version row longer than the
// version table's column holds (an adopted alembic_version is varchar(32)); the width is read
// from the catalog once.
void check_version_width(VersionTable& versions, const script::ScriptDirectory& scripts,
                         const graph::Plan& plan) {
  std::optional<std::size_t> width;
  bool read = false;
  for (const graph::Step& step : plan.steps) {
    for (const graph::VersionOp& op : step.version_ops) {
      if (op.kind == graph::VersionOp::Kind::remove || op.to.size() <= 32) {
        continue;  // every varchar the version table may have holds 32 (Alembic's width)
      }
      if (!read) {
        width = versions.exists() ? versions.width() : std::nullopt;
        read = true;
      }
      if (!width || op.to.size() <= *width) {
        continue;
      }
      Error error(ExitCode::input,
                  fmt::format("revision {} is {} characters long; the version table {} holds "
                              "at most {} (version_num is varchar({}))",
                              op.to, op.to.size(), versions.qualified(), *width, *width));
      if (const script::Migration* migration = scripts.find(op.to); migration != nullptr) {
        error.at({migration->display_path, revision_line(*migration), 0});
      }
      error.state("nothing was run")
          .next(fmt::format("give the revision an id of at most {} characters (its file name, "
                            "`-- retort:revision` line and the `revises` of its children), or "
                            "widen the column: ALTER TABLE {} ALTER COLUMN version_num TYPE "
                            "varchar(64)",
                            *width, versions.qualified()));
      throw error;
    }
  }
}

// A database another tool migrated (Alembic): version rows, but no ledger row of this version
// table. The revisions its rows imply are recorded once, as `stamp` rows with their files'
// checksums and statements, so that `check` and `doctor` catch a later edit of one of those
// files like that of a file retort ran. Called under the run lock, outside a transaction.
void adopt_applied(driver::Connection& connection, const script::ScriptDirectory& scripts,
                   VersionTable& versions, Ledger& ledger) {
  const std::vector<std::string> heads = versions.heads();
  if (heads.empty() || !ledger.empty()) {
    return;
  }
  const graph::RevisionMap& map = scripts.map();
  std::vector<std::string> reached;
  std::vector<const graph::Step*> steps;
  std::vector<graph::Plan> plans;
  plans.reserve(heads.size());
  for (const std::string& head : heads) {
    if (map.find(head) == nullptr) {
      continue;  // a row no file declares: nothing to take a checksum of
    }
    auto plan = map.plan_upgrade(reached, head);
    if (!plan) {
      continue;
    }
    reached = plan->heads_after;
    plans.push_back(std::move(plan).value());
  }
  const base::Dialect dialect = connection.dialect();
  const std::string heads_now = base::join(heads, " ");
  connection.begin();
  try {
    for (const graph::Plan& plan : plans) {
      for (const graph::Step& step : plan.steps) {
        const script::Migration* migration = scripts.find(step.revision);
        if (migration == nullptr) {
          continue;
        }
        LedgerStart entry{.revision = step.revision,
                          .direction = "stamp",
                          .checksum = migration->checksum(),
                          .reason = std::string(k_adopted_reason),
                          .parents = base::join(migration->revises, " "),
                          .message = migration->message,
                          .sql = migration->upgrade.text,
                          .heads_after = heads_now};
        if (auto statements = script::statements(*migration, script::Which::upgrade, dialect)) {
          entry.statements_total = static_cast<int>(statements->size());
          for (const script::Statement& statement : *statements) {
            entry.statement_checksums +=
                (entry.statement_checksums.empty() ? "" : " ") + statement.fingerprint;
          }
        }
        ledger.finish_ok(ledger.start(entry), 0, 0);
      }
    }
    connection.commit();
  } catch (...) {
    if (connection.in_transaction()) {
      connection.rollback();
    }
    throw;
  }
}

// The settings with the version table's schema made explicit. A migration may change the
// session's search_path (`SET search_path = app`), after which an unqualified retort_version
// or retort_log would name another table, or none: the schema the connection started in is
// read once, before anything runs, and every table of retort's is qualified with it.
Settings with_schema_resolved(driver::Connection& connection, Settings settings) {
  if (settings.version_table_schema.empty() && connection.dialect() == base::Dialect::postgres) {
    // Where the version table is found now (the search_path may name a schema a migration
    // creates, ahead of the one the table was created in), else where it would be created.
    const std::array<driver::Value, 1> name{settings.version_table};
    const driver::Rows rows = connection.query(
        "SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace "
        "n ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.to_regclass("
        "pg_catalog.quote_ident($1))), pg_catalog.current_schema())",
        name);
    if (!rows.empty() && rows.rows.front()[0]) {
      settings.version_table_schema = *rows.rows.front()[0];
    }
  }
  return settings;
}

}  // namespace

Runner::Runner(driver::Connection& connection, const script::ScriptDirectory& scripts,
               Settings settings, RunObserver* observer)
    : m_connection(connection),
      m_scripts(scripts),
      m_settings(with_schema_resolved(connection, std::move(settings))),
      m_observer(observer),
      m_recovery(m_connection, m_scripts, m_settings, m_observer) {}

std::vector<std::string> Runner::current_heads() {
  VersionTable table(&m_connection, m_settings.version_table, m_settings.version_table_schema);
  return table.heads();
}

void Runner::set_local_timeouts(const script::Migration& migration) {
  if (m_connection.dialect() != base::Dialect::postgres) {
    return;
  }
  // SET LOCAL, not SET: a session setting would leak to the next client behind a pooler.
  m_connection.execute(base::join(
      set_timeouts_sql(effective_timeouts(migration, m_settings), SetScope::local), "; "));
}

namespace {

// A lock timeout that retries did not get past: how long was waited, and behind whom.
void explain_lock_timeout(Error& error, const script::Migration& migration,
                          const Settings& settings, bool retried,
                          const std::vector<Blocker>& blockers) {
  std::string text = fmt::format(
      "the statement could not get its lock within lock_timeout ({}){}; it gave up waiting "
      "each time, so the application's queries did not queue behind it",
      base::format_duration(effective_timeouts(migration, settings).lock_timeout),
      retried ? fmt::format(", nor in {} retries (lock_retries)", settings.lock_retries)
              : std::string(" (no retry: the whole run is one transaction)"));
  for (const Blocker& blocker : blockers) {
    text += "\nwaiting behind " + blocker.line;
  }
  error.explain(std::move(text));
}

// PostgreSQL: a step's one version-table change and its ledger row's `ok` in one statement,
// one round trip instead of two, with the same check as VersionTable::apply: the change must
// touch exactly one row. Data-modifying CTEs run once whether or not the query reads them;
// a step with several changes takes the one-by-one path, as CTEs of one statement must not
// touch a row twice. held_sql (RunLock::held_sql(), may be empty) is evaluated in the same
// statement. Anything but `finished` is for the caller to roll back.
enum class Finish {
  finished,
  lock_lost,   // held_sql counted 0
  row_closed,  // the ledger row is no longer `running`: another runner marked it interrupted
};
[[nodiscard]] Finish finish_step_postgres(VersionTable& versions, Ledger& ledger,
                                          const graph::VersionOp& op, std::int64_t ledger_id,
                                          int statements_done, std::int64_t duration_ms,
                                          const std::string& held_sql) {
  VersionTable::Change change = versions.change_of(op);
  const Ledger::FinishedWith finished = ledger.finish_ok_with(
      change.sql, std::move(change.params), ledger_id, statements_done, duration_ms, held_sql);
  if (!finished.checked) {
    return Finish::lock_lost;
  }
  if (!finished.closed) {
    return Finish::row_closed;
  }
  if (finished.changed != "1") {
    throw version_conflict(versions.qualified(), op, finished.changed);
  }
  return Finish::finished;
}

}  // namespace

void Runner::run_transactional(const PreparedStep& prepared, StepResult& result,
                               bool own_transaction) {
  const script::Migration& migration = *prepared.migration;
  if (own_transaction && m_connection.dialect() == base::Dialect::postgres) {
    // BEGIN and the SET LOCAL lines in one round trip: a thousand small migrations spend
    // most of their time in round trips. The driver reads the transaction state from the
    // server, so it knows the transaction is open.
    m_connection.execute(begin_sql(migration, m_settings));
  } else {
    if (own_transaction) {
      m_connection.begin();
    }
    set_local_timeouts(migration);
  }
  const base::Millis lock_timeout = effective_timeouts(migration, m_settings).lock_timeout;
  int done = 0;
  for (const script::Statement& statement : prepared.statements) {
    try {
      execute_statement(prepared, statement, lock_timeout);
    } catch (const driver::DatabaseError& error) {
      if (error.kind() == driver::DatabaseError::Kind::statement) {
        result.statements_done = done;
        throw statement_error(error, migration, statement);
      }
      throw;
    }
    ++done;
    if (m_observer != nullptr) {
      m_observer->statement_done(prepared.event, done,
                                 static_cast<int>(prepared.statements.size()));
    }
  }
  result.statements_done = done;
}

void Runner::set_session_timeouts(const script::Migration& migration) {
  // Statements outside a transaction block can only take session settings. They stay on
  // retort's own session after the step; every transactional step sets its own with SET LOCAL.
  if (m_connection.dialect() == base::Dialect::postgres) {
    m_connection.execute(base::join(
        set_timeouts_sql(effective_timeouts(migration, m_settings), SetScope::session), "; "));
  }
}

Runner::~Runner() = default;

void Runner::watch_blockers(const base::DatabaseUrl& url) {
  if (m_connection.dialect() == base::Dialect::postgres &&
      m_settings.session == SessionSettings::kept) {
    m_watch_url = url;
  }
}

void Runner::execute_statement(const PreparedStep& prepared, const script::Statement& statement,
                               base::Millis lock_timeout) {
  // What the server said to retort's own statements (CREATE TABLE IF NOT EXISTS of the ledger,
  // say) is not the migration's: only the notices of the migration's statement are shown.
  (void)m_connection.take_notices();
  if (!m_watch || lock_timeout.count() <= 0) {
    m_connection.execute(statement.sql);
  } else {
    // Looked at a little before the timeout fires, while the statement still waits.
    m_watch->arm(lock_timeout * 8 / 10);
    try {
      m_connection.execute(statement.sql);
    } catch (...) {
      m_blockers = m_watch->disarm();
      throw;
    }
    (void)m_watch->disarm();
  }
  // The server's NOTICEs and WARNINGs ("table \"t\" does not exist, skipping", a deprecation),
  // each on a line naming where the statement is, as psql would show them.
  if (m_observer != nullptr) {
    for (const std::string& notice : m_connection.take_notices()) {
      m_observer->note(fmt::format("{} {}:{}: {}", prepared.step->revision,
                                   prepared.migration->display_path, statement.line, notice));
    }
  }
}

void Runner::prepare_session() {
  if (m_session_prepared) {
    return;
  }
  m_session_prepared = true;
  if (m_connection.dialect() != base::Dialect::postgres ||
      m_settings.session != SessionSettings::kept) {
    // Behind a transaction pooler a session setting would reach the pooler's next client;
    // the pooler replaces a server session that a timeout ended between transactions.
    return;
  }
  // The session the ledger names, so that a next runner can tell whether a killed runner's
  // statement still runs. PostgreSQL 14 and later also stop that statement within a second of
  // the client's death when asked to check the connection. A role's or database's
  // idle_session_timeout would end this session while it waits for the run lock or for a gate
  // (a backup) between steps, and idle_in_transaction_session_timeout a run in one transaction
  // (issue #14); idle_session_timeout is not sent to servers before 14, which lack it.
  const driver::Rows pid = m_connection.query(
      "SELECT pg_backend_pid()::text, CASE WHEN current_setting('server_version_num')::int >= "
      "140000 THEN set_config('client_connection_check_interval', '1000', false) || "
      "set_config('idle_session_timeout', '0', false) END, "
      "set_config('idle_in_transaction_session_timeout', '0', false)");
  m_backend_pid = pid.empty() ? 0 : std::stoll(pid.rows[0][0].value_or("0"));
}

void Runner::check_lock(const std::string& what) {
  if (m_lock == nullptr || m_lock->held_sql().empty()) {
    return;
  }
  if (!m_lock->lost()) {
    const driver::Rows held = m_connection.query("SELECT " + m_lock->held_sql());
    if (!held.empty() && held.rows[0][0] == std::optional<std::string>("1")) {
      return;
    }
  }
  throw lock_lost_error(*m_lock, what);
}

std::string Runner::blockers_text() const {
  std::string out;
  for (const Blocker& blocker : m_blockers) {
    out += (out.empty() ? "; waiting behind " : "; and behind ") + blocker.line;
  }
  return out;
}

// A `transaction false` step: each statement on its own, a lock timeout retrying only the
// statement that timed out. A statement that may run in a transaction block runs in one of its
// own together with the ledger's statements_done, so that the ledger can never be behind
// what ran; one that may not (CREATE INDEX CONCURRENTLY) runs alone, and the ledger is
// advanced after it: a crash between the two leaves that one statement in doubt, which a
// resume checks (see resume_index()).
void Runner::run_alone(const PreparedStep& prepared, StepResult& result, Ledger& ledger,
                       std::int64_t ledger_id) {
  const script::Migration& migration = *prepared.migration;
  const graph::Step& step = *prepared.step;
  const bool postgres = m_connection.dialect() == base::Dialect::postgres;
  const bool pooled = postgres && m_settings.session == SessionSettings::not_kept;
  const base::Millis lock_timeout = effective_timeouts(migration, m_settings).lock_timeout;
  if (!pooled) {
    set_session_timeouts(migration);
  }
  int done = prepared.resume_at;
  result.statements_done = done;
  for (std::size_t stmt_idx = static_cast<std::size_t>(done); stmt_idx < prepared.statements.size();
       ++stmt_idx) {
    const script::Statement& statement = prepared.statements[stmt_idx];
    const bool alone = statement.needs_no_transaction;
    if (alone && prepared.resumed != nullptr && static_cast<int>(stmt_idx) == prepared.resume_at &&
        !m_recovery.resume_index(prepared, statement)) {
      // It had finished before the interruption; count it and go on.
      ++done;
      result.statements_done = done;
      ledger.progress(ledger_id, done);
      continue;
    }
    // Behind a transaction pooler a session SET would stay on a server session that the
    // pooler hands to other clients next: a statement that must run alone runs without
    // retort's timeouts there.
    if (pooled && alone && m_observer != nullptr) {
      m_observer->note(fmt::format(
          "{}: {}:{} runs without lock_timeout and statement_timeout: it cannot run in a "
          "transaction block, and with lock = \"lease\" a session setting could reach the "
          "pooler's other clients",
          step.revision, migration.display_path, statement.line));
    }
    // A concurrent index build that stops (a lock_timeout while it waits for older
    // transactions) leaves its index behind INVALID, and its retry would fail on "already
    // exists" (issue #14). A retry drops that index, but only when it was not there before the
    // statement ran: an index the build did not make is never dropped.
    const bool builds_index = alone && postgres && !statement.concurrent_index.empty() &&
                              !m_recovery.index_valid(statement.concurrent_index).has_value();
    const std::string statement_what =
        fmt::format("statement {} of revision {} ({}:{}) could run", stmt_idx + 1, step.revision,
                    migration.display_path, statement.line);
    int statement_attempt = 0;
    for (;;) {
      try {
        if (alone) {
          // It commits by itself: the lock is checked before it starts.
          check_lock(statement_what);
          execute_statement(prepared, statement, pooled ? base::Millis{0} : lock_timeout);
          ledger.progress(ledger_id, done + 1);
        } else {
          if (postgres) {
            m_connection.execute(begin_sql(migration, m_settings));
          } else {
            m_connection.begin();
          }
          execute_statement(prepared, statement, lock_timeout);
          m_connection.execute(ledger.progress_sql(ledger_id, done + 1));
          check_lock(fmt::format("statement {} of revision {} ({}:{}) could commit", stmt_idx + 1,
                                 step.revision, migration.display_path, statement.line));
          m_connection.commit();
        }
        break;
      } catch (const driver::DatabaseError& error) {
        if (m_connection.in_transaction()) {
          m_connection.rollback();
        }
        if (is_lock_timeout(error) && statement_attempt < m_settings.lock_retries) {
          // A run that lost its lock meanwhile does not try again.
          check_lock(statement_what);
          ++statement_attempt;
          std::string dropped;
          if (builds_index && m_recovery.index_valid(statement.concurrent_index) == false) {
            m_recovery.drop_invalid_index(prepared, statement);
            dropped = fmt::format("; dropped the INVALID index {} this try left",
                                  statement.concurrent_index);
          }
          const base::Millis wait = backoff(statement_attempt);
          if (m_observer != nullptr) {
            m_observer->retrying(prepared.event, statement_attempt);
            m_observer->note(fmt::format("{}: lock_timeout ({}) at {}:{}{}; retry {} of {} in {}{}",
                                         step.revision, base::format_duration(lock_timeout),
                                         migration.display_path, statement.line, dropped,
                                         statement_attempt, m_settings.lock_retries,
                                         base::format_elapsed(wait), blockers_text()));
          }
          std::this_thread::sleep_for(wait);
          continue;
        }
        result.statements_done = done;
        if (error.kind() == driver::DatabaseError::Kind::statement) {
          throw statement_error(error, migration, statement);
        }
        throw;
      }
    }
    ++done;
    result.statements_done = done;
    if (m_observer != nullptr) {
      m_observer->statement_done(prepared.event, done, result.statements_total);
    }
  }
}

// The state of one run between its steps.
struct Runner::RunState {
  VersionTable versions;
  Ledger ledger;
  // What a failed or killed run left; the steps that resume point into it.
  std::vector<Leftover> leftovers{};
  bool one_transaction = false;  // transaction_per_migration = false
  bool outer_open = false;       // the run's one transaction is open
  // The next step's `running` row, when it was committed with the step before it: one commit
  // per migration instead of two (on SQLite each commit is a journal write and fsyncs).
  // It is still committed before that step's transaction starts, as docs/reference/tables.md
  // promises.
  std::int64_t next_ledger_id = 0;
};

// One step under way, across its attempts.
struct Runner::StepRun {
  const PreparedStep& item;
  const PreparedStep* next = nullptr;  // the step after it, if any
  LedgerStart start;
  StepResult result{};
  std::int64_t ledger_id = 0;
  // In one-transaction mode a transactional step's ledger row commits with the run; every
  // other step's row is written before its first statement, in autocommit.
  bool in_outer = false;
  Clock::time_point started{};
  int attempt = 0;  // lock_timeout retries so far
};

std::vector<PreparedStep> Runner::prepare_steps(const graph::Plan& plan,
                                                base::Dialect dialect) const {
  std::vector<PreparedStep> prepared;
  prepared.reserve(plan.steps.size());
  for (const graph::Step& step : plan.steps) {
    PreparedStep item;
    item.step = &step;
    item.migration = &migration_of(m_scripts, step);
    item.statements = split_or_throw(*item.migration, step.direction, dialect);
    item.event.index = static_cast<int>(prepared.size()) + 1;
    item.event.count = static_cast<int>(plan.steps.size());
    item.event.revision = step.revision;
    item.event.message = item.migration->message;
    item.event.direction = to_result(step.direction);
    if (item.migration->estimate) {
      item.event.estimate_ms = item.migration->estimate->count();
    }
    prepared.push_back(std::move(item));
  }
  return prepared;
}

void Runner::recover(RunState& state, std::vector<PreparedStep>& prepared, base::Dialect dialect) {
  adopt_applied(m_connection, m_scripts, state.versions, state.ledger);
  state.leftovers = m_recovery.inspect_leftovers(state.ledger);
  m_recovery.attach_resumes(state.leftovers, prepared, dialect);
}

LedgerStart Runner::ledger_start_of(const PreparedStep& item) const {
  LedgerStart start{.revision = item.step->revision,
                    .direction = direction_name(item.step->direction),
                    .statements_total = static_cast<int>(item.statements.size()),
                    .checksum = item.migration->checksum(),
                    .reason = m_settings.reason,
                    .parents = base::join(item.migration->revises, " "),
                    .message = item.migration->message,
                    .heads_after = base::join(item.step->heads_after, " ")};
  for (const script::Statement& statement : item.statements) {
    start.statement_checksums +=
        (start.statement_checksums.empty() ? "" : " ") + statement.fingerprint;
  }
  const bool down = item.step->direction == graph::Direction::downgrade;
  start.sql = down ? item.migration->downgrade->text : item.migration->upgrade.text;
  if (item.resumed != nullptr) {
    start.statements_done = item.resume_at;
    start.resumed_from = item.resumed->row.entry.id;
  }
  start.backend_pid = m_backend_pid;
  if (!down) {
    for (const script::LintIgnore& ignore : item.migration->lint_ignores) {
      start.lint_ignores += (start.lint_ignores.empty() ? "" : "; ") +
                            base::join(ignore.codes, " ") + ": " + ignore.reason;
    }
  }
  return start;
}

void Runner::stop_if_cancelled(RunState& state, const graph::Step& step) {
  if (!cancel_requested()) {
    return;
  }
  if (state.outer_open) {
    m_connection.rollback();
    state.outer_open = false;
  }
  if (state.next_ledger_id != 0) {
    // The step never began: leave no `running` row behind for it.
    try {
      state.ledger.discard(state.next_ledger_id);
    } catch (const driver::DatabaseError&) {
      // Best effort, as for a failed step's row: the cancellation below is what counts.
    }
  }
  throw Error(ExitCode::failed, fmt::format("cancelled before revision {} started", step.revision))
      .state(fmt::format("the database is at {}", heads_text(state.versions.heads())))
      .next("run the same command again to continue");
}

StepResult Runner::run_step(RunState& state, const PreparedStep& item, const PreparedStep* next) {
  const graph::Step& step = *item.step;
  const script::Migration& migration = *item.migration;
  StepRun run{.item = item, .next = next, .start = ledger_start_of(item)};
  run.result.revision = step.revision;
  run.result.message = migration.message;
  run.result.direction = to_result(step.direction);
  run.result.statements_total = static_cast<int>(item.statements.size());
  for (StepGate* gate : m_gates) {
    std::string note = state.outer_open ? gate->inside_transaction(step, migration, item.statements)
                                        : gate->before_step(step, migration, item.statements);
    if (!note.empty()) {
      run.start.backup = std::move(note);
    }
  }
  if (m_observer != nullptr) {
    m_observer->step_started(item.event);
  }

  run.started = Clock::now();
  run.in_outer = state.one_transaction && migration.transactional;
  if (!run.in_outer) {
    run.ledger_id =
        state.next_ledger_id != 0 ? state.next_ledger_id : state.ledger.start(run.start);
  }
  state.next_ledger_id = 0;

  for (;;) {
    try {
      attempt_step(state, run);
      break;
    } catch (Error& caught) {
      retry_or_fail(state, run, caught);
    }
  }

  StepResult& result = run.result;
  result.status = StepStatus::ok;
  result.duration_ms = elapsed_ms(run.started);
  result.heads_after = step.heads_after;
  result.backup = run.start.backup;
  if (m_observer != nullptr) {
    m_observer->step_finished(item.event, result.duration_ms, true);
  }
  return std::move(run.result);
}

void Runner::attempt_step(RunState& state, StepRun& run) {
  const PreparedStep& item = run.item;
  const graph::Step& step = *item.step;
  const script::Migration& migration = *item.migration;
  if (run.in_outer) {
    if (!state.outer_open) {
      m_connection.begin();
      state.outer_open = true;
    }
    run.ledger_id = state.ledger.start(run.start);
    run_transactional(item, run.result, false);
  } else if (migration.transactional) {
    run_transactional(item, run.result, true);
  } else {
    if (state.outer_open) {
      // A non-transactional step cannot run inside the run's transaction: commit what came
      // before it, as Alembic's autocommit_block does.
      check_lock(fmt::format("the steps before revision {} could commit", step.revision));
      m_connection.commit();
      state.outer_open = false;
    }
    // A backfill (runner/backfill.hpp) runs its own batches; its progress row becomes `done`
    // in the transaction that records the revision applied.
    std::optional<Backfill> backfill;
    if (migration.backfill && step.direction == graph::Direction::upgrade) {
      backfill.emplace(
          BackfillContext{.connection = m_connection,
                          .settings = m_settings,
                          .observer = m_observer,
                          .check_lock = [this](const std::string& what) { check_lock(what); }},
          migration, item.statements.front());
      backfill->run();
      run.result.statements_done = 1;
    } else {
      run_alone(item, run.result, state.ledger, run.ledger_id);
    }
    m_connection.begin();
    if (backfill) {
      m_connection.execute(backfill->done_sql());
    }
  }
  const std::string commit_what = fmt::format("revision {} could commit", step.revision);
  if (m_connection.dialect() == base::Dialect::postgres && step.version_ops.size() == 1) {
    // In one transaction the commit comes at the end of the run; it checks again then.
    const Finish finish = finish_step_postgres(
        state.versions, state.ledger, step.version_ops.front(), run.ledger_id,
        run.result.statements_done, elapsed_ms(run.started),
        m_lock == nullptr
            ? std::string()
            : m_lock->held_sql(run.in_outer ? RunLock::Hold::look : RunLock::Hold::until_commit));
    if (finish == Finish::lock_lost) {
      throw lock_lost_error(*m_lock, commit_what);
    }
    if (finish == Finish::row_closed) {
      // Only another runner closes a `running` row: the two overlapped.
      throw Error(ExitCode::failed,
                  fmt::format("the ledger row of revision {} was closed by another runner "
                              "before the revision could commit; it was rolled back",
                              step.revision));
    }
  } else {
    for (const graph::VersionOp& op : step.version_ops) {
      state.versions.apply(op);
    }
    state.ledger.finish_ok(run.ledger_id, run.result.statements_done, elapsed_ms(run.started));
    if (!run.in_outer) {
      check_lock(commit_what);
    }
  }
  std::int64_t pre_started = 0;
  // With gates, the next step's row waits for them (a backup takes its time).
  if (!state.one_transaction && run.next != nullptr && !cancel_requested() && m_gates.empty()) {
    pre_started = state.ledger.start(ledger_start_of(*run.next));
  }
  if (!state.one_transaction || !migration.transactional) {
    m_connection.commit();
  }
  state.next_ledger_id = pre_started;
}

void Runner::retry_or_fail(RunState& state, StepRun& run, Error& caught) {
  const PreparedStep& item = run.item;
  const graph::Step& step = *item.step;
  const script::Migration& migration = *item.migration;
  if (m_connection.in_transaction()) {
    m_connection.rollback();
  }
  state.outer_open = false;
  const bool lock_timeout = caught.server_message && caught.server_message->sqlstate == "55P03";
  const bool retry = migration.transactional && !state.one_transaction && lock_timeout &&
                     run.attempt < m_settings.lock_retries;
  // A run whose lock was lost stops, and says so rather than what it was doing when the lock's
  // loss showed (a renewer's cancellation, a lock timeout).
  std::optional<Error> lost;
  if (dynamic_cast<const LockLostError*>(&caught) != nullptr) {
    lost = caught;
  } else if (m_lock != nullptr && !m_lock->held_sql().empty() && (m_lock->lost() || retry)) {
    try {
      check_lock(fmt::format("revision {} could commit", step.revision));
    } catch (const LockLostError& error) {
      lost = error;
    } catch (const driver::DatabaseError&) {
      // Cannot tell: the step's own error below is what counts.
    }
  }
  Error& error = lost ? *lost : caught;
  // A lock timeout in a transactional step: it was rolled back whole; try again.
  if (retry && !lost) {
    ++run.attempt;
    const base::Millis wait = backoff(run.attempt);
    // The row says how long the step waited on locks so far, pause included, so the report's
    // timeline can tell a step that waited from one that worked.
    if (run.ledger_id != 0) {
      try {
        state.ledger.lock_waits(run.ledger_id, run.attempt,
                                elapsed_ms(run.started) + static_cast<std::int64_t>(wait.count()));
      } catch (const driver::DatabaseError&) {
        // Best effort: the retry is what counts.
      }
    }
    if (m_observer != nullptr) {
      m_observer->retrying(run.item.event, run.attempt);
      m_observer->note(fmt::format(
          "{}: lock_timeout ({}); rolled back, retry {} of {} in {}{}", step.revision,
          base::format_duration(effective_timeouts(migration, m_settings).lock_timeout),
          run.attempt, m_settings.lock_retries, base::format_elapsed(wait), blockers_text()));
    }
    std::this_thread::sleep_for(wait);
    return;
  }
  if (lock_timeout && !lost) {
    explain_lock_timeout(error, migration, m_settings,
                         !(state.one_transaction && migration.transactional), m_blockers);
  }
  const std::int64_t duration = elapsed_ms(run.started);
  // In one-transaction mode the running row was rolled back with everything else.
  if (run.in_outer) {
    run.ledger_id = state.ledger.start(run.start);
  }
  const std::string row_error = cancel_requested() && !lost
                                    ? fmt::format("{}{}", k_cancelled_error, error.what())
                                    : std::string(error.what());
  // A cancel sent when the loss or the interrupt was noticed (by the lease's renewer, by a
  // signal) may reach the server only now, and stop this very write: the row would keep the
  // words of a runner that took over. One cancel is sent per loss, so one more try suffices.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      state.ledger.finish_failed(run.ledger_id,
                                 migration.transactional ? 0 : run.result.statements_done, duration,
                                 row_error);
      break;
    } catch (const driver::DatabaseError& write_error) {
      // The ledger is best effort once the step failed; the error below is what counts.
      if (write_error.kind() != driver::DatabaseError::Kind::cancelled ||
          !(lost || cancel_requested())) {
        break;
      }
    }
  }
  StepFailure failure = failure_of(state, run);
  failure.lock_timeout = lock_timeout && !lost;
  if (failure.lock_timeout && !m_blockers.empty()) {
    failure.blocker_pid = m_blockers.front().pid;
  }
  if (m_observer != nullptr) {
    m_observer->step_finished(item.event, duration, false);
  }
  if (lost) {
    failure.lock_lost = true;
    throw StepFailed(*lost, std::move(failure));
  }
  if (cancel_requested()) {
    Error cancelled(ExitCode::failed,
                    fmt::format("cancelled: revision {} was interrupted", step.revision));
    cancelled.at(error.where.value_or(SourceLocation{migration.display_path, 0, 0}));
    failure.cancelled = true;
    throw StepFailed(cancelled, std::move(failure));
  }
  throw StepFailed(caught, std::move(failure));
}

namespace {

// The version table's rows after a step failed. A cancel sent to stop the step (SIGTERM, a lost
// lease) may land on this read instead, since PostgreSQL cancels whatever runs when the request
// arrives: one late cancel is read past.
std::vector<std::string> heads_after_failure(VersionTable& versions) {
  try {
    return versions.heads();
  } catch (const driver::DatabaseError& error) {
    if (error.kind() != driver::DatabaseError::Kind::cancelled) {
      throw;
    }
    return versions.heads();
  }
}

}  // namespace

StepFailure Runner::failure_of(RunState& state, const StepRun& run) const {
  const graph::Step& step = *run.item.step;
  const script::Migration& migration = *run.item.migration;
  const int done = run.result.statements_done;
  StepFailure failure{.left = migration.transactional ? StepFailure::Left::rolled_back
                              : done == 0             ? StepFailure::Left::nothing_ran
                                                      : StepFailure::Left::partially_applied,
                      .revision = step.revision,
                      .direction = step.direction,
                      .file = migration.display_path,
                      .statements_done = done,
                      .statements_total = run.result.statements_total,
                      .heads_now = heads_after_failure(state.versions),
                      .whole_run = state.one_transaction};
  if (migration.backfill && step.direction == graph::Direction::upgrade) {
    failure.backfill = backfill_progress(m_connection, m_settings, step.revision);
  }
  if (!migration.transactional) {
    // A resume (or the same command, for a step that stopped at its first statement) drops
    // the INVALID index a concurrent build of the next statement left, and builds it again.
    const std::optional<script::Statement> next =
        statement_after(&migration, step.direction, done, m_connection.dialect());
    if (next) {
      failure.index_rebuilt = next->concurrent_index;
    }
  }
  return failure;
}

void Runner::finish_run(RunState& state) {
  if (!state.outer_open) {
    return;
  }
  try {
    check_lock("the run's transaction could commit");
  } catch (const Error& error) {
    m_connection.rollback();
    Error stopped = error;
    stopped.state(
        fmt::format("the whole run was one transaction and was rolled back; the database is at {}",
                    heads_text(state.versions.heads())));
    throw stopped;
  }
  m_connection.commit();
}

// Planning and adoption, leftovers, each step, finishing: everything is split and checked
// before the first statement runs, and what earlier runs left is settled before the first step.
void Runner::announce(const graph::Plan& plan, Direction direction) {
  if (m_observer == nullptr || plan.steps.empty()) {
    return;
  }
  RunEvent event;
  event.direction = direction;
  event.heads_before = plan.heads_before;
  for (const graph::Step& step : plan.steps) {
    event.revisions.push_back(step.revision);
  }
  m_observer->run_started(event);
}

RunResult Runner::run(const graph::Plan& plan) {
  const base::Dialect dialect = m_connection.dialect();
  std::vector<PreparedStep> prepared = prepare_steps(plan, dialect);
  {
    VersionTable existing(&m_connection, m_settings.version_table, m_settings.version_table_schema);
    check_version_width(existing, m_scripts, plan);
  }
  announce(plan, plan.steps.empty() ? Direction::upgrade : to_result(plan.steps.front().direction));
  auto [versions, ledger] = open_tables(m_connection, m_settings);
  RunState state{.versions = std::move(versions),
                 .ledger = std::move(ledger),
                 .one_transaction = !m_settings.transaction_per_migration};
  recover(state, prepared, dialect);
  prepare_session();
  if (m_watch_url && !m_watch) {
    m_watch = std::make_unique<BlockerWatch>(*m_watch_url, m_backend_pid);
  }

  RunResult out;
  out.heads_before = plan.heads_before;
  out.heads_after = plan.heads_before;
  const Clock::time_point run_start = Clock::now();
  const CancelTarget cancel_target(m_connection);
  for (std::size_t index = 0; index < prepared.size(); ++index) {
    const PreparedStep& item = prepared[index];
    stop_if_cancelled(state, *item.step);
    const PreparedStep* next = index + 1 < prepared.size() ? &prepared[index + 1] : nullptr;
    out.steps.push_back(run_step(state, item, next));
    out.heads_after = item.step->heads_after;
  }
  finish_run(state);
  out.duration_ms = elapsed_ms(run_start);
  return out;
}

RunResult Runner::stamp(const graph::Plan& plan) {
  {
    VersionTable existing(&m_connection, m_settings.version_table, m_settings.version_table_schema);
    check_version_width(existing, m_scripts, plan);
  }
  announce(plan, Direction::stamp);
  auto [versions, ledger] = open_tables(m_connection, m_settings);
  // The revisions another tool applied are recorded before the stamp moves the rows.
  adopt_applied(m_connection, m_scripts, versions, ledger);
  // A stamp is how a hand fix is recorded: the rows of runners that are gone say so first.
  const std::vector<Leftover> leftovers = m_recovery.inspect_leftovers(ledger);

  RunResult out;
  out.heads_before = plan.heads_before;
  const Clock::time_point start = Clock::now();
  m_connection.begin();
  try {
    // The failed runs of revisions whose files were deleted since, of which nothing is
    // recorded as applied: the operator stamping now settles them too.
    for (const Leftover& leftover : leftovers) {
      const LedgerEntry& entry = leftover.row.entry;
      if (entry.direction != Direction::stamp && entry.statements_done == 0 &&
          m_scripts.find(entry.revision) == nullptr) {
        ledger.settle(entry.revision, versions.heads(), std::string(k_settled_reason));
      }
    }
    for (const graph::Step& step : plan.steps) {
      const script::Migration* migration = m_scripts.find(step.revision);
      LedgerStart entry{.revision = step.revision,
                        .direction = "stamp",
                        .checksum = migration != nullptr ? migration->checksum() : std::string(),
                        .reason = step.reason.empty() ? m_settings.reason : step.reason,
                        .parents = migration != nullptr ? base::join(migration->revises, " ") : "",
                        .message = migration != nullptr ? migration->message : "",
                        .heads_after = base::join(step.heads_after, " ")};
      const std::int64_t id = ledger.start(entry);
      for (const graph::VersionOp& op : step.version_ops) {
        versions.apply(op);
      }
      ledger.finish_ok(id, 0, 0);
      StepResult result;
      result.revision = step.revision;
      result.message = entry.message;
      result.direction = Direction::stamp;
      result.status = StepStatus::ok;
      result.heads_after = step.heads_after;
      out.steps.push_back(std::move(result));
    }
    check_lock("the stamp could commit");
    m_connection.commit();
  } catch (...) {
    if (m_connection.in_transaction()) {
      m_connection.rollback();
    }
    throw;
  }
  out.heads_after = versions.heads();
  out.duration_ms = elapsed_ms(start);
  return out;
}

}  // namespace retort::runner
