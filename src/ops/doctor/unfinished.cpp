// doctor: ledger rows that are not `ok`. A failed transactional step (rolled back: retry it), a
// partially applied non-transactional one (resume or stamp), and a `running` row whose runner
// is gone (killed, or its machine went down).
#include "ops/doctor/doctor.hpp"
#include "runner/runner.hpp"

#include <fmt/format.h>

namespace retort::ops::doctor {

namespace {

std::string statement_place(const script::Migration* migration, int statement) {
  return migration == nullptr
             ? fmt::format("statement {}", statement)
             : fmt::format("statement {} of {}", statement, migration->display_path);
}

}  // namespace

void check_unfinished(Context& context, Findings& findings) {
  const base::Dialect dialect = context.db.dialect();
  for (const runner::LedgerRow& row : context.ledger.unfinished()) {
    const LedgerEntry& entry = row.entry;
    if (entry.direction == Direction::stamp) {
      continue;
    }
    const script::Migration* migration = context.scripts.find(entry.revision);
    const bool transactional = migration != nullptr && migration->transactional;
    const graph::Direction direction = entry.direction == Direction::downgrade
                                           ? graph::Direction::downgrade
                                           : graph::Direction::upgrade;
    const std::string what = fmt::format("{} {}", to_string(entry.direction), entry.revision);
    const bool cancelled = entry.error.starts_with(runner::k_cancelled_error);
    // The way to run it again from scratch: a downgrade needs its target again.
    const std::string again = entry.direction == Direction::downgrade
                                  ? "retort downgrade TARGET"
                                  : "retort upgrade " + entry.revision;
    const std::string who = fmt::format("host {}, pid {}", row.host.empty() ? "?" : row.host,
                                        row.pid.empty() ? "?" : row.pid);
    const std::string next_place = statement_place(migration, entry.statements_done + 1);
    const std::string index_note =
        runner::index_rebuild_note(migration, direction, entry.statements_done, dialect);
    const std::string stamp_way =
        fmt::format("or finish it by hand and: retort stamp {} --reason \"...\"", entry.revision);

    if (entry.status == LedgerStatus::running && !context.lock_holder.empty()) {
      findings.push_back({"running", DoctorLevel::info,
                          fmt::format("{} is running now ({}, started {}); the run lock is held "
                                      "by {}",
                                      what, who, entry.started_at, context.lock_holder),
                          "wait for it to finish", false});
      continue;
    }
    if (entry.status == LedgerStatus::running && !transactional && entry.statements_done == 0) {
      // Nothing of it committed: the next plain run starts it again from its first statement.
      const bool in_doubt = runner::next_statement_in_doubt(migration, direction, 0, dialect);
      findings.push_back(
          {"interrupted", DoctorLevel::warning,
           fmt::format("{} was interrupted: its runner ({}) ended before the first statement "
                       "committed (no transaction){}",
                       what, who,
                       in_doubt ? "; that statement runs alone and may or may not have finished"
                                : ", so nothing of it was applied"),
           again + (in_doubt ? "   (it checks what that statement builds first)" : ""), false});
      continue;
    }
    if (entry.status == LedgerStatus::running && !transactional) {
      // Nobody holds the run lock, so nobody is running it: its runner stopped mid-way.
      const bool in_doubt =
          runner::next_statement_in_doubt(migration, direction, entry.statements_done, dialect);
      findings.push_back(
          {"interrupted-partial", DoctorLevel::error,
           fmt::format("{} was interrupted: its runner ({}) ended after statement {} of {} (no "
                       "transaction); those stay applied, and {}",
                       what, who, entry.statements_done, entry.statements_total,
                       in_doubt ? next_place +
                                      " runs alone and may or may not have finished: check what "
                                      "it creates"
                                : next_place + " had not committed"),
           fmt::format("{}   (runs it on from {}{}), {}",
                       runner::partial_command(entry.direction, "--resume"), next_place, index_note,
                       stamp_way),
           false});
      continue;
    }
    if (entry.status == LedgerStatus::running) {
      DoctorFinding finding{
          "interrupted", DoctorLevel::warning,
          fmt::format("{} was interrupted: its runner ({}) ended before it finished; it ran in "
                      "one transaction, so nothing of it was applied",
                      what, who),
          again + "   (doctor --fix marks the ledger row failed)", false};
      if (context.fix &&
          context.ledger.mark_interrupted(
              entry.id, fmt::format("interrupted: its runner ({}) ended before it finished; "
                                    "nothing of it was applied",
                                    who))) {
        finding.fixed = true;
        finding.fix = "marked its ledger row failed; run `" + again + "` to apply it";
      }
      findings.push_back(std::move(finding));
      continue;
    }
    if (migration == nullptr && entry.statements_done == 0) {
      // Its file was deleted since (a change given up): nothing of it is recorded as applied,
      // and no run can retry it, so it is settled rather than reported on every doctor.
      DoctorFinding finding{
          "failed-migration-file-gone", DoctorLevel::warning,
          fmt::format("the last {} failed{} and no migration file declares {} any more; the "
                      "ledger records no statement of it as applied: {}",
                      what, cancelled ? " when the run was cancelled" : "", entry.revision,
                      entry.error),
          fmt::format("if the change was given up, `retort doctor --fix` (or the next `retort "
                      "stamp`) records it settled; if the file was lost, restore it and run: {}",
                      again),
          false};
      if (context.fix) {
        context.ledger.settle(entry.revision, context.version_rows,
                              std::string(runner::k_settled_reason));
        finding.fixed = true;
        finding.fix = "recorded it settled (a `stamp` ledger row, reason \"" +
                      std::string(runner::k_settled_reason) + "\")";
      }
      findings.push_back(std::move(finding));
      continue;
    }
    if (!transactional && entry.statements_done > 0) {
      findings.push_back(
          {"partial-migration", DoctorLevel::error,
           fmt::format("{} is partially applied: {} of {} statements ran (no transaction) and "
                       "stay, and the version table does not include it; then: {}",
                       what, entry.statements_done, entry.statements_total, entry.error),
           fmt::format("{}   (runs it on from {}{}), {}",
                       runner::partial_command(entry.direction, "--resume"), next_place, index_note,
                       stamp_way),
           false});
      continue;
    }
    const std::string fix_file =
        migration != nullptr ? fmt::format("fix {} and run: ", migration->display_path) : "";
    if (transactional && cancelled) {
      findings.push_back(
          {"failed-migration", DoctorLevel::warning,
           fmt::format("the last {} was cancelled (SIGTERM or Ctrl-C) and rolled back (the "
                       "database does not include it): {}",
                       what, entry.error),
           "run the same command again   (" + again + ")", false});
      continue;
    }
    findings.push_back(
        {"failed-migration", DoctorLevel::warning,
         transactional
             ? fmt::format("the last {} failed and was rolled back (the database does not "
                           "include it): {}",
                           what, entry.error)
             : fmt::format("the last {} stopped at its first statement (no transaction), so "
                           "nothing of it was applied{}: {}",
                           what,
                           index_note.empty() ? std::string()
                                              : " but perhaps an INVALID index it was building",
                           entry.error),
         fix_file + again + (index_note.empty() ? "" : "   (the INVALID index is built again)"),
         false});
  }
}

}  // namespace retort::ops::doctor
