// PG106 constraint-validates-under-lock: ADD FOREIGN KEY or CHECK without NOT VALID: every row is
// checked while writes (and for a foreign key, the referenced table's writes) wait.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_constraint_validates_under_lock{
    "PG106", "constraint-validates-under-lock", Level::error,
    "ADD FOREIGN KEY or CHECK without NOT VALID: every row is checked while writes (and for a "
    "foreign key, the referenced table's writes) wait",
    check};

}  // namespace retort::lint
