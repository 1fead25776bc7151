// The header cache between processes (src/script/header_cache.hpp), through the retort binary
// on a SQLite file: a no-op run takes the graph from the cache, and a file added, removed,
// renamed or edited in its header since the last run is noticed every time.
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;

// Enough files for the cache (it is kept for 64 and more).
constexpr int k_revisions = 70;

std::string id_of(int index) { return "r" + std::to_string(100 + index); }

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class HeaderCache : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < k_revisions; ++i) {
      add(i, i == 0 ? "" : id_of(i - 1));
    }
    project.write_config_file();
    // The cache keeps only files whose times are two seconds old: a file written again within
    // one tick of the clock could otherwise look unchanged.
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const ProcessResult up = run({"upgrade", "head"});
    ASSERT_EQ(up.exit_code, 0) << shown(up);
    ASSERT_EQ(project.version_rows(), std::vector<std::string>{id_of(k_revisions - 1)});
    ASSERT_EQ(cache_files().size(), 1U) << "the full load wrote no cache";
  }

  std::string add(int index, const std::string& parent) {
    return project.add(MigrationSpec{
        id_of(index),
        parent.empty() ? std::vector<std::string>{} : std::vector<std::string>{parent},
        "CREATE TABLE t_" + id_of(index) + " (id integer);",
        "DROP TABLE t_" + id_of(index) + ";",
        {},
        "step " + id_of(index)});
  }

  [[nodiscard]] fs::path file_of(int index) const {
    return project.dir() / "migrations" / "versions" / (id_of(index) + "_change.sql");
  }

  [[nodiscard]] std::vector<fs::path> cache_files() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cache_dir(), ec)) {
      out.push_back(entry.path());
    }
    return out;
  }

  [[nodiscard]] fs::path cache_dir() const { return project.dir() / "cache"; }

  ProcessResult run(const std::vector<std::string>& args) {
    return retort(project, args, {{"RETORT_CACHE_DIR", cache_dir().string()}});
  }

  Project project{Backend::sqlite, "header-cache"};
};

TEST_F(HeaderCache, ANoOpRunTakesTheGraphFromTheCache) {
  // What the cache says of the head's message is what `heads` shows: the files were not read.
  const fs::path cache = cache_files().front();
  std::string text = slurp(cache);
  const std::string message = "step " + id_of(k_revisions - 1);
  const std::size_t at = text.find(message);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, message.size(), "STEP " + id_of(k_revisions - 1));
  spit(cache, text);
  const ProcessResult heads = run({"heads", "-v"});
  EXPECT_EQ(heads.exit_code, 0) << shown(heads);
  EXPECT_TRUE(has(heads.out, "STEP " + id_of(k_revisions - 1)));

  const ProcessResult up = run({"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 0) << shown(up);
  const ProcessResult current = run({"current"});
  EXPECT_EQ(current.exit_code, 0) << shown(current);
  EXPECT_TRUE(has(current.out, id_of(k_revisions - 1)));
  EXPECT_EQ(project.version_rows(), std::vector<std::string>{id_of(k_revisions - 1)});

  // A cache that is not whole is not used, and is written again.
  spit(cache, text.substr(0, text.size() / 2));
  const ProcessResult again = run({"heads", "-v"});
  EXPECT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_TRUE(has(again.out, "step " + id_of(k_revisions - 1)));
}

TEST_F(HeaderCache, AnAddedFileIsRun) {
  add(k_revisions, id_of(k_revisions - 1));
  const ProcessResult up = run({"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), std::vector<std::string>{id_of(k_revisions)});
  EXPECT_EQ(project.tables().size(), static_cast<std::size_t>(k_revisions + 1));
}

TEST_F(HeaderCache, ARemovedFileIsMissed) {
  fs::remove(file_of(k_revisions - 1));
  const ProcessResult current = run({"current"});
  EXPECT_TRUE(has(current.out + current.err, id_of(k_revisions - 1))) << shown(current);
  const ProcessResult up = run({"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 1) << shown(up);
  EXPECT_TRUE(has(up.err, id_of(k_revisions - 1)));
}

TEST_F(HeaderCache, ARenamedFileIsChecked) {
  // Renamed to another revision's name: the load compares the name with the header again.
  const fs::path renamed =
      project.dir() / "migrations" / "versions" / (id_of(k_revisions) + "_change.sql");
  fs::rename(file_of(k_revisions - 1), renamed);
  const ProcessResult heads = run({"heads"});
  EXPECT_EQ(heads.exit_code, 2) << shown(heads);
  EXPECT_TRUE(has(heads.err, id_of(k_revisions) + "_change.sql"));
}

TEST_F(HeaderCache, AnEditedHeaderIsSeenWhateverItsSizeAndTime) {
  // The head now revises the revision before its parent: the parent is a head of its own, and
  // pending. Same size, same modification time: only the change time tells.
  const fs::path head = file_of(k_revisions - 1);
  const auto mtime = fs::last_write_time(head);
  std::string text = slurp(head);
  const std::string revises = "-- retort:revises " + id_of(k_revisions - 2);
  const std::size_t at = text.find(revises);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, revises.size(), "-- retort:revises " + id_of(k_revisions - 3));
  spit(head, text);
  fs::last_write_time(head, mtime);

  const ProcessResult heads = run({"heads"});
  EXPECT_EQ(heads.exit_code, 0) << shown(heads);
  EXPECT_TRUE(has(heads.out, id_of(k_revisions - 2)));
  EXPECT_TRUE(has(heads.out, id_of(k_revisions - 1)));
  const ProcessResult current = run({"current", "-v"});
  EXPECT_TRUE(has(current.out, "Pending: 1 revision: " + id_of(k_revisions - 2))) << shown(current);
}

}  // namespace
}  // namespace retort::test
