// The commands of retort, one function each (Alembic's command.py). The CLI is a thin client
// of these; an application can call them at start-up.
//
// Every function throws retort::Error (see error.hpp) with the exit code, what failed, where,
// the database's state and the next command.
//
// Threads: each command opens its own connections and only reads the Config it is given, so
// a Config may be shared read-only, and the commands that only read may run on several
// threads at once. Those that run migrations (upgrade, downgrade, stamp) may run on several
// threads at once against different databases (or version tables: the tenants of a fleet);
// each run is cancelled by itself (a lost lease) or all together (cancel()). Runs on the same
// database are kept apart by the run lock, in one process or several. Each function says its
// case.
#pragma once

#include "retort/config.hpp"
#include "retort/events.hpp"
#include "retort/results.hpp"

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace retort {

// ---- Project ----

struct InitOptions {
  std::filesystem::path directory = "migrations";  // the script location to create
  std::filesystem::path cwd = std::filesystem::current_path();
  std::string url = "sqlite:///app.db";  // written into retort.toml
};
// Creates retort.toml, DIR/script.sql.tmpl and DIR/versions/. Refuses (input error) when
// retort.toml or a non-empty DIR exists.
// Thread-safe: yes, but two inits of the same directory race for its files.
[[nodiscard]] InitResult init(const InitOptions& options);

struct RevisionOptions {
  std::string message;
  std::vector<std::string> head;  // --head: the parent(s); default: the single head
  bool splice = false;            // allow a parent that is not a head (a new branch)
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  std::string rev_id;  // default: 12 random hex digits
  // autogenerate only (revision --autogenerate):
  // --rename OLD=NEW: a table ("public.users=public.members") or a column
  // ("public.users.email=public.users.mail") renamed, never guessed from a drop and an add.
  std::vector<std::string> renames;
  // --allow-hazards: the lint codes of the destructive changes to write anyway (PG203 drop
  // table, PG204 drop column, PG206 drop schema, PG108 narrowing type change or enum label
  // removed, PG105 NOT NULL on an existing column).
  std::vector<std::string> allow_hazards;
};
// Writes a new revision file. Refuses what Alembic refuses: several heads without --head, a
// --head that is not a head without --splice, a duplicate id or label.
// Thread-safe: not against another revision or merge in the same script directory, which
// would read the heads before this file exists.
[[nodiscard]] RevisionInfo revision(const Config& config, const RevisionOptions& options);

// Writes a merge revision whose parents are revisions (targets such as "heads").
// Thread-safe: as revision().
[[nodiscard]] RevisionInfo merge(const Config& config, const std::vector<std::string>& revisions,
                                 const RevisionOptions& options);

// ---- Reading the script directory (no database) ----
//
// Thread-safe: yes; they read files only.

[[nodiscard]] std::vector<RevisionInfo> heads(const Config& config);
[[nodiscard]] std::vector<BranchPoint> branches(const Config& config);
// Newest first; range "LOWER:UPPER" as Alembic's history -r.
[[nodiscard]] std::vector<RevisionInfo> history(const Config& config, const std::string& range);

struct HistoryOptions {
  std::string range;  // "LOWER:UPPER"; a side "current" (current:head, :current) reads the database
  // Alembic's history -i: connect, mark the version table's revisions (is_current), and give
  // each revision its newest ledger row (last_run): applied when and how long, stamped with
  // which reason, failed with which error.
  bool indicate_current = false;
};
// Thread-safe: yes; with indicate_current it opens its own connection and only reads.
[[nodiscard]] std::vector<RevisionInfo> history(const Config& config,
                                                const HistoryOptions& options);
[[nodiscard]] RevisionInfo show(const Config& config, const std::string& revision);

// ---- The database ----

enum class PartialMigration { refuse, resume, restart };

struct RunOptions {
  std::string target = "head";
  // --sql: write the script to sql_out instead of connecting. For downgrade, target must be
  // START:END; for upgrade, START: is optional (default: base).
  std::ostream* sql_out = nullptr;
  std::string reason;  // kept in the ledger (stamp --reason)
  bool purge = false;  // stamp --purge: empty the version table first
  // What to do about a partially applied `transaction false` migration (one whose first
  // statements ran before it failed or its runner died). refuse: stop every upgrade and
  // downgrade (exit 1) with the choices; stamp is the other way out. resume (--resume): run
  // it on from the statement after the last one that ran, refused when a statement that ran
  // was edited since (an INVALID index the statement left is dropped and built again).
  // restart (--restart): the operator undid by hand what ran; run it from its first
  // statement. resume and restart are refused (exit 2) when nothing is partial.
  PartialMigration partial = PartialMigration::refuse;
  // --no-backup: take no backup before risky steps, whatever [retort.backup] when says (the
  // operator took one, or the database holds nothing to lose); the run says so.
  bool no_backup = false;
  // --ignore-window: a revision marked `-- retort:maintenance_window true` starts outside
  // [retort.windows] allowed, or past a window's end; needs a reason, which the ledger keeps.
  bool ignore_window = false;
  // --metrics-file: Prometheus text format written (atomically) at the end of the run and
  // every 10 s during a step; empty: none.
  std::filesystem::path metrics_file;
  RunObserver* observer = nullptr;
};

// Thread-safe: yes, each with its own options.observer, called on the calling thread; two on
// the same version table wait for each other's run lock (retort fleet runs tenants so). With
// --sql (sql_out) nothing connects and nothing is shared.
[[nodiscard]] RunResult upgrade(const Config& config, const RunOptions& options);
[[nodiscard]] RunResult downgrade(const Config& config, const RunOptions& options);
[[nodiscard]] RunResult stamp(const Config& config, const RunOptions& options);

// Asks every upgrade, downgrade or stamp running in this process to stop: the running
// statement is cancelled on the server, the current migration rolls back (a
// non-transactional one stops after its last completed statement) and is recorded `failed`,
// the run lock is released, and the command throws Error (exit 1) with the database's state.
// Returns false when no such command runs. Safe from any thread, not from a signal handler:
// the CLI calls it from a thread that waits for SIGINT and SIGTERM.
// Thread-safe: yes; that is what it is for.
[[nodiscard]] bool cancel() noexcept;

// The version table's rows as revisions, the unfinished ledger rows, what is pending.
// Thread-safe: yes; its own connection, reads only.
[[nodiscard]] CurrentResult current(const Config& config);
// Pending revisions without taking any lock: a readiness probe.
// Thread-safe: yes; its own connection, reads only.
[[nodiscard]] PendingResult pending(const Config& config);
// Fails (result.ok = false) on pending revisions, several heads, or a file the graph rejects;
// and, when the declared schema ([retort.schema] dir) exists, on each object where it and the
// history's heads differ (built on throwaway databases): a forgotten autogenerate.
// Thread-safe: yes; its own connection, reads only (the throwaway databases aside).
[[nodiscard]] CheckResult check(const Config& config);

// ---- Schema ----

// `retort revision --autogenerate`: builds the history at its heads (or --head) and the
// declared schema ([retort.schema] dir) on throwaway databases, plans the change between them,
// proves the plan there (upgrade reaches the declared schema, downgrade the history's heads,
// lint clean) and only then writes the revision: one file, and a second `transaction false`
// one after it when the change has an online part (CREATE INDEX CONCURRENTLY, VALIDATE
// CONSTRAINT). Nothing to do: writes nothing, result.written empty. A refused hazard, or a plan
// that does not converge, throws retort::Error and writes nothing.
// Thread-safe: as revision(); one at a time in a process (cancel() stops it).
[[nodiscard]] AutogenerateResult autogenerate(const Config& config, const RevisionOptions& options);

struct SchemaDumpOptions {
  // Also write one file per object under this directory, which must be empty or absent.
  std::optional<std::filesystem::path> split;
  // What to dump instead of the configured database: a database URL, a directory of SQL
  // (a declared schema) or a revision target of the history ("head", "abc123", "app@head"),
  // the last two built on a throwaway database ([retort.schema] dev_url). Empty: the database.
  std::string source;
};

// Reads the database's schema (read-only, one snapshot) and renders its canonical SQL.
SchemaDumpResult schema_dump(const Config& config, const SchemaDumpOptions& options = {});

struct DiffOptions {
  // Each a database URL, a directory of SQL (a declared schema) or a revision target. Empty:
  // `from` is the configured database, `to` the declared schema ([retort.schema] dir).
  std::string from;
  std::string to;
};

// What turns `from`'s schema into `to`'s. Databases are only read; a declared schema or a
// revision is built on a throwaway database that is dropped again, also on failure and
// cancellation. Thread-safe: one at a time in a process (cancel() stops it).
[[nodiscard]] DiffResult diff(const Config& config, const DiffOptions& options);

// The configured database against what the history builds up to the database's own current
// revisions, on a throwaway database. ok = false names every drifted object, and every object
// of a kind retort cannot compare that [retort.schema] ignore does not list. Reads the
// database only. Thread-safe: as diff.
[[nodiscard]] DriftResult check_drift(const Config& config);

// ---- Squash ----

// What `squash` does with the statements on rows it finds in the revisions it replaces.
enum class SquashData {
  refuse,  // list them and write nothing (the default)
  keep,    // append them to the squash revision after its schema, in history order
  elide,   // leave them out, each named in the squash revision's header
};

struct SquashOptions {
  std::string to;       // R: the squash stands for R and every revision before it
  std::string message;  // default: "squash of N revisions up to R"
  std::string rev_id;   // default: 12 random hex digits
  SquashData data = SquashData::refuse;
};

// `retort squash --to R`: one revision S (`-- retort:replaces` every revision up to R) that
// builds from an empty database what the history builds at R. Proved before it is written:
// the history at R and S alone are built on two throwaway databases and must be equal by
// retort's schema model and (PostgreSQL) by `pg_dump --schema-only`; S's downgrade must empty
// its database; every revision after R must apply on both and leave them equal. Refuses
// (input error, nothing written) when a revision after R follows one before R, or when data
// statements are found and options.data is refuse. Any difference: exit 1, nothing written.
// The configured database is not touched. Thread-safe: as autogenerate().
[[nodiscard]] SquashResult squash(const Config& config, const SquashOptions& options);

struct RetireOptions {
  std::string squash;                  // S (a unique prefix does)
  bool confirm = false;                // false: say what would be deleted, delete nothing
  std::vector<std::string> databases;  // URLs to look at besides the configured database
};

// `retort squash --retire S`: deletes the files of the revisions S replaces once no database
// it can see is still at one of them (one that is: exit 1, nothing deleted). A database that
// cannot be reached is reported, not counted as past S.
[[nodiscard]] RetireResult retire_squash(const Config& config, const RetireOptions& options);

}  // namespace retort
