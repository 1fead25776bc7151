// A small SQL lexer that knows only what it needs to: where strings, quoted names, dollar
// quotes and comments begin and end. Used to trim statements and normalise them for checksums.
#pragma once

#include "base/dialect.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace retort::sql {

enum class TokenKind {
  space,          // a run of whitespace
  line_comment,   // "-- ..." up to, not including, the newline
  block_comment,  // "/* ... */"; nested in PostgreSQL, not in SQLite; unterminated: to the end
  quoted,         // '...', E'...', "...", $tag$...$tag$, and in SQLite [...] and `...`
  other,          // a word (keyword, name, number) or one character of punctuation
};

struct Token {
  TokenKind kind = TokenKind::other;
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the last byte
};

// Walks text token by token. A quoted token that is never closed runs to the end of the text:
// callers that care (the SQLite splitter) detect it from the statement, not from here.
class Lexer {
 public:
  Lexer(std::string_view text, base::Dialect dialect, std::size_t start = 0) noexcept;

  // False at the end of the text.
  bool next(Token& token) noexcept;

 private:
  std::size_t skip_quoted(std::size_t pos, char close, bool backslash_escapes) const noexcept;
  std::size_t skip_dollar_quoted(std::size_t pos) const noexcept;
  std::size_t skip_block_comment(std::size_t pos) const noexcept;

  std::string_view m_text;
  base::Dialect m_dialect;
  std::size_t m_pos;
};

// The text with comments removed and whitespace kept only where it separates two words (or a
// word and a quote), as one space. Quoted text is kept byte for byte, so two texts normalise
// alike only if they differ in comments and layout alone: "CREATE TABLE t (\n  id int\n) ;"
// and "CREATE TABLE t(id int);" both become "CREATE TABLE t(id int);".
[[nodiscard]] std::string normalize(std::string_view text, base::Dialect dialect);

// The byte range [begin, end) of text without leading and trailing whitespace and comments;
// begin == end when nothing else is there.
struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
};
[[nodiscard]] Range strip_comments_and_space(std::string_view text, base::Dialect dialect,
                                             std::size_t begin, std::size_t end);

}  // namespace retort::sql
