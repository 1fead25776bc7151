// Spawning the retort binary (or any program) in a temp project, capturing exit code, stdout
// and stderr; running several at once; killing with a signal.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::test {

struct ProcessResult {
  int exit_code = -1;      // -1 when killed by a signal
  int signal = 0;          // the signal that ended it, 0 if it exited
  std::string out;         // stdout
  std::string err;         // stderr
  bool timed_out = false;  // killed with SIGKILL after SpawnOptions::timeout (the test failed)
};

struct SpawnOptions {
  std::filesystem::path cwd;
  std::map<std::string, std::string> env;  // added to (and overriding) the parent's environment
  std::vector<std::string> unset_env;      // removed from the environment
  std::string stdin_text;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // then SIGKILL, and the test fails
  // When the test runs as root: the OS user (e.g. "postgres") to become before exec. Ignored
  // otherwise, since only root can switch users.
  std::string run_as_user;
};

// A running child process, in a process group of its own so that kill() and the timeout also
// reach what it started. Destruction kills it (SIGKILL) and reaps it. argv[0] without a slash is
// looked up in PATH. Throws std::system_error when the program cannot be executed. One thread
// at a time per Process; different Processes may run from different threads. The first Process
// sets SIGPIPE to ignored in the test binary, so that feeding stdin to a child that exited is
// an error code, not a crash; children start with the default again.
class Process {
 public:
  Process(std::vector<std::string> argv, const SpawnOptions& options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;

  [[nodiscard]] int pid() const noexcept;
  // Sends signal to the process group; does nothing once the process has been reaped.
  void kill(int signal);
  // Feeds stdin_text, collects stdout and stderr until both close, and reaps the process. The
  // timeout counts from the start; when it passes, the group gets SIGKILL and the test gets a
  // failure naming the command. A second call returns the same result.
  ProcessResult wait();

 private:
  struct State;
  State* m_state;
};

// Runs a program to completion.
ProcessResult run(std::vector<std::string> argv, const SpawnOptions& options = {});

// The retort binary under test (from the RETORT_BINARY environment variable or the build).
[[nodiscard]] std::filesystem::path retort_binary();

// Runs `retort ARGS...` in cwd with NO_COLOR=1 and without RETORT_URL/DATABASE_URL from the
// caller's environment unless given in options.env. Throws std::system_error naming the binary
// when it does not exist: a test target that calls this needs add_dependencies(<test> retort).
ProcessResult run_retort(const std::vector<std::string>& args, const SpawnOptions& options);

// A temp directory (mkdtemp under $TMPDIR, else /tmp) removed at destruction (kept, and its path
// printed to stderr, when RETORT_KEEP_TEMP is set).
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

// A loopback TCP port nobody listens on right now. Another process may take it before the
// caller binds it: a server started on it must be retried with a new port when that happens.
[[nodiscard]] int free_loopback_port();

// The whole content of a file ("" when it cannot be read), and its last `count` lines: for a
// server log in a failure message.
[[nodiscard]] std::string read_file(const std::filesystem::path& path);
[[nodiscard]] std::string last_lines(const std::string& text, std::size_t count);

}  // namespace retort::test
