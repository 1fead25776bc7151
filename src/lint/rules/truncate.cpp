// PG205 truncate: TRUNCATE deletes every row at once (with CASCADE, those of every table with
// a foreign key to it too), under an ACCESS EXCLUSIVE lock. A table created earlier in the
// migration is not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT ||
      stmt.node->truncate_stmt == nullptr) {
    return;
  }
  const PgQuery__TruncateStmt& truncate = *stmt.node->truncate_stmt;
  const bool cascade = truncate.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
  for (std::size_t rel_idx = 0; rel_idx < truncate.n_relations; ++rel_idx) {
    const PgQuery__Node* node = truncate.relations[rel_idx];
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) {
      continue;
    }
    const std::string table = relation_name(node->range_var);
    if (pass.is_new(table, stmt.index)) {
      continue;
    }
    report.add(stmt, node->range_var->location,
               fmt::format("TRUNCATE {}{} deletes every row", table, cascade ? " CASCADE" : ""),
               cascade ? fmt::format("every row of {} and of every table whose foreign keys "
                                     "reference it is gone, under an ACCESS EXCLUSIVE lock; only "
                                     "a backup brings them back",
                                     table)
                       : fmt::format("every row of {} is gone, under an ACCESS EXCLUSIVE lock; "
                                     "only a backup brings them back",
                                     table),
               "take a backup first ([retort.backup] when = \"risky\" takes one before this "
               "step), name the referencing tables rather than CASCADE, and accept it here: "
               "-- retort:lint-ignore PG205 -- <why the rows can go>");
  }
}

}  // namespace

const Rule k_truncate{"PG205", "truncate", Level::error,
                      "TRUNCATE: the rows are gone (with CASCADE, those of referencing tables too)",
                      check};

}  // namespace retort::lint
