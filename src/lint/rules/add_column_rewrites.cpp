// PG103 add-column-rewrites: ADD COLUMN whose default is volatile (or any default before PostgreSQL
// 11), GENERATED STORED, or serial: the table is rewritten under an exclusive lock.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_add_column_rewrites{
    "PG103", "add-column-rewrites", Level::error,
    "ADD COLUMN whose default is volatile (or any default before PostgreSQL 11), GENERATED STORED, "
    "or serial: the table is rewritten under an exclusive lock",
    check};

}  // namespace retort::lint
