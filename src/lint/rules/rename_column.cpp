// PG202 rename-column: the running release's queries that name the column fail from the commit
// until every instance runs the new code. A column of a table created earlier in the migration
// has no users yet: not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_RENAME_STMT ||
      stmt.node->rename_stmt == nullptr) {
    return;
  }
  const PgQuery__RenameStmt& rename = *stmt.node->rename_stmt;
  const std::string table = relation_name(rename.relation);
  if (rename.rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || table.empty() ||
      pass.is_new(table, stmt.index)) {
    return;
  }
  const std::string column = rename.subname == nullptr ? "" : rename.subname;
  const std::string renamed = rename.newname == nullptr ? "" : rename.newname;
  const std::string qualified = quote_qualified(table);
  report.add(stmt, rename.relation->location,
             fmt::format("RENAME COLUMN {}.{} to {} breaks every query that names {}", table,
                         column, renamed, column),
             fmt::format("the release still running reads and writes {}: its queries fail from "
                         "the commit until every instance runs the new code",
                         column),
             fmt::format("expand/contract, over several releases: add the new column, keep both "
                         "in step (a trigger, or the application writing both), backfill, move "
                         "reads, then drop the old one:\n    ALTER TABLE {} ADD COLUMN {} <type>;\n"
                         "    UPDATE {} SET {} = {} WHERE ...;  -- in batches\n"
                         "    ALTER TABLE {} DROP COLUMN {};  -- in a later release",
                         qualified, quote_identifier(renamed), qualified, quote_identifier(renamed),
                         quote_identifier(column), qualified, quote_identifier(column)));
}

}  // namespace

const Rule k_rename_column{
    "PG202", "rename-column", Level::error,
    "RENAME of a column: the running application's queries fail until it is redeployed", check};

}  // namespace retort::lint
