// preflight: sessions the run would wait behind. A transaction older than long_transaction, or
// idle in transaction, that holds or waits for a lock on a table the pending statements touch
// fails (the migration would time out on it, over and over); other long transactions in this
// database are warnings (they hold back vacuum, and may take such a lock next).
#include "base/duration.hpp"
#include "base/text.hpp"
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

#include <array>

namespace retort::ops::preflight {

namespace {

// The columns of a session, in the order session_line() reads them.
constexpr std::string_view k_session_columns =
    "a.pid::text, coalesce(nullif(a.application_name, ''), '-'), coalesce(a.usename::text, "
    "'-'), coalesce(host(a.client_addr), 'local socket'), coalesce(a.state, '-'), "
    "floor(extract(epoch FROM clock_timestamp() - a.xact_start))::bigint::text, "
    "left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 100)";

// "pid 4242 (psql, user app, 10.0.0.7) holds AccessShareLock on items, idle in transaction,
// transaction open 41s: SELECT ...": `locks` goes between the session and its state.
std::string session_line(const std::vector<driver::Value>& row, const std::string& locks) {
  return fmt::format("pid {} ({}, user {}, {}){}, {}, transaction open {}s: {}",
                     row[0].value_or("?"), row[1].value_or("-"), row[2].value_or("-"),
                     row[3].value_or("-"), locks.empty() ? std::string() : " " + locks,
                     row[4].value_or("-"), row[5].value_or("?"), row[6].value_or(""));
}

}  // namespace

void check_blockers(Context& context, Checks& checks) {
  const base::Millis long_transaction = context.config.preflight.long_transaction;
  const std::string long_text = base::format_duration(long_transaction);
  if (!context.touched.empty()) {
    // One row per session, its locks on the touched tables gathered: "holds AccessShareLock,
    // RowExclusiveLock on items".
    const std::array<driver::Value, 2> params{base::join(context.touched, ","),
                                              std::to_string(long_transaction.count())};
    const driver::Rows rows = context.db.query(
        fmt::format(
            "SELECT {}, string_agg(DISTINCT CASE WHEN l.granted THEN 'holds ' ELSE 'waits for ' "
            "END || l.mode || ' on ' || c.relname, ', ') FROM pg_locks l JOIN pg_class c ON "
            "c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace JOIN "
            "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'relation' AND a.pid <> "
            "pg_backend_pid() AND a.datname = current_database() AND (c.relname = ANY "
            "(string_to_array($1, ',')) OR n.nspname || '.' || c.relname = ANY "
            "(string_to_array($1, ','))) AND (a.state LIKE 'idle in transaction%' OR "
            "clock_timestamp() - a.xact_start > CAST($2 || ' milliseconds' AS interval)) GROUP "
            "BY a.pid, a.application_name, a.usename, a.client_addr, a.state, a.xact_start, "
            "a.query ORDER BY a.xact_start",
            k_session_columns),
        params);
    if (!rows.empty()) {
      std::vector<std::string> sessions;
      for (const auto& row : rows.rows) {
        sessions.push_back(session_line(row, row[7].value_or("")));
      }
      checks.push_back(
          {"blockers", CheckStatus::fail,
           fmt::format("{} session{} with a transaction idle or open longer than {} hold{} or "
                       "wait{} for locks on tables the migration changes: {}",
                       rows.size(), rows.size() == 1 ? "" : "s", long_text,
                       rows.size() == 1 ? "s" : "", rows.size() == 1 ? "s" : "",
                       base::join(sessions, "; ")),
           fmt::format("the migration would time out behind them: let them finish, or end one "
                       "with SELECT pg_terminate_backend({});",
                       rows.rows[0][0].value_or("PID"))});
      return;
    }
  }
  const std::array<driver::Value, 1> params{std::to_string(long_transaction.count())};
  const driver::Rows rows = context.db.query(
      fmt::format("SELECT {} FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND "
                  "a.datname = current_database() AND a.backend_type = 'client backend' AND "
                  "a.xact_start IS NOT NULL AND clock_timestamp() - a.xact_start > CAST($1 || ' "
                  "milliseconds' AS interval) ORDER BY a.xact_start",
                  k_session_columns),
      params);
  if (!rows.empty()) {
    std::vector<std::string> sessions;
    for (const auto& row : rows.rows) {
      sessions.push_back(session_line(row, ""));
    }
    checks.push_back(
        {"blockers", CheckStatus::warn,
         fmt::format("{} transaction{} open longer than long_transaction ({}): {}", rows.size(),
                     rows.size() == 1 ? "" : "s", long_text, base::join(sessions, "; ")),
         "none holds a lock on what the migration changes now, but it may take one; an old "
         "idle-in-transaction session is usually a leak worth ending"});
    return;
  }
  checks.push_back(
      {"blockers", CheckStatus::pass,
       context.touched.empty()
           ? fmt::format("no transaction open longer than {}", long_text)
           : fmt::format("no transaction open longer than {}, and none idle holding locks on "
                         "the {} relation{} the migration touches",
                         long_text, context.touched.size(), context.touched.size() == 1 ? "" : "s"),
       ""});
}

}  // namespace retort::ops::preflight
