// Running the retort binary in a test project, and checking the words it printed: what the
// command-level tests (recovery, preflight, backup, replica) share.
#pragma once

#include "harness/process.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace retort::test {

// The project's directory, and a timeout after which the test fails (a run that takes that
// long is stuck).
[[nodiscard]] SpawnOptions in(const Project& project,
                              std::chrono::seconds timeout = std::chrono::seconds(120));

// retort.toml for the binary: the URL (the project's unless given), and what a test adds (a
// table of settings).
void write_config(const Project& project, const std::string& extra = "",
                  const std::string& url = "");

// `retort ARGS...` in the project, with env added to the environment.
ProcessResult retort(const Project& project, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {},
                     std::chrono::seconds timeout = std::chrono::seconds(120));

// What a failed expectation prints: the whole of what the user saw.
[[nodiscard]] std::string shown(const ProcessResult& result);

// Whether the words a user reads are there (or not), with both in the failure message.
[[nodiscard]] ::testing::AssertionResult has(const std::string& text, const std::string& part);
[[nodiscard]] ::testing::AssertionResult lacks(const std::string& text, const std::string& part);

}  // namespace retort::test
