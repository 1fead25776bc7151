// retort doctor: wires the configuration, the script directory, the run lock and the ledger
// into ops/doctor's checks.
#include "ops/doctor/doctor.hpp"

#include "commands/wiring.hpp"
#include "retort/production.hpp"
#include "runner/run_lock.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

namespace retort {

DoctorResult doctor(const Config& config, const DoctorOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const base::DatabaseUrl url = commands::database_url(config);
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                        config.version_table);
  runner::VersionTable versions(connection.get(), config.version_table,
                                config.version_table_schema);
  const runner::LockSettings lock_settings = commands::lock_settings(config, url);

  ops::doctor::Context context{*connection, scripts, ledger, lock_settings,       url,
                               {},          {},      false,  config.allowed_edits};
  context.version_table = config.version_table;
  context.version_table_schema = config.version_table_schema;
  context.lock_holder = runner::RunLock::holder(url, lock_settings, *connection);
  // Repairs take the run lock, so that no runner starts while they are made; with a runner
  // at work, doctor only reads.
  std::unique_ptr<runner::RunLock> lock;
  if (options.fix && context.lock_holder.empty()) {
    runner::LockSettings quick = lock_settings;
    quick.wait = std::chrono::seconds(5);
    lock = runner::RunLock::acquire(url, quick, nullptr, connection.get());
    context.fix = true;
  }
  context.version_rows = versions.heads();

  DoctorResult result;
  result.database = config.redacted_url;
  result.findings = ops::doctor::run(context);
  if (options.fix && !context.fix) {
    result.findings.push_back(
        {"not-fixed", DoctorLevel::info,
         "--fix made no repair: a run is going on (" + context.lock_holder + ")",
         "run retort doctor --fix again when it is done", false});
  }
  for (const DoctorFinding& finding : result.findings) {
    if (finding.level == DoctorLevel::error && !finding.fixed) {
      result.ok = false;
    }
  }
  if (lock) {
    lock->release();
  }
  return result;
}

}  // namespace retort
