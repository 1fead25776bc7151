// PG201 rename-table: RENAME of a table (or view): the running application's queries fail until it
// is redeployed.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_rename_table{
    "PG201", "rename-table", Level::error,
    "RENAME of a table (or view): the running application's queries fail until it is redeployed",
    check};

}  // namespace retort::lint
