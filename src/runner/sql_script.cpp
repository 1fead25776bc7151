// The --sql writer: the same steps as an online run, in the same transaction blocks, written
// as text with the version table's and the ledger's statements instead of executed.
#include "runner/sql_script.hpp"

#include "base/text.hpp"
#include "runner/ledger.hpp"
#include "runner/runner.hpp"
#include "runner/steps.hpp"
#include "runner/timeouts.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace retort::runner {

void write_sql(std::ostream& out, base::Dialect dialect, const script::ScriptDirectory& scripts,
               const graph::Plan& plan, const Settings& settings) {
  VersionTable versions(dialect, settings.version_table, settings.version_table_schema);
  Ledger ledger(nullptr, dialect, settings.version_table_schema, settings.version_table);
  const bool postgres = dialect == base::Dialect::postgres;
  const bool one_transaction = !settings.transaction_per_migration;

  out << "-- retort " << retort_version_string() << ": " << plan.steps.size() << " step"
      << (plan.steps.size() == 1 ? "" : "s") << " from " << heads_text(plan.heads_before) << " to "
      << heads_text(plan.heads_after) << "\n\n";
  if (postgres) {
    // The text below is UTF-8 (the online run's client_encoding) and its literals are standard
    // strings: pinned, so that psql reads them as written whatever the client's locale or the
    // database's standard_conforming_strings; user text with a backslash is an E'' literal too.
    out << "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n";
  }
  out << versions.create_sql() << ";\n\n" << ledger.create_sql() << ";\n\n";

  bool open = false;
  for (const graph::Step& step : plan.steps) {
    const script::Migration& migration = migration_of(scripts, step);
    const std::vector<script::Statement> statements =
        step.direction == graph::Direction::stamp
            ? std::vector<script::Statement>{}
            : split_or_throw(migration, step.direction, dialect);
    if (migration.backfill && step.direction == graph::Direction::upgrade) {
      // Its batches each commit with their progress, cut at keys read when it starts.
      throw Error(ExitCode::input,
                  fmt::format("revision {} is a backfill, which runs online in batches and "
                              "cannot be written as a SQL script",
                              step.revision))
          .at({migration.display_path, migration.backfill->line, 0})
          .state("nothing was written")
          .next(fmt::format("write the script up to the revision before it (`--sql` with that "
                            "target), and run revision {} with `retort upgrade`",
                            step.revision));
    }
    // A comment ends at a line break (PostgreSQL: a carriage return too): the file's text is
    // escaped so that it cannot end the comment and start a statement.
    out << "-- Running " << direction_name(step.direction) << " " << step.revision << ": "
        << base::escape_bytes(migration.message) << " ("
        << base::escape_bytes(migration.display_path) << ")\n";
    const bool declared_empty =
        step.direction == graph::Direction::upgrade
            ? migration.empty_upgrade
            : step.direction == graph::Direction::downgrade && migration.empty_downgrade;
    if (declared_empty) {
      out << "-- retort:empty " << direction_name(step.direction)
          << ": the section deliberately runs nothing\n";
    }
    if (migration.transactional || step.direction == graph::Direction::stamp) {
      if (!open) {
        out << "BEGIN;\n";
        open = true;
      }
      if (postgres) {
        for (const std::string& set :
             set_timeouts_sql(effective_timeouts(migration, settings), SetScope::local)) {
          out << set << ";\n";
        }
      }
      for (const script::Statement& statement : statements) {
        out << statement.sql << ";\n";
      }
    } else {
      if (open) {
        out << "COMMIT;\n";
        open = false;
      }
      out << "-- retort:transaction false: each statement runs alone, outside a transaction\n";
      for (const script::Statement& statement : statements) {
        out << statement.sql << ";\n";
      }
      out << "BEGIN;\n";
      open = true;
    }
    for (const graph::VersionOp& op : step.version_ops) {
      out << versions.op_sql(op) << ";\n";
    }
    LedgerStart entry{.revision = step.revision,
                      .direction = direction_name(step.direction),
                      .statements_total = static_cast<int>(statements.size()),
                      .checksum = migration.checksum(),
                      .reason = step.reason.empty() ? settings.reason : step.reason,
                      .parents = base::join(migration.revises, " "),
                      .message = migration.message};
    out << ledger.insert_ok_sql(entry) << ";\n";
    if (!one_transaction) {
      out << "COMMIT;\n";
      open = false;
    }
    out << "\n";
  }
  if (open) {
    out << "COMMIT;\n";
  }
}

}  // namespace retort::runner
