// Spawning the retort binary (or any program) in a temp project, capturing exit code, stdout
// and stderr; running several at once; killing with a signal.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace retort::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  std::string out;     // stdout
  std::string err;     // stderr
};

struct SpawnOptions {
  std::filesystem::path cwd;
  std::map<std::string, std::string> env;  // added to (and overriding) the parent's environment
  std::vector<std::string> unset_env;      // removed from the environment
  std::string stdin_text;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // then SIGKILL, and the test fails
};

// A running child process. Destruction kills it (SIGKILL) and reaps it.
class Process {
 public:
  Process(std::vector<std::string> argv, const SpawnOptions& options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;

  [[nodiscard]] int pid() const noexcept;
  void kill(int signal);
  ProcessResult wait();  // waits (up to the timeout), collecting output

 private:
  struct State;
  State* m_state;
};

// Runs a program to completion.
ProcessResult run(std::vector<std::string> argv, const SpawnOptions& options = {});

// The retort binary under test (from the RETORT_BINARY environment variable or the build).
[[nodiscard]] std::filesystem::path retort_binary();

// Runs `retort ARGS...` in cwd with NO_COLOR=1 and without RETORT_URL/DATABASE_URL from the
// caller's environment unless given in options.env.
ProcessResult run_retort(const std::vector<std::string>& args, const SpawnOptions& options);

// A temp directory removed at destruction (kept when RETORT_KEEP_TEMP is set).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
  // Writes a file (creating parent directories) relative to the directory.
  void write(const std::filesystem::path& relative, std::string_view content) const;

 private:
  std::filesystem::path m_path;
};

}  // namespace retort::test
