// PG303 concurrently-in-transaction: CREATE INDEX CONCURRENTLY and the other statements
// PostgreSQL refuses inside a transaction block (sql::classify knows them), in a migration that
// runs in one; and, before PostgreSQL 12, ALTER TYPE ... ADD VALUE. retort's loader refuses
// the file before anything runs; lint names it with a code and the fix.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"
#include "sql/classify.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (!pass.transactional()) {
    return;
  }
  std::string command;
  if (stmt.source->needs_no_transaction) {
    command = sql::classify(stmt.source->sql, base::Dialect::postgres).command;
  } else if (stmt.node->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT &&
             pass.server_version() < 12 && stmt.node->alter_enum_stmt != nullptr &&
             stmt.node->alter_enum_stmt->new_val != nullptr &&
             stmt.node->alter_enum_stmt->new_val[0] != '\0' &&
             (stmt.node->alter_enum_stmt->old_val == nullptr ||
              stmt.node->alter_enum_stmt->old_val[0] == '\0')) {
    const PgQuery__AlterEnumStmt& alter = *stmt.node->alter_enum_stmt;
    if (!enum_created_earlier(pass, stmt, dotted(alter.type_name, alter.n_type_name))) {
      command = "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)";
    }
  }
  if (command.empty()) {
    return;
  }
  report.add(stmt, -1, fmt::format("{} in a migration that runs in one transaction", command),
             fmt::format("PostgreSQL refuses {} inside a transaction block: the migration fails "
                         "at this statement (retort refuses the file before it runs anything)",
                         command),
             "move it to a migration of its own that runs each statement alone:\n"
             "    -- retort:transaction false\n    " +
                 stmt.source->sql + ";");
}

}  // namespace

const Rule k_concurrently_in_transaction{
    "PG303", "concurrently-in-transaction", Level::error,
    "CONCURRENTLY in a transactional migration: PostgreSQL refuses it inside a transaction block",
    check};

}  // namespace retort::lint
