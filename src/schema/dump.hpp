// The canonical SQL of a schema model: a fixed order that loads into an empty database, so
// that dump, load into a fresh database, dump again gives the same bytes.
#pragma once

#include "schema/model.hpp"

#include <map>
#include <string>
#include <vector>

namespace retort::schema {

// One statement group of the dump and the file --split writes it into.
struct Piece {
  std::string kind;  // "table", "view", "function", "constraint", "comment", ...
  std::string name;  // the object's qualified name as the SQL spells it
  std::string file;  // relative path: "tables/public.users.sql"
  std::string sql;   // statements, each ending ";\n"
};

// Every piece in load order: schemas, extensions, types, sequences, tables, functions and
// procedures, defaults that call them, sequence ownership, constraints (foreign keys last),
// indexes, views and materialized views in dependency order, their indexes, triggers, row
// level security and policies; each comment right after its object.
[[nodiscard]] std::vector<Piece> dump_pieces(const Schema& schema);

// The whole dump: a header, then every piece, separated by blank lines.
[[nodiscard]] std::string dump_sql(const Schema& schema);

// One column as CREATE TABLE spells it: name, type, collation, generated or identity, default
// (unless it calls a function of the user's, set later), NOT NULL.
[[nodiscard]] std::string column_sql(const Column& column);

// Keys in an order where each comes after the keys it depends on (Kahn's algorithm, the
// smallest ready key first, so the order is the same whatever order the catalog gave); a
// dependency on a key not in the map is ignored, and a cycle falls back to key order for what
// is left.
[[nodiscard]] std::vector<std::string> dependency_order(
    const std::map<std::string, std::vector<std::string>>& depends_on);

// A file name for an object: its raw qualified name with the characters no file system takes
// (and %) written %XX, spaces after commas dropped: "public.f(integer,text)".
[[nodiscard]] std::string file_stem(const std::string& name);

}  // namespace retort::schema
