// Whether a statement drops or rewrites stored data: what decides that a backup is taken before
// a migration step ([retort.backup] when = "risky") and what preflight names.
#pragma once

#include "sql/lexer.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::sql {

// The first thing one statement (as split_postgres/split_sqlite return it) does that drops or
// rewrites data already stored, as users name it; empty when it does none of these:
//   DROP TABLE, DROP SCHEMA, DROP MATERIALIZED VIEW, DROP SEQUENCE, DROP OWNED, DROP DATABASE,
//   DROP ... CASCADE (of anything: a type or an extension takes its columns with it),
//   TRUNCATE, DELETE, UPDATE, MERGE, INSERT ... ON CONFLICT DO UPDATE, INSERT OR REPLACE,
//   ALTER TABLE ... DROP COLUMN, ALTER TABLE ... ALTER COLUMN ... TYPE,
//   and code retort cannot see into: DO, CALL, EXECUTE.
// A data-changing statement inside WITH, or run by EXPLAIN ANALYZE, counts. A rule's or a
// function's body does not: it runs later, not in the migration.
// PostgreSQL statements are read from libpg_query's typed parse tree; one that does not parse
// is risky ("a statement retort's parser does not read"), since nothing can be said of it.
// SQLite statements are read by their keywords.
[[nodiscard]] std::string data_risk(std::string_view statement, base::Dialect dialect);

// The relations whose rows a statement that data_risk() finds risky can drop or change, for
// deciding whether a backup before it protects anything: empty rows there, nothing lost.
// PostgreSQL: every relation the statement names (mentioned_relations of objects.hpp: the target
// and what it reads, qualified as written, names as PostgreSQL stores them). SQLite: the table
// after the verb, unquoted and in lower case (SQLite's names ignore ASCII case).
// std::nullopt when the statement's tables cannot be named: DO, CALL, EXECUTE, DROP SCHEMA,
// DROP OWNED, DROP DATABASE, DROP ... CASCADE of a type, function or extension, TRUNCATE ...
// CASCADE, a statement the parser does not read, and on SQLite one that starts with WITH or
// whose table does not read as a name. Empty for a statement that is not risky.
[[nodiscard]] std::optional<std::vector<std::string>> risk_relations(std::string_view statement,
                                                                     base::Dialect dialect);

// The tables a statement creates, named as risk_relations() names them: CREATE TABLE (and, on
// PostgreSQL, CREATE TABLE AS and SELECT INTO). Empty for anything else.
[[nodiscard]] std::vector<std::string> created_tables(std::string_view statement,
                                                      base::Dialect dialect);

}  // namespace retort::sql
