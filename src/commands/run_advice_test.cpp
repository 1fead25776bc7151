// Tests of the words a failed step's or a refused run's error gains in the command layer: the
// state of the database, the choices and the next command, from the runner's facts.
#include "commands/run_advice.hpp"

#include <gtest/gtest.h>

namespace retort::commands {
namespace {

runner::StepFailed failed(runner::StepFailure facts) {
  return {Error(ExitCode::failed, "revision b2 failed: boom"), std::move(facts)};
}

runner::StepFailure facts(runner::StepFailure::Left left) {
  runner::StepFailure out;
  out.left = left;
  out.revision = "b2";
  out.file = "versions/b2_add.sql";
  out.statements_done = 2;
  out.statements_total = 5;
  out.heads_now = {"a1"};
  return out;
}

TEST(StepFailureError, ARolledBackUpgradeSaysToFixTheFileAndRunItAgain) {
  const Error error = step_failure_error(failed(facts(runner::StepFailure::Left::rolled_back)));
  EXPECT_STREQ(error.what(), "revision b2 failed: boom");
  EXPECT_EQ(error.code(), ExitCode::failed);
  EXPECT_EQ(error.database_state, "revision b2 was rolled back; the database is at a1");
  EXPECT_EQ(error.next_command, "fix versions/b2_add.sql and run `retort upgrade b2` again");
}

TEST(StepFailureError, ARolledBackDowngradeInOneTransaction) {
  runner::StepFailure in = facts(runner::StepFailure::Left::rolled_back);
  in.direction = graph::Direction::downgrade;
  in.whole_run = true;
  in.heads_now.clear();
  const Error error = step_failure_error(failed(in));
  EXPECT_EQ(error.database_state,
            "revision b2 was rolled back; the database is at base (no revision) (the whole run "
            "was one transaction and was rolled back)");
  EXPECT_EQ(error.next_command,
            "fix versions/b2_add.sql and run the same `retort downgrade` again");
}

TEST(StepFailureError, NothingRanNamesTheIndexToRebuild) {
  runner::StepFailure in = facts(runner::StepFailure::Left::nothing_ran);
  in.index_rebuilt = "orders_by_day";
  const Error error = step_failure_error(failed(in));
  EXPECT_EQ(error.database_state,
            "revision b2 stopped at its first statement, so nothing of it ran (no transaction); "
            "the database is at a1");
  EXPECT_EQ(error.next_command,
            "fix versions/b2_add.sql and run the same command again, and an INVALID index "
            "orders_by_day it left is dropped and built again");
}

TEST(StepFailureError, PartiallyAppliedSaysHowToResume) {
  runner::StepFailure in = facts(runner::StepFailure::Left::partially_applied);
  in.direction = graph::Direction::downgrade;
  const Error error = step_failure_error(failed(in));
  EXPECT_EQ(error.database_state,
            "revision b2 is partially applied: 2 of 5 statements ran (no transaction); the "
            "version table still says a1");
  EXPECT_EQ(error.next_command,
            "retort downgrade --resume TARGET   (runs it on from statement 3), or finish it by "
            "hand and `retort stamp b2`");
}

TEST(StepFailureError, ALockTimeoutNamesTheBlocker) {
  runner::StepFailure in = facts(runner::StepFailure::Left::rolled_back);
  in.lock_timeout = true;
  in.blocker_pid = "4242";
  EXPECT_EQ(step_failure_error(failed(in)).next_command,
            "run the same command again once the blocking transaction has ended (end it with "
            "SELECT pg_terminate_backend(4242); if it is stuck), or allow more with "
            "--lock-timeout / --lock-retries");
  in.blocker_pid.clear();
  EXPECT_EQ(step_failure_error(failed(in)).next_command,
            "run the same command again once the blocking transaction has ended, or allow more "
            "with --lock-timeout / --lock-retries");
}

TEST(StepFailureError, ALostLockOutranksACancellation) {
  runner::StepFailure in = facts(runner::StepFailure::Left::rolled_back);
  in.cancelled = true;
  EXPECT_EQ(step_failure_error(failed(in)).next_command, "run the same command again to continue");
  in.lock_lost = true;
  EXPECT_EQ(step_failure_error(failed(in)).next_command,
            "retort current -v   (another runner may be migrating now; once it is done, run the "
            "same command again)");
  EXPECT_EQ(step_failure_error(failed(in)).database_state,
            "revision b2 was rolled back; the database is at a1");
}

runner::ResumeRefusal refusal(runner::ResumeRefusal::Why why) {
  return {.why = why,
          .revision = "c3",
          .direction = Direction::upgrade,
          .statements_done = 1,
          .statements_total = 3,
          .file = "versions/c3_index.sql",
          .last_error = ""};
}

Error refused(runner::ResumeRefusal facts) {
  return resume_refusal_error({Error(ExitCode::failed, "refused"), std::move(facts)});
}

TEST(ResumeRefusalError, APartiallyAppliedMigrationListsTheChoices) {
  runner::ResumeRefusal in = refusal(runner::ResumeRefusal::Why::partially_applied);
  in.index_rebuilt = "orders_by_day";
  const Error error = refused(in);
  EXPECT_STREQ(error.what(), "refused");
  EXPECT_EQ(error.database_state,
            "revision c3 is partially applied: 1 of 3 statements ran (no transaction) and stay; "
            "the version table does not include it");
  EXPECT_EQ(error.explanation,
            "its last run: failed\nchoices:\n  retort upgrade --resume   runs it on from "
            "statement 2 (versions/c3_index.sql), and an INVALID index orders_by_day it left is "
            "dropped and built again\n  finish it by hand, then: retort stamp c3 --reason "
            "\"...\"\n  undo by hand what ran, then: retort upgrade --restart   (runs it from its "
            "first statement)");
  EXPECT_EQ(error.next_command, "retort upgrade --resume");
}

TEST(ResumeRefusalError, EachRefusalHasItsNextCommand) {
  runner::ResumeRefusal in = refusal(runner::ResumeRefusal::Why::not_in_plan);
  in.direction = Direction::downgrade;
  EXPECT_EQ(refused(in).next_command,
            "retort downgrade --resume TARGET   (with a target that includes c3)");
  EXPECT_EQ(refused(refusal(runner::ResumeRefusal::Why::ran_unknown)).next_command,
            "finish it by hand, then: retort stamp c3 --reason \"...\"");
  EXPECT_EQ(refused(refusal(runner::ResumeRefusal::Why::edited)).next_command,
            "put the statement back as it ran and resume, or finish by hand and `retort stamp "
            "c3`");
}

TEST(ResumeRefusalError, NothingToResume) {
  runner::ResumeRefusal in = refusal(runner::ResumeRefusal::Why::nothing_to_resume);
  in.asked = "restart";
  const Error error = refused(in);
  EXPECT_EQ(error.database_state, "nothing was run");
  EXPECT_EQ(error.next_command, "retort current -v   (then run without --restart)");
}

}  // namespace
}  // namespace retort::commands
