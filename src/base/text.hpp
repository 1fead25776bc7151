// Small text helpers: trimming, splitting, line numbers of byte offsets, nearest-word hints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::base {

[[nodiscard]] std::string_view trim(std::string_view text);

// Splits on runs of spaces and tabs; no empty pieces.
[[nodiscard]] std::vector<std::string> split_words(std::string_view text);

// Joins with a separator.
[[nodiscard]] std::string join(std::span<const std::string> parts, std::string_view separator);

// The 1-based line number of a byte offset in text (offset == size is the last line).
[[nodiscard]] int line_of_offset(std::string_view text, std::size_t byte_offset);

// The byte offset of the n-th (1-based) UTF-8 character of text; text.size() if past the end.
// PostgreSQL reports error positions in characters, libpg_query offsets in bytes.
[[nodiscard]] std::size_t byte_offset_of_char(std::string_view text, std::size_t char_index);

// "8192 bytes", "1.2 MiB", "3.4 GiB": binary units, as df -h and pg_size_pretty count.
[[nodiscard]] std::string format_bytes(std::int64_t bytes);

// Levenshtein distance, for "did you mean" hints.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to word, if it is close enough to be a plausible typo.
[[nodiscard]] std::optional<std::string> nearest(std::string_view word,
                                                 std::span<const std::string> candidates);

}  // namespace retort::base
