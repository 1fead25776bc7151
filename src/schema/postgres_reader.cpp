// Reads a PostgreSQL database's schema from its catalog: every definition rendered by the
// server under an empty search_path, one query per kind, one snapshot.
#include "schema/reader.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retort::schema {

namespace {

// Schemas of the user: pg_* are reserved for the system (pg_catalog, pg_toast, pg_temp_N, ...),
// so users cannot have made them.
std::string user_namespace(std::string_view alias) {
  return std::string("(") + std::string(alias) + ".nspname <> 'information_schema' AND " +
         std::string(alias) + ".nspname NOT LIKE 'pg\\_%')";
}

// An object that an extension created belongs to the extension (CREATE EXTENSION makes it
// again), so it is not listed on its own.
std::string not_extension_member(std::string_view catalog, std::string_view oid) {
  return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog." +
         std::string(catalog) + "'::pg_catalog.regclass AND e.objid = " + std::string(oid) +
         " AND e.deptype = 'e')";
}

std::string text(const driver::Value& value) { return value.value_or(std::string()); }
bool flag(const driver::Value& value) { return value.has_value() && *value == "t"; }

// The reading session: counts its queries, so that the dump can show the count stays fixed.
class Reader {
 public:
  explicit Reader(driver::Connection& connection) : m_connection(connection) {}

  driver::Rows query(const std::string& sql) {
    ++m_queries;
    return m_connection.query(sql);
  }
  [[nodiscard]] int queries() const noexcept { return m_queries; }

 private:
  driver::Connection& m_connection;
  int m_queries = 0;
};

// Splits text aggregated with `separator` (the ASCII record and unit separators, which no
// name or definition holds).
std::vector<std::string> split(const std::string& joined, char separator) {
  std::vector<std::string> parts;
  if (joined.empty()) {
    return parts;
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = joined.find(separator, start);
    parts.push_back(joined.substr(start, end - start));
    if (end == std::string::npos) {
      return parts;
    }
    start = end + 1;
  }
}

constexpr char k_record = '\x1e';
constexpr char k_unit = '\x1f';

// The COMMENT ON target for pg_identify_object's type and identity, or empty for a kind the
// model does not cover.
std::string comment_target(const std::string& type, const std::string& identity) {
  static const std::set<std::string> k_plain = {"table", "view",   "materialized view", "sequence",
                                                "index", "schema", "function",          "procedure",
                                                "type",  "domain", "extension"};
  if (k_plain.contains(type)) {
    std::string upper = type;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return upper + " " + identity;
  }
  if (type == "composite type") {
    return "TYPE " + identity;
  }
  if (type.ends_with(" column")) {
    return "COLUMN " + identity;
  }
  // "name on public.t": the object, then the table (or domain) it belongs to.
  const std::size_t on = identity.rfind(" on ");
  if (on == std::string::npos) {
    return {};
  }
  const std::string name = identity.substr(0, on);
  const std::string owner = identity.substr(on + 4);
  if (type == "table constraint") {
    return "CONSTRAINT " + name + " ON " + owner;
  }
  if (type == "domain constraint") {
    return "CONSTRAINT " + name + " ON DOMAIN " + owner;
  }
  if (type == "trigger") {
    return "TRIGGER " + name + " ON " + owner;
  }
  if (type == "policy") {
    return "POLICY " + name + " ON " + owner;
  }
  return {};
}

void read_schemas(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname, pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_namespace n "
      "WHERE " +
      user_namespace("n") + " AND " + not_extension_member("pg_namespace", "n.oid"));
  for (const auto& row : rows.rows) {
    schema.schemas.emplace(text(row[0]), text(row[1]));
  }
}

void read_extensions(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT x.extname, pg_catalog.quote_ident(x.extname), pg_catalog.quote_ident(n.nspname), "
      "x.extversion FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = "
      "x.extnamespace");
  for (const auto& row : rows.rows) {
    Extension extension{text(row[0]), text(row[1]), text(row[2]), text(row[3])};
    schema.extensions.emplace(extension.name, std::move(extension));
  }
}

// Enums (labels in sort order: an ADD VALUE ... BEFORE gives 1.5, and only the order is the
// type's), domains with their checks, and composite types with their attributes.
void read_types(Reader& reader, Schema& schema) {
  const std::string collation =
      "(SELECT pg_catalog.format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation "
      "co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = ";
  const driver::Rows rows = reader.query(
      "SELECT t.typtype, n.nspname, t.typname, pg_catalog.format('%I.%I', n.nspname, "
      "t.typname), "
      "CASE WHEN t.typtype = 'e' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_literal("
      "l.enumlabel), E'\\x1e' ORDER BY l.enumsortorder) FROM pg_catalog.pg_enum l WHERE "
      "l.enumtypid = t.oid) END, "
      "CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, "
      "t.typnotnull, pg_catalog.pg_get_expr(t.typdefaultbin, 0), "
      "CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation "
      "THEN " +
      collation +
      "t.typcollation) END, "
      "CASE WHEN t.typtype = 'd' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_ident("
      "c.conname) || E'\\x1f' || pg_catalog.pg_get_constraintdef(c.oid), E'\\x1e' ORDER BY "
      "c.conname) FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') "
      "END, "
      "CASE WHEN t.typtype = 'c' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_ident("
      "a.attname) || E'\\x1f' || pg_catalog.format_type(a.atttypid, a.atttypmod) || E'\\x1f' || "
      "COALESCE(CASE WHEN a.attcollation <> at.typcollation THEN " +
      collation +
      "a.attcollation) END, ''), E'\\x1e' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a JOIN "
      "pg_catalog.pg_type at ON at.oid = a.atttypid WHERE a.attrelid = t.typrelid AND a.attnum "
      "> 0 AND NOT a.attisdropped) END "
      "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
      "LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype "
      "LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid "
      "WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND r.relkind = 'c')) AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_type", "t.oid"));
  for (const auto& row : rows.rows) {
    const std::string kind = text(row[0]);
    const std::string key = text(row[1]) + "." + text(row[2]);
    if (kind == "e") {
      schema.enums.emplace(
          key, EnumType{text(row[1]), text(row[2]), text(row[3]), split(text(row[4]), k_record)});
    } else if (kind == "d") {
      Domain domain{text(row[1]), text(row[2]), text(row[3]), text(row[5]),
                    text(row[8]), text(row[7]), flag(row[6]), {}};
      for (const std::string& check : split(text(row[9]), k_record)) {
        const std::vector<std::string> fields = split(check, k_unit);
        domain.checks.emplace(fields.at(0), fields.at(1));
      }
      schema.domains.emplace(key, std::move(domain));
    } else {
      CompositeType composite{text(row[1]), text(row[2]), text(row[3]), {}};
      for (const std::string& attribute : split(text(row[10]), k_record)) {
        const std::vector<std::string> fields = split(attribute, k_unit);
        Column column;
        column.ident = fields.at(0);
        column.name = fields.at(0);
        column.type = fields.at(1);
        column.collation = fields.size() > 2 ? fields[2] : std::string();
        composite.attributes.push_back(std::move(column));
      }
      schema.composites.emplace(key, std::move(composite));
    }
  }
}

// Sequences of their own; an identity column's sequence (deptype 'i') is the column's.
void read_sequences(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname, c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), "
      "pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, "
      "s.seqmax, s.seqcache, s.seqcycle, "
      "(SELECT pg_catalog.format('%I.%I.%I', tn.nspname, tc.relname, a.attname) || E'\\x1f' || "
      "tn.nspname || '.' || tc.relname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class tc "
      "ON tc.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace JOIN "
      "pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE "
      "d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND "
      "d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a') "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S' AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid") +
      " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
      "'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i')");
  for (const auto& row : rows.rows) {
    Sequence sequence;
    sequence.schema = text(row[0]);
    sequence.name = text(row[1]);
    sequence.ident = text(row[2]);
    sequence.type = text(row[3]);
    sequence.start = text(row[4]);
    sequence.increment = text(row[5]);
    sequence.min = text(row[6]);
    sequence.max = text(row[7]);
    sequence.cache = text(row[8]);
    sequence.cycle = flag(row[9]);
    const std::vector<std::string> owner = split(text(row[10]), k_unit);
    if (owner.size() == 2) {
      sequence.owned_by = owner[0];
      sequence.owner_table_key = owner[1];
    }
    schema.sequences.emplace(sequence.schema + "." + sequence.name, std::move(sequence));
  }
}

void read_tables(Reader& reader, Schema& schema) {
  const driver::Rows tables = reader.query(
      "SELECT n.nspname, c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), "
      "c.relkind, c.relpersistence, "
      "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, "
      "CASE WHEN c.relispartition THEN (SELECT pg_catalog.format('%I.%I', pn.nspname, "
      "p.relname) FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = "
      "i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid "
      "= c.oid) END, "
      "CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, "
      "pg_catalog.array_to_string(c.reloptions, ', '), c.relrowsecurity, "
      "c.relforcerowsecurity, CASE WHEN c.relkind = 'r' THEN c.reltuples ELSE -1 END "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid"));
  for (const auto& row : tables.rows) {
    Table table;
    table.schema = text(row[0]);
    table.name = text(row[1]);
    table.ident = text(row[2]);
    table.partitioned = text(row[3]) == "p";
    table.unlogged = text(row[4]) == "u";
    table.partition_key = text(row[5]);
    table.partition_of = text(row[6]);
    table.partition_bound = text(row[7]);
    table.options = text(row[8]);
    table.row_security = flag(row[9]);
    table.force_row_security = flag(row[10]);
    table.row_estimate = std::strtod(text(row[11]).c_str(), nullptr);
    schema.tables.emplace(table.schema + "." + table.name, std::move(table));
  }

  // Columns in position order among live columns (attnum keeps the holes of dropped ones).
  // A default that calls a function of the user's is set after the functions exist.
  const driver::Rows columns = reader.query(
      "SELECT n.nspname || '.' || c.relname, a.attname, pg_catalog.quote_ident(a.attname), "
      "pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
      "pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, "
      "CASE WHEN a.attcollation <> t.typcollation THEN pg_catalog.format('%I.%I', cn.nspname, "
      "co.collname) END, "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = "
      "d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE d.classid = "
      "'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid = ad.oid AND d.refclassid = "
      "'pg_catalog.pg_proc'::pg_catalog.regclass AND " +
      user_namespace("n") +
      "), "
      "CASE WHEN a.attidentity <> '' THEN (SELECT pg_catalog.format('START WITH %s INCREMENT "
      "BY %s MINVALUE %s MAXVALUE %s CACHE %s', s.seqstart, s.seqincrement, s.seqmin, "
      "s.seqmax, s.seqcache) || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END FROM "
      "pg_catalog.pg_depend d JOIN pg_catalog.pg_sequence s ON s.seqrelid = d.objid WHERE "
      "d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = "
      "'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = a.attrelid AND "
      "d.refobjsubid = a.attnum AND d.deptype = 'i') END "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      "LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
      "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
      "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
      "WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid") +
      " ORDER BY a.attrelid, a.attnum");
  for (const auto& row : columns.rows) {
    const auto table = schema.tables.find(text(row[0]));
    if (table == schema.tables.end()) {
      continue;
    }
    Column column;
    column.name = text(row[1]);
    column.ident = text(row[2]);
    column.type = text(row[3]);
    column.not_null = flag(row[4]);
    const std::string identity = text(row[6]);
    const std::string generated = text(row[7]);
    if (generated == "s") {
      column.generated = text(row[5]);
    } else {
      column.default_expr = text(row[5]);
      column.default_calls_function = flag(row[9]);
    }
    column.identity = identity == "a" ? "ALWAYS" : (identity == "d" ? "BY DEFAULT" : "");
    column.identity_options = text(row[10]);
    column.collation = text(row[8]);
    table->second.columns.push_back(std::move(column));
  }

  // A partition's copy of its parent's constraint (conparentid), and a CHECK inherited
  // rather than declared (NOT conislocal), come back with the parent's.
  const driver::Rows constraints = reader.query(
      "SELECT n.nspname || '.' || c.relname, co.conname, pg_catalog.quote_ident(co.conname), "
      "co.contype, pg_catalog.pg_get_constraintdef(co.oid), co.convalidated "
      "FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND co.contype IN ('p', 'u', 'f', 'c', 'x') AND "
      "co.conparentid = 0 AND co.conislocal AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid"));
  for (const auto& row : constraints.rows) {
    const auto table = schema.tables.find(text(row[0]));
    if (table == schema.tables.end()) {
      continue;
    }
    Constraint constraint{text(row[1]), text(row[2]), text(row[3]).at(0), text(row[4]),
                          flag(row[5])};
    table->second.constraints.emplace(constraint.name, std::move(constraint));
  }
}

// Indexes of their own: not one a constraint made (the constraint makes it again), nor a
// partition's copy of its parent's index.
void read_indexes(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname, ic.relname, pg_catalog.format('%I.%I', n.nspname, ic.relname), "
      "pg_catalog.format('%I.%I', tn.nspname, c.relname), tn.nspname || '.' || c.relname, "
      "pg_catalog.pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisunique "
      "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
      "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
      "JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p', 'm') AND " +
      user_namespace("tn") + " AND " + not_extension_member("pg_class", "c.oid") +
      " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = "
      "i.indexrelid AND co.contype IN ('p', 'u', 'x')) AND NOT EXISTS (SELECT 1 FROM "
      "pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)");
  for (const auto& row : rows.rows) {
    Index index;
    index.schema = text(row[0]);
    index.name = text(row[1]);
    index.ident = text(row[2]);
    index.table = text(row[3]);
    index.table_key = text(row[4]);
    index.definition = text(row[5]);
    index.valid = flag(row[6]);
    index.unique = flag(row[7]);
    schema.indexes.emplace(index.schema + "." + index.name, std::move(index));
  }
}

// Views and materialized views, with the views each one reads (its _RETURN rule's
// dependencies), so that the dump can create them in an order that loads.
void read_views(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname, c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), "
      "c.relkind, pg_catalog.array_to_string(c.reloptions, ', '), "
      "pg_catalog.pg_get_viewdef(c.oid) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('v', 'm') AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid"));
  for (const auto& row : rows.rows) {
    View view;
    view.schema = text(row[0]);
    view.name = text(row[1]);
    view.ident = text(row[2]);
    view.materialized = text(row[3]) == "m";
    view.options = text(row[4]);
    view.definition = text(row[5]);
    while (!view.definition.empty() &&
           (view.definition.back() == ';' || view.definition.back() == '\n')) {
      view.definition.pop_back();
    }
    schema.views.emplace(view.schema + "." + view.name, std::move(view));
  }
  const driver::Rows edges = reader.query(
      "SELECT DISTINCT vn.nspname || '.' || v.relname, rn.nspname || '.' || r.relname "
      "FROM pg_catalog.pg_rewrite rw "
      "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
      "AND d.objid = rw.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
      "JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class "
      "JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace "
      "JOIN pg_catalog.pg_class r ON r.oid = d.refobjid "
      "JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace "
      "WHERE v.relkind IN ('v', 'm') AND r.relkind IN ('v', 'm') AND r.oid <> v.oid");
  for (const auto& row : edges.rows) {
    const auto view = schema.views.find(text(row[0]));
    if (view != schema.views.end() && schema.views.contains(text(row[1]))) {
      view->second.depends_on.push_back(text(row[1]));
    }
  }
  for (auto& [key, view] : schema.views) {
    std::sort(view.depends_on.begin(), view.depends_on.end());
  }
}

// Functions and procedures by signature: overloads are different objects. Aggregates and
// window functions have no pg_get_functiondef and are reported as unsupported.
void read_functions(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), "
      "pg_catalog.format('%I.%I', n.nspname, p.proname), p.prokind, "
      "pg_catalog.pg_get_functiondef(p.oid), pg_catalog.oidvectortypes(p.proargtypes) "
      "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
      "WHERE p.prokind IN ('f', 'p') AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_proc", "p.oid"));
  for (const auto& row : rows.rows) {
    Function function;
    function.schema = text(row[0]);
    function.name = text(row[1]);
    function.arguments = text(row[2]);
    function.ident = text(row[3]) + "(" + function.arguments + ")";
    function.procedure = text(row[4]) == "p";
    function.definition = text(row[5]);
    function.argument_types = text(row[6]);
    while (!function.definition.empty() && function.definition.back() == '\n') {
      function.definition.pop_back();
    }
    schema.functions.emplace(function.schema + "." + function.name + "(" + function.arguments + ")",
                             std::move(function));
  }
}

// What functions and views need of each other at creation: a function whose signature names a
// view's row type or whose BEGIN ATOMIC body reads a view or calls a function, and a view that
// calls a function. The dump creates such a function among the views, in dependency order.
void read_function_dependencies(Reader& reader, Schema& schema) {
  const std::string functions =
      "SELECT p.oid, n.nspname || '.' || p.proname || '(' || "
      "pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS key FROM "
      "pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE "
      "p.prokind IN ('f', 'p') AND " +
      user_namespace("n");
  const std::string views =
      "SELECT c.oid, c.reltype, n.nspname || '.' || c.relname AS key FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') "
      "AND " +
      user_namespace("n");
  const driver::Rows rows = reader.query(
      "WITH fn AS (" + functions + "), rel AS (" + views +
      ") "
      "SELECT f.key, r.key FROM pg_catalog.pg_depend d JOIN fn f ON d.classid = "
      "'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f.oid JOIN rel r ON "
      "(d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = r.oid) OR "
      "(d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.refobjid = r.reltype) "
      "UNION SELECT f.key, g.key FROM pg_catalog.pg_depend d JOIN fn f ON d.classid = "
      "'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f.oid JOIN fn g ON d.refclassid "
      "= 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid = g.oid AND g.oid <> f.oid "
      "UNION SELECT v.key, f.key FROM pg_catalog.pg_rewrite rw JOIN rel v ON v.oid = "
      "rw.ev_class JOIN pg_catalog.pg_depend d ON d.classid = "
      "'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid AND d.refclassid = "
      "'pg_catalog.pg_proc'::pg_catalog.regclass JOIN fn f ON f.oid = d.refobjid");
  for (const auto& row : rows.rows) {
    const std::string from = text(row[0]);
    const std::string to = text(row[1]);
    if (!schema.views.contains(to) && !schema.functions.contains(to)) {
      continue;
    }
    if (const auto function = schema.functions.find(from); function != schema.functions.end()) {
      function->second.depends_on.push_back(to);
    } else if (const auto view = schema.views.find(from); view != schema.views.end()) {
      view->second.depends_on.push_back(to);
    }
  }
  for (auto& [key, function] : schema.functions) {
    std::sort(function.depends_on.begin(), function.depends_on.end());
  }
  for (auto& [key, view] : schema.views) {
    std::sort(view.depends_on.begin(), view.depends_on.end());
  }
}

// User triggers: not the internal ones of foreign keys, nor a partition's copy of its
// parent's (tgparentid). pg_get_triggerdef leaves out the enabled state: read apart.
void read_triggers(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname || '.' || c.relname, t.tgname, pg_catalog.quote_ident(t.tgname), "
      "pg_catalog.format('%I.%I', n.nspname, c.relname), pg_catalog.pg_get_triggerdef(t.oid), "
      "t.tgenabled "
      "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid"));
  for (const auto& row : rows.rows) {
    Trigger trigger;
    trigger.table_key = text(row[0]);
    trigger.name = text(row[1]);
    trigger.ident = text(row[2]);
    trigger.table = text(row[3]);
    trigger.definition = text(row[4]);
    trigger.enabled = text(row[5]).empty() ? 'O' : text(row[5]).front();
    schema.triggers.emplace(trigger.table_key + "." + trigger.name, std::move(trigger));
  }
}

// Policies: there is no pg_get_policydef, so the clauses are put together from pg_policy's
// fields, each expression rendered by the server.
void read_policies(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT n.nspname || '.' || c.relname, p.polname, pg_catalog.quote_ident(p.polname), "
      "pg_catalog.format('%I.%I', n.nspname, c.relname), p.polpermissive, p.polcmd, "
      "CASE WHEN p.polroles = '{0}'::pg_catalog.oid[] THEN 'PUBLIC' ELSE (SELECT "
      "pg_catalog.string_agg(pg_catalog.quote_ident(r.rolname), ', ' ORDER BY r.rolname) FROM "
      "pg_catalog.pg_roles r WHERE r.oid = ANY (p.polroles)) END, "
      "pg_catalog.pg_get_expr(p.polqual, p.polrelid), "
      "pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) "
      "FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE " +
      user_namespace("n") + " AND " + not_extension_member("pg_class", "c.oid"));
  for (const auto& row : rows.rows) {
    Policy policy;
    policy.table_key = text(row[0]);
    policy.name = text(row[1]);
    policy.ident = text(row[2]);
    policy.table = text(row[3]);
    policy.permissive = flag(row[4]);
    const std::string command = text(row[5]);
    policy.command = command == "r"   ? "SELECT"
                     : command == "a" ? "INSERT"
                     : command == "w" ? "UPDATE"
                     : command == "d" ? "DELETE"
                                      : "ALL";
    policy.roles = text(row[6]);
    policy.using_expr = text(row[7]);
    policy.check_expr = text(row[8]);
    schema.policies.emplace(policy.table_key + "." + policy.name, std::move(policy));
  }
}

// Comments on the objects the model holds; pg_identify_object gives each its type and
// schema-qualified, quoted identity.
void read_comments(Reader& reader, Schema& schema) {
  const driver::Rows rows = reader.query(
      "SELECT o.type, o.identity, pg_catalog.quote_literal(d.description) "
      "FROM pg_catalog.pg_description d, "
      "LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) o "
      "WHERE d.classoid IN ('pg_catalog.pg_class'::pg_catalog.regclass, "
      "'pg_catalog.pg_namespace'::pg_catalog.regclass, 'pg_catalog.pg_proc'::pg_catalog.regclass, "
      "'pg_catalog.pg_type'::pg_catalog.regclass, "
      "'pg_catalog.pg_constraint'::pg_catalog.regclass, "
      "'pg_catalog.pg_trigger'::pg_catalog.regclass, 'pg_catalog.pg_policy'::pg_catalog.regclass, "
      "'pg_catalog.pg_extension'::pg_catalog.regclass) "
      "AND (o.schema IS NULL OR (o.schema <> 'information_schema' AND o.schema NOT LIKE "
      "'pg\\_%')) "
      "AND NOT (o.type = 'schema' AND (o.identity = 'information_schema' OR o.identity LIKE "
      "'pg\\_%')) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = d.classoid AND "
      "e.objid = d.objoid AND e.deptype = 'e')");
  for (const auto& row : rows.rows) {
    const std::string target = comment_target(text(row[0]), text(row[1]));
    if (target.empty()) {
      schema.unsupported.push_back({"comment on " + text(row[0]), text(row[1])});
      continue;
    }
    schema.comments.emplace(target, text(row[2]));
  }
}

// Every catalog object of a kind the model does not cover, named: a dump that leaves one out
// says so instead of passing for the whole schema.
void read_unsupported(Reader& reader, Schema& schema) {
  const std::string user = user_namespace("n");
  const driver::Rows rows = reader.query(
      "SELECT 'event trigger', pg_catalog.quote_ident(evtname) FROM "
      "pg_catalog.pg_event_trigger x WHERE " +
      not_extension_member("pg_event_trigger", "x.oid") +
      " UNION ALL SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'relation kind ' || "
      "c.relkind::pg_catalog.text END, pg_catalog.format('%I.%I', n.nspname, c.relname) FROM "
      "pg_catalog.pg_class "
      "c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('f') AND " +
      user + " AND " + not_extension_member("pg_class", "c.oid") +
      " UNION ALL SELECT 'rule', pg_catalog.format('%I ON %I.%I', r.rulename, n.nspname, "
      "c.relname) FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE r.rulename <> '_RETURN' "
      "AND " +
      user + " AND " + not_extension_member("pg_class", "c.oid") +
      " UNION ALL SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'window function' END, "
      "pg_catalog.format('%I.%I', n.nspname, p.proname) || '(' || "
      "pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' FROM pg_catalog.pg_proc p "
      "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('a', 'w') "
      "AND " +
      user + " AND " + not_extension_member("pg_proc", "p.oid") +
      " UNION ALL SELECT CASE t.typtype WHEN 'r' THEN 'range type' ELSE 'base type' END, "
      "pg_catalog.format('%I.%I', n.nspname, t.typname) FROM pg_catalog.pg_type t JOIN "
      "pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE (t.typtype = 'r' OR (t.typtype "
      "= 'b' AND t.typcategory <> 'A')) AND " +
      user + " AND " + not_extension_member("pg_type", "t.oid") +
      " UNION ALL SELECT 'collation', pg_catalog.format('%I.%I', n.nspname, x.collname) FROM "
      "pg_catalog.pg_collation x JOIN pg_catalog.pg_namespace n ON n.oid = x.collnamespace "
      "WHERE " +
      user + " AND " + not_extension_member("pg_collation", "x.oid") +
      " UNION ALL SELECT 'statistics object', pg_catalog.format('%I.%I', n.nspname, x.stxname) "
      "FROM pg_catalog.pg_statistic_ext x JOIN pg_catalog.pg_namespace n ON n.oid = "
      "x.stxnamespace WHERE " +
      user + " AND " + not_extension_member("pg_statistic_ext", "x.oid") +
      " UNION ALL SELECT 'operator', pg_catalog.format('%I.', n.nspname) || x.oprname FROM "
      "pg_catalog.pg_operator x JOIN pg_catalog.pg_namespace n ON n.oid = x.oprnamespace WHERE " +
      user + " AND " + not_extension_member("pg_operator", "x.oid") +
      " UNION ALL SELECT 'text search configuration', pg_catalog.format('%I.%I', n.nspname, "
      "x.cfgname) FROM pg_catalog.pg_ts_config x JOIN pg_catalog.pg_namespace n ON n.oid = "
      "x.cfgnamespace WHERE " +
      user + " AND " + not_extension_member("pg_ts_config", "x.oid") +
      " UNION ALL SELECT 'cast', pg_catalog.format('(%s AS %s)', "
      "pg_catalog.format_type(x.castsource, NULL), pg_catalog.format_type(x.casttarget, NULL)) "
      "FROM pg_catalog.pg_cast x WHERE x.oid >= 16384 AND " +
      not_extension_member("pg_cast", "x.oid") +
      " UNION ALL SELECT 'publication', pg_catalog.quote_ident(x.pubname) FROM "
      "pg_catalog.pg_publication x"
      " UNION ALL SELECT 'foreign server', pg_catalog.quote_ident(x.srvname) FROM "
      "pg_catalog.pg_foreign_server x WHERE " +
      not_extension_member("pg_foreign_server", "x.oid") +
      " UNION ALL SELECT 'inheritance', pg_catalog.format('%I.%I INHERITS %I.%I', n.nspname, "
      "c.relname, pn.nspname, p.relname) FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class "
      "c ON c.oid = i.inhrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN "
      "pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = "
      "p.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND " +
      user +
      " UNION ALL SELECT 'grant', pg_catalog.format('%I.%I', n.nspname, c.relname) FROM "
      "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
      "c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND " +
      user + " AND " + not_extension_member("pg_class", "c.oid") +
      " UNION ALL SELECT 'grant', pg_catalog.format('%I.%I.%I', n.nspname, c.relname, "
      "a.attname) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = "
      "a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE a.attacl IS "
      "NOT NULL AND " +
      user +
      " UNION ALL SELECT 'grant', pg_catalog.format('%I.%I', n.nspname, p.proname) || '(' || "
      "pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' FROM pg_catalog.pg_proc p "
      "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.proacl IS NOT NULL AND " +
      user + " AND " + not_extension_member("pg_proc", "p.oid") +
      " UNION ALL SELECT 'grant', pg_catalog.format('%I.%I', n.nspname, t.typname) FROM "
      "pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE "
      "t.typacl IS NOT NULL AND " +
      user + " AND " + not_extension_member("pg_type", "t.oid") +
      // The public schema carries its default grants from initdb on every database.
      " UNION ALL SELECT 'grant', pg_catalog.quote_ident(n.nspname) FROM "
      "pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL AND n.nspname <> 'public' AND " +
      user +
      " UNION ALL SELECT 'default privileges', pg_catalog.format('FOR ROLE %I', "
      "pg_catalog.pg_get_userbyid(x.defaclrole)) || COALESCE(' IN SCHEMA ' || "
      "pg_catalog.quote_ident(n.nspname), '') FROM pg_catalog.pg_default_acl x LEFT JOIN "
      "pg_catalog.pg_namespace n ON n.oid = x.defaclnamespace");
  for (const auto& row : rows.rows) {
    schema.unsupported.push_back({text(row[0]), text(row[1])});
  }
}

bool excluded(const std::set<std::string>& exclude, const std::string& key) {
  return exclude.contains(key);
}

// Leaves out retort's own tables and what belongs to them.
void remove_excluded(Schema& schema, const std::set<std::string>& exclude) {
  std::erase_if(schema.tables, [&](const auto& item) { return excluded(exclude, item.first); });
  std::erase_if(schema.indexes,
                [&](const auto& item) { return excluded(exclude, item.second.table_key); });
  std::erase_if(schema.triggers,
                [&](const auto& item) { return excluded(exclude, item.second.table_key); });
  std::erase_if(schema.policies,
                [&](const auto& item) { return excluded(exclude, item.second.table_key); });
  std::erase_if(schema.sequences,
                [&](const auto& item) { return excluded(exclude, item.second.owner_table_key); });
}

}  // namespace

namespace {

// Whether each table the statistics call empty has a row: what lets lint call a rewrite of it
// harmless. Last in the read, so a lock or a timeout here spoils nothing else: each look is
// its own savepoint, and one that cannot get its lock at once, or takes long (a table of many
// dead rows), leaves the table unknown.
void look_for_rows(driver::Connection& connection, Schema& schema) {
  connection.execute("SET LOCAL lock_timeout = '200ms'");
  connection.execute("SET LOCAL statement_timeout = '1s'");
  // Bounded in count and in time: a look is cheap, but there may be thousands of tables.
  const auto deadline = std::chrono::steady_clock::now() + k_row_looks_budget;
  std::size_t looked = 0;
  for (auto& [key, table] : schema.tables) {
    if (table.row_estimate > 0) {
      continue;
    }
    if (looked == k_row_looks || std::chrono::steady_clock::now() > deadline) {
      break;
    }
    ++looked;
    connection.execute("SAVEPOINT retort_rows");
    try {
      // Not ONLY: a partitioned table's rows are its partitions'.
      const driver::Rows found =
          connection.query("SELECT EXISTS (SELECT 1 FROM " + table.ident + ")");
      table.has_rows = !found.empty() && flag(found.rows[0][0]);
      connection.execute("RELEASE SAVEPOINT retort_rows");
    } catch (const driver::DatabaseError&) {
      connection.execute("ROLLBACK TO SAVEPOINT retort_rows");
    }
  }
}

}  // namespace

Schema read_postgres(driver::Connection& connection, const ReadOptions& options) {
  Schema schema;
  schema.flavor = Flavor::postgres;
  schema.server_version = connection.server_version();
  Reader reader(connection);
  // One snapshot for every query, and nothing written: the target is only ever read.
  connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    // A name of retort's own tables without a schema is the table the search_path finds (a
    // run creates them in the schema it starts in, which a migration may create a schema before
    // on the path), else one in the session's first schema.
    std::set<std::string> exclude;
    for (const std::string& table : options.exclude_tables) {
      if (table.find('.') != std::string::npos) {
        exclude.insert(table);
        continue;
      }
      const std::array<driver::Value, 1> name{table};
      const driver::Rows found = connection.query(
          "SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class c JOIN "
          "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = "
          "pg_catalog.to_regclass(pg_catalog.quote_ident($1))), pg_catalog.current_schema(), "
          "'public')",
          name);
      exclude.insert((found.empty() ? std::string("public") : text(found.rows[0][0])) + "." +
                     table);
    }
    // With nothing on the search_path, the server qualifies every name it prints, whatever
    // path the URL or the role set: the same object prints the same everywhere.
    connection.execute("SET LOCAL search_path = ''");
    // A catalog read waits behind an ACCESS EXCLUSIVE lock (pg_get_viewdef opens the view):
    // give up rather than queue behind a migration.
    connection.execute("SET LOCAL lock_timeout = '5s'");
    read_schemas(reader, schema);
    read_extensions(reader, schema);
    read_types(reader, schema);
    read_sequences(reader, schema);
    read_tables(reader, schema);
    read_indexes(reader, schema);
    read_views(reader, schema);
    read_functions(reader, schema);
    read_function_dependencies(reader, schema);
    read_triggers(reader, schema);
    read_policies(reader, schema);
    read_comments(reader, schema);
    read_unsupported(reader, schema);
    remove_excluded(schema, exclude);
    if (options.look_for_rows) {
      look_for_rows(connection, schema);
    } else {
      // Rows are the database's, not the schema's: a throwaway database a history was built
      // on has the rows its migrations inserted, which say nothing of production's.
      for (auto& [key, table] : schema.tables) {
        table.row_estimate = -1;
      }
    }
  } catch (...) {
    connection.rollback();
    throw;
  }
  connection.rollback();
  std::sort(schema.unsupported.begin(), schema.unsupported.end());
  schema.unsupported.erase(std::unique(schema.unsupported.begin(), schema.unsupported.end()),
                           schema.unsupported.end());
  schema.catalog_queries = reader.queries();
  return schema;
}

Schema read(driver::Connection& connection, const ReadOptions& options) {
  return connection.dialect() == base::Dialect::sqlite ? read_sqlite(connection, options)
                                                       : read_postgres(connection, options);
}

}  // namespace retort::schema
