// The effective timeouts of a step and the SET statements that give them.
#include "runner/timeouts.hpp"

#include <fmt/format.h>

namespace retort::runner {

Timeouts effective_timeouts(const script::Migration& migration, const Settings& settings) {
  return {.lock_timeout = migration.lock_timeout.value_or(settings.lock_timeout),
          .statement_timeout = migration.statement_timeout.value_or(settings.statement_timeout),
          .lock_retries = settings.lock_retries};
}

std::vector<std::string> set_timeouts_sql(const Timeouts& timeouts, SetScope scope) {
  // Milliseconds as a quoted interval: what PostgreSQL reads back as written, whatever the
  // unit the setting has.
  const char* set = scope == SetScope::local ? "SET LOCAL" : "SET";
  return {fmt::format("{} lock_timeout = '{}ms'", set, timeouts.lock_timeout.count()),
          fmt::format("{} statement_timeout = '{}ms'", set, timeouts.statement_timeout.count())};
}

}  // namespace retort::runner
