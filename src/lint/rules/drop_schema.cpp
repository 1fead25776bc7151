// PG206 drop-schema: DROP SCHEMA ... CASCADE takes every table, view and function in the
// schema with it; without CASCADE it fails unless the schema is empty, which is not reported.
// A schema created earlier in the migration is not reported either.
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

bool created_earlier(const Pass& pass, const Stmt& stmt, const std::string& schema) {
  for (const Stmt& earlier : pass.statements()) {
    if (earlier.index >= stmt.index) {
      break;
    }
    if (earlier.node != nullptr &&
        earlier.node->node_case == PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT &&
        earlier.node->create_schema_stmt != nullptr &&
        earlier.node->create_schema_stmt->schemaname != nullptr &&
        schema == earlier.node->create_schema_stmt->schemaname) {
      return true;
    }
  }
  return false;
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_DROP_STMT || stmt.node->drop_stmt == nullptr ||
      stmt.node->drop_stmt->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA ||
      stmt.node->drop_stmt->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
    return;
  }
  for (const std::string& schema : dropped_names(stmt.node->drop_stmt)) {
    if (created_earlier(pass, stmt, schema)) {
      continue;
    }
    report.add(
        stmt, -1,
        fmt::format("DROP SCHEMA {} CASCADE deletes every table in it, with their data", schema),
        "CASCADE drops every object of the schema without listing them: tables and their "
        "rows, views, functions, and whatever elsewhere depends on them",
        fmt::format("drop the tables you mean one by one (each a PG203 to accept), then "
                    "the empty schema without CASCADE:\n    DROP SCHEMA {};",
                    quote_identifier(schema)));
  }
}

}  // namespace

const Rule k_drop_schema{"PG206", "drop-schema", Level::error,
                         "DROP SCHEMA: every table in it is gone with its data", check};

}  // namespace retort::lint
