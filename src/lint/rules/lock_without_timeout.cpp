// PG110 lock-without-timeout: a statement that needs a strong lock on a live table, run with no
// lock_timeout, waits for that lock as long as any transaction holds a weaker one, and every
// later query of the table queues behind it: a long report at 3 a.m. becomes an outage. retort
// sets [retort.postgres] lock_timeout (2s by default) on every statement and retries, so this
// fires only when that is turned off (the setting or a `-- retort:lock_timeout 0` header is 0,
// or the migration's own SET / RESET lock_timeout). Statements that take only weak locks
// (CONCURRENTLY, which retort runs without timeouts on purpose) and new tables are not reported.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

// The live relation the statement takes a strong lock on, with the statement's verb.
std::pair<std::string, std::string> locked(const PgQuery__Node* node) {
  switch (node->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
    case PG_QUERY__NODE__NODE_INDEX_STMT:
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      return {schema_change_target(node), "it"};
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
      return {node->create_trig_stmt ? relation_name(node->create_trig_stmt->relation) : "",
              "CREATE TRIGGER"};
    case PG_QUERY__NODE__NODE_LOCK_STMT:
      if (node->lock_stmt != nullptr && node->lock_stmt->n_relations > 0 &&
          node->lock_stmt->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
        return {relation_name(node->lock_stmt->relations[0]->range_var), "LOCK"};
      }
      return {};
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      if (node->truncate_stmt != nullptr && node->truncate_stmt->n_relations > 0 &&
          node->truncate_stmt->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
        return {relation_name(node->truncate_stmt->relations[0]->range_var), "TRUNCATE"};
      }
      return {};
    case PG_QUERY__NODE__NODE_DROP_STMT:
      if (node->drop_stmt != nullptr &&
          (node->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
           node->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) &&
          !node->drop_stmt->concurrent) {
        const std::vector<std::string> names = dropped_names(node->drop_stmt);
        return {names.empty() ? "" : names.front(), "DROP"};
      }
      return {};
    default:
      return {};
  }
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (pass.lock_timeout_at(stmt.index).count() != 0) {
    return;
  }
  const auto [table, verb] = locked(stmt.node);
  if (table.empty() || pass.is_new(table, stmt.index)) {
    return;
  }
  report.add(stmt, -1, fmt::format("this statement locks {} with no lock_timeout in force", table),
             fmt::format("while it waits for its lock behind any open transaction on {}, every "
                         "later query of {} queues behind it, for as long as that transaction "
                         "lasts",
                         table, table),
             "let retort bound the wait and retry: set [retort.postgres] lock_timeout (\"2s\" is "
             "the default) and remove `-- retort:lock_timeout 0` or the migration's own SET / "
             "RESET lock_timeout; retort retries a statement that times out, up to "
             "lock_retries");
}

}  // namespace

const Rule k_lock_without_timeout{
    "PG110", "lock-without-timeout", Level::error,
    "a statement that takes a lock with no lock_timeout in force: it queues every later query "
    "of the table behind it",
    check};

}  // namespace retort::lint
