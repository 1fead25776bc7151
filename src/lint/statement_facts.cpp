// What several lint rules ask of one statement: the columns it types (read from CREATE TABLE
// and ALTER TABLE), the tables it changes or locks, the enums and tables it owns.
#include "lint/statement_facts.hpp"

#include "lint/analyzer.hpp"
#include "lint/tree_reading.hpp"

#include <algorithm>
#include <array>
#include <span>

namespace retort::lint {
namespace {

ColumnType column_of(const std::string& table, const PgQuery__ColumnDef& column) {
  ColumnType out;
  out.table = table;
  out.column = column.colname == nullptr ? "" : column.colname;
  out.type = column.type_name;
  out.location = column.type_name != nullptr ? column.type_name->location : column.location;
  out.identity = column.identity != nullptr && column.identity[0] != '\0';
  for (const PgQuery__Constraint* constraint : column_constraints(&column)) {
    out.primary_key =
        out.primary_key || constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
    out.identity = out.identity || constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY;
  }
  return out;
}

void create_table(const PgQuery__CreateStmt& create, std::vector<ColumnType>& out) {
  const std::string table = relation_name(create.relation);
  const std::size_t first = out.size();
  std::vector<std::string> key;  // a one-column table-level PRIMARY KEY
  const auto elements = std::span(create.table_elts, create.n_table_elts);
  for (const PgQuery__Node* element : elements) {
    if (element == nullptr) {
      continue;
    }
    if (element->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && element->column_def != nullptr) {
      out.push_back(column_of(table, *element->column_def));
    } else if (const PgQuery__Constraint* constraint = constraint_of(element);
               constraint != nullptr &&
               constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY &&
               constraint->n_keys == 1) {
      key.emplace_back(string_of(constraint->keys[0]));
    }
  }
  if (key.size() == 1) {
    for (std::size_t column_idx = first; column_idx < out.size(); ++column_idx) {
      out[column_idx].primary_key = out[column_idx].primary_key || out[column_idx].column == key[0];
    }
  }
}

void alter_table(const PgQuery__AlterTableStmt& alter, std::vector<ColumnType>& out) {
  const std::string table = relation_name(alter.relation);
  for (const PgQuery__AlterTableCmd* command : alter_commands(&alter)) {
    if (command->def == nullptr || command->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF ||
        command->def->column_def == nullptr) {
      continue;
    }
    if (command->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn) {
      out.push_back(column_of(table, *command->def->column_def));
    } else if (command->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) {
      ColumnType column = column_of(table, *command->def->column_def);
      column.column = command->name == nullptr ? "" : command->name;
      column.altered = true;
      out.push_back(std::move(column));
    }
  }
}

}  // namespace

std::vector<ColumnType> column_types(const PgQuery__Node* statement) {
  std::vector<ColumnType> out;
  if (statement == nullptr) {
    return out;
  }
  if (statement->node_case == PG_QUERY__NODE__NODE_CREATE_STMT &&
      statement->create_stmt != nullptr) {
    create_table(*statement->create_stmt, out);
  } else if (statement->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
             statement->alter_table_stmt != nullptr) {
    alter_table(*statement->alter_table_stmt, out);
  }
  out.erase(std::remove_if(out.begin(), out.end(),
                           [](const ColumnType& column) { return column.type == nullptr; }),
            out.end());
  return out;
}

std::string data_change_target(const PgQuery__Node* statement) {
  if (statement == nullptr) {
    return {};
  }
  switch (statement->node_case) {
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
      return statement->update_stmt ? relation_name(statement->update_stmt->relation) : "";
    case PG_QUERY__NODE__NODE_DELETE_STMT:
      return statement->delete_stmt ? relation_name(statement->delete_stmt->relation) : "";
    case PG_QUERY__NODE__NODE_MERGE_STMT:
      return statement->merge_stmt ? relation_name(statement->merge_stmt->relation) : "";
    case PG_QUERY__NODE__NODE_INSERT_STMT: {
      const PgQuery__InsertStmt* insert = statement->insert_stmt;
      if (insert == nullptr || insert->select_stmt == nullptr ||
          insert->select_stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
          insert->select_stmt->select_stmt == nullptr ||
          insert->select_stmt->select_stmt->n_values_lists > 0) {
        return {};
      }
      return relation_name(insert->relation);
    }
    default:
      return {};
  }
}

std::string schema_change_target(const PgQuery__Node* statement) {
  if (statement == nullptr) {
    return {};
  }
  switch (statement->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      return statement->alter_table_stmt ? relation_name(statement->alter_table_stmt->relation)
                                         : "";
    case PG_QUERY__NODE__NODE_INDEX_STMT:
      return statement->index_stmt && !statement->index_stmt->concurrent
                 ? relation_name(statement->index_stmt->relation)
                 : "";
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      return statement->rename_stmt ? relation_name(statement->rename_stmt->relation) : "";
    default:
      return {};
  }
}

bool enum_created_earlier(const Pass& pass, const Stmt& stmt, const std::string& type) {
  for (const Stmt& earlier : pass.statements()) {
    if (earlier.index >= stmt.index) {
      break;
    }
    const PgQuery__Node* node = earlier.node;
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_CREATE_ENUM_STMT &&
        node->create_enum_stmt != nullptr &&
        unqualified(dotted(node->create_enum_stmt->type_name,
                           node->create_enum_stmt->n_type_name)) == unqualified(type)) {
      return true;
    }
  }
  return false;
}

std::string_view serial_base(std::string_view type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_serials{{
      {"serial", "integer"},
      {"serial4", "integer"},
      {"bigserial", "bigint"},
      {"serial8", "bigint"},
      {"smallserial", "smallint"},
      {"serial2", "smallint"},
  }};
  for (const auto& [serial, base] : k_serials) {
    if (type == serial) {
      return base;
    }
  }
  return {};
}

const PgQuery__AlterTableStmt* live_alter(const Pass& pass, const Stmt& stmt, std::string& table) {
  if (stmt.node == nullptr || stmt.node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
      stmt.node->alter_table_stmt == nullptr) {
    return nullptr;
  }
  table = relation_name(stmt.node->alter_table_stmt->relation);
  return table.empty() || pass.is_new(table, stmt.index) ? nullptr : stmt.node->alter_table_stmt;
}

}  // namespace retort::lint
