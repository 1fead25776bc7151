// Which relations a PostgreSQL statement copies whole (rewrites), read from libpg_query's parse
// tree: while it runs, the old and the new copy are both on disk, which preflight's free-disk
// check weighs against the space the server has left.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace retort::sql {

// What of a relation a rewrite copies, and so which size it needs room for.
enum class Copied {
  whole,    // the relation with its indexes and TOAST (pg_total_relation_size)
  indexes,  // only the table's indexes, rebuilt (REINDEX TABLE: pg_indexes_size)
};

struct Rewrite {
  // The relation, qualified as written ("ops.accounts", "accounts"); names are as PostgreSQL
  // stores them (see objects.hpp). Empty for every table of the database: VACUUM FULL and
  // CLUSTER without a table.
  std::string table;
  // What rewrites it, as users name it: "ALTER COLUMN ... TYPE", "VACUUM FULL", ...
  std::string what;
  Copied copied = Copied::whole;

  friend bool operator==(const Rewrite&, const Rewrite&) = default;
};

// The relations one PostgreSQL statement (as split_postgres returns it) rewrites, in the order
// written, one per relation and statement (PostgreSQL rewrites a table once for all the clauses
// of one ALTER TABLE, so `what` is the first clause that does):
//   ALTER TABLE ... ALTER COLUMN ... TYPE    always, although a binary-coercible change
//                                            (varchar(10) to varchar(20), varchar to text)
//                                            does not copy: the catalog decides that, not the
//                                            text, so it counts
//   ALTER TABLE ... ADD COLUMN with a volatile default: a call of a function other than the
//     built-in stable and immutable ones retort knows (now(), lower(), ...), since a function
//     created without a volatility is VOLATILE; a serial type; GENERATED AS IDENTITY;
//     GENERATED ALWAYS AS (...) STORED. A constant default (or now()) is only stored in the
//     catalog since PostgreSQL 11.
//   ALTER TABLE ... SET LOGGED | SET UNLOGGED | SET ACCESS METHOD | SET TABLESPACE
//     (ALTER INDEX and ALTER MATERIALIZED VIEW ... SET TABLESPACE too: they copy the relation)
//   VACUUM FULL, CLUSTER                     the tables named; none named: every table ("")
//   REFRESH MATERIALIZED VIEW                (not WITH NO DATA) builds the view anew
//   REINDEX INDEX, REINDEX TABLE             the index, or the table's indexes (Copied::indexes)
// Not counted: CREATE INDEX (the size of an index not yet built is not in the catalog),
// REINDEX SCHEMA / DATABASE / SYSTEM, CREATE TABLE AS, and what DO, CALL or a function runs.
// Empty for anything else, for a statement that does not parse, and for comments alone.
[[nodiscard]] std::vector<Rewrite> rewrites(std::string_view statement);

}  // namespace retort::sql
