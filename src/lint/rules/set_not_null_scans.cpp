// PG105 set-not-null-scans: SET NOT NULL without a validated CHECK (col IS NOT NULL) first: the
// whole table is scanned under an exclusive lock.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_set_not_null_scans{"PG105", "set-not-null-scans", Level::error,
                                "SET NOT NULL without a validated CHECK (col IS NOT NULL) first: "
                                "the whole table is scanned under an exclusive lock",
                                check};

}  // namespace retort::lint
