// The schema model: a plain, in-memory picture of one database's objects, every definition
// as the server rendered it, so that two models compare by string equality.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace retort::schema {

// Names: `schema` and `name` are the catalog's raw names (for keys and file names); `ident` is
// the server's quoted, schema-qualified spelling (quote_ident), what the SQL of the dump uses.

struct Column {
  std::string name;
  std::string ident;  // quoted column name
  std::string type;   // format_type(atttypid, atttypmod) under an empty search_path
  bool not_null = false;
  std::string default_expr;  // pg_get_expr(adbin); empty: none
  // The default calls a function of the user's: the dump sets it after the functions exist.
  bool default_calls_function = false;
  std::string generated;  // the expression of a GENERATED ALWAYS AS (...) STORED column
  std::string identity;   // "ALWAYS", "BY DEFAULT" or empty
  // The identity's sequence options, "START WITH 1 INCREMENT BY 1 ...": a definition, not the
  // sequence's state.
  std::string identity_options;
  std::string collation;  // COLLATE clause target, when it differs from the type's
};

struct Constraint {
  std::string name;
  std::string ident;
  char type = 'c';         // p primary key, u unique, f foreign key, c check, x exclude
  std::string definition;  // pg_get_constraintdef: carries DEFERRABLE and NOT VALID
  bool validated = true;
};

struct Table {
  std::string schema;
  std::string name;
  std::string ident;
  bool partitioned = false;
  bool unlogged = false;
  std::string partition_key;    // pg_get_partkeydef, for a partitioned table
  std::string partition_of;     // the parent's ident, for a partition
  std::string partition_bound;  // pg_get_expr(relpartbound)
  std::string options;          // reloptions, "fillfactor=70, ..."
  bool row_security = false;
  bool force_row_security = false;
  std::vector<Column> columns;                    // in position order among live columns
  std::map<std::string, Constraint> constraints;  // by name
  // What the database says of the rows, not of the definition: nothing compares or dumps it;
  // lint weighs a rewrite or a scan by it. PostgreSQL's estimate as of the table's last VACUUM
  // or ANALYZE (pg_class.reltuples; -1: never, partitioned, or not asked), and whether a row
  // exists when the reader looked; both only with ReadOptions::look_for_rows.
  double row_estimate = -1;
  std::optional<bool> has_rows;
  // SQLite only: the CREATE TABLE text sqlite_schema keeps.
  std::string sql;
};

struct Index {
  std::string schema;
  std::string name;
  std::string ident;
  std::string table;       // the table's (or materialized view's) ident
  std::string table_key;   // its raw "schema.name"
  std::string definition;  // pg_get_indexdef / sqlite_schema.sql
  bool valid = true;
  std::vector<std::string> columns;  // SQLite: the key columns (index_xinfo), in order
  bool unique = false;
};

struct Sequence {
  std::string schema;
  std::string name;
  std::string ident;
  std::string type;
  std::string start, increment, min, max, cache;
  bool cycle = false;
  std::string owned_by;         // "table_ident.column_ident" of a serial column; empty: none
  std::string owner_table_key;  // the raw "schema.name" of that table
};

struct EnumType {
  std::string schema;
  std::string name;
  std::string ident;
  std::vector<std::string> labels;  // quoted literals, in sort order
};

struct Domain {
  std::string schema;
  std::string name;
  std::string ident;
  std::string base_type;
  std::string collation;
  std::string default_expr;
  bool not_null = false;
  std::map<std::string, std::string> checks;  // constraint ident -> pg_get_constraintdef
};

struct CompositeType {
  std::string schema;
  std::string name;
  std::string ident;
  std::vector<Column> attributes;  // name, type, collation
};

struct Extension {
  std::string name;
  std::string ident;
  std::string schema;  // quoted
  std::string version;
};

struct View {
  std::string schema;
  std::string name;
  std::string ident;
  bool materialized = false;
  std::string options;     // reloptions
  std::string definition;  // pg_get_viewdef (not pretty), without the final semicolon
  // Keys of the other views it reads and of the functions it calls (pg_rewrite, pg_depend).
  std::vector<std::string> depends_on;
};

struct Function {
  std::string schema;
  std::string name;
  std::string arguments;       // pg_get_function_identity_arguments: the signature
  std::string argument_types;  // oidvectortypes: the types alone, for file names
  std::string ident;           // schema.name(arguments)
  bool procedure = false;
  std::string definition;  // pg_get_functiondef
  // Keys of the views and functions it needs to exist when it is created: a view's row type in
  // its signature, what a BEGIN ATOMIC body reads or calls (pg_depend).
  std::vector<std::string> depends_on;
};

struct Trigger {
  std::string name;
  std::string ident;
  std::string table;       // ident
  std::string table_key;   // raw "schema.name"
  std::string definition;  // pg_get_triggerdef / sqlite_schema.sql
  char enabled = 'O';      // O origin (enabled), D disabled, R replica, A always
};

struct Policy {
  std::string name;
  std::string ident;
  std::string table;  // ident
  std::string table_key;
  bool permissive = true;
  std::string command;  // ALL, SELECT, INSERT, UPDATE, DELETE
  std::string roles;    // "PUBLIC" or quoted role names, comma-separated
  std::string using_expr;
  std::string check_expr;
};

// A catalog object of a kind the model does not cover: named, so that nothing is dropped
// from view silently.
struct Unsupported {
  std::string kind;  // "event trigger", "foreign table", "rule", "grant", ...
  std::string name;

  friend bool operator<(const Unsupported& a, const Unsupported& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.name < b.name;
  }
  friend bool operator==(const Unsupported& a, const Unsupported& b) = default;
};

enum class Flavor { postgres, sqlite };

// One database's schema. Every map is keyed by the raw qualified name ("schema.name"; a
// function by "schema.name(arguments)"; an object of a table by "schema.table.name"), so that
// iteration order is the same whatever order the catalog returned.
struct Schema {
  Flavor flavor = Flavor::postgres;
  std::string server_version;
  std::map<std::string, std::string> schemas;  // raw name -> ident
  std::map<std::string, Extension> extensions;
  std::map<std::string, EnumType> enums;
  std::map<std::string, Domain> domains;
  std::map<std::string, CompositeType> composites;
  std::map<std::string, Sequence> sequences;
  std::map<std::string, Table> tables;
  std::map<std::string, Index> indexes;
  std::map<std::string, View> views;
  std::map<std::string, Function> functions;
  std::map<std::string, Trigger> triggers;
  std::map<std::string, Policy> policies;
  // COMMENT ON targets ("TABLE public.users", "COLUMN public.users.email") -> quoted text.
  std::map<std::string, std::string> comments;
  std::vector<Unsupported> unsupported;  // sorted
  int catalog_queries = 0;  // queries the reader sent: a fixed handful whatever the size
};

}  // namespace retort::schema
