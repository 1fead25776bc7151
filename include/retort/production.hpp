// The production commands: what the operator runs around a deployment. preflight checks the
// database before a run; doctor finds what a failed or killed run left behind, or what a hand
// fix did not record, and says the fix; backup and restore keep the data a step drops.
#pragma once

#include "retort/config.hpp"
#include "retort/results.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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
// Thread-safe: yes; its own connection. With fix it takes the run lock, so it waits for a run
// of any thread or process rather than race it.
[[nodiscard]] DoctorResult doctor(const Config& config, const DoctorOptions& options);

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
// Thread-safe: yes; its own connections, reads only.
[[nodiscard]] PreflightResult preflight(const Config& config, const PreflightOptions& options);

struct LintOptions {
  // Revisions, prefixes, targets (head, LABEL@head) or ranges (START:END, as history -r).
  // Empty: every revision of the directory, or the pending ones with `pending`.
  std::vector<std::string> revisions;
  // The steps `retort upgrade target` would run on the database: tables an earlier pending
  // step creates are new for the later ones, and the server's version is the database's.
  bool pending = false;
  std::string target = "heads";
  // The PostgreSQL major version the rules assume (some dangers depend on it); the
  // database's with `pending`, else 14, the oldest supported release.
  std::optional<int> server_version;
  // The schema each statement is judged on (a column's old type, a validated CHECK, a
  // partitioned table): "history" builds the revisions before the first one linted on a
  // throwaway database ([retort.schema] dev_url, else a private server; none needed when the
  // first one linted is a base); "database" reads the configured database, the schema
  // `pending` lints against; "none" judges without. Empty: "history" when it can be built,
  // else none, said in result.schema_notes.
  std::string schema;
};

// The dangerous operations of the upgrade sections of PostgreSQL migrations: each with its
// stable code, file:line:column, why it is dangerous and the SQL to write instead. Rules know
// the migration's context (transactional or not, tables created before the statement, the
// lock_timeout retort sets, the server version). `-- retort:lint-ignore CODE -- reason`
// accepts a finding in one file. result.ok is false when an error-level finding stands
// (exit 1). Throws Error (input, exit 2) for a statement that does not parse and for a
// lint-ignore naming an unknown code, with file and line. A SQLite project lints nothing and
// says so in result.skipped. Reads only; connects only with `pending`.
// Thread-safe: yes; the rules are constants and the connection its own.
[[nodiscard]] LintResult lint_migrations(const Config& config, const LintOptions& options);

// Every rule, in code order. Thread-safe: yes; pure.
[[nodiscard]] std::vector<LintRule> lint_rules();

// Staging's timings, for production's preflight. export: the newest `ok` upgrade and downgrade
// of every revision in this database's ledger (reads only). import: writes them into this
// database's retort_timings, replacing those of the same revision, direction and checksum;
// returns how many. preflight then estimates a pending step from them when its file has no
// `-- retort:estimate` and its checksum matches. Refuses (input, nothing imported) a timing
// without revision or checksum, with a negative duration, or whose direction is stamp.
// Thread-safe: yes; each opens its own connection, and an import writes in one transaction.
[[nodiscard]] std::vector<StepTiming> timings_export(const Config& config);
[[nodiscard]] int timings_import(const Config& config, const std::vector<StepTiming>& timings);

// Takes a backup of the database now, into [retort.backup] directory: PostgreSQL through
// pg_dump's custom format (the pg_dump of the server's major version unless [retort.backup]
// pg_dump says which), read back with pg_restore --list; SQLite through its online backup API,
// checked with PRAGMA quick_check; or [retort.backup] command. Reads only: takes no run lock.
// Throws Error (exit 1) with the program's words, password removed.
// Thread-safe: one at a time in a process with upgrade, downgrade, stamp and restore: cancel()
// ends the backup program of the one that runs.
[[nodiscard]] BackupResult backup(const Config& config);

struct RestoreOptions {
  std::filesystem::path file;  // a backup retort took (or pg_dump -Fc, or a SQLite file)
  // The name of the database to overwrite, as the operator typed it: the restore refuses
  // (exit 2, nothing changed) unless it is the name of the database config.url points at
  // (PostgreSQL's database name; SQLite's file name without its extension).
  std::string confirm;
};

// Replaces the database's content with the backup's, under the run lock: `pg_restore --clean
// --if-exists --single-transaction` (all or nothing; objects created since the backup stay,
// and `retort doctor` names those the next migration would create), or SQLite's backup API.
// The version table and the ledger come back as they were. Refuses (exit 2) a file that is not
// a backup of this kind of database and a wrong confirm; throws Error (exit 1) when the
// restore fails, saying that the database is unchanged.
// Thread-safe: as backup(); it takes the run lock, so no run of any process migrates meanwhile.
[[nodiscard]] RestoreResult restore(const Config& config, const RestoreOptions& options);

}  // namespace retort
