// The backup gate: decide whether the run needs its backup before this step, take it, and name
// it for the ledger. A backup protects the rows that were there before the run: a table created
// earlier in the run held none, a table that does not exist holds none, and an empty one none;
// a statement whose tables cannot be named counts as reaching rows.
#include "ops/backup/backup_gate.hpp"

#include "base/identifier.hpp"
#include "base/text.hpp"
#include "ops/backup/backup.hpp"
#include "runner/cancel.hpp"
#include "sql/risk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <utility>

namespace retort::ops::backup {

namespace {

// "ops.accounts" as schema and name; the schema is empty when unqualified.
std::pair<std::string, std::string> split_relation(const std::string& relation) {
  const std::size_t dot = relation.rfind('.');
  if (dot == std::string::npos) {
    return {{}, relation};
  }
  std::string schema = relation.substr(0, dot);
  // db.schema.table: the database part names this one.
  if (const std::size_t first = schema.rfind('.'); first != std::string::npos) {
    schema = schema.substr(first + 1);
  }
  return {schema, relation.substr(dot + 1)};
}

// Past this many relations of one name (schemas per tenant), the answer is "holds rows".
constexpr int k_max_candidates = 50;

// Whether any relation of that name holds a row. An unqualified name is looked for in every
// schema, not only on the search_path: the migration may set its own. A sequence always counts
// (its value is data), a view by the rows it shows; indexes and types hold none of their own.
bool postgres_holds_rows(driver::Connection& db, const std::string& relation,
                         std::chrono::milliseconds lock_timeout) {
  const auto [schema, name] = split_relation(relation);
  const std::array<driver::Value, 3> params{name, schema, relation};
  const driver::Rows candidates = db.query(
      "SELECT c.oid::regclass::text, c.relkind::text FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f', 'S') AND n.nspname NOT LIKE 'pg\\_%' "
      "AND n.nspname <> 'information_schema' "
      "AND ((c.relname = $1 AND ($2 = '' OR n.nspname = $2)) OR c.relname = $3) "
      "LIMIT " +
          std::to_string(k_max_candidates + 1),
      params);
  if (candidates.size() > static_cast<std::size_t>(k_max_candidates)) {
    return true;
  }
  for (const auto& row : candidates.rows) {
    if (row[1] == std::optional<std::string>("S")) {
      return true;
    }
  }
  if (candidates.empty()) {
    return false;
  }
  // In a transaction of its own, so that a table another session holds locked makes the check
  // give up after lock_timeout (and count as holding rows) rather than wait behind it.
  db.begin();
  try {
    db.execute(fmt::format("SET LOCAL lock_timeout = '{}ms'",
                           std::max<std::int64_t>(lock_timeout.count(), 1)));
    bool rows = false;
    for (const auto& row : candidates.rows) {
      const driver::Rows exists =
          db.query(fmt::format("SELECT EXISTS (SELECT 1 FROM {})::text", row[0].value_or("")));
      if (!exists.empty() && exists.rows[0][0] == std::optional<std::string>("false")) {
        continue;
      }
      rows = true;
      break;
    }
    db.commit();
    return rows;
  } catch (...) {
    if (db.in_transaction()) {
      db.rollback();
    }
    throw;
  }
}

bool sqlite_holds_rows(driver::Connection& db, const std::string& relation) {
  const auto [schema, name] = split_relation(relation);
  const std::string master =
      schema.empty() ? std::string("sqlite_master")
                     : base::quote_qualified(schema, "sqlite_master", base::Dialect::sqlite);
  const std::array<driver::Value, 1> params{name};
  const driver::Rows found =
      db.query(fmt::format("SELECT name FROM {} WHERE type IN ('table', 'view') AND name = $1 "
                           "COLLATE NOCASE",
                           master),
               params);
  if (found.empty()) {
    return false;
  }
  const std::string stored = found.rows[0][0].value_or(name);
  const std::string table = base::quote_qualified(schema, stored, base::Dialect::sqlite);
  const driver::Rows exists = db.query(fmt::format("SELECT EXISTS (SELECT 1 FROM {})", table));
  return exists.empty() || exists.rows[0][0] != std::optional<std::string>("0");
}

}  // namespace

BackupGate::BackupGate(const Config& config, base::DatabaseUrl url, driver::Connection& db,
                       RunObserver* observer, Before before, std::string why,
                       std::vector<PlannedStep> plan)
    : m_config(config),
      m_url(std::move(url)),
      m_db(db),
      m_observer(observer),
      m_before(before),
      m_why(std::move(why)),
      m_plan(std::move(plan)) {}

void BackupGate::note(const std::string& text) {
  if (m_observer != nullptr) {
    m_observer->note(text);
  }
}

bool BackupGate::holds_rows(const std::string& relation) {
  try {
    return m_db.dialect() == base::Dialect::postgres
               ? postgres_holds_rows(m_db, relation, m_config.postgres.lock_timeout)
               : sqlite_holds_rows(m_db, relation);
  } catch (const driver::DatabaseError&) {
    return true;  // not readable (privileges, a lock): nothing can be said, so back it up
  }
}

std::optional<BackupGate::Need> BackupGate::need(const std::vector<script::Statement>& statements,
                                                 std::set<std::string>& created) {
  const base::Dialect dialect = m_db.dialect();
  for (const script::Statement& statement : statements) {
    if (std::string command = sql::data_risk(statement.sql, dialect); !command.empty()) {
      const auto relations = sql::risk_relations(statement.sql, dialect);
      if (!relations) {
        return Need{std::move(command), statement.line,
                    "which tables it changes cannot be read from it"};
      }
      for (const std::string& relation : *relations) {
        if (!created.contains(relation) && holds_rows(relation)) {
          return Need{std::move(command), statement.line, relation + " holds rows"};
        }
      }
    }
    for (std::string& table : sql::created_tables(statement.sql, dialect)) {
      created.insert(std::move(table));
    }
  }
  return std::nullopt;
}

std::string BackupGate::covered(const std::string& revision,
                                const std::vector<script::Statement>& statements) {
  const StepRisk risk = step_risk(statements, m_db.dialect());
  if (m_taken.empty() || risk.command.empty()) {
    return {};
  }
  note(fmt::format("no backup before {} ({}, line {}): the backup taken before {} covers it",
                   revision, risk.command, risk.line, m_taken_before));
  return m_taken;
}

std::string BackupGate::take_before(const std::string& revision, const std::string& why) {
  note(fmt::format("backup before {} ({}) into {}", revision, why, directory(m_config).string()));
  BackupResult taken;
  try {
    taken = take(m_config, m_url, m_db);
  } catch (const Error& error) {
    if (runner::cancel_requested()) {
      throw Error(
          ExitCode::failed,
          fmt::format("cancelled before revision {} started, while its backup was taken", revision))
          .state("the steps before it are applied; nothing of it ran")
          .next("run the same command again to continue");
    }
    Error stopped(ExitCode::failed,
                  fmt::format("stopped before revision {}: the backup before it failed: {}",
                              revision, error.what()));
    if (!error.explanation.empty()) {
      stopped.explain(error.explanation);
    }
    stopped.state("the steps before it are applied; nothing of it ran")
        .next(
            "fix the backup and run the same command again (or take one by hand and run the "
            "same command with --no-backup)");
    throw stopped;
  }
  if (m_observer != nullptr) {
    m_observer->backup_taken(taken.path, taken.bytes);
  }
  note(fmt::format("backup before {}: {} ({})", revision, taken.path,
                   base::format_bytes(taken.bytes)));
  for (const std::string& warning : taken.warnings) {
    note("warning: " + warning);
  }
  m_taken = taken.path;
  m_taken_before = revision;
  return taken.path;
}

std::string BackupGate::before_step(const graph::Step& step, const script::Migration& /*migration*/,
                                    const std::vector<script::Statement>& statements) {
  const bool first = std::exchange(m_first, false);
  if (!m_taken.empty()) {
    return covered(step.revision, statements);
  }
  switch (m_before) {
    case Before::first_step:
      return first ? take_before(step.revision, m_why) : std::string();
    case Before::one_transaction: {
      if (!first) {
        return {};
      }
      // Nothing comes between the steps of one transaction: the whole run is judged now, each
      // step after the tables the steps before it create.
      std::set<std::string> created;
      for (const PlannedStep& planned : m_plan) {
        if (const auto needed = need(planned.statements, created)) {
          return take_before(step.revision,
                             fmt::format("{} does {} at line {}, and the run is one transaction",
                                         planned.revision, needed->command, needed->line));
        }
      }
      for (const PlannedStep& planned : m_plan) {
        const StepRisk risk = step_risk(planned.statements, m_db.dialect());
        if (!risk.command.empty()) {
          note(
              fmt::format("no backup before {} ({}, line {}): the tables it changes hold no "
                          "rows from before this run",
                          planned.revision, risk.command, risk.line));
        }
      }
      return {};
    }
    case Before::risky_steps:
      break;
  }
  const StepRisk risk = step_risk(statements, m_db.dialect());
  std::set<std::string> created = m_created;
  const auto needed = risk.command.empty() ? std::nullopt : need(statements, created);
  for (const script::Statement& statement : statements) {
    for (std::string& table : sql::created_tables(statement.sql, m_db.dialect())) {
      m_created.insert(std::move(table));
    }
  }
  if (risk.command.empty()) {
    return {};
  }
  if (!needed) {
    note(
        fmt::format("no backup before {} ({}, line {}): the tables it changes hold no rows from "
                    "before this run",
                    step.revision, risk.command, risk.line));
    return {};
  }
  return take_before(step.revision, fmt::format("{}, line {}", needed->command, needed->line));
}

std::string BackupGate::inside_transaction(const graph::Step& step,
                                           const script::Migration& /*migration*/,
                                           const std::vector<script::Statement>& statements) {
  m_first = false;
  return covered(step.revision, statements);
}

std::unique_ptr<runner::StepGate> gate_for(const Config& config, const base::DatabaseUrl& url,
                                           driver::Connection& db, RunObserver* observer,
                                           const script::ScriptDirectory& scripts,
                                           const graph::Plan& plan, Backups backups) {
  const base::Dialect dialect = db.dialect();
  if (backups == Backups::skipped) {
    if (observer != nullptr && config.backup.when != BackupWhen::never) {
      std::vector<std::string> risky;
      for (const graph::Step& step : plan.steps) {
        if (const StepRisk risk = step_risk(scripts, step, dialect); !risk.command.empty()) {
          risky.push_back(fmt::format("{} ({}, line {})", step.revision, risk.command, risk.line));
        }
      }
      if (!risky.empty() || config.backup.when == BackupWhen::always) {
        observer->note(fmt::format("no backup: --no-backup{}",
                                   risky.empty() ? std::string()
                                                 : " (this run drops or rewrites data in " +
                                                       base::join(risky, ", ") + ")"));
      }
    }
    return nullptr;
  }
  switch (config.backup.when) {
    case BackupWhen::never:
      return nullptr;
    case BackupWhen::always:
      return std::make_unique<BackupGate>(config, url, db, observer, Before::first_step,
                                          "when = \"always\"");
    case BackupWhen::risky:
      break;
  }
  bool risky = false;
  for (const graph::Step& step : plan.steps) {
    if (!step_risk(scripts, step, dialect).command.empty()) {
      risky = true;
      break;
    }
  }
  if (!risky) {
    return nullptr;
  }
  if (config.transaction_per_migration) {
    return std::make_unique<BackupGate>(config, url, db, observer, Before::risky_steps);
  }
  // The whole run is one transaction: nothing can come between its steps, so the backup, if
  // any step needs one, comes before the first.
  std::vector<PlannedStep> planned;
  for (const graph::Step& step : plan.steps) {
    const script::Migration* migration = scripts.find(step.revision);
    if (migration == nullptr || step.direction == graph::Direction::stamp) {
      continue;
    }
    const bool down = step.direction == graph::Direction::downgrade;
    if (down && !migration->downgrade) {
      continue;
    }
    auto statements = script::statements(
        *migration, down ? script::Which::downgrade : script::Which::upgrade, dialect);
    if (statements) {
      planned.push_back({step.revision, std::move(*statements)});
    }
  }
  return std::make_unique<BackupGate>(config, url, db, observer, Before::one_transaction,
                                      std::string(), std::move(planned));
}

std::vector<bool> backups_before(const Config& config, const script::ScriptDirectory& scripts,
                                 const graph::Plan& plan, base::Dialect dialect) {
  std::vector<bool> out(plan.steps.size(), false);
  if (out.empty() || config.backup.when == BackupWhen::never) {
    return out;
  }
  if (config.backup.when == BackupWhen::always) {
    out.front() = true;
    return out;
  }
  // when = "risky": the run's one backup comes before its first step that drops or rewrites
  // data (before the first step when the run is one transaction), unless the tables it changes
  // turn out empty then: nothing from before the run to lose, so nothing to roll back to.
  for (std::size_t step_idx = 0; step_idx < plan.steps.size(); ++step_idx) {
    if (!step_risk(scripts, plan.steps[step_idx], dialect).command.empty()) {
      out[config.transaction_per_migration ? step_idx : 0] = true;
      break;
    }
  }
  return out;
}

}  // namespace retort::ops::backup
