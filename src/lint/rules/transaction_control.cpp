// PG305 transaction-control: retort runs each migration in one transaction (or, with
// `-- retort:transaction false`, each statement on its own), so a COMMIT inside one ends
// retort's transaction early: what follows runs outside it, and the version table is written
// apart from the schema change. retort's loader refuses such a file; lint names it with a code.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT ||
      stmt.node->transaction_stmt == nullptr) {
    return;
  }
  // Savepoints stay inside retort's transaction: a migration may use them.
  switch (stmt.node->transaction_stmt->kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
      return;
    default:
      break;
  }
  report.add(stmt, -1, "the migration controls its transaction itself",
             "retort runs the migration in one transaction and writes the version table in it: "
             "a COMMIT or ROLLBACK here ends that transaction early, so a failure after it "
             "leaves the schema changed and the version table not",
             "remove it: for all or nothing, keep the migration transactional (the default); "
             "for statements that must commit one by one, add `-- retort:transaction false`");
}

}  // namespace

const Rule k_transaction_control{
    "PG305", "transaction-control", Level::error,
    "BEGIN, COMMIT, ROLLBACK or PREPARE TRANSACTION in a migration: retort runs the transaction "
    "itself",
    check};

}  // namespace retort::lint
