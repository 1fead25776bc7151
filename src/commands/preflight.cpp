// retort preflight: wires the configuration, the script directory and the plan into
// ops/preflight's checks. Reads only: no lock, no write, not even the ledger's table.
#include "ops/preflight/preflight.hpp"

#include "commands/wiring.hpp"
#include "retort/production.hpp"
#include "runner/version_table.hpp"

namespace retort {

PreflightResult preflight(const Config& config, const PreflightOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  runner::VersionTable versions(connection.get(), config.version_table,
                                config.version_table_schema);
  const std::vector<std::string> current = versions.heads();
  if (std::optional<Error> ahead = commands::ahead_of_code(*connection, config, scripts, current)) {
    throw *ahead;
  }
  // A row a squash replaced: the plan from the squash, as the run plans it once adopted (the
  // adoption itself runs no statement; replaced files it follows are not estimated here).
  const graph::Plan plan = commands::unwrap(
      scripts.map().plan_upgrade(scripts.squashes().adopted(current), options.target),
      options.target);
  runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                        config.version_table);
  // Lint judges the pending statements on the schema they run on, as `lint --pending --schema
  // database` does; a schema that cannot be read leaves lint judging without it.
  std::optional<schema::Schema> known;
  std::vector<std::string> notes;
  if (connection->dialect() == base::Dialect::postgres && !plan.steps.empty()) {
    try {
      known = commands::database_schema(config, *connection, notes);
    } catch (const Error&) {
      known.reset();
    }
  }
  ops::preflight::Context context{
      *connection,
      scripts,
      ledger,
      plan,
      config,
      ops::preflight::touched_relations(scripts, plan, connection->dialect()),
      known ? &*known : nullptr};
  PreflightResult result;
  result.database = config.redacted_url;
  result.target = options.target;
  ops::preflight::run(context, result.checks, result.steps);
  for (const PreflightCheck& check : result.checks) {
    result.ok = result.ok && check.status != CheckStatus::fail;
  }
  return result;
}

}  // namespace retort
