// PG104 add-required-column: ADD COLUMN ... NOT NULL without a default on a table that exists:
// fails on the first row, or breaks the running application's inserts.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_add_required_column{
    "PG104", "add-required-column", Level::error,
    "ADD COLUMN ... NOT NULL without a default on a table that exists: fails on the first row, or "
    "breaks the running application's inserts",
    check};

}  // namespace retort::lint
