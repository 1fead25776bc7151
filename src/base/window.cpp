// Maintenance windows: parsing, and the occurrences around an instant. The wall clock of an
// IANA zone comes from the C library (TZ, tzset, mktime, localtime_r) reading the system's
// zoneinfo: libstdc++ 12 has no std::chrono::tzdb.
#include "base/window.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace retort::base {

namespace {

constexpr std::array<std::string_view, 7> k_days = {"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};

// "Sat", in any case ("sat", "SAT").
std::optional<int> day_index(std::string_view name) {
  const auto same = [](std::string_view left, std::string_view right) {
    return left.size() == right.size() &&
           std::equal(left.begin(), left.end(), right.begin(), [](char lhs, char rhs) {
             return std::tolower(static_cast<unsigned char>(lhs)) ==
                    std::tolower(static_cast<unsigned char>(rhs));
           });
  };
  for (std::size_t day_idx = 0; day_idx < k_days.size(); ++day_idx) {
    if (same(name, k_days.at(day_idx))) {
      return static_cast<int>(day_idx);
    }
  }
  return std::nullopt;
}

// "Sat", "Sat,Sun", "Mon-Fri", "Fri-Mon" (wrapping) as a bit set; nothing for bad input.
std::optional<unsigned> parse_days(std::string_view text) {
  unsigned days = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t dash = part.find('-');
    const std::optional<int> first = day_index(part.substr(0, dash));
    const std::optional<int> last =
        dash == std::string_view::npos ? first : day_index(part.substr(dash + 1));
    if (!first || !last) {
      return std::nullopt;
    }
    for (int day = *first;; day = (day + 1) % 7) {
      days |= 1U << static_cast<unsigned>(day);
      if (day == *last) {
        break;
      }
    }
  }
  return days == 0 ? std::nullopt : std::optional<unsigned>(days);
}

// "HH:MM" as minutes after midnight; 24:00 allowed as an end.
std::optional<int> parse_clock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') {
    return std::nullopt;
  }
  for (const std::size_t pos : {0U, 1U, 3U, 4U}) {
    if (text[pos] < '0' || text[pos] > '9') {
      return std::nullopt;
    }
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
    return std::nullopt;
  }
  return hours * 60 + minutes;
}

std::filesystem::path zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");  // NOLINT(concurrency-mt-unsafe): read only
  return dir != nullptr && *dir != '\0' ? std::filesystem::path(dir)
                                        : std::filesystem::path("/usr/share/zoneinfo");
}

bool zone_exists(const std::string& zone) {
  if (zone == "UTC") {
    return true;
  }
  if (zone.empty() || zone.front() == '/' || zone.find("..") != std::string::npos) {
    return false;
  }
  std::error_code error;
  return std::filesystem::is_regular_file(zoneinfo_dir() / zone, error);
}

// Runs f with the C library's local time set to `zone`; TZ is restored after. One at a time in
// the process: TZ is global.
template <typename F>
auto in_zone(const std::string& zone, F&& f) {
  static std::mutex s_mutex;
  const std::scoped_lock lock(s_mutex);
  const char* previous = std::getenv("TZ");  // NOLINT(concurrency-mt-unsafe): under the lock
  const std::optional<std::string> saved =
      previous != nullptr ? std::optional<std::string>(previous) : std::nullopt;
  const std::string value = zone == "UTC" ? "UTC0" : ":" + zone;
  ::setenv("TZ", value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): under the lock
  ::tzset();
  auto result = f();
  if (saved) {
    ::setenv("TZ", saved->c_str(), 1);  // NOLINT(concurrency-mt-unsafe): under the lock
  } else {
    ::unsetenv("TZ");  // NOLINT(concurrency-mt-unsafe): under the lock
  }
  ::tzset();
  return result;
}

// The instant of local date `day` at `minute` after midnight in the zone set by in_zone.
SysSeconds local_instant(std::chrono::sys_days day, int minute) {
  const std::chrono::year_month_day date(day);
  std::tm fields{};
  fields.tm_year = static_cast<int>(date.year()) - 1900;
  fields.tm_mon = static_cast<int>(static_cast<unsigned>(date.month())) - 1;
  fields.tm_mday = static_cast<int>(static_cast<unsigned>(date.day()));
  fields.tm_hour = minute / 60;
  fields.tm_min = minute % 60;
  fields.tm_isdst = -1;  // the zone's rule for that date
  return SysSeconds(std::chrono::seconds(std::mktime(&fields)));
}

// The local calendar day of `instant` in the zone set by in_zone.
std::chrono::sys_days local_day(SysSeconds instant) {
  const std::time_t seconds = instant.time_since_epoch().count();
  std::tm fields{};
  ::localtime_r(&seconds, &fields);
  return std::chrono::sys_days(std::chrono::year(fields.tm_year + 1900) /
                               std::chrono::month(static_cast<unsigned>(fields.tm_mon + 1)) /
                               std::chrono::day(static_cast<unsigned>(fields.tm_mday)));
}

// The occurrences of `window` that open on the local days from the day before `now` to eight
// days after it, in order.
std::vector<WindowSpan> spans_near(const Window& window, SysSeconds now) {
  return in_zone(window.zone, [&] {
    std::vector<WindowSpan> out;
    const std::chrono::sys_days today = local_day(now);
    for (int offset = -1; offset <= 8; ++offset) {
      const std::chrono::sys_days day = today + std::chrono::days(offset);
      const unsigned weekday = std::chrono::weekday(day).c_encoding();
      if ((window.days & (1U << weekday)) == 0) {
        continue;
      }
      const bool next_day = window.end_minute <= window.start_minute;
      out.push_back({local_instant(day, window.start_minute),
                     local_instant(next_day ? day + std::chrono::days(1) : day, window.end_minute),
                     &window});
    }
    return out;
  });
}

}  // namespace

Result<Window, std::string> parse_window(std::string_view text) {
  constexpr std::string_view k_form =
      "write \"[DAYS] HH:MM-HH:MM ZONE\", e.g. \"Sat 02:00-05:00 Europe/Berlin\" or "
      "\"02:00-04:00 UTC\"";
  std::vector<std::string_view> words;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = text.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) {
      break;
    }
    const std::size_t end = std::min(text.find(' ', start), text.size());
    words.push_back(text.substr(start, end - start));
    pos = end;
  }
  if (words.size() < 2 || words.size() > 3) {
    return fail(std::string(k_form));
  }
  Window window;
  window.text = std::string(text);
  if (words.size() == 3) {
    const std::optional<unsigned> days = parse_days(words[0]);
    if (!days) {
      return fail(
          fmt::format("'{}' is not a day, a list (Sat,Sun) or a range (Mon-Fri) of "
                      "Mon Tue Wed Thu Fri Sat Sun; {}",
                      words[0], k_form));
    }
    window.days = *days;
  }
  const std::string_view span = words[words.size() - 2];
  const std::size_t dash = span.find('-');
  const std::optional<int> start =
      dash == std::string_view::npos ? std::nullopt : parse_clock(span.substr(0, dash));
  const std::optional<int> end =
      dash == std::string_view::npos ? std::nullopt : parse_clock(span.substr(dash + 1));
  if (!start || !end || *start == 24 * 60) {
    return fail(
        fmt::format("'{}' is not a time span HH:MM-HH:MM (24-hour clock); {}", span, k_form));
  }
  if (*start == *end) {
    return fail(fmt::format("'{}' opens and closes at the same time", span));
  }
  window.start_minute = *start;
  window.end_minute = *end == 24 * 60 ? 0 : *end;
  window.zone = std::string(words.back());
  if (!zone_exists(window.zone)) {
    return fail(
        fmt::format("unknown time zone '{}': write UTC or an IANA name such as "
                    "Europe/Berlin (the system's zoneinfo, Debian's tzdata package)",
                    window.zone));
  }
  return window;
}

std::optional<WindowSpan> window_at(const std::vector<Window>& windows, SysSeconds now) {
  std::optional<WindowSpan> best;
  for (const Window& window : windows) {
    for (const WindowSpan& span : spans_near(window, now)) {
      if (span.open <= now && now < span.close && (!best || span.close > best->close)) {
        best = span;
      }
    }
  }
  return best;
}

std::optional<WindowSpan> next_window(const std::vector<Window>& windows, SysSeconds now) {
  std::optional<WindowSpan> best;
  for (const Window& window : windows) {
    for (const WindowSpan& span : spans_near(window, now)) {
      if (span.open > now && (!best || span.open < best->open)) {
        best = span;
      }
    }
  }
  return best;
}

std::string format_in_zone(SysSeconds instant, const std::string& zone) {
  return in_zone(zone, [&] {
    const std::time_t seconds = instant.time_since_epoch().count();
    std::tm fields{};
    ::localtime_r(&seconds, &fields);
    return fmt::format("{} {:04}-{:02}-{:02} {:02}:{:02} {}",
                       k_days.at(static_cast<std::size_t>(fields.tm_wday)), fields.tm_year + 1900,
                       fields.tm_mon + 1, fields.tm_mday, fields.tm_hour, fields.tm_min, zone);
  });
}

std::optional<SysSeconds> parse_utc_instant(std::string_view text) {
  // YYYY-MM-DDTHH:MM[:SS]Z
  const auto digits = [&](std::size_t pos, std::size_t count) -> std::optional<int> {
    if (pos + count > text.size()) {
      return std::nullopt;
    }
    int value = 0;
    for (std::size_t idx = pos; idx < pos + count; ++idx) {
      if (text[idx] < '0' || text[idx] > '9') {
        return std::nullopt;
      }
      value = value * 10 + (text[idx] - '0');
    }
    return value;
  };
  if (text.size() != 17 && text.size() != 20) {
    return std::nullopt;
  }
  const bool seconds = text.size() == 20;
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text.back() != 'Z' || (seconds && text[16] != ':')) {
    return std::nullopt;
  }
  const auto year = digits(0, 4);
  const auto month = digits(5, 2);
  const auto day = digits(8, 2);
  const auto hour = digits(11, 2);
  const auto minute = digits(14, 2);
  const auto second = seconds ? digits(17, 2) : std::optional<int>(0);
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date(std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day)));
  if (!date.ok()) {
    return std::nullopt;
  }
  return SysSeconds(std::chrono::sys_days(date)) + std::chrono::hours(*hour) +
         std::chrono::minutes(*minute) + std::chrono::seconds(*second);
}

std::string format_utc(std::chrono::system_clock::time_point instant) {
  const auto millis = std::chrono::time_point_cast<std::chrono::milliseconds>(instant);
  const std::chrono::sys_days day = std::chrono::floor<std::chrono::days>(millis);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss<std::chrono::milliseconds> time(millis - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

SysSeconds window_clock_now() {
  const char* fake = std::getenv("RETORT_NOW");  // NOLINT(concurrency-mt-unsafe): read only
  if (fake != nullptr) {
    if (const std::optional<SysSeconds> instant = parse_utc_instant(fake)) {
      return *instant;
    }
  }
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace retort::base
