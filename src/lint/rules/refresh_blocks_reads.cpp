// PG112 refresh-blocks-reads: REFRESH MATERIALIZED VIEW without CONCURRENTLY: reads of the view
// wait.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_refresh_blocks_reads{
    "PG112", "refresh-blocks-reads", Level::warning,
    "REFRESH MATERIALIZED VIEW without CONCURRENTLY: reads of the view wait", check};

}  // namespace retort::lint
