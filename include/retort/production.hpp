// The production commands: what the operator runs around a deployment. doctor finds what a
// failed or killed run left behind, or what a hand fix did not record, and says the fix.
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

}  // namespace retort
