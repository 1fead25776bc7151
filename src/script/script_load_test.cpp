// Loading a large script directory: 10,000 migrations in one chain, loaded whole and correct,
// its load time is printed, and watched in bench/ (read_floor.cpp, commands.sh). And loading
// the same directory again: the last parse is reused only while its files are unchanged.
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

// A directory of migrations in a fresh temporary directory, removed at the end.
class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() /
           ("retort-reload-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(root / "migrations" / "versions");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  // Writes revision `revision` (revising `parent`) with `message`; modified `age` ago.
  void write(const std::string& revision, const std::string& parent, const std::string& message,
             std::chrono::seconds age) {
    const fs::path file = root / "migrations" / "versions" / (revision + "_step.sql");
    std::ofstream(file) << "-- retort:revision " << revision << "\n"
                        << (parent.empty() ? "" : "-- retort:revises " + parent + "\n")
                        << "-- retort:message " << message
                        << "\n\n-- retort:upgrade\nSELECT 1;\n\n-- retort:downgrade\nSELECT 1;\n";
    fs::last_write_time(file, fs::file_time_type::clock::now() - age);
  }
  [[nodiscard]] ScriptDirectory load() const {
    auto loaded = ScriptDirectory::load(root / "migrations", root);
    EXPECT_TRUE(loaded.ok());
    return std::move(loaded).value();
  }
  fs::path root;
};

constexpr std::chrono::seconds k_hour{3600};

TEST_F(ReloadTest, AnUnchangedDirectoryIsParsedOnce) {
  write("a1", "", "first", k_hour);
  write("b2", "a1", "second", k_hour);
  const ScriptDirectory first = load();
  const ScriptDirectory second = load();
  // The same parse: the same Migration objects.
  EXPECT_EQ(first.find("b2"), second.find("b2"));
  EXPECT_EQ(second.find("b2")->message, "second");
}

TEST_F(ReloadTest, AnEditedAddedOrRemovedFileIsReadAgain) {
  write("a1", "", "first", k_hour);
  write("b2", "a1", "second", k_hour);
  const ScriptDirectory before = load();
  // The same size, another modification time: what a checkout of another commit leaves.
  write("b2", "a1", "SECOND", 2 * k_hour);
  const ScriptDirectory edited = load();
  EXPECT_EQ(edited.find("b2")->message, "SECOND");
  EXPECT_NE(before.find("b2"), edited.find("b2"));
  write("c3", "b2", "third", k_hour);
  EXPECT_EQ(load().map().heads(), (std::vector<std::string>{"c3"}));
  fs::remove(root / "migrations" / "versions" / "c3_step.sql");
  EXPECT_EQ(load().map().heads(), (std::vector<std::string>{"b2"}));
  EXPECT_EQ(load().find("b2")->message, "SECOND");
}

TEST_F(ReloadTest, FreshlyWrittenFilesAreNotKept) {
  // Written just now: an edit in the same timestamp tick, same size, must still be seen.
  write("a1", "", "first", std::chrono::seconds(0));
  const ScriptDirectory first = load();
  write("a1", "", "FIRST", std::chrono::seconds(0));
  const ScriptDirectory second = load();
  EXPECT_EQ(first.find("a1")->message, "first");
  EXPECT_EQ(second.find("a1")->message, "FIRST");
  EXPECT_NE(first.find("a1"), second.find("a1"));
}

}  // namespace
}  // namespace retort::script
