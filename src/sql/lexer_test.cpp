// Tests of the lexer through what uses it: normalisation and trimming.
#include "sql/lexer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace retort::sql {
namespace {

TEST(Normalize, DropsCommentsAndCollapsesSpace) {
  EXPECT_EQ(normalize("  SELECT  1 ,\n\t2 -- tail\n", base::Dialect::postgres), "SELECT 1,2");
  EXPECT_EQ(normalize("SELECT/* c */1", base::Dialect::postgres), "SELECT 1");
  EXPECT_EQ(normalize("a ;\n\n b ;", base::Dialect::sqlite), "a;b;");
  EXPECT_EQ(normalize("CREATE TABLE t (\n  id int\n) ;", base::Dialect::postgres),
            "CREATE TABLE t(id int);");
  EXPECT_EQ(normalize("SELECT E 'x', 'a' AS b", base::Dialect::postgres), "SELECT E 'x','a' AS b");
}

TEST(Normalize, KeepsQuotedTextByteForByte) {
  EXPECT_EQ(normalize("SELECT '  -- not a comment  '", base::Dialect::postgres),
            "SELECT '  -- not a comment  '");
  EXPECT_EQ(normalize("SELECT \"a  b\"", base::Dialect::sqlite), "SELECT \"a  b\"");
  EXPECT_EQ(normalize("SELECT [a  -- b]", base::Dialect::sqlite), "SELECT[a  -- b]");
  EXPECT_EQ(normalize("DO $f$ /* body */  x $f$", base::Dialect::postgres),
            "DO $f$ /* body */  x $f$");
  EXPECT_EQ(normalize("SELECT E'\\'  -- x'", base::Dialect::postgres), "SELECT E'\\'  -- x'");
}

TEST(Normalize, NestedBlockCommentsOnlyInPostgres) {
  EXPECT_EQ(normalize("/* a /* b */ c */ SELECT 1", base::Dialect::postgres), "SELECT 1");
  EXPECT_EQ(normalize("/* a /* b */ c */ SELECT 1", base::Dialect::sqlite), "c*/SELECT 1");
}

TEST(Normalize, DollarParametersAreNotQuotes) {
  EXPECT_EQ(normalize("SELECT $1,  $2", base::Dialect::postgres), "SELECT $1,$2");
}

TEST(StripCommentsAndSpace, FindsTheFirstAndLastToken) {
  const std::string text = "-- lead\n  SELECT 1 /* tail */\n";
  const Range range = strip_comments_and_space(text, base::Dialect::postgres, 0, text.size());
  EXPECT_EQ(text.substr(range.begin, range.end - range.begin), "SELECT 1");
  const Range empty = strip_comments_and_space("-- only\n", base::Dialect::postgres, 0, 8);
  EXPECT_EQ(empty.begin, empty.end);
}

}  // namespace
}  // namespace retort::sql
