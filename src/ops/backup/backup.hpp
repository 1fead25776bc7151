// Backups of the target database and their restore: PostgreSQL through pg_dump's custom
// format, checked with pg_restore --list; SQLite through its online backup API; or the command
// of [retort.backup]. Files are named <database>-<revision>-<UTC yyyymmddThhmmssZ>.dump (or
// .sqlite3) in [retort.backup] directory. Used by `retort backup`, `retort restore`, the gate
// before risky steps and preflight.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/config.hpp"
#include "retort/results.hpp"
#include "script/script_directory.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace retort::ops::backup {

// The database's name as backup files carry it and `retort restore` asks for it: PostgreSQL's
// current_database(), SQLite's file name without its extension ("app" for app.db).
[[nodiscard]] std::string database_name(const base::DatabaseUrl& url, driver::Connection& db);

// [retort.backup] directory, absolute (a relative one is relative to config.project_dir).
[[nodiscard]] std::filesystem::path directory(const Config& config);

// Takes a backup of the database now, into a new file of directory(config) (created, mode
// 0700, when missing; an existing one that other users may read or write is named in the
// result's warnings). The final name is reserved first by creating it empty with O_EXCL, so
// that backups started at once get names of their own (-2, -3, ...); the backup is written into
// a file of its own beside it, <name>.<pid>-<random>.partial, created mode 0600 before its
// first byte, and renamed over the reserved name once it is complete, not empty, and checked.
// db: a connection to it outside a transaction; on SQLite the copy is made through it. Never
// blocks writers for long: pg_dump reads one snapshot, SQLite's backup copies in rounds. Throws
// Error(ExitCode::failed) with what failed and the program's own words, with any password
// removed; so does a command that exits 0 but writes nothing. A cancelled run
// (runner::request_cancel) ends pg_dump or the command and throws too. Nothing is left behind
// on failure but what a failing command wrote elsewhere.
[[nodiscard]] BackupResult take(const Config& config, const base::DatabaseUrl& url,
                                driver::Connection& db);

// The format of a backup file from its first bytes: "postgres" (pg_dump custom format),
// "sqlite" (a database file), or empty when neither.
[[nodiscard]] std::string file_format(const std::filesystem::path& file);

// Replaces the database's content with the file's: `pg_restore --clean --if-exists
// --single-transaction` (all or nothing; objects created after the backup stay), or SQLite's
// backup API the other way. The caller checked the file's format and holds the run lock.
// Throws Error(ExitCode::failed) with pg_restore's words, password removed.
void restore(const Config& config, const base::DatabaseUrl& url, driver::Connection& db,
             const std::filesystem::path& file);

// A backup file of this database found in the directory.
struct Found {
  std::filesystem::path path;
  std::string taken_at;  // ISO 8601 UTC, from the name (else the file's modification time)
};

// The backups of `database` in directory(config), newest first; empty when there is none or the
// directory does not exist. Empty files are no backups and are left out.
[[nodiscard]] std::vector<Found> list(const Config& config, const std::string& database);

// What makes a step risky: the first statement of its section that drops or rewrites data.
struct StepRisk {
  std::string command;  // "DROP TABLE", ...; empty: the step keeps the data
  int line = 0;         // of that statement in the file
};

[[nodiscard]] StepRisk step_risk(const std::vector<script::Statement>& statements,
                                 base::Dialect dialect);
// The same for a step of a plan, reading its file; a file that does not split is not judged.
[[nodiscard]] StepRisk step_risk(const script::ScriptDirectory& scripts, const graph::Step& step,
                                 base::Dialect dialect);

// The pg_dump to run: [retort.backup] pg_dump, else the one of the server's major version
// where Debian installs it, else "pg_dump" from PATH. db: a PostgreSQL connection.
[[nodiscard]] std::string pg_dump_program(const Config& config, driver::Connection& db);

// `pg_dump --schema-only --no-owner` of a PostgreSQL database as text, retort's own tables
// (retort_*) left out: an oracle independent of retort's schema model. Throws as a backup does
// when pg_dump fails.
[[nodiscard]] std::string schema_only_dump(const Config& config, const base::DatabaseUrl& url,
                                           driver::Connection& db);

// The path of an executable program (one with a slash as is, else found in PATH); empty when
// there is none.
[[nodiscard]] std::string find_program(const std::string& program);

}  // namespace retort::ops::backup
