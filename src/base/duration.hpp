// Durations as users write them in retort.toml and file headers: "500ms", "2s", "5m", "4h", "0".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace retort::base {

using Millis = std::chrono::milliseconds;

// Parses "<integer><unit>" with unit one of ms, s, m, h, d; a bare "0" is zero. Whitespace
// around the text is allowed. Returns nullopt for anything else ("5", "1.5s", "-2s", "2 sec").
[[nodiscard]] std::optional<Millis> parse_duration(std::string_view text);

// The shortest exact spelling: 2000ms -> "2s", 90000ms -> "90s", 300000ms -> "5m", 0 -> "0".
[[nodiscard]] std::string format_duration(Millis duration);

// A human reading of an elapsed time for progress output: "850ms", "12.4s", "3m05s", "1h02m".
[[nodiscard]] std::string format_elapsed(Millis duration);

}  // namespace retort::base
