// doctor: what a concurrent index build or a NOT VALID constraint left in the schema
// (PostgreSQL): INVALID indexes, which queries do not use but every write keeps up to date,
// and constraints that do not yet hold for the rows written before them.
#include "ops/doctor/doctor.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

namespace retort::ops::doctor {

namespace {

constexpr std::string_view k_user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";

std::string qualified(const std::string& schema, const std::string& name) {
  return runner::quote_identifier(schema) + "." + runner::quote_identifier(name);
}

bool made_by_partial(runner::Ledger& ledger, const std::string& made) {
  for (const runner::LedgerRow& row : ledger.unfinished()) {
    if (made.starts_with(row.entry.revision)) {
      return true;
    }
  }
  return false;
}

}  // namespace

void check_invalid_objects(Context& context, Findings& findings) {
  if (!context.postgres()) {
    return;
  }
  const driver::Rows indexes = context.db.query(
      fmt::format("SELECT n.nspname, c.relname, t.relname FROM pg_index i JOIN pg_class c ON "
                  "c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN "
                  "pg_class t ON t.oid = i.indrelid WHERE NOT i.indisvalid AND {} ORDER BY 1, 2",
                  k_user_schemas));
  for (const auto& row : indexes.rows) {
    const std::string schema = row[0].value_or("");
    const std::string name = row[1].value_or("");
    const std::string made = made_by(context.ledger, name);
    const std::string index = qualified(schema, name);
    findings.push_back(
        {"invalid-index", "error",
         fmt::format("index {} on {} is INVALID{}: a concurrent build failed or was "
                     "interrupted; queries do not use it, but every write still updates it",
                     index, qualified(schema, row[2].value_or("")),
                     made.empty() ? std::string() : ", made by " + made),
         !made.empty() && made_by_partial(context.ledger, made)
             ? std::string("retort upgrade --resume   (drops it and builds it again)")
             : fmt::format("REINDEX INDEX CONCURRENTLY {};   (or DROP INDEX CONCURRENTLY {};)",
                           index, index),
         false});
  }
  const driver::Rows constraints = context.db.query(fmt::format(
      "SELECT n.nspname, t.relname, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = "
      "c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE NOT c.convalidated AND "
      "{} ORDER BY 1, 2, 3",
      k_user_schemas));
  for (const auto& row : constraints.rows) {
    const std::string table = qualified(row[0].value_or(""), row[1].value_or(""));
    const std::string name = row[2].value_or("");
    const std::string made = made_by(context.ledger, table);
    findings.push_back(
        {"not-valid-constraint", "warning",
         fmt::format("constraint {} on {} is NOT VALID{}: rows written before it was added are "
                     "not checked",
                     runner::quote_identifier(name), table,
                     made.empty() ? std::string() : ", made by " + made),
         fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {};   (takes SHARE UPDATE EXCLUSIVE: "
                     "reads and writes go on; put it in a migration of its own)",
                     table, runner::quote_identifier(name)),
         false});
  }
}

}  // namespace retort::ops::doctor
