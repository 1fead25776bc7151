// base::quote_identifier's PostgreSQL keyword list held against libpg_query's scanner, which
// carries PostgreSQL's own kwlist.h: the list sql/ can check without a server.
#include "base/identifier.hpp"

#include <gtest/gtest.h>
#include <pg_query.h>

#include <cstdint>
#include <pg_query/pg_query.pb-c.h>
#include <string>
#include <string_view>

namespace retort::sql {
namespace {

// The keyword category PostgreSQL's scanner gives a lone word; NO_KEYWORD for a plain name.
PgQuery__KeywordKind keyword_kind(std::string_view word) {
  const std::string text(word);
  const PgQueryScanResult scanned = pg_query_scan(text.c_str());
  PgQuery__KeywordKind kind = PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
  if (scanned.error == nullptr) {
    PgQuery__ScanResult* result = pg_query__scan_result__unpack(
        nullptr, scanned.pbuf.len, reinterpret_cast<const uint8_t*>(scanned.pbuf.data));
    if (result != nullptr && result->n_tokens == 1) {
      kind = result->tokens[0]->keyword_kind;
    }
    pg_query__scan_result__free_unpacked(result, nullptr);
  }
  pg_query_free_scan_result(scanned);
  return kind;
}

TEST(PostgresKeywords, EveryQuotedKeywordIsOneTheScannerDoesNotTakeAsAName) {
  for (const std::string_view word : base::quoted_keywords(base::Dialect::postgres)) {
    const PgQuery__KeywordKind kind = keyword_kind(word);
    EXPECT_TRUE(kind == PG_QUERY__KEYWORD_KIND__COL_NAME_KEYWORD ||
                kind == PG_QUERY__KEYWORD_KIND__TYPE_FUNC_NAME_KEYWORD ||
                kind == PG_QUERY__KEYWORD_KIND__RESERVED_KEYWORD)
        << word << " is of kind " << static_cast<int>(kind);
  }
}

TEST(PostgresKeywords, UnreservedKeywordsAndNamesStayBare) {
  for (const std::string_view word : {"name", "version", "action", "key", "data", "comment"}) {
    EXPECT_EQ(keyword_kind(word), PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD) << word;
    EXPECT_EQ(base::quote_identifier(word, base::Dialect::postgres), word);
  }
  EXPECT_EQ(keyword_kind("accounts"), PG_QUERY__KEYWORD_KIND__NO_KEYWORD);
}

}  // namespace
}  // namespace retort::sql
