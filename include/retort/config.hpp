// Configuration: retort.toml, the environment and command-line overrides (SPEC §1).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace retort {

using Millis = std::chrono::milliseconds;

// How concurrent runners are kept apart on PostgreSQL.
enum class LockMode {
  advisory,  // a session advisory lock on a dedicated connection (default)
  lease,     // a lease row with expiry, for transaction-mode poolers
  none,      // no lock: the operator guarantees a single runner
};

// [retort.postgres]: all optional, safe defaults.
struct PostgresSettings {
  LockMode lock = LockMode::advisory;
  Millis lock_wait{std::chrono::minutes(5)};     // how long a second runner waits for the first
  Millis lock_timeout{std::chrono::seconds(2)};  // per statement that needs a lock; then retry
  int lock_retries = 10;                         // with backoff
  Millis statement_timeout{0};                   // 0 = none
  // lock = "lease": a runner that stops renewing its lease (killed, cut off) loses it after
  // this long, and the next runner takes it over. Renewed every third of it while a run lasts.
  Millis lease_ttl{std::chrono::seconds(30)};
};

// [retort.preflight]: the thresholds of `retort preflight`.
struct PreflightSettings {
  Millis max_step_runtime{0};  // a pending step estimated longer fails; 0 = none
  Millis long_transaction{std::chrono::minutes(5)};  // open longer: reported
  int app_connections = 0;  // connections the application's pools may still open
  // A shell command (sh -c) whose last line of output is the free bytes of the server's data
  // directory, for the disk check: PostgreSQL has no SQL function for it. Empty: statvfs() of
  // the data directory when the server runs on this machine, else the free space is unknown.
  std::string free_disk_command;
};

// [retort.replicas]: the streaming replicas whose lag preflight checks.
struct ReplicaSettings {
  std::vector<std::string> urls;  // besides those pg_stat_replication shows
  // A replica further behind fails preflight, and no step of a run starts: it waits up to
  // `wait`, saying so, then stops cleanly between steps.
  Millis max_lag{std::chrono::seconds(30)};
  Millis wait{std::chrono::minutes(10)};
};

// When a run takes a backup by itself.
enum class BackupWhen {
  risky,   // before each step whose statements drop or rewrite data (default)
  always,  // before the first step of every run
  never,   // never by itself; `retort backup` still takes one
};

// [retort.lint]: what `retort upgrade` does with the lint findings of the steps it will run.
enum class LintOnUpgrade {
  warn,   // print each one before the run starts, and run (default)
  error,  // refuse to run while an error-level finding stands (exit 1, nothing run)
  off,    // do not lint
};
struct LintSettings {
  LintOnUpgrade on_upgrade = LintOnUpgrade::warn;
};

// [retort.backup]: the backups a run takes before risky steps, and `retort backup`.
struct BackupSettings {
  BackupWhen when = BackupWhen::risky;
  // Where backups are written, mode 0700; relative paths are relative to project_dir (after
  // load_config the path is absolute).
  std::filesystem::path directory = "backups";
  // A shell command (sh -c) run instead of pg_dump or SQLite's backup API, with the file to
  // write in $RETORT_BACKUP_FILE and the database URL, password included, in $RETORT_BACKUP_URL;
  // its exit status decides. Empty: retort's own backup.
  std::string command;
  // The pg_dump program; empty: the one of the server's major version
  // (/usr/lib/postgresql/MAJOR/bin/pg_dump) when it exists, else pg_dump on PATH. pg_restore is
  // taken from beside it.
  std::string pg_dump;
  // Not a key of retort.toml: a fleet's schema tenant (retort fleet) sets it to its schema, so
  // that its backups and restores cover that schema alone (pg_dump --schema). Empty: the whole
  // database.
  std::string schema;
};

// [retort.schema]: the declared schema, and where throwaway databases are built from it or from
// the history (autogenerate, `retort diff`, `retort check --drift`).
struct SchemaSettings {
  // The declared schema: SQL files that build the wanted schema from nothing, read in file-name
  // order. Relative paths are relative to project_dir (after load_config the path is absolute).
  std::filesystem::path dir = "schema";
  // A PostgreSQL server where throwaway databases are created (CREATE DATABASE ... TEMPLATE
  // template0) and dropped again. Empty: a private cluster retort starts itself, or a temporary
  // file for SQLite. Contains a password when it has one: print it redacted.
  std::string dev_url;
  // Objects outside retort's care: "public.spatial_ref_sys", "event trigger on_ddl", "*.tmp_*".
  std::vector<std::string> ignore;
};

// [retort.hooks]: shell commands run at a run's events (docs/guide/operations.md). Each gets the
// event as one JSON document on stdin and as RETORT_EVENT_* variables; empty: none.
struct HookSettings {
  std::string before_run;    // a run is about to change the database (after the lock)
  std::string after_step;    // a step ended, applied or failed
  std::string on_failure;    // the run failed (any exit but 0 and 2)
  std::string after_run;     // a run that changed (or tried to change) the database ended
  std::string on_lock_wait;  // the run waits for another runner's lock
  Millis timeout{std::chrono::seconds(30)};  // then the hook's process group is killed
  // true: a before_run hook that fails (or times out) stops the run before anything runs.
  bool before_run_required = false;
};

// [retort.windows]: when a revision marked `-- retort:maintenance_window true` may start.
struct WindowSettings {
  // "[DAYS] HH:MM-HH:MM ZONE": "Sat 02:00-05:00 Europe/Berlin", "Mon-Fri 22:00-02:00 UTC",
  // "02:00-04:00 UTC". Empty: no window is configured, and a marked step runs with a note.
  std::vector<std::string> allowed;
};

// [retort.fleet]: the tenants, many databases (or schemas) that share one history, which
// `retort fleet` migrates at once (docs/guide/fleet.md). At most one source of tenants.
struct FleetSettings {
  // "id=url" each: a tenant database.
  std::vector<std::string> tenants;
  // A file of `id url` lines ('#' starts a comment); relative to project_dir (after
  // load_config the path is absolute). Empty: none.
  std::filesystem::path tenants_file;
  // A query whose rows are (id, url), run against catalog_url. Empty: none.
  std::string tenants_query;
  std::string catalog_url;  // contains a password when it has one: print it redacted
  // Schema-per-tenant in the one database of url: the schemas whose names match this LIKE
  // pattern ("tenant_%"); each keeps its version table and ledger in its schema and runs its
  // migrations with the schema first on the search_path. Empty: none.
  std::string schemas;
  int concurrency = 4;   // tenants migrated at once
  int max_per_host = 0;  // connections to one server at once; 0: no cap beyond concurrency
};

struct Config {
  // The retort.toml that was read; empty when the configuration came from flags alone.
  std::filesystem::path config_file;
  // The directory relative paths are resolved against (retort.toml's directory, else cwd).
  std::filesystem::path project_dir;
  // script_location, absolute.
  std::filesystem::path script_location;
  // The database URL after precedence (--url, RETORT_URL, DATABASE_URL, retort.toml), with
  // ${NAME} expanded and a relative sqlite path made absolute against project_dir when it
  // came from the file. Contains the password: print only redacted_url.
  std::string url;
  std::string redacted_url;
  // Where url came from: "--url", "RETORT_URL", "DATABASE_URL" or the config file's path.
  std::string url_source;
  // What reading the configuration changed on the way, for the caller to show (the CLI prints
  // them on stderr): a SQLAlchemy driver dropped from the URL ("postgresql+asyncpg://" is
  // used as "postgresql://", which url holds). Empty when nothing was changed.
  std::vector<std::string> notes;
  std::string version_table = "retort_version";
  std::string version_table_schema;       // empty: the connection's default schema
  bool transaction_per_migration = true;  // false: the whole run in one transaction
  PostgresSettings postgres;
  PreflightSettings preflight;
  ReplicaSettings replicas;
  BackupSettings backup;
  LintSettings lint;
  SchemaSettings schema;
  HookSettings hooks;
  WindowSettings windows;
  FleetSettings fleet;
  // [retort.allowed_edits]: revision = "reason". Applied migration files whose statements the
  // team changed on purpose (a typo in a comment is never an edit); `check` and `doctor`
  // report them as accepted, with the reason, instead of failing.
  std::map<std::string, std::string> allowed_edits;
};

// What the command line says about where the configuration is.
struct ConfigSources {
  std::optional<std::filesystem::path> config_path;  // -c PATH
  std::optional<std::string> url;                    // --url
  std::filesystem::path cwd = std::filesystem::current_path();
  // Settings given for one run (--lock-timeout 500ms), applied over retort.toml and checked as
  // its keys are; an error names the flag.
  struct Override {
    std::string key;    // as in retort.toml, with its table: "retort.postgres.lock_timeout"
    std::string value;  // as the user wrote it: "500ms"
    std::string flag;   // for errors: "--lock-timeout"
  };
  std::vector<Override> overrides;
  // Reads an environment variable; nullopt when unset. Defaults to std::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Finds and reads retort.toml (cwd or a parent, or -c), expands ${NAME}, checks every key and
// value, and applies the URL precedence.
// Throws retort::Error(ExitCode::input) naming the file, line, key and the fix: an unknown
// key (with the nearest known key), a wrong type or value, an unset ${NAME}, a -c file that
// does not exist, or no configuration at all (saying how to run `retort init`).
// Thread-safe: yes, as far as sources.getenv is (std::getenv, the default, races only a
// concurrent setenv). The Config returned is a value: share it read-only between threads.
[[nodiscard]] Config load_config(const ConfigSources& sources);

// The retort.toml that `retort init` writes. Thread-safe: yes; pure.
[[nodiscard]] std::string default_config_text(const std::string& script_location,
                                              const std::string& url);

}  // namespace retort
