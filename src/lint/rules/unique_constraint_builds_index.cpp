// PG107 unique-constraint-builds-index: ALTER TABLE ... ADD UNIQUE / PRIMARY KEY builds its
// index while holding the ACCESS EXCLUSIVE lock of ALTER TABLE: reads and writes of the table
// wait for the whole build. Building the index with CREATE UNIQUE INDEX CONCURRENTLY first and
// then adding the constraint USING INDEX takes the lock only for a moment. EXCLUDE has no
// USING INDEX form. A table created earlier in the migration is not reported.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  std::string table;
  const PgQuery__AlterTableStmt* alter = live_alter(pass, stmt, table);
  if (alter == nullptr) {
    return;
  }
  for (const PgQuery__AlterTableCmd* command : alter_commands(alter)) {
    const PgQuery__Constraint* constraint = constraint_of(command->def);
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || constraint == nullptr ||
        (constraint->indexname != nullptr && constraint->indexname[0] != '\0')) {
      continue;
    }
    const bool primary = constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
    const bool unique = constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE;
    const bool exclusion = constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION;
    if (!primary && !unique && !exclusion) {
      continue;
    }
    const std::string kind = primary ? "PRIMARY KEY" : unique ? "UNIQUE" : "EXCLUDE";
    const std::string name =
        constraint->conname != nullptr && constraint->conname[0] != '\0'
            ? std::string(constraint->conname)
            : unqualified(table) +
                  (primary ? "_pkey"
                           : "_" +
                                 std::string(string_of(constraint->n_keys > 0 ? constraint->keys[0]
                                                                              : nullptr)) +
                                 "_key");
    std::string fix;
    if (exclusion) {
      fix =
          "an exclusion constraint has no USING INDEX form, so there is no way to add it "
          "without the lock: run it in a maintenance window (mark the file "
          "`-- retort:maintenance_window true`) and accept it with a lint-ignore";
    } else {
      const std::string qualified = quote_qualified(table);
      fix = fmt::format(
          "build the index first without blocking, in a `-- retort:transaction false` "
          "migration of its own:\n    CREATE UNIQUE INDEX CONCURRENTLY {0} ON {1} ({2});\n"
          "then, in the next migration, add the constraint on it (a moment's lock):\n"
          "    ALTER TABLE {1} ADD CONSTRAINT {0} {3} USING INDEX {0};{4}",
          quote_identifier(name), qualified, quoted_list(constraint->keys, constraint->n_keys),
          kind,
          primary ? "\nA primary key also needs its columns NOT NULL: SET NOT NULL scans the "
                    "table unless a validated CHECK (col IS NOT NULL) exists (PG105)"
                  : "");
    }
    report.add(stmt, constraint->location,
               fmt::format("ADD {} on {} builds its index under an exclusive lock", kind, table),
               fmt::format("ALTER TABLE holds an ACCESS EXCLUSIVE lock on {} while the index is "
                           "built: every read and write of it waits, minutes on a large table",
                           table),
               std::move(fix));
  }
}

}  // namespace

const Rule k_unique_constraint_builds_index{
    "PG107",
    "unique-constraint-builds-index",
    Level::error,
    "ADD UNIQUE, PRIMARY KEY or EXCLUDE without USING INDEX: the index is built under an "
    "exclusive lock",
    check,
    Runs::always,
    Weight::rows};

}  // namespace retort::lint
