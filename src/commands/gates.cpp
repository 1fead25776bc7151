// The gates a run passes before each step (runner::StepGate): a backup before a risky step,
// replica lag, a maintenance window, and what later features add. Built by the command layer, which
// knows the configuration.
#include "commands/gates.hpp"

#include "commands/wiring.hpp"
#include "ops/backup/backup_gate.hpp"
#include "ops/replicas/lag_gate.hpp"

namespace retort::commands {

std::vector<std::unique_ptr<runner::StepGate>> make_gates(
    const Config& config, const base::DatabaseUrl& url, driver::Connection& connection,
    RunObserver* observer, const script::ScriptDirectory& scripts, const graph::Plan& plan,
    ops::backup::Backups backups, ops::windows::Windows windows) {
  std::vector<std::unique_ptr<runner::StepGate>> gates;
  // The window first: a step that may not start now needs no backup and no wait for replicas.
  if (auto window = ops::windows::gate_for(config, connection, scripts, plan, windows, observer)) {
    gates.push_back(std::move(window));
  }
  // The backup first: it takes its time, and the replicas' lag is read right before the step.
  if (auto backup =
          ops::backup::gate_for(config, url, connection, observer, scripts, plan, backups)) {
    gates.push_back(std::move(backup));
  }
  if (connection.dialect() == base::Dialect::postgres) {
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
