// The production commands: what the operator runs around a deployment. preflight checks the
// database before a run; doctor finds what a failed or killed run left behind, or what a hand
// fix did not record, and says the fix.
#pragma once

#include "retort/config.hpp"
#include "retort/results.hpp"

namespace retort {

struct DoctorOptions {
  // Apply the repairs that change nothing of the schema and that no decision hangs on:
  // ledger rows of runners that are gone are marked `failed`, expired leases are deleted.
  // Takes the run lock for that, so it never races a runner.
  bool fix = false;
};

// Reads the version table, the ledger, the catalog and the migration files, and returns one
// finding per problem with its fix. Throws Error only when it cannot read them (no
// configuration, no connection, files the graph rejects); result.ok is false when a finding
// of level `error` remains.
DoctorResult doctor(const Config& config, const DoctorOptions& options);

struct PreflightOptions {
  std::string target = "head";  // what `retort upgrade TARGET` would run
};

// The production checklist before `retort upgrade TARGET`, without taking any lock or
// changing anything: the pending steps with their estimated runtimes; connection headroom;
// long transactions, idle-in-transaction sessions and sessions that hold or wait for locks on
// the tables the pending statements touch; replica lag (lag that cannot be observed fails);
// the lock_timeout and statement_timeout the run will use. Thresholds come from
// [retort.preflight] and [retort.replicas]. result.ok is false when a check failed (exit 1).
// On SQLite only the pending steps and timeouts apply.
PreflightResult preflight(const Config& config, const PreflightOptions& options);

}  // namespace retort
