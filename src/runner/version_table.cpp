// The version table: reading heads, creating it, and checked single-row writes.
#include "runner/version_table.hpp"

#include "retort/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace retort::runner {

std::string sql_literal(const std::string& value) {
  std::string out = "'";
  for (const char ch : value) {
    out += ch;
    if (ch == '\'') {
      out += '\'';
    }
  }
  out += "'";
  return out;
}

std::string sql_literal(const std::string& value, driver::Dialect dialect) {
  if (dialect != driver::Dialect::postgres || value.find('\\') == std::string::npos) {
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

std::string quote_identifier(const std::string& name) {
  // Words that cannot stand bare as a table name in either dialect.
  static const std::array<std::string_view, 12> k_reserved{"all",    "and",   "check", "column",
                                                           "create", "from",  "group", "order",
                                                           "select", "table", "user",  "where"};
  bool plain =
      !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_');
  for (const char ch : name) {
    plain = plain && (std::islower(static_cast<unsigned char>(ch)) != 0 ||
                      std::isdigit(static_cast<unsigned char>(ch)) != 0 || ch == '_');
  }
  if (plain && std::find(k_reserved.begin(), k_reserved.end(), name) == k_reserved.end()) {
    return name;
  }
  std::string out = "\"";
  for (const char ch : name) {
    out += ch;
    if (ch == '"') {
      out += '"';
    }
  }
  out += '"';
  return out;
}

VersionTable::VersionTable(driver::Connection* connection, std::string table, std::string schema)
    : m_connection(connection), m_table(std::move(table)), m_schema(std::move(schema)) {
  m_qualified = qualified_name(m_table, m_schema);
}

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
  if (connection.dialect() == driver::Dialect::sqlite) {
    const std::array<driver::Value, 1> params{name};
    return !connection
                .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", params)
                .empty();
  }
  const std::array<driver::Value, 1> params{qualified};
  const driver::Rows rows = connection.query("SELECT to_regclass($1)::text", params);
  return !rows.empty() && rows.rows[0][0].has_value();
}

std::string qualified_name(const std::string& table, const std::string& schema) {
  return schema.empty() ? quote_identifier(table)
                        : quote_identifier(schema) + "." + quote_identifier(table);
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
      m_qualified, quote_identifier(m_table + "_pkc"));
}

std::optional<std::size_t> VersionTable::width() {
  if (m_connection->dialect() != driver::Dialect::postgres) {
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

}  // namespace retort::runner
