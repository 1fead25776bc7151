// Loading a large script directory: 10,000 migrations in one chain, loaded whole and correct,
// its load time is printed, and watched in bench/ (read_floor.cpp, commands.sh).
#include "script/script_directory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace retort::script {
namespace {

namespace fs = std::filesystem;

TEST(ScriptDirectoryLoad, TenThousandFiles) {
  const fs::path root =
      fs::temp_directory_path() / ("retort-load-test-" + std::to_string(std::random_device{}()));
  const fs::path versions = root / "migrations" / "versions";
  fs::create_directories(versions);
  constexpr int k_files = 10000;
  std::string previous;
  for (int file_idx = 0; file_idx < k_files; ++file_idx) {
    std::array<char, 16> id{};
    std::snprintf(id.data(), id.size(), "r%05d", file_idx);
    const std::string revision = id.data();
    std::ofstream(versions / (revision + "_step.sql"))
        << "-- retort:revision " << revision << "\n"
        << (previous.empty() ? "" : "-- retort:revises " + previous + "\n")
        << "-- retort:message step\n\n-- retort:upgrade\nCREATE TABLE t_" << revision
        << " (id bigint PRIMARY KEY, note text);\n\n-- retort:downgrade\nDROP TABLE t_" << revision
        << ";\n";
    previous = revision;
  }

  const auto start = std::chrono::steady_clock::now();
  auto loaded = ScriptDirectory::load(root / "migrations", root);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::error_code ec;
  fs::remove_all(root, ec);

  ASSERT_TRUE(loaded.ok()) << loaded.error().front().message;
  EXPECT_EQ(loaded->migrations().size(), static_cast<std::size_t>(k_files));
  EXPECT_EQ(loaded->map().heads(), (std::vector<std::string>{"r09999"}));
  // Printed for the curious; bench/ watches the number, a test never bounds it.
  std::printf("loaded %d files in %lld ms\n", k_files, static_cast<long long>(elapsed.count()));
}

}  // namespace
}  // namespace retort::script
