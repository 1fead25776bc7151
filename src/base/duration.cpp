// Parsing and printing of durations.
#include "base/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

namespace retort::base {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Longest suffix first, so "ms" is not read as "m" followed by junk.
constexpr std::array<Unit, 5> k_units{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 60 * 60 * 1000},
    {"d", 24 * 60 * 60 * 1000},
}};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
  text = trim(text);
  if (text == "0") {
    return Millis{0};
  }
  for (const Unit& unit : k_units) {
    if (text.size() <= unit.suffix.size() || !text.ends_with(unit.suffix)) {
      continue;
    }
    std::string_view digits = text.substr(0, text.size() - unit.suffix.size());
    std::int64_t count = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc{} || end != digits.data() + digits.size() || count < 0) {
      continue;
    }
    if (count > INT64_MAX / unit.millis) {
      return std::nullopt;
    }
    return Millis{count * unit.millis};
  }
  return std::nullopt;
}

std::string format_duration(Millis duration) {
  const std::int64_t ms = duration.count();
  if (ms == 0) {
    return "0";
  }
  for (auto it = k_units.rbegin(); it != k_units.rend(); ++it) {
    if (ms % it->millis == 0) {
      return fmt::format("{}{}", ms / it->millis, it->suffix);
    }
  }
  return fmt::format("{}ms", ms);
}

std::string format_elapsed(Millis duration) {
  const std::int64_t ms = duration.count();
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  // Below 59.95s one decimal still reads under a minute; from there on "60.0s" would show.
  if (ms < 59'950) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  }
  const std::int64_t seconds = std::max<std::int64_t>(ms / 1000, 60);
  if (seconds < 3600) {
    return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  }
  return fmt::format("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60);
}

}  // namespace retort::base
