// PG402 prefer-text-over-varchar: varchar(n): raising the limit later takes an exclusive lock (and
// rewrites before PostgreSQL 9.2); text with a CHECK on length() changes without one.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_prefer_text_over_varchar{
    "PG402", "prefer-text-over-varchar", Level::warning,
    "varchar(n): raising the limit later takes an exclusive lock (and rewrites before PostgreSQL "
    "9.2); text with a CHECK on length() changes without one",
    check};

}  // namespace retort::lint
