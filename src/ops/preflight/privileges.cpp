// preflight: the role may create what the run creates. retort creates its version table and
// ledger in the version table's schema when they are missing, and the pending steps create
// tables, views, sequences, types and functions in theirs (unqualified: the current schema);
// without CREATE on such a schema (PostgreSQL 15 no longer grants it on public to everyone) the
// run fails at once with "permission denied for schema". A new schema needs CREATE on the
// database. Objects in a schema the plan itself creates are the role's own.
#include "base/identifier.hpp"
#include "base/text.hpp"
#include "ops/preflight/preflight.hpp"
#include "runner/version_table.hpp"
#include "sql/objects.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace retort::ops::preflight {

namespace {

bool in_a_schema(sql::ObjectKind kind) {
  switch (kind) {
    case sql::ObjectKind::table:
    case sql::ObjectKind::view:
    case sql::ObjectKind::materialized_view:
    case sql::ObjectKind::sequence:
    case sql::ObjectKind::type:
    case sql::ObjectKind::function:
      return true;
    default:
      return false;
  }
}

void add_once(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) {
    list.push_back(item);
  }
}

}  // namespace

void check_privileges(Context& context, Checks& checks) {
  const driver::Rows rows = context.db.query(
      "SELECT coalesce(current_schema(), ''), current_user, current_database(), "
      "has_database_privilege(current_database(), 'CREATE')::text");
  const auto& row = rows.rows.at(0);
  const std::string current_schema = row[0].value_or("");
  const std::string role = row[1].value_or("?");
  const std::string database = row[2].value_or("?");
  const bool may_create_schemas = row[3].value_or("") == "true";

  // What the run creates, by schema: why it needs CREATE there.
  std::map<std::string, std::vector<std::string>> needs;
  std::vector<std::string> new_schemas;  // the plan's CREATE SCHEMA, by revision
  std::vector<std::string> created_schemas;
  const std::string version_schema = context.config.version_table_schema.empty()
                                         ? current_schema
                                         : context.config.version_table_schema;
  runner::VersionTable versions(&context.db, context.config.version_table,
                                context.config.version_table_schema);
  // With nothing pending, upgrade creates nothing, not even its own tables.
  if (!context.plan.steps.empty() && !versions.exists()) {
    add_once(needs[version_schema], "the version table " + context.config.version_table);
  }
  if (!context.plan.steps.empty() && !context.ledger.exists()) {
    add_once(needs[version_schema], "the ledger retort_log");
  }
  each_statement(
      context.scripts, context.plan, base::Dialect::postgres,
      [&](const graph::Step& step, const script::Statement& statement) {
        for (const sql::CreatedObject& object : sql::created_objects(statement.sql)) {
          if (object.kind == sql::ObjectKind::schema) {
            created_schemas.push_back(object.name);
            add_once(new_schemas, fmt::format("schema {} ({})", object.name, step.revision));
          } else if (in_a_schema(object.kind)) {
            const std::string schema = object.schema.empty() ? current_schema : object.schema;
            add_once(needs[schema], fmt::format("{} ({})", sql::describe(object), step.revision));
          }
        }
      });

  std::vector<std::string> refused;
  std::vector<std::string> grants;
  std::vector<std::string> allowed;
  if (!new_schemas.empty() && !may_create_schemas) {
    refused.push_back(fmt::format("database {}, where the run creates {}", database,
                                  base::join(new_schemas, ", ")));
    grants.push_back(fmt::format("GRANT CREATE ON DATABASE {} TO {};",
                                 base::quote_identifier(database, base::Dialect::postgres),
                                 base::quote_identifier(role, base::Dialect::postgres)));
  }
  for (const auto& [schema, why] : needs) {
    if (schema.empty() || std::find(created_schemas.begin(), created_schemas.end(), schema) !=
                              created_schemas.end()) {
      continue;  // no schema on the search_path (the run says so), or one the plan creates
    }
    const std::array<driver::Value, 1> params{schema};
    const driver::Rows found = context.db.query(
        "SELECT has_schema_privilege(oid, 'CREATE')::text FROM pg_namespace WHERE nspname = $1",
        params);
    if (found.empty()) {
      continue;  // a missing schema is the run's own error, with the server's words
    }
    if (found.rows[0][0].value_or("") == "true") {
      allowed.push_back(schema);
      continue;
    }
    refused.push_back(
        fmt::format("schema {}, where the run creates {}", schema, base::join(why, ", ")));
    grants.push_back(fmt::format("GRANT CREATE ON SCHEMA {} TO {};",
                                 base::quote_identifier(schema, base::Dialect::postgres),
                                 base::quote_identifier(role, base::Dialect::postgres)));
  }
  if (!refused.empty()) {
    checks.push_back(
        {"privileges", CheckStatus::fail,
         fmt::format("role {} may not create in {}: the run would fail at once (permission "
                     "denied)",
                     role, base::join(refused, "; ")),
         fmt::format("as the owner or a superuser: {} (or point the URL at a role that may "
                     "create there)",
                     base::join(grants, " "))});
    return;
  }
  if (allowed.empty() && new_schemas.empty()) {
    checks.push_back({"privileges", CheckStatus::pass,
                      "nothing to create: retort's tables exist and no pending step creates a "
                      "table, view, sequence, type, function or schema",
                      ""});
    return;
  }
  std::vector<std::string> where;
  for (const std::string& schema : allowed) {
    where.push_back("schema " + schema);
  }
  if (!new_schemas.empty()) {
    where.push_back("database " + database);
  }
  checks.push_back(
      {"privileges", CheckStatus::pass,
       fmt::format("role {} may create where the run creates: {}", role, base::join(where, ", ")),
       ""});
}

}  // namespace retort::ops::preflight
