// PG405 prefer-timestamptz: timestamp without time zone: the values depend on each client's time
// zone setting.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_prefer_timestamptz{
    "PG405", "prefer-timestamptz", Level::warning,
    "timestamp without time zone: the values depend on each client's time zone setting", check};

}  // namespace retort::lint
