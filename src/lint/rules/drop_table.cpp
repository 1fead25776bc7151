// PG203 drop-table: the rows are gone with the table, and only a backup brings them back; a
// release still running that reads or writes the table fails from the moment the migration
// commits. A table created earlier in the migration (or the run) holds nothing and no release
// uses it: not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_DROP_STMT || stmt.node->drop_stmt == nullptr ||
      stmt.node->drop_stmt->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
    return;
  }
  for (const std::string& table : dropped_names(stmt.node->drop_stmt)) {
    if (pass.is_new(table, stmt.index)) {
      continue;
    }
    report.add(
        stmt, -1, fmt::format("DROP TABLE {} deletes the table and every row in it", table),
        fmt::format("the data of {} is gone for good (a backup is the only way back), and "
                    "a release of the application still running that uses {} fails at "
                    "once; DROP TABLE also takes an ACCESS EXCLUSIVE lock",
                    table, table),
        fmt::format("drop it in the release after the one that stopped using it, with a "
                    "backup taken first ([retort.backup] when = \"risky\" takes one before "
                    "this step; or `retort backup`). To keep a way back, rename it first "
                    "and drop it later:\n    ALTER TABLE {} RENAME TO {}_deprecated;\n"
                    "Then accept the drop in this file: -- retort:lint-ignore PG203 -- "
                    "<which release stopped using it>",
                    quote_qualified(table), quote_identifier(table.substr(table.rfind('.') + 1))));
  }
}

}  // namespace

const Rule k_drop_table{
    "PG203", "drop-table", Level::error,
    "DROP TABLE: the data is gone, and the running application may still use it", check};

}  // namespace retort::lint
