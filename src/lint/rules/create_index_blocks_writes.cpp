// PG101 create-index-blocks-writes: CREATE INDEX without CONCURRENTLY takes a SHARE lock on its
// table for the whole build, so every INSERT, UPDATE and DELETE waits; on a big table that is
// minutes of failed writes. A table created earlier in the migration (or the run) is empty and
// unused, so building there is instant and not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT || stmt.node->index_stmt == nullptr) {
    return;
  }
  const PgQuery__IndexStmt& index = *stmt.node->index_stmt;
  const std::string table = relation_name(index.relation);
  if (index.concurrent || table.empty() || pass.is_new(table, stmt.index)) {
    return;
  }
  const bool named = index.idxname != nullptr && index.idxname[0] != '\0';
  std::string fix =
      "build it without blocking writes, " +
      outside_transaction(pass.transactional(),
                          insert_after_word(stmt.source->sql, "index", "CONCURRENTLY"));
  if (!named) {
    fix += "\nand give the index a name: retort finds an interrupted build's INVALID index by it";
  }
  report.add(
      stmt, index.relation != nullptr ? index.relation->location : -1,
      fmt::format("CREATE INDEX on {}, a table that exists before this migration, blocks "
                  "its writes until the index is built",
                  table),
      fmt::format("CREATE INDEX takes a SHARE lock on {}: INSERT, UPDATE and DELETE wait for "
                  "the whole build, minutes on a large table",
                  table),
      std::move(fix));
}

}  // namespace

const Rule k_create_index_blocks_writes{"PG101",
                                        "create-index-blocks-writes",
                                        Level::error,
                                        "CREATE INDEX without CONCURRENTLY on a table that exists: "
                                        "writes wait until the index is built",
                                        check,
                                        Runs::always,
                                        Weight::rows};

}  // namespace retort::lint
