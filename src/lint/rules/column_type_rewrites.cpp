// PG108 column-type-rewrites: ALTER COLUMN ... TYPE rewrites the table and rebuilds its indexes
// under an ACCESS EXCLUSIVE lock, unless the old and new types are binary-compatible:
// varchar(n) to a longer varchar, varchar or text; text to varchar; numeric(p,s) to a larger
// precision with the same scale, or numeric; varbit(n) to a longer varbit; cidr to inet; a
// type to itself. The old type is the one an earlier statement of the migration gave (ADD
// COLUMN, or an earlier ALTER TYPE), else the schema's when lint has it, and a rewrite then
// names it; when neither knows the column, for a target that can be such a change, the finding
// says which old types would make it safe. A USING clause always rewrites. A table created
// earlier in the migration is not reported.
#include "lint/rules/rules.hpp"
#include "lint/schema_facts.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <optional>

namespace retort::lint {
namespace {

struct Type {
  std::string name;       // type_name(): "varchar", "numeric", "int4"
  std::vector<int> mods;  // varchar(255) → {255}
  bool array = false;
  std::string shown;  // for messages: "varchar(100)", "character varying(100)"
};

Type type_of(const PgQuery__TypeName* type) {
  return {type_name(type), type_modifiers(type), is_array(type), type_display(type)};
}

// The column's type as an earlier statement of the migration left it, else as the schema the
// statement runs on has it.
std::optional<Type> earlier_type(const Pass& pass, const Stmt& stmt, const std::string& table,
                                 const std::string& column) {
  std::optional<Type> found;
  for (const Stmt& earlier : pass.statements()) {
    if (earlier.index >= stmt.index) {
      break;
    }
    for (const ColumnType& typed : column_types(earlier.node)) {
      if (unqualified(typed.table) == unqualified(table) && typed.column == column) {
        found = type_of(typed.type);
      }
    }
  }
  if (!found && pass.schema() != nullptr) {
    if (const schema::Table* known = find_table(*pass.schema(), table)) {
      if (const schema::Column* typed = find_column(*known, column)) {
        TypeFacts facts = catalog_type_facts(typed->type);
        found = Type{std::move(facts.name), std::move(facts.mods), facts.array, typed->type};
      }
    }
  }
  return found;
}

bool longer_or_unlimited(const Type& from, const Type& to) {
  return to.mods.empty() || (!from.mods.empty() && to.mods[0] >= from.mods[0]);
}

// Whether changing `from` to `to` keeps every stored value as it is (no rewrite).
bool binary_compatible(const Type& from, const Type& to) {
  if (from.array != to.array) {
    return false;
  }
  if (from.name == to.name && from.mods == to.mods) {
    return true;
  }
  if (from.array) {
    return false;
  }
  if (from.name == "varchar" && to.name == "varchar") {
    return longer_or_unlimited(from, to);
  }
  if ((from.name == "varchar" || from.name == "text") && to.name == "text") {
    return true;
  }
  if (from.name == "text" && to.name == "varchar") {
    return to.mods.empty();
  }
  if (from.name == "numeric" && to.name == "numeric") {
    if (to.mods.empty()) {
      return true;
    }
    const int from_scale = from.mods.size() > 1 ? from.mods[1] : 0;
    const int to_scale = to.mods.size() > 1 ? to.mods[1] : 0;
    return !from.mods.empty() && to.mods[0] >= from.mods[0] && to_scale == from_scale;
  }
  if (from.name == "varbit" && to.name == "varbit") {
    return longer_or_unlimited(from, to);
  }
  return from.name == "cidr" && to.name == "inet";
}

// For a target that some old type reaches without a rewrite, the old types that do.
std::string safe_sources(const Type& to) {
  if (to.name == "varchar" || to.name == "text") {
    return to.mods.empty() ? "varchar or text" : "a varchar of the same or a shorter length";
  }
  if (to.name == "numeric") {
    return "a numeric of smaller precision and the same scale";
  }
  if (to.name == "varbit") {
    return "a shorter bit varying";
  }
  if (to.name == "inet") {
    return "cidr";
  }
  return {};
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  std::string table;
  const PgQuery__AlterTableStmt* alter = live_alter(pass, stmt, table);
  if (alter == nullptr) {
    return;
  }
  for (const PgQuery__AlterTableCmd* command : alter_commands(alter)) {
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType ||
        command->def == nullptr || command->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF ||
        command->def->column_def == nullptr || command->name == nullptr) {
      continue;
    }
    const PgQuery__ColumnDef& definition = *command->def->column_def;
    const std::string column = command->name;
    const Type to = type_of(definition.type_name);
    const bool using_clause = definition.raw_default != nullptr;
    const std::optional<Type> from = earlier_type(pass, stmt, table, column);
    std::string unless;
    if (!using_clause && from && binary_compatible(*from, to)) {
      continue;
    }
    if (from) {
      unless = fmt::format(": the column is {} now", from->shown);
    } else if (!using_clause) {
      if (const std::string safe = safe_sources(to); !safe.empty()) {
        unless = fmt::format(" unless the column is {} now", safe);
      }
    }
    const std::string qualified = quote_qualified(table);
    const std::string shown = type_display(definition.type_name);
    report.add(
        stmt, definition.type_name != nullptr ? definition.type_name->location : -1,
        fmt::format("ALTER COLUMN {}.{} TYPE {} rewrites {} and its indexes{}", table, column,
                    shown, table, unless),
        fmt::format("the table is copied row by row and every index rebuilt under an ACCESS "
                    "EXCLUSIVE lock: every query of {} waits until it is done, and the disk "
                    "needs room for a second copy{}",
                    table, using_clause ? " (a USING clause always rewrites)" : ""),
        fmt::format("expand/contract: add a column of the new type, keep it in step with a "
                    "trigger, backfill it in batches, switch the application to it, and drop the "
                    "old column in a later release:\n"
                    "    ALTER TABLE {0} ADD COLUMN {1} {2};\n"
                    "    -- a trigger copying {3} into {1} on INSERT and UPDATE, then batched "
                    "UPDATEs of the old rows",
                    qualified, quote_identifier(column + "_new"), shown, quote_identifier(column)));
  }
}

}  // namespace

const Rule k_column_type_rewrites{
    "PG108",
    "column-type-rewrites",
    Level::error,
    "ALTER COLUMN ... TYPE that rewrites the table and its indexes under an exclusive lock",
    check,
    Runs::always,
    Weight::rows};

}  // namespace retort::lint
