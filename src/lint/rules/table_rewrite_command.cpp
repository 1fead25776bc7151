// PG109 table-rewrite-command: VACUUM FULL and CLUSTER write a new copy of the table and its
// indexes under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite, which on
// a large table is long, and the disk needs room for the copy. Plain VACUUM and ANALYZE take no
// such lock and are not reported, nor is a table created earlier in the migration.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

std::vector<const PgQuery__RangeVar*> vacuumed(const PgQuery__VacuumStmt& vacuum) {
  std::vector<const PgQuery__RangeVar*> out;
  for (std::size_t rel_idx = 0; rel_idx < vacuum.n_rels; ++rel_idx) {
    const PgQuery__Node* node = vacuum.rels[rel_idx];
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION &&
        node->vacuum_relation != nullptr) {
      out.push_back(node->vacuum_relation->relation);
    }
  }
  return out;
}

void report_rewrite(const Stmt& stmt, Report& report, const std::string& command,
                    const PgQuery__RangeVar* relation, std::string fix) {
  const std::string table = relation != nullptr ? relation_name(relation) : "every table";
  report.add(stmt, relation != nullptr ? relation->location : -1,
             fmt::format("{} rewrites {} while its reads and writes wait", command, table),
             fmt::format("{} copies {} and its indexes under an ACCESS EXCLUSIVE lock: every "
                         "query of it waits until the copy is done, and the disk needs room for "
                         "a second copy",
                         command, table),
             std::move(fix));
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT &&
      stmt.node->vacuum_stmt != nullptr) {
    const PgQuery__VacuumStmt& vacuum = *stmt.node->vacuum_stmt;
    if (vacuum.is_vacuumcmd == 0 ||
        !sql::has_true_option(vacuum.n_options, vacuum.options, "full")) {
      return;
    }
    const std::string fix =
        "reclaim space online with pg_repack (an extension and a command-line tool) outside the "
        "migration, or let plain VACUUM make the space reusable:\n    VACUUM (ANALYZE) ...;";
    const std::vector<const PgQuery__RangeVar*> tables = vacuumed(vacuum);
    if (tables.empty()) {
      report_rewrite(stmt, report, "VACUUM FULL", nullptr, fix);
    }
    for (const PgQuery__RangeVar* table : tables) {
      if (!pass.is_new(relation_name(table), stmt.index)) {
        report_rewrite(stmt, report, "VACUUM FULL", table, fix);
      }
    }
    return;
  }
  if (stmt.node->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT &&
      stmt.node->cluster_stmt != nullptr) {
    const PgQuery__RangeVar* table = stmt.node->cluster_stmt->relation;
    if (table != nullptr && pass.is_new(relation_name(table), stmt.index)) {
      return;
    }
    report_rewrite(stmt, report, "CLUSTER", table,
                   "there is no online CLUSTER: pg_repack --order-by reorders a table without "
                   "the long lock; else run it in a maintenance window (mark the file "
                   "`-- retort:maintenance_window true`) and accept it with a lint-ignore");
  }
}

}  // namespace

const Rule k_table_rewrite_command{
    "PG109",      "table-rewrite-command",
    Level::error, "VACUUM FULL or CLUSTER: the table is rewritten while reads and writes wait",
    check,        Runs::always,
    Weight::rows};

}  // namespace retort::lint
