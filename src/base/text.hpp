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

// Splits on every separator: "a,,b" -> {"a", "", "b"}; an empty part stays, for the caller to
// refuse.
[[nodiscard]] std::vector<std::string> split(std::string_view text, char separator);

// Joins with a separator.
[[nodiscard]] std::string join(std::span<const std::string> parts, std::string_view separator);

// The 1-based line number of a byte offset in text (offset == size is the last line).
[[nodiscard]] int line_of_offset(std::string_view text, std::size_t byte_offset);

// The byte offset of the n-th (1-based) UTF-8 character of text; text.size() if past the end.
// PostgreSQL reports error positions in characters, libpg_query offsets in bytes.
[[nodiscard]] std::size_t byte_offset_of_char(std::string_view text, std::size_t char_index);

// The byte offset of the first byte that is not part of well-formed UTF-8 (a stray
// continuation byte, a cut or overlong sequence, a surrogate, a code point past U+10FFFF);
// nullopt when all of text is UTF-8. PostgreSQL refuses such text (SQLSTATE 22021) and JSON
// cannot carry it.
[[nodiscard]] std::optional<std::size_t> invalid_utf8_at(std::string_view text) noexcept;

// Text for a message: NUL and the other control characters but tab, and every byte that is not
// part of well-formed UTF-8, as \xNN, so that a message shows them rather than being cut off
// at a NUL, and stays valid UTF-8.
[[nodiscard]] std::string escape_bytes(std::string_view text);

// "8192 bytes", "1.2 MiB", "3.4 GiB": binary units, as df -h and pg_size_pretty count.
[[nodiscard]] std::string format_bytes(std::int64_t bytes);

// Levenshtein distance, for "did you mean" hints.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to word, if it is close enough to be a plausible typo.
[[nodiscard]] std::optional<std::string> nearest(std::string_view word,
                                                 std::span<const std::string> candidates);

}  // namespace retort::base
