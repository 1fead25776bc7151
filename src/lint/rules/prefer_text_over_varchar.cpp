// PG402 prefer-text-over-varchar: a varchar(n) limit is part of the column's type, so raising
// it is ALTER COLUMN ... TYPE: an ACCESS EXCLUSIVE lock (brief since PostgreSQL 9.2, a full
// rewrite before), queued behind every open transaction on the table. text with a CHECK on
// its length changes with NOT VALID and VALIDATE, which let reads and writes go on. varchar
// without a limit is text and not reported.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  for (const ColumnType& column : column_types(stmt.node)) {
    const std::vector<int> limit = type_modifiers(column.type);
    if (type_name(column.type) != "varchar" || limit.empty()) {
      continue;
    }
    const std::string name = quote_identifier(column.column);
    report.add(
        stmt, column.location,
        fmt::format("column {}.{} is varchar({})", column.table, column.column, limit[0]),
        pass.server_version() < 10
            ? "raising the limit later is ALTER COLUMN ... TYPE: an ACCESS EXCLUSIVE lock on "
              "the table (a full rewrite before PostgreSQL 9.2)"
            : "raising the limit later is ALTER COLUMN ... TYPE, which takes an ACCESS "
              "EXCLUSIVE lock on the table: every query waits while it waits for its lock",
        fmt::format("use text with a CHECK, whose limit changes without blocking (ADD the new "
                    "CHECK NOT VALID, VALIDATE it, DROP the old one):\n"
                    "    {} text CONSTRAINT {}_{}_length CHECK (length({}) <= {})",
                    name, unqualified(column.table), column.column, name, limit[0]));
  }
}

}  // namespace

const Rule k_prefer_text_over_varchar{
    "PG402", "prefer-text-over-varchar", Level::warning,
    "varchar(n): raising the limit later takes an exclusive lock (and rewrites before "
    "PostgreSQL 9.2); text with a CHECK on length() changes without one",
    check};

}  // namespace retort::lint
