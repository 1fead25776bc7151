// preflight: sessions the run would wait behind. A transaction older than long_transaction
// that holds or waits for a lock on a table the pending statements touch fails (the migration
// would time out on it, over and over); other long transactions and idle-in-transaction
// sessions are warnings (they hold back vacuum, and may take such a lock next).
#include "base/text.hpp"
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

#include <array>

namespace retort::ops::preflight {

namespace {

std::string session_line(const std::vector<driver::Value>& row) {
  return fmt::format("pid {} ({}, user {}, {}), {}, transaction open {}s: {}", row[0].value_or("?"),
                     row[1].value_or("-"), row[2].value_or("-"), row[3].value_or("local socket"),
                     row[4].value_or("-"), row[5].value_or("?"), row[6].value_or(""));
}

}  // namespace

void check_blockers(Context& context, Checks& checks) {
  const std::int64_t long_ms = context.config.preflight.long_transaction.count();
  const std::string columns =
      "a.pid::text, coalesce(nullif(a.application_name, ''), '-'), coalesce(a.usename::text, "
      "'-'), host(a.client_addr), coalesce(a.state, '-'), floor(extract(epoch FROM "
      "clock_timestamp() - a.xact_start))::bigint::text, left(regexp_replace(coalesce(a.query, "
      "''), '\\s+', ' ', 'g'), 100)";
  std::vector<std::string> on_touched;
  std::string first_pid;
  if (!context.touched.empty()) {
    const std::array<driver::Value, 2> params{base::join(context.touched, ","),
                                              std::to_string(long_ms)};
    const driver::Rows rows = context.db.query(
        fmt::format(
            "SELECT DISTINCT {}, c.relname, l.mode, l.granted::text FROM pg_locks l JOIN pg_class "
            "c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace JOIN "
            "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'relation' AND a.pid <> "
            "pg_backend_pid() AND a.datname = current_database() AND (c.relname = ANY "
            "(string_to_array($1, ',')) OR n.nspname || '.' || c.relname = ANY "
            "(string_to_array($1, ','))) AND (a.state LIKE 'idle in transaction%' OR "
            "clock_timestamp() - a.xact_start > CAST($2 || ' milliseconds' AS interval))",
            columns),
        params);
    for (const auto& row : rows.rows) {
      on_touched.push_back(
          fmt::format("{} {} {} on {}", session_line(row),
                      row[9] == std::optional<std::string>("true") ? "holds" : "waits for",
                      row[8].value_or("?"), row[7].value_or("?")));
    }
  }
  if (!on_touched.empty()) {
    checks.push_back(
        {"blockers", "fail",
         fmt::format("{} session{} with a long or idle transaction hold{} locks on tables the "
                     "migration changes: {}",
                     on_touched.size(), on_touched.size() == 1 ? "" : "s",
                     on_touched.size() == 1 ? "s" : "", base::join(on_touched, "; ")),
         fmt::format("the migration would time out behind them: let them finish, or end one "
                     "with SELECT pg_terminate_backend({});",
                     first_pid)});
    return;
  }
  const std::array<driver::Value, 1> params{std::to_string(long_ms)};
  const driver::Rows rows = context.db.query(
      fmt::format("SELECT {} FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND "
                  "a.backend_type = 'client backend' AND a.xact_start IS NOT NULL AND "
                  "clock_timestamp() - a.xact_start > CAST($1 || ' milliseconds' AS interval) "
                  "ORDER BY a.xact_start",
                  columns),
      params);
  if (!rows.empty()) {
    std::vector<std::string> sessions;
    for (const auto& row : rows.rows) {
      sessions.push_back(session_line(row));
    }
    checks.push_back(
        {"blockers", "warn",
         fmt::format("{} transaction{} open longer than long_transaction ({}s): {}", rows.size(),
                     rows.size() == 1 ? "" : "s", long_ms / 1000, base::join(sessions, "; ")),
         "none holds a lock on what the migration changes now, but it may take one; an old "
         "idle-in-transaction session is usually a leak worth ending"});
    return;
  }
  checks.push_back(
      {"blockers", "pass",
       fmt::format("no transaction open longer than {}s, and none holding locks on "
                   "the {} relation{} the migration touches",
                   long_ms / 1000, context.touched.size(), context.touched.size() == 1 ? "" : "s"),
       ""});
}

}  // namespace retort::ops::preflight
