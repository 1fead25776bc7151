// Between the steps of a run: a backup before each step that drops or rewrites data
// ([retort.backup] when = "risky"), or before the first step (when = "always", or a risky run
// that is one transaction). The path goes into the step's ledger row (`backup`); a backup that
// fails stops the run before the step.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "retort/config.hpp"
#include "retort/events.hpp"
#include "runner/runner.hpp"
#include "script/script_directory.hpp"

#include <memory>
#include <string>
#include <vector>

namespace retort::ops::backup {

// Where the gate takes its backups.
enum class Before {
  risky_steps,  // before each step whose statements drop or rewrite data
  first_step,   // once, before the run's first step
};

class BackupGate : public runner::StepGate {
 public:
  // db: the run's own connection, which the gate uses only between steps, outside any
  // transaction (to read the version table, and on SQLite to copy the database); it must
  // outlive the gate. why: for first_step, the reason, as the run's output shows it.
  BackupGate(const Config& config, base::DatabaseUrl url, driver::Connection& db,
             RunObserver* observer, Before before, std::string why = {});

  // The backup's path, or empty when the step needs none. Throws Error(ExitCode::failed) when
  // the backup fails or the run is cancelled meanwhile: nothing of the step has run.
  std::string before_step(const graph::Step& step, const script::Migration& migration,
                          const std::vector<script::Statement>& statements) override;

 private:
  Config m_config;
  base::DatabaseUrl m_url;
  driver::Connection& m_db;
  RunObserver* m_observer;
  Before m_before;
  std::string m_why;
  bool m_first = true;  // no step of this run has passed the gate yet
};

// The gate a run of `plan` needs, or null: none with when = "never", nor with when = "risky"
// when no step of the plan drops or rewrites data (the gate would only slow the run down).
[[nodiscard]] std::unique_ptr<runner::StepGate> gate_for(
    const Config& config, const base::DatabaseUrl& url, driver::Connection& db,
    RunObserver* observer, const script::ScriptDirectory& scripts, const graph::Plan& plan);

// Which steps of `plan` a run backs up right before, one entry per step: the decision gate_for
// and the gate make, for preflight to read without taking a backup. A backup before a step is a
// backup before every later step of the run too.
[[nodiscard]] std::vector<bool> backups_before(const Config& config,
                                               const script::ScriptDirectory& scripts,
                                               const graph::Plan& plan, script::Dialect dialect);

}  // namespace retort::ops::backup
