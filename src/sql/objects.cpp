// Created objects and mentioned relations, from libpg_query's typed (protobuf) parse tree.
// The protobuf-c functions it needs are inside libpg_query; only protobuf-c's header is used.
#include "sql/objects.hpp"

#include "sql/tree.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <pg_query/pg_query.pb-c.h>
#include <string>
#include <utility>
#include <vector>

namespace retort::sql {
namespace {

// protobuf-c leaves absent strings as a shared empty string, but a null costs nothing to handle.
std::string text(const char* value) {
  return value == nullptr ? std::string() : std::string(value);
}

std::string qualify(const std::string& schema, const std::string& name) {
  return schema.empty() ? name : schema + "." + name;
}

std::string qualified(const PgQuery__RangeVar* relation) {
  return relation == nullptr ? std::string()
                             : qualify(text(relation->schemaname), text(relation->relname));
}

// A name written as a list of String nodes (a.b.c): the last item, and the one before it.
struct SchemaAndName {
  std::string schema;
  std::string name;
};

SchemaAndName from_names(std::size_t count, PgQuery__Node* const* items) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i] != nullptr && items[i]->node_case == PG_QUERY__NODE__NODE_STRING &&
        items[i]->string != nullptr) {
      parts.push_back(text(items[i]->string->sval));
    }
  }
  SchemaAndName result;
  if (!parts.empty()) {
    result.name = std::move(parts.back());
    parts.pop_back();
  }
  if (!parts.empty()) {
    result.schema = std::move(parts.back());
  }
  return result;
}

// A DROP or COMMENT ON object: a List of Strings for a qualified name, or one String.
SchemaAndName from_object(const PgQuery__Node* node) {
  if (node == nullptr) {
    return {};
  }
  if (node->node_case == PG_QUERY__NODE__NODE_LIST && node->list != nullptr) {
    return from_names(node->list->n_items, node->list->items);
  }
  if (node->node_case == PG_QUERY__NODE__NODE_STRING && node->string != nullptr) {
    return {{}, text(node->string->sval)};
  }
  return {};
}

bool is_relation(PgQuery__ObjectType type) {
  switch (type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
      return true;
    default:
      return false;
  }
}

// Collects what statements create. `default_schema` is the schema of an enclosing CREATE
// SCHEMA, which its unqualified elements belong to.
class Collector {
 public:
  explicit Collector(std::vector<CreatedObject>& out) : m_out(out) {}

  void statement(const PgQuery__Node* node, const std::string& default_schema = {}) {
    if (node == nullptr) {
      return;
    }
    m_default_schema = default_schema;
    switch (node->node_case) {
      case PG_QUERY__NODE__NODE_CREATE_STMT:
        create_table(node->create_stmt);
        break;
      case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
        if (node->create_foreign_table_stmt != nullptr) {
          create_table(node->create_foreign_table_stmt->base_stmt);
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        create_table_as(node->create_table_as_stmt);
        break;
      case PG_QUERY__NODE__NODE_SELECT_STMT:
        select_into(node->select_stmt);
        break;
      case PG_QUERY__NODE__NODE_INDEX_STMT:
        create_index(node->index_stmt);
        break;
      case PG_QUERY__NODE__NODE_REINDEX_STMT:
        reindex(node->reindex_stmt);
        break;
      case PG_QUERY__NODE__NODE_VIEW_STMT:
        if (node->view_stmt != nullptr) {
          add_relation(ObjectKind::view, node->view_stmt->view, false);
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        if (node->create_seq_stmt != nullptr) {
          add_relation(ObjectKind::sequence, node->create_seq_stmt->sequence,
                       node->create_seq_stmt->if_not_exists != 0);
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
        if (node->create_enum_stmt != nullptr) {
          add_named(ObjectKind::type, from_names(node->create_enum_stmt->n_type_name,
                                                 node->create_enum_stmt->type_name));
        }
        break;
      case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
        if (node->composite_type_stmt != nullptr) {
          add_relation(ObjectKind::type, node->composite_type_stmt->typevar, false);
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
        if (node->create_range_stmt != nullptr) {
          add_named(ObjectKind::type, from_names(node->create_range_stmt->n_type_name,
                                                 node->create_range_stmt->type_name));
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
        if (node->create_domain_stmt != nullptr) {
          add_named(ObjectKind::type, from_names(node->create_domain_stmt->n_domainname,
                                                 node->create_domain_stmt->domainname));
        }
        break;
      case PG_QUERY__NODE__NODE_DEFINE_STMT:
        // CREATE TYPE name (INPUT = ..., ...) and the shell type CREATE TYPE name.
        if (node->define_stmt != nullptr &&
            node->define_stmt->kind == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE) {
          add_named(ObjectKind::type,
                    from_names(node->define_stmt->n_defnames, node->define_stmt->defnames),
                    node->define_stmt->if_not_exists != 0);
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
        if (node->create_function_stmt != nullptr) {
          add_named(ObjectKind::function, from_names(node->create_function_stmt->n_funcname,
                                                     node->create_function_stmt->funcname));
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
        create_schema(node->create_schema_stmt);
        break;
      case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
        if (node->create_extension_stmt != nullptr) {
          add(ObjectKind::extension, {}, text(node->create_extension_stmt->extname)).if_not_exists =
              node->create_extension_stmt->if_not_exists != 0;
        }
        break;
      case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
        if (node->create_trig_stmt != nullptr) {
          add_member(ObjectKind::trigger, node->create_trig_stmt->relation,
                     text(node->create_trig_stmt->trigname));
        }
        break;
      case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        alter_table(node->alter_table_stmt);
        break;
      default:
        break;
    }
  }

 private:
  std::string schema_of(const std::string& written) const {
    return written.empty() ? m_default_schema : written;
  }

  CreatedObject& add(ObjectKind kind, std::string schema, std::string name,
                     std::string table = {}) {
    CreatedObject& object = m_out.emplace_back();
    object.kind = kind;
    object.schema = std::move(schema);
    object.name = std::move(name);
    object.table = std::move(table);
    return object;
  }

  void add_named(ObjectKind kind, SchemaAndName names, bool if_not_exists = false) {
    add(kind, schema_of(names.schema), std::move(names.name)).if_not_exists = if_not_exists;
  }

  void add_relation(ObjectKind kind, const PgQuery__RangeVar* relation, bool if_not_exists) {
    if (relation != nullptr) {
      add_named(kind, {text(relation->schemaname), text(relation->relname)}, if_not_exists);
    }
  }

  // An object that belongs to `relation`: it lives in the table's schema.
  CreatedObject& add_member(ObjectKind kind, const PgQuery__RangeVar* relation, std::string name) {
    std::string schema =
        schema_of(relation == nullptr ? std::string() : text(relation->schemaname));
    std::string table =
        relation == nullptr ? std::string() : qualify(schema, text(relation->relname));
    return add(kind, std::move(schema), std::move(name), std::move(table));
  }

  void create_table(const PgQuery__CreateStmt* stmt) {
    if (stmt != nullptr) {
      add_relation(ObjectKind::table, stmt->relation, stmt->if_not_exists != 0);
    }
  }

  void create_table_as(const PgQuery__CreateTableAsStmt* stmt) {
    if (stmt == nullptr || stmt->into == nullptr) {
      return;
    }
    if (stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW) {
      add_relation(ObjectKind::materialized_view, stmt->into->rel, stmt->if_not_exists != 0);
    } else if (stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
      add_relation(ObjectKind::table, stmt->into->rel, stmt->if_not_exists != 0);
    }
  }

  // SELECT ... INTO t: the raw tree keeps a SelectStmt, with the INTO on the leftmost arm of a
  // set operation (where PostgreSQL looks for it).
  void select_into(const PgQuery__SelectStmt* stmt) {
    while (stmt != nullptr && stmt->into_clause == nullptr) {
      stmt = stmt->larg;
    }
    if (stmt != nullptr) {
      add_relation(ObjectKind::table, stmt->into_clause->rel, false);
    }
  }

  void create_index(const PgQuery__IndexStmt* stmt) {
    if (stmt == nullptr) {
      return;
    }
    CreatedObject& index = add_member(ObjectKind::index, stmt->relation, text(stmt->idxname));
    index.if_not_exists = stmt->if_not_exists != 0;
    index.concurrently = stmt->concurrent != 0;
  }

  void reindex(const PgQuery__ReindexStmt* stmt) {
    if (stmt == nullptr || stmt->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX ||
        stmt->relation == nullptr ||
        !has_true_option(stmt->n_params, stmt->params, "concurrently")) {
      return;
    }
    add(ObjectKind::index, text(stmt->relation->schemaname), text(stmt->relation->relname))
        .concurrently = true;
  }

  void create_schema(const PgQuery__CreateSchemaStmt* stmt) {
    if (stmt == nullptr) {
      return;
    }
    std::string name = text(stmt->schemaname);
    // CREATE SCHEMA AUTHORIZATION joe names the schema after the role.
    if (name.empty() && stmt->authrole != nullptr &&
        stmt->authrole->roletype == PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING) {
      name = text(stmt->authrole->rolename);
    }
    add(ObjectKind::schema, {}, name).if_not_exists = stmt->if_not_exists != 0;
    for (std::size_t i = 0; i < stmt->n_schema_elts; ++i) {
      statement(stmt->schema_elts[i], name);
    }
  }

  void alter_table(const PgQuery__AlterTableStmt* stmt) {
    // ALTER TYPE ... ADD ATTRIBUTE is an AlterTableStmt too.
    if (stmt == nullptr || stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
      return;
    }
    for (std::size_t i = 0; i < stmt->n_cmds; ++i) {
      const PgQuery__Node* node = stmt->cmds[i];
      if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
          node->alter_table_cmd == nullptr || node->alter_table_cmd->def == nullptr) {
        continue;
      }
      const PgQuery__AlterTableCmd* cmd = node->alter_table_cmd;
      const PgQuery__Node* def = cmd->def;
      const bool add_column = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ||
                              cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse;
      const bool add_constraint =
          cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
          cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse;
      if (add_column && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
          def->column_def != nullptr) {
        CreatedObject& column =
            add_member(ObjectKind::column, stmt->relation, text(def->column_def->colname));
        column.if_not_exists = cmd->missing_ok != 0;
      } else if (add_constraint && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
                 def->constraint != nullptr) {
        CreatedObject& constraint =
            add_member(ObjectKind::constraint, stmt->relation, text(def->constraint->conname));
        constraint.not_valid = def->constraint->skip_validation != 0;
      }
    }
  }

  std::vector<CreatedObject>& m_out;
  std::string m_default_schema;
};

// The relation names one node of the tree carries. A statement that names an index or a new
// name beside a RangeVar also adds the RangeVar first, so that names come in the order written
// (the RangeVar's own visit is then a repeat).
void relation_names(const ProtobufCMessage* message, std::vector<std::string>& out) {
  const ProtobufCMessageDescriptor* type = message->descriptor;
  if (type == &pg_query__range_var__descriptor) {
    out.push_back(qualified(reinterpret_cast<const PgQuery__RangeVar*>(message)));
  } else if (type == &pg_query__index_stmt__descriptor) {
    const auto* stmt = reinterpret_cast<const PgQuery__IndexStmt*>(message);
    if (!text(stmt->idxname).empty()) {
      const std::string schema = stmt->relation == nullptr ? "" : text(stmt->relation->schemaname);
      out.push_back(qualify(schema, text(stmt->idxname)));
    }
  } else if (type == &pg_query__cluster_stmt__descriptor) {
    const auto* stmt = reinterpret_cast<const PgQuery__ClusterStmt*>(message);
    out.push_back(qualified(stmt->relation));  // before the index, as written
    if (!text(stmt->indexname).empty()) {
      const std::string schema = stmt->relation == nullptr ? "" : text(stmt->relation->schemaname);
      out.push_back(qualify(schema, text(stmt->indexname)));
    }
  } else if (type == &pg_query__alter_table_stmt__descriptor) {
    // Index names in clauses: CLUSTER ON, REPLICA IDENTITY USING INDEX, ADD ... USING INDEX.
    const auto* stmt = reinterpret_cast<const PgQuery__AlterTableStmt*>(message);
    const std::string schema = stmt->relation == nullptr ? "" : text(stmt->relation->schemaname);
    out.push_back(qualified(stmt->relation));
    for (std::size_t i = 0; i < stmt->n_cmds; ++i) {
      const PgQuery__Node* node = stmt->cmds[i];
      if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
          node->alter_table_cmd == nullptr) {
        continue;
      }
      const PgQuery__AlterTableCmd* cmd = node->alter_table_cmd;
      const PgQuery__Node* def = cmd->def;
      std::string index;
      if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn) {
        index = text(cmd->name);
      } else if (def != nullptr && def->node_case == PG_QUERY__NODE__NODE_REPLICA_IDENTITY_STMT &&
                 def->replica_identity_stmt != nullptr) {
        index = text(def->replica_identity_stmt->name);
      } else if (def != nullptr && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
                 def->constraint != nullptr) {
        index = text(def->constraint->indexname);
      }
      if (!index.empty()) {
        out.push_back(qualify(schema, index));
      }
    }
  } else if (type == &pg_query__drop_stmt__descriptor) {
    const auto* stmt = reinterpret_cast<const PgQuery__DropStmt*>(message);
    if (is_relation(stmt->remove_type)) {
      for (std::size_t i = 0; i < stmt->n_objects; ++i) {
        const SchemaAndName names = from_object(stmt->objects[i]);
        if (!names.name.empty()) {
          out.push_back(qualify(names.schema, names.name));
        }
      }
    }
  } else if (type == &pg_query__comment_stmt__descriptor) {
    const auto* stmt = reinterpret_cast<const PgQuery__CommentStmt*>(message);
    if (is_relation(stmt->objtype)) {
      const SchemaAndName names = from_object(stmt->object);
      if (!names.name.empty()) {
        out.push_back(qualify(names.schema, names.name));
      }
    }
  } else if (type == &pg_query__rename_stmt__descriptor) {
    const auto* stmt = reinterpret_cast<const PgQuery__RenameStmt*>(message);
    if (is_relation(stmt->rename_type) && stmt->relation != nullptr &&
        !text(stmt->newname).empty()) {
      out.push_back(qualified(stmt->relation));
      out.push_back(qualify(text(stmt->relation->schemaname), text(stmt->newname)));
    }
  } else if (type == &pg_query__alter_object_schema_stmt__descriptor) {
    const auto* stmt = reinterpret_cast<const PgQuery__AlterObjectSchemaStmt*>(message);
    if (is_relation(stmt->object_type) && stmt->relation != nullptr) {
      out.push_back(qualified(stmt->relation));
      out.push_back(qualify(text(stmt->newschema), text(stmt->relation->relname)));
    }
  }
}

template <typename T>
T field_at(const ProtobufCMessage* message, unsigned offset) {
  T value;
  std::memcpy(&value, reinterpret_cast<const char*>(message) + offset, sizeof value);
  return value;
}

// Every message of the tree, depth first in field order, from protobuf-c's descriptors: a
// walk that needs no list of PostgreSQL's ~250 node types. A loop, not recursion, so that a
// deeply nested expression cannot exhaust the stack.
template <typename Visit>
void walk(const ProtobufCMessage* root, Visit visit) {
  std::vector<const ProtobufCMessage*> pending{root};
  std::vector<const ProtobufCMessage*> children;
  while (!pending.empty()) {
    const ProtobufCMessage* message = pending.back();
    pending.pop_back();
    visit(message);
    children.clear();
    const ProtobufCMessageDescriptor* type = message->descriptor;
    for (unsigned i = 0; i < type->n_fields; ++i) {
      const ProtobufCFieldDescriptor& field = type->fields[i];
      if (field.type != PROTOBUF_C_TYPE_MESSAGE) {
        continue;
      }
      // Members of a oneof (Node's) share one place; only the one its case names is set.
      if ((field.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
          field_at<std::uint32_t>(message, field.quantifier_offset) != field.id) {
        continue;
      }
      if (field.label == PROTOBUF_C_LABEL_REPEATED) {
        const auto count = field_at<std::size_t>(message, field.quantifier_offset);
        const auto* items = field_at<const ProtobufCMessage* const*>(message, field.offset);
        for (std::size_t k = 0; k < count && items != nullptr; ++k) {
          if (items[k] != nullptr) {
            children.push_back(items[k]);
          }
        }
      } else if (const auto* child = field_at<const ProtobufCMessage*>(message, field.offset);
                 child != nullptr) {
        children.push_back(child);
      }
    }
    pending.insert(pending.end(), children.rbegin(), children.rend());
  }
}

}  // namespace

std::vector<CreatedObject> created_objects(std::string_view statement) {
  std::vector<CreatedObject> objects;
  const Tree tree = parse_tree(statement);
  if (tree == nullptr) {
    return objects;
  }
  Collector collector(objects);
  for (std::size_t i = 0; i < tree->n_stmts; ++i) {
    if (tree->stmts[i] != nullptr) {
      collector.statement(tree->stmts[i]->stmt);
    }
  }
  return objects;
}

std::vector<std::string> mentioned_relations(std::string_view statement) {
  std::vector<std::string> names;
  const Tree tree = parse_tree(statement);
  if (tree == nullptr) {
    return names;
  }
  std::vector<std::string> found;
  walk(&tree->base, [&found](const ProtobufCMessage* message) { relation_names(message, found); });
  for (std::string& name : found) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  }
  return names;
}

std::string_view kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::table:
      return "table";
    case ObjectKind::index:
      return "index";
    case ObjectKind::view:
      return "view";
    case ObjectKind::materialized_view:
      return "materialized view";
    case ObjectKind::sequence:
      return "sequence";
    case ObjectKind::type:
      return "type";
    case ObjectKind::function:
      return "function";
    case ObjectKind::schema:
      return "schema";
    case ObjectKind::extension:
      return "extension";
    case ObjectKind::column:
      return "column";
    case ObjectKind::constraint:
      return "constraint";
    case ObjectKind::trigger:
      return "trigger";
  }
  return "object";
}

std::string describe(const CreatedObject& object) {
  const std::string kind(kind_name(object.kind));
  const bool of_table = object.kind == ObjectKind::column ||
                        object.kind == ObjectKind::constraint || object.kind == ObjectKind::trigger;
  if (object.name.empty()) {
    return object.table.empty() ? "unnamed " + kind : "unnamed " + kind + " on " + object.table;
  }
  if (of_table && !object.table.empty()) {
    return kind + " " + object.table + "." + object.name;
  }
  return kind + " " + qualify(object.schema, object.name);
}

}  // namespace retort::sql
