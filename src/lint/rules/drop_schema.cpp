// PG206 drop-schema: DROP SCHEMA: every table in it is gone with its data.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_drop_schema{"PG206", "drop-schema", Level::error,
                         "DROP SCHEMA: every table in it is gone with its data", check};

}  // namespace retort::lint
