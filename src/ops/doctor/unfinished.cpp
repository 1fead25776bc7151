// doctor: ledger rows that are not `ok`. A failed transactional step (rolled back: retry it), a
// partially applied non-transactional one (resume or stamp), and a `running` row whose runner
// is gone (killed, or its machine went down).
#include "ops/doctor/doctor.hpp"

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
  for (const runner::LedgerRow& row : context.ledger.unfinished()) {
    const LedgerEntry& entry = row.entry;
    if (entry.direction == "stamp") {
      continue;
    }
    const script::Migration* migration = context.scripts.find(entry.revision);
    const bool transactional = migration != nullptr && migration->transactional;
    const std::string what = fmt::format("{} {}", entry.direction, entry.revision);
    const std::string command = entry.direction == "downgrade" ? "downgrade" : "upgrade";
    const std::string who = fmt::format("host {}, pid {}", row.host.empty() ? "?" : row.host,
                                        row.pid.empty() ? "?" : row.pid);
    const bool partial = !transactional && entry.statements_done > 0;

    if (entry.status == "running" && !context.lock_holder.empty()) {
      findings.push_back({"running", "info",
                          fmt::format("{} is running now ({}, started {}); the run lock is held "
                                      "by {}",
                                      what, who, entry.started_at, context.lock_holder),
                          "wait for it to finish", false});
      continue;
    }
    if (entry.status == "running") {
      // Nobody holds the run lock, so nobody is running it: its runner stopped mid-way.
      if (partial || !transactional) {
        findings.push_back(
            {"interrupted-partial", "error",
             fmt::format("{} was interrupted: its runner ({}) ended after statement {} of {} "
                         "(no transaction); those stay applied, and {} may or may not have "
                         "run: check what it creates",
                         what, who, entry.statements_done, entry.statements_total,
                         statement_place(migration, entry.statements_done + 1)),
             fmt::format("retort {} --resume   (an index that statement builds is checked: an "
                         "INVALID one is built again, a valid one is kept), or finish it by "
                         "hand and: retort stamp {} --reason \"...\"",
                         command, entry.revision),
             false});
        continue;
      }
      DoctorFinding finding{
          "interrupted", "warning",
          fmt::format("{} was interrupted: its runner ({}) ended before it finished; it ran in "
                      "one transaction, so nothing of it was applied",
                      what, who),
          fmt::format("retort {} {}   (doctor --fix marks the ledger row failed)", command,
                      entry.revision),
          false};
      if (context.fix &&
          context.ledger.mark_interrupted(
              entry.id, fmt::format("interrupted: its runner ({}) ended before it finished; "
                                    "nothing of it was applied",
                                    who))) {
        finding.fixed = true;
        finding.fix = "marked its ledger row failed; run `retort " + command + " " +
                      entry.revision + "` to apply it";
      }
      findings.push_back(std::move(finding));
      continue;
    }
    if (partial) {
      findings.push_back(
          {"partial-migration", "error",
           fmt::format("{} is partially applied: {} of {} statements ran (no transaction) and "
                       "stay, and the version table does not include it; then: {}",
                       what, entry.statements_done, entry.statements_total, entry.error),
           fmt::format("retort {} --resume   (runs it again from {}), or finish it by hand "
                       "and: retort stamp {} --reason \"...\"",
                       command, statement_place(migration, entry.statements_done + 1),
                       entry.revision),
           false});
      continue;
    }
    findings.push_back(
        {"failed-migration", "warning",
         fmt::format("the last {} failed and was rolled back (the database does not include "
                     "it): {}",
                     what, entry.error),
         migration != nullptr ? fmt::format("fix {} and run: retort {} {}", migration->display_path,
                                            command, entry.revision)
                              : fmt::format("retort {} {}", command, entry.revision),
         false});
  }
}

}  // namespace retort::ops::doctor
