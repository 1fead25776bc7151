// The version table (retort_version, or alembic_version when adopting an Alembic database):
// one row per current head, exactly like Alembic's. Every write checks it touched one row.
#pragma once

#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace retort::runner {

class VersionTable {
 public:
  // table and schema as configured; an empty schema means the connection's default.
  // The SQL is the same in both dialects but for the quoting of names.
  VersionTable(driver::Connection* connection, std::string table, std::string schema);
  // A table used only to write SQL text for the dialect (--sql), with no connection.
  VersionTable(base::Dialect dialect, std::string table, std::string schema);

  // The table's name as SQL, quoted and schema-qualified.
  [[nodiscard]] const std::string& qualified() const noexcept { return m_qualified; }
  [[nodiscard]] bool exists();
  // The version rows, sorted; empty when the table does not exist.
  [[nodiscard]] std::vector<std::string> heads();
  void create_if_missing();
  // The most characters version_num holds, read from the catalog: PostgreSQL enforces a
  // varchar(N) (Alembic's alembic_version is varchar(32)); nullopt when the table does not exist
  // yet, has no limit, or the database does not enforce one (SQLite).
  [[nodiscard]] std::optional<std::size_t> width();
  // Applies one change; throws Error when it touched other than exactly one row (someone else
  // changed the version table under us).
  void apply(const graph::VersionOp& op);
  // One change as a statement with parameters ($1, $2), without RETURNING: what apply() runs,
  // for a caller that runs it together with another statement (the ledger's `ok`).
  struct Change {
    std::string sql;
    std::vector<driver::Value> params;
  };
  [[nodiscard]] Change change_of(const graph::VersionOp& op) const;

  // The SQL text of the same operations, for --sql.
  [[nodiscard]] std::string create_sql() const;
  [[nodiscard]] std::string op_sql(const graph::VersionOp& op) const;

 private:
  driver::Connection* m_connection;  // null: SQL text only (--sql)
  base::Dialect m_dialect;
  std::string m_table;
  std::string m_schema;
  std::string m_qualified;
};

// A string literal for SQL text ('it''s'). Only for --sql output and fixed identifiers; values
// sent to the database go as parameters.
[[nodiscard]] std::string sql_literal(const std::string& value);

// The same for a dialect. PostgreSQL: text with a backslash becomes an escape string
// (E'a\\b''c'), which reads the same whatever standard_conforming_strings is, so text written
// by a user (a --reason, a message) cannot close the literal when a script runs where the
// setting is off.
[[nodiscard]] std::string sql_literal(const std::string& value, base::Dialect dialect);

// The error of a version-table write that touched other than exactly one row.
[[nodiscard]] Error version_conflict(const std::string& qualified, const graph::VersionOp& op,
                                     const std::string& touched);

// Whether a table exists. name as stored (SQLite looks it up in sqlite_master); qualified as
// SQL text, schema-qualified where configured (PostgreSQL resolves it with to_regclass).
[[nodiscard]] bool table_exists(driver::Connection& connection, const std::string& name,
                                const std::string& qualified);

// PostgreSQL: an expression of the version table's qualified name, the key of the run lock and
// the lease, from $1 (version_table_schema, '' for none) and $2 (version_table): the schema
// configured, else the one where the search_path finds the table, else the session's first.
[[nodiscard]] std::string version_table_key_sql();

}  // namespace retort::runner
