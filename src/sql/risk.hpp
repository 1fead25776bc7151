// Whether a statement drops or rewrites stored data: what decides that a backup is taken before
// a migration step ([retort.backup] when = "risky") and what preflight names.
#pragma once

#include "sql/lexer.hpp"

#include <string>
#include <string_view>

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
[[nodiscard]] std::string data_risk(std::string_view statement, Dialect dialect);

}  // namespace retort::sql
