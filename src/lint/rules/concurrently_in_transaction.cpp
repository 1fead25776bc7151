// PG303 concurrently-in-transaction: CONCURRENTLY in a transactional migration: PostgreSQL refuses
// it inside a transaction block.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_concurrently_in_transaction{
    "PG303", "concurrently-in-transaction", Level::error,
    "CONCURRENTLY in a transactional migration: PostgreSQL refuses it inside a transaction block",
    check};

}  // namespace retort::lint
