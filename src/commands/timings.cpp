// retort timings export / import: staging's step durations carried to production's preflight.
#include "runner/timings.hpp"

#include "base/url.hpp"
#include "commands/wiring.hpp"
#include "retort/production.hpp"
#include "runner/ledger.hpp"

namespace retort {

std::vector<StepTiming> timings_export(const Config& config) {
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                        config.version_table);
  std::vector<StepTiming> out;
  for (const runner::LedgerRow& row : ledger.timed()) {
    if (row.checksum.empty()) {
      continue;  // written by --sql: nothing to match a file against
    }
    StepTiming timing;
    timing.revision = row.entry.revision;
    timing.direction = row.entry.direction;
    timing.checksum = row.checksum;
    timing.duration_ms = row.entry.duration_ms.value_or(0);
    timing.source = config.redacted_url;
    timing.measured_at = row.entry.finished_at;
    out.push_back(std::move(timing));
  }
  return out;
}

int timings_import(const Config& config, const std::vector<StepTiming>& timings) {
  for (const StepTiming& timing : timings) {
    if (timing.revision.empty() || timing.checksum.empty() ||
        timing.direction == Direction::stamp || timing.duration_ms < 0) {
      throw Error(ExitCode::input,
                  "a timing needs a revision, a checksum, a direction (upgrade or downgrade) and "
                  "a duration of 0 ms or more")
          .explain("the file is what `retort timings export` writes")
          .state("nothing was imported");
    }
  }
  // The file's source names the database it was measured on: stored redacted, whatever wrote
  // the file (by hand, or a retort that missed a spelling of the password).
  std::vector<StepTiming> redacted = timings;
  for (StepTiming& timing : redacted) {
    timing.source = base::redact_url(timing.source);
  }
  const std::unique_ptr<driver::Connection> connection = commands::open_connection(config);
  runner::TimingsTable table(*connection, config.version_table_schema);
  return table.import(redacted);
}

}  // namespace retort
