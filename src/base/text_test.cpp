// Tests of the text helpers: line numbers, UTF-8 character offsets, "did you mean" hints.
#include "base/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace retort::base {
namespace {

TEST(Trim, RemovesSurroundingWhitespaceOnly) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(SplitWords, SplitsOnRunsOfSpacesAndTabs) {
  EXPECT_EQ(split_words("  a\t\tbc  d "), (std::vector<std::string>{"a", "bc", "d"}));
  EXPECT_TRUE(split_words(" \t ").empty());
}

TEST(Split, KeepsEveryPartEmptyOnesToo) {
  EXPECT_EQ(split("a,b", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a,,b,", ','), (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

TEST(Join, PutsTheSeparatorBetweenParts) {
  const std::vector<std::string> parts{"a", "b", "c"};
  EXPECT_EQ(join(parts, ", "), "a, b, c");
  EXPECT_EQ(join(std::vector<std::string>{}, ", "), "");
  EXPECT_EQ(join(std::vector<std::string>{"only"}, ", "), "only");
}

TEST(LineOfOffset, CountsNewlinesBeforeTheOffset) {
  const std::string text = "one\ntwo\n\nfour";
  EXPECT_EQ(line_of_offset(text, 0), 1);
  EXPECT_EQ(line_of_offset(text, 3), 1) << "the newline itself ends line 1";
  EXPECT_EQ(line_of_offset(text, 4), 2);
  EXPECT_EQ(line_of_offset(text, 8), 3);
  EXPECT_EQ(line_of_offset(text, 9), 4);
  EXPECT_EQ(line_of_offset(text, text.size()), 4) << "offset == size is the last line";
  EXPECT_EQ(line_of_offset(text, 1000), 4) << "past the end clamps to the last line";
  EXPECT_EQ(line_of_offset("", 0), 1);
}

TEST(ByteOffsetOfChar, CountsUtf8CharactersNotBytes) {
  // U+00E9 (e acute) is 2 bytes, U+20AC (euro) 3 bytes, U+1D11E (G clef) 4 bytes.
  const std::string text =
      "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E"
      "b";
  EXPECT_EQ(byte_offset_of_char(text, 0), 0U);
  EXPECT_EQ(byte_offset_of_char(text, 1), 0U) << "'a'";
  EXPECT_EQ(byte_offset_of_char(text, 2), 1U) << "'\xC3\xA9'";
  EXPECT_EQ(byte_offset_of_char(text, 3), 3U) << "'\xE2\x82\xAC'";
  EXPECT_EQ(byte_offset_of_char(text, 4), 6U) << "the 4-byte clef";
  EXPECT_EQ(byte_offset_of_char(text, 5), 10U) << "'b'";
  EXPECT_EQ(byte_offset_of_char(text, 6), text.size()) << "past the end";
}

TEST(ByteOffsetOfChar, MatchesAPostgresPositionInAStatement) {
  // PostgreSQL reports the table at character 25 (1-based); the two-byte U+00E9 puts it at byte 25.
  const std::string sql = "SELECT 'caf\xC3\xA9' AS x FROM nosuchtable";
  const std::size_t byte = byte_offset_of_char(sql, 25);
  EXPECT_EQ(sql.substr(byte, 11), "nosuchtable");
}

TEST(InvalidUtf8At, AcceptsWellFormedTextAndFindsTheFirstBadByte) {
  EXPECT_EQ(invalid_utf8_at("a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E"
                            "b"),
            std::nullopt);
  EXPECT_EQ(invalid_utf8_at(""), std::nullopt);
  EXPECT_EQ(invalid_utf8_at("caf\xE9 ok"), 3U) << "a Latin-1 e acute";
  EXPECT_EQ(invalid_utf8_at("ab\x80"), 2U) << "a stray continuation byte";
  EXPECT_EQ(invalid_utf8_at("ab\xE2\x82"), 2U) << "a sequence cut by the end";
  EXPECT_EQ(invalid_utf8_at("\xC0\xAF"), 0U) << "an overlong '/'";
  EXPECT_EQ(invalid_utf8_at("x\xED\xA0\x80"), 1U) << "a surrogate";
  EXPECT_EQ(invalid_utf8_at("x\xF4\x90\x80\x80"), 1U) << "past U+10FFFF";
}

TEST(EscapeBytes, ShowsNulControlsAndBadBytesAndKeepsTheRest) {
  using namespace std::string_literals;
  EXPECT_EQ(escape_bytes("add\0users"s), "add\\x00users");
  EXPECT_EQ(escape_bytes("caf\xE9 \xC3\xA9\tend\r"), "caf\\xE9 \xC3\xA9\tend\\x0D");
}

TEST(EditDistance, IsLevenshtein) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("abc", ""), 3U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("lock_timout", "lock_timeout"), 1U);
}

TEST(Nearest, SuggestsTheClosestPlausibleTypo) {
  const std::vector<std::string> keys{"lock", "lock_wait", "lock_timeout", "lock_retries",
                                      "statement_timeout"};
  EXPECT_EQ(nearest("lock_timout", keys), "lock_timeout");
  EXPECT_EQ(nearest("lock_retry", keys), "lock_retries");
  EXPECT_EQ(nearest("statement_timout", keys), "statement_timeout");
  EXPECT_EQ(nearest("lokc", keys), "lock");
}

TEST(Nearest, StaysQuietWhenNothingIsClose) {
  const std::vector<std::string> keys{"lock", "lock_wait", "lock_timeout"};
  EXPECT_EQ(nearest("backup_dir", keys), std::nullopt);
  EXPECT_EQ(nearest("x", std::vector<std::string>{}), std::nullopt);
}

TEST(FormatBytes, CountsInBinaryUnits) {
  EXPECT_EQ(format_bytes(0), "0 bytes");
  EXPECT_EQ(format_bytes(1023), "1023 bytes");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(1024 * 1024 - 1), "1.0 MiB") << "never 1024.0 KiB";
  EXPECT_EQ(format_bytes(1024 * 1024), "1.0 MiB");
  EXPECT_EQ(format_bytes(std::int64_t{3} * 1024 * 1024 * 1024), "3.0 GiB");
  EXPECT_EQ(format_bytes(std::int64_t{5} * 1024 * 1024 * 1024 * 1024), "5.0 TiB");
}

}  // namespace
}  // namespace retort::base
