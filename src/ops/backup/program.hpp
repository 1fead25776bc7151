// Running a backup program (pg_dump, pg_restore, the configured command) as a child process:
// its output captured, its environment given, and a cancelled run ending it.
#pragma once

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace retort::ops::backup {

struct ProgramResult {
  int exit_code = -1;      // -1 when a signal ended it
  int signal = 0;          // the signal that ended it, 0 if it exited
  std::string output;      // stdout and stderr together, the last 64 KiB
  bool cancelled = false;  // the run was cancelled (runner/cancel.hpp) and the program ended
};

// Runs argv[0] (looked up in PATH when it has no slash) in a process group of its own, with
// stdin from /dev/null, retort's environment plus (and overridden by) `env`, and the default
// signal dispositions and mask. While it runs, a cancel request (runner::request_cancel) ends
// its group: SIGTERM, then SIGKILL 5 s later. Blocks until it has exited. Throws
// Error(ExitCode::failed) naming the program when it cannot be started (not found, not
// executable). Called on the run's thread, once per backup or restore.
[[nodiscard]] ProgramResult run_program(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env);

// Starts argv[0] as run_program does (its own process group, stdin from /dev/null, default
// signal dispositions and mask), its stdout and stderr going to output_fd, and returns its pid
// without waiting: for a server that outlives the call. The caller reaps it. Throws as
// run_program.
[[nodiscard]] pid_t start_program(const std::vector<std::string>& argv, int output_fd);

// "exited with 1", "was killed by signal 9": how the program ended, for messages.
[[nodiscard]] std::string ending(const ProgramResult& result);

}  // namespace retort::ops::backup
