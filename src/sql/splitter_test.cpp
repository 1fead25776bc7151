// Tests of the statement splitters: golden files in tests/testdata/splitter (one input
// <name>.<dialect>.sql, one expected <name>.<dialect>.expected), plus offsets and errors.
#include "sql/splitter.hpp"

#include "base/text.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::sql {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The expected file lists each statement as "=== line N" followed by its text, or a single
// "=== error line N: message".
std::string render(std::string_view text, const SplitResult& result) {
  if (!result.ok()) {
    return "=== error line " + std::to_string(base::line_of_offset(text, result.error().offset)) +
           ": " + result.error().message + "\n";
  }
  std::string out;
  for (const StatementSpan& span : result.value()) {
    out += "=== line " + std::to_string(base::line_of_offset(text, span.offset)) + "\n";
    out += text.substr(span.offset, span.length);
    out += "\n";
  }
  return out;
}

std::vector<fs::path> golden_inputs() {
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(fs::path(RETORT_TESTDATA_DIR) / "splitter")) {
    if (entry.path().extension() == ".sql") {
      inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

TEST(SplitterGolden, EveryInputSplitsAsExpected) {
  const std::vector<fs::path> inputs = golden_inputs();
  ASSERT_GE(inputs.size(), 8U) << "the golden inputs are missing";
  // RETORT_UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing.
  const bool update = std::getenv("RETORT_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& input : inputs) {
    const std::string name = input.stem().string();  // e.g. "triggers.sqlite"
    const base::Dialect dialect =
        fs::path(name).extension() == ".pg" ? base::Dialect::postgres : base::Dialect::sqlite;
    const std::string text = read_file(input);
    const std::string actual = render(text, split(text, dialect));
    fs::path expected_path = input;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path.filename();
    EXPECT_EQ(actual, read_file(expected_path)) << "golden file " << input.filename();
  }
}

TEST(SplitPostgres, OffsetsPointAtTheFirstByteAfterLeadingComments) {
  const std::string text = "-- first\nSELECT 1;\n/* two */  SELECT 'é;' ;\nSELECT 3";
  const SplitResult result = split_postgres(text);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 3U);
  EXPECT_EQ(text.substr((*result)[0].offset, (*result)[0].length), "SELECT 1");
  EXPECT_EQ((*result)[0].offset, 9U);
  EXPECT_EQ(text.substr((*result)[1].offset, (*result)[1].length), "SELECT 'é;'");
  EXPECT_EQ(text.substr((*result)[2].offset, (*result)[2].length), "SELECT 3");
}

TEST(SplitPostgres, SyntaxErrorOffsetIsInBytesAfterMultibyteCharacters) {
  // "é" is two bytes but one character; PostgreSQL counts characters.
  const std::string text = "SELECT 'ééé';\nSELECT FROM WHERE;";
  const SplitResult result = split_postgres(text);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "syntax error at or near \"WHERE\"");
  EXPECT_EQ(text.substr(result.error().offset, 5), "WHERE");
}

TEST(SplitPostgres, CommentsOnlyIsNoStatement) {
  const SplitResult result = split_postgres("-- nothing\n/* here */\n;;\n");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
}

TEST(SplitSqlite, UnclosedStringIsAnErrorAtTheStatement) {
  const std::string text = "SELECT 1;\nINSERT INTO t VALUES ('oops);\n";
  const SplitResult result = split_sqlite(text);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "statement never ends: a string, quoted name or comment is not closed, or a CREATE "
            "TRIGGER has no END");
  EXPECT_EQ(base::line_of_offset(text, result.error().offset), 2);
}

TEST(SqliteSyntaxError, ReportsGrammarErrorsButNotUnknownTables) {
  EXPECT_FALSE(sqlite_syntax_error("INSERT INTO no_such_table VALUES (1)").has_value());
  EXPECT_FALSE(sqlite_syntax_error("CREATE TABLE t (id INTEGER PRIMARY KEY)").has_value());
  const auto error = sqlite_syntax_error("CREATE TABLE t (id INTEGER PRIMARY KEY,)");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "near \")\": syntax error");
  EXPECT_EQ(error->offset, 39U);
}

TEST(Fingerprint, IgnoresCommentsAndLayoutButNotValues) {
  const std::string plain = fingerprint("UPDATE t SET x = 1 WHERE id = 2", base::Dialect::postgres);
  EXPECT_EQ(plain.size(), 64U);
  EXPECT_EQ(plain, fingerprint("UPDATE t\n  SET x = 1 -- why\n  WHERE /* c */ id = 2",
                               base::Dialect::postgres));
  EXPECT_NE(plain, fingerprint("UPDATE t SET x = 2 WHERE id = 2", base::Dialect::postgres));
  EXPECT_NE(fingerprint("SELECT 'a  b'", base::Dialect::sqlite),
            fingerprint("SELECT 'a b'", base::Dialect::sqlite));
}

}  // namespace
}  // namespace retort::sql
