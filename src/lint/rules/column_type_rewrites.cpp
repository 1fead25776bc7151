// PG108 column-type-rewrites: ALTER COLUMN ... TYPE that rewrites the table and its indexes under
// an exclusive lock.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_column_type_rewrites{
    "PG108", "column-type-rewrites", Level::error,
    "ALTER COLUMN ... TYPE that rewrites the table and its indexes under an exclusive lock", check};

}  // namespace retort::lint
