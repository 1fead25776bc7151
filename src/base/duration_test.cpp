// Tests of duration parsing and printing: the spellings retort.toml and file headers use.
#include "base/duration.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace retort::base {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

struct Accepted {
  std::string text;
  Millis expected;
};

TEST(ParseDuration, AcceptsEveryUnit) {
  const Accepted cases[] = {
      {"500ms", milliseconds(500)},
      {"2s", seconds(2)},
      {"5m", minutes(5)},
      {"4h", hours(4)},
      {"1d", hours(24)},
      {"0", Millis{0}},
      {"0s", Millis{0}},
      {"0ms", Millis{0}},
      {"90s", seconds(90)},
      {"  2s\t", seconds(2)},
      {"1ms", Millis{1}},
      {"40m", minutes(40)},
      {"3600000ms", hours(1)},
  };
  for (const Accepted& c : cases) {
    const std::optional<Millis> parsed = parse_duration(c.text);
    ASSERT_TRUE(parsed.has_value()) << "'" << c.text << "' should parse";
    EXPECT_EQ(*parsed, c.expected) << "'" << c.text << "'";
  }
}

TEST(ParseDuration, RejectsEverythingElse) {
  const std::string rejected[] = {
      "",     "5",  "1.5s", "-2s", "2 sec", "2 s", "s",   "ms",    "5x",  "2S",
      "2sec", "m5", "5mm",  "+2s", "0x10s", "two", "2s5", "2h30m", "00 ", "99999999999999999999s",
  };
  for (const std::string& text : rejected) {
    EXPECT_FALSE(parse_duration(text).has_value()) << "'" << text << "' should be rejected";
  }
}

TEST(ParseDuration, RejectsValuesThatOverflow) {
  EXPECT_FALSE(parse_duration("9223372036854775807h").has_value());
  EXPECT_EQ(parse_duration("9223372036854775807ms"), Millis{INT64_MAX});
}

TEST(FormatDuration, UsesTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(Millis{0}), "0");
  EXPECT_EQ(format_duration(milliseconds(500)), "500ms");
  EXPECT_EQ(format_duration(milliseconds(2000)), "2s");
  EXPECT_EQ(format_duration(milliseconds(90000)), "90s");
  EXPECT_EQ(format_duration(minutes(5)), "5m");
  EXPECT_EQ(format_duration(hours(4)), "4h");
  EXPECT_EQ(format_duration(hours(48)), "2d");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (const Millis value : {Millis{0}, Millis{1}, Millis{1500}, Millis{60000}, Millis{86400000}}) {
    EXPECT_EQ(parse_duration(format_duration(value)), value) << format_duration(value);
  }
}

TEST(FormatElapsed, ReadsLikeAProgressLine) {
  EXPECT_EQ(format_elapsed(milliseconds(850)), "850ms");
  EXPECT_EQ(format_elapsed(milliseconds(12400)), "12.4s");
  EXPECT_EQ(format_elapsed(seconds(185)), "3m05s");
  EXPECT_EQ(format_elapsed(minutes(62)), "1h02m");
}

TEST(FormatElapsed, NeverPrintsSixtySeconds) {
  // 59.96s rounds to "60.0s" at one decimal; that is a minute and must read as one.
  EXPECT_EQ(format_elapsed(milliseconds(59960)), "1m00s");
  EXPECT_EQ(format_elapsed(milliseconds(59940)), "59.9s");
}

}  // namespace
}  // namespace retort::base
