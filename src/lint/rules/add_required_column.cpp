// PG104 add-required-column: ADD COLUMN ... NOT NULL without a DEFAULT on a table that exists
// fails as soon as the table has a row ("column contains null values"), and once it is in,
// the release still running fails on every INSERT that does not name the new column. A
// default (a constant one adds instantly since PostgreSQL 11), an identity or a generated
// column fills the existing rows and is not reported; nor is a table created earlier in the
// migration.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

bool fills_itself(const PgQuery__ColumnDef& column) {
  if (column_default(&column) != nullptr ||
      (column.identity != nullptr && column.identity[0] != '\0') ||
      (column.generated != nullptr && column.generated[0] != '\0')) {
    return true;
  }
  for (const PgQuery__Constraint* constraint : column_constraints(&column)) {
    if (constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY ||
        constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED) {
      return true;
    }
  }
  const std::string type = type_name(column.type_name);
  return type.find("serial") != std::string::npos;
}

bool not_null(const PgQuery__ColumnDef& column) {
  if (column.is_not_null) {
    return true;
  }
  for (const PgQuery__Constraint* constraint : column_constraints(&column)) {
    if (constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL ||
        constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) {
      return true;
    }
  }
  return false;
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  std::string table;
  const PgQuery__AlterTableStmt* alter = live_alter(pass, stmt, table);
  if (alter == nullptr) {
    return;
  }
  for (const PgQuery__AlterTableCmd* command : alter_commands(alter)) {
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || command->def == nullptr ||
        command->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF ||
        command->def->column_def == nullptr) {
      continue;
    }
    const PgQuery__ColumnDef& column = *command->def->column_def;
    if (!not_null(column) || fills_itself(column)) {
      continue;
    }
    const std::string name = column.colname == nullptr ? "" : column.colname;
    const std::string qualified = quote_qualified(table);
    const std::string quoted = quote_identifier(name);
    report.add(
        stmt, column.location,
        fmt::format("ADD COLUMN {}.{} NOT NULL without a default fails on a table with rows", table,
                    name),
        fmt::format("the existing rows of {} have no value for {}, so the ALTER fails (\"column "
                    "contains null values\") unless the table is empty; and once it is in, the "
                    "running release's INSERTs that do not name {} fail",
                    table, name, name),
        fmt::format("add it with a constant default (instant since PostgreSQL 11), or nullable "
                    "and backfilled, then require it:\n"
                    "    ALTER TABLE {0} ADD COLUMN {1} {2} NOT NULL DEFAULT <value>;\n"
                    "or: ADD COLUMN {1} {2}; backfill in batches; then "
                    "ADD CONSTRAINT {3}_{4}_not_null CHECK ({1} IS NOT NULL) NOT VALID, VALIDATE "
                    "it, and SET NOT NULL (see PG105)",
                    qualified, quoted, type_display(column.type_name), unqualified(table), name));
  }
}

}  // namespace

const Rule k_add_required_column{
    "PG104", "add-required-column", Level::error,
    "ADD COLUMN ... NOT NULL without a default on a table that exists: fails on the first row, "
    "or breaks the running application's inserts",
    check};

}  // namespace retort::lint
