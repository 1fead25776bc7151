// The canonical SQL of a schema model, in an order that loads, one piece per object.
#include "schema/dump.hpp"

#include "base/identifier.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace retort::schema {

namespace {

// Builds the pieces, each comment placed right after the object it is on.
class Dumper {
 public:
  explicit Dumper(const Schema& schema) : m_comments(schema.comments) {}

  void add(const std::string& kind, const std::string& name, const std::string& file,
           std::string sql, const std::vector<std::string>& comment_targets = {}) {
    for (const std::string& target : comment_targets) {
      const auto comment = m_comments.find(target);
      if (comment != m_comments.end()) {
        sql += "COMMENT ON " + target + " IS " + comment->second + ";\n";
        m_comments.erase(comment);
      }
    }
    m_pieces.push_back({kind, name, file, std::move(sql)});
  }

  // Comments on what the model holds but no piece created (a view's columns).
  void rest_of_comments() {
    for (const auto& [target, text] : m_comments) {
      m_pieces.push_back(
          {"comment", target, "comments.sql", "COMMENT ON " + target + " IS " + text + ";\n"});
    }
    m_comments.clear();
  }

  std::vector<Piece> take() { return std::move(m_pieces); }

 private:
  std::map<std::string, std::string> m_comments;
  std::vector<Piece> m_pieces;
};

std::string file(const std::string& directory, const std::string& name) {
  return directory + "/" + file_stem(name) + ".sql";
}

// "integer, text" -> "integer,text": how pg_identify_object spells a signature.
std::string compact(const std::string& types) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (!(types[i] == ' ' && i > 0 && types[i - 1] == ',')) {
      out += types[i];
    }
  }
  return out;
}

std::string literal(std::string_view text) { return base::quote_literal(text); }

}  // namespace

std::vector<std::string> dependency_order(
    const std::map<std::string, std::vector<std::string>>& depends_on) {
  std::map<std::string, int> waiting;
  std::map<std::string, std::vector<std::string>> dependants;
  for (const auto& [key, deps] : depends_on) {
    waiting[key];
    for (const std::string& dep : deps) {
      if (depends_on.contains(dep) && dep != key) {
        ++waiting[key];
        dependants[dep].push_back(key);
      }
    }
  }
  std::set<std::string> ready;
  for (const auto& [key, count] : waiting) {
    if (count == 0) {
      ready.insert(key);
    }
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    const std::string key = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(key);
    for (const std::string& dependant : dependants[key]) {
      if (--waiting[dependant] == 0) {
        ready.insert(dependant);
      }
    }
    waiting.erase(key);
  }
  for (const auto& [key, count] : waiting) {
    if (count > 0) {
      order.push_back(key);
    }
  }
  return order;
}

std::string column_sql(const Column& column) {
  std::string sql = column.ident + " " + column.type;
  if (!column.collation.empty()) {
    sql += " COLLATE " + column.collation;
  }
  if (!column.generated.empty()) {
    sql += " GENERATED ALWAYS AS (" + column.generated + ") STORED";
  }
  if (!column.identity.empty()) {
    sql += " GENERATED " + column.identity + " AS IDENTITY";
    if (!column.identity_options.empty()) {
      sql += " (" + column.identity_options + ")";
    }
  }
  if (!column.default_expr.empty() && !column.default_calls_function) {
    sql += " DEFAULT " + column.default_expr;
  }
  if (column.not_null) {
    sql += " NOT NULL";
  }
  return sql;
}

namespace {

// How deep a partition sits under its root: parents are created before their partitions.
int partition_depth(const Schema& schema, const Table& table) {
  int depth = 0;
  const Table* current = &table;
  while (!current->partition_of.empty() && depth < 64) {
    const Table* parent = nullptr;
    for (const auto& [key, candidate] : schema.tables) {
      if (candidate.ident == current->partition_of) {
        parent = &candidate;
        break;
      }
    }
    ++depth;
    if (parent == nullptr) {
      break;
    }
    current = parent;
  }
  return depth;
}

// What a partition sets on its columns apart from its parent: a default, NOT NULL. PARTITION
// OF takes the parent's columns as they are, so these follow it.
std::string partition_column_sql(const Schema& schema, const Table& table) {
  const Table* parent = nullptr;
  for (const auto& [key, candidate] : schema.tables) {
    if (candidate.ident == table.partition_of) {
      parent = &candidate;
    }
  }
  if (parent == nullptr) {
    return {};
  }
  std::string sql;
  for (const Column& column : table.columns) {
    const auto inherited =
        std::find_if(parent->columns.begin(), parent->columns.end(),
                     [&](const Column& candidate) { return candidate.name == column.name; });
    if (inherited == parent->columns.end()) {
      continue;
    }
    const std::string alter = "ALTER TABLE ONLY " + table.ident + " ALTER COLUMN " + column.ident;
    if (column.default_expr != inherited->default_expr && !column.default_calls_function &&
        column.generated.empty()) {
      sql +=
          alter +
          (column.default_expr.empty() ? " DROP DEFAULT" : " SET DEFAULT " + column.default_expr) +
          ";\n";
    }
    if (column.not_null && !inherited->not_null) {
      sql += alter + " SET NOT NULL;\n";
    }
  }
  return sql;
}

std::string table_create_sql(const Table& table) {
  std::string sql =
      std::string("CREATE ") + (table.unlogged ? "UNLOGGED " : "") + "TABLE " + table.ident;
  if (!table.partition_of.empty()) {
    // A partition's columns are its parent's.
    sql += " PARTITION OF " + table.partition_of + "\n" + table.partition_bound;
  } else if (table.columns.empty()) {
    sql += " (\n)";
  } else {
    sql += " (\n";
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      sql += "    " + column_sql(table.columns[i]) + (i + 1 < table.columns.size() ? ",\n" : "\n");
    }
    sql += ")";
  }
  if (table.partitioned) {
    sql += "\nPARTITION BY " + table.partition_key;
  }
  if (!table.options.empty()) {
    sql += "\nWITH (" + table.options + ")";
  }
  return sql + ";\n";
}

// The functions that need a view to exist when they are created, directly or through another
// such function.
std::set<std::string> functions_after_views(const Schema& schema) {
  std::set<std::string> late;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [key, function] : schema.functions) {
      if (late.contains(key)) {
        continue;
      }
      for (const std::string& dep : function.depends_on) {
        if (schema.views.contains(dep) || late.contains(dep)) {
          late.insert(key);
          grew = true;
          break;
        }
      }
    }
  }
  return late;
}

void dump_postgres(const Schema& schema, Dumper& out) {
  for (const auto& [name, ident] : schema.schemas) {
    out.add("schema", ident, file("schemas", name), "CREATE SCHEMA IF NOT EXISTS " + ident + ";\n",
            {"SCHEMA " + ident});
  }
  for (const auto& [name, extension] : schema.extensions) {
    out.add("extension", extension.ident, file("extensions", name),
            "CREATE EXTENSION IF NOT EXISTS " + extension.ident + " WITH SCHEMA " +
                extension.schema + " VERSION " + literal(extension.version) + ";\n",
            {"EXTENSION " + extension.ident});
  }
  for (const auto& [key, type] : schema.enums) {
    std::string sql = "CREATE TYPE " + type.ident + " AS ENUM (";
    for (std::size_t i = 0; i < type.labels.size(); ++i) {
      sql += std::string(i == 0 ? "\n" : ",\n") + "    " + type.labels[i];
    }
    sql += type.labels.empty() ? ");\n" : "\n);\n";
    out.add("type", type.ident, file("types", key), sql, {"TYPE " + type.ident});
  }
  for (const auto& [key, domain] : schema.domains) {
    std::string sql = "CREATE DOMAIN " + domain.ident + " AS " + domain.base_type;
    if (!domain.collation.empty()) {
      sql += " COLLATE " + domain.collation;
    }
    if (!domain.default_expr.empty()) {
      sql += " DEFAULT " + domain.default_expr;
    }
    if (domain.not_null) {
      sql += " NOT NULL";
    }
    std::vector<std::string> targets = {"DOMAIN " + domain.ident};
    for (const auto& [name, check] : domain.checks) {
      sql += "\n    CONSTRAINT " + name + " " + check;
      targets.push_back("CONSTRAINT " + name + " ON DOMAIN " + domain.ident);
    }
    out.add("domain", domain.ident, file("types", key), sql + ";\n", targets);
  }
  for (const auto& [key, type] : schema.composites) {
    std::string sql = "CREATE TYPE " + type.ident + " AS (";
    std::vector<std::string> targets = {"TYPE " + type.ident};
    for (std::size_t i = 0; i < type.attributes.size(); ++i) {
      const Column& attribute = type.attributes[i];
      sql += std::string(i == 0 ? "\n" : ",\n") + "    " + attribute.ident + " " + attribute.type;
      if (!attribute.collation.empty()) {
        sql += " COLLATE " + attribute.collation;
      }
      targets.push_back("COLUMN " + type.ident + "." + attribute.ident);
    }
    sql += type.attributes.empty() ? ");\n" : "\n);\n";
    out.add("composite type", type.ident, file("types", key), sql, targets);
  }
  for (const auto& [key, sequence] : schema.sequences) {
    std::string sql = "CREATE SEQUENCE " + sequence.ident + " AS " + sequence.type +
                      " START WITH " + sequence.start + " INCREMENT BY " + sequence.increment +
                      " MINVALUE " + sequence.min + " MAXVALUE " + sequence.max + " CACHE " +
                      sequence.cache + (sequence.cycle ? " CYCLE" : " NO CYCLE") + ";\n";
    out.add("sequence", sequence.ident, file("sequences", key), sql,
            {"SEQUENCE " + sequence.ident});
  }

  // Tables: partitions after their parents, each level in key order.
  std::vector<std::pair<int, std::string>> table_order;
  for (const auto& [key, table] : schema.tables) {
    table_order.emplace_back(partition_depth(schema, table), key);
  }
  std::sort(table_order.begin(), table_order.end());
  for (const auto& [depth, key] : table_order) {
    const Table& table = schema.tables.at(key);
    std::vector<std::string> targets = {"TABLE " + table.ident};
    for (const Column& column : table.columns) {
      targets.push_back("COLUMN " + table.ident + "." + column.ident);
    }
    std::string sql = table_create_sql(table);
    if (!table.partition_of.empty()) {
      sql += partition_column_sql(schema, table);
    }
    out.add("table", table.ident, file("tables", key), sql, targets);
  }

  // check_function_bodies is off (the header), so a body may name what comes later; but a
  // signature naming a view's row type, or a BEGIN ATOMIC body, needs what it names to exist:
  // such a function is created among the views, after them.
  const std::set<std::string> late = functions_after_views(schema);
  auto add_function = [&](const Function& function) {
    const std::string stem =
        function.schema + "." + function.name + "(" + function.argument_types + ")";
    out.add(function.procedure ? "procedure" : "function", function.ident,
            file(function.procedure ? "procedures" : "functions", stem),
            function.definition + ";\n",
            {std::string(function.procedure ? "PROCEDURE " : "FUNCTION ") +
             function.ident.substr(0, function.ident.size() - function.arguments.size() - 2) + "(" +
             compact(function.argument_types) + ")"});
  };
  std::map<std::string, std::vector<std::string>> function_edges;
  for (const auto& [key, function] : schema.functions) {
    if (!late.contains(key)) {
      function_edges[key] = function.depends_on;
    }
  }
  for (const std::string& key : dependency_order(function_edges)) {
    add_function(schema.functions.at(key));
  }

  for (const auto& [depth, key] : table_order) {
    const Table& table = schema.tables.at(key);
    for (const Column& column : table.columns) {
      if (column.default_calls_function && !column.default_expr.empty()) {
        out.add("default", table.ident + "." + column.ident, file("tables", key),
                "ALTER TABLE ONLY " + table.ident + " ALTER COLUMN " + column.ident +
                    " SET DEFAULT " + column.default_expr + ";\n");
      }
    }
  }
  for (const auto& [key, sequence] : schema.sequences) {
    if (!sequence.owned_by.empty()) {
      out.add("sequence ownership", sequence.ident, file("sequences", key),
              "ALTER SEQUENCE " + sequence.ident + " OWNED BY " + sequence.owned_by + ";\n");
    }
  }

  // Constraints, foreign keys last (they need the referenced key). A partitioned table's
  // constraint is added without ONLY so that its partitions take it, as they did.
  for (const bool foreign : {false, true}) {
    for (const auto& [depth, key] : table_order) {
      const Table& table = schema.tables.at(key);
      for (const auto& [name, constraint] : table.constraints) {
        if ((constraint.type == 'f') != foreign) {
          continue;
        }
        out.add("constraint", constraint.ident + " ON " + table.ident, file("tables", key),
                "ALTER TABLE " + std::string(table.partitioned ? "" : "ONLY ") + table.ident +
                    " ADD CONSTRAINT " + constraint.ident + " " + constraint.definition + ";\n",
                {"CONSTRAINT " + constraint.ident + " ON " + table.ident});
      }
    }
  }

  auto add_index = [&](const std::string& key, const Index& index, const std::string& directory,
                       const std::string& owner_key) {
    std::string definition = index.definition;
    // pg_get_indexdef writes ON ONLY for a partitioned table's index, whose partitions'
    // indexes are left out as copies: without ONLY the server makes them again.
    const auto table = schema.tables.find(index.table_key);
    if (table != schema.tables.end() && table->second.partitioned) {
      const std::size_t only = definition.find(" ON ONLY ");
      if (only != std::string::npos) {
        definition.erase(only + 3, 5);
      }
    }
    std::string sql;
    if (!index.valid) {
      sql +=
          "-- INVALID on the server (a CREATE INDEX CONCURRENTLY that failed): rebuild or "
          "drop it\n";
    }
    (void)key;
    out.add("index", index.ident, file(directory, owner_key), sql + definition + ";\n",
            {"INDEX " + index.ident});
  };
  for (const auto& [key, index] : schema.indexes) {
    if (schema.tables.contains(index.table_key)) {
      add_index(key, index, "tables", index.table_key);
    }
  }

  std::map<std::string, std::vector<std::string>> view_edges;
  for (const auto& [key, view] : schema.views) {
    view_edges[key] = view.depends_on;
  }
  for (const std::string& key : late) {
    view_edges[key] = schema.functions.at(key).depends_on;
  }
  for (const std::string& key : dependency_order(view_edges)) {
    if (late.contains(key)) {
      add_function(schema.functions.at(key));
      continue;
    }
    const View& view = schema.views.at(key);
    const std::string kind = view.materialized ? "MATERIALIZED VIEW" : "VIEW";
    std::string sql = "CREATE " + kind + " " + view.ident;
    if (!view.options.empty()) {
      sql += " WITH (" + view.options + ")";
    }
    sql += " AS\n" + view.definition + ";\n";
    out.add(view.materialized ? "materialized view" : "view", view.ident,
            file(view.materialized ? "materialized_views" : "views", key), sql,
            {kind + " " + view.ident});
  }
  for (const auto& [key, index] : schema.indexes) {
    if (schema.views.contains(index.table_key)) {
      add_index(key, index, "materialized_views", index.table_key);
    }
  }

  for (const auto& [key, trigger] : schema.triggers) {
    std::string sql = trigger.definition + ";\n";
    const std::string state = trigger.enabled == 'D'   ? "DISABLE"
                              : trigger.enabled == 'R' ? "ENABLE REPLICA"
                              : trigger.enabled == 'A' ? "ENABLE ALWAYS"
                                                       : "";
    if (!state.empty()) {
      sql += "ALTER TABLE " + trigger.table + " " + state + " TRIGGER " + trigger.ident + ";\n";
    }
    out.add("trigger", trigger.ident + " ON " + trigger.table, file("triggers", key), sql,
            {"TRIGGER " + trigger.ident + " ON " + trigger.table});
  }

  for (const auto& [depth, key] : table_order) {
    const Table& table = schema.tables.at(key);
    if (table.row_security) {
      out.add("row level security", table.ident, file("tables", key),
              "ALTER TABLE " + table.ident + " ENABLE ROW LEVEL SECURITY;\n");
    }
    if (table.force_row_security) {
      out.add("row level security", table.ident, file("tables", key),
              "ALTER TABLE " + table.ident + " FORCE ROW LEVEL SECURITY;\n");
    }
  }
  for (const auto& [key, policy] : schema.policies) {
    std::string sql = "CREATE POLICY " + policy.ident + " ON " + policy.table + " AS " +
                      (policy.permissive ? "PERMISSIVE" : "RESTRICTIVE") + " FOR " +
                      policy.command + " TO " + policy.roles;
    if (!policy.using_expr.empty()) {
      sql += " USING (" + policy.using_expr + ")";
    }
    if (!policy.check_expr.empty()) {
      sql += " WITH CHECK (" + policy.check_expr + ")";
    }
    out.add("policy", policy.ident + " ON " + policy.table, file("tables", policy.table_key),
            sql + ";\n", {"POLICY " + policy.ident + " ON " + policy.table});
  }
  out.rest_of_comments();
}

// Whether `word` appears in `text` as a whole identifier (SQLite views name what they read
// only in their text).
bool mentions(const std::string& text, const std::string& word) {
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  auto lower = [](std::string value) {
    for (char& c : value) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return value;
  };
  const std::string haystack = lower(text);
  const std::string needle = lower(word);
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    const bool starts = at == 0 || !is_word(haystack[at - 1]);
    const std::size_t end = at + needle.size();
    const bool ends = end >= haystack.size() || !is_word(haystack[end]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

// SQLite: the CREATE texts sqlite_schema keeps, tables, indexes, views (readers after what
// they read), triggers.
void dump_sqlite(const Schema& schema, Dumper& out) {
  for (const auto& [key, table] : schema.tables) {
    out.add("table", table.ident, file("tables", key), table.sql + ";\n");
  }
  for (const auto& [key, index] : schema.indexes) {
    out.add("index", index.ident, file("tables", index.table_key), index.definition + ";\n");
  }
  std::map<std::string, std::vector<std::string>> view_edges;
  for (const auto& [key, view] : schema.views) {
    std::vector<std::string>& deps = view_edges[key];
    for (const auto& [other, unused] : schema.views) {
      if (other != key && mentions(view.definition, other)) {
        deps.push_back(other);
      }
    }
  }
  for (const std::string& key : dependency_order(view_edges)) {
    const View& view = schema.views.at(key);
    out.add("view", view.ident, file("views", key), view.definition + ";\n");
  }
  for (const auto& [key, trigger] : schema.triggers) {
    out.add("trigger", trigger.ident + " ON " + trigger.table, file("triggers", key),
            trigger.definition + ";\n");
  }
}

}  // namespace

std::string file_stem(const std::string& name) {
  std::string stem;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ' ' && i > 0 && name[i - 1] == ',') {
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    const bool unsafe = byte < 0x20 || byte == 0x7f || c == '/' || c == '\\' || c == '%' ||
                        c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
                        c == '|' || (i == 0 && c == '.');
    if (unsafe) {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned>(byte));
      stem += escaped;
    } else {
      stem += c;
    }
  }
  return stem;
}

std::vector<Piece> dump_pieces(const Schema& schema) {
  Dumper out(schema);
  if (schema.flavor == Flavor::sqlite) {
    dump_sqlite(schema, out);
  } else {
    dump_postgres(schema, out);
  }
  return out.take();
}

std::string dump_sql(const Schema& schema) {
  std::string sql;
  if (schema.flavor == Flavor::postgres) {
    sql += "-- Schema of a " + schema.server_version + " database, by retort schema dump.\n";
    // Function bodies are checked when they run, not when the dump loads: a body may name a
    // table or view created further down, as pg_dump's output does.
    sql += "SET check_function_bodies = false;\n";
  } else {
    sql += "-- Schema of a " + schema.server_version + " database, by retort schema dump.\n";
  }
  for (const Piece& piece : dump_pieces(schema)) {
    sql += "\n" + piece.sql;
  }
  return sql;
}

}  // namespace retort::schema
