// How sizes and durations read in every output: one formatter each, shared by the library's
// messages and the front ends, so a size is always in binary units and a time spelled one way.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace retort {

// "512 bytes", "1.5 KiB", "3.2 MiB", "1.0 GiB": binary units (1 KiB = 1024 bytes), as df -h and
// pg_size_pretty count. Thread-safe: yes; pure.
[[nodiscard]] std::string format_bytes(std::int64_t bytes);

// An elapsed time: "850ms", "12.4s", "3m05s", "1h02m". Thread-safe: yes; pure.
[[nodiscard]] std::string format_elapsed(std::int64_t milliseconds);

// "2026-12-05T03:00:00.123Z": an instant in UTC, to the millisecond. Thread-safe: yes; pure.
[[nodiscard]] std::string format_utc(std::chrono::system_clock::time_point instant);

}  // namespace retort
