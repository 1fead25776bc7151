// PG201 rename-table: from the moment the migration commits, every query of the running
// release that names the old table fails, until all its instances run the new code: a deploy
// is never instant. A table created earlier in the migration has no users yet: not reported.
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
  const bool relation = rename.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
                        rename.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
                        rename.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW;
  const std::string table = relation_name(rename.relation);
  if (!relation || table.empty() || pass.is_new(table, stmt.index)) {
    return;
  }
  const std::string renamed = rename.newname == nullptr ? "" : rename.newname;
  const std::string old_name = table.substr(table.rfind('.') + 1);
  report.add(
      stmt, rename.relation->location,
      fmt::format("RENAME of {} to {} breaks every query that names {}", table, renamed, old_name),
      fmt::format("the release still running names {}: its queries fail from the commit "
                  "until every instance runs the new code",
                  old_name),
      fmt::format("expand/contract: rename, and keep the old name as a view over the new "
                  "table (simple views are updatable) until no release uses it:\n"
                  "    ALTER TABLE {} RENAME TO {};\n    CREATE VIEW {} AS SELECT * FROM "
                  "{};\nthen drop the view in a later release",
                  quote_qualified(table), quote_identifier(renamed), quote_qualified(table),
                  quote_identifier(renamed)));
}

}  // namespace

const Rule k_rename_table{
    "PG201", "rename-table", Level::error,
    "RENAME of a table (or view): the running application's queries fail until it is redeployed",
    check};

}  // namespace retort::lint
