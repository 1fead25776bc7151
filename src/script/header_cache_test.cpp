// Tests of the header cache's file: what is written reads back the same, and a file for another
// directory, torn, or holding what cannot be kept is never read as a cache.
#include "script/header_cache.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace retort::script::header_cache {
namespace {

namespace fs = std::filesystem;

class HeaderCacheFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("retort-header-cache-" + std::to_string(std::random_device{}()));
    path = (dir / "sub" / "headers-test").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static std::vector<Entry> entries() {
    return {Entry{"a1_first.sql", FileStamp{1, 2, 3, 4},
                  graph::Revision{"a1", {}, {}, {"main"}, "first"}},
            Entry{"b2_second.sql", FileStamp{5, 6, 7, 8},
                  graph::Revision{
                      "b2", {"a1"}, {"x9", "main"}, {}, "second: with spaces", {"z1", "z2"}}}};
  }
  fs::path dir;
  std::string path;
};

TEST_F(HeaderCacheFile, WhatIsWrittenReadsBack) {
  ASSERT_TRUE(write(path, "12:/p/versions/p", entries()));
  const auto read_back = read(path, "12:/p/versions/p");
  ASSERT_TRUE(read_back.has_value());
  ASSERT_EQ(read_back->size(), 2U);
  const Entry& second = (*read_back)[1];
  EXPECT_EQ(second.name, "b2_second.sql");
  EXPECT_EQ(second.stamp, (FileStamp{5, 6, 7, 8}));
  EXPECT_EQ(second.revision.id, "b2");
  EXPECT_EQ(second.revision.down_revisions, std::vector<std::string>{"a1"});
  EXPECT_EQ(second.revision.depends_on, (std::vector<std::string>{"x9", "main"}));
  EXPECT_TRUE(second.revision.branch_labels.empty());
  EXPECT_EQ(second.revision.message, "second: with spaces");
  EXPECT_EQ(second.revision.replaces, (std::vector<std::string>{"z1", "z2"}));
  EXPECT_EQ((*read_back)[0].revision.branch_labels, std::vector<std::string>{"main"});
}

TEST_F(HeaderCacheFile, AnotherDirectorysOrATornFileIsNotACache) {
  ASSERT_TRUE(write(path, "12:/p/versions/p", entries()));
  EXPECT_FALSE(read(path, "12:/q/versions/p").has_value());
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  in.close();
  const std::string whole = text.str();
  for (const std::size_t keep : {whole.size() - 1, whole.size() / 2, std::size_t{10}}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << whole.substr(0, keep);
    EXPECT_FALSE(read(path, "12:/p/versions/p").has_value()) << keep;
  }
  EXPECT_FALSE(read((dir / "none").string(), "12:/p/versions/p").has_value());
}

TEST_F(HeaderCacheFile, WhatCannotBeKeptIsNotWritten) {
  std::vector<Entry> odd = entries();
  odd[0].revision.message = std::string("nul\0byte", 8);
  EXPECT_FALSE(write(path, "k", odd));
  odd = entries();
  odd[1].revision.depends_on = {"two words"};
  EXPECT_FALSE(write(path, "k", odd));
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace retort::script::header_cache
