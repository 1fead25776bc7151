// Identifier quoting by each dialect's own rule, with each dialect's keyword list.
#include "base/identifier.hpp"

#include <algorithm>
#include <array>

namespace retort::base {

namespace {

// PostgreSQL 15's src/include/parser/kwlist.h, every keyword whose category is not
// UNRESERVED_KEYWORD (COL_NAME_KEYWORD, TYPE_FUNC_NAME_KEYWORD, RESERVED_KEYWORD): the words
// ruleutils.c's quote_identifier() quotes. The same list libpg_query's scanner and the server's
// pg_get_keywords() give, which sql/keywords_test.cpp and the PostgreSQL conformance test check.
constexpr std::array<std::string_view, 151> k_postgres_keywords = {
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
};

// SQLite 3.40's keywords (https://sqlite.org/lang_keywords.html), lower case: what
// sqlite3_keyword_name() lists, which the SQLite conformance test checks.
constexpr std::array<std::string_view, 147> k_sqlite_keywords = {
    "abort",
    "action",
    "add",
    "after",
    "all",
    "alter",
    "always",
    "analyze",
    "and",
    "as",
    "asc",
    "attach",
    "autoincrement",
    "before",
    "begin",
    "between",
    "by",
    "cascade",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "commit",
    "conflict",
    "constraint",
    "create",
    "cross",
    "current",
    "current_date",
    "current_time",
    "current_timestamp",
    "database",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "detach",
    "distinct",
    "do",
    "drop",
    "each",
    "else",
    "end",
    "escape",
    "except",
    "exclude",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "filter",
    "first",
    "following",
    "for",
    "foreign",
    "from",
    "full",
    "generated",
    "glob",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "immediate",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "instead",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "last",
    "left",
    "like",
    "limit",
    "match",
    "materialized",
    "natural",
    "no",
    "not",
    "nothing",
    "notnull",
    "null",
    "nulls",
    "of",
    "offset",
    "on",
    "or",
    "order",
    "others",
    "outer",
    "over",
    "partition",
    "plan",
    "pragma",
    "preceding",
    "primary",
    "query",
    "raise",
    "range",
    "recursive",
    "references",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "returning",
    "right",
    "rollback",
    "row",
    "rows",
    "savepoint",
    "select",
    "set",
    "table",
    "temp",
    "temporary",
    "then",
    "ties",
    "to",
    "transaction",
    "trigger",
    "unbounded",
    "union",
    "unique",
    "update",
    "using",
    "vacuum",
    "values",
    "view",
    "virtual",
    "when",
    "where",
    "window",
    "with",
    "without",
};

static_assert(std::is_sorted(k_postgres_keywords.begin(), k_postgres_keywords.end()));
static_assert(std::is_sorted(k_sqlite_keywords.begin(), k_sqlite_keywords.end()));

constexpr bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// ASCII only on purpose: both databases quote every other byte, whatever the locale says.
bool plain_postgres(std::string_view name) {
  if (name.empty() || is_digit(name.front())) {
    return false;
  }
  const bool simple = std::all_of(name.begin(), name.end(),
                                  [](char c) { return is_lower(c) || is_digit(c) || c == '_'; });
  return simple &&
         !std::binary_search(k_postgres_keywords.begin(), k_postgres_keywords.end(), name);
}

bool plain_sqlite(std::string_view name) {
  if (name.empty() || is_digit(name.front())) {
    return false;
  }
  std::string lower;
  lower.reserve(name.size());
  for (const char c : name) {
    if (!is_lower(c) && !is_upper(c) && !is_digit(c) && c != '_') {
      return false;
    }
    lower += is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return !std::binary_search(k_sqlite_keywords.begin(), k_sqlite_keywords.end(), lower);
}

}  // namespace

std::string quote_identifier(std::string_view name, Dialect dialect) {
  const bool plain = dialect == Dialect::postgres ? plain_postgres(name) : plain_sqlite(name);
  return plain ? std::string(name) : delimited_identifier(name);
}

std::string delimited_identifier(std::string_view name) {
  std::string out = "\"";
  out.reserve(name.size() + 2);
  for (const char c : name) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  out += '"';
  return out;
}

std::string quote_qualified(std::string_view schema, std::string_view name, Dialect dialect) {
  if (schema.empty()) {
    return quote_identifier(name, dialect);
  }
  return quote_identifier(schema, dialect) + "." + quote_identifier(name, dialect);
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

std::span<const std::string_view> quoted_keywords(Dialect dialect) noexcept {
  if (dialect == Dialect::postgres) {
    return k_postgres_keywords;
  }
  return k_sqlite_keywords;
}

}  // namespace retort::base
