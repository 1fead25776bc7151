// PG109 table-rewrite-command: VACUUM FULL or CLUSTER: the table is rewritten while reads and
// writes wait.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_table_rewrite_command{
    "PG109", "table-rewrite-command", Level::error,
    "VACUUM FULL or CLUSTER: the table is rewritten while reads and writes wait", check};

}  // namespace retort::lint
