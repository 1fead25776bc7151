// PG113 strong-lock: a statement no other rule judges, read from the lock table (locks.cpp):
// when it takes SHARE or a stronger lock on a table that exists before the migration, it is
// reported once, naming the lock, whether it rewrites or scans the table, what the lock blocks
// and the reference page that says so. What it weighs: a rewrite or a scan holds the lock for
// as long as the table is large (a warning); a change to the catalog alone holds it briefly,
// and retort's lock_timeout bounds the wait (a note), unless no lock_timeout is in force (a
// warning). The forms the specific rules judge (the lock table's `rules`) are left to them,
// and the rule runs only on statements no other rule reported, so nothing is said twice. A
// foreign key of a table new in the migration or the run (CREATE TABLE's, or ALTER TABLE's on
// such a table, which PG106 leaves) checks no row: its brief SHARE ROW EXCLUSIVE lock on the
// existing table it references is a note under lock_timeout.
#include "base/duration.hpp"
#include "lint/locks.hpp"
#include "lint/rules/rules.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace retort::lint {
namespace {

std::string_view article(LockMode mode) {
  return mode == LockMode::share || mode == LockMode::share_row_exclusive ? "a" : "an";
}

// What the statement does to the table's rows, for the message.
std::string_view what_it_does(const TableLock& lock) {
  if (lock.rewrites) {
    return "and rewrites it";
  }
  return lock.scans ? "and scans it" : "to change the catalog only";
}

// The online way around the forms that have one; empty for the rest.
std::string online_fix(const TableLock& lock) {
  const std::string_view syntax = lock.syntax;
  if (syntax == "ALTER TABLE ... ATTACH PARTITION") {
    return fmt::format(
        "skip the scan: first add a CHECK constraint that matches the partition bound NOT VALID, "
        "VALIDATE it (SHARE UPDATE EXCLUSIVE: reads and writes go on), then ATTACH; PostgreSQL "
        "then trusts the constraint, and {} is locked only briefly",
        lock.table);
  }
  if (syntax == "ALTER TABLE ... DETACH PARTITION") {
    return "detach without blocking the parent (PostgreSQL 14+), in a migration marked "
           "`-- retort:transaction false`:\n    ALTER TABLE ... DETACH PARTITION ... "
           "CONCURRENTLY;";
  }
  if (syntax == "ALTER TABLE ... SET TABLESPACE") {
    return "move a large table online with pg_repack --tablespace, outside the migration";
  }
  if (syntax == "LOCK TABLE ... IN ACCESS EXCLUSIVE MODE") {
    return "take the weakest mode the migration needs: SHARE ROW EXCLUSIVE keeps writers out "
           "and lets readers in";
  }
  return {};
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  std::vector<TableLock> judged;
  for (TableLock& lock : table_locks(stmt.node)) {
    // A foreign key of a new table: the rules that judge foreign keys say nothing of it (the
    // new table has no row to check), but the table it references is locked all the same.
    const bool judged_elsewhere =
        !lock.rules.empty() &&
        (lock.referencing.empty() || !pass.is_new(lock.referencing, stmt.index + 1));
    if (!judged_elsewhere && lock.lock >= LockMode::share && !pass.is_new(lock.table, stmt.index)) {
      judged.push_back(std::move(lock));
    }
  }
  judged = per_table(std::move(judged));
  if (judged.empty()) {
    return;
  }
  // The table that suffers most names the finding: a rewrite or a scan, then the lock.
  std::stable_sort(judged.begin(), judged.end(), [](const TableLock& a, const TableLock& b) {
    return std::make_pair(a.rewrites || a.scans, a.lock) >
           std::make_pair(b.rewrites || b.scans, b.lock);
  });
  const TableLock& lock = judged.front();
  const bool long_hold = lock.rewrites || lock.scans;
  const base::Millis timeout = pass.lock_timeout_at(stmt.index);
  const Level level = long_hold || timeout.count() == 0 ? Level::warning : Level::note;

  // The foreign key of a table new in the migration or the run: no row of it is checked.
  // (`stmt.index + 1`: new once this statement ran, so CREATE TABLE's own keys count.)
  const bool new_key = !lock.referencing.empty() && pass.is_new(lock.referencing, stmt.index + 1);
  std::string message =
      new_key
          ? fmt::format(
                "the foreign key of {}, a new table, takes {} {} lock on {}, a table that "
                "exists before this migration: it {}",
                lock.referencing, article(lock.lock), to_string(lock.lock), lock.table,
                blocks(lock.lock))
          : fmt::format(
                "{} takes {} {} lock on {}, a table that exists before this migration, {}: it {}",
                lock.syntax, article(lock.lock), to_string(lock.lock), lock.table,
                what_it_does(lock), blocks(lock.lock));
  std::string why;
  if (new_key && !long_hold && timeout.count() > 0) {
    why = fmt::format(
        "{} is new, so it has no row to check against {}: the lock is taken to add the "
        "foreign key's triggers, briefly, and retort's lock_timeout ({}) bounds the wait behind "
        "open transactions on {} and retries; it is then held until the migration commits",
        lock.referencing, lock.table, base::format_duration(timeout), lock.table);
  } else if (long_hold) {
    why = fmt::format(
        "the lock is held while every row is {}, and then until the migration commits: on a "
        "large table the {} of {} wait that long",
        lock.rewrites ? "copied" : "read",
        lock.lock == LockMode::access_exclusive ? "reads and writes" : "writes", lock.table);
  } else if (timeout.count() == 0) {
    why = fmt::format(
        "the change is to the catalog only, but no lock_timeout is in force: while the "
        "statement waits for its lock behind any open transaction on {}, every later query of "
        "{} that the lock blocks queues behind it",
        lock.table, lock.table);
  } else {
    why = fmt::format(
        "the change is to the catalog only, so the lock is brief: retort's lock_timeout ({}) "
        "bounds the wait behind open transactions and retries; the lock is then held until the "
        "migration commits, so the statements after it in the migration lengthen it",
        base::format_duration(timeout));
  }
  for (std::size_t other_idx = 1; other_idx < judged.size(); ++other_idx) {
    const TableLock& other = judged[other_idx];
    why += fmt::format("; it also takes {} on {}, which {} of that table", to_string(other.lock),
                       other.table, blocks(other.lock));
  }
  why += fmt::format(" (PostgreSQL 15 documentation: {})", lock.source);

  std::string fix = online_fix(lock);
  if (fix.empty()) {
    fix = long_hold ? "run it when the table is idle: in a maintenance window (mark the file "
                      "`-- retort:maintenance_window true`), and accept it with a lint-ignore"
          : level == Level::note
              ? "nothing to change for the statement itself; keep the migration's later "
                "statements short while it holds the lock, or give this statement a migration "
                "of its own"
              : "let retort bound the wait: set [retort.postgres] lock_timeout (\"2s\" is the "
                "default) and remove `-- retort:lock_timeout 0` or the migration's own SET / "
                "RESET lock_timeout";
  }
  report.add(stmt, lock.location, level, std::move(message), std::move(why), std::move(fix));
}

}  // namespace

const Rule k_strong_lock{"PG113",
                         "strong-lock",
                         Level::warning,
                         "a statement no other rule judges that takes SHARE or a stronger lock on "
                         "a live table: judged by its lock (a note when it is brief)",
                         check,
                         Runs::when_unreported,
                         Weight::rows};

}  // namespace retort::lint
