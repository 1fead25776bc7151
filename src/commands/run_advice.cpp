// The words of a run that stopped at a step or refused to start: what the database is left
// with and what to run next, said here rather than in the runner (CONTRIBUTING.md: lower
// layers throw data).
#include "commands/run_advice.hpp"

#include "base/text.hpp"
#include "runner/recovery.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace retort::commands {

namespace {

std::string heads_text(const std::vector<std::string>& heads) {
  return heads.empty() ? std::string("base (no revision)") : base::join(heads, ", ");
}

std::string state_of(const runner::StepFailure& failure) {
  switch (failure.left) {
    case runner::StepFailure::Left::rolled_back:
      return fmt::format(
          "revision {} was rolled back; the database is at {}{}", failure.revision,
          heads_text(failure.heads_now),
          failure.whole_run ? " (the whole run was one transaction and was rolled back)" : "");
    case runner::StepFailure::Left::nothing_ran:
      if (!failure.backfill.empty()) {
        // Its batches commit one by one, each with its progress row.
        return fmt::format(
            "backfill revision {} stopped part-way: {}; each batch committed with its progress, "
            "and the version table still says {}",
            failure.revision, failure.backfill, heads_text(failure.heads_now));
      }
      return fmt::format(
          "revision {} stopped at its first statement, so nothing of it ran (no transaction); "
          "the database is at {}",
          failure.revision, heads_text(failure.heads_now));
    case runner::StepFailure::Left::partially_applied:
      return fmt::format(
          "revision {} is partially applied: {} of {} statements ran (no transaction); the "
          "version table still says {}",
          failure.revision, failure.statements_done, failure.statements_total,
          heads_text(failure.heads_now));
  }
  return {};
}

std::string next_of(const runner::StepFailure& failure) {
  if (failure.lock_lost) {
    return "retort current -v   (another runner may be migrating now; once it is done, run the "
           "same command again)";
  }
  if (failure.cancelled) {
    return failure.backfill.empty()
               ? "run the same command again to continue"
               : "run the same command again to continue the backfill after its cursor";
  }
  if (failure.lock_timeout) {
    std::string out = "run the same command again once the blocking transaction has ended";
    if (!failure.blocker_pid.empty()) {
      out += fmt::format(" (end it with SELECT pg_terminate_backend({}); if it is stuck)",
                         failure.blocker_pid);
    }
    return out + ", or allow more with --lock-timeout / --lock-retries";
  }
  const bool downgrade = failure.direction == graph::Direction::downgrade;
  switch (failure.left) {
    case runner::StepFailure::Left::rolled_back:
      return downgrade
                 ? fmt::format("fix {} and run the same `retort downgrade` again", failure.file)
                 : fmt::format("fix {} and run `retort upgrade {}` again", failure.file,
                               failure.revision);
    case runner::StepFailure::Left::nothing_ran:
      if (!failure.backfill.empty()) {
        return fmt::format(
            "fix {} and run the same command again: the backfill continues after "
            "its cursor",
            failure.file);
      }
      return fmt::format("fix {} and run the same command again{}", failure.file,
                         runner::index_rebuild_note(failure.index_rebuilt));
    case runner::StepFailure::Left::partially_applied:
      return fmt::format(
          "{}   (runs it on from statement {}{}), or finish it by hand and `retort stamp {}`",
          runner::partial_command(downgrade ? Direction::downgrade : Direction::upgrade,
                                  "--resume"),
          failure.statements_done + 1, runner::index_rebuild_note(failure.index_rebuilt),
          failure.revision);
  }
  return {};
}

}  // namespace

Error step_failure_error(const runner::StepFailed& failed) {
  Error out = failed;
  out.state(state_of(failed.failure));
  out.next(next_of(failed.failure));
  return out;
}

Error resume_refusal_error(const runner::ResumeRefused& refused) {
  const runner::ResumeRefusal& refusal = refused.refusal;
  Error out = refused;
  using Why = runner::ResumeRefusal::Why;
  if (refusal.why == Why::nothing_to_resume) {
    out.state("nothing was run");
    out.next(fmt::format("retort current -v   (then run without --{})", refusal.asked));
    return out;
  }
  out.state(fmt::format(
      "revision {} is partially applied: {} of {} statements ran (no transaction) and stay; the "
      "version table does not include it",
      refusal.revision, refusal.statements_done, refusal.statements_total));
  const std::string resume = runner::partial_command(refusal.direction, "--resume");
  switch (refusal.why) {
    case Why::partially_applied:
      out.explain(fmt::format(
          "its last run: {}\nchoices:\n  {}   runs it on from statement {} ({}){}\n  finish it "
          "by hand, then: retort stamp {} --reason \"...\"\n  undo by hand what ran, then: {}   "
          "(runs it from its first statement)",
          refusal.last_error.empty() ? std::string("failed") : refusal.last_error, resume,
          refusal.statements_done + 1, refusal.file,
          runner::index_rebuild_note(refusal.index_rebuilt), refusal.revision,
          runner::partial_command(refusal.direction, "--restart")));
      out.next(resume);
      break;
    case Why::not_in_plan:
      out.next(resume + "   (with a target that includes " + refusal.revision + ")");
      break;
    case Why::ran_unknown:
      out.next(fmt::format("finish it by hand, then: retort stamp {} --reason \"...\"",
                           refusal.revision));
      break;
    case Why::edited:
      out.next("put the statement back as it ran and resume, or finish by hand and `retort stamp " +
               refusal.revision + "`");
      break;
    case Why::nothing_to_resume:
      break;
  }
  return out;
}

}  // namespace retort::commands
