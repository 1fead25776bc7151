// The backup gate: decide whether the step needs a backup, take it, and name it for the ledger.
#include "ops/backup/backup_gate.hpp"

#include "base/text.hpp"
#include "ops/backup/backup.hpp"
#include "runner/cancel.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <utility>

namespace retort::ops::backup {

BackupGate::BackupGate(const Config& config, base::DatabaseUrl url, driver::Connection& db,
                       RunObserver* observer, Before before, std::string why)
    : m_config(config),
      m_url(std::move(url)),
      m_db(db),
      m_observer(observer),
      m_before(before),
      m_why(std::move(why)) {}

std::string BackupGate::before_step(const graph::Step& step, const script::Migration& /*migration*/,
                                    const std::vector<script::Statement>& statements) {
  const bool first = std::exchange(m_first, false);
  std::string why = m_why;
  if (m_before == Before::first_step && !first) {
    return {};
  }
  if (m_before == Before::risky_steps) {
    const StepRisk risk = step_risk(statements, runner::script_dialect(m_db.dialect()));
    if (risk.command.empty()) {
      return {};
    }
    why = fmt::format("{}, line {}", risk.command, risk.line);
  }
  if (m_observer != nullptr) {
    m_observer->note(fmt::format("backup before {} ({}) into {}", step.revision, why,
                                 directory(m_config).string()));
  }
  BackupResult taken;
  try {
    taken = take(m_config, m_url, m_db);
  } catch (const Error& error) {
    if (runner::cancel_requested()) {
      throw Error(ExitCode::failed,
                  fmt::format("cancelled before revision {} started, while its backup was taken",
                              step.revision))
          .state("the steps before it are applied; nothing of it ran")
          .next("run the same command again to continue");
    }
    Error stopped(ExitCode::failed,
                  fmt::format("stopped before revision {}: the backup before it failed: {}",
                              step.revision, error.what()));
    if (!error.explanation.empty()) {
      stopped.explain(error.explanation);
    }
    stopped.state("the steps before it are applied; nothing of it ran")
        .next(
            "fix the backup and run the same command again (or take one by hand and set "
            "[retort.backup] when = \"never\" for this run)");
    throw stopped;
  }
  if (m_observer != nullptr) {
    m_observer->note(fmt::format("backup before {}: {} ({})", step.revision, taken.path,
                                 base::format_bytes(taken.bytes)));
    for (const std::string& warning : taken.warnings) {
      m_observer->note("warning: " + warning);
    }
  }
  return taken.path;
}

namespace {

// Where a run of `plan` takes its backups: `before` is empty when it takes none (when = "never",
// or when = "risky" and no step drops or rewrites data: the gate would only slow the run down).
struct Schedule {
  std::optional<Before> before;
  std::string why;  // for first_step, as the run's output shows it
};

Schedule schedule(const Config& config, const script::ScriptDirectory& scripts,
                  const graph::Plan& plan, script::Dialect dialect) {
  switch (config.backup.when) {
    case BackupWhen::never:
      return {};
    case BackupWhen::always:
      return {Before::first_step, "when = \"always\""};
    case BackupWhen::risky:
      break;
  }
  for (const graph::Step& step : plan.steps) {
    const StepRisk risk = step_risk(scripts, step, dialect);
    if (risk.command.empty()) {
      continue;
    }
    if (config.transaction_per_migration) {
      return {Before::risky_steps, {}};
    }
    // The whole run is one transaction: nothing can come between its steps, so the backup
    // comes before the first.
    return {Before::first_step, fmt::format("{} does {} at line {}, and the run is one transaction",
                                            step.revision, risk.command, risk.line)};
  }
  return {};
}

}  // namespace

std::unique_ptr<runner::StepGate> gate_for(const Config& config, const base::DatabaseUrl& url,
                                           driver::Connection& db, RunObserver* observer,
                                           const script::ScriptDirectory& scripts,
                                           const graph::Plan& plan) {
  const Schedule chosen = schedule(config, scripts, plan, runner::script_dialect(db.dialect()));
  if (!chosen.before) {
    return nullptr;
  }
  return std::make_unique<BackupGate>(config, url, db, observer, *chosen.before, chosen.why);
}

std::vector<bool> backups_before(const Config& config, const script::ScriptDirectory& scripts,
                                 const graph::Plan& plan, script::Dialect dialect) {
  std::vector<bool> out(plan.steps.size(), false);
  const Schedule chosen = schedule(config, scripts, plan, dialect);
  if (!chosen.before || out.empty()) {
    return out;
  }
  if (*chosen.before == Before::first_step) {
    out.front() = true;
    return out;
  }
  // As BackupGate::before_step decides it for risky_steps, from the same statements.
  for (std::size_t step_idx = 0; step_idx < plan.steps.size(); ++step_idx) {
    out[step_idx] = !step_risk(scripts, plan.steps[step_idx], dialect).command.empty();
  }
  return out;
}

}  // namespace retort::ops::backup
