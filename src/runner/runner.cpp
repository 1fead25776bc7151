// The runner's state machine. For each step of a plan:
//
//   1. ledger: INSERT a `running` row (autocommit, so a crash leaves a trace)
//   2. transactional step:      BEGIN; SET LOCAL timeouts; statements; version-table ops;
//                               ledger row `ok`; COMMIT
//      non-transactional step:  each statement alone in autocommit, the ledger's
//                               statements_done advanced after each; then BEGIN; version-table
//                               ops; ledger row `ok`; COMMIT
//   3. on failure: ROLLBACK what is open; ledger row `failed` with the error (autocommit);
//      throw an Error with file:line, the server's words, the state and the next command.
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
#include "runner/blockers.hpp"
#include "runner/cancel.hpp"
#include "runner/direction.hpp"
#include "runner/ledger.hpp"
#include "runner/run_lock.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>
#include <utility>

namespace retort::runner {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

const char* direction_name(graph::Direction direction) {
  switch (direction) {
    case graph::Direction::upgrade:
      return "upgrade";
    case graph::Direction::downgrade:
      return "downgrade";
    case graph::Direction::stamp:
      return "stamp";
  }
  return "upgrade";
}

std::string heads_text(const std::vector<std::string>& heads) {
  return heads.empty() ? std::string("base (no revision)") : base::join(heads, ", ");
}

// Backoff before retry number `attempt` (1-based): 250ms doubling to 8s, with full jitter so
// that several runners do not retry in lockstep.
base::Millis backoff(int attempt) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const std::int64_t cap = std::min<std::int64_t>(8000, 250LL << std::min(attempt - 1, 5));
  std::uniform_int_distribution<std::int64_t> dist(cap / 2, cap);
  return base::Millis{dist(rng)};
}

bool is_lock_timeout(const driver::DatabaseError& error) {
  return error.kind() == driver::DatabaseError::Kind::statement &&
         error.message().sqlstate == "55P03";
}

std::string duration_sql(base::Millis value) { return fmt::format("'{}ms'", value.count()); }

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
  return fmt::format(
      "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
      duration_sql(migration.lock_timeout.value_or(settings.lock_timeout)),
      duration_sql(migration.statement_timeout.value_or(settings.statement_timeout)));
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
  const script::Dialect dialect = script_dialect(connection.dialect());
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

}  // namespace

script::Dialect script_dialect(driver::Dialect dialect) {
  return dialect == driver::Dialect::sqlite ? script::Dialect::sqlite : script::Dialect::postgres;
}

// One step with its statements split, ready to run.
struct Runner::Prepared {
  const graph::Step* step = nullptr;
  const script::Migration* migration = nullptr;
  std::vector<script::Statement> statements;
  StepEvent event;
  // A resumed non-transactional step: the row it continues, and the first statement to run.
  const Leftover* resumed = nullptr;
  int resume_at = 0;
};

namespace {

const script::Migration& migration_of(const script::ScriptDirectory& scripts,
                                      const graph::Step& step) {
  const script::Migration* migration = scripts.find(step.revision);
  if (migration == nullptr) {
    throw Error(ExitCode::input,
                fmt::format("revision {} is in the plan but no file declares it", step.revision))
        .next("retort heads   (check the versions/ directory)");
  }
  return *migration;
}

std::vector<script::Statement> split_or_throw(const script::Migration& migration,
                                              graph::Direction direction, script::Dialect dialect) {
  const script::Which which =
      direction == graph::Direction::downgrade ? script::Which::downgrade : script::Which::upgrade;
  if (which == script::Which::downgrade && !migration.downgrade) {
    throw Error(ExitCode::input,
                fmt::format("revision {} ({}) cannot be downgraded: its file has no "
                            "'-- retort:downgrade' section",
                            migration.revision, migration.message))
        .at({migration.display_path, 0, 0})
        .state("nothing was run")
        .next(fmt::format("add a '-- retort:downgrade' section to {}, or stamp past it with "
                          "`retort stamp` if the schema change is to stay",
                          migration.display_path));
  }
  auto result = script::statements(migration, which, dialect);
  if (!result) {
    const script::Problem& problem = result.error();
    throw Error(ExitCode::input, problem.message)
        .at(problem.where)
        .explain(problem.fix)
        .state("nothing was run");
  }
  // An unfinished file must not be recorded as applied, nor a downgrade that reverts nothing
  // as done. A merge may hold no statement, and `-- retort:empty` says a section means to.
  const bool upgrade = which == script::Which::upgrade;
  const bool declared_empty = upgrade ? migration.empty_upgrade : migration.empty_downgrade;
  if (result->empty() && !declared_empty && migration.revises.size() < 2) {
    const std::string_view name = upgrade ? "upgrade" : "downgrade";
    throw Error(ExitCode::input, fmt::format("the {} section of revision {} has no statement", name,
                                             migration.revision))
        .at({migration.display_path,
             upgrade ? migration.upgrade.marker_line : migration.downgrade->marker_line, 0})
        .explain(fmt::format("fix: write {} below `-- retort:{}`, or, if the section is "
                             "meant to do nothing, add `-- retort:empty {}` to the header",
                             upgrade ? "the upgrade SQL" : "the SQL that reverts the upgrade", name,
                             name))
        .state("nothing was run");
  }
  return std::move(result).value();
}

}  // namespace

void validate_plan(const script::ScriptDirectory& scripts, const graph::Plan& plan,
                   script::Dialect dialect) {
  for (const graph::Step& step : plan.steps) {
    if (step.direction == graph::Direction::stamp) {
      continue;
    }
    (void)split_or_throw(migration_of(scripts, step), step.direction, dialect);
  }
}

Runner::Runner(driver::Connection& connection, const script::ScriptDirectory& scripts,
               Settings settings, RunObserver* observer)
    : m_connection(connection),
      m_scripts(scripts),
      m_settings(std::move(settings)),
      m_observer(observer) {}

std::vector<std::string> Runner::current_heads() {
  VersionTable table(&m_connection, m_settings.version_table, m_settings.version_table_schema);
  return table.heads();
}

void Runner::set_local_timeouts(const script::Migration& migration) {
  if (m_connection.dialect() != driver::Dialect::postgres) {
    return;
  }
  // SET LOCAL, not SET: a session setting would leak to the next client behind a pooler.
  const base::Millis lock_timeout = migration.lock_timeout.value_or(m_settings.lock_timeout);
  const base::Millis statement_timeout =
      migration.statement_timeout.value_or(m_settings.statement_timeout);
  m_connection.execute(fmt::format("SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
                                   duration_sql(lock_timeout), duration_sql(statement_timeout)));
}

namespace {

// Turns a server error in a statement into the user's error: file:line:column of the failing
// character, computed from the statement's place in the file plus the server's position.
Error statement_error(const driver::DatabaseError& error, const script::Migration& migration,
                      const script::Statement& statement) {
  SourceLocation where{migration.display_path, statement.line, 0};
  const ServerMessage& message = error.message();
  if (message.position > 0) {
    const std::size_t byte =
        base::byte_offset_of_char(statement.sql, static_cast<std::size_t>(message.position));
    where.line = statement.line + base::line_of_offset(statement.sql, byte) - 1;
    const std::size_t line_start = statement.sql.rfind('\n', byte == 0 ? 0 : byte - 1);
    const std::size_t column_bytes = line_start == std::string::npos ? byte : byte - line_start - 1;
    where.column = static_cast<int>(column_bytes) + 1;
  }
  Error out(ExitCode::failed,
            fmt::format("revision {} failed: {}", migration.revision, message.message));
  out.at(where).server(message);
  return out;
}

// A lock timeout that retries did not get past: how long was waited, and behind whom.
void explain_lock_timeout(Error& error, const script::Migration& migration,
                          const Settings& settings, bool retried,
                          const std::vector<Blocker>& blockers) {
  std::string text = fmt::format(
      "the statement could not get its lock within lock_timeout ({}){}; it gave up waiting "
      "each time, so the application's queries did not queue behind it",
      base::format_duration(migration.lock_timeout.value_or(settings.lock_timeout)),
      retried ? fmt::format(", nor in {} retries (lock_retries)", settings.lock_retries)
              : std::string(" (no retry: the whole run is one transaction)"));
  for (const Blocker& blocker : blockers) {
    text += "\nwaiting behind " + blocker.line;
  }
  error.explain(std::move(text));
}

std::string lock_timeout_next(const std::vector<Blocker>& blockers) {
  std::string out = "run the same command again once the blocking transaction has ended";
  if (!blockers.empty()) {
    out += fmt::format(" (end it with SELECT pg_terminate_backend({}); if it is stuck)",
                       blockers.front().pid);
  }
  return out + ", or allow more with --lock-timeout / --lock-retries";
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
[[nodiscard]] Finish finish_step_postgres(driver::Connection& connection,
                                          const VersionTable& versions, const Ledger& ledger,
                                          const graph::VersionOp& op, std::int64_t ledger_id,
                                          int statements_done, std::int64_t duration_ms,
                                          const std::string& held_sql) {
  std::vector<driver::Value> params;
  std::string change;
  switch (op.kind) {
    case graph::VersionOp::Kind::insert:
      change = fmt::format("INSERT INTO {} (version_num) VALUES ($1)", versions.qualified());
      params = {op.to};
      break;
    case graph::VersionOp::Kind::update:
      change = fmt::format("UPDATE {} SET version_num = $1 WHERE version_num = $2",
                           versions.qualified());
      params = {op.to, op.from};
      break;
    case graph::VersionOp::Kind::remove:
      change = fmt::format("DELETE FROM {} WHERE version_num = $1", versions.qualified());
      params = {op.from};
      break;
  }
  const std::size_t first = params.size() + 1;
  params.emplace_back(std::to_string(statements_done));
  params.emplace_back(std::to_string(duration_ms));
  params.emplace_back(std::to_string(ledger_id));
  const driver::Rows rows = connection.query(
      fmt::format("WITH version_change AS ({} RETURNING 1), ledger_ok AS (UPDATE {} SET status "
                  "= 'ok', statements_done = CAST(${} AS INTEGER), finished_at = "
                  "clock_timestamp(), duration_ms = CAST(${} AS BIGINT) WHERE id = CAST(${} AS "
                  "BIGINT) AND status = 'running' RETURNING 1) SELECT (SELECT count(*) FROM "
                  "version_change), (SELECT count(*) FROM ledger_ok), {}",
                  change, ledger.qualified(), first, first + 1, first + 2,
                  held_sql.empty() ? std::string("1") : held_sql),
      params);
  const auto column = [&](std::size_t index) {
    return rows.empty() ? std::string("0") : rows.rows[0][index].value_or("0");
  };
  if (column(2) != "1") {
    return Finish::lock_lost;
  }
  if (column(1) != "1") {
    return Finish::row_closed;
  }
  const std::string touched = column(0);
  if (touched != "1") {
    throw version_conflict(versions.qualified(), op, touched);
  }
  return Finish::finished;
}

}  // namespace

void Runner::run_transactional(const Prepared& prepared, StepResult& result, bool own_transaction) {
  const script::Migration& migration = *prepared.migration;
  if (own_transaction && m_connection.dialect() == driver::Dialect::postgres) {
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
  const base::Millis lock_timeout = migration.lock_timeout.value_or(m_settings.lock_timeout);
  int done = 0;
  for (const script::Statement& statement : prepared.statements) {
    try {
      execute_statement(statement, lock_timeout);
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
  if (m_connection.dialect() == driver::Dialect::postgres) {
    m_connection.execute(fmt::format(
        "SET lock_timeout = {}; SET statement_timeout = {}",
        duration_sql(migration.lock_timeout.value_or(m_settings.lock_timeout)),
        duration_sql(migration.statement_timeout.value_or(m_settings.statement_timeout))));
  }
}

Runner::~Runner() = default;

void Runner::watch_blockers(const base::DatabaseUrl& url) {
  if (m_connection.dialect() == driver::Dialect::postgres &&
      m_settings.session == SessionSettings::kept) {
    m_watch_url = url;
  }
}

void Runner::execute_statement(const script::Statement& statement, base::Millis lock_timeout) {
  if (!m_watch || lock_timeout.count() <= 0) {
    m_connection.execute(statement.sql);
    return;
  }
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

void Runner::prepare_session() {
  if (m_session_prepared) {
    return;
  }
  m_session_prepared = true;
  if (m_connection.dialect() != driver::Dialect::postgres ||
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
void Runner::run_alone(const Prepared& prepared, StepResult& result, Ledger& ledger,
                       std::int64_t ledger_id) {
  const script::Migration& migration = *prepared.migration;
  const graph::Step& step = *prepared.step;
  const bool postgres = m_connection.dialect() == driver::Dialect::postgres;
  const bool pooled = postgres && m_settings.session == SessionSettings::not_kept;
  const base::Millis lock_timeout = migration.lock_timeout.value_or(m_settings.lock_timeout);
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
        !resume_index(prepared, statement)) {
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
                              !index_valid(statement.concurrent_index).has_value();
    const std::string statement_what =
        fmt::format("statement {} of revision {} ({}:{}) could run", stmt_idx + 1, step.revision,
                    migration.display_path, statement.line);
    int statement_attempt = 0;
    for (;;) {
      try {
        if (alone) {
          // It commits by itself: the lock is checked before it starts.
          check_lock(statement_what);
          execute_statement(statement, pooled ? base::Millis{0} : lock_timeout);
          ledger.progress(ledger_id, done + 1);
        } else {
          if (postgres) {
            m_connection.execute(begin_sql(migration, m_settings));
          } else {
            m_connection.begin();
          }
          execute_statement(statement, lock_timeout);
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
          if (builds_index && index_valid(statement.concurrent_index) == false) {
            drop_invalid_index(prepared, statement);
            dropped = fmt::format("; dropped the INVALID index {} this try left",
                                  statement.concurrent_index);
          }
          const base::Millis wait = backoff(statement_attempt);
          if (m_observer != nullptr) {
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

// The statement a resume starts with, when it runs alone (CREATE INDEX CONCURRENTLY): a
// concurrent build that failed or was interrupted leaves an INVALID index behind, which is
// dropped so that the statement can build it again; a valid one, after an interruption, means
// the statement had finished and only the ledger had not been told. Returns whether to run it.
bool Runner::resume_index(const Prepared& prepared, const script::Statement& statement) {
  if (m_connection.dialect() != driver::Dialect::postgres || statement.concurrent_index.empty()) {
    return true;
  }
  const std::optional<bool> valid = index_valid(statement.concurrent_index);
  if (!valid) {
    return true;
  }
  const script::Migration& migration = *prepared.migration;
  const std::string where = fmt::format("{}:{}", migration.display_path, statement.line);
  if (!*valid) {
    drop_invalid_index(prepared, statement);
    if (m_observer != nullptr) {
      m_observer->note(fmt::format(
          "{}: dropped the INVALID index {} that the statement at {} left behind when it "
          "stopped; building it again",
          prepared.step->revision, statement.concurrent_index, where));
    }
    return true;
  }
  if (prepared.resumed->interrupted) {
    if (m_observer != nullptr) {
      m_observer->note(fmt::format(
          "{}: index {} exists and is valid: the statement at {} had finished before the "
          "interruption; not running it again",
          prepared.step->revision, statement.concurrent_index, where));
    }
    return false;
  }
  return true;
}

std::optional<bool> Runner::index_valid(const std::string& index) {
  const std::array<driver::Value, 1> params{index};
  const driver::Rows rows = m_connection.query(
      "SELECT i.indisvalid::text FROM pg_index i WHERE i.indexrelid = to_regclass($1)", params);
  if (rows.empty()) {
    return std::nullopt;
  }
  return rows.rows[0][0] == std::optional<std::string>("true");
}

void Runner::drop_invalid_index(const Prepared& prepared, const script::Statement& statement) {
  // The drop waits for the transactions that use the table, under the same lock_timeout and
  // retries as the statements.
  for (int attempt = 0;; ++attempt) {
    try {
      m_connection.execute(
          fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", statement.concurrent_index));
      return;
    } catch (const driver::DatabaseError& error) {
      if (!is_lock_timeout(error) || attempt >= m_settings.lock_retries) {
        throw statement_error(error, *prepared.migration, statement);
      }
      std::this_thread::sleep_for(backoff(attempt + 1));
    }
  }
}

namespace {

// ", and statement 3 (it runs alone) may or may not have finished" for an interrupted step.
std::string in_doubt_text(const script::Migration* migration, const LedgerEntry& entry,
                          driver::Dialect dialect) {
  if (entry.statements_done >= entry.statements_total) {
    return {};
  }
  const graph::Direction direction = entry.direction == Direction::downgrade
                                         ? graph::Direction::downgrade
                                         : graph::Direction::upgrade;
  return next_statement_in_doubt(migration, direction, entry.statements_done,
                                 script_dialect(dialect))
             ? fmt::format(", and statement {} (it runs alone) may or may not have finished",
                           entry.statements_done + 1)
             : fmt::format("; statement {} had not committed", entry.statements_done + 1);
}

}  // namespace

void Runner::wait_for_orphan(const LedgerRow& row) {
  if (m_connection.dialect() != driver::Dialect::postgres || row.backend_pid.empty()) {
    return;
  }
  const std::array<driver::Value, 1> params{row.backend_pid};
  const Clock::time_point deadline = Clock::now() + m_settings.orphan_wait;
  bool told = false;
  for (;;) {
    const driver::Rows alive = m_connection.query(
        "SELECT coalesce(state, ''), left(regexp_replace(coalesce(query, ''), '\\s+', ' ', "
        "'g'), 120) FROM pg_stat_activity WHERE pid = CAST($1 AS INTEGER) AND state <> 'idle'",
        params);
    if (alive.empty()) {
      return;
    }
    const std::string what =
        fmt::format("server pid {} ({}: {})", row.backend_pid, alive.rows[0][0].value_or(""),
                    alive.rows[0][1].value_or(""));
    if (Clock::now() >= deadline) {
      throw Error(ExitCode::lock_busy,
                  fmt::format("the statement of the runner that was interrupted while applying "
                              "{} still runs on the server: {}",
                              row.entry.revision, what))
          .state("nothing was run by this process")
          .next(fmt::format("wait for it to end, or end it with SELECT pg_terminate_backend({}); "
                            "then run this command again",
                            row.backend_pid));
    }
    if (!told && m_observer != nullptr) {
      told = true;
      m_observer->note(fmt::format(
          "{}: its runner is gone, but its statement still runs on the server as {}; waiting "
          "for it to end (up to lock_wait, {})",
          row.entry.revision, what, base::format_duration(m_settings.orphan_wait)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (cancel_requested()) {
      throw Error(ExitCode::failed, "cancelled while waiting for an interrupted runner's statement")
          .state("nothing was run by this process");
    }
  }
}

std::vector<Leftover> Runner::inspect_leftovers(Ledger& ledger) {
  std::vector<Leftover> out;
  for (LedgerRow& row : ledger.unfinished()) {
    if (row.entry.direction == Direction::stamp) {
      continue;
    }
    Leftover leftover{std::move(row)};
    LedgerEntry& entry = leftover.row.entry;
    const script::Migration* migration = m_scripts.find(entry.revision);
    // A file that is gone or changed its mind: trust what the ledger saw run.
    const bool transactional = migration != nullptr && migration->transactional;
    // Interrupted now, or found so by an earlier run (which wrote that into the error).
    leftover.interrupted =
        entry.status == LedgerStatus::running || entry.error.starts_with("interrupted:");
    if (entry.status == LedgerStatus::running) {
      // This process holds the run lock, so no other runner is at work: whoever wrote this
      // row stopped without finishing (killed, or the machine went down).
      wait_for_orphan(leftover.row);
      const std::string who = fmt::format("its runner (host {}, pid {})",
                                          leftover.row.host.empty() ? "?" : leftover.row.host,
                                          leftover.row.pid.empty() ? "?" : leftover.row.pid);
      entry.error = transactional ? fmt::format(
                                        "interrupted: {} ended before it finished; it ran in one "
                                        "transaction, so nothing of it was applied",
                                        who)
                    : entry.statements_done == 0
                        ? fmt::format(
                              "interrupted: {} ended before the first statement committed (no "
                              "transaction){}",
                              who,
                              next_statement_in_doubt(migration,
                                                      entry.direction == Direction::downgrade
                                                          ? graph::Direction::downgrade
                                                          : graph::Direction::upgrade,
                                                      0, script_dialect(m_connection.dialect()))
                                  ? ", which runs alone and may or may not have finished"
                                  : ", so nothing of it was applied")
                        : fmt::format(
                              "interrupted: {} ended after statement {} of {} (no transaction); "
                              "the statements before stay applied{}",
                              who, entry.statements_done, entry.statements_total,
                              in_doubt_text(migration, entry, m_connection.dialect()));
      (void)ledger.mark_interrupted(entry.id, entry.error);
      entry.status = LedgerStatus::failed;
      if (m_observer != nullptr) {
        m_observer->note(
            fmt::format("{} {}: {}", to_string(entry.direction), entry.revision, entry.error));
      }
    }
    leftover.partial = !transactional && entry.statements_done > 0;
    out.push_back(std::move(leftover));
  }
  return out;
}

namespace {}  // namespace

void Runner::attach_resumes(const std::vector<Leftover>& leftovers, std::vector<Prepared>& prepared,
                            script::Dialect dialect) {
  bool any_partial = false;
  for (const Leftover& leftover : leftovers) {
    const LedgerEntry& entry = leftover.row.entry;
    Prepared* item = nullptr;
    for (Prepared& candidate : prepared) {
      if (candidate.step->revision == entry.revision &&
          to_result(candidate.step->direction) == entry.direction &&
          !candidate.migration->transactional) {
        item = &candidate;
      }
    }
    // A non-transactional step that stopped at its first statement resumes there by itself:
    // nothing of it ran, but a concurrent index build may have left an INVALID index.
    if (item != nullptr && !leftover.partial) {
      item->resumed = &leftover;
      item->resume_at = 0;
      continue;
    }
    if (!leftover.partial) {
      continue;
    }
    any_partial = true;
    const script::Migration* migration = m_scripts.find(entry.revision);
    const std::string file =
        migration != nullptr ? migration->display_path : std::string("(no file declares it)");
    const std::string state = fmt::format(
        "revision {} is partially applied: {} of {} statements ran (no transaction) and stay; "
        "the version table does not include it",
        entry.revision, entry.statements_done, entry.statements_total);
    if (m_settings.partial == Partial::refuse) {
      Error error(ExitCode::failed,
                  fmt::format("revision {} ({}) is partially applied; retort runs nothing else "
                              "until you decide how to finish it",
                              entry.revision, migration != nullptr ? migration->message : file));
      const graph::Direction direction = entry.direction == Direction::downgrade
                                             ? graph::Direction::downgrade
                                             : graph::Direction::upgrade;
      error.explain(fmt::format(
          "its last run: {}\nchoices:\n  {}   runs it on from statement {} ({}){}\n  finish it "
          "by hand, then: retort stamp {} --reason \"...\"\n  undo by hand what ran, then: {}   "
          "(runs it from its first statement)",
          entry.error.empty() ? std::string("failed") : entry.error,
          partial_command(entry.direction, "--resume"), entry.statements_done + 1, file,
          index_rebuild_note(migration, direction, entry.statements_done, dialect), entry.revision,
          partial_command(entry.direction, "--restart")));
      error.state(state);
      error.next(partial_command(entry.direction, "--resume"));
      throw error;
    }
    if (item == nullptr) {
      throw Error(ExitCode::input,
                  fmt::format("revision {} is partially applied and this run's plan does not "
                              "include it",
                              entry.revision))
          .state(state)
          .next(partial_command(entry.direction, "--resume") + "   (with a target that includes " +
                entry.revision + ")");
    }
    if (m_settings.partial == Partial::restart) {
      item->resumed = &leftover;
      item->resume_at = 0;
      if (m_observer != nullptr) {
        m_observer->note(
            fmt::format("{}: restarting from its first statement, as asked: what "
                        "its last run applied was undone by hand",
                        entry.revision));
      }
      continue;
    }
    // What ran must be what the file says, or the resumed run would build on statements that
    // are not there.
    const std::vector<std::string> ran = base::split_words(leftover.row.statement_checksums);
    const int done = entry.statements_done;
    if (static_cast<int>(ran.size()) < done || static_cast<int>(item->statements.size()) < done) {
      throw Error(ExitCode::input,
                  fmt::format("cannot resume revision {}: the ledger does not say which {} "
                              "statements ran, or the file now has fewer",
                              entry.revision, done))
          .at({file, 0, 0})
          .state(state)
          .next(fmt::format("finish it by hand, then: retort stamp {} --reason \"...\"",
                            entry.revision));
    }
    for (int stmt_idx = 0; stmt_idx < done; ++stmt_idx) {
      const script::Statement& now = item->statements[static_cast<std::size_t>(stmt_idx)];
      if (now.fingerprint == ran[static_cast<std::size_t>(stmt_idx)]) {
        continue;
      }
      const std::vector<script::Statement> before =
          script::split_section(leftover.row.sql, dialect);
      const std::string old_text = static_cast<std::size_t>(stmt_idx) < before.size()
                                       ? before[static_cast<std::size_t>(stmt_idx)].sql
                                       : std::string("(not kept)");
      throw Error(ExitCode::input,
                  fmt::format("cannot resume revision {}: statement {}, which already ran, was "
                              "edited since",
                              entry.revision, stmt_idx + 1))
          .at({file, now.line, 0})
          .explain(fmt::format("it ran as:\n    {}\nthe file now says:\n    {}", old_text, now.sql))
          .state(state)
          .next(
              "put the statement back as it ran and resume, or finish by hand and `retort "
              "stamp " +
              entry.revision + "`");
    }
    item->resumed = &leftover;
    item->resume_at = done;
    if (m_observer != nullptr) {
      m_observer->note(fmt::format("{}: resuming at statement {} of {} ({}:{})", entry.revision,
                                   done + 1, item->statements.size(), file,
                                   static_cast<std::size_t>(done) < item->statements.size()
                                       ? item->statements[static_cast<std::size_t>(done)].line
                                       : 0));
    }
  }
  if (m_settings.partial != Partial::refuse && !any_partial) {
    throw Error(ExitCode::input,
                fmt::format("nothing to {}: no migration is partially applied",
                            m_settings.partial == Partial::resume ? "resume" : "restart"))
        .state("nothing was run")
        .next(fmt::format("retort current -v   (then run without --{})",
                          m_settings.partial == Partial::resume ? "resume" : "restart"));
  }
}

RunResult Runner::run(const graph::Plan& plan) {
  const driver::Dialect dialect = m_connection.dialect();
  const script::Dialect sdialect = script_dialect(dialect);

  // Everything is split and checked before the first statement runs.
  std::vector<Prepared> prepared;
  prepared.reserve(plan.steps.size());
  for (const graph::Step& step : plan.steps) {
    Prepared item;
    item.step = &step;
    item.migration = &migration_of(m_scripts, step);
    item.statements = split_or_throw(*item.migration, step.direction, sdialect);
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

  {
    VersionTable existing(&m_connection, m_settings.version_table, m_settings.version_table_schema);
    check_version_width(existing, m_scripts, plan);
  }
  auto [versions, ledger] = open_tables(m_connection, m_settings);
  adopt_applied(m_connection, m_scripts, versions, ledger);
  const std::vector<Leftover> leftovers = inspect_leftovers(ledger);
  attach_resumes(leftovers, prepared, sdialect);
  prepare_session();
  if (m_watch_url && !m_watch) {
    m_watch = std::make_unique<BlockerWatch>(*m_watch_url, m_backend_pid);
  }

  RunResult out;
  out.heads_before = plan.heads_before;
  out.heads_after = plan.heads_before;
  const Clock::time_point run_start = Clock::now();
  const bool one_transaction = !m_settings.transaction_per_migration;
  bool outer_open = false;

  const auto ledger_start_of = [&](const Prepared& item) {
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
  };
  // The next step's `running` row, when it was committed with the step before it: one commit
  // per migration instead of two (on SQLite each commit is a journal write and fsyncs).
  // It is still committed before that step's transaction starts, as docs/reference/tables.md
  // promises.
  std::int64_t next_ledger_id = 0;

  const CancelTarget cancel_target(m_connection);
  for (const Prepared& item : prepared) {
    const graph::Step& step = *item.step;
    const script::Migration& migration = *item.migration;
    if (cancel_requested()) {
      if (outer_open) {
        m_connection.rollback();
        outer_open = false;
      }
      if (next_ledger_id != 0) {
        // The step never began: leave no `running` row behind for it.
        const std::array<driver::Value, 1> params{std::to_string(next_ledger_id)};
        try {
          (void)m_connection.query(
              fmt::format("DELETE FROM {} WHERE id = CAST($1 AS BIGINT) RETURNING id",
                          ledger.qualified()),
              params);
        } catch (const driver::DatabaseError&) {
          // Best effort, as for a failed step's row: the cancellation below is what counts.
        }
      }
      throw Error(ExitCode::failed,
                  fmt::format("cancelled before revision {} started", step.revision))
          .state(fmt::format("the database is at {}", heads_text(versions.heads())))
          .next("run the same command again to continue");
    }
    StepResult result;
    result.revision = step.revision;
    result.message = migration.message;
    result.direction = to_result(step.direction);
    result.statements_total = static_cast<int>(item.statements.size());
    LedgerStart start = ledger_start_of(item);
    for (StepGate* gate : m_gates) {
      std::string note = outer_open ? gate->inside_transaction(step, migration, item.statements)
                                    : gate->before_step(step, migration, item.statements);
      if (!note.empty()) {
        start.backup = std::move(note);
      }
    }
    if (m_observer != nullptr) {
      m_observer->step_started(item.event);
    }

    const Clock::time_point step_start = Clock::now();
    // In one-transaction mode a transactional step's ledger row commits with the run; every
    // other step's row is written before its first statement, in autocommit.
    const bool in_outer = one_transaction && migration.transactional;
    std::int64_t ledger_id = 0;
    if (!in_outer) {
      ledger_id = next_ledger_id != 0 ? next_ledger_id : ledger.start(start);
    }
    next_ledger_id = 0;
    const Prepared* const next_item =
        &item + 1 != prepared.data() + prepared.size() ? &item + 1 : nullptr;

    int attempt = 0;
    for (;;) {
      try {
        if (in_outer) {
          if (!outer_open) {
            m_connection.begin();
            outer_open = true;
          }
          ledger_id = ledger.start(start);
          run_transactional(item, result, false);
        } else if (migration.transactional) {
          run_transactional(item, result, true);
        } else {
          if (outer_open) {
            // A non-transactional step cannot run inside the run's transaction: commit what
            // came before it, as Alembic's autocommit_block does.
            check_lock(fmt::format("the steps before revision {} could commit", step.revision));
            m_connection.commit();
            outer_open = false;
          }
          run_alone(item, result, ledger, ledger_id);
          m_connection.begin();
        }
        const std::string commit_what = fmt::format("revision {} could commit", step.revision);
        if (dialect == driver::Dialect::postgres && step.version_ops.size() == 1) {
          // In one transaction the commit comes at the end of the run; it checks again then.
          const Finish finish = finish_step_postgres(
              m_connection, versions, ledger, step.version_ops.front(), ledger_id,
              result.statements_done, elapsed_ms(step_start),
              m_lock == nullptr
                  ? std::string()
                  : m_lock->held_sql(in_outer ? RunLock::Hold::look : RunLock::Hold::until_commit));
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
            versions.apply(op);
          }
          ledger.finish_ok(ledger_id, result.statements_done, elapsed_ms(step_start));
          if (!in_outer) {
            check_lock(commit_what);
          }
        }
        std::int64_t pre_started = 0;
        // With gates, the next step's row waits for them (a backup takes its time).
        if (!one_transaction && next_item != nullptr && !cancel_requested() && m_gates.empty()) {
          pre_started = ledger.start(ledger_start_of(*next_item));
        }
        if (!one_transaction || !migration.transactional) {
          m_connection.commit();
        }
        next_ledger_id = pre_started;
        break;
      } catch (Error& caught) {
        if (m_connection.in_transaction()) {
          m_connection.rollback();
        }
        outer_open = false;
        const bool lock_timeout =
            caught.server_message && caught.server_message->sqlstate == "55P03";
        const bool retry = migration.transactional && !one_transaction && lock_timeout &&
                           attempt < m_settings.lock_retries;
        // A run whose lock was lost stops, and says so rather than what it was doing when the
        // lock's loss showed (a renewer's cancellation, a lock timeout).
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
          ++attempt;
          const base::Millis wait = backoff(attempt);
          if (m_observer != nullptr) {
            m_observer->note(fmt::format(
                "{}: lock_timeout ({}); rolled back, retry {} of {} in {}{}", step.revision,
                base::format_duration(migration.lock_timeout.value_or(m_settings.lock_timeout)),
                attempt, m_settings.lock_retries, base::format_elapsed(wait), blockers_text()));
          }
          std::this_thread::sleep_for(wait);
          continue;
        }
        if (lock_timeout && !lost) {
          explain_lock_timeout(error, migration, m_settings,
                               !(one_transaction && migration.transactional), m_blockers);
        }
        const std::int64_t duration = elapsed_ms(step_start);
        // In one-transaction mode the running row was rolled back with everything else.
        if (in_outer) {
          ledger_id = ledger.start(start);
        }
        try {
          ledger.finish_failed(
              ledger_id, migration.transactional ? 0 : result.statements_done, duration,
              cancel_requested() && !lost ? fmt::format("{}{}", k_cancelled_error, error.what())
                                          : std::string(error.what()));
        } catch (const driver::DatabaseError&) {
          // The ledger is best effort once the step failed; the error below is what counts.
        }
        const std::vector<std::string> heads_now = versions.heads();
        if (migration.transactional) {
          error.state(fmt::format(
              "revision {} was rolled back; the database is at {}{}", step.revision,
              heads_text(heads_now),
              one_transaction ? " (the whole run was one transaction and was rolled back)" : ""));
          error.next(step.direction == graph::Direction::downgrade
                         ? fmt::format("fix {} and run the same `retort downgrade` again",
                                       migration.display_path)
                         : fmt::format("fix {} and run `retort upgrade {}` again",
                                       migration.display_path, step.revision));
        } else if (result.statements_done == 0) {
          error.state(
              fmt::format("revision {} stopped at its first statement, so nothing of it "
                          "ran (no transaction); the database is at {}",
                          step.revision, heads_text(heads_now)));
          error.next(fmt::format("fix {} and run the same command again{}", migration.display_path,
                                 index_rebuild_note(&migration, step.direction, 0, sdialect)));
        } else {
          error.state(fmt::format(
              "revision {} is partially applied: {} of {} statements ran (no transaction); the "
              "version table still says {}",
              step.revision, result.statements_done, result.statements_total,
              heads_text(heads_now)));
          error.next(fmt::format(
              "{}   (runs it on from statement {}{}), or finish it by hand and `retort stamp "
              "{}`",
              partial_command(to_result(step.direction), "--resume"), result.statements_done + 1,
              index_rebuild_note(&migration, step.direction, result.statements_done, sdialect),
              step.revision));
        }
        if (lock_timeout && !lost) {
          error.next(lock_timeout_next(m_blockers));
        }
        if (lost) {
          error.next(
              "retort current -v   (another runner may be migrating now; once it is done, run "
              "the same command again)");
        }
        if (m_observer != nullptr) {
          m_observer->step_finished(item.event, duration, false);
        }
        if (lost) {
          throw *lost;
        }
        if (cancel_requested()) {
          Error cancelled(ExitCode::failed,
                          fmt::format("cancelled: revision {} was interrupted", step.revision));
          cancelled.at(error.where.value_or(SourceLocation{migration.display_path, 0, 0}));
          cancelled.state(error.database_state);
          cancelled.next("run the same command again to continue");
          throw cancelled;
        }
        throw;
      }
    }

    result.status = StepStatus::ok;
    result.duration_ms = elapsed_ms(step_start);
    result.heads_after = step.heads_after;
    result.backup = start.backup;
    out.heads_after = step.heads_after;
    if (m_observer != nullptr) {
      m_observer->step_finished(item.event, result.duration_ms, true);
    }
    out.steps.push_back(std::move(result));
  }
  if (outer_open) {
    try {
      check_lock("the run's transaction could commit");
    } catch (const Error& error) {
      m_connection.rollback();
      Error stopped = error;
      stopped.state(fmt::format(
          "the whole run was one transaction and was rolled back; the database is at {}",
          heads_text(versions.heads())));
      throw stopped;
    }
    m_connection.commit();
  }
  out.duration_ms = elapsed_ms(run_start);
  return out;
}

RunResult Runner::stamp(const graph::Plan& plan) {
  {
    VersionTable existing(&m_connection, m_settings.version_table, m_settings.version_table_schema);
    check_version_width(existing, m_scripts, plan);
  }
  auto [versions, ledger] = open_tables(m_connection, m_settings);
  // The revisions another tool applied are recorded before the stamp moves the rows.
  adopt_applied(m_connection, m_scripts, versions, ledger);
  // A stamp is how a hand fix is recorded: the rows of runners that are gone say so first.
  const std::vector<Leftover> leftovers = inspect_leftovers(ledger);

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
                        .reason = m_settings.reason,
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

std::optional<script::Statement> statement_after(const script::Migration* migration,
                                                 graph::Direction direction, int done,
                                                 script::Dialect dialect) {
  const script::Which which =
      direction == graph::Direction::downgrade ? script::Which::downgrade : script::Which::upgrade;
  if (migration == nullptr || (which == script::Which::downgrade && !migration->downgrade)) {
    return std::nullopt;
  }
  auto statements = script::statements(*migration, which, dialect);
  if (!statements || done < 0 || static_cast<std::size_t>(done) >= statements->size()) {
    return std::nullopt;
  }
  return std::move((*statements)[static_cast<std::size_t>(done)]);
}

bool next_statement_in_doubt(const script::Migration* migration, graph::Direction direction,
                             int done, script::Dialect dialect) {
  const std::optional<script::Statement> next =
      statement_after(migration, direction, done, dialect);
  return !next || next->needs_no_transaction;
}

std::string partial_command(Direction direction, std::string_view flag) {
  return direction == Direction::downgrade ? fmt::format("retort downgrade {} TARGET", flag)
                                           : fmt::format("retort upgrade {}", flag);
}

std::string index_rebuild_note(const script::Migration* migration, graph::Direction direction,
                               int done, script::Dialect dialect) {
  const std::optional<script::Statement> next =
      statement_after(migration, direction, done, dialect);
  return next && !next->concurrent_index.empty()
             ? fmt::format(", and an INVALID index {} it left is dropped and built again",
                           next->concurrent_index)
             : std::string();
}

BeyondFiles beyond_files(Ledger& ledger, const graph::RevisionMap& map,
                         const std::string& revision) {
  BeyondFiles out;
  std::vector<std::string> todo{revision};
  std::vector<std::string> seen;
  // Breadth first over the parents the ledger recorded, stopping at revisions the files have.
  while (!todo.empty() && out.revisions.size() < 100) {
    const std::string current = todo.front();
    todo.erase(todo.begin());
    if (std::find(seen.begin(), seen.end(), current) != seen.end()) {
      continue;
    }
    seen.push_back(current);
    if (map.find(current) != nullptr) {
      if (out.known_ancestor.empty()) {
        out.known_ancestor = current;
      }
      continue;
    }
    std::vector<LedgerRow> rows = ledger.rows_of(current);
    const auto applied = std::find_if(rows.begin(), rows.end(), [](const LedgerRow& row) {
      return row.entry.status == LedgerStatus::ok && row.entry.direction != Direction::downgrade;
    });
    if (applied == rows.end()) {
      continue;
    }
    for (const std::string& parent : base::split_words(applied->parents)) {
      todo.push_back(parent);
    }
    out.revisions.push_back(std::move(*applied));
  }
  return out;
}

void write_sql(std::ostream& out, driver::Dialect dialect, const script::ScriptDirectory& scripts,
               const graph::Plan& plan, const Settings& settings) {
  const script::Dialect sdialect = script_dialect(dialect);
  VersionTable versions(nullptr, settings.version_table, settings.version_table_schema);
  Ledger ledger(nullptr, dialect, settings.version_table_schema, settings.version_table);
  const bool postgres = dialect == driver::Dialect::postgres;
  const bool one_transaction = !settings.transaction_per_migration;

  out << "-- retort " << retort_version_string() << ": " << plan.steps.size() << " step"
      << (plan.steps.size() == 1 ? "" : "s") << " from " << heads_text(plan.heads_before) << " to "
      << heads_text(plan.heads_after) << "\n\n";
  if (postgres) {
    // The text below is UTF-8 (the online run's client_encoding) and its literals are standard
    // strings: pinned, so that psql reads them as written whatever the client's locale or the
    // database's standard_conforming_strings; user text with a backslash is an E'' literal too.
    out << "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n";
  }
  out << versions.create_sql() << ";\n\n" << ledger.create_sql() << ";\n\n";

  bool open = false;
  for (const graph::Step& step : plan.steps) {
    const script::Migration& migration = migration_of(scripts, step);
    const std::vector<script::Statement> statements =
        step.direction == graph::Direction::stamp
            ? std::vector<script::Statement>{}
            : split_or_throw(migration, step.direction, sdialect);
    // A comment ends at a line break (PostgreSQL: a carriage return too): the file's text is
    // escaped so that it cannot end the comment and start a statement.
    out << "-- Running " << direction_name(step.direction) << " " << step.revision << ": "
        << base::escape_bytes(migration.message) << " ("
        << base::escape_bytes(migration.display_path) << ")\n";
    const bool declared_empty =
        step.direction == graph::Direction::upgrade
            ? migration.empty_upgrade
            : step.direction == graph::Direction::downgrade && migration.empty_downgrade;
    if (declared_empty) {
      out << "-- retort:empty " << direction_name(step.direction)
          << ": the section deliberately runs nothing\n";
    }
    if (migration.transactional || step.direction == graph::Direction::stamp) {
      if (!open) {
        out << "BEGIN;\n";
        open = true;
      }
      if (postgres) {
        out << "SET LOCAL lock_timeout = "
            << duration_sql(migration.lock_timeout.value_or(settings.lock_timeout)) << ";\n"
            << "SET LOCAL statement_timeout = "
            << duration_sql(migration.statement_timeout.value_or(settings.statement_timeout))
            << ";\n";
      }
      for (const script::Statement& statement : statements) {
        out << statement.sql << ";\n";
      }
    } else {
      if (open) {
        out << "COMMIT;\n";
        open = false;
      }
      out << "-- retort:transaction false: each statement runs alone, outside a transaction\n";
      for (const script::Statement& statement : statements) {
        out << statement.sql << ";\n";
      }
      out << "BEGIN;\n";
      open = true;
    }
    for (const graph::VersionOp& op : step.version_ops) {
      out << versions.op_sql(op) << ";\n";
    }
    LedgerStart entry{.revision = step.revision,
                      .direction = direction_name(step.direction),
                      .statements_total = static_cast<int>(statements.size()),
                      .checksum = migration.checksum(),
                      .reason = settings.reason,
                      .parents = base::join(migration.revises, " "),
                      .message = migration.message};
    out << ledger.insert_ok_sql(entry) << ";\n";
    if (!one_transaction) {
      out << "COMMIT;\n";
      open = false;
    }
    out << "\n";
  }
  if (open) {
    out << "COMMIT;\n";
  }
}

}  // namespace retort::runner
