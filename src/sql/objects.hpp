// What a PostgreSQL statement creates and which relations it names, read from libpg_query's
// parse tree: for finding which migration made an object, and for naming it in messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace retort::sql {

enum class ObjectKind {
  table,
  index,
  view,
  materialized_view,
  sequence,
  type,
  function,
  schema,
  extension,
  column,
  constraint,
  trigger,
};

// Names are as PostgreSQL stores them: the parser folds unquoted identifiers to lower case
// (ASCII letters only, as PostgreSQL does with a UTF-8 database), keeps quoted ones, and cuts
// both to 63 bytes. Qualified names are joined with '.' and never quoted.
struct CreatedObject {
  ObjectKind kind = ObjectKind::table;
  // As written; empty when unqualified. An index, column, constraint or trigger takes its
  // table's schema. Inside CREATE SCHEMA, an unqualified element takes the new schema.
  std::string schema;
  // Empty for an index or constraint created without a name.
  std::string name;
  // For a column, constraint, index or trigger: the table it belongs to, qualified as written
  // ("ops.accounts" or "accounts"); empty otherwise, and for REINDEX, which names no table.
  std::string table;
  bool if_not_exists = false;  // CREATE ... IF NOT EXISTS, ADD COLUMN IF NOT EXISTS
  bool concurrently = false;   // CREATE INDEX CONCURRENTLY, REINDEX INDEX CONCURRENTLY
  bool not_valid = false;      // ADD CONSTRAINT ... NOT VALID

  friend bool operator==(const CreatedObject&, const CreatedObject&) = default;
};

// What one PostgreSQL statement (as split_postgres returns it) creates, in the order written:
//   CREATE [FOREIGN] TABLE, CREATE TABLE AS, SELECT INTO        table (not its columns)
//   CREATE [UNIQUE] INDEX [CONCURRENTLY]                       index
//   REINDEX INDEX CONCURRENTLY (it builds the index anew)      index, concurrently
//   CREATE [OR REPLACE] VIEW, CREATE MATERIALIZED VIEW         view, materialized_view
//   CREATE SEQUENCE                                            sequence
//   CREATE TYPE (enum, composite, range, base), CREATE DOMAIN  type
//   CREATE FUNCTION, CREATE PROCEDURE                          function
//   CREATE SCHEMA                                              schema, then its elements
//   CREATE EXTENSION                                           extension
//   CREATE [CONSTRAINT] TRIGGER                                trigger
//   ALTER TABLE ... ADD COLUMN, ADD CONSTRAINT (one per clause) column, constraint
// Objects made implicitly (a serial's sequence, a primary key's index) are not reported, nor
// what a DO block or a function body creates when it runs.
// Empty for anything else, for a statement that does not parse, and for comments alone.
[[nodiscard]] std::vector<CreatedObject> created_objects(std::string_view statement);

// The relations (tables, views, sequences, indexes) a statement names, each once, in the
// order of the parse tree and qualified as written ("ops.accounts", "accounts"): every
// RangeVar; the name of an index created, clustered on, used by a constraint or a replica
// identity; the objects of DROP and COMMENT ON a relation; a relation's new name after RENAME
// TO or SET SCHEMA. A common table expression's name read as a table is reported too. Empty for
// a statement that does not parse.
[[nodiscard]] std::vector<std::string> mentioned_relations(std::string_view statement);

// The kind as users say it: "table", "materialized view", ...
[[nodiscard]] std::string_view kind_name(ObjectKind kind);

// The object for messages: "index ops.accounts_email_idx", "column accounts.note",
// "unnamed constraint on ops.accounts".
[[nodiscard]] std::string describe(const CreatedObject& object);

}  // namespace retort::sql
