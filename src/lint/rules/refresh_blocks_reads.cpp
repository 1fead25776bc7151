// PG112 refresh-blocks-reads: REFRESH MATERIALIZED VIEW without CONCURRENTLY takes an ACCESS
// EXCLUSIVE lock on the view for the whole refresh: every read of it waits. CONCURRENTLY needs
// a unique index on the view and a populated view, so a view created earlier in the migration
// (perhaps WITH NO DATA) is not reported.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT ||
      stmt.node->refresh_mat_view_stmt == nullptr) {
    return;
  }
  const PgQuery__RefreshMatViewStmt& refresh = *stmt.node->refresh_mat_view_stmt;
  const std::string view = relation_name(refresh.relation);
  if (refresh.concurrent || view.empty() || pass.is_new(view, stmt.index)) {
    return;
  }
  report.add(stmt, refresh.relation->location,
             fmt::format("REFRESH MATERIALIZED VIEW {} blocks its reads until it is done", view),
             fmt::format("it takes an ACCESS EXCLUSIVE lock on {} for the whole refresh: every "
                         "query of the view waits, as long as the view's query runs",
                         view),
             fmt::format("refresh it concurrently (the view needs a unique index on plain "
                         "columns, covering all rows):\n    REFRESH MATERIALIZED VIEW CONCURRENTLY "
                         "{};",
                         quote_qualified(view)));
}

}  // namespace

const Rule k_refresh_blocks_reads{
    "PG112", "refresh-blocks-reads", Level::warning,
    "REFRESH MATERIALIZED VIEW without CONCURRENTLY: reads of the view wait", check};

}  // namespace retort::lint
