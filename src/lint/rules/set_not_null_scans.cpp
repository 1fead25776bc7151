// PG105 set-not-null-scans: ALTER COLUMN ... SET NOT NULL scans the whole table under an
// ACCESS EXCLUSIVE lock to prove no row is NULL: every read and write waits. Since PostgreSQL
// 12 the scan is skipped when a validated CHECK (col IS NOT NULL) already proves it; lint sees
// such a CHECK when an earlier statement of the same migration adds it validated (without NOT
// VALID) or VALIDATEs it, or when the schema the statement runs on has it (built from the
// earlier revisions, or read from the database). A column that is NOT NULL already is not
// scanned either. Without the schema, a CHECK added in an earlier file is not visible to lint:
// accept the finding with a lint-ignore that names it. A table created earlier in the migration
// is not reported.
#include "lint/rules/rules.hpp"
#include "lint/schema_facts.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <set>

namespace retort::lint {
namespace {

// Whether earlier statements leave a validated CHECK (column IS NOT NULL) on the table.
bool proven(const Pass& pass, const Stmt& stmt, const std::string& table,
            const std::string& column) {
  std::set<std::string> not_valid;  // names of such CHECKs added NOT VALID
  for (const Stmt& earlier : pass.statements()) {
    if (earlier.index >= stmt.index) {
      break;
    }
    if (earlier.node == nullptr ||
        earlier.node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
        earlier.node->alter_table_stmt == nullptr ||
        unqualified(relation_name(earlier.node->alter_table_stmt->relation)) !=
            unqualified(table)) {
      continue;
    }
    for (const PgQuery__AlterTableCmd* command : alter_commands(earlier.node->alter_table_stmt)) {
      const PgQuery__Constraint* constraint = constraint_of(command->def);
      if (command->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
          constraint != nullptr && constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
          not_null_column(constraint->raw_expr) == column) {
        if (!constraint->skip_validation) {
          return true;
        }
        not_valid.insert(constraint->conname == nullptr ? "" : constraint->conname);
      }
      if (command->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint &&
          command->name != nullptr && not_valid.count(command->name) != 0) {
        return true;
      }
    }
  }
  return false;
}

// Whether the schema the statement runs on proves the column has no NULL: NOT NULL already
// (the command changes nothing), or a validated CHECK (col IS NOT NULL) on PostgreSQL 12+.
bool known_not_null(const Pass& pass, const std::string& table, const std::string& column) {
  const schema::Table* known =
      pass.schema() != nullptr ? find_table(*pass.schema(), table) : nullptr;
  if (known == nullptr) {
    return false;
  }
  const schema::Column* described = find_column(*known, column);
  return (described != nullptr && described->not_null) ||
         (pass.server_version() >= 12 && validated_not_null_check(*known, column));
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  std::string table;
  const PgQuery__AlterTableStmt* alter = live_alter(pass, stmt, table);
  if (alter == nullptr) {
    return;
  }
  for (const PgQuery__AlterTableCmd* command : alter_commands(alter)) {
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull || command->name == nullptr) {
      continue;
    }
    const std::string column = command->name;
    if ((pass.server_version() >= 12 && proven(pass, stmt, table, column)) ||
        known_not_null(pass, table, column)) {
      continue;
    }
    const std::string qualified = quote_qualified(table);
    const std::string quoted = quote_identifier(column);
    const std::string check_name =
        quote_identifier(unqualified(table) + "_" + column + "_not_null");
    report.add(
        stmt, -1,
        fmt::format("SET NOT NULL on {}.{} scans the whole table while reads and writes wait",
                    table, column),
        fmt::format("PostgreSQL reads every row of {} under an ACCESS EXCLUSIVE lock to prove "
                    "{} has no NULL: every query of the table waits, minutes on a large one",
                    table, column),
        pass.server_version() >= 12
            ? fmt::format(
                  "prove it first with a CHECK that is validated without the lock, then SET NOT "
                  "NULL skips the scan (PostgreSQL 12+):\n"
                  "    ALTER TABLE {0} ADD CONSTRAINT {2} CHECK ({1} IS NOT NULL) NOT VALID;\n"
                  "    ALTER TABLE {0} VALIDATE CONSTRAINT {2};  -- best in the next migration\n"
                  "    ALTER TABLE {0} ALTER COLUMN {1} SET NOT NULL;\n"
                  "    ALTER TABLE {0} DROP CONSTRAINT {2};",
                  qualified, quoted, check_name)
            : fmt::format("before PostgreSQL 12 SET NOT NULL always scans: keep a validated "
                          "CHECK ({} IS NOT NULL) instead of NOT NULL, or run it in a "
                          "maintenance window",
                          quoted));
  }
}

}  // namespace

const Rule k_set_not_null_scans{
    "PG105",
    "set-not-null-scans",
    Level::error,
    "SET NOT NULL without a validated CHECK (col IS NOT NULL) first: the whole table is scanned "
    "under an exclusive lock",
    check,
    Runs::always,
    Weight::rows};

}  // namespace retort::lint
