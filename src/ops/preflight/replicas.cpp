// preflight: replica lag. Every replica the primary streams to (pg_stat_replication) and every
// one configured in [retort.replicas] urls must be within max_lag; a configured replica whose
// lag cannot be read fails, since a lag nobody can see is not a lag of zero.
#include "base/duration.hpp"
#include "base/text.hpp"
#include "base/url.hpp"
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace retort::ops::preflight {

namespace {

struct Replica {
  std::string name;
  std::optional<std::int64_t> lag_ms;  // nullopt: not observable
  std::string problem;                 // why not
};

// What the primary says of its standbys: replay lag, or none when a standby has caught up and
// no WAL came since (PostgreSQL then shows NULL).
std::vector<Replica> streaming(driver::Connection& db) {
  std::vector<Replica> out;
  const driver::Rows rows = db.query(
      "SELECT coalesce(nullif(application_name, ''), host(client_addr), 'standby'), state, "
      "coalesce(floor(extract(epoch FROM replay_lag) * 1000)::bigint, 0)::text FROM "
      "pg_stat_replication");
  for (const auto& row : rows.rows) {
    Replica replica{row[0].value_or("standby"), std::nullopt, ""};
    if (row[1] == std::optional<std::string>("streaming")) {
      replica.lag_ms = std::strtoll(row[2].value_or("0").c_str(), nullptr, 10);
    } else {
      replica.problem = "state " + row[1].value_or("?") + ", not streaming";
    }
    out.push_back(std::move(replica));
  }
  return out;
}

// A configured replica, asked directly: how far its replay is behind what it has received,
// in time since the last replayed transaction when it is behind.
Replica configured(const std::string& url) {
  const std::string shown = base::redact_url(url);
  const auto parsed = base::parse_database_url(url);
  if (!parsed) {
    return {shown, std::nullopt, parsed.error()};
  }
  try {
    const auto connection =
        driver::connect(parsed.value(), {std::chrono::seconds(5), "retort preflight"});
    const driver::Rows rows = connection->query(
        "SELECT pg_is_in_recovery()::text, CASE WHEN pg_last_wal_receive_lsn() IS NULL OR "
        "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE "
        "floor(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * "
        "1000)::bigint END::text");
    if (rows.rows.at(0)[0] != std::optional<std::string>("true")) {
      return {shown, std::nullopt, "it is not a replica (not in recovery)"};
    }
    return {shown, std::strtoll(rows.rows[0][1].value_or("0").c_str(), nullptr, 10), ""};
  } catch (const Error& error) {
    // libpq's words come in several lines; one line per replica reads better.
    std::string problem = error.what();
    for (char& ch : problem) {
      ch = ch == '\n' || ch == '\t' ? ' ' : ch;
    }
    return {shown, std::nullopt, problem};
  }
}

}  // namespace

void check_replicas(Context& context, Checks& checks) {
  std::vector<Replica> replicas = streaming(context.db);
  for (const std::string& url : context.config.replicas.urls) {
    replicas.push_back(configured(url));
  }
  if (replicas.empty()) {
    checks.push_back({"replica-lag", "pass",
                      "no replicas: none in pg_stat_replication, none in [retort.replicas] urls",
                      ""});
    return;
  }
  const std::int64_t max_ms = context.config.replicas.max_lag.count();
  std::vector<std::string> seen;
  std::vector<std::string> bad;
  for (const Replica& replica : replicas) {
    if (!replica.lag_ms) {
      bad.push_back(fmt::format("{}: lag not observable ({})", replica.name, replica.problem));
      continue;
    }
    const std::string line =
        fmt::format("{} {}", replica.name, base::format_elapsed(base::Millis{*replica.lag_ms}));
    seen.push_back(line);
    if (*replica.lag_ms > max_ms) {
      bad.push_back(line + " behind");
    }
  }
  if (!bad.empty()) {
    checks.push_back({"replica-lag", "fail",
                      fmt::format("{}; max_lag is {}", base::join(bad, "; "),
                                  base::format_duration(context.config.replicas.max_lag)),
                      "wait until the replicas catch up (a migration that rewrites a table adds "
                      "to the lag), and check that every replica can be reached"});
    return;
  }
  checks.push_back(
      {"replica-lag", "pass",
       fmt::format("replica lag within {}: {}",
                   base::format_duration(context.config.replicas.max_lag), base::join(seen, ", ")),
       ""});
}

}  // namespace retort::ops::preflight
