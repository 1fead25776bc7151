// retort backup and retort restore: wire the configuration, the connection and the run lock
// into ops/backup, and turn what refuses a restore into the user's error.
#include "ops/backup/backup.hpp"

#include "base/text.hpp"
#include "commands/wiring.hpp"
#include "retort/production.hpp"
#include "runner/cancel.hpp"
#include "runner/run_lock.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace retort {

namespace {

namespace fs = std::filesystem;

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// A SQLite file that is not there is no database to back up (connecting would create it).
void require_sqlite_file(const base::DatabaseUrl& url) {
  std::error_code ec;
  if (url.dialect == base::Dialect::sqlite && url.sqlite_path != ":memory:" &&
      !fs::exists(url.sqlite_path, ec)) {
    throw Error(ExitCode::input, fmt::format("the SQLite database {} does not exist: there is "
                                             "nothing to back up",
                                             url.sqlite_path))
        .next("check the URL (retort.toml, --url, RETORT_URL, DATABASE_URL)");
  }
}

}  // namespace

BackupResult backup(const Config& config) {
  const base::DatabaseUrl url = commands::database_url(config);
  require_sqlite_file(url);
  const std::unique_ptr<driver::Connection> connection = driver::connect(url);
  // Ctrl-C ends pg_dump (or the command) rather than leaving it running without retort.
  const runner::CancelScope cancellable;
  try {
    return ops::backup::take(config, url, *connection);
  } catch (Error& error) {
    if (error.next_command.empty()) {
      error.state("unchanged: a backup only reads it; no backup file was kept")
          .next("fix what the message says, then run retort backup again");
    }
    throw;
  }
}

RestoreResult restore(const Config& config, const RestoreOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path file = fs::absolute(options.file).lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw Error(ExitCode::input, fmt::format("no backup file {}", options.file.string()))
        .state("nothing was changed")
        .next("ls " + ops::backup::directory(config).string());
  }
  const base::DatabaseUrl url = commands::database_url(config);
  const bool postgres = url.dialect == base::Dialect::postgres;
  const std::string format = ops::backup::file_format(file);
  if (format != (postgres ? "postgres" : "sqlite")) {
    const std::string is = format == "postgres" ? "a PostgreSQL backup (pg_dump custom format)"
                           : format == "sqlite" ? "a SQLite database file"
                                                : "neither a pg_dump custom-format archive nor a "
                                                  "SQLite database file";
    throw Error(ExitCode::input,
                fmt::format("{} is {}; the database {} is {}", options.file.string(), is,
                            config.redacted_url, postgres ? "PostgreSQL" : "SQLite"))
        .state("nothing was changed");
  }

  const std::unique_ptr<driver::Connection> connection = driver::connect(url);
  const std::string name = ops::backup::database_name(url, *connection);
  if (options.confirm != name) {
    Error refused(ExitCode::input,
                  options.confirm.empty()
                      ? fmt::format("refusing to restore {} over {} without the database's name",
                                    options.file.string(), config.redacted_url)
                      : fmt::format("refusing to restore: \"{}\" is not the name of the database "
                                    "at {}",
                                    options.confirm, config.redacted_url));
    refused.explain(
        "a restore replaces every table the backup holds; type the database's name when asked, "
        "or pass --confirm NAME");
    refused.state("nothing was changed");
    throw refused;
  }

  // No runner may migrate while the tables are replaced under it.
  const runner::CancelScope cancellable;
  const auto lock = runner::RunLock::acquire(url, commands::lock_settings(config, url), nullptr,
                                             connection.get());
  try {
    ops::backup::restore(config, url, *connection, file);
  } catch (Error& error) {
    error.state(postgres ? "pg_restore ran in one transaction, which rolled back: the database "
                           "is as it was"
                         : "the database is as it was");
    error.next("fix what the message says, then run the same command again");
    throw;
  }
  lock->release();

  RestoreResult result;
  result.database = config.redacted_url;
  result.file = file.string();
  runner::VersionTable versions(connection.get(), config.version_table,
                                config.version_table_schema);
  result.heads_after = versions.heads();
  result.duration_ms = elapsed_ms(started);
  return result;
}

}  // namespace retort
