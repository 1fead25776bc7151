// Splits SQL text into statements with byte positions: PostgreSQL with libpg_query's parser,
// SQLite with sqlite3_complete(). Also the statement fingerprint the ledger compares.
#pragma once

#include "base/result.hpp"
#include "sql/lexer.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::sql {

// Where one statement is in the text that was split: from its first token (leading comments
// and whitespace skipped) to the end of its last token (the ';' and trailing comments left out).
struct StatementSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// A statement the parser rejects. offset is a byte offset into the text that was split.
struct SyntaxError {
  std::size_t offset = 0;
  std::string message;  // the parser's words, e.g. `syntax error at or near "FROM"`
};

using SplitResult = base::Result<std::vector<StatementSpan>, SyntaxError>;

// PostgreSQL: the server's own grammar decides (dollar quotes, DO blocks, function bodies,
// CREATE RULE with several actions). Any syntax error in the text fails the whole split.
// Thread-safe; cost is a full parse of text.
[[nodiscard]] SplitResult split_postgres(std::string_view text);

// SQLite: a statement ends at a ';' once sqlite3_complete() accepts the text so far, which
// keeps CREATE TRIGGER ... BEGIN ...; END together. The last statement needs no ';'. Fails only
// on a last statement that cannot be completed (an open string, quoted name, comment or
// trigger body); other syntax errors are found by sqlite_syntax_error().
[[nodiscard]] SplitResult split_sqlite(std::string_view text);

[[nodiscard]] SplitResult split(std::string_view text, base::Dialect dialect);

// The syntax error SQLite's parser finds in one statement, if any. Prepares it against an
// empty in-memory database, so unknown tables and columns are not errors, only grammar is.
[[nodiscard]] std::optional<SyntaxError> sqlite_syntax_error(std::string_view statement);

// SHA-256 hex of the normalised statement (sql::normalize): comments and layout do not change
// it, any other edit does. Not libpg_query's fingerprint, which ignores constants, so it could
// not tell `SET x = 1` from `SET x = 2` in an applied migration.
[[nodiscard]] std::string fingerprint(std::string_view statement, base::Dialect dialect);

}  // namespace retort::sql
