// PG401 prefer-jsonb: json keeps the text as written (whitespace, duplicate keys, key order)
// and has no equality operator, so it cannot be indexed, compared, used in DISTINCT or GROUP
// BY, and every query reparses it. jsonb is what applications mean by a JSON column.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& stmt, Report& report) {
  for (const ColumnType& column : column_types(stmt.node)) {
    if (type_name(column.type) != "json") {
      continue;
    }
    report.add(stmt, column.location,
               fmt::format("column {}.{} is json, not jsonb", column.table, column.column),
               "json stores the text as written and has no equality operator: no GIN index, no "
               "= or DISTINCT, and each query parses the document again; changing the type "
               "later rewrites the table under an ACCESS EXCLUSIVE lock",
               fmt::format("use jsonb:\n    {} jsonb", quote_identifier(column.column)));
  }
}

}  // namespace

const Rule k_prefer_jsonb{"PG401", "prefer-jsonb", Level::warning,
                          "json instead of jsonb: no equality, no indexes, slower to query", check};

}  // namespace retort::lint
