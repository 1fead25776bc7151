// PG401 prefer-jsonb: json instead of jsonb: no equality, no indexes, slower to query.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_prefer_jsonb{"PG401", "prefer-jsonb", Level::warning,
                          "json instead of jsonb: no equality, no indexes, slower to query", check};

}  // namespace retort::lint
