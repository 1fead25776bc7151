// Reading libpg_query's typed tree in lint rules: names, types, constants and the commands of
// an ALTER TABLE, without null checks in every rule. Every function takes null and returns
// empty for it.
#pragma once

#include "sql/tree.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::lint {

// The relation of a RangeVar, qualified as written: "ops.accounts", "accounts".
[[nodiscard]] std::string relation_name(const PgQuery__RangeVar* range);

// A String node's text ("" for anything else).
[[nodiscard]] std::string_view string_of(const PgQuery__Node* node);

// A dotted name list (a function's or a type's names, DROP's object) joined with '.':
// "pg_catalog.int4", "now".
[[nodiscard]] std::string dotted(PgQuery__Node* const* names, std::size_t count);

// A type's name without pg_catalog: "int4", "varchar", "timestamptz", "json", "serial",
// "my_enum". Arrays keep their element's name; see is_array.
[[nodiscard]] std::string type_name(const PgQuery__TypeName* type);
[[nodiscard]] bool is_array(const PgQuery__TypeName* type);
// The integer modifiers: varchar(255) → {255}, numeric(10,2) → {10,2}.
[[nodiscard]] std::vector<int> type_modifiers(const PgQuery__TypeName* type);
// The type as users write it, for messages: "varchar(255)", "timestamp", "integer[]".
[[nodiscard]] std::string type_display(const PgQuery__TypeName* type);

// An integer or string constant's value as text ("42", "1s"), when `node` is one.
[[nodiscard]] std::optional<std::string> constant_text(const PgQuery__Node* node);

// The commands of an ALTER TABLE statement (null entries skipped).
[[nodiscard]] std::vector<const PgQuery__AlterTableCmd*> alter_commands(
    const PgQuery__AlterTableStmt* alter);

// A Constraint node's constraint; null for anything else.
[[nodiscard]] const PgQuery__Constraint* constraint_of(const PgQuery__Node* node);

// The constraints of a column definition.
[[nodiscard]] std::vector<const PgQuery__Constraint*> column_constraints(
    const PgQuery__ColumnDef* column);

// The default expression of a column definition (its DEFAULT constraint or raw_default); null
// when it has none.
[[nodiscard]] const PgQuery__Node* column_default(const PgQuery__ColumnDef* column);

// Whether evaluating `expr` once per row may give different values: it calls a function that
// is not known to be immutable or stable (now() and current_timestamp are stable, so one value
// for the whole statement; random(), clock_timestamp(), gen_random_uuid() and nextval() are
// volatile), or a subquery. Constants, casts of constants, operators on them: not volatile.
[[nodiscard]] bool is_volatile(const PgQuery__Node* expr);

// `name` quoted for SQL when it needs to be: accounts, "Accounts", "order". PostgreSQL's rule
// (base::quote_identifier): lint reads PostgreSQL migrations only.
[[nodiscard]] std::string quote_identifier(std::string_view name);
// A qualified name ("ops.accounts") with each part quoted as needed.
[[nodiscard]] std::string quote_qualified(std::string_view name);

// `statement` with `insert` put after its first word `word` (ASCII case ignored, outside
// quotes and comments are not told apart: the word is looked for from the start, where the
// statement's keywords are): for fixes such as CREATE INDEX → CREATE INDEX CONCURRENTLY.
[[nodiscard]] std::string insert_after_word(std::string_view statement, std::string_view word,
                                            std::string_view insert);

// The fix text for a statement that must run outside a transaction block: as is in a
// `transaction false` migration, else in a migration of its own with that header.
[[nodiscard]] std::string outside_transaction(bool transactional, std::string_view sql);

// A list of String nodes (a constraint's columns) quoted and joined for SQL: "user_id, \"Order\"".
[[nodiscard]] std::string quoted_list(PgQuery__Node* const* items, std::size_t count);

// One object of a DROP statement (a List of names, or a String), joined with '.': "ops.i".
[[nodiscard]] std::string object_name(const PgQuery__Node* object);

// The last part of a qualified name: "accounts" for "ops.accounts". A copy, so that it may be
// taken of a temporary.
[[nodiscard]] std::string unqualified(std::string_view name);

// Whether two relation names, qualified as written or not, may name the same relation: the
// names agree and neither says a different schema (lint does not know the search_path).
[[nodiscard]] bool same_relation(std::string_view a, std::string_view b);

// The index a CREATE INDEX statement creates, in its table's schema when the statement names
// one ("ops.accounts_email_idx"); empty for anything else and for an index without a name.
[[nodiscard]] std::string created_index(const PgQuery__Node* node);

// Where the clause of `statement` that starts at byte `from` ends: before the first comma or
// unmatched ')' outside parentheses, quotes and comments, or at `limit`, with the whitespace
// and comments before that point left out. For the text of one ALTER TABLE command or of a
// column's DEFAULT expression, which the tree gives only a start for.
[[nodiscard]] std::size_t clause_end(std::string_view statement, std::size_t from,
                                     std::size_t limit = std::string_view::npos);

// The byte after the first word `word` (ASCII case ignored) of `statement` at or after `from`,
// outside quotes and comments; npos when there is none: the start of what a keyword such as
// DEFAULT or USING introduces.
[[nodiscard]] std::size_t after_word(std::string_view statement, std::size_t from,
                                     std::string_view word);

// The text of `statement` from byte `from` to the clause's end (clause_end), without the
// whitespace before it: "gen_random_uuid()" for the DEFAULT of "ADD c uuid DEFAULT
// gen_random_uuid() NOT NULL" given the NOT NULL's location as `limit`.
[[nodiscard]] std::string clause_text(std::string_view statement, std::size_t from,
                                      std::size_t limit = std::string_view::npos);

// The objects a DROP statement names, each qualified as written ("ops.accounts").
[[nodiscard]] std::vector<std::string> dropped_names(const PgQuery__DropStmt* drop);

}  // namespace retort::lint
