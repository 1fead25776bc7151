// doctor: what a concurrent index build or a NOT VALID constraint left in the schema
// (PostgreSQL): INVALID indexes, which queries do not use but every write keeps up to date,
// and constraints that do not yet hold for the rows written before them.
#include "base/identifier.hpp"
#include "ops/doctor/doctor.hpp"
#include "runner/runner.hpp"

#include <fmt/format.h>

namespace retort::ops::doctor {

namespace {

constexpr std::string_view k_user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";

std::string qualified(const std::string& schema, const std::string& name) {
  return base::quote_qualified(schema, name, base::Dialect::postgres);
}

// The fix for an INVALID index that an unfinished `transaction false` run made: the next run
// (resumed when statements before it ran) drops and builds it again.
std::string rerun_fix(Context& context, const std::string& made) {
  for (const runner::LedgerRow& row : context.ledger.unfinished()) {
    const script::Migration* migration = context.scripts.find(row.entry.revision);
    if (!made.starts_with(row.entry.revision) || migration == nullptr || migration->transactional) {
      continue;
    }
    return row.entry.statements_done > 0
               ? runner::partial_command(row.entry.direction, "--resume") +
                     "   (drops it and builds it again)"
               : "retort " + std::string(to_string(row.entry.direction)) +
                     (row.entry.direction == Direction::downgrade ? " TARGET" : "") +
                     "   (the next run of " + row.entry.revision + " drops it and builds it again)";
  }
  return {};
}

}  // namespace

void check_invalid_objects(Context& context, Findings& findings) {
  if (!context.postgres()) {
    return;
  }
  // An index still being built (by a runner that was killed, whose statement runs on) is
  // INVALID until the build ends: say so, rather than call it left behind.
  const driver::Rows indexes = context.db.query(fmt::format(
      "SELECT n.nspname, c.relname, t.relname, (SELECT p.pid::text FROM "
      "pg_stat_progress_create_index p WHERE p.index_relid = c.oid LIMIT 1) FROM pg_index i JOIN "
      "pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN "
      "pg_class t ON t.oid = i.indrelid WHERE NOT i.indisvalid AND {} ORDER BY 1, 2",
      k_user_schemas));
  for (const auto& row : indexes.rows) {
    const std::string schema = row[0].value_or("");
    const std::string name = row[1].value_or("");
    if (row[3].has_value()) {
      findings.push_back(
          {"index-being-built", DoctorLevel::info,
           fmt::format("index {} is being built now by server pid {}; it is INVALID until the "
                       "build ends",
                       qualified(schema, name), *row[3]),
           fmt::format("wait for it, or end it with SELECT pg_terminate_backend({});", *row[3]),
           false});
      continue;
    }
    const std::string made = made_by(context.ledger, name);
    const std::string index = qualified(schema, name);
    findings.push_back(
        {"invalid-index", DoctorLevel::error,
         fmt::format("index {} on {} is INVALID{}: a concurrent build failed or was "
                     "interrupted; queries do not use it, but every write still updates it",
                     index, qualified(schema, row[2].value_or("")),
                     made.empty() ? std::string() : ", made by " + made),
         made.empty() || rerun_fix(context, made).empty()
             ? fmt::format("REINDEX INDEX CONCURRENTLY {};   (or DROP INDEX CONCURRENTLY {};)",
                           index, index)
             : rerun_fix(context, made),
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
        {"not-valid-constraint", DoctorLevel::warning,
         fmt::format("constraint {} on {} is NOT VALID{}: rows written before it was added are "
                     "not checked",
                     base::quote_identifier(name, base::Dialect::postgres), table,
                     made.empty() ? std::string() : ", made by " + made),
         fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {};   (takes SHARE UPDATE EXCLUSIVE: "
                     "reads and writes go on; put it in a migration of its own)",
                     table, base::quote_identifier(name, base::Dialect::postgres)),
         false});
  }
}

}  // namespace retort::ops::doctor
