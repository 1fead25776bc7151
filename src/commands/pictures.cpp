// `retort graph` and `retort report` (include/retort/pictures.hpp): what the pictures draw,
// read from the project and, when asked, the database. The drawing is src/pictures/'s.
#include "retort/pictures.hpp"

#include "base/dialect.hpp"
#include "commands/wiring.hpp"
#include "retort/commands.hpp"
#include "retort/production.hpp"
#include "runner/ledger.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

namespace retort {

std::string revision_graph(const Config& config, const GraphOptions& options) {
  const std::vector<RevisionInfo> revisions =
      history(config, HistoryOptions{options.range, options.database});
  std::vector<std::string> pending_revisions;
  if (options.database) {
    pending_revisions = pending(config).pending;
  }
  return draw_graph(revisions, options, pending_revisions);
}

Report report(const Config& config, int runs) {
  Report out;
  out.generated_at = fmt::format(
      "{:%Y-%m-%dT%H:%M:%SZ}",
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));

  CurrentResult now = current(config);
  out.database = now.database;
  out.heads = std::move(now.heads);
  out.unknown = std::move(now.unknown);
  out.up_to_date = now.up_to_date;
  out.failures = std::move(now.unfinished);

  // The pending steps with preflight's estimates: the file's, staging's, or this ledger's.
  PreflightResult checked = preflight(config, PreflightOptions{"heads"});
  out.pending = std::move(checked.steps);
  std::int64_t total = 0;
  bool known = true;
  for (const PreflightStep& step : out.pending) {
    known = known && step.estimate_ms.has_value();
    total += step.estimate_ms.value_or(0);
  }
  if (known) {
    out.pending_total_ms = total;
  }

  {
    const std::unique_ptr<driver::Connection> connection =
        commands::open_connection(config, driver::MissingDatabase::read_as_empty);
    runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                          config.version_table);
    for (runner::LedgerRow& row : ledger.recent(runs)) {
      out.runs.push_back({.entry = std::move(row.entry),
                          .message = std::move(row.message),
                          .backup = std::move(row.backup),
                          .lock_retries = row.lock_retries,
                          .lock_wait_ms = row.lock_wait_ms});
    }
  }

  if (!out.pending.empty()) {
    LintOptions lint;
    lint.pending = true;
    lint.target = "heads";
    lint.schema = "database";
    try {
      LintResult linted = lint_migrations(config, lint);
      out.lint = std::move(linted.findings);
      out.lint_note = linted.skipped;
    } catch (const Error& error) {
      out.lint_note = fmt::format("lint could not run: {}", error.what());
    }
  }

  GraphOptions drawing;
  drawing.format = GraphFormat::svg;
  drawing.database = true;
  out.graph_svg = draw_graph(history(config, HistoryOptions{"", true}), drawing, now.pending);
  return out;
}

}  // namespace retort
