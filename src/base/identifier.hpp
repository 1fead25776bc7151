// Identifier quoting, written once for every dialect, in base so that every layer reaches it:
// the driver, the runner's version table and --sql text, lint's advice, ops and commands (sql/,
// where libpg_query lives, is out of the driver's and the runner's reach).
#pragma once

#include "base/dialect.hpp"

#include <span>
#include <string>
#include <string_view>

namespace retort::base {

// name as SQL text in the dialect: bare when the dialect reads the bare word back as this very
// name, else in double quotes with each double quote doubled ("my ""table"""). An empty name
// comes back as "", which both databases refuse with their own words.
//  - PostgreSQL, by quote_identifier() of its src/backend/utils/adt/ruleutils.c: bare only
//    when lower-case ASCII letters, digits and underscores, not starting with a digit, and no
//    keyword other than an unreserved one.
//  - SQLite, by quoteChar() of its shell (src/shell.c.in): bare when ASCII letters, digits and
//    underscores, not starting with a digit, and no keyword in any case (what
//    sqlite3_keyword_check() tells); SQLite folds no case, so upper-case letters stay bare.
[[nodiscard]] std::string quote_identifier(std::string_view name, Dialect dialect);

// name in double quotes whatever it is, each double quote doubled: SQL's delimited identifier,
// the same in every dialect. For text that quotes a name the same way whether it needs it or
// not (the index a concurrent build makes, as resume notes name it).
[[nodiscard]] std::string delimited_identifier(std::string_view name);

// schema.name, each part quoted; the name alone when schema is empty.
[[nodiscard]] std::string quote_qualified(std::string_view schema, std::string_view name,
                                          Dialect dialect);

// text as a standard SQL string literal, in single quotes with each single quote doubled
// ('it''s'): the same in every dialect where standard_conforming_strings is on.
[[nodiscard]] std::string quote_literal(std::string_view text);

// The keywords quote_identifier() quotes, lower case and sorted: PostgreSQL's reserved,
// column-name and type-or-function-name keywords; all of SQLite's keywords. Tests hold them
// against each database's own list (pg_get_keywords(), sqlite3_keyword_name()).
[[nodiscard]] std::span<const std::string_view> quoted_keywords(Dialect dialect) noexcept;

}  // namespace retort::base
