// PG204 drop-column: the column's values are gone, and a release still running that names the
// column (or an ORM that lists every column it mapped) fails at once. Dropping a column of a
// table created earlier in the migration is not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
      stmt.node->alter_table_stmt == nullptr) {
    return;
  }
  const std::string table = relation_name(stmt.node->alter_table_stmt->relation);
  if (pass.is_new(table, stmt.index)) {
    return;
  }
  for (const PgQuery__AlterTableCmd* command : alter_commands(stmt.node->alter_table_stmt)) {
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn) {
      continue;
    }
    const std::string column = command->name == nullptr ? "" : command->name;
    report.add(stmt, -1,
               fmt::format("DROP COLUMN {}.{} deletes the column and its values", table, column),
               fmt::format("the values of {} are gone for good (a backup is the only way back), "
                           "and a release still running that reads or writes {} fails: ORMs "
                           "list every mapped column in their INSERTs and SELECTs",
                           column, column),
               fmt::format("expand/contract: first ship a release that no longer uses {} (in "
                           "Rails, ignored_columns; in Django, remove the field in code first), "
                           "then drop it with a backup taken, and accept it here: -- "
                           "retort:lint-ignore PG204 -- <which release stopped using it>\n"
                           "    ALTER TABLE {} DROP COLUMN {};",
                           column, quote_qualified(table), quote_identifier(column)));
  }
}

}  // namespace

const Rule k_drop_column{
    "PG204", "drop-column", Level::error,
    "DROP COLUMN: the data is gone, and the running application may still use it", check};

}  // namespace retort::lint
