// Plain structs returned by the commands: what the CLI renders as text and `--json` prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort {

// ---- The fixed vocabularies of the results ----
//
// Each enum's to_string is the word the text output, `--json` (docs/reference/json/) and the
// ledger use; those words are a contract, so an enumerator is never renamed without its word
// staying. The functions below are pure, constexpr and thread-safe.

// Which way a step moves the version table.
enum class Direction {
  upgrade,
  downgrade,
  stamp,  // the version table only; no SQL of the migration runs
};
[[nodiscard]] constexpr std::string_view to_string(Direction direction) noexcept {
  switch (direction) {
    case Direction::upgrade:
      return "upgrade";
    case Direction::downgrade:
      return "downgrade";
    case Direction::stamp:
      return "stamp";
  }
  return "upgrade";
}
// The direction a word names ("upgrade", "downgrade", "stamp"); nullopt for any other word.
[[nodiscard]] constexpr std::optional<Direction> parse_direction(std::string_view word) noexcept {
  for (const Direction direction : {Direction::upgrade, Direction::downgrade, Direction::stamp}) {
    if (word == to_string(direction)) {
      return direction;
    }
  }
  return std::nullopt;
}

// Where a ledger row stands.
enum class LedgerStatus {
  running,  // opened before the first statement; its runner may be gone
  ok,
  failed,
};
[[nodiscard]] constexpr std::string_view to_string(LedgerStatus status) noexcept {
  switch (status) {
    case LedgerStatus::running:
      return "running";
    case LedgerStatus::ok:
      return "ok";
    case LedgerStatus::failed:
      return "failed";
  }
  return "failed";
}
// The status a word names ("running", "ok", "failed"); nullopt for any other word.
[[nodiscard]] constexpr std::optional<LedgerStatus> parse_ledger_status(
    std::string_view word) noexcept {
  for (const LedgerStatus status :
       {LedgerStatus::running, LedgerStatus::ok, LedgerStatus::failed}) {
    if (word == to_string(status)) {
      return status;
    }
  }
  return std::nullopt;
}

// How a step of a run ended.
enum class StepStatus {
  ok,
  failed,
  planned,  // --sql: written, not run
};
[[nodiscard]] constexpr std::string_view to_string(StepStatus status) noexcept {
  switch (status) {
    case StepStatus::ok:
      return "ok";
    case StepStatus::failed:
      return "failed";
    case StepStatus::planned:
      return "planned";
  }
  return "failed";
}

// How much a doctor finding matters: an error leaves result.ok false.
enum class DoctorLevel { error, warning, info };
[[nodiscard]] constexpr std::string_view to_string(DoctorLevel level) noexcept {
  switch (level) {
    case DoctorLevel::error:
      return "error";
    case DoctorLevel::warning:
      return "warning";
    case DoctorLevel::info:
      return "info";
  }
  return "error";
}

// How much a lint finding matters: an error one that no lint-ignore accepts fails lint; a note
// says what a statement does that is safe as retort runs it (a brief lock under lock_timeout).
enum class LintLevel { error, warning, note };
[[nodiscard]] constexpr std::string_view to_string(LintLevel level) noexcept {
  switch (level) {
    case LintLevel::error:
      return "error";
    case LintLevel::warning:
      return "warning";
    case LintLevel::note:
      return "note";
  }
  return "error";
}

// The outcome of one preflight check: a fail leaves result.ok false.
enum class CheckStatus { pass, warn, fail };
[[nodiscard]] constexpr std::string_view to_string(CheckStatus status) noexcept {
  switch (status) {
    case CheckStatus::pass:
      return "pass";
    case CheckStatus::warn:
      return "warn";
    case CheckStatus::fail:
      return "fail";
  }
  return "fail";
}

// How a backup was taken.
enum class BackupMethod {
  pg_dump,  // pg_dump's custom format, read back with pg_restore --list
  sqlite,   // SQLite's online backup API
  command,  // [retort.backup] command
};
[[nodiscard]] constexpr std::string_view to_string(BackupMethod method) noexcept {
  switch (method) {
    case BackupMethod::pg_dump:
      return "pg_dump";
    case BackupMethod::sqlite:
      return "sqlite";
    case BackupMethod::command:
      return "command";
  }
  return "command";
}

// Where the PostgreSQL major version lint assumed comes from.
enum class ServerVersionSource {
  none,             // nothing was linted (skipped): ""
  database,         // the database's own: "database"
  option,           // --pg-version: "--pg-version"
  default_version,  // the oldest supported release: "default"
};
[[nodiscard]] constexpr std::string_view to_string(ServerVersionSource source) noexcept {
  switch (source) {
    case ServerVersionSource::none:
      return "";
    case ServerVersionSource::database:
      return "database";
    case ServerVersionSource::option:
      return "--pg-version";
    case ServerVersionSource::default_version:
      return "default";
  }
  return "";
}

// Where a pending step's runtime estimate comes from.
enum class EstimateSource {
  none,     // nothing is known: ""
  header,   // the file's `-- retort:estimate`
  staging,  // imported with `retort timings import`
  ledger,   // an earlier run of the same statements in this database
};
[[nodiscard]] constexpr std::string_view to_string(EstimateSource source) noexcept {
  switch (source) {
    case EstimateSource::none:
      return "";
    case EstimateSource::header:
      return "header";
    case EstimateSource::staging:
      return "staging";
    case EstimateSource::ledger:
      return "ledger";
  }
  return "";
}

// A ledger row (retort_log), as current -v and history show it.
struct LedgerEntry {
  std::int64_t id = 0;
  std::string revision;
  Direction direction = Direction::upgrade;
  LedgerStatus status = LedgerStatus::running;
  int statements_done = 0;
  int statements_total = 0;
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;  // empty while running
  std::optional<std::int64_t> duration_ms;
  std::string error;
  std::string reason;
  // current: what to run about it ("retort upgrade --resume", ...).
  std::string next_command;
};

// One revision as the commands show it.
struct RevisionInfo {
  std::string revision;
  std::vector<std::string> down_revisions;
  std::vector<std::string> depends_on;
  std::vector<std::string> branch_labels;  // declared and inherited
  std::string message;
  std::string path;                // relative to the project directory
  bool is_head = false;            // no revision revises it
  bool is_effective_head = false;  // a head another revision depends on (Alembic's mark)
  bool is_base = false;
  bool is_branch_point = false;
  bool is_merge_point = false;
  bool is_current = false;  // in the database's version table (history with a database only)
  // history -i: the revision's newest ledger row (applied, stamped, downgraded, failed).
  std::optional<LedgerEntry> last_run;
  bool transactional = true;
  bool has_downgrade = true;
  std::optional<std::int64_t> estimate_ms;
};

struct InitResult {
  std::string config_file;
  std::string script_location;
  std::vector<std::string> created;  // every file and directory written
  // The lines added to .gitignore (created, or appended to without repeating a line it has):
  // the backup directory and the SQLite run lock; empty when it ignored both already.
  std::vector<std::string> gitignore_added;
  // Set when the URL given had a password: retort.toml then says url = "${DATABASE_URL}" (the
  // variable named here) rather than keep the password in a file; url_redacted is the URL given,
  // password replaced by ***, to say what the variable should hold.
  std::string url_env;
  std::string url_redacted;
};

struct BranchPoint {
  RevisionInfo revision;
  std::vector<std::string> children;
};

struct CurrentResult {
  std::string database;              // redacted URL
  std::vector<RevisionInfo> heads;   // the version table's rows, as revisions
  std::vector<std::string> unknown;  // rows that name no revision in the files
  // When there are unknown rows: what the ledger remembers of them (the database is ahead of
  // this code) and the command to run.
  std::string ahead;
  std::string ahead_next;
  std::vector<LedgerEntry> unfinished;  // running or failed ledger rows not superseded
  bool up_to_date = false;              // every head of the files is applied
  std::vector<std::string> pending;     // revisions an `upgrade heads` would run, in order
  // Rows a squash replaced: what the next upgrade does about each (adopt the squash, after the
  // replaced files up to its tip), or why it cannot (the files on the way were retired).
  std::vector<std::string> squashed;
};

// One step of a run, as it happened (or, with --sql, as it would).
struct StepResult {
  std::string revision;
  std::string message;
  Direction direction = Direction::upgrade;
  StepStatus status = StepStatus::ok;
  int statements_done = 0;
  int statements_total = 0;
  std::int64_t duration_ms = 0;
  std::vector<std::string> heads_after;
  // The backup taken before the step (its path, as the ledger's `backup` column keeps it), or
  // empty when the step needed none.
  std::string backup;
};

struct RunResult {
  std::string database;  // redacted URL
  std::string target;
  std::vector<std::string> heads_before;
  std::vector<std::string> heads_after;
  std::vector<StepResult> steps;
  std::int64_t duration_ms = 0;
};

// One problem `retort doctor` found, with its fix.
struct DoctorFinding {
  std::string code;  // stable: "partial-migration", "invalid-index", ...
  DoctorLevel level = DoctorLevel::error;
  std::string message;  // what is wrong, with the revision, file or object it concerns
  std::string fix;      // the command or SQL that mends it
  bool fixed = false;   // --fix mended it (message says what was, fix what was done)
};

struct DoctorResult {
  std::string database;  // redacted URL
  std::vector<DoctorFinding> findings;
  bool ok = true;  // no finding of level error is left
};

// How long one step took where it was measured: what `timings export` writes and `timings
// import` reads, matched by revision, direction and checksum.
struct StepTiming {
  std::string revision;
  Direction direction = Direction::upgrade;  // upgrade or downgrade, never stamp
  std::string checksum;                      // of the file as it ran (retort_log.checksum)
  std::int64_t duration_ms = 0;
  std::string source;       // where it was measured: the exporting database, redacted
  std::string measured_at;  // when it ran there, ISO 8601 UTC
};

// One dangerous operation `retort lint` found in a migration.
struct LintFinding {
  std::string code;  // stable: "PG101"
  std::string name;  // "create-index-blocks-writes"
  LintLevel level = LintLevel::error;
  std::string revision;
  std::string file;  // relative to the project directory
  std::string path;  // absolute, for tools that want the file relative to elsewhere
  int line = 0;
  int column = 0;
  std::string statement;  // as written
  std::string message;    // what it does, naming the objects
  std::string why;        // the lock it takes and what waits, or the data it loses
  std::string fix;        // the safe pattern, with the SQL to write instead
  std::string ignored;    // the reason of the `-- retort:lint-ignore` that accepts it; or empty
  // What the database said of the table's rows that lowered the level of a rewrite or a scan
  // (an empty table: a note; a small one: at most a warning); empty when nothing did.
  std::string evidence;
};

// A lint rule, as `retort lint --rules` lists it.
struct LintRule {
  std::string code;
  std::string name;
  LintLevel level = LintLevel::error;
  std::string summary;
};

struct LintResult {
  std::vector<LintFinding> findings;  // in run order of the files, then line and column
  // `-- retort:lint-ignore` codes that accepted nothing, as "file:line: CODE".
  std::vector<std::string> unused_ignores;
  std::vector<std::string> revisions;  // linted, in run order
  std::size_t statements = 0;
  int server_version = 0;  // the PostgreSQL major version the rules assumed
  // Where server_version comes from; none when nothing was linted.
  ServerVersionSource server_version_source = ServerVersionSource::none;
  // Empty, or why nothing was linted ("the database is SQLite: ...").
  std::string skipped;
  // Where the schema the statements were judged on came from, or why there was none: one line
  // each ("the schema before 3f2a9c1b7d4e was built on a throwaway ...").
  std::vector<std::string> schema_notes;
  int errors = 0;    // error-level findings no lint-ignore accepts
  int warnings = 0;  // warning-level findings no lint-ignore accepts
  int notes = 0;     // note-level findings no lint-ignore accepts
  bool ok = true;    // errors == 0
};

// One check of `retort preflight`.
struct PreflightCheck {
  std::string code;  // stable: "pending", "timeouts", "primary", "privileges", "lint",
                     // "connections", "blockers", "replica-lag", "disk", "backup",
                     // "rollback"
  CheckStatus status = CheckStatus::pass;
  std::string message;  // what was found, with the numbers
  std::string fix;      // what to do; empty on pass
};

// A step the run would take, with what is known of its runtime.
struct PreflightStep {
  std::string revision;
  std::string message;
  bool transactional = true;
  std::optional<std::int64_t> estimate_ms;
  // Where the estimate comes from; none when nothing is known.
  EstimateSource estimate_source = EstimateSource::none;
};

struct PreflightResult {
  std::string database;  // redacted URL
  std::string target;
  std::vector<PreflightStep> steps;
  std::vector<PreflightCheck> checks;
  bool ok = true;  // no check failed
};

// A backup `retort backup` took (a run takes the same before a risky step, and names its path
// in the step's ledger row).
struct BackupResult {
  std::string database;    // redacted URL
  std::string path;        // absolute: <directory>/<database>-<revision>-<yyyymmddThhmmssZ>.dump
  std::int64_t bytes = 0;  // never 0: an empty backup is refused
  std::string revision;    // the version table's rows when it was taken, '+'-joined; "base"
  std::string taken_at;    // ISO 8601 UTC, to the second (as in the name)
  BackupMethod method = BackupMethod::pg_dump;
  // pg_dump: the entries `pg_restore --list` read back from the file; 0 otherwise.
  int entries = 0;
  std::int64_t duration_ms = 0;
  // What the operator should fix though the backup was taken: a backup directory other users
  // may read or write.
  std::vector<std::string> warnings;
};

struct RestoreResult {
  std::string database;                  // redacted URL
  std::string file;                      // absolute
  std::vector<std::string> heads_after;  // the version table's rows after the restore
  std::int64_t duration_ms = 0;
};

struct PendingResult {
  std::vector<std::string> current;  // the database's heads
  std::vector<std::string> pending;  // revisions `upgrade head(s)` would apply, in order
};

// `schema dump`: the canonical SQL of a database's schema, and what it leaves out.
struct SchemaObject {
  std::string kind;  // "table", "view", "function", "constraint", "index", "comment", ...
  std::string name;  // as the SQL spells it: "public.users", "app.add(a integer, b integer)"
  std::string file;  // where --split writes it, relative: "tables/public.users.sql"
};

struct SchemaUnsupported {
  std::string kind;  // "event trigger", "rule", "aggregate", "grant", ...
  std::string name;
};

struct SchemaDumpResult {
  std::string database;  // redacted URL
  std::string dialect;   // "postgresql" or "sqlite"
  std::string server_version;
  std::string sql;                    // the whole dump
  std::vector<SchemaObject> objects;  // in dump order
  // Catalog objects of kinds the model does not cover: not in the dump.
  std::vector<SchemaUnsupported> unsupported;
  int catalog_queries = 0;         // the same for any number of objects
  std::string split_directory;     // --split: absolute; otherwise empty
  std::vector<std::string> files;  // --split: the files written, relative to it
  // Where the schema came from: "database postgresql://...", "revision abc123 (built on a
  // throwaway database)", "declared schema schema/".
  std::string source;
};

// One difference between two schemas, object by object.
struct SchemaChange {
  std::string change;        // "added", "removed" or "changed"
  std::string object;        // "table", "column", "view", "function", "index", ...
  std::string name;          // "public.users.email", "public.add(integer, integer)"
  std::string attribute;     // for a change: "type", "default", "definition", ...; else empty
  std::string before;        // the value, or the whole definition of a removed object
  std::string after;         // the value, or the whole definition of an added object
  std::string line;          // "~ column public.users.email: type text -> citext"
  std::string unified_diff;  // multi-line values: before and after as a unified diff
};

struct DiffResult {
  std::string from;  // described: "database postgresql://...", "revision abc123", ...
  std::string to;
  std::vector<SchemaChange> changes;
  // Objects of kinds retort does not compare (event triggers, rules, ...), in either schema
  // and not in [retort.schema] ignore: their equality is unknown.
  std::vector<SchemaUnsupported> uncompared;
  std::vector<std::string> notes;  // where the throwaway databases were, what was ignored
  [[nodiscard]] bool equal() const { return changes.empty() && uncompared.empty(); }
};

struct CheckResult {
  bool ok = true;
  std::vector<std::string> findings;  // one sentence each, with what to do
  // The declared schema against the history's heads, when [retort.schema] dir exists: each
  // object where they differ (from: the history, to: the declared schema).
  std::optional<DiffResult> schema;
};

// `retort check --drift`: the database against what its own current revisions build.
struct DriftResult {
  std::string database;                // redacted URL
  std::vector<std::string> revisions;  // the version table's rows the history was built to
  DiffResult diff;                     // from: the history; to: the database
  bool ok = true;                      // no change and nothing uncompared
};

// One step of an autogenerated plan, as its revision's comment names it.
struct AutogenerateStep {
  std::string revision;  // the file it is in
  std::string summary;   // "add column public.orders.status"
  bool online = false;   // in the `transaction false` revision
};

// A destructive change of an autogenerated plan: refused unless --allow-hazards names it.
struct AutogenerateHazard {
  std::string code;  // lint code: PG203, PG204, PG206, PG108, PG105
  std::string object;
  std::string why;
  bool allowed = false;
};

// `retort revision --autogenerate`.
struct AutogenerateResult {
  std::string from;                   // "the history at abc123"
  std::string to;                     // "declared schema schema/"
  std::vector<RevisionInfo> written;  // the files, in the order they run; empty: nothing to do
  std::vector<AutogenerateStep> steps;
  std::vector<AutogenerateHazard> hazards;
  std::vector<SchemaUnsupported> uncompared;  // objects no revision can carry
  std::vector<std::string> notes;             // the planner's and the proof's
  // Where the time went: building and reading both schemas on throwaway databases (at once),
  // planning, proving the plan (upgrade, read, downgrade, read, lint) and dropping them.
  struct Timings {
    std::int64_t build = 0;
    std::int64_t plan = 0;
    std::int64_t prove = 0;
  } timings_ms;
};

// A statement on rows (INSERT, UPDATE, DELETE, COPY, DO, CALL, ...) in a revision a squash
// replaces: a squash rebuilds the schema alone, so each one is a decision (--data).
struct SquashDataStatement {
  std::string revision;
  std::string path;  // relative to the project directory
  int line = 0;
  std::string command;  // "INSERT"
  std::string text;     // its first line, shortened
};

// `retort squash --to R`.
struct SquashResult {
  std::string to;                     // R
  std::vector<std::string> replaced;  // R and its ancestors, in the order they run
  RevisionInfo written;               // the squash revision
  std::string data = "none";          // "none" (no data statement), "keep" or "elide"
  std::vector<SquashDataStatement> data_statements;
  std::vector<std::string> verified;  // each check the proof passed, one sentence each
  std::vector<std::string> notes;
  struct Timings {
    std::int64_t build = 0;  // the history at R on a throwaway database
    std::int64_t plan = 0;
    std::int64_t verify = 0;  // S built, compared, downgraded, the revisions after R on both
  } timings_ms;
};

// One database `squash --retire` looked at.
struct RetireDatabase {
  std::string database;  // redacted URL
  bool reachable = false;
  std::string error;                   // why it could not be read
  std::vector<std::string> revisions;  // its version table's rows
  std::vector<std::string> stranded;   // those of them the squash replaces: retiring waits
};

// `retort squash --retire S`.
struct RetireResult {
  std::string squash;
  std::vector<std::string> files;  // the replaced files still present, relative paths
  bool deleted = false;            // false: a dry run (no --confirm), or nothing to delete
  std::vector<RetireDatabase> databases;
};

}  // namespace retort
