// PG305 transaction-control: BEGIN, COMMIT, ROLLBACK or SAVEPOINT in a migration: retort runs the
// transaction itself.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_transaction_control{
    "PG305", "transaction-control", Level::error,
    "BEGIN, COMMIT, ROLLBACK or SAVEPOINT in a migration: retort runs the transaction itself",
    check};

}  // namespace retort::lint
