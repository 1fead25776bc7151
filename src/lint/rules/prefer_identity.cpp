// PG404 prefer-identity: serial or bigserial instead of an identity column.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_prefer_identity{"PG404", "prefer-identity", Level::warning,
                             "serial or bigserial instead of an identity column", check};

}  // namespace retort::lint
