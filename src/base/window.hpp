// Maintenance windows: when, by the wall clock of a time zone, a step may start. Parses
// "[DAYS] HH:MM-HH:MM ZONE" and finds the window around an instant and the next one to open.
#pragma once

#include "base/result.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::base {

using SysSeconds = std::chrono::sys_seconds;

// One allowed window, as [retort.windows] allowed writes it.
struct Window {
  std::string text;          // as written
  unsigned days = 0x7fU;     // bit d: the window opens on weekday d (0 = Sunday); all by default
  int start_minute = 0;      // minutes after local midnight
  int end_minute = 0;        // at or before start_minute: the next day
  std::string zone = "UTC";  // "UTC" or an IANA name from the system's zoneinfo
};

// One occurrence of a window: it opens at `open` and closes at `close` (UTC instants).
struct WindowSpan {
  SysSeconds open;
  SysSeconds close;
  const Window* window = nullptr;
};

// Parses "Sat 02:00-05:00 Europe/Berlin", "Mon-Fri 22:00-02:00 UTC", "Sat,Sun 01:00-06:00
// America/New_York", "02:00-04:00 UTC". A failure says what is wrong, for the caller to place
// (the file and key). A zone other than UTC must exist under the system's zoneinfo (TZDIR, else
// /usr/share/zoneinfo; Debian's tzdata). Thread-safe: yes.
[[nodiscard]] Result<Window, std::string> parse_window(std::string_view text);

// The occurrence of any of `windows` that holds `now` (the one closing last), or nothing.
// Thread-safe: yes (the zone conversions take a process-wide lock around TZ).
[[nodiscard]] std::optional<WindowSpan> window_at(const std::vector<Window>& windows,
                                                  SysSeconds now);

// The first occurrence of any of `windows` that opens after `now`, within the next eight days.
[[nodiscard]] std::optional<WindowSpan> next_window(const std::vector<Window>& windows,
                                                    SysSeconds now);

// "Sat 2026-12-12 02:00 Europe/Berlin": an instant on the wall clock of `zone`.
[[nodiscard]] std::string format_in_zone(SysSeconds instant, const std::string& zone);

// "2026-12-05T03:00:00.123Z": an instant in UTC, to the millisecond (hooks' events, JSON logs).
// Thread-safe: yes; pure.
[[nodiscard]] std::string format_utc(std::chrono::system_clock::time_point instant);

// Now, or the instant in RETORT_NOW ("2026-12-05T03:00:00Z"), which exists for tests of
// maintenance windows only. A malformed RETORT_NOW is ignored.
[[nodiscard]] SysSeconds window_clock_now();

// Parses "2026-12-05T03:00:00Z" (UTC, seconds optional). Thread-safe: yes; pure.
[[nodiscard]] std::optional<SysSeconds> parse_utc_instant(std::string_view text);

}  // namespace retort::base
