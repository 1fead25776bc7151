// PG405 prefer-timestamptz: timestamp without time zone stores the clock reading as given, so
// the same instant is stored differently by clients in different time zones, and comparisons
// with now() depend on the session's TimeZone. timestamptz stores an instant.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& stmt, Report& report) {
  for (const ColumnType& column : column_types(stmt.node)) {
    if (type_name(column.type) != "timestamp") {
      continue;
    }
    report.add(
        stmt, column.location,
        fmt::format("column {}.{} is timestamp without time zone", column.table, column.column),
        "the value is a clock reading without its time zone: clients in other zones "
        "store the same instant differently, and comparisons with now() depend on each "
        "session's TimeZone setting",
        fmt::format("use timestamptz:\n    {} timestamptz{}", quote_identifier(column.column),
                    is_array(column.type) ? "[]" : ""));
  }
}

}  // namespace

const Rule k_prefer_timestamptz{
    "PG405", "prefer-timestamptz", Level::warning,
    "timestamp without time zone: the values depend on each client's time zone setting", check};

}  // namespace retort::lint
