// PG304 enum-value-used-in-transaction: since PostgreSQL 12, ALTER TYPE ... ADD VALUE may run
// in a transaction block, but the new value cannot be used until that transaction commits
// ("unsafe use of new value"). In a transactional migration, a later statement that writes the
// value as a literal fails the whole migration. Before 12, ADD VALUE itself is refused in a
// transaction block: PG303 says so.
#include "base/identifier.hpp"
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

// The value as an SQL string literal: 'it''s'.
std::string literal(std::string_view value) { return base::quote_literal(value); }

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (!pass.transactional() || pass.server_version() < 12 ||
      stmt.node->node_case != PG_QUERY__NODE__NODE_ALTER_ENUM_STMT ||
      stmt.node->alter_enum_stmt == nullptr) {
    return;
  }
  const PgQuery__AlterEnumStmt& alter = *stmt.node->alter_enum_stmt;
  const bool adds = alter.new_val != nullptr && alter.new_val[0] != '\0' &&
                    (alter.old_val == nullptr || alter.old_val[0] == '\0');
  if (!adds) {
    return;
  }
  const std::string type = dotted(alter.type_name, alter.n_type_name);
  if (enum_created_earlier(pass, stmt, type)) {
    return;  // a type created in this transaction takes new values at once
  }
  const std::string value = literal(alter.new_val);
  for (const Stmt& later : pass.statements()) {
    if (later.index <= stmt.index || later.source->sql.find(value) == std::string::npos) {
      continue;
    }
    report.add(later, static_cast<int>(later.source->sql.find(value)),
               fmt::format("{} is used in the transaction that adds it to {} (line {})", value,
                           type, stmt.source->line),
               fmt::format("PostgreSQL refuses a new enum value until the transaction that added "
                           "it commits (\"unsafe use of new value {}\"): the whole migration rolls "
                           "back here",
                           value),
               fmt::format("add the value in a migration of its own that commits first:\n"
                           "    -- retort:transaction false\n    {};\nand use it in the next "
                           "migration",
                           stmt.source->sql));
    return;
  }
}

}  // namespace

const Rule k_enum_value_used_in_transaction{
    "PG304", "enum-value-used-in-transaction", Level::error,
    "ALTER TYPE ... ADD VALUE and a use of the new value in one transaction: PostgreSQL refuses "
    "the use until the value is committed",
    check};

}  // namespace retort::lint
