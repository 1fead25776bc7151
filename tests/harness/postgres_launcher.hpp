// One postgres process of the test harness, owned by a launcher process that tears it down
// however the test binary ends: the cluster of postgres_server.cpp and each streaming replica of
// replica.cpp start theirs through it, as the OS account server_account() picks.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace retort::test {

// The OS account a test server runs as: `postgres` when the tests run as root (PostgreSQL
// refuses to run as root; Debian's package creates that user), else the current user.
struct ServerAccount {
  std::string name;    // the account's user name
  std::string run_as;  // for SpawnOptions::run_as_user: "postgres", or empty (no change)
  bool change_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups of `postgres`, when change_user
};

// Throws std::runtime_error, naming `what` ("the server", "the replica"), when the tests run as
// root and there is no `postgres` user, or when the current user has no name.
[[nodiscard]] ServerAccount server_account(std::string_view what);

// $TMPDIR, else /tmp: where clusters and their initdb template live.
[[nodiscard]] std::filesystem::path temp_root();

// A new, empty directory temp_root()/<prefix>XXXXXX owned by the account. Throws
// std::system_error.
[[nodiscard]] std::filesystem::path make_server_dir(std::string_view prefix,
                                                    const ServerAccount& account);

struct LaunchOptions {
  std::filesystem::path program;   // the postgres executable
  std::filesystem::path log_path;  // postgres's stdout and stderr, new for every attempt
  std::filesystem::path base_dir;  // the launcher removes it after the server stopped
  bool keep_dir = false;           // RETORT_KEEP_TEMP: the launcher leaves base_dir alone
  ServerAccount account;
  std::string login_user;  // the role that checks readiness, over 127.0.0.1, database postgres
  // postgres's arguments after argv[0], for the port picked.
  std::function<std::vector<std::string>(int port)> arguments;
  std::string name = "postgres";        // in failure messages: "the replica's postgres"
  std::string log_name = "server log";  // in failure messages: "replica log"
};

// The process tree, its teardown, and why a pipe rather than a parent-death signal, are described
// at the top of postgres_launcher.cpp.
class PostgresLauncher {
 public:
  PostgresLauncher() = default;
  // stop().
  ~PostgresLauncher();
  PostgresLauncher(const PostgresLauncher&) = delete;
  PostgresLauncher& operator=(const PostgresLauncher&) = delete;

  // Picks a free loopback port, starts postgres on it and returns once the server accepts
  // connections. When another process took the port meanwhile (the log says "could not bind"),
  // tries a new one, up to 8 times. Throws std::runtime_error with the log's last lines when
  // postgres exits during start-up, is not ready within 60 s (then stopped first), or no port
  // could be had.
  void start(const LaunchOptions& options);
  // Closes the control pipe, so that the launcher sends SIGQUIT, waits for postgres and removes
  // the base directory (unless keep_dir), and waits for the launcher. Does nothing in any other
  // process than the one that started it (a forked death test), or when nothing runs.
  void stop();

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] bool running() const { return m_launcher_pid > 0; }

 private:
  pid_t m_owner_pid = 0;
  pid_t m_launcher_pid = -1;
  int m_control_fd = -1;
  int m_port = 0;
};

}  // namespace retort::test
