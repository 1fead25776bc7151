// PG302 unbatched-data-change: one UPDATE or DELETE of a live table changes every matching
// row in one transaction: those rows stay locked (the application's writes to them wait) until
// it ends, it writes WAL the replicas must replay (lag), and it leaves dead rows for vacuum.
// A statement whose WHERE limits it to one batch (a subquery with LIMIT, BETWEEN, or a range
// with both bounds on one column) is taken as a batch of a batched backfill: not reported.
// Tables created in the migration or the run are empty: not reported. Nor is the statement of
// a backfill revision, which the runner runs in batches.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <set>

namespace retort::lint {
namespace {

std::string operator_of(const PgQuery__AExpr& expr) {
  return expr.n_name == 0 ? std::string() : std::string(string_of(expr.name[expr.n_name - 1]));
}

std::string column_of(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
      node->column_ref == nullptr || node->column_ref->n_fields == 0) {
    return {};
  }
  return std::string(string_of(node->column_ref->fields[node->column_ref->n_fields - 1]));
}

// Walks the AND/OR tree of a WHERE clause: a LIMITed subquery or BETWEEN makes it a batch;
// the columns with a lower and with an upper bound are collected.
bool walk(const PgQuery__Node* node, std::set<std::string>& lower, std::set<std::string>& upper) {
  if (node == nullptr) {
    return false;
  }
  switch (node->node_case) {
    case PG_QUERY__NODE__NODE_BOOL_EXPR:
      if (node->bool_expr != nullptr) {
        for (std::size_t arg_idx = 0; arg_idx < node->bool_expr->n_args; ++arg_idx) {
          if (walk(node->bool_expr->args[arg_idx], lower, upper)) {
            return true;
          }
        }
      }
      return false;
    case PG_QUERY__NODE__NODE_SUB_LINK: {
      const PgQuery__Node* select = node->sub_link ? node->sub_link->subselect : nullptr;
      return select != nullptr && select->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
             select->select_stmt != nullptr && select->select_stmt->limit_count != nullptr;
    }
    case PG_QUERY__NODE__NODE_A_EXPR: {
      const PgQuery__AExpr* expr = node->a_expr;
      if (expr == nullptr) {
        return false;
      }
      if (expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN) {
        return true;
      }
      if (walk(expr->rexpr, lower, upper)) {
        return true;  // `id IN (SELECT ... LIMIT n)`
      }
      const std::string op = operator_of(*expr);
      const std::string left = column_of(expr->lexpr);
      if (!left.empty() && (op == ">" || op == ">=")) {
        lower.insert(left);
      } else if (!left.empty() && (op == "<" || op == "<=")) {
        upper.insert(left);
      }
      return false;
    }
    default:
      return false;
  }
}

bool batched(const PgQuery__Node* where) {
  std::set<std::string> lower;
  std::set<std::string> upper;
  if (walk(where, lower, upper)) {
    return true;
  }
  for (const std::string& column : lower) {
    if (upper.count(column) != 0) {
      return true;
    }
  }
  return false;
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (pass.migration().backfill) {
    return;  // `-- retort:backfill`: retort runs it in batches (runner/backfill.hpp)
  }
  const PgQuery__RangeVar* relation = nullptr;
  const PgQuery__Node* where = nullptr;
  std::string verb;
  if (stmt.node->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT && stmt.node->update_stmt) {
    relation = stmt.node->update_stmt->relation;
    where = stmt.node->update_stmt->where_clause;
    verb = "UPDATE";
  } else if (stmt.node->node_case == PG_QUERY__NODE__NODE_DELETE_STMT && stmt.node->delete_stmt) {
    relation = stmt.node->delete_stmt->relation;
    where = stmt.node->delete_stmt->where_clause;
    verb = "DELETE";
  } else {
    return;
  }
  const std::string table = relation_name(relation);
  if (table.empty() || pass.is_new(table, stmt.index) || batched(where)) {
    return;
  }
  const std::string qualified = quote_qualified(table);
  report.add(
      stmt, relation->location,
      fmt::format("{} of {}{} in one statement", verb, table,
                  where == nullptr ? ", every row," : ""),
      "every row it touches stays locked until it ends, so the application's writes to "
      "them wait; and it writes WAL for all of them at once, which replicas must replay "
      "(lag) and vacuum must clean up",
      fmt::format(
          "batch it by key range in a `-- retort:transaction false` migration: one "
          "statement per range, each committed on its own, with a pause between them; the "
          "ledger records each, so a stopped run resumes at the next range:\n"
          "    {0} WHERE id >= 1 AND id < 10001 AND <condition>;\n"
          "    SELECT pg_sleep(1);\n"
          "    {0} WHERE id >= 10001 AND id < 20001 AND <condition>;\n"
          "Spread a very large table over several migrations: retort's step gate waits "
          "before each step while replicas lag beyond [retort.replicas] max_lag",
          verb == "UPDATE" ? "UPDATE " + qualified + " SET ..." : "DELETE FROM " + qualified));
}

}  // namespace

const Rule k_unbatched_data_change{
    "PG302", "unbatched-data-change", Level::warning,
    "UPDATE or DELETE of a table that exists, in one statement: every row it touches stays "
    "locked, and replicas lag, until it ends",
    check};

}  // namespace retort::lint
