// [retort.hooks]: one shell command run for one event of a run, given the event as a JSON
// document on stdin and as RETORT_EVENT_* environment variables, killed past its timeout.
#pragma once

#include "base/duration.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace retort::ops::notify {

// One field of an event: its JSON key, and its value (a list is a JSON array, and one
// space-separated variable).
struct EventField {
  std::string key;
  std::variant<std::string, std::int64_t, bool, std::vector<std::string>> value;
};

// An event as hooks and log lines see it: its name ("after_step") and its fields, in order.
struct Event {
  std::string name;
  std::vector<EventField> fields;
};

// {"event":"after_step","revision":"b2",...}: one line, no newline.
[[nodiscard]] std::string to_json(const Event& event);

// RETORT_EVENT=after_step, RETORT_EVENT_REVISION=b2, ...: KEY in upper case.
[[nodiscard]] std::vector<std::string> to_environment(const Event& event);

// How a hook ended.
struct HookOutcome {
  bool ok = false;
  // When not ok: "exit status 3", "killed by signal 9", "timed out after 30s", "could not
  // start: ...", followed by the last lines it printed (stdout and stderr).
  std::string problem;
};

// Runs `command` with /bin/sh -c in a process group of its own, in the working directory,
// with the environment plus to_environment(event) and to_json(event) on stdin; its output is
// captured (kept for the problem, never printed to retort's stdout). Waits until it exits or
// `timeout` passes, then kills its process group. Thread-safe: yes; blocks the caller.
[[nodiscard]] HookOutcome run_hook(const std::string& command, const Event& event,
                                   base::Millis timeout);

}  // namespace retort::ops::notify
