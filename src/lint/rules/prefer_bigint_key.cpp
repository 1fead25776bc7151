// PG406 prefer-bigint-key: an integer or smallint key: it runs out (2,147,483,647 rows for integer)
// and widening it rewrites the table.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_prefer_bigint_key{"PG406", "prefer-bigint-key", Level::warning,
                               "an integer or smallint key: it runs out (2,147,483,647 rows for "
                               "integer) and widening it rewrites the table",
                               check};

}  // namespace retort::lint
