// PG406 prefer-bigint-key: a key of integer runs out at 2,147,483,647 (smallint at 32,767),
// and a sequence that reaches it stops every insert; widening the column then is ALTER COLUMN
// ... TYPE bigint, a rewrite of the table and of every table referencing it. Only keys and
// identity or serial columns are reported: an integer count or a foreign key to a small table
// is fine.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <array>

namespace retort::lint {
namespace {

struct Narrow {
  std::string_view type;
  std::string_view wide;  // the 64-bit spelling of the same kind
  std::string_view limit;
};

const Narrow* narrow(std::string_view name) {
  static constexpr std::array<Narrow, 6> k_narrow{{
      {"int4", "bigint", "2,147,483,647"},
      {"int2", "bigint", "32,767"},
      {"serial", "bigserial", "2,147,483,647"},
      {"serial4", "bigserial", "2,147,483,647"},
      {"smallserial", "bigserial", "32,767"},
      {"serial2", "bigserial", "32,767"},
  }};
  for (const Narrow& candidate : k_narrow) {
    if (candidate.type == name) {
      return &candidate;
    }
  }
  return nullptr;
}

void check(const Pass& /*pass*/, const Stmt& stmt, Report& report) {
  for (const ColumnType& column : column_types(stmt.node)) {
    const std::string name = type_name(column.type);
    const Narrow* found = narrow(name);
    const bool serial = name.find("serial") != std::string::npos;
    if (found == nullptr || is_array(column.type) ||
        !(column.primary_key || column.identity || serial)) {
      continue;
    }
    report.add(stmt, column.location,
               fmt::format("{} {}.{} is {}", column.primary_key ? "key" : "generated column",
                           column.table, column.column, type_display(column.type)),
               fmt::format("its values run out at {}, and then every insert fails; widening it "
                           "then rewrites the table and every table that references it",
                           found->limit),
               fmt::format("use the 64-bit type now, while the table is small:\n    {} {}",
                           quote_identifier(column.column), found->wide));
  }
}

}  // namespace

const Rule k_prefer_bigint_key{"PG406", "prefer-bigint-key", Level::warning,
                               "an integer or smallint key: it runs out (2,147,483,647 rows for "
                               "integer) and widening it rewrites the table",
                               check};

}  // namespace retort::lint
