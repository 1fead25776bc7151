// Fleets: many databases, or many schemas of one database, that share one history (tenants),
// migrated at once (`retort fleet ...`, docs/guide/fleet.md). Each tenant keeps its own
// version table, ledger and run lock, so everything about a tenant is read back from the
// tenant itself: a rerun recomputes what is left to do, and two fleet runs over the same
// tenants apply each revision once.
#pragma once

#include "retort/config.hpp"
#include "retort/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort {

// One tenant of [retort.fleet].
struct Tenant {
  std::string id;
  // Its database. Contains the password: print only redacted_url.
  std::string url;
  std::string redacted_url;
  // Schema-per-tenant: the tenant's schema, where its version table and ledger are and which
  // is first on its migrations' search_path. Empty: the tenant is a database of its own.
  std::string schema;
  // The server it lives on, "host:port" (what --max-per-host counts by); empty for a SQLite
  // file, which has no server to crowd.
  std::string host;
};

// Where a tenant stands after a fleet command. The words are the --json contract.
enum class TenantStatus {
  applied,  // upgrade/downgrade: it moved to the target
  current,  // it was at the target already: nothing ran
  pending,  // current/check: revisions are left to run
  failed,   // a step failed (or the run was refused): its ledger says which
  busy,     // another runner held its lock past lock_wait (exit 3)
  skipped,  // unreachable: the reason says why; nothing ran
  stopped,  // not started: a canary failed, --on-error stop, --max-failures, or a cancel
};
[[nodiscard]] constexpr std::string_view to_string(TenantStatus status) noexcept {
  switch (status) {
    case TenantStatus::applied:
      return "applied";
    case TenantStatus::current:
      return "current";
    case TenantStatus::pending:
      return "pending";
    case TenantStatus::failed:
      return "failed";
    case TenantStatus::busy:
      return "busy";
    case TenantStatus::skipped:
      return "skipped";
    case TenantStatus::stopped:
      return "stopped";
  }
  return "failed";
}
[[nodiscard]] constexpr std::optional<TenantStatus> parse_tenant_status(
    std::string_view word) noexcept {
  for (const TenantStatus status :
       {TenantStatus::applied, TenantStatus::current, TenantStatus::pending, TenantStatus::failed,
        TenantStatus::busy, TenantStatus::skipped, TenantStatus::stopped}) {
    if (word == to_string(status)) {
      return status;
    }
  }
  return std::nullopt;
}

// What a fleet command did to one tenant.
struct TenantResult {
  std::string id;
  std::string database;  // redacted URL
  std::string schema;    // schema-per-tenant; empty otherwise
  TenantStatus status = TenantStatus::current;
  bool canary = false;
  std::vector<std::string> from;     // its version table's rows before
  std::vector<std::string> to;       // and after
  std::vector<std::string> pending;  // current/check: what an upgrade to the target would run
  int steps = 0;                     // steps run
  std::int64_t duration_ms = 0;      // from its first connection to its last
  // failed, busy, skipped, stopped: why, in the words of the error a single-database command
  // prints; sqlstate and where ("file:line") when a statement failed.
  std::string reason;
  std::string sqlstate;
  std::string where;
  std::string state;  // the database's state after the failure
  std::string next;   // the command that deals with this tenant alone
};

struct FleetResult {
  std::string command;  // "upgrade", "downgrade", "current", "check"
  std::string target;   // upgrade/downgrade
  std::string shard;    // "i/S", empty for all tenants
  int concurrency = 0;
  int max_per_host = 0;
  std::vector<TenantResult> tenants;  // in the order of the tenant source
  // Why the run stopped before every tenant was tried; empty when none was left out.
  std::string stopped_because;
  // The command that retries what is left (failed, busy, skipped and stopped tenants);
  // empty when nothing is.
  std::string rerun;
  std::int64_t duration_ms = 0;
  [[nodiscard]] int count(TenantStatus status) const noexcept;
  // 0 every tenant ok (applied, current; for check: none pending), 1 any failed, skipped,
  // stopped or (check) pending, 3 none of those but a tenant busy.
  [[nodiscard]] ExitCode exit_code() const noexcept;
};

// What a fleet command is told about its tenants as they go, for a progress display. Calls
// come from the threads that migrate the tenants, one at a time (the fleet serialises them).
class FleetObserver {
 public:
  virtual ~FleetObserver() = default;
  FleetObserver() = default;
  FleetObserver(const FleetObserver&) = delete;
  FleetObserver& operator=(const FleetObserver&) = delete;
  FleetObserver(FleetObserver&&) = delete;
  FleetObserver& operator=(FleetObserver&&) = delete;
  virtual void fleet_started(int /*tenants*/) {}
  virtual void tenant_started(const Tenant& /*tenant*/) {}
  // done: tenants finished so far, of `total`.
  virtual void tenant_finished(const TenantResult& /*result*/, int /*done*/, int /*total*/) {}
};

enum class OnError {
  continue_,  // "continue": the other tenants go on (default)
  stop,       // "stop": no tenant starts after the first failure
};

// --shard i/S: the tenants whose shard_of(id, S) is i.
struct Shard {
  int index = 0;
  int count = 1;
};

struct FleetOptions {
  std::string target = "head";
  // 0: [retort.fleet]'s concurrency and max_per_host.
  int concurrency = 0;
  int max_per_host = -1;  // -1: the configured one; 0: no cap
  // Canaries run first, all of them, and any that does not end applied or current stops the
  // run before another tenant is touched: the first `canary` tenants of the source, or these.
  int canary = 0;
  std::vector<std::string> canary_tenants;
  OnError on_error = OnError::continue_;
  int max_failures = 0;  // past this many failed tenants none starts; 0: no limit
  // Only tenants whose database says they are in one of these states (failed: a failed or
  // interrupted run in its ledger; pending: not at the target). Empty: every tenant.
  std::vector<TenantStatus> only;
  std::optional<Shard> shard;
  FleetObserver* observer = nullptr;
};

// The tenants of [retort.fleet], in the order of their source (the file's, the list's, the
// query's; schemas by name), keeping those of options.shard. Throws an input error for no or
// two sources, a malformed line or entry, a duplicate id, and an unreachable catalog or
// database of `schemas`.
// Thread-safe: yes; its own connection for tenants_query and schemas.
[[nodiscard]] std::vector<Tenant> fleet_tenants(const Config& config,
                                                const std::optional<Shard>& shard = {});

// The tenant's own configuration: config with its URL, and for a schema tenant its version
// table in its schema and the schema first on its session's search_path. Thread-safe: pure.
[[nodiscard]] Config tenant_config(const Config& config, const Tenant& tenant);

// Migrates every tenant to options.target: upgrade (or downgrade) of each, up to the
// concurrency at once, never more than max_per_host connections to one server, canaries
// first. Never throws for one tenant's failure: it is in the result (exit_code()). Throws an
// input error for bad options or tenant sources (nothing was run).
// Thread-safe: yes; cancel_fleet() stops every fleet of the process.
[[nodiscard]] FleetResult fleet_upgrade(const Config& config, const FleetOptions& options);
[[nodiscard]] FleetResult fleet_downgrade(const Config& config, const FleetOptions& options);
// Where each tenant stands (current(): its rows, pending, failed runs); reads only.
[[nodiscard]] FleetResult fleet_current(const Config& config, const FleetOptions& options);
// current, as a gate: exit 1 while a tenant is pending, failed or unreachable.
[[nodiscard]] FleetResult fleet_check(const Config& config, const FleetOptions& options);

// Stops the fleets of this process: no tenant starts any more, and the running tenants' runs
// are cancelled as cancel() does. Returns false when nothing ran. Thread-safe: yes; not from a
// signal handler.
bool cancel_fleet() noexcept;

// The shard of a tenant id: 64-bit FNV-1a of the id's bytes (offset basis
// 0xcbf29ce484222325, prime 0x100000001b3) modulo count. Fixed and documented, so that every
// machine and version agrees (never std::hash). Pure.
[[nodiscard]] std::uint64_t fnv1a_64(std::string_view text) noexcept;
[[nodiscard]] int shard_of(std::string_view tenant_id, int count) noexcept;

}  // namespace retort
