// PG111 reindex-blocks: REINDEX without CONCURRENTLY: writes (and reads using the index) wait.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_reindex_blocks{"PG111", "reindex-blocks", Level::error,
                            "REINDEX without CONCURRENTLY: writes (and reads using the index) wait",
                            check};

}  // namespace retort::lint
