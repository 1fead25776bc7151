// Reads a SQLite database's schema: sqlite_schema for the CREATE texts (SQLite keeps the
// user's own, its only renderer) and the table-valued PRAGMAs for the structure.
#include "base/identifier.hpp"
#include "schema/reader.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

namespace retort::schema {

namespace {

std::string text(const driver::Value& value) { return value.value_or(std::string()); }

// SQLite's quoting of a name, by the one rule retort quotes SQLite names with.
std::string quote(const std::string& name) {
  return base::quote_identifier(name, base::Dialect::sqlite);
}

}  // namespace

Schema read_sqlite(driver::Connection& connection, const ReadOptions& options) {
  Schema schema;
  schema.flavor = Flavor::sqlite;
  schema.server_version = connection.server_version();
  const std::set<std::string> exclude(options.exclude_tables.begin(), options.exclude_tables.end());
  int queries = 0;
  auto query = [&](const char* sql) {
    ++queries;
    return connection.query(sql);
  };
  // sqlite_% objects are SQLite's own (sqlite_sequence, sqlite_stat1, autoindexes).
  const driver::Rows objects = query(
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' "
      "ESCAPE '\\' AND sql IS NOT NULL ORDER BY type, name");
  for (const auto& row : objects.rows) {
    const std::string type = text(row[0]);
    const std::string name = text(row[1]);
    const std::string table = text(row[2]);
    if (exclude.contains(table)) {
      continue;
    }
    if (type == "table") {
      Table entry;
      entry.schema = "main";
      entry.name = name;
      entry.ident = quote(name);
      entry.sql = text(row[3]);
      schema.tables.emplace(name, std::move(entry));
    } else if (type == "index") {
      Index index;
      index.schema = "main";
      index.name = name;
      index.ident = quote(name);
      index.table = quote(table);
      index.table_key = table;
      index.definition = text(row[3]);
      schema.indexes.emplace(name, std::move(index));
    } else if (type == "view") {
      View view;
      view.schema = "main";
      view.name = name;
      view.ident = quote(name);
      view.definition = text(row[3]);
      schema.views.emplace(name, std::move(view));
    } else if (type == "trigger") {
      Trigger trigger;
      trigger.name = name;
      trigger.ident = quote(name);
      trigger.table = quote(table);
      trigger.table_key = table;
      trigger.definition = text(row[3]);
      schema.triggers.emplace(table + "." + name, std::move(trigger));
    } else {
      schema.unsupported.push_back({type, name});
    }
  }

  // Columns, including generated ones (hidden 2 virtual, 3 stored), in declaration order.
  const driver::Rows columns = query(
      "SELECT m.name, c.name, c.type, c.\"notnull\", c.dflt_value, c.hidden FROM sqlite_schema m "
      "JOIN pragma_table_xinfo(m.name) c WHERE m.type = 'table' ORDER BY m.name, c.cid");
  for (const auto& row : columns.rows) {
    const auto table = schema.tables.find(text(row[0]));
    if (table == schema.tables.end()) {
      continue;
    }
    Column column;
    column.name = text(row[1]);
    column.ident = quote(column.name);
    column.type = text(row[2]);
    column.not_null = text(row[3]) == "1";
    const std::string hidden = text(row[5]);
    if (hidden == "2" || hidden == "3") {
      column.generated = "generated";  // SQLite's PRAGMAs do not give the expression
    } else {
      column.default_expr = text(row[4]);
    }
    table->second.columns.push_back(std::move(column));
  }

  // Foreign keys, one row per column pair; id groups the pairs of one constraint.
  const driver::Rows keys = query(
      "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete FROM "
      "sqlite_schema m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY "
      "m.name, f.id, f.seq");
  for (const auto& row : keys.rows) {
    const auto table = schema.tables.find(text(row[0]));
    if (table == schema.tables.end()) {
      continue;
    }
    const std::string name = "fk" + text(row[1]);
    Constraint& constraint = table->second.constraints[name];
    constraint.name = name;
    constraint.ident = name;
    constraint.type = 'f';
    // Built as (from...) -> table(to...) ON UPDATE ... ON DELETE ...; pairs appended in order.
    std::string& definition = constraint.definition;
    const std::string from = quote(text(row[3]));
    const std::string to = quote(text(row[4]));
    if (definition.empty()) {
      definition = "FOREIGN KEY (" + from + ") REFERENCES " + quote(text(row[2])) + " (" + to +
                   ") ON UPDATE " + text(row[5]) + " ON DELETE " + text(row[6]);
    } else {
      definition.insert(definition.find(") REFERENCES "), ", " + from);
      definition.insert(definition.find(") ON UPDATE "), ", " + to);
    }
  }

  // Index key columns and uniqueness, for the indexes sqlite_schema lists.
  const driver::Rows index_columns = query(
      "SELECT l.name, l.\"unique\", x.name FROM sqlite_schema m JOIN pragma_index_list(m.name) "
      "l JOIN pragma_index_xinfo(l.name) x WHERE m.type = 'table' AND x.key = 1 ORDER BY "
      "l.name, x.seqno");
  for (const auto& row : index_columns.rows) {
    const auto index = schema.indexes.find(text(row[0]));
    if (index == schema.indexes.end()) {
      continue;
    }
    index->second.unique = text(row[1]) == "1";
    // An expression key has no name.
    index->second.columns.push_back(row[2] ? quote(*row[2]) : "<expression>");
  }
  schema.catalog_queries = queries;
  std::sort(schema.unsupported.begin(), schema.unsupported.end());
  return schema;
}

}  // namespace retort::schema
