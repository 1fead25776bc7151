// The order of preflight's checks, and the relations the pending statements touch.
#include "ops/preflight/preflight.hpp"

#include "sql/objects.hpp"

#include <algorithm>
#include <utility>

namespace retort::ops::preflight {

void run(Context& context, Checks& checks, std::vector<PreflightStep>& steps) {
  check_pending(context, checks, steps);
  check_timeouts(context, checks);
  if (context.postgres()) {
    check_primary(context, checks);
    check_privileges(context, checks);
    check_lint(context, checks);
    check_connections(context, checks);
    check_blockers(context, checks);
    check_replicas(context, checks);
    check_disk(context, checks);
  }
  check_backup(context, checks);
  check_rollback(context, checks);
}

std::string last_applied(runner::Ledger& ledger) {
  std::string newest;
  for (const runner::LedgerRow& row : ledger.newest()) {
    const LedgerEntry& entry = row.entry;
    if (entry.status == LedgerStatus::ok && entry.direction != Direction::stamp &&
        entry.finished_at > newest) {
      newest = entry.finished_at;
    }
  }
  return newest;
}

std::optional<backup::Found> backup_since_last_applied(Context& context) {
  const std::string applied = last_applied(context.ledger);
  const auto url = base::parse_database_url(context.config.url);
  const std::string database = backup::database_name(url ? *url : base::DatabaseUrl{}, context.db);
  std::vector<backup::Found> found = backup::list(context.config, database);
  // To the second, as backup names say it: one taken in the second the migration ended counts.
  if (found.empty() || found.front().taken_at.substr(0, 19) < applied.substr(0, 19)) {
    return std::nullopt;
  }
  return std::move(found.front());
}

void each_statement(
    const script::ScriptDirectory& scripts, const graph::Plan& plan, base::Dialect dialect,
    const std::function<void(const graph::Step&, const script::Statement&)>& visit) {
  for (const graph::Step& step : plan.steps) {
    const script::Migration* migration = scripts.find(step.revision);
    if (migration == nullptr || step.direction == graph::Direction::stamp) {
      continue;
    }
    const script::Which which = step.direction == graph::Direction::downgrade
                                    ? script::Which::downgrade
                                    : script::Which::upgrade;
    if (which == script::Which::downgrade && !migration->downgrade) {
      continue;
    }
    auto statements = script::statements(*migration, which, dialect);
    if (!statements) {
      continue;
    }
    for (const script::Statement& statement : *statements) {
      visit(step, statement);
    }
  }
}

std::vector<std::string> touched_relations(const script::ScriptDirectory& scripts,
                                           const graph::Plan& plan, base::Dialect dialect) {
  std::vector<std::string> out;
  const auto add = [&out](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  };
  each_statement(scripts, plan, dialect,
                 [&add](const graph::Step& /*step*/, const script::Statement& statement) {
                   for (const std::string& relation : sql::mentioned_relations(statement.sql)) {
                     add(relation);
                     if (const std::size_t dot = relation.rfind('.'); dot != std::string::npos) {
                       add(relation.substr(dot + 1));
                     }
                   }
                 });
  return out;
}

}  // namespace retort::ops::preflight
