// The gates a run passes before each step (runner::StepGate): replica lag, and what later
// features add. Built by the command layer, which knows the configuration.
#include "commands/gates.hpp"

#include "commands/support.hpp"
#include "ops/replicas/lag_gate.hpp"

namespace retort::commands {

std::vector<std::unique_ptr<runner::StepGate>> make_gates(const Config& config,
                                                          const base::DatabaseUrl& url,
                                                          driver::Connection& connection,
                                                          RunObserver* observer) {
  std::vector<std::unique_ptr<runner::StepGate>> gates;
  if (connection.dialect() == driver::Dialect::postgres) {
    // Replicas matter when some are configured or the primary streams to any: otherwise the
    // gate would cost a query per step for nothing.
    const bool streaming = !connection.query("SELECT 1 FROM pg_stat_replication LIMIT 1").empty();
    if (streaming || !config.replicas.urls.empty()) {
      gates.push_back(std::make_unique<ops::replicas::LagGate>(
          driver::connect(url, {std::chrono::seconds(10), "retort replica watch"}),
          config.replicas.urls, config.replicas.max_lag, config.replicas.wait, observer));
    }
  }
  return gates;
}

}  // namespace retort::commands
