// PG301 ddl-with-data-change: a schema change and a data change of a table that exists in one
// transaction: the lock the schema change takes is held while the data changes.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_ddl_with_data_change{
    "PG301", "ddl-with-data-change", Level::error,
    "a schema change and a data change of a table that exists in one transaction: the lock the "
    "schema change takes is held while the data changes",
    check};

}  // namespace retort::lint
