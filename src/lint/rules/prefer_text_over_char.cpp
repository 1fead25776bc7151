// PG403 prefer-text-over-char: char(n) pads every value with spaces to n characters, compares
// ignoring them, and is stored no smaller or faster than text; its limit changes like
// varchar's (PG402). The one-byte internal type "char" is another type and not reported.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& stmt, Report& report) {
  for (const ColumnType& column : column_types(stmt.node)) {
    if (type_name(column.type) != "bpchar") {
      continue;
    }
    report.add(
        stmt, column.location,
        fmt::format("column {}.{} is {}", column.table, column.column, type_display(column.type)),
        "char(n) pads values with spaces to its length and is never faster than text; "
        "changing its length later takes an ACCESS EXCLUSIVE lock on the table",
        fmt::format("use text, with a CHECK if the length matters:\n    {} text",
                    quote_identifier(column.column)));
  }
}

}  // namespace

const Rule k_prefer_text_over_char{"PG403", "prefer-text-over-char", Level::warning,
                                   "char(n): pads with spaces and is never faster than text",
                                   check};

}  // namespace retort::lint
