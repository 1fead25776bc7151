// PG207 drop-database: DROP DATABASE: everything in it is gone.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_drop_database{"PG207", "drop-database", Level::error,
                           "DROP DATABASE: everything in it is gone", check};

}  // namespace retort::lint
