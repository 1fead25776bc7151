// PG110 lock-without-timeout: a statement that takes a lock with no lock_timeout in force: it
// queues every later query of the table behind it.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_lock_without_timeout{"PG110", "lock-without-timeout", Level::error,
                                  "a statement that takes a lock with no lock_timeout in force: it "
                                  "queues every later query of the table behind it",
                                  check};

}  // namespace retort::lint
