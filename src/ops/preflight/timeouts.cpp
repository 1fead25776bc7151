// preflight: the lock_timeout and statement_timeout the run's statements will have. A lock
// timeout of 0 lets a statement queue the application's queries behind it for as long as it
// waits; a long one lets it do so for that long.
#include "base/duration.hpp"
#include "base/text.hpp"
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

namespace retort::ops::preflight {

namespace {

// Longer than this, a statement waiting for its lock stalls the application noticeably.
constexpr std::chrono::seconds k_long_lock_timeout{10};

}  // namespace

void check_timeouts(Context& context, Checks& checks) {
  if (!context.postgres()) {
    checks.push_back({"timeouts", CheckStatus::pass,
                      "SQLite: a writer waits for the database lock; no lock_timeout applies", ""});
    return;
  }
  const PostgresSettings& postgres = context.config.postgres;
  std::vector<std::string> overrides;
  std::vector<std::string> no_lock_timeout;
  std::vector<std::string> long_lock_timeout;
  for (const graph::Step& step : context.plan.steps) {
    const script::Migration* migration = context.scripts.find(step.revision);
    if (migration == nullptr) {
      continue;
    }
    if (migration->lock_timeout) {
      overrides.push_back(fmt::format("{} lock_timeout {}", step.revision,
                                      base::format_duration(*migration->lock_timeout)));
      if (migration->lock_timeout->count() == 0) {
        no_lock_timeout.push_back(step.revision);
      } else if (*migration->lock_timeout > k_long_lock_timeout) {
        long_lock_timeout.push_back(step.revision);
      }
    }
    if (migration->statement_timeout) {
      overrides.push_back(fmt::format("{} statement_timeout {}", step.revision,
                                      base::format_duration(*migration->statement_timeout)));
    }
  }
  const std::string message = fmt::format(
      "lock_timeout {}, {} retries; statement_timeout {}{}",
      base::format_duration(postgres.lock_timeout), postgres.lock_retries,
      postgres.statement_timeout.count() == 0 ? std::string("none")
                                              : base::format_duration(postgres.statement_timeout),
      overrides.empty() ? std::string() : "; in the files: " + base::join(overrides, ", "));
  if (postgres.lock_timeout.count() == 0 || !no_lock_timeout.empty()) {
    checks.push_back({"timeouts", CheckStatus::warn,
                      message + ": a statement without lock_timeout can hold the application's "
                                "queries behind it for as long as it waits for its lock",
                      "set lock_timeout (2s is the default) and let retort retry"});
    return;
  }
  if (postgres.lock_timeout > k_long_lock_timeout || !long_lock_timeout.empty()) {
    checks.push_back({"timeouts", CheckStatus::warn,
                      message + ": while a statement waits for its lock, every query behind it "
                                "waits as long",
                      "a short lock_timeout (2s) with more --lock-retries stalls the application "
                      "less than a long one"});
    return;
  }
  checks.push_back({"timeouts", CheckStatus::pass, message, ""});
}

}  // namespace retort::ops::preflight
