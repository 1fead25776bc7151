// PG203 drop-table: DROP TABLE: the data is gone, and the running application may still use it.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_drop_table{
    "PG203", "drop-table", Level::error,
    "DROP TABLE: the data is gone, and the running application may still use it", check};

}  // namespace retort::lint
