// preflight: connection headroom. max_connections less the reserved slots less the connections
// in use must leave room for retort's own (the run, the run lock, the lock watch) and for what
// the application's pools may still open ([retort.preflight] app_connections).
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace retort::ops::preflight {

namespace {

constexpr int k_retort_connections = 3;

int number(const driver::Value& value) { return value ? std::atoi(value->c_str()) : 0; }

}  // namespace

void check_connections(Context& context, Checks& checks) {
  const driver::Rows rows = context.db.query(
      "SELECT current_setting('max_connections'), "
      "current_setting('superuser_reserved_connections'), "
      "coalesce(current_setting('reserved_connections', true), '0'), (SELECT count(*) FROM "
      "pg_stat_activity WHERE backend_type = 'client backend')::text");
  const auto& row = rows.rows.at(0);
  const int max = number(row[0]);
  const int reserved = number(row[1]) + number(row[2]);
  const int used = number(row[3]);
  const int free = max - reserved - used;
  const int needed = k_retort_connections + context.config.preflight.app_connections;
  const std::string message = fmt::format(
      "{} of {} connections free ({} reserved, {} in use); the run needs {} ({} for "
      "retort, {} for the application's pools)",
      free, max, reserved, used, needed, k_retort_connections,
      context.config.preflight.app_connections);
  if (free < needed) {
    checks.push_back({"connections", CheckStatus::fail, message,
                      "close idle sessions (pg_stat_activity, state = 'idle'), lower the "
                      "application's pool sizes, or put a pooler in front of the database"});
    return;
  }
  if (free < 2 * needed) {
    checks.push_back({"connections", CheckStatus::warn, message + ": little headroom left",
                      "a deploy that starts new application replicas while old ones still run "
                      "needs room for both"});
    return;
  }
  checks.push_back({"connections", CheckStatus::pass, message, ""});
}

}  // namespace retort::ops::preflight
