// The launcher's failures, with a stand-in for postgres: a program that exits during start-up is
// reported with its log, one that finds its port taken is retried on new ports, and the
// directory goes with the launcher. Starting a real server is harness_test's.
#include "harness/postgres_launcher.hpp"

#include "harness/process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace retort::test {
namespace {

// A directory for the server, as make_server_dir() gives it, with `script` in it as an
// executable stand-in for postgres; removed at scope exit unless the launcher did it.
struct FakeServer {
  explicit FakeServer(const std::string& script) {
    account = server_account("the fake server");
    base_dir = make_server_dir("retort-launcher-test-", account);
    program = base_dir / "fake-postgres";
    std::ofstream(program) << "#!/bin/sh\n" << script;
    ::chmod(program.c_str(), 0755);
  }
  ~FakeServer() {
    std::error_code ignored;
    std::filesystem::remove_all(base_dir, ignored);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  [[nodiscard]] LaunchOptions options() const {
    LaunchOptions out;
    out.program = program;
    out.log_path = base_dir / "server.log";
    out.base_dir = base_dir;
    out.account = account;
    out.login_user = account.name;
    out.arguments = [](int port) { return std::vector<std::string>{"-p", std::to_string(port)}; };
    out.name = "the fake postgres";
    out.log_name = "fake log";
    return out;
  }

  ServerAccount account;
  std::filesystem::path base_dir;
  std::filesystem::path program;
};

std::string start_failure(const LaunchOptions& options) {
  PostgresLauncher launcher;
  try {
    launcher.start(options);
  } catch (const std::runtime_error& error) {
    EXPECT_FALSE(launcher.running());
    return error.what();
  }
  ADD_FAILURE() << "the launcher started a server that cannot run";
  return "";
}

TEST(ServerAccount, IsPostgresForRootAndTheCurrentUserOtherwise) {
  const ServerAccount account = server_account("the server");
  if (::geteuid() == 0) {
    EXPECT_EQ(account.name, "postgres");
    EXPECT_EQ(account.run_as, "postgres");
    EXPECT_TRUE(account.change_user);
    EXPECT_FALSE(account.groups.empty());
  } else {
    EXPECT_FALSE(account.name.empty());
    EXPECT_TRUE(account.run_as.empty());
    EXPECT_FALSE(account.change_user);
  }
}

TEST(MakeServerDir, IsNewEmptyAndTheServersOwn) {
  const ServerAccount account = server_account("the server");
  const std::filesystem::path dir = make_server_dir("retort-launcher-test-", account);
  struct stat info {};
  ASSERT_EQ(::stat(dir.c_str(), &info), 0);
  EXPECT_TRUE(S_ISDIR(info.st_mode));
  EXPECT_EQ(info.st_mode & 077, 0U);
  EXPECT_EQ(info.st_uid, account.change_user ? account.uid : ::geteuid());
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  EXPECT_EQ(dir.parent_path(), temp_root());
  std::filesystem::remove_all(dir);
}

TEST(PostgresLauncher, ReportsAServerThatExitsDuringStartUpWithItsLog) {
  const FakeServer fake("echo \"FATAL: bad setting on port $2\"\nexit 1\n");
  const std::string failure = start_failure(fake.options());
  EXPECT_NE(failure.find("the fake postgres exited during start-up; fake log:"), std::string::npos)
      << failure;
  EXPECT_NE(failure.find("FATAL: bad setting on port "), std::string::npos) << failure;
}

TEST(PostgresLauncher, TriesNewPortsWhileThePortIsTakenThenGivesUp) {
  // Counts its starts in the directory it may write: the server's.
  const FakeServer fake(
      "echo x >> \"$(dirname \"$0\")/starts\"\n"
      "echo 'LOG: could not bind IPv4 address \"127.0.0.1\": Address already in use'\nexit 1\n");
  const std::string failure = start_failure(fake.options());
  EXPECT_NE(failure.find("no free loopback port after 8 attempts; fake log:"), std::string::npos)
      << failure;
  EXPECT_NE(failure.find("could not bind"), std::string::npos) << failure;
  EXPECT_EQ(read_file(fake.base_dir / "starts"), "x\nx\nx\nx\nx\nx\nx\nx\n");
}

TEST(PostgresLauncher, StopWithoutStartIsHarmless) {
  PostgresLauncher launcher;
  launcher.stop();
  EXPECT_FALSE(launcher.running());
}

}  // namespace
}  // namespace retort::test
