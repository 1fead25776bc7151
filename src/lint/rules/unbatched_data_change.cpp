// PG302 unbatched-data-change: UPDATE or DELETE of a table that exists, in one statement: every row
// it touches stays locked, and replicas lag, until it ends.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_unbatched_data_change{
    "PG302", "unbatched-data-change", Level::warning,
    "UPDATE or DELETE of a table that exists, in one statement: every row it touches stays locked, "
    "and replicas lag, until it ends",
    check};

}  // namespace retort::lint
