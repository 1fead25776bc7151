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
#include "runner/runner.hpp"

#include "base/text.hpp"
#include "runner/blockers.hpp"
#include "runner/cancel.hpp"
#include "runner/ledger.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
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
                Ledger(&connection, connection.dialect(), settings.version_table_schema)};
  tables.versions.create_if_missing();
  tables.ledger.create_if_missing();
  return tables;
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
  // An unfinished file must not be recorded as applied. A merge may hold no statement.
  if (which == script::Which::upgrade && result->empty() && migration.revises.size() < 2) {
    throw Error(ExitCode::input, fmt::format("the upgrade section of revision {} has no statement",
                                             migration.revision))
        .at({migration.display_path, migration.upgrade.marker_line, 0})
        .explain("fix: write the upgrade SQL below `-- retort:upgrade`")
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
// touch a row twice.
void finish_step_postgres(driver::Connection& connection, const VersionTable& versions,
                          const Ledger& ledger, const graph::VersionOp& op, std::int64_t ledger_id,
                          int statements_done, std::int64_t duration_ms) {
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
                  "BIGINT) RETURNING 1) SELECT (SELECT count(*) FROM version_change)",
                  change, ledger.qualified(), first, first + 1, first + 2),
      params);
  const std::string touched = rows.empty() ? "0" : rows.rows[0][0].value_or("0");
  if (touched != "1") {
    throw version_conflict(versions.qualified(), op, touched);
  }
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

std::string Runner::blockers_text() const {
  std::string out;
  for (const Blocker& blocker : m_blockers) {
    out += (out.empty() ? "; waiting behind " : "; and behind ") + blocker.line;
  }
  return out;
}

// A `transaction false` step: each statement alone, the ledger's statements_done advanced
// after each, a lock timeout retrying only the statement that timed out.
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
  int done = 0;
  for (const script::Statement& statement : prepared.statements) {
    // Behind a transaction pooler a session SET would stay on a server session that the
    // pooler hands to other clients next. A statement that may run in a transaction block
    // gets one of its own, with SET LOCAL; one that may not runs without retort's timeouts.
    const bool own_transaction = pooled && !statement.needs_no_transaction;
    if (pooled && statement.needs_no_transaction && m_observer != nullptr) {
      m_observer->note(fmt::format(
          "{}: {}:{} runs without lock_timeout and statement_timeout: it cannot run in a "
          "transaction block, and with lock = \"lease\" a session setting could reach the "
          "pooler's other clients",
          step.revision, migration.display_path, statement.line));
    }
    int statement_attempt = 0;
    for (;;) {
      try {
        if (own_transaction) {
          m_connection.execute(begin_sql(migration, m_settings));
        }
        execute_statement(statement, pooled && !own_transaction ? base::Millis{0} : lock_timeout);
        if (own_transaction) {
          m_connection.commit();
        }
        break;
      } catch (const driver::DatabaseError& error) {
        if (m_connection.in_transaction()) {
          m_connection.rollback();
        }
        if (is_lock_timeout(error) && statement_attempt < m_settings.lock_retries) {
          ++statement_attempt;
          const base::Millis wait = backoff(statement_attempt);
          if (m_observer != nullptr) {
            m_observer->note(fmt::format("{}: lock_timeout ({}) at {}:{}; retry {} of {} in {}{}",
                                         step.revision, base::format_duration(lock_timeout),
                                         migration.display_path, statement.line, statement_attempt,
                                         m_settings.lock_retries, base::format_elapsed(wait),
                                         blockers_text()));
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
    ledger.progress(ledger_id, done);
    if (m_observer != nullptr) {
      m_observer->statement_done(prepared.event, done, result.statements_total);
    }
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
    item.event.direction = direction_name(step.direction);
    if (item.migration->estimate) {
      item.event.estimate_ms = item.migration->estimate->count();
    }
    prepared.push_back(std::move(item));
  }

  auto [versions, ledger] = open_tables(m_connection, m_settings);
  if (m_watch_url && !m_watch) {
    const driver::Rows pid = m_connection.query("SELECT pg_backend_pid()::text");
    m_watch = std::make_unique<BlockerWatch>(
        *m_watch_url, pid.empty() ? 0 : std::stoll(pid.rows[0][0].value_or("0")));
  }

  RunResult out;
  out.heads_before = plan.heads_before;
  out.heads_after = plan.heads_before;
  const Clock::time_point run_start = Clock::now();
  const bool one_transaction = !m_settings.transaction_per_migration;
  bool outer_open = false;

  const auto ledger_start_of = [&](const Prepared& item) {
    return LedgerStart{item.step->revision,
                       direction_name(item.step->direction),
                       static_cast<int>(item.statements.size()),
                       item.migration->checksum(),
                       m_settings.reason,
                       base::join(item.migration->revises, " "),
                       item.migration->message};
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
    result.direction = direction_name(step.direction);
    result.statements_total = static_cast<int>(item.statements.size());
    if (m_observer != nullptr) {
      m_observer->step_started(item.event);
    }

    const LedgerStart start = ledger_start_of(item);
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
            m_connection.commit();
            outer_open = false;
          }
          run_alone(item, result, ledger, ledger_id);
          m_connection.begin();
        }
        if (dialect == driver::Dialect::postgres && step.version_ops.size() == 1) {
          finish_step_postgres(m_connection, versions, ledger, step.version_ops.front(), ledger_id,
                               result.statements_done, elapsed_ms(step_start));
        } else {
          for (const graph::VersionOp& op : step.version_ops) {
            versions.apply(op);
          }
          ledger.finish_ok(ledger_id, result.statements_done, elapsed_ms(step_start));
        }
        std::int64_t pre_started = 0;
        if (!one_transaction && next_item != nullptr && !cancel_requested()) {
          pre_started = ledger.start(ledger_start_of(*next_item));
        }
        if (!one_transaction || !migration.transactional) {
          m_connection.commit();
        }
        next_ledger_id = pre_started;
        break;
      } catch (Error& error) {
        if (m_connection.in_transaction()) {
          m_connection.rollback();
        }
        outer_open = false;
        // A lock timeout in a transactional step: it was rolled back whole; try again.
        const bool lock_timeout = error.server_message && error.server_message->sqlstate == "55P03";
        if (migration.transactional && !one_transaction && lock_timeout &&
            attempt < m_settings.lock_retries) {
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
        if (lock_timeout) {
          explain_lock_timeout(error, migration, m_settings,
                               !(one_transaction && migration.transactional), m_blockers);
        }
        const std::int64_t duration = elapsed_ms(step_start);
        // In one-transaction mode the running row was rolled back with everything else.
        if (in_outer) {
          ledger_id = ledger.start(start);
        }
        try {
          ledger.finish_failed(ledger_id, migration.transactional ? 0 : result.statements_done,
                               duration, error.what());
        } catch (const driver::DatabaseError&) {
          // The ledger is best effort once the step failed; the error below is what counts.
        }
        const std::vector<std::string> heads_now = versions.heads();
        if (migration.transactional) {
          error.state(fmt::format(
              "revision {} was rolled back; the database is at {}{}", step.revision,
              heads_text(heads_now),
              one_transaction ? " (the whole run was one transaction and was rolled back)" : ""));
          error.next(fmt::format("fix {} and run `retort upgrade {}` again", migration.display_path,
                                 step.revision));
        } else {
          error.state(fmt::format(
              "revision {} is partially applied: {} of {} statements ran (no transaction); the "
              "version table still says {}",
              step.revision, result.statements_done, result.statements_total,
              heads_text(heads_now)));
          error.next(fmt::format(
              "inspect what statement {} left behind, then `retort upgrade --resume` once "
              "available, or finish by hand and `retort stamp {}`",
              result.statements_done + 1, step.revision));
        }
        if (lock_timeout) {
          error.next(lock_timeout_next(m_blockers));
        }
        if (m_observer != nullptr) {
          m_observer->step_finished(item.event, duration, false);
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

    result.status = "ok";
    result.duration_ms = elapsed_ms(step_start);
    result.heads_after = step.heads_after;
    out.heads_after = step.heads_after;
    if (m_observer != nullptr) {
      m_observer->step_finished(item.event, result.duration_ms, true);
    }
    out.steps.push_back(std::move(result));
  }
  if (outer_open) {
    m_connection.commit();
  }
  out.duration_ms = elapsed_ms(run_start);
  return out;
}

RunResult Runner::stamp(const graph::Plan& plan) {
  auto [versions, ledger] = open_tables(m_connection, m_settings);

  RunResult out;
  out.heads_before = plan.heads_before;
  const Clock::time_point start = Clock::now();
  m_connection.begin();
  try {
    for (const graph::Step& step : plan.steps) {
      const script::Migration* migration = m_scripts.find(step.revision);
      LedgerStart entry{step.revision,
                        "stamp",
                        0,
                        migration != nullptr ? migration->checksum() : std::string(),
                        m_settings.reason,
                        migration != nullptr ? base::join(migration->revises, " ") : "",
                        migration != nullptr ? migration->message : ""};
      const std::int64_t id = ledger.start(entry);
      for (const graph::VersionOp& op : step.version_ops) {
        versions.apply(op);
      }
      ledger.finish_ok(id, 0, 0);
      StepResult result;
      result.revision = step.revision;
      result.message = entry.message;
      result.direction = "stamp";
      result.status = "ok";
      result.heads_after = step.heads_after;
      out.steps.push_back(std::move(result));
    }
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

void write_sql(std::ostream& out, driver::Dialect dialect, const script::ScriptDirectory& scripts,
               const graph::Plan& plan, const Settings& settings) {
  const script::Dialect sdialect = script_dialect(dialect);
  VersionTable versions(nullptr, settings.version_table, settings.version_table_schema);
  Ledger ledger(nullptr, dialect, settings.version_table_schema);
  const bool postgres = dialect == driver::Dialect::postgres;
  const bool one_transaction = !settings.transaction_per_migration;

  out << "-- retort " << retort_version_string() << ": " << plan.steps.size() << " step"
      << (plan.steps.size() == 1 ? "" : "s") << " from " << heads_text(plan.heads_before) << " to "
      << heads_text(plan.heads_after) << "\n\n";
  out << versions.create_sql() << ";\n\n" << ledger.create_sql() << ";\n\n";

  bool open = false;
  for (const graph::Step& step : plan.steps) {
    const script::Migration& migration = migration_of(scripts, step);
    const std::vector<script::Statement> statements =
        step.direction == graph::Direction::stamp
            ? std::vector<script::Statement>{}
            : split_or_throw(migration, step.direction, sdialect);
    out << "-- Running " << direction_name(step.direction) << " " << step.revision << ": "
        << migration.message << " (" << migration.display_path << ")\n";
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
    LedgerStart entry{step.revision,
                      direction_name(step.direction),
                      static_cast<int>(statements.size()),
                      migration.checksum(),
                      settings.reason,
                      base::join(migration.revises, " "),
                      migration.message};
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
