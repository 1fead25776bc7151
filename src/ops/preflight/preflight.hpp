// retort preflight: the production checklist teams keep in a wiki, as checks. Each check reads
// the database (never writes, never locks) and appends one line: pass, warn or fail, with the
// numbers and the fix. One check per file.
#pragma once

#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "ops/backup/backup.hpp"
#include "retort/config.hpp"
#include "retort/results.hpp"
#include "runner/ledger.hpp"
#include "runner/timings.hpp"
#include "schema/model.hpp"
#include "script/script_directory.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace retort::ops::preflight {

struct Context {
  driver::Connection& db;
  const script::ScriptDirectory& scripts;
  runner::Ledger& ledger;
  const graph::Plan& plan;  // the steps `upgrade TARGET` would run
  const Config& config;     // thresholds: preflight, replicas, postgres
  // The relations the pending statements name (as written, and without their schema), from
  // libpg_query: whose locks the run would wait for.
  std::vector<std::string> touched;
  // The database's schema, as `retort lint --pending --schema database` reads it (rows looked
  // at), for lint to judge the pending statements on; null when it could not be read.
  const schema::Schema* schema = nullptr;

  [[nodiscard]] bool postgres() const { return db.dialect() == base::Dialect::postgres; }
};

using Checks = std::vector<PreflightCheck>;

// One per file of this folder.
void check_pending(Context& context, Checks& checks, std::vector<PreflightStep>& steps);
void check_timeouts(Context& context, Checks& checks);
void check_primary(Context& context, Checks& checks);
void check_privileges(Context& context, Checks& checks);
void check_lint(Context& context, Checks& checks);
void check_connections(Context& context, Checks& checks);
void check_blockers(Context& context, Checks& checks);
void check_replicas(Context& context, Checks& checks);
void check_disk(Context& context, Checks& checks);
void check_backup(Context& context, Checks& checks);
void check_rollback(Context& context, Checks& checks);

// Every check, in the order of the checklist.
void run(Context& context, Checks& checks, std::vector<PreflightStep>& steps);

// Calls `visit` with each statement the plan's steps run (upgrade or downgrade section), in
// order. A file that does not split is skipped: the run refuses it before anything runs.
void each_statement(const script::ScriptDirectory& scripts, const graph::Plan& plan,
                    base::Dialect dialect,
                    const std::function<void(const graph::Step&, const script::Statement&)>& visit);

// How long a step is expected to take, and where that comes from.
struct StepEstimate {
  std::int64_t ms = 0;
  EstimateSource source = EstimateSource::none;
};

// The migration's `-- retort:estimate`, else staging's timing of the same statements (`retort
// timings import`), else the newest `ok` run of them in this database's ledger; nothing when
// none knows. Used by preflight and by the maintenance-window gate.
[[nodiscard]] std::optional<StepEstimate> estimate_step(runner::TimingsTable& timings,
                                                        runner::Ledger& ledger,
                                                        const script::Migration& migration,
                                                        Direction direction);

// When the newest `ok` upgrade or downgrade finished, as the ledger writes it; empty when none.
[[nodiscard]] std::string last_applied(runner::Ledger& ledger);

// The newest backup in the directory taken since the last applied migration (to the second, as
// backup names say it): a way back to now, for the backup and rollback checks. None: no such
// backup.
[[nodiscard]] std::optional<backup::Found> backup_since_last_applied(Context& context);

// The relations the plan's statements name, each once.
[[nodiscard]] std::vector<std::string> touched_relations(const script::ScriptDirectory& scripts,
                                                         const graph::Plan& plan,
                                                         base::Dialect dialect);

}  // namespace retort::ops::preflight
