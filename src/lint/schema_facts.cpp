// Lint's view of the schema model: types compared as the rules read them off the tree, and the
// model advanced statement by statement.
#include "lint/schema_facts.hpp"

#include "base/text.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <utility>

namespace retort::lint {
namespace {

// format_type's words for the types whose tree name differs: the tree says "int4", the
// catalog "integer".
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> k_catalog_words = {{
    {"varchar", "character varying"},
    {"bpchar", "character"},
    {"varbit", "bit varying"},
    {"int4", "integer"},
    {"int8", "bigint"},
    {"int2", "smallint"},
    {"timestamp", "timestamp without time zone"},
    {"timestamptz", "timestamp with time zone"},
    {"time", "time without time zone"},
    {"timetz", "time with time zone"},
    {"float8", "double precision"},
    {"float4", "real"},
    {"bool", "boolean"},
}};

template <typename T>
std::span<T* const> items(T* const* list, std::size_t count) {
  return list == nullptr ? std::span<T* const>() : std::span<T* const>(list, count);
}

// The key the model files a table under: "schema.name"; an unqualified name is public's, the
// schema of a default search_path.
std::string table_key(std::string_view name) {
  return name.find('.') == std::string_view::npos ? "public." + std::string(name)
                                                  : std::string(name);
}

// find_table for a schema const or not.
template <typename SchemaT>
auto* lookup(SchemaT& schema, std::string_view name) {
  decltype(&schema.tables.begin()->second) only = nullptr;
  if (name.empty()) {
    return only;
  }
  if (const auto found = schema.tables.find(table_key(name)); found != schema.tables.end()) {
    return &found->second;
  }
  if (name.find('.') != std::string_view::npos) {
    return only;
  }
  for (auto& [key, table] : schema.tables) {
    if (table.name == name) {
      if (only != nullptr) {
        // In two schemas: which one the search_path finds is not known here.
        return decltype(only)(nullptr);
      }
      only = &table;
    }
  }
  return only;
}

schema::Table* find_mutable(schema::Schema& schema, std::string_view name) {
  return lookup(schema, name);
}

schema::Column column_of(const std::string& name, const PgQuery__ColumnDef* definition) {
  schema::Column column;
  column.name = name;
  column.ident = quote_identifier(name);
  column.type = catalog_type(definition != nullptr ? definition->type_name : nullptr);
  column.not_null = definition != nullptr && definition->is_not_null;
  for (const PgQuery__Constraint* constraint : column_constraints(definition)) {
    if (constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL ||
        constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) {
      column.not_null = true;
    }
  }
  return column;
}

// A constraint as the model keeps it. The definition is pg_get_constraintdef's shape only for a
// CHECK (col IS NOT NULL), the one the rules read back; the rest are named by kind.
std::pair<std::string, schema::Constraint> constraint_for(const schema::Table& table,
                                                          const PgQuery__Constraint& constraint,
                                                          std::string_view column) {
  schema::Constraint out;
  std::string suffix;
  std::string first_column(column);
  switch (constraint.contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: {
      out.type = 'c';
      suffix = "check";
      const std::string checked = not_null_column(constraint.raw_expr);
      out.definition = checked.empty() ? std::string("CHECK (...)")
                                       : "CHECK ((" + quote_identifier(checked) + " IS NOT NULL))";
      if (first_column.empty()) {
        first_column = checked;
      }
      break;
    }
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
      out.type = 'p';
      suffix = "pkey";
      first_column.clear();
      break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
      out.type = 'u';
      suffix = "key";
      break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
      out.type = 'f';
      suffix = "fkey";
      if (first_column.empty() && constraint.n_fk_attrs > 0) {
        first_column = string_of(constraint.fk_attrs[0]);
      }
      break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
      out.type = 'x';
      suffix = "excl";
      break;
    default:
      return {};
  }
  if (constraint.contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE && first_column.empty() &&
      constraint.n_keys > 0) {
    first_column = string_of(constraint.keys[0]);
  }
  // PostgreSQL's name for an unnamed one: table, first column, kind.
  out.name = constraint.conname != nullptr && constraint.conname[0] != '\0'
                 ? std::string(constraint.conname)
                 : table.name + (first_column.empty() ? "" : "_" + first_column) + "_" + suffix;
  out.ident = quote_identifier(out.name);
  out.validated = !constraint.skip_validation;
  return {out.name, out};
}

void add_constraint(schema::Table& table, const PgQuery__Constraint& constraint,
                    std::string_view column, bool validated) {
  auto [name, added] = constraint_for(table, constraint, column);
  if (name.empty()) {
    return;
  }
  added.validated = validated && added.validated;
  if (added.type == 'p') {
    for (const PgQuery__Node* key : items(constraint.keys, constraint.n_keys)) {
      for (schema::Column& each : table.columns) {
        if (each.name == string_of(key)) {
          each.not_null = true;
        }
      }
    }
  }
  table.constraints[name] = std::move(added);
}

void create_table(schema::Schema& schema, const PgQuery__CreateStmt& create) {
  const std::string name = relation_name(create.relation);
  if (name.empty() || find_table(schema, name) != nullptr) {
    return;  // IF NOT EXISTS, or a name lint cannot place: the model keeps what it had
  }
  const std::string key = table_key(name);
  schema::Table table;
  table.schema = key.substr(0, key.rfind('.'));
  table.name = key.substr(key.rfind('.') + 1);
  table.ident = quote_qualified(name);
  table.partitioned = create.partspec != nullptr;
  table.unlogged = create.relation != nullptr && create.relation->relpersistence != nullptr &&
                   std::string_view(create.relation->relpersistence) == "u";
  if (create.partbound != nullptr && create.n_inh_relations > 0 &&
      create.inh_relations[0] != nullptr &&
      create.inh_relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
    const std::string parent = relation_name(create.inh_relations[0]->range_var);
    table.partition_of = quote_qualified(parent);
    // A partition has its parent's columns.
    if (const schema::Table* from = find_table(schema, parent)) {
      table.columns = from->columns;
    }
  }
  for (const PgQuery__Node* element : items(create.table_elts, create.n_table_elts)) {
    if (element == nullptr) {
      continue;
    }
    if (element->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && element->column_def != nullptr &&
        element->column_def->colname != nullptr) {
      const PgQuery__ColumnDef* definition = element->column_def;
      table.columns.push_back(column_of(definition->colname, definition));
      for (const PgQuery__Constraint* constraint : column_constraints(definition)) {
        add_constraint(table, *constraint, definition->colname, true);
      }
    } else if (const PgQuery__Constraint* constraint = constraint_of(element)) {
      // A new table is empty: its constraints hold, NOT VALID or not.
      add_constraint(table, *constraint, "", true);
    }
  }
  schema.tables[key] = std::move(table);
}

void alter_table(schema::Schema& schema, const PgQuery__AlterTableStmt& alter) {
  schema::Table* table = find_mutable(schema, relation_name(alter.relation));
  if (table == nullptr) {
    return;
  }
  const auto column_named = [table](const char* name) -> schema::Column* {
    if (name == nullptr) {
      return nullptr;
    }
    const auto found =
        std::find_if(table->columns.begin(), table->columns.end(),
                     [name](const schema::Column& column) { return column.name == name; });
    return found == table->columns.end() ? nullptr : &*found;
  };
  for (const PgQuery__AlterTableCmd* command : alter_commands(&alter)) {
    switch (command->subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        if (command->def != nullptr && command->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
            command->def->column_def != nullptr && command->def->column_def->colname != nullptr &&
            column_named(command->def->column_def->colname) == nullptr) {
          const PgQuery__ColumnDef* definition = command->def->column_def;
          table->columns.push_back(column_of(definition->colname, definition));
          for (const PgQuery__Constraint* constraint : column_constraints(definition)) {
            add_constraint(*table, *constraint, definition->colname, true);
          }
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        if (schema::Column* column = column_named(command->name);
            column != nullptr && command->def != nullptr &&
            command->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
            command->def->column_def != nullptr) {
          column->type = catalog_type(command->def->column_def->type_name);
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
        std::erase_if(table->columns, [command](const schema::Column& column) {
          return command->name != nullptr && column.name == command->name;
        });
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        if (schema::Column* column = column_named(command->name)) {
          column->not_null = command->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull;
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
        if (const PgQuery__Constraint* constraint = constraint_of(command->def)) {
          add_constraint(*table, *constraint, "", true);
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
        if (command->name != nullptr) {
          if (const auto found = table->constraints.find(command->name);
              found != table->constraints.end()) {
            found->second.validated = true;
          }
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
        if (command->name != nullptr) {
          table->constraints.erase(command->name);
        }
        break;
      default:
        break;
    }
  }
}

void rename(schema::Schema& schema, const PgQuery__RenameStmt& rename) {
  const std::string name = relation_name(rename.relation);
  if (rename.newname == nullptr || name.empty()) {
    return;
  }
  const schema::Table* found = find_table(schema, name);
  if (found == nullptr) {
    return;
  }
  if (rename.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
    schema::Table table = *found;
    schema.tables.erase(table.schema + "." + table.name);
    table.name = rename.newname;
    table.ident = quote_qualified(table.schema + "." + table.name);
    schema.tables[table.schema + "." + table.name] = std::move(table);
  } else if (rename.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
             rename.subname != nullptr) {
    for (schema::Column& column : find_mutable(schema, name)->columns) {
      if (column.name == rename.subname) {
        column.name = rename.newname;
        column.ident = quote_identifier(column.name);
      }
    }
  }
}

}  // namespace

TypeFacts catalog_type_facts(std::string_view format_type) {
  TypeFacts out;
  std::string text(base::trim(format_type));
  while (text.size() > 2 && text.ends_with("[]")) {
    out.array = true;
    text.resize(text.size() - 2);
  }
  // The modifiers, wherever they stand: "numeric(10,2)", "timestamp(3) with time zone".
  if (const std::size_t open = text.find('('); open != std::string::npos) {
    const std::size_t close = text.find(')', open);
    if (close != std::string::npos) {
      std::string_view mods(text.data() + open + 1, close - open - 1);
      while (!mods.empty()) {
        const std::size_t comma = mods.find(',');
        const std::string_view part = base::trim(mods.substr(0, comma));
        int value = 0;
        if (std::from_chars(part.data(), part.data() + part.size(), value).ec == std::errc()) {
          out.mods.push_back(value);
        }
        mods = comma == std::string_view::npos ? std::string_view() : mods.substr(comma + 1);
      }
      text = std::string(base::trim(text.substr(0, open))) + text.substr(close + 1);
    }
  }
  if (text.starts_with("pg_catalog.")) {
    text = text.substr(11);
  }
  out.name = text;
  for (const auto& [internal, words] : k_catalog_words) {
    if (text == words) {
      out.name = std::string(internal);
    }
  }
  if (out.name.find(' ') == std::string::npos && out.name.find('.') != std::string::npos) {
    out.name = unqualified(out.name);  // a user's type, schema-qualified by the catalog
  }
  return out;
}

std::string catalog_type(const PgQuery__TypeName* type) {
  std::string name = type_name(type);
  if (const std::string_view serial = serial_base(name); !serial.empty()) {
    name = std::string(serial);
  }
  std::string words = name;
  for (const auto& [internal, spoken] : k_catalog_words) {
    if (name == internal) {
      words = std::string(spoken);
    }
  }
  std::string mods;
  for (const int mod : type_modifiers(type)) {
    mods += (mods.empty() ? "(" : ",") + std::to_string(mod);
  }
  if (!mods.empty()) {
    mods += ")";
    // The precision of a time type stands before "with(out) time zone".
    const std::size_t zone = words.find(" with");
    words = zone == std::string::npos ? words + mods
                                      : words.substr(0, zone) + mods + words.substr(zone);
  }
  return is_array(type) ? words + "[]" : words;
}

const schema::Table* find_table(const schema::Schema& schema, std::string_view name) {
  return lookup(schema, name);
}

const schema::Column* find_column(const schema::Table& table, std::string_view column) {
  const auto found =
      std::find_if(table.columns.begin(), table.columns.end(),
                   [column](const schema::Column& each) { return each.name == column; });
  return found == table.columns.end() ? nullptr : &*found;
}

std::string not_null_column(const PgQuery__Node* expr) {
  if (expr == nullptr || expr->node_case != PG_QUERY__NODE__NODE_NULL_TEST ||
      expr->null_test == nullptr ||
      expr->null_test->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL) {
    return {};
  }
  const PgQuery__Node* arg = expr->null_test->arg;
  if (arg == nullptr || arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
      arg->column_ref == nullptr || arg->column_ref->n_fields == 0) {
    return {};
  }
  return std::string(string_of(arg->column_ref->fields[arg->column_ref->n_fields - 1]));
}

bool validated_not_null_check(const schema::Table& table, std::string_view column) {
  for (const auto& [name, constraint] : table.constraints) {
    if (constraint.type != 'c' || !constraint.validated) {
      continue;
    }
    // The catalog's definition, read back through the parser: quoting and parentheses as the
    // server wrote them.
    const sql::Tree tree = sql::parse_tree("ALTER TABLE t ADD " + constraint.definition);
    const PgQuery__ParseResult* parsed = tree.get();
    if (parsed == nullptr || parsed->n_stmts == 0 || parsed->stmts[0] == nullptr ||
        parsed->stmts[0]->stmt == nullptr ||
        parsed->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) {
      continue;
    }
    for (const PgQuery__AlterTableCmd* command :
         alter_commands(parsed->stmts[0]->stmt->alter_table_stmt)) {
      const PgQuery__Constraint* check = constraint_of(command->def);
      if (check != nullptr && not_null_column(check->raw_expr) == column) {
        return true;
      }
    }
  }
  return false;
}

namespace {

// The table a statement writes rows to (INSERT, COPY ... FROM, UPDATE, MERGE), qualified as
// written; empty for anything else. A DELETE leaves an empty table empty.
std::string rows_written(const PgQuery__Node* statement) {
  switch (statement->node_case) {
    case PG_QUERY__NODE__NODE_INSERT_STMT:
      return statement->insert_stmt ? relation_name(statement->insert_stmt->relation) : "";
    case PG_QUERY__NODE__NODE_COPY_STMT:
      return statement->copy_stmt && statement->copy_stmt->is_from
                 ? relation_name(statement->copy_stmt->relation)
                 : "";
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
    case PG_QUERY__NODE__NODE_MERGE_STMT:
      return data_change_target(statement);
    default:
      return {};
  }
}

}  // namespace

std::optional<RowEvidence> row_evidence(const schema::Table& table) {
  if (table.has_rows == false) {
    return RowEvidence{
        true, fmt::format("the database has no row in {}: SELECT EXISTS found none when lint "
                          "read it",
                          table.ident)};
  }
  if (table.row_estimate > 0 && table.row_estimate <= k_small_table_rows) {
    return RowEvidence{
        false, fmt::format("the database's statistics estimate {:.0f} row{} in {} "
                           "(pg_class.reltuples, as of its last VACUUM or ANALYZE)",
                           table.row_estimate, table.row_estimate < 1.5 ? "" : "s", table.ident)};
  }
  return std::nullopt;
}

void advance(schema::Schema& schema, const PgQuery__Node* statement) {
  if (statement == nullptr) {
    return;
  }
  if (const std::string written = rows_written(statement); !written.empty()) {
    if (const schema::Table* table = find_table(schema, written)) {
      schema::Table& changed = schema.tables.at(table->schema + "." + table->name);
      changed.has_rows.reset();
      changed.row_estimate = -1;
    }
  }
  switch (statement->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      if (statement->create_stmt != nullptr) {
        create_table(schema, *statement->create_stmt);
      }
      break;
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      if (statement->alter_table_stmt != nullptr &&
          statement->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        alter_table(schema, *statement->alter_table_stmt);
      }
      break;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      if (statement->rename_stmt != nullptr) {
        rename(schema, *statement->rename_stmt);
      }
      break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
      if (statement->drop_stmt != nullptr &&
          statement->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        for (const std::string& name : dropped_names(statement->drop_stmt)) {
          if (const schema::Table* table = find_table(schema, name)) {
            schema.tables.erase(table->schema + "." + table->name);
          }
        }
      }
      break;
    default:
      break;
  }
}

}  // namespace retort::lint
