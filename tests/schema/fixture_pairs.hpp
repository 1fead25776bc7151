// What the schema tests share about the fixture pairs (fixtures*/NAME/old.sql, new.sql): where
// they are and how a file of one is read.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The pair directories under `root`/`folder`, by name; RETORT_SCHEMA_FIXTURE=PART keeps those
// whose name holds PART, to work on one.
inline std::vector<std::filesystem::path> fixture_pairs(const std::filesystem::path& root,
                                                        const std::string& folder) {
  const char* only = std::getenv("RETORT_SCHEMA_FIXTURE");
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::directory_iterator(root / folder)) {
    if (entry.is_directory() &&
        (only == nullptr || entry.path().filename().string().find(only) != std::string::npos)) {
      found.push_back(entry.path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace retort::test
