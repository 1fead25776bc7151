// Reading replica lag: from the primary's pg_stat_replication, and from each configured
// replica's own replay position.
#include "ops/replicas/lag.hpp"

#include "base/url.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace retort::ops::replicas {

namespace {

// What the primary says of its standbys. replay_lag alone misleads both ways, as it changes
// only when a standby reports (every wal_receiver_status_interval, 10 s by default, when no
// WAL flows): a standby that has replayed all the primary wrote is caught up whatever the last
// measured lag; one holding WAL it has not replayed is behind by at least the time since it
// last reported.
std::vector<Lag> streaming(driver::Connection& db) {
  std::vector<Lag> out;
  const driver::Rows rows = db.query(
      "SELECT coalesce(nullif(application_name, ''), host(client_addr), 'standby'), state, "
      "CASE WHEN replay_lsn >= pg_current_wal_lsn() THEN 0 "
      "WHEN replay_lsn < sent_lsn THEN floor(extract(epoch FROM greatest(coalesce(replay_lag, "
      "interval '0'), clock_timestamp() - reply_time)) * 1000)::bigint "
      "ELSE coalesce(floor(extract(epoch FROM replay_lag) * 1000)::bigint, 0) END::text "
      "FROM pg_stat_replication");
  for (const auto& row : rows.rows) {
    Lag replica{row[0].value_or("standby"), std::nullopt, ""};
    if (row[1] == std::optional<std::string>("streaming") && row[2].has_value()) {
      replica.lag_ms = std::strtoll(row[2]->c_str(), nullptr, 10);
    } else if (row[1] == std::optional<std::string>("streaming")) {
      replica.problem = "the primary does not know how far it has replayed";
    } else {
      replica.problem = "state " + row[1].value_or("?") + ", not streaming";
    }
    out.push_back(std::move(replica));
  }
  return out;
}

// A configured replica, asked directly: how far its replay is behind what it has received,
// in time since the last replayed transaction when it is behind.
Lag configured(const std::string& url) {
  const std::string shown = base::redact_url(url);
  const auto parsed = base::parse_database_url(url);
  if (!parsed) {
    return {shown, std::nullopt, parsed.error()};
  }
  try {
    const auto connection =
        driver::connect(parsed.value(), {std::chrono::seconds(5), "retort preflight"});
    // Behind: the time since the last replayed transaction, while received WAL waits. A
    // replica that has replayed no transaction since it started, with WAL waiting, cannot say.
    const driver::Rows rows = connection->query(
        "SELECT pg_is_in_recovery()::text, CASE WHEN pg_last_wal_receive_lsn() IS NULL OR "
        "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE "
        "floor(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * "
        "1000)::bigint END::text");
    if (rows.rows.at(0)[0] != std::optional<std::string>("true")) {
      return {shown, std::nullopt, "it is not a replica (not in recovery)"};
    }
    if (!rows.rows[0][1].has_value()) {
      return {shown, std::nullopt,
              "it has WAL it has not replayed, and has replayed no transaction since it started"};
    }
    return {shown, std::strtoll(rows.rows[0][1]->c_str(), nullptr, 10), ""};
  } catch (const Error& error) {
    // libpq's words come in several lines; one line per replica reads better.
    std::string problem = error.what();
    std::erase(problem, '\t');
    for (char& ch : problem) {
      ch = ch == '\n' ? ' ' : ch;
    }
    return {shown, std::nullopt, problem};
  }
}

}  // namespace

std::vector<Lag> lags(driver::Connection& primary, const std::vector<std::string>& urls) {
  std::vector<Lag> out = streaming(primary);
  for (const std::string& url : urls) {
    out.push_back(configured(url));
  }
  return out;
}

}  // namespace retort::ops::replicas
