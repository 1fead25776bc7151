// doctor: what the version table says against the files and the ledger. A row no file declares
// (the database is ahead of this code, or a file was deleted), a row below another row (no run
// writes that: a hand edit of the table), and a version table lost (dropped or emptied) while
// the ledger says the database is at some revision.
#include "base/text.hpp"
#include "ops/doctor/doctor.hpp"
#include "runner/runner.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace retort::ops::doctor {

namespace {

std::string quoted_message(const runner::LedgerRow& row) {
  return row.message.empty() ? row.entry.revision
                             : fmt::format("{} (\"{}\")", row.entry.revision, row.message);
}

std::string stamp_commands(const std::vector<std::string>& heads) {
  std::vector<std::string> commands;
  commands.reserve(heads.size());
  for (const std::string& head : heads) {
    commands.push_back(fmt::format("retort stamp {} --reason \"...\"", head));
  }
  return base::join(commands, " && ");
}

// A version table with no row while the ledger's `ok` rows say the database is at some
// revision: an upgrade would run every migration again.
void check_lost_table(Context& context, Findings& findings) {
  const std::optional<runner::LedgerState> state =
      runner::ledger_state(context.ledger, context.scripts.map());
  if (!state || state->heads.empty()) {
    return;
  }
  runner::VersionTable table(&context.db, context.version_table, context.version_table_schema);
  const LedgerEntry& last = state->last.entry;
  findings.push_back(
      {"version-table-lost", DoctorLevel::error,
       fmt::format("the version table {} {}, but the ledger {} says the database is at {} (its "
                   "last run: {} {}, {}): an upgrade would run every migration again",
                   table.qualified(), table.exists() ? "is empty" : "does not exist",
                   context.ledger.qualified(), base::join(state->heads, ", "),
                   to_string(last.direction), last.revision,
                   last.finished_at.empty() ? last.started_at : last.finished_at),
       fmt::format("check that the schema has what the ledger says, then restore the version "
                   "table: {}",
                   stamp_commands(state->heads)),
       false});
}

// The folder of the migration files, relative to the project, as messages show it.
std::string versions_dir(const script::ScriptDirectory& scripts, const graph::Squash& squash) {
  if (const script::Migration* migration = scripts.find(squash.id); migration != nullptr) {
    const std::size_t slash = migration->display_path.rfind('/');
    if (slash != std::string::npos) {
      return migration->display_path.substr(0, slash);
    }
  }
  return "versions";
}

}  // namespace

void check_squashed_rows(const script::ScriptDirectory& scripts,
                         const std::vector<std::string>& rows, Findings& findings) {
  const graph::Squashes& squashes = scripts.squashes();
  if (squashes.empty()) {
    return;
  }
  const graph::Adoption adoption = squashes.plan_adoption(rows);
  for (const graph::Straggler& straggler : adoption.stragglers) {
    const graph::Squash& squash = *squashes.replacing(straggler.row);
    const std::string dir = versions_dir(scripts, squash);
    std::vector<std::string> files;
    for (const std::string& missing : straggler.missing) {
      files.push_back(fmt::format("{}/{}_*.sql", dir, missing));
    }
    findings.push_back(
        {"squash-straggler", DoctorLevel::error,
         fmt::format("the database is at {}, which squash {} replaces, and the file{} of {} {} "
                     "retired (deleted): this code cannot run the way from {} to {}, after "
                     "which the database would adopt {}",
                     straggler.row, squash.id, straggler.missing.size() == 1 ? "" : "s",
                     base::join(straggler.missing, ", "),
                     straggler.missing.size() == 1 ? "was" : "were", straggler.row, squash.tip,
                     squash.id),
         fmt::format("upgrade it from a release before the retirement: check out a commit that "
                     "still has {} (`git log --diff-filter=D -- {}` names the commit that "
                     "deleted them: use its parent) and run `retort upgrade {}` there, then "
                     "`retort upgrade` with this code; or rebuild the database from {}",
                     base::join(files, ", "), dir, squash.tip, squash.id),
         false});
  }
  std::vector<std::string> stuck;
  for (const graph::Straggler& straggler : adoption.stragglers) {
    stuck.push_back(straggler.row);
  }
  for (const std::string& row : rows) {
    const graph::Squash* squash = squashes.replacing(row);
    if (squash == nullptr || std::find(stuck.begin(), stuck.end(), row) != stuck.end()) {
      continue;
    }
    std::vector<std::string> runs;
    for (const graph::Step& step : adoption.plan.steps) {
      if (step.direction == graph::Direction::upgrade &&
          std::binary_search(squash->all_replaced.begin(), squash->all_replaced.end(),
                             step.revision)) {
        runs.push_back(step.revision);
      }
    }
    findings.push_back(
        {"squash-adoption-pending", DoctorLevel::warning,
         runs.empty()
             ? fmt::format("the database is at {}, which squash {} replaces: the next upgrade "
                           "adopts {} without running it (one version-table change and a "
                           "`stamp` ledger row)",
                           row, squash->id, squash->id)
             : fmt::format("the database is at {}, inside the history squash {} replaces: the "
                           "next upgrade runs {} from the replaced files up to {}, then adopts "
                           "{} without running it",
                           row, squash->id, base::join(runs, ", "), squash->tip, squash->id),
         "retort upgrade", false});
  }
}

void check_version_rows(Context& context, Findings& findings) {
  const graph::RevisionMap& map = context.scripts.map();
  if (context.version_rows.empty()) {
    check_lost_table(context, findings);
    return;
  }
  check_squashed_rows(context.scripts, context.version_rows, findings);
  std::vector<std::string> known;
  for (const std::string& row : context.version_rows) {
    if (map.find(row) != nullptr) {
      known.push_back(row);
      continue;
    }
    if (context.scripts.squashes().replacing(row) != nullptr) {
      continue;  // check_squashed_rows spoke of it
    }
    const runner::BeyondFiles beyond = runner::beyond_files(context.ledger, map, row);
    DoctorFinding finding{"unknown-revision", DoctorLevel::error, "", "", false};
    if (beyond.revisions.empty()) {
      finding.message = fmt::format(
          "the version table names revision {}, which no migration file declares and the "
          "ledger does not know: the database is ahead of this code, its file was deleted, or "
          "(a database another tool migrated) it was not ported yet",
          row);
      finding.fix = fmt::format(
          "run retort from the release that has {}; restore or port its file; after a hand "
          "fix: retort stamp --purge REV --reason \"...\"",
          row);
    } else {
      std::vector<std::string> names;
      for (const runner::LedgerRow& revision : beyond.revisions) {
        names.push_back(quoted_message(revision));
      }
      const runner::LedgerRow& newest = beyond.revisions.front();
      finding.message = fmt::format(
          "the database is ahead of this code: it is at {}, applied {} by retort {}, {} "
          "revision{} beyond these files: {}{}",
          row,
          newest.entry.finished_at.empty() ? newest.entry.started_at : newest.entry.finished_at,
          newest.retort_version.empty() ? "?" : newest.retort_version, beyond.revisions.size(),
          beyond.revisions.size() == 1 ? "" : "s", base::join(names, ", "),
          beyond.known_ancestor.empty()
              ? std::string()
              : fmt::format("; the newest revision these files know is {}", beyond.known_ancestor));
      finding.fix = beyond.known_ancestor.empty()
                        ? fmt::format("deploy the release that has {}", row)
                        : fmt::format(
                              "deploy the release that has {}; to go back to what this code "
                              "knows, run from that release: retort downgrade {}",
                              row, beyond.known_ancestor);
    }
    findings.push_back(std::move(finding));
  }
  for (const std::string& lower : known) {
    for (const std::string& upper : known) {
      if (lower != upper && runner::descends_from(map, upper, lower)) {
        std::vector<std::string> heads;
        std::copy_if(known.begin(), known.end(), std::back_inserter(heads),
                     [&](const std::string& row) { return row != lower; });
        findings.push_back(
            {"row-below-row", DoctorLevel::error,
             fmt::format("the version table lists both {} and its ancestor {}: no run writes "
                         "that, so the table was edited by hand",
                         upper, lower),
             fmt::format("retort stamp --purge {} --reason \"...\"   (after checking which "
                         "revisions the schema has)",
                         base::join(heads, " ")),
             false});
      }
    }
  }
}

}  // namespace retort::ops::doctor
