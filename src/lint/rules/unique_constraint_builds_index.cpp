// PG107 unique-constraint-builds-index: ADD UNIQUE, PRIMARY KEY or EXCLUDE without USING INDEX: the
// index is built under an exclusive lock.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_unique_constraint_builds_index{"PG107", "unique-constraint-builds-index", Level::error,
                                            "ADD UNIQUE, PRIMARY KEY or EXCLUDE without USING "
                                            "INDEX: the index is built under an exclusive lock",
                                            check};

}  // namespace retort::lint
