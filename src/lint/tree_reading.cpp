// Reading libpg_query's typed tree for lint rules.
#include "lint/tree_reading.hpp"

#include "base/identifier.hpp"
#include "sql/lexer.hpp"
#include "sql/volatility.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

namespace retort::lint {
namespace {

std::span<PgQuery__Node* const> nodes(PgQuery__Node* const* items, std::size_t count) {
  return items == nullptr ? std::span<PgQuery__Node* const>() : std::span(items, count);
}

}  // namespace

std::string relation_name(const PgQuery__RangeVar* range) {
  if (range == nullptr || range->relname == nullptr) {
    return {};
  }
  std::string out;
  if (range->schemaname != nullptr && range->schemaname[0] != '\0') {
    out = std::string(range->schemaname) + ".";
  }
  return out + range->relname;
}

std::string_view string_of(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_STRING ||
      node->string == nullptr || node->string->sval == nullptr) {
    return {};
  }
  return node->string->sval;
}

std::string dotted(PgQuery__Node* const* names, std::size_t count) {
  std::string out;
  for (const PgQuery__Node* name : nodes(names, count)) {
    if (!out.empty()) {
      out += '.';
    }
    out += string_of(name);
  }
  return out;
}

std::string type_name(const PgQuery__TypeName* type) {
  if (type == nullptr || type->n_names == 0) {
    return {};
  }
  return std::string(string_of(type->names[type->n_names - 1]));
}

bool is_array(const PgQuery__TypeName* type) { return type != nullptr && type->n_array_bounds > 0; }

std::vector<int> type_modifiers(const PgQuery__TypeName* type) {
  std::vector<int> out;
  if (type == nullptr) {
    return out;
  }
  for (const PgQuery__Node* mod : nodes(type->typmods, type->n_typmods)) {
    if (mod != nullptr && mod->node_case == PG_QUERY__NODE__NODE_A_CONST &&
        mod->a_const != nullptr && mod->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL &&
        mod->a_const->ival != nullptr) {
      out.push_back(mod->a_const->ival->ival);
    }
  }
  return out;
}

std::string type_display(const PgQuery__TypeName* type) {
  std::string name = type_name(type);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> k_spoken = {{
      {"int4", "integer"},
      {"int2", "smallint"},
      {"int8", "bigint"},
      {"bpchar", "char"},
      {"float8", "double precision"},
      {"float4", "real"},
      {"bool", "boolean"},
      {"timestamptz", "timestamptz"},
      {"timetz", "timetz"},
      {"varbit", "bit varying"},
  }};
  for (const auto& [internal, spoken] : k_spoken) {
    if (name == internal) {
      name = std::string(spoken);
    }
  }
  const std::vector<int> mods = type_modifiers(type);
  if (!mods.empty()) {
    name += "(";
    for (std::size_t mod_idx = 0; mod_idx < mods.size(); ++mod_idx) {
      name += (mod_idx == 0 ? "" : ",") + std::to_string(mods[mod_idx]);
    }
    name += ")";
  }
  if (is_array(type)) {
    name += "[]";
  }
  return name;
}

std::optional<std::string> constant_text(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_A_CONST ||
      node->a_const == nullptr) {
    return std::nullopt;
  }
  const PgQuery__AConst& constant = *node->a_const;
  switch (constant.val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
      return constant.ival == nullptr ? std::string("0") : std::to_string(constant.ival->ival);
    case PG_QUERY__A__CONST__VAL_SVAL:
      return constant.sval == nullptr || constant.sval->sval == nullptr
                 ? std::string()
                 : std::string(constant.sval->sval);
    case PG_QUERY__A__CONST__VAL_FVAL:
      return constant.fval == nullptr || constant.fval->fval == nullptr
                 ? std::string()
                 : std::string(constant.fval->fval);
    default:
      return std::nullopt;
  }
}

std::vector<const PgQuery__AlterTableCmd*> alter_commands(const PgQuery__AlterTableStmt* alter) {
  std::vector<const PgQuery__AlterTableCmd*> out;
  if (alter == nullptr) {
    return out;
  }
  for (const PgQuery__Node* node : nodes(alter->cmds, alter->n_cmds)) {
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
        node->alter_table_cmd != nullptr) {
      out.push_back(node->alter_table_cmd);
    }
  }
  return out;
}

const PgQuery__Constraint* constraint_of(const PgQuery__Node* node) {
  return node != nullptr && node->node_case == PG_QUERY__NODE__NODE_CONSTRAINT ? node->constraint
                                                                               : nullptr;
}

std::vector<const PgQuery__Constraint*> column_constraints(const PgQuery__ColumnDef* column) {
  std::vector<const PgQuery__Constraint*> out;
  if (column == nullptr) {
    return out;
  }
  for (const PgQuery__Node* node : nodes(column->constraints, column->n_constraints)) {
    if (const PgQuery__Constraint* constraint = constraint_of(node)) {
      out.push_back(constraint);
    }
  }
  return out;
}

const PgQuery__Node* column_default(const PgQuery__ColumnDef* column) {
  if (column == nullptr) {
    return nullptr;
  }
  if (column->raw_default != nullptr) {
    return column->raw_default;
  }
  for (const PgQuery__Constraint* constraint : column_constraints(column)) {
    if (constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT) {
      return constraint->raw_expr;
    }
  }
  return nullptr;
}

bool is_volatile(const PgQuery__Node* expr) {
  if (expr == nullptr) {
    return false;
  }
  const auto any_of = [](PgQuery__Node* const* items, std::size_t count) {
    const auto list = nodes(items, count);
    return std::any_of(list.begin(), list.end(),
                       [](const PgQuery__Node* item) { return is_volatile(item); });
  };
  switch (expr->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST:
    case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:  // CURRENT_TIMESTAMP, CURRENT_USER: stable
    case PG_QUERY__NODE__NODE_COLUMN_REF:
    case PG_QUERY__NODE__NODE_PARAM_REF:
      return false;
    case PG_QUERY__NODE__NODE_TYPE_CAST:
      return expr->type_cast != nullptr && is_volatile(expr->type_cast->arg);
    case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
      return expr->collate_clause != nullptr && is_volatile(expr->collate_clause->arg);
    case PG_QUERY__NODE__NODE_A_EXPR:
      return expr->a_expr != nullptr &&
             (is_volatile(expr->a_expr->lexpr) || is_volatile(expr->a_expr->rexpr));
    case PG_QUERY__NODE__NODE_BOOL_EXPR:
      return expr->bool_expr != nullptr && any_of(expr->bool_expr->args, expr->bool_expr->n_args);
    case PG_QUERY__NODE__NODE_NULL_TEST:
      return expr->null_test != nullptr && is_volatile(expr->null_test->arg);
    case PG_QUERY__NODE__NODE_COALESCE_EXPR:
      return expr->coalesce_expr != nullptr &&
             any_of(expr->coalesce_expr->args, expr->coalesce_expr->n_args);
    case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
      return expr->min_max_expr != nullptr &&
             any_of(expr->min_max_expr->args, expr->min_max_expr->n_args);
    case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
      return expr->a_array_expr != nullptr &&
             any_of(expr->a_array_expr->elements, expr->a_array_expr->n_elements);
    case PG_QUERY__NODE__NODE_ROW_EXPR:
      return expr->row_expr != nullptr && any_of(expr->row_expr->args, expr->row_expr->n_args);
    case PG_QUERY__NODE__NODE_CASE_EXPR: {
      const PgQuery__CaseExpr* case_expr = expr->case_expr;
      return case_expr != nullptr &&
             (is_volatile(case_expr->arg) || is_volatile(case_expr->defresult) ||
              any_of(case_expr->args, case_expr->n_args));
    }
    case PG_QUERY__NODE__NODE_CASE_WHEN:
      return expr->case_when != nullptr &&
             (is_volatile(expr->case_when->expr) || is_volatile(expr->case_when->result));
    case PG_QUERY__NODE__NODE_FUNC_CALL: {
      const PgQuery__FuncCall* call = expr->func_call;
      if (call == nullptr || call->n_funcname == 0) {
        return true;
      }
      const std::string_view name = string_of(call->funcname[call->n_funcname - 1]);
      return !sql::not_volatile(name) || any_of(call->args, call->n_args);
    }
    default:
      // A subquery, or anything this list does not know: it may run per row.
      return true;
  }
}

std::string quote_identifier(std::string_view name) {
  return base::quote_identifier(name, base::Dialect::postgres);
}

std::string quote_qualified(std::string_view name) {
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) {
    return quote_identifier(name);
  }
  return quote_identifier(name.substr(0, dot)) + "." + quote_qualified(name.substr(dot + 1));
}

std::string insert_after_word(std::string_view statement, std::string_view word,
                              std::string_view insert) {
  const auto is_word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  for (std::size_t at = 0; at + word.size() <= statement.size(); ++at) {
    const bool starts = at == 0 || !is_word_char(statement[at - 1]);
    const std::size_t end = at + word.size();
    const bool ends = end == statement.size() || !is_word_char(statement[end]);
    if (!starts || !ends) {
      continue;
    }
    const bool same = std::equal(word.begin(), word.end(),
                                 statement.begin() + static_cast<long>(at), [](char a, char b) {
                                   return std::tolower(static_cast<unsigned char>(a)) ==
                                          std::tolower(static_cast<unsigned char>(b));
                                 });
    if (same) {
      return std::string(statement.substr(0, end)) + " " + std::string(insert) +
             std::string(statement.substr(end));
    }
  }
  return std::string(statement);
}

std::string outside_transaction(bool transactional, std::string_view sql) {
  std::string out;
  if (transactional) {
    out =
        "in a migration of its own, since it cannot run in a transaction block:\n"
        "    -- retort:transaction false\n";
  }
  return out + "    " + std::string(sql) + ";";
}

std::string quoted_list(PgQuery__Node* const* items, std::size_t count) {
  std::string out;
  for (const PgQuery__Node* item : nodes(items, count)) {
    out += (out.empty() ? "" : ", ") + quote_identifier(string_of(item));
  }
  return out;
}

std::string object_name(const PgQuery__Node* object) {
  if (object != nullptr && object->node_case == PG_QUERY__NODE__NODE_LIST &&
      object->list != nullptr) {
    return dotted(object->list->items, object->list->n_items);
  }
  return std::string(string_of(object));
}

std::string unqualified(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return std::string(dot == std::string_view::npos ? name : name.substr(dot + 1));
}

bool same_relation(std::string_view a, std::string_view b) {
  const auto schema = [](std::string_view name) {
    const std::size_t dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
  };
  const std::string_view schema_a = schema(a);
  const std::string_view schema_b = schema(b);
  return unqualified(a) == unqualified(b) &&
         (schema_a.empty() || schema_b.empty() || schema_a == schema_b);
}

std::string created_index(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT ||
      node->index_stmt == nullptr || node->index_stmt->idxname == nullptr ||
      node->index_stmt->idxname[0] == '\0') {
    return {};
  }
  const PgQuery__RangeVar* table = node->index_stmt->relation;
  std::string out;
  if (table != nullptr && table->schemaname != nullptr && table->schemaname[0] != '\0') {
    out = std::string(table->schemaname) + ".";
  }
  return out + node->index_stmt->idxname;
}

std::size_t clause_end(std::string_view statement, std::size_t from, std::size_t limit) {
  limit = std::min(limit, statement.size());
  std::size_t end = from;
  int depth = 0;
  sql::Lexer lexer(statement, base::Dialect::postgres, from);
  sql::Token token;
  while (lexer.next(token) && token.begin < limit) {
    if (token.kind == sql::TokenKind::space || token.kind == sql::TokenKind::line_comment ||
        token.kind == sql::TokenKind::block_comment) {
      continue;
    }
    if (token.kind == sql::TokenKind::other && token.end == token.begin + 1) {
      const char c = statement[token.begin];
      if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth < 0) {
        break;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    end = std::min(token.end, limit);
  }
  return end;
}

std::size_t after_word(std::string_view statement, std::size_t from, std::string_view word) {
  sql::Lexer lexer(statement, base::Dialect::postgres, std::min(from, statement.size()));
  sql::Token token;
  while (lexer.next(token)) {
    const std::string_view text = statement.substr(token.begin, token.end - token.begin);
    if (token.kind == sql::TokenKind::other && text.size() == word.size() &&
        std::equal(text.begin(), text.end(), word.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return token.end;
    }
  }
  return std::string_view::npos;
}

std::string clause_text(std::string_view statement, std::size_t from, std::size_t limit) {
  if (from >= statement.size()) {
    return {};
  }
  const std::size_t end = clause_end(statement, from, limit);
  const sql::Range range =
      sql::strip_comments_and_space(statement, base::Dialect::postgres, from, std::max(from, end));
  return std::string(statement.substr(range.begin, range.end - range.begin));
}

std::vector<std::string> dropped_names(const PgQuery__DropStmt* drop) {
  std::vector<std::string> out;
  if (drop == nullptr) {
    return out;
  }
  for (const PgQuery__Node* object : nodes(drop->objects, drop->n_objects)) {
    if (std::string name = object_name(object); !name.empty()) {
      out.push_back(std::move(name));
    }
  }
  return out;
}

}  // namespace retort::lint
