// Running the retort binary in a test project, and checking the words it printed.
#include "integration/cli_support.hpp"

#include <fstream>

namespace retort::test {

SpawnOptions in(const Project& project, std::chrono::seconds timeout) {
  SpawnOptions options;
  options.cwd = project.dir();
  options.timeout = timeout;
  return options;
}

void write_config(const Project& project, const std::string& extra, const std::string& url) {
  std::ofstream out(project.dir() / "retort.toml");
  out << "[retort]\nscript_location = \"migrations\"\nurl = \""
      << (url.empty() ? project.config().url : url) << "\"\n"
      << extra;
}

ProcessResult retort(const Project& project, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, std::chrono::seconds timeout) {
  SpawnOptions options = in(project, timeout);
  options.env = env;
  return run_retort(args, options);
}

std::string shown(const ProcessResult& result) {
  return "exit code " + std::to_string(result.exit_code) +
         (result.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" + result.out +
         "--- stderr:\n" + result.err;
}

::testing::AssertionResult has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected the words\n  " << part << "\nin\n" << text;
}

::testing::AssertionResult lacks(const std::string& text, const std::string& part) {
  if (text.find(part) == std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "did not expect the words\n  " << part << "\nin\n"
                                       << text;
}

}  // namespace retort::test
