// Maintenance windows: parsing, the window around an instant and the next one, across zones
// and daylight saving time.
#include "base/window.hpp"

#include <gtest/gtest.h>

namespace retort::base {
namespace {

SysSeconds at(const char* text) {
  const std::optional<SysSeconds> instant = parse_utc_instant(text);
  EXPECT_TRUE(instant.has_value()) << text;
  return instant.value_or(SysSeconds{});
}

std::vector<Window> windows(std::initializer_list<const char*> texts) {
  std::vector<Window> out;
  for (const char* text : texts) {
    auto parsed = parse_window(text);
    EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error());
    if (parsed.ok()) {
      out.push_back(std::move(parsed).value());
    }
  }
  return out;
}

TEST(WindowTest, ParsesDaysSpanAndZone) {
  const std::vector<Window> parsed =
      windows({"Sat 02:00-05:00 Europe/Berlin", "02:00-04:00 UTC", "Mon-Fri 22:00-02:00 UTC",
               "Sat,Sun 00:00-24:00 UTC"});
  ASSERT_EQ(parsed.size(), 4U);
  EXPECT_EQ(parsed[0].days, 1U << 6U);
  EXPECT_EQ(parsed[0].start_minute, 120);
  EXPECT_EQ(parsed[0].end_minute, 300);
  EXPECT_EQ(parsed[0].zone, "Europe/Berlin");
  EXPECT_EQ(parsed[1].days, 0x7fU) << "no days: every day";
  EXPECT_EQ(parsed[2].days, 0x3eU);
  EXPECT_EQ(parsed[3].days, 0x41U);
  EXPECT_EQ(windows({"sat,SUN 01:00-02:00 UTC"}).at(0).days, 0x41U) << "days in any case";
  EXPECT_EQ(windows({"Fri-Mon 01:00-02:00 UTC"}).at(0).days, 0x63U) << "across the week's end";
}

TEST(WindowTest, RejectsWhatItCannotRead) {
  EXPECT_EQ(parse_window("Sat 02:00-05:00 Mars/Olympus").error(),
            "unknown time zone 'Mars/Olympus': write UTC or an IANA name such as Europe/Berlin "
            "(the system's zoneinfo, Debian's tzdata package)");
  EXPECT_TRUE(
      parse_window("Caturday 02:00-05:00 UTC").error().starts_with("'Caturday' is not a day"));
  EXPECT_TRUE(
      parse_window("2:00-05:00 UTC").error().starts_with("'2:00-05:00' is not a time span"));
  EXPECT_TRUE(parse_window("02:00-05:00").error().starts_with("write \"[DAYS] HH:MM-HH:MM ZONE\""));
  EXPECT_EQ(parse_window("03:00-03:00 UTC").error(),
            "'03:00-03:00' opens and closes at the same time");
  EXPECT_FALSE(parse_window("02:00-05:00 ../etc/passwd").ok());
}

TEST(WindowTest, BerlinSaturdayInWinterAndSummer) {
  const std::vector<Window> berlin = windows({"Sat 02:00-05:00 Europe/Berlin"});
  // 2026-12-05 is a Saturday; Berlin is UTC+1 in winter.
  const auto inside = window_at(berlin, at("2026-12-05T03:00:00Z"));
  ASSERT_TRUE(inside.has_value());
  EXPECT_EQ(inside->open, at("2026-12-05T01:00:00Z"));
  EXPECT_EQ(inside->close, at("2026-12-05T04:00:00Z"));
  EXPECT_FALSE(window_at(berlin, at("2026-12-05T04:00:00Z")).has_value()) << "closed at its end";
  EXPECT_FALSE(window_at(berlin, at("2026-12-08T03:00:00Z")).has_value()) << "a Tuesday";
  const auto next = next_window(berlin, at("2026-12-08T21:00:00Z"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->open, at("2026-12-12T01:00:00Z"));
  EXPECT_EQ(format_in_zone(next->open, "UTC"), "Sat 2026-12-12 01:00 UTC");
  EXPECT_EQ(format_in_zone(next->open, "Europe/Berlin"), "Sat 2026-12-12 02:00 Europe/Berlin");
  // Summer time, UTC+2: 2026-07-04 is a Saturday.
  const auto summer = window_at(berlin, at("2026-07-04T00:30:00Z"));
  ASSERT_TRUE(summer.has_value());
  EXPECT_EQ(summer->open, at("2026-07-04T00:00:00Z"));
}

TEST(WindowTest, OvernightWindowBelongsToTheDayItOpens) {
  const std::vector<Window> weeknights = windows({"Mon-Fri 22:00-02:00 UTC"});
  // 2026-12-05 is a Saturday: Friday's window is still open at 01:00.
  EXPECT_TRUE(window_at(weeknights, at("2026-12-05T01:00:00Z")).has_value());
  EXPECT_FALSE(window_at(weeknights, at("2026-12-05T23:00:00Z")).has_value());
  const auto next = next_window(weeknights, at("2026-12-05T03:00:00Z"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->open, at("2026-12-07T22:00:00Z")) << "Monday night";
  EXPECT_EQ(next->close, at("2026-12-08T02:00:00Z"));
}

TEST(WindowTest, FormatsInstantsInUtcToTheMillisecond) {
  EXPECT_EQ(format_utc(at("2026-12-05T03:04:05Z") + std::chrono::milliseconds(7)),
            "2026-12-05T03:04:05.007Z");
}

TEST(WindowTest, ReadsOnlyWellFormedInstants) {
  EXPECT_EQ(parse_utc_instant("2026-12-05T03:00Z"), at("2026-12-05T03:00:00Z"));
  EXPECT_FALSE(parse_utc_instant("2026-12-05 03:00:00").has_value());
  EXPECT_FALSE(parse_utc_instant("2026-02-30T03:00:00Z").has_value());
}

}  // namespace
}  // namespace retort::base
