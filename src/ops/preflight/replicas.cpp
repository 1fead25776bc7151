// preflight: replica lag. Every replica the primary streams to (pg_stat_replication) and every
// one configured in [retort.replicas] urls must be within max_lag; a configured replica whose
// lag cannot be read fails, since a lag nobody can see is not a lag of zero.
#include "base/duration.hpp"
#include "base/text.hpp"
#include "base/url.hpp"
#include "ops/preflight/preflight.hpp"
#include "ops/replicas/lag.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace retort::ops::preflight {

void check_replicas(Context& context, Checks& checks) {
  const std::vector<replicas::Lag> replicas =
      replicas::lags(context.db, context.config.replicas.urls);
  if (replicas.empty()) {
    checks.push_back({"replica-lag", CheckStatus::pass,
                      "no replicas: none in pg_stat_replication, none in [retort.replicas] urls",
                      ""});
    return;
  }
  const std::int64_t max_ms = context.config.replicas.max_lag.count();
  std::vector<std::string> seen;
  std::vector<std::string> bad;
  for (const replicas::Lag& replica : replicas) {
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
    checks.push_back({"replica-lag", CheckStatus::fail,
                      fmt::format("{}; max_lag is {}", base::join(bad, "; "),
                                  base::format_duration(context.config.replicas.max_lag)),
                      "wait until the replicas catch up (a migration that rewrites a table adds "
                      "to the lag); make a replica that cannot be reached reachable, or take it "
                      "out of [retort.replicas] urls"});
    return;
  }
  checks.push_back(
      {"replica-lag", CheckStatus::pass,
       fmt::format("replica lag within {}: {}",
                   base::format_duration(context.config.replicas.max_lag), base::join(seen, ", ")),
       ""});
}

}  // namespace retort::ops::preflight
