// The version table: reading heads, creating it, and checked single-row writes.
#include "runner/version_table.hpp"

#include "base/identifier.hpp"
#include "retort/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace retort::runner {

std::string sql_literal(const std::string& value) { return base::quote_literal(value); }

std::string sql_literal(const std::string& value, base::Dialect dialect) {
  if (dialect != base::Dialect::postgres || value.find('\\') == std::string::npos) {
    return sql_literal(value);
  }
  std::string out = "E'";
  for (const char ch : value) {
    out += ch;
    if (ch == '\'' || ch == '\\') {
      out += ch;
    }
  }
  out += "'";
  return out;
}

VersionTable::VersionTable(driver::Connection* connection, std::string table, std::string schema)
    : VersionTable(connection->dialect(), std::move(table), std::move(schema)) {
  m_connection = connection;
}

VersionTable::VersionTable(base::Dialect dialect, std::string table, std::string schema)
    : m_connection(nullptr),
      m_dialect(dialect),
      m_table(std::move(table)),
      m_schema(std::move(schema)),
      m_qualified(base::quote_qualified(m_schema, m_table, m_dialect)) {}

Error version_conflict(const std::string& qualified, const graph::VersionOp& op,
                       const std::string& touched) {
  const std::string row = op.kind == graph::VersionOp::Kind::insert ? op.to : op.from;
  Error error(ExitCode::failed,
              fmt::format("the version table {} changed under this run: the change of row '{}' "
                          "touched {} rows instead of 1",
                          qualified, row, touched));
  error.state("this migration was rolled back; another process may be migrating this database")
      .next("retort current -v   (then retry the command)");
  return error;
}

bool table_exists(driver::Connection& connection, const std::string& name,
                  const std::string& qualified) {
  if (connection.dialect() == base::Dialect::sqlite) {
    const std::array<driver::Value, 1> params{name};
    return !connection
                .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", params)
                .empty();
  }
  const std::array<driver::Value, 1> params{qualified};
  const driver::Rows rows = connection.query("SELECT to_regclass($1)::text", params);
  return !rows.empty() && rows.rows[0][0].has_value();
}

bool VersionTable::exists() { return table_exists(*m_connection, m_table, m_qualified); }

std::vector<std::string> VersionTable::heads() {
  if (!exists()) {
    return {};
  }
  const driver::Rows rows =
      m_connection->query(fmt::format("SELECT version_num FROM {}", m_qualified));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& row : rows.rows) {
    if (row[0]) {
      out.push_back(*row[0]);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string VersionTable::create_sql() const {
  // Exactly alembic_version's shape (varchar rather than varchar(32): ids may be 64 long).
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (\n"
      "    version_num VARCHAR(64) NOT NULL,\n"
      "    CONSTRAINT {} PRIMARY KEY (version_num)\n"
      ")",
      m_qualified, base::quote_identifier(m_table + "_pkc", m_dialect));
}

std::optional<std::size_t> VersionTable::width() {
  if (m_connection->dialect() != base::Dialect::postgres) {
    return std::nullopt;
  }
  // A varchar(N)'s atttypmod is N + 4; -1 for an unlimited one.
  const std::array<driver::Value, 1> params{m_qualified};
  const driver::Rows rows = m_connection->query(
      "SELECT a.atttypmod - 4 FROM pg_attribute AS a WHERE a.attrelid = to_regclass($1) AND "
      "a.attname = 'version_num' AND a.atttypmod > 4",
      params);
  if (rows.empty() || !rows.rows[0][0]) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::strtoul(rows.rows[0][0]->c_str(), nullptr, 10));
}

void VersionTable::create_if_missing() {
  if (!exists()) {
    m_connection->execute(create_sql());
  }
}

std::string VersionTable::op_sql(const graph::VersionOp& op) const {
  switch (op.kind) {
    case graph::VersionOp::Kind::insert:
      return fmt::format("INSERT INTO {} (version_num) VALUES ({})", m_qualified,
                         sql_literal(op.to));
    case graph::VersionOp::Kind::update:
      return fmt::format("UPDATE {} SET version_num = {} WHERE version_num = {}", m_qualified,
                         sql_literal(op.to), sql_literal(op.from));
    case graph::VersionOp::Kind::remove:
      return fmt::format("DELETE FROM {} WHERE version_num = {}", m_qualified,
                         sql_literal(op.from));
  }
  return {};
}

VersionTable::Change VersionTable::change_of(const graph::VersionOp& op) const {
  switch (op.kind) {
    case graph::VersionOp::Kind::insert:
      return {fmt::format("INSERT INTO {} (version_num) VALUES ($1)", m_qualified), {op.to}};
    case graph::VersionOp::Kind::update:
      return {fmt::format("UPDATE {} SET version_num = $1 WHERE version_num = $2", m_qualified),
              {op.to, op.from}};
    case graph::VersionOp::Kind::remove:
      return {fmt::format("DELETE FROM {} WHERE version_num = $1", m_qualified), {op.from}};
  }
  return {};
}

void VersionTable::apply(const graph::VersionOp& op) {
  const Change change = change_of(op);
  const driver::Rows rows =
      m_connection->query(change.sql + " RETURNING version_num", change.params);
  if (rows.size() != 1) {
    throw version_conflict(m_qualified, op, std::to_string(rows.size()));
  }
}

// Runners agree on the key even when a migration created a schema earlier on the path.
std::string version_table_key_sql() {
  return "coalesce(nullif($1, ''), (SELECT n.nspname FROM pg_catalog.pg_class c JOIN "
         "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = "
         "pg_catalog.to_regclass(pg_catalog.quote_ident($2))), current_schema()) || '.' || $2";
}

}  // namespace retort::runner
