// The SQL lexer behind statement trimming and normalisation.
#include "sql/lexer.hpp"

namespace retort::sql {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_ident_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80U;
}

// Characters that would merge with a neighbour of the same class if the space between them
// went: keywords, names, numbers, and the quotes around strings and names.
bool needs_separation(char c) noexcept {
  return is_ident_char(c) || c == '\'' || c == '"' || c == '`';
}

bool is_word_char(char c) noexcept { return is_ident_char(c) && c != '$'; }

bool is_tag_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80U;
}

}  // namespace

Lexer::Lexer(std::string_view text, base::Dialect dialect, std::size_t start) noexcept
    : m_text(text), m_dialect(dialect), m_pos(start) {}

bool Lexer::next(Token& token) noexcept {
  const std::size_t size = m_text.size();
  if (m_pos >= size) {
    return false;
  }
  const std::size_t begin = m_pos;
  const char c = m_text[begin];
  const char following = begin + 1 < size ? m_text[begin + 1] : '\0';
  const char before = begin > 0 ? m_text[begin - 1] : '\0';
  TokenKind kind = TokenKind::other;
  std::size_t end = begin + 1;

  if (is_space(c)) {
    kind = TokenKind::space;
    while (end < size && is_space(m_text[end])) {
      ++end;
    }
  } else if (c == '-' && following == '-') {
    kind = TokenKind::line_comment;
    const std::size_t newline = m_text.find('\n', begin);
    end = newline == std::string_view::npos ? size : newline;
  } else if (c == '/' && following == '*') {
    kind = TokenKind::block_comment;
    end = skip_block_comment(begin);
  } else if (c == '\'') {
    kind = TokenKind::quoted;
    // E'...' takes backslash escapes; the E must be a word of its own, not the end of a name.
    const bool escape_string = m_dialect == base::Dialect::postgres &&
                               (before == 'E' || before == 'e') &&
                               (begin < 2 || !is_ident_char(m_text[begin - 2]));
    end = skip_quoted(begin, '\'', escape_string);
  } else if (c == '"') {
    kind = TokenKind::quoted;
    end = skip_quoted(begin, '"', false);
  } else if (m_dialect == base::Dialect::sqlite && c == '`') {
    kind = TokenKind::quoted;
    end = skip_quoted(begin, '`', false);
  } else if (m_dialect == base::Dialect::sqlite && c == '[') {
    kind = TokenKind::quoted;
    end = skip_quoted(begin, ']', false);
  } else if (m_dialect == base::Dialect::postgres && c == '$' && !is_ident_char(before)) {
    const std::size_t dollar_end = skip_dollar_quoted(begin);
    if (dollar_end != begin) {
      kind = TokenKind::quoted;
      end = dollar_end;
    }
  } else if (is_word_char(c)) {
    // A whole word is one token: fewer tokens to walk, and a '$' inside a name ("a$b") is
    // never mistaken for the start of a dollar quote.
    while (end < size && is_ident_char(m_text[end])) {
      ++end;
    }
  }
  token = Token{kind, begin, end};
  m_pos = end;
  return true;
}

std::size_t Lexer::skip_quoted(std::size_t pos, char close, bool backslash_escapes) const noexcept {
  // A doubled closing character ('it''s') reads as two adjacent quoted tokens; nothing here
  // needs them joined.
  for (std::size_t at = pos + 1; at < m_text.size(); ++at) {
    if (backslash_escapes && m_text[at] == '\\') {
      ++at;
      continue;
    }
    if (m_text[at] == close) {
      return at + 1;
    }
  }
  return m_text.size();
}

std::size_t Lexer::skip_dollar_quoted(std::size_t pos) const noexcept {
  // $tag$ ... $tag$ with an empty or identifier-like tag; "$1" is a parameter, not a quote.
  std::size_t tag_end = pos + 1;
  if (tag_end < m_text.size() && is_tag_start(m_text[tag_end])) {
    while (tag_end < m_text.size() && is_ident_char(m_text[tag_end]) && m_text[tag_end] != '$') {
      ++tag_end;
    }
  }
  if (tag_end >= m_text.size() || m_text[tag_end] != '$') {
    return pos;
  }
  const std::string_view tag = m_text.substr(pos, tag_end - pos + 1);
  const std::size_t closing = m_text.find(tag, tag_end + 1);
  return closing == std::string_view::npos ? m_text.size() : closing + tag.size();
}

std::size_t Lexer::skip_block_comment(std::size_t pos) const noexcept {
  const bool nests = m_dialect == base::Dialect::postgres;
  int depth = 0;
  std::size_t at = pos;
  while (at + 1 < m_text.size()) {
    if (m_text[at] == '/' && m_text[at + 1] == '*' && (nests || depth == 0)) {
      ++depth;
      at += 2;
    } else if (m_text[at] == '*' && m_text[at + 1] == '/') {
      at += 2;
      if (--depth == 0) {
        return at;
      }
    } else {
      ++at;
    }
  }
  return m_text.size();
}

std::string normalize(std::string_view text, base::Dialect dialect) {
  std::string out;
  out.reserve(text.size());
  Lexer lexer(text, dialect);
  Token token;
  bool pending_space = false;
  while (lexer.next(token)) {
    switch (token.kind) {
      case TokenKind::space:
      case TokenKind::line_comment:
      case TokenKind::block_comment:
        // A comment separates tokens as a space does: "a/**/b" is "a b".
        pending_space = true;
        break;
      case TokenKind::quoted:
      case TokenKind::other: {
        const std::string_view piece = text.substr(token.begin, token.end - token.begin);
        if (pending_space && !out.empty() && needs_separation(out.back()) &&
            needs_separation(piece.front())) {
          out += ' ';
        }
        pending_space = false;
        out += piece;
        break;
      }
    }
  }
  return out;
}

Range strip_comments_and_space(std::string_view text, base::Dialect dialect, std::size_t begin,
                               std::size_t end) {
  const std::string_view window = text.substr(0, end);
  Lexer lexer(window, dialect, begin);
  Token token;
  Range range{end, end};
  bool found = false;
  while (lexer.next(token)) {
    if (token.kind == TokenKind::quoted || token.kind == TokenKind::other) {
      if (!found) {
        range.begin = token.begin;
        found = true;
      }
      range.end = token.end;
    }
  }
  if (!found) {
    return Range{end, end};
  }
  return range;
}

}  // namespace retort::sql
