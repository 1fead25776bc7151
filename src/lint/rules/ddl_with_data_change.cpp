// PG301 ddl-with-data-change: in a migration that runs in one transaction, the locks its
// schema changes take are held until COMMIT. An ALTER TABLE's ACCESS EXCLUSIVE lock (or a
// CREATE INDEX's SHARE lock) on a live table, followed by an UPDATE, DELETE or INSERT ...
// SELECT of a live table, keeps the table blocked for as long as the data change runs. A
// change of a table created in the migration (seeding it) and an INSERT of VALUES are not
// reported; nor is a `transaction false` migration, where each statement commits alone.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (!pass.transactional()) {
    return;
  }
  const std::string changed = data_change_target(stmt.node);
  if (changed.empty() || pass.is_new(changed, stmt.index)) {
    return;
  }
  for (const Stmt& earlier : pass.statements()) {
    if (earlier.index >= stmt.index) {
      break;
    }
    const std::string locked = schema_change_target(earlier.node);
    if (locked.empty() || pass.is_new(locked, earlier.index)) {
      continue;
    }
    report.add(stmt, -1,
               fmt::format("this data change of {} runs in the transaction of the schema change "
                           "of {} on line {}",
                           changed, locked, earlier.source->line),
               fmt::format("the lock the schema change took on {} is held until the migration "
                           "commits: every query of {} waits for as long as this statement "
                           "runs, minutes on a large table",
                           locked, locked),
               "split it: the schema change in one migration, the data change in the next, "
               "batched in a `-- retort:transaction false` migration so that each batch commits "
               "on its own (see PG302)");
    return;
  }
}

}  // namespace

const Rule k_ddl_with_data_change{
    "PG301", "ddl-with-data-change", Level::error,
    "a schema change and a data change of a table that exists in one transaction: the lock the "
    "schema change takes is held while the data changes",
    check};

}  // namespace retort::lint
