// PG205 truncate: TRUNCATE: the rows are gone (with CASCADE, those of referencing tables too).
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_truncate{"PG205", "truncate", Level::error,
                      "TRUNCATE: the rows are gone (with CASCADE, those of referencing tables too)",
                      check};

}  // namespace retort::lint
