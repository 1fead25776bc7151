// The statement splitters. The only file besides classify.cpp that talks to libpg_query.
#include "sql/splitter.hpp"

#include "base/text.hpp"
#include "sql/sha256.hpp"

#include <pg_query.h>
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <string>

namespace retort::sql {
namespace {

// Adds the span of [begin, end) without its surrounding comments and space, unless that
// leaves nothing (";;" or a section of comments only).
void add_trimmed(std::vector<StatementSpan>& spans, std::string_view text, base::Dialect dialect,
                 std::size_t begin, std::size_t end) {
  const Range range = strip_comments_and_space(text, dialect, begin, end);
  if (range.end > range.begin) {
    spans.push_back(StatementSpan{range.begin, range.end - range.begin});
  }
}

struct SplitResultFree {
  void operator()(PgQuerySplitResult* result) const noexcept {
    pg_query_free_split_result(*result);
    delete result;
  }
};

}  // namespace

SplitResult split_postgres(std::string_view text) {
  const std::string input(text);  // libpg_query wants a terminating NUL
  const std::unique_ptr<PgQuerySplitResult, SplitResultFree> result(
      new PgQuerySplitResult(pg_query_split_with_parser(input.c_str())));
  if (result->error != nullptr) {
    // cursorpos counts characters from 1, as PostgreSQL's error position does; 0 is unknown.
    const auto cursor = static_cast<std::size_t>(std::max(result->error->cursorpos, 0));
    return base::fail(
        SyntaxError{base::byte_offset_of_char(text, cursor),
                    result->error->message != nullptr ? result->error->message : "syntax error"});
  }
  std::vector<StatementSpan> spans;
  spans.reserve(static_cast<std::size_t>(result->n_stmts));
  for (int stmt_idx = 0; stmt_idx < result->n_stmts; ++stmt_idx) {
    const PgQuerySplitStmt& stmt = *result->stmts[stmt_idx];
    // stmt_location is where the previous statement's ';' left off: it includes leading
    // comments and whitespace, which the trim below skips.
    const auto begin = static_cast<std::size_t>(stmt.stmt_location);
    const std::size_t end =
        stmt.stmt_len == 0 ? text.size() : begin + static_cast<std::size_t>(stmt.stmt_len);
    add_trimmed(spans, text, base::Dialect::postgres, begin, std::min(end, text.size()));
  }
  return spans;
}

SplitResult split_sqlite(std::string_view text) {
  std::vector<StatementSpan> spans;
  std::size_t statement_begin = 0;
  std::string candidate;
  Lexer lexer(text, base::Dialect::sqlite);
  Token token;
  while (lexer.next(token)) {
    if (token.kind != TokenKind::other || text[token.begin] != ';') {
      continue;
    }
    candidate.assign(text.substr(statement_begin, token.end - statement_begin));
    if (sqlite3_complete(candidate.c_str()) == 0) {
      continue;  // a ';' inside a trigger body
    }
    add_trimmed(spans, text, base::Dialect::sqlite, statement_begin, token.begin);
    statement_begin = token.end;
  }
  const Range rest =
      strip_comments_and_space(text, base::Dialect::sqlite, statement_begin, text.size());
  if (rest.end > rest.begin) {
    candidate.assign(text.substr(rest.begin, rest.end - rest.begin));
    candidate += ';';
    if (sqlite3_complete(candidate.c_str()) == 0) {
      return base::fail(
          SyntaxError{rest.begin,
                      "statement never ends: a string, quoted name or comment is not closed, or a "
                      "CREATE TRIGGER has no END"});
    }
    spans.push_back(StatementSpan{rest.begin, rest.end - rest.begin});
  }
  return spans;
}

SplitResult split(std::string_view text, base::Dialect dialect) {
  return dialect == base::Dialect::postgres ? split_postgres(text) : split_sqlite(text);
}

std::optional<SyntaxError> sqlite_syntax_error(std::string_view statement) {
  // One empty database per thread, opened on first use and kept: statements() checks every
  // statement of a section, and opening is the expensive part.
  struct CloseDatabase {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
  };
  thread_local const std::unique_ptr<sqlite3, CloseDatabase> t_db = [] {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) !=
        SQLITE_OK) {
      sqlite3_close(db);
      db = nullptr;
    }
    return std::unique_ptr<sqlite3, CloseDatabase>(db);
  }();
  if (!t_db) {
    return std::nullopt;  // no memory for a memory database: the real run will say more
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(t_db.get(), statement.data(),
                                    static_cast<int>(statement.size()), &stmt, &tail);
  std::optional<SyntaxError> error;
  if (rc != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(t_db.get());
    // Name resolution fails here for every table, since the database is empty; only the
    // grammar's own complaints are syntax errors.
    if (message.find("syntax error") != std::string::npos ||
        message.find("unrecognized token") != std::string::npos ||
        message.find("incomplete input") != std::string::npos) {
      const int offset = sqlite3_error_offset(t_db.get());
      error = SyntaxError{offset >= 0 ? static_cast<std::size_t>(offset) : 0, message};
    }
  }
  sqlite3_finalize(stmt);
  return error;
}

std::string fingerprint(std::string_view statement, base::Dialect dialect) {
  return sha256_hex(normalize(statement, dialect));
}

}  // namespace retort::sql
