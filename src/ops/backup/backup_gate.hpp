// Between the steps of a run: one backup per run, before the first step that drops or rewrites
// rows that were there before the run ([retort.backup] when = "risky"), or before the run's
// first step (when = "always"). A risky step whose tables hold no such rows (a fresh install)
// needs none, and says so; a later risky step is covered by the backup the run took. The path
// goes into the ledger row (`backup`) of the step it was taken before and of every risky step
// after it; a backup that fails stops the run before the step.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "retort/config.hpp"
#include "retort/events.hpp"
#include "runner/runner.hpp"
#include "script/script_directory.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace retort::ops::backup {

// Where the gate takes its backup.
enum class Before {
  risky_steps,      // before the first step that drops or rewrites rows from before the run
  first_step,       // before the run's first step, whatever it does
  one_transaction,  // before the first step, when any step of a run that is one transaction
                    // drops or rewrites rows from before the run
};

// A step of the plan with the statements it runs: what a run in one transaction is judged by
// before its first step.
struct PlannedStep {
  std::string revision;
  std::vector<script::Statement> statements;
};

class BackupGate : public runner::StepGate {
 public:
  // db: the run's own connection, which the gate uses only between steps, outside any
  // transaction (to look at the tables a risky step changes and the version table, and on
  // SQLite to copy the database); it must outlive the gate. why: for first_step, the reason, as
  // the run's output shows it. plan: for one_transaction, every step of the run.
  BackupGate(const Config& config, base::DatabaseUrl url, driver::Connection& db,
             RunObserver* observer, Before before, std::string why = {},
             std::vector<PlannedStep> plan = {});

  // The backup's path, or empty when the step needs none. Throws Error(ExitCode::failed) when
  // the backup fails or the run is cancelled meanwhile: nothing of the step has run.
  std::string before_step(const graph::Step& step, const script::Migration& migration,
                          const std::vector<script::Statement>& statements) override;

  // The run's backup for a risky step inside the run's transaction, which it covers.
  std::string inside_transaction(const graph::Step& step, const script::Migration& migration,
                                 const std::vector<script::Statement>& statements) override;

 private:
  // The statement that makes a backup worth taking, and why.
  struct Need {
    std::string command;  // "DROP TABLE", ... as data_risk names it
    int line = 0;
    std::string why;  // "items holds rows", ...
  };

  // The first statement (in order, after the tables created before it) whose risky change
  // reaches rows that were there before the run; nullopt when there is none. created: the
  // tables created earlier in the run, which it extends with the ones these statements create.
  std::optional<Need> need(const std::vector<script::Statement>& statements,
                           std::set<std::string>& created);
  // Whether the relation (as risk_relations names it) holds a row: it exists and
  // SELECT EXISTS (SELECT 1 FROM it) says so. One that cannot be read counts as holding rows.
  bool holds_rows(const std::string& relation);
  std::string take_before(const std::string& revision, const std::string& why);
  // The run's backup for a risky step after it, said on the step's line.
  std::string covered(const std::string& revision,
                      const std::vector<script::Statement>& statements);
  void note(const std::string& text);

  Config m_config;
  base::DatabaseUrl m_url;
  driver::Connection& m_db;
  RunObserver* m_observer;
  Before m_before;
  std::string m_why;
  std::vector<PlannedStep> m_plan;
  bool m_first = true;              // no step of this run has passed the gate yet
  std::set<std::string> m_created;  // tables created by the steps that passed the gate
  std::string m_taken;              // this run's backup, once taken
  std::string m_taken_before;       // the revision it was taken before
};

// Whether the run's gate takes backups as [retort.backup] says, or none (--no-backup).
enum class Backups { as_configured, skipped };

// The gate a run of `plan` needs, or null: none with when = "never" or --no-backup (which says
// so when the plan has risky steps), nor with when = "risky" when no step of the plan drops or
// rewrites data (the gate would only slow the run down).
[[nodiscard]] std::unique_ptr<runner::StepGate> gate_for(
    const Config& config, const base::DatabaseUrl& url, driver::Connection& db,
    RunObserver* observer, const script::ScriptDirectory& scripts, const graph::Plan& plan,
    Backups backups = Backups::as_configured);

// Which step of `plan` a run would take its one backup before, one entry per step, as the
// configuration decides it, for preflight to read without a backup or a look at the tables (the
// gate skips it when the tables the step changes hold no rows then). A backup before a step is
// a backup before every later step of the run too.
[[nodiscard]] std::vector<bool> backups_before(const Config& config,
                                               const script::ScriptDirectory& scripts,
                                               const graph::Plan& plan, base::Dialect dialect);

}  // namespace retort::ops::backup
