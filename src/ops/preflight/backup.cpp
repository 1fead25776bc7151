// preflight: that the data the pending steps drop or rewrite can be had back. Passes when a
// backup will be taken before those steps ([retort.backup] when = "risky" or "always") and
// can be (pg_dump found, the directory writable), or when a backup in the directory is newer
// than the last applied migration; warns when when = "never" leaves risky steps without one.
#include "ops/backup/backup.hpp"

#include "base/text.hpp"
#include "ops/preflight/preflight.hpp"
#include "runner/runner.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <unistd.h>

namespace retort::ops::preflight {

namespace {

namespace fs = std::filesystem;

// Why a backup cannot be written into dir (nor dir created); empty when it can.
std::string unwritable(const fs::path& dir) {
  std::error_code ec;
  fs::path existing = dir;
  while (!fs::exists(existing, ec) && existing.has_parent_path() &&
         existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!fs::is_directory(existing, ec)) {
    return fmt::format("{} is not a directory", existing.string());
  }
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    return fmt::format("{} is not writable by this user", existing.string());
  }
  return {};
}

// Why the backup retort would take cannot be taken; empty when nothing says so.
std::string cannot_take(Context& context, const fs::path& dir) {
  if (std::string why = unwritable(dir); !why.empty()) {
    return "the backup directory cannot be written: " + why;
  }
  if (!context.config.backup.command.empty() || !context.postgres()) {
    return {};
  }
  const std::string pg_dump = backup::pg_dump_program(context.config, context.db);
  if (backup::find_program(pg_dump).empty()) {
    return fmt::format("{} is not found", pg_dump);
  }
  return {};
}

}  // namespace

void check_backup(Context& context, Checks& checks) {
  const base::Dialect dialect = context.db.dialect();
  std::vector<std::string> risky;
  for (const graph::Step& step : context.plan.steps) {
    const backup::StepRisk risk = backup::step_risk(context.scripts, step, dialect);
    if (!risk.command.empty()) {
      risky.push_back(fmt::format("{} ({}, line {})", step.revision, risk.command, risk.line));
    }
  }
  const BackupWhen when = context.config.backup.when;
  const bool automatic =
      when == BackupWhen::always || (when == BackupWhen::risky && !risky.empty());
  if (context.plan.steps.empty() || (risky.empty() && !automatic)) {
    checks.push_back(
        {"backup", CheckStatus::pass,
         context.plan.steps.empty() ? "nothing to run" : "no pending step drops or rewrites data",
         ""});
    return;
  }

  const fs::path dir = backup::directory(context.config);
  if (automatic) {
    const std::string before =
        when == BackupWhen::always || !context.config.transaction_per_migration
            ? "the run's first step"
            : base::join(risky, ", ");
    if (const std::string why = cannot_take(context, dir); !why.empty()) {
      checks.push_back(
          {"backup", CheckStatus::fail,
           fmt::format("a backup is due before {}, but {}", before, why),
           context.postgres() && why.ends_with("is not found")
               ? "install the PostgreSQL client programs of the server's major version (Debian: "
                 "postgresql-client-15), or set [retort.backup] pg_dump to the pg_dump to use"
               : "set [retort.backup] directory to a directory this user may write"});
      return;
    }
    checks.push_back({"backup", CheckStatus::pass,
                      fmt::format("a backup will be taken into {} before {}", dir.string(), before),
                      ""});
    return;
  }

  // when = "never", with risky steps: a backup taken by hand since the last migration will do.
  const auto url = base::parse_database_url(context.config.url);
  const std::string database = backup::database_name(url ? *url : base::DatabaseUrl{}, context.db);
  const std::vector<backup::Found> found = backup::list(context.config, database);
  const std::string applied = last_applied(context.ledger);
  // To the second, as backup names say it: one taken in the second the migration ended counts.
  if (!found.empty() && found.front().taken_at.substr(0, 19) >= applied.substr(0, 19)) {
    checks.push_back(
        {"backup", CheckStatus::pass,
         fmt::format("{} (taken {}) is newer than the last applied migration{}; steps that drop "
                     "or rewrite data: {}",
                     found.front().path.string(), found.front().taken_at,
                     applied.empty() ? std::string() : " (" + applied + ")",
                     base::join(risky, ", ")),
         ""});
    return;
  }
  checks.push_back(
      {"backup", CheckStatus::warn,
       fmt::format("when = \"never\": no backup will be taken before the steps that drop or "
                   "rewrite data: {}; {}",
                   base::join(risky, ", "),
                   found.empty()
                       ? fmt::format("no backup of {} in {}", database, dir.string())
                       : fmt::format("the newest, {} (taken {}), is older than the last "
                                     "applied migration ({})",
                                     found.front().path.string(), found.front().taken_at, applied)),
       "run `retort backup` before the upgrade, or set [retort.backup] when = \"risky\""});
}

}  // namespace retort::ops::preflight
