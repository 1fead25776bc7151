// The relations a statement rewrites, from libpg_query's typed (protobuf) parse tree. Whether a
// default is volatile is decided from the expression alone, without the catalog: a function
// retort does not know as stable or immutable counts as volatile, as CREATE FUNCTION's default.
#include "sql/rewrite.hpp"

#include "sql/tree.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace retort::sql {
namespace {

std::string text(const char* value) {
  return value == nullptr ? std::string() : std::string(value);
}

std::string qualified(const PgQuery__RangeVar* relation) {
  if (relation == nullptr) {
    return {};
  }
  const std::string schema = text(relation->schemaname);
  return schema.empty() ? text(relation->relname) : schema + "." + text(relation->relname);
}

// The parts of a dotted name written as String nodes (pg_catalog.now: {"pg_catalog", "now"}).
std::vector<std::string> names(std::size_t count, PgQuery__Node* const* items) {
  std::vector<std::string> out;
  for (std::size_t name_idx = 0; name_idx < count; ++name_idx) {
    const PgQuery__Node* item = items[name_idx];
    if (item != nullptr && item->node_case == PG_QUERY__NODE__NODE_STRING &&
        item->string != nullptr) {
      out.push_back(text(item->string->sval));
    }
  }
  return out;
}

// Built-in functions that are stable or immutable and turn up in column defaults: a default
// calling only these is evaluated once, at ALTER TABLE, and stored in the catalog. AT TIME ZONE
// is parsed as a call of timezone(). A space at each end, so that " name " finds whole names.
constexpr std::string_view k_non_volatile =
    " now transaction_timestamp statement_timestamp current_setting current_database"
    " current_schema timezone lower upper btrim ltrim rtrim concat concat_ws replace substr"
    " length md5 to_char to_date to_timestamp to_number make_date make_time make_timestamp"
    " make_timestamptz make_interval date_trunc date_part to_json to_jsonb json_build_object"
    " jsonb_build_object json_build_array jsonb_build_array array_fill abs round floor ceil ";

constexpr std::string_view k_serials = " smallserial serial2 serial serial4 bigserial serial8 ";

bool listed(std::string_view list, const std::string& name) {
  return !name.empty() && name.find(' ') == std::string::npos &&
         list.find(" " + name + " ") != std::string_view::npos;
}

bool is_known_non_volatile(const std::vector<std::string>& function) {
  if (function.empty() || function.size() > 2 ||
      (function.size() == 2 && function.front() != "pg_catalog")) {
    return false;  // another schema's function is the team's own: VOLATILE unless declared
  }
  return listed(k_non_volatile, function.back());
}

std::string volatile_call(const PgQuery__Node* node);

std::string first_volatile(std::size_t count, PgQuery__Node* const* nodes) {
  for (std::size_t node_idx = 0; node_idx < count; ++node_idx) {
    if (std::string call = volatile_call(nodes[node_idx]); !call.empty()) {
      return call;
    }
  }
  return {};
}

std::string first_volatile(std::initializer_list<const PgQuery__Node*> nodes) {
  for (const PgQuery__Node* node : nodes) {
    if (std::string call = volatile_call(node); !call.empty()) {
      return call;
    }
  }
  return {};
}

// The first volatile part of a default expression, as a user would point at it ("random()");
// empty when it has none. An expression of a kind not read here counts as volatile: better a
// rewrite too many in the estimate than a full disk.
std::string volatile_call(const PgQuery__Node* node) {
  if (node == nullptr) {
    return {};
  }
  switch (node->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST:
    case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:  // CURRENT_TIMESTAMP, CURRENT_USER: stable
    case PG_QUERY__NODE__NODE_COLUMN_REF:
    case PG_QUERY__NODE__NODE_PARAM_REF:
      return {};
    case PG_QUERY__NODE__NODE_FUNC_CALL: {
      const PgQuery__FuncCall* call = node->func_call;
      if (call == nullptr) {
        return {};
      }
      const std::vector<std::string> function = names(call->n_funcname, call->funcname);
      if (!is_known_non_volatile(function)) {
        return (function.empty() ? std::string("a function") : function.back()) + "()";
      }
      return first_volatile(call->n_args, call->args);
    }
    case PG_QUERY__NODE__NODE_TYPE_CAST:
      return node->type_cast == nullptr ? std::string() : volatile_call(node->type_cast->arg);
    case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
      return node->collate_clause == nullptr ? std::string()
                                             : volatile_call(node->collate_clause->arg);
    case PG_QUERY__NODE__NODE_A_EXPR:
      return node->a_expr == nullptr ? std::string()
                                     : first_volatile({node->a_expr->lexpr, node->a_expr->rexpr});
    case PG_QUERY__NODE__NODE_BOOL_EXPR:
      return node->bool_expr == nullptr
                 ? std::string()
                 : first_volatile(node->bool_expr->n_args, node->bool_expr->args);
    case PG_QUERY__NODE__NODE_COALESCE_EXPR:
      return node->coalesce_expr == nullptr
                 ? std::string()
                 : first_volatile(node->coalesce_expr->n_args, node->coalesce_expr->args);
    case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
      return node->min_max_expr == nullptr
                 ? std::string()
                 : first_volatile(node->min_max_expr->n_args, node->min_max_expr->args);
    case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
      return node->a_array_expr == nullptr
                 ? std::string()
                 : first_volatile(node->a_array_expr->n_elements, node->a_array_expr->elements);
    case PG_QUERY__NODE__NODE_ROW_EXPR:
      return node->row_expr == nullptr
                 ? std::string()
                 : first_volatile(node->row_expr->n_args, node->row_expr->args);
    case PG_QUERY__NODE__NODE_CASE_EXPR: {
      const PgQuery__CaseExpr* expr = node->case_expr;
      if (expr == nullptr) {
        return {};
      }
      if (std::string call = first_volatile({expr->arg, expr->defresult}); !call.empty()) {
        return call;
      }
      return first_volatile(expr->n_args, expr->args);
    }
    case PG_QUERY__NODE__NODE_CASE_WHEN:
      return node->case_when == nullptr
                 ? std::string()
                 : first_volatile({node->case_when->expr, node->case_when->result});
    case PG_QUERY__NODE__NODE_NULL_TEST:
      return node->null_test == nullptr ? std::string() : volatile_call(node->null_test->arg);
    case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
      return node->boolean_test == nullptr ? std::string() : volatile_call(node->boolean_test->arg);
    default:
      return "an expression retort does not judge";
  }
}

bool is_serial(const PgQuery__TypeName* type) {
  if (type == nullptr) {
    return false;
  }
  const std::vector<std::string> type_name = names(type->n_names, type->names);
  return type_name.size() == 1 && type->n_array_bounds == 0 && listed(k_serials, type_name.front());
}

// Why adding this column fills every existing row (a rewrite); empty when the value it gets is
// computed once and kept in the catalog.
std::string add_column_rewrite(const PgQuery__ColumnDef* column) {
  if (column == nullptr) {
    return {};
  }
  if (is_serial(column->type_name)) {
    return "ADD COLUMN ... " + names(column->type_name->n_names, column->type_name->names).front();
  }
  if (std::string call = volatile_call(column->raw_default); !call.empty()) {
    return "ADD COLUMN ... DEFAULT " + call;
  }
  for (std::size_t constraint_idx = 0; constraint_idx < column->n_constraints; ++constraint_idx) {
    const PgQuery__Node* node = column->constraints[constraint_idx];
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
        node->constraint == nullptr) {
      continue;
    }
    switch (node->constraint->contype) {
      case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
        return "ADD COLUMN ... GENERATED AS IDENTITY";
      case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
        return "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED";
      case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
        if (std::string call = volatile_call(node->constraint->raw_expr); !call.empty()) {
          return "ADD COLUMN ... DEFAULT " + call;
        }
        break;
      default:
        break;
    }
  }
  return {};
}

// The first clause of an ALTER TABLE that rewrites the table; empty when none does.
std::string alter_table_rewrite(const PgQuery__AlterTableStmt& alter) {
  for (std::size_t cmd_idx = 0; cmd_idx < alter.n_cmds; ++cmd_idx) {
    const PgQuery__Node* node = alter.cmds[cmd_idx];
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
        node->alter_table_cmd == nullptr) {
      continue;
    }
    const PgQuery__AlterTableCmd& cmd = *node->alter_table_cmd;
    switch (cmd.subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        return "ALTER COLUMN ... TYPE";
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
        if (cmd.def != nullptr && cmd.def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
          if (std::string why = add_column_rewrite(cmd.def->column_def); !why.empty()) {
            return why;
          }
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
        return "SET LOGGED";
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
        return "SET UNLOGGED";
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
        return "SET ACCESS METHOD";
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
        return "SET TABLESPACE";
      default:
        break;
    }
  }
  return {};
}

void vacuum_rewrites(const PgQuery__VacuumStmt& vacuum, std::vector<Rewrite>& out) {
  // FULL false is not FULL.
  if (vacuum.is_vacuumcmd == 0 || !has_true_option(vacuum.n_options, vacuum.options, "full")) {
    return;
  }
  if (vacuum.n_rels == 0) {
    out.push_back({"", "VACUUM FULL", Copied::whole});
    return;
  }
  for (std::size_t rel_idx = 0; rel_idx < vacuum.n_rels; ++rel_idx) {
    const PgQuery__Node* node = vacuum.rels[rel_idx];
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION &&
        node->vacuum_relation != nullptr) {
      out.push_back({qualified(node->vacuum_relation->relation), "VACUUM FULL", Copied::whole});
    }
  }
}

void reindex_rewrites(const PgQuery__ReindexStmt& reindex, std::vector<Rewrite>& out) {
  if (reindex.relation == nullptr) {
    return;  // SCHEMA, DATABASE, SYSTEM: not counted (see rewrite.hpp)
  }
  if (reindex.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX) {
    out.push_back({qualified(reindex.relation), "REINDEX INDEX", Copied::whole});
  } else if (reindex.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE) {
    out.push_back({qualified(reindex.relation), "REINDEX TABLE", Copied::indexes});
  }
}

void statement_rewrites(const PgQuery__Node* node, std::vector<Rewrite>& out) {
  if (node == nullptr) {
    return;
  }
  switch (node->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      if (node->alter_table_stmt != nullptr) {
        if (std::string what = alter_table_rewrite(*node->alter_table_stmt); !what.empty()) {
          out.push_back({qualified(node->alter_table_stmt->relation), what, Copied::whole});
        }
      }
      break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
      if (node->vacuum_stmt != nullptr) {
        vacuum_rewrites(*node->vacuum_stmt, out);
      }
      break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
      if (node->cluster_stmt != nullptr) {
        out.push_back({qualified(node->cluster_stmt->relation), "CLUSTER", Copied::whole});
      }
      break;
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
      if (node->refresh_mat_view_stmt != nullptr && node->refresh_mat_view_stmt->skip_data == 0) {
        out.push_back({qualified(node->refresh_mat_view_stmt->relation),
                       "REFRESH MATERIALIZED VIEW", Copied::whole});
      }
      break;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
      if (node->reindex_stmt != nullptr) {
        reindex_rewrites(*node->reindex_stmt, out);
      }
      break;
    default:
      break;
  }
}

}  // namespace

std::vector<Rewrite> rewrites(std::string_view statement) {
  std::vector<Rewrite> out;
  const Tree tree = parse_tree(statement);
  if (tree == nullptr) {
    return out;
  }
  for (std::size_t stmt_idx = 0; stmt_idx < tree->n_stmts; ++stmt_idx) {
    if (tree->stmts[stmt_idx] != nullptr) {
      statement_rewrites(tree->stmts[stmt_idx]->stmt, out);
    }
  }
  return out;
}

}  // namespace retort::sql
