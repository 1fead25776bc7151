// Replica lag, as the primary sees it (pg_stat_replication) and as each configured replica
// says when asked directly. Used by preflight, and between the steps of a run.
#pragma once

#include "driver/driver.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace retort::ops::replicas {

struct Lag {
  std::string name;                    // application_name or host; a configured one's URL, redacted
  std::optional<std::int64_t> lag_ms;  // nullopt: not observable
  std::string problem;                 // why not
};

// Every streaming standby of the primary, then every URL (each asked directly, with a 5 s
// connect timeout). Never throws for a replica: one that cannot be read has lag_ms nullopt.
[[nodiscard]] std::vector<Lag> lags(driver::Connection& primary,
                                    const std::vector<std::string>& urls);

}  // namespace retort::ops::replicas
