// preflight: the steps the run would take and how long each is expected to take: the
// migration's `-- retort:estimate`, else staging's timing of the same statements (`retort
// timings import`), else an earlier run of them in this database's ledger. Unknown is a warning;
// above [retort.preflight] max_step_runtime is a failure, unless the file's header marks the
// step for a maintenance window (`-- retort:maintenance_window true`): then a warning.
#include "base/duration.hpp"
#include "base/text.hpp"
#include "ops/preflight/preflight.hpp"
#include "runner/timings.hpp"

#include <fmt/format.h>

namespace retort::ops::preflight {

namespace {

// The newest `ok` run of the same upgrade statements in this database (run, downgraded, and
// pending again), if any.
std::optional<std::int64_t> ledger_duration(runner::Ledger& ledger,
                                            const script::Migration& migration,
                                            Direction direction) {
  const std::string checksum = migration.checksum();
  for (const runner::LedgerRow& row : ledger.rows_of(migration.revision)) {
    if (row.entry.status == LedgerStatus::ok && row.entry.direction == direction &&
        row.checksum == checksum && row.entry.duration_ms) {
      return row.entry.duration_ms;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<StepEstimate> estimate_step(runner::TimingsTable& timings, runner::Ledger& ledger,
                                          const script::Migration& migration, Direction direction) {
  if (migration.estimate) {
    return StepEstimate{migration.estimate->count(), EstimateSource::header};
  }
  if (const auto staged = timings.find(migration.revision, direction, migration.checksum())) {
    return StepEstimate{staged->duration_ms, EstimateSource::staging};
  }
  if (const auto measured = ledger_duration(ledger, migration, direction)) {
    return StepEstimate{*measured, EstimateSource::ledger};
  }
  return std::nullopt;
}

void check_pending(Context& context, Checks& checks, std::vector<PreflightStep>& steps) {
  std::vector<std::string> unknown;
  std::vector<std::string> too_long;
  std::vector<std::string> windowed;  // too long, and marked for a maintenance window
  std::int64_t total_ms = 0;
  const base::Millis limit = context.config.preflight.max_step_runtime;
  runner::TimingsTable timings(context.db, context.config.version_table_schema);
  for (const graph::Step& step : context.plan.steps) {
    const script::Migration* migration = context.scripts.find(step.revision);
    PreflightStep item;
    item.revision = step.revision;
    if (migration != nullptr) {
      item.message = migration->message;
      item.transactional = migration->transactional;
      const Direction direction =
          step.direction == graph::Direction::downgrade ? Direction::downgrade : Direction::upgrade;
      if (const auto estimate = estimate_step(timings, context.ledger, *migration, direction)) {
        item.estimate_ms = estimate->ms;
        item.estimate_source = estimate->source;
      }
    }
    if (!item.estimate_ms) {
      unknown.push_back(step.revision);
    } else {
      total_ms += *item.estimate_ms;
      if (limit.count() > 0 && *item.estimate_ms > limit.count()) {
        (migration != nullptr && migration->maintenance_window ? windowed : too_long)
            .push_back(fmt::format("{} ({})", step.revision,
                                   base::format_duration(base::Millis{*item.estimate_ms})));
      }
    }
    steps.push_back(std::move(item));
  }

  if (steps.empty()) {
    checks.push_back(
        {"pending", CheckStatus::pass, "nothing to run: the database is at the target", ""});
    return;
  }
  const std::string summary = fmt::format(
      "{} step{} to run, {} estimated{}", steps.size(), steps.size() == 1 ? "" : "s",
      // Whole seconds read as written ("40m"); a sum of measured times as elapsed time.
      total_ms % 1000 == 0 ? base::format_duration(base::Millis{total_ms})
                           : base::format_elapsed(base::Millis{total_ms}),
      unknown.empty() ? std::string() : fmt::format(" ({} without an estimate)", unknown.size()));
  const std::string limit_text = base::format_duration(limit);
  const std::string marked = windowed.empty()
                                 ? std::string()
                                 : fmt::format(
                                       "marked for a maintenance window, above max_step_runtime "
                                       "({}): {}",
                                       limit_text, base::join(windowed, ", "));
  if (!too_long.empty()) {
    checks.push_back(
        {"pending", CheckStatus::fail,
         fmt::format("{}; above max_step_runtime ({}): {}{}", summary, limit_text,
                     base::join(too_long, ", "), marked.empty() ? std::string() : "; " + marked),
         "split the change into batches (a backfill) that stay under it, or run it in a "
         "maintenance window: mark its file `-- retort:maintenance_window true` and schedule "
         "the run in the window"});
    return;
  }
  // A marked step and a step without an estimate both warn: one line says both.
  std::vector<std::string> warnings;
  std::vector<std::string> fixes;
  if (!windowed.empty()) {
    warnings.push_back(marked);
    fixes.push_back(fmt::format("schedule the run in the maintenance window, with time for {}",
                                base::join(windowed, ", ")));
  }
  if (!unknown.empty()) {
    warnings.push_back("no estimate for " + base::join(unknown, ", "));
    fixes.emplace_back(
        "time each on prod-shaped data in staging and carry the timings over (`retort timings "
        "export > timings.json` there, `retort timings import timings.json` here), or write it "
        "in the file's header: -- retort:estimate 40m");
  }
  if (!warnings.empty()) {
    checks.push_back({"pending", CheckStatus::warn, summary + "; " + base::join(warnings, "; "),
                      base::join(fixes, "; ")});
    return;
  }
  checks.push_back({"pending", CheckStatus::pass, summary, ""});
}

}  // namespace retort::ops::preflight
