// The words of a run that stopped at a step or refused to start over a partially applied
// migration: the state the database is left in, the choices and the next command, from the
// facts the runner reports (runner::StepFailure, runner::ResumeRefusal).
#pragma once

#include "retort/error.hpp"
#include "runner/refusal.hpp"
#include "runner/runner.hpp"

namespace retort::commands {

// The runner's error with the state of the database and the next command filled in.
[[nodiscard]] Error step_failure_error(const runner::StepFailed& failed);

// The runner's refusal with the state of the database, the choices and the next command.
[[nodiscard]] Error resume_refusal_error(const runner::ResumeRefused& refused);

}  // namespace retort::commands
