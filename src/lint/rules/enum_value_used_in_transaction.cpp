// PG304 enum-value-used-in-transaction: ALTER TYPE ... ADD VALUE and a use of the new value in one
// transaction: PostgreSQL refuses the use until the value is committed.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_enum_value_used_in_transaction{
    "PG304", "enum-value-used-in-transaction", Level::error,
    "ALTER TYPE ... ADD VALUE and a use of the new value in one transaction: PostgreSQL refuses "
    "the use until the value is committed",
    check};

}  // namespace retort::lint
