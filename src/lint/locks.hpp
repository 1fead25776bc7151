// What each DDL statement of PostgreSQL 15 locks: one entry per ALTER TABLE subcommand and per
// DDL statement form, with the lock mode it takes on the table, whether it rewrites or scans the
// table, and the page of PostgreSQL's documentation that says so. table_locks() refines an
// entry by what the statement says (a volatile DEFAULT rewrites, NOT VALID does not scan, a
// foreign key also locks the table it references), so that lint judges a statement it has no
// rule for by its lock.
#pragma once

#include "sql/tree.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::lint {

// The eight table lock modes of the explicit-locking chapter, weakest first; `none` for a
// statement that locks no table (it locks a function, a type, a role, or only catalog rows).
enum class LockMode {
  none,
  access_share,
  row_share,
  row_exclusive,
  share_update_exclusive,
  share,
  share_row_exclusive,
  exclusive,
  access_exclusive,
};

// "ACCESS EXCLUSIVE", as the documentation and pg_locks (without "Lock") write it.
[[nodiscard]] std::string_view to_string(LockMode mode) noexcept;
// What the mode stops while it is held or waited for: "blocks reads and writes", "blocks
// writes", "blocks schema changes and VACUUM", "blocks ACCESS EXCLUSIVE only".
[[nodiscard]] std::string_view blocks(LockMode mode) noexcept;

// Whether a form rewrites or scans the table: always, never, or as the statement decides (the
// entry's `refined` says how).
enum class Effect { no, yes, depends };

// One row of the table.
struct LockEntry {
  std::string_view syntax;  // "ALTER TABLE ... ADD COLUMN", "CREATE INDEX CONCURRENTLY"
  LockMode lock = LockMode::none;
  Effect rewrites = Effect::no;
  Effect scans = Effect::no;
  // How the statement's own words change the row (empty when the form alone decides).
  std::string_view refined;
  // Where PostgreSQL 15's documentation says so: "sql-altertable.html, Description: SET
  // STATISTICS"; when the page names no lock, the server's source file that takes it.
  std::string_view source;
  // The lint rules that judge this form ("PG103, PG104"); empty when none does, and the lock
  // rule (PG113) judges it by this row.
  std::string_view rules = {};
};

struct AlterTableLock {
  PgQuery__AlterTableType subtype;
  LockEntry entry;
};

struct StatementLock {
  PgQuery__Node__NodeCase node;
  LockEntry entry;
};

// Every ALTER TABLE subcommand (libpg_query's AlterTableType), in the enum's order.
[[nodiscard]] std::span<const AlterTableLock> alter_table_locks();
// Every DDL statement node, one entry per form (CREATE INDEX and CREATE INDEX CONCURRENTLY).
[[nodiscard]] std::span<const StatementLock> statement_locks();

// The entry of one ALTER TABLE subcommand; null for a value the table lacks.
[[nodiscard]] const LockEntry* alter_table_lock(PgQuery__AlterTableType subtype);

// The lock a statement takes on one table, refined by what the statement says.
struct TableLock {
  std::string table;   // qualified as written; for DROP INDEX, the index
  int location = -1;   // of the table's name (or the statement's start), in the statement
  std::string syntax;  // the form that decides it: "ALTER TABLE ... SET TABLESPACE"
  LockMode lock = LockMode::none;
  bool rewrites = false;
  bool scans = false;
  std::string_view source;  // as the entry's
  std::string_view rules;   // as the entry's: the rules that judge this form, if any
  // For a foreign key's lock on the table it references: the table the key is on, qualified
  // as written. The rules that judge the key judge it on a live table only: the lock rule
  // judges the referenced table's lock when the key's own table is new.
  std::string referencing;
};

// The locks `statement` takes on the tables it names, one per form: each subcommand of an ALTER
// TABLE, and the referenced table of a foreign key, apart. Tables it creates are not listed;
// tables whose name lint cannot know (those with a column of an altered domain) neither.
[[nodiscard]] std::vector<TableLock> table_locks(const PgQuery__Node* statement);

// `locks` merged per table, in the order the tables first appear: the strongest lock names the
// form, and a rewrite or scan of any form counts (an ALTER TABLE of several subcommands holds
// the strongest of their locks for all of them).
[[nodiscard]] std::vector<TableLock> per_table(std::vector<TableLock> locks);

}  // namespace retort::lint
