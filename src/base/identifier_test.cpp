// quote_identifier() by PostgreSQL's rule and by SQLite's.
#include "base/identifier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace retort::base {
namespace {

std::string pg(std::string_view name) { return quote_identifier(name, Dialect::postgres); }
std::string lite(std::string_view name) { return quote_identifier(name, Dialect::sqlite); }

TEST(QuoteIdentifier, LeavesAPlainLowerCaseNameBare) {
  EXPECT_EQ(pg("accounts"), "accounts");
  EXPECT_EQ(pg("_private_2"), "_private_2");
  EXPECT_EQ(lite("accounts"), "accounts");
  EXPECT_EQ(lite("_private_2"), "_private_2");
}

TEST(QuoteIdentifier, QuotesReservedKeywords) {
  for (const std::string_view word : {"select", "user", "order", "table", "from"}) {
    EXPECT_EQ(pg(word), "\"" + std::string(word) + "\"") << word;
  }
  for (const std::string_view word : {"select", "order", "table", "from"}) {
    EXPECT_EQ(lite(word), "\"" + std::string(word) + "\"") << word;
  }
}

// PostgreSQL takes an unreserved keyword as a bare name; ruleutils.c leaves it bare.
TEST(QuoteIdentifier, LeavesPostgresUnreservedKeywordsBare) {
  for (const std::string_view word : {"name", "version", "action", "key", "data", "type"}) {
    EXPECT_EQ(pg(word), word) << word;
  }
}

// Column-name keywords (int, position, time) and type-or-function-name keywords (left, join)
// are not reserved, but a bare one does not read as a name everywhere: PostgreSQL quotes them.
TEST(QuoteIdentifier, QuotesPostgresColumnNameAndTypeFunctionNameKeywords) {
  for (const std::string_view word : {"int", "position", "time", "values", "left", "join"}) {
    EXPECT_EQ(pg(word), "\"" + std::string(word) + "\"") << word;
  }
}

// SQLite's keywords include words PostgreSQL leaves unreserved, and the other way round.
TEST(QuoteIdentifier, QuotesSqliteKeywordsInAnyCase) {
  EXPECT_EQ(lite("action"), "\"action\"");
  EXPECT_EQ(lite("KEY"), "\"KEY\"");
  EXPECT_EQ(lite("Plan"), "\"Plan\"");
  EXPECT_EQ(lite("user"), "user");
  EXPECT_EQ(lite("position"), "position");
}

// PostgreSQL folds a bare name to lower case, so an upper-case letter needs quotes there;
// SQLite folds none and matches names in any case, so there it does not.
TEST(QuoteIdentifier, UpperCaseIsQuotedInPostgresOnly) {
  EXPECT_EQ(pg("Accounts"), "\"Accounts\"");
  EXPECT_EQ(pg("SELECT"), "\"SELECT\"");
  EXPECT_EQ(lite("Accounts"), "Accounts");
  EXPECT_EQ(lite("SELECT"), "\"SELECT\"");
}

TEST(QuoteIdentifier, QuotesANameStartingWithADigit) {
  EXPECT_EQ(pg("2fa_codes"), "\"2fa_codes\"");
  EXPECT_EQ(lite("2fa_codes"), "\"2fa_codes\"");
  EXPECT_EQ(pg("codes_2fa"), "codes_2fa");
}

TEST(QuoteIdentifier, DoublesEmbeddedQuotes) {
  EXPECT_EQ(pg("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(lite("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(pg("\""), "\"\"\"\"");
}

TEST(QuoteIdentifier, QuotesSpacesPunctuationAndNonAsciiLetters) {
  EXPECT_EQ(pg("my table"), "\"my table\"");
  EXPECT_EQ(pg("a.b"), "\"a.b\"");
  EXPECT_EQ(pg("größe"), "\"größe\"");
  EXPECT_EQ(lite("a-b"), "\"a-b\"");
  EXPECT_EQ(lite("größe"), "\"größe\"");
}

TEST(QuoteIdentifier, AnEmptyNameIsAnEmptyQuotedName) {
  EXPECT_EQ(pg(""), "\"\"");
  EXPECT_EQ(lite(""), "\"\"");
}

TEST(DelimitedIdentifier, QuotesEvenAPlainNameAndDoublesQuotes) {
  EXPECT_EQ(delimited_identifier("accounts_email_idx"), "\"accounts_email_idx\"");
  EXPECT_EQ(delimited_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(delimited_identifier(""), "\"\"");
}

TEST(QuoteQualified, QuotesEachPartAndLeavesOutAnEmptySchema) {
  EXPECT_EQ(quote_qualified("", "alembic_version", Dialect::postgres), "alembic_version");
  EXPECT_EQ(quote_qualified("ops", "user", Dialect::postgres), "ops.\"user\"");
  EXPECT_EQ(quote_qualified("My Schema", "t", Dialect::postgres), "\"My Schema\".t");
}

TEST(QuotedKeywords, AreSortedLowerCaseAndQuotedEachByItsDialect) {
  for (const Dialect dialect : {Dialect::postgres, Dialect::sqlite}) {
    const auto words = quoted_keywords(dialect);
    EXPECT_GT(words.size(), 100U);
    EXPECT_TRUE(std::is_sorted(words.begin(), words.end()));
    for (const std::string_view word : words) {
      EXPECT_TRUE(std::all_of(word.begin(), word.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '_';
      })) << word;
      EXPECT_EQ(quote_identifier(word, dialect), "\"" + std::string(word) + "\"") << word;
    }
  }
}

}  // namespace
}  // namespace retort::base
