// What several lint rules ask of one statement, beyond reading its tree: the columns whose type
// it chooses (CREATE TABLE's, ADD COLUMN's and ALTER COLUMN ... TYPE's, for the rules about
// types, PG401-PG406), the table whose data it changes or which it locks, whether an enum or
// the altered table is the migration's own.
#pragma once

#include "lint/analyzer.hpp"
#include "sql/tree.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace retort::lint {

// A column whose type the statement chooses.
struct ColumnType {
  std::string table;  // qualified as written
  std::string column;
  const PgQuery__TypeName* type = nullptr;
  int location = -1;         // of the type, in the statement
  bool primary_key = false;  // column-level PRIMARY KEY, or a one-column table-level one
  bool identity = false;     // GENERATED ... AS IDENTITY
  bool altered = false;      // ALTER COLUMN ... TYPE rather than a new column
};

[[nodiscard]] std::vector<ColumnType> column_types(const PgQuery__Node* statement);

// The table a data change writes (UPDATE, DELETE, MERGE, and INSERT ... SELECT: an INSERT of
// VALUES adds a few rows and is not counted), qualified as written; empty for anything else.
[[nodiscard]] std::string data_change_target(const PgQuery__Node* statement);

// The table an ALTER TABLE, CREATE INDEX (not CONCURRENTLY), RENAME or DROP TABLE locks for the
// rest of its transaction, qualified as written; empty for anything else.
[[nodiscard]] std::string schema_change_target(const PgQuery__Node* statement);

// Whether an earlier statement of the migration created the enum type `type` (dotted as
// written): PostgreSQL lets a transaction add values to, and use the new values of, an enum it
// created itself.
[[nodiscard]] bool enum_created_earlier(const Pass& pass, const Stmt& stmt,
                                        const std::string& type);

// The integer type a serial type stands for ("integer" for serial and serial4, "bigint",
// "smallint"); empty for any other type.
[[nodiscard]] std::string_view serial_base(std::string_view type);

// The statement's ALTER TABLE when it alters a table that exists before it (not one the
// migration or the run created), with the table's name; null otherwise.
[[nodiscard]] const PgQuery__AlterTableStmt* live_alter(const Pass& pass, const Stmt& stmt,
                                                        std::string& table);

}  // namespace retort::lint
