// Backfills (issue #20, SPEC §2 `backfill`, §5 `retort_backfill`): the one data statement of a
// backfill revision run in short batches over the key range recorded when it started, each
// batch one transaction that runs the statement with `{batch}` replaced by the batch's key
// range and advances the progress row, so that a backfill stopped anywhere (kill -9, SIGTERM,
// an error) continues from its cursor and updates every row exactly once. Inside the runner
// only; the run loop calls it for the step of a backfill revision.
#pragma once

#include "base/duration.hpp"
#include "driver/driver.hpp"
#include "retort/events.hpp"
#include "runner/settings.hpp"
#include "script/script_directory.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace retort::runner {

// The target batch time when the revision names neither batch_time nor batch_size.
inline constexpr base::Millis k_default_batch_time{300};

// The size of the next batch, from how long the recent ones took (pure, for tests): the 90th
// percentile of the recent time per key sets the size that meets the target; it grows at most
// 1.5 times from one batch to the next, and shrinks at once after a batch 5 times over target.
class BatchSizer {
 public:
  static constexpr std::int64_t k_initial = 1000;
  static constexpr std::int64_t k_max = 1'000'000;
  static constexpr std::size_t k_window = 10;  // the batches the percentile is taken over

  // fixed: batch_size given, the size never changes but for halving on a statement timeout.
  BatchSizer(base::Millis target, std::optional<std::int64_t> fixed);

  [[nodiscard]] std::int64_t size() const noexcept { return m_size; }
  // A batch of `keys` keys took `took`.
  void record(base::Millis took, std::int64_t keys);
  // A statement timeout: half the size, at least 1. Returns false when it was already 1.
  bool halve();

 private:
  base::Millis m_target;
  bool m_fixed = false;
  std::int64_t m_size = k_initial;
  std::vector<double> m_per_key;  // ms per key of the last k_window batches, oldest first
};

// What a backfill needs of the run around it.
struct BackfillContext {
  driver::Connection& connection;
  const Settings& settings;  // the version table's schema resolved
  RunObserver* observer = nullptr;
  // Throws when the run lock is lost; `what` says what was about to happen. Called before each
  // batch commits.
  std::function<void(const std::string& what)> check_lock;
};

// One backfill step. PostgreSQL only: SQLite is refused before anything runs (check()).
class Backfill {
 public:
  // statement: the revision's one upgrade statement (script::statements()).
  Backfill(BackfillContext context, const script::Migration& migration,
           const script::Statement& statement);

  // Throws Error(input) when the backfill cannot run on this database (SQLite).
  static void check(const script::Migration& migration, base::Dialect dialect);

  // Creates retort_backfill if missing, records or resumes the range, runs every batch. Returns
  // once the range is done; throws Error (with the cursor and the next command) when it stops:
  // cancelled after a batch, a statement error, the lock lost. Outside any transaction.
  void run();

  // The statement, run inside the step's final transaction (with its version-table change and
  // ledger row), that marks the progress row `done`: a row is `done` exactly when the revision
  // is applied, and a `done` row found by a later upgrade (after a downgrade) starts over.
  [[nodiscard]] std::string done_sql() const;

  // The progress table, quoted and qualified: next to the version table.
  [[nodiscard]] const std::string& qualified() const noexcept { return m_qualified; }

 private:
  struct Range;
  void create_if_missing();
  [[nodiscard]] Range open_range();
  // Runs one batch of up to `size` keys after the cursor; returns the keys it covered (0: the
  // range is done).
  std::int64_t run_batch(Range& range, std::int64_t size);
  void set_state(const std::string& state, const std::string& reason);
  void report(const Range& range, bool force);

  BackfillContext m_context;
  const script::Migration& m_migration;
  const script::Statement& m_statement;
  std::string m_template;          // the statement as written, with `{batch}`
  std::string m_qualified;         // retort_backfill
  std::string m_table;             // the backfilled table, quoted
  std::vector<std::string> m_key;  // its key columns, quoted
  std::string m_key_columns;       // "a,b", as the progress row keeps them
};

// The progress of a backfill that stopped, for its error: "12,000 rows in 12 batches, cursor
// (12000) of (20000) (public.retort_backfill)"; empty when there is no row or it cannot be read.
[[nodiscard]] std::string backfill_progress(driver::Connection& connection,
                                            const Settings& settings, const std::string& revision);

// Pause a run between batches for `duration`, waking early when the run is cancelled.
void sleep_unless_cancelled(base::Millis duration);

}  // namespace retort::runner
