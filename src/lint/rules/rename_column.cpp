// PG202 rename-column: RENAME of a column: the running application's queries fail until it is
// redeployed.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_rename_column{
    "PG202", "rename-column", Level::error,
    "RENAME of a column: the running application's queries fail until it is redeployed", check};

}  // namespace retort::lint
