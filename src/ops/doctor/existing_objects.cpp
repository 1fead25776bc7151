// doctor: the next migration's objects that exist already. All of them: a hand fix that was
// never stamped; some: the migration will fail on the first. Objects the statement creates
// with IF NOT EXISTS, and unnamed ones, are left out.
#include "base/identifier.hpp"
#include "base/text.hpp"
#include "ops/doctor/doctor.hpp"
#include "runner/runner.hpp"
#include "sql/objects.hpp"

#include <fmt/format.h>

#include <array>

namespace retort::ops::doctor {

namespace {

std::string quoted(const std::string& schema, const std::string& name) {
  return base::quote_qualified(schema, name, base::Dialect::postgres);
}

// The table of a column or constraint, as written ("ops.accounts"), quoted for to_regclass.
std::string quoted_table(const std::string& table) {
  const std::size_t dot = table.find('.');
  return dot == std::string::npos ? quoted("", table)
                                  : quoted(table.substr(0, dot), table.substr(dot + 1));
}

bool exists_postgres(driver::Connection& db, const sql::CreatedObject& object) {
  using Kind = sql::ObjectKind;
  const auto any = [&db](std::string_view sql, std::span<const driver::Value> params) {
    return !db.query(sql, params).empty();
  };
  switch (object.kind) {
    case Kind::table:
    case Kind::index:
    case Kind::view:
    case Kind::materialized_view:
    case Kind::sequence: {
      const std::array<driver::Value, 1> params{quoted(object.schema, object.name)};
      return any("SELECT 1 WHERE to_regclass($1) IS NOT NULL", params);
    }
    case Kind::type: {
      const std::array<driver::Value, 1> params{quoted(object.schema, object.name)};
      return any("SELECT 1 WHERE to_regtype($1) IS NOT NULL", params);
    }
    case Kind::schema: {
      const std::array<driver::Value, 1> params{object.name};
      return any("SELECT 1 FROM pg_namespace WHERE nspname = $1", params);
    }
    case Kind::extension: {
      const std::array<driver::Value, 1> params{object.name};
      return any("SELECT 1 FROM pg_extension WHERE extname = $1", params);
    }
    case Kind::column: {
      const std::array<driver::Value, 2> params{quoted_table(object.table), object.name};
      return any(
          "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND "
          "NOT attisdropped",
          params);
    }
    case Kind::constraint: {
      const std::array<driver::Value, 2> params{quoted_table(object.table), object.name};
      return any("SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2",
                 params);
    }
    case Kind::trigger: {
      const std::array<driver::Value, 2> params{quoted_table(object.table), object.name};
      return any("SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2",
                 params);
    }
    case Kind::function:
      return false;  // CREATE OR REPLACE is the usual form, and overloads make it ambiguous
  }
  return false;
}

bool exists_sqlite(driver::Connection& db, const sql::CreatedObject& object) {
  using Kind = sql::ObjectKind;
  if (object.kind != Kind::table && object.kind != Kind::index && object.kind != Kind::view &&
      object.kind != Kind::trigger) {
    return false;
  }
  const std::array<driver::Value, 1> params{object.name};
  return !db.query("SELECT 1 FROM sqlite_master WHERE name = $1", params).empty();
}

}  // namespace

void check_existing_objects(Context& context, Findings& findings) {
  const graph::RevisionMap& map = context.scripts.map();
  std::vector<std::string> known;
  for (const std::string& row : context.version_rows) {
    if (map.find(row) == nullptr) {
      return;  // the database is ahead of the files: no next migration to speak of
    }
    known.push_back(row);
  }
  const auto plan = map.plan_upgrade(known, "heads");
  if (!plan || plan->steps.empty()) {
    return;
  }
  const graph::Step& next = plan->steps.front();
  const script::Migration* migration = context.scripts.find(next.revision);
  if (migration == nullptr) {
    return;
  }
  for (const runner::LedgerRow& row : context.ledger.unfinished()) {
    // A partial or interrupted run of it: check_unfinished speaks of it. A transactional run
    // that failed was rolled back, so what exists was made by hand, perhaps the very objects it
    // failed on: the stamp that records a hand fix is still the way out.
    const bool rolled_back = row.entry.status == LedgerStatus::failed && migration->transactional;
    if (row.entry.revision == next.revision && !rolled_back) {
      return;
    }
  }
  auto statements = script::statements(*migration, script::Which::upgrade, context.db.dialect());
  if (!statements) {
    return;
  }
  std::vector<std::string> present;
  int total = 0;
  for (const script::Statement& statement : *statements) {
    for (const sql::CreatedObject& object : sql::created_objects(statement.sql)) {
      if (object.if_not_exists || object.name.empty()) {
        continue;
      }
      ++total;
      const bool exists = context.postgres() ? exists_postgres(context.db, object)
                                             : exists_sqlite(context.db, object);
      if (exists) {
        present.push_back(sql::describe(object));
      }
    }
  }
  if (present.empty()) {
    return;
  }
  const bool all = static_cast<int>(present.size()) == total;
  findings.push_back(
      {"objects-exist", all ? DoctorLevel::warning : DoctorLevel::error,
       all ? fmt::format("everything the next migration, {} ({}), creates exists already: {}",
                         next.revision, migration->display_path, base::join(present, ", "))
           : fmt::format("{} of the {} objects the next migration, {} ({}), creates exist "
                         "already: {}",
                         present.size(), total, next.revision, migration->display_path,
                         base::join(present, ", ")),
       all ? fmt::format("if it was applied by hand and the schema matches the file, record it: "
                         "retort stamp {} --reason \"applied by hand\"",
                         next.revision)
           : fmt::format("`retort upgrade` would fail on the first of them: drop what a hand fix "
                         "left, or stamp {} once the schema matches it",
                         next.revision),
       false});
}

}  // namespace retort::ops::doctor
