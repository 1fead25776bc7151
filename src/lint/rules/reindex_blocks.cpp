// PG111 reindex-blocks: REINDEX without CONCURRENTLY locks out writes to the table for the
// whole rebuild (SHARE lock), and queries planned to use the index wait too (ACCESS EXCLUSIVE
// on the index). REINDEX ... CONCURRENTLY (PostgreSQL 12+) builds a new index beside the old
// one and swaps them. An index or table created earlier in the migration is not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

// Whether an earlier statement created the index named `name`.
bool index_created_earlier(const Pass& pass, const Stmt& stmt, const std::string& name) {
  const std::string bare = name.substr(name.rfind('.') + 1);
  for (const Stmt& earlier : pass.statements()) {
    if (earlier.index >= stmt.index) {
      break;
    }
    if (earlier.node != nullptr && earlier.node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT &&
        earlier.node->index_stmt != nullptr && earlier.node->index_stmt->idxname != nullptr &&
        bare == earlier.node->index_stmt->idxname) {
      return true;
    }
  }
  return false;
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_REINDEX_STMT ||
      stmt.node->reindex_stmt == nullptr) {
    return;
  }
  const PgQuery__ReindexStmt& reindex = *stmt.node->reindex_stmt;
  if (sql::has_true_option(reindex.n_params, reindex.params, "concurrently")) {
    return;
  }
  const std::string target = reindex.relation != nullptr ? relation_name(reindex.relation)
                             : reindex.name != nullptr   ? std::string(reindex.name)
                                                         : std::string();
  if (reindex.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE &&
      pass.is_new(target, stmt.index)) {
    return;
  }
  if (reindex.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX &&
      index_created_earlier(pass, stmt, target)) {
    return;
  }
  const std::string fix =
      pass.server_version() >= 12
          ? "rebuild it concurrently (not for system catalogs), " +
                outside_transaction(
                    pass.transactional(),
                    insert_after_word(
                        stmt.source->sql,
                        reindex.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX
                            ? "index"
                            : "table",
                        "CONCURRENTLY"))
          : "before PostgreSQL 12 there is no REINDEX CONCURRENTLY: build a copy with CREATE "
            "INDEX CONCURRENTLY, then drop the old index with DROP INDEX CONCURRENTLY and rename "
            "the copy";
  report.add(stmt, reindex.relation != nullptr ? reindex.relation->location : -1,
             fmt::format("REINDEX{} blocks writes until it is done",
                         target.empty() ? std::string() : " of " + target),
             "REINDEX takes a SHARE lock on the table (INSERT, UPDATE and DELETE wait) and an "
             "ACCESS EXCLUSIVE lock on each index it rebuilds (queries that would use it wait), "
             "for the whole rebuild",
             fix);
}

}  // namespace

const Rule k_reindex_blocks{
    "PG111",      "reindex-blocks",
    Level::error, "REINDEX without CONCURRENTLY: writes (and reads using the index) wait",
    check,        Runs::always,
    Weight::rows};

}  // namespace retort::lint
