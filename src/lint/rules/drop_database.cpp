// PG207 drop-database: a migration that drops a database removes everything in it; it belongs
// to provisioning, not to a schema change, and cannot run in a transaction block anyway.
#include "lint/rules/rules.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_DROPDB_STMT ||
      stmt.node->dropdb_stmt == nullptr) {
    return;
  }
  const std::string name =
      stmt.node->dropdb_stmt->dbname == nullptr ? "" : stmt.node->dropdb_stmt->dbname;
  report.add(stmt, -1, fmt::format("DROP DATABASE {} deletes the whole database", name),
             "every schema, table and row of the database is gone; only a backup brings it back",
             "drop databases by hand or in provisioning, after a backup, not in a migration");
}

}  // namespace

const Rule k_drop_database{"PG207", "drop-database", Level::error,
                           "DROP DATABASE: everything in it is gone", check};

}  // namespace retort::lint
