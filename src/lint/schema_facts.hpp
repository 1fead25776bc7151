// What lint reads of the schema a statement runs on: a table by its name as written, a
// column's type in the form the rules compare, whether a validated CHECK proves a column is not
// null; and the schema advanced by a statement, so that each statement is judged on the schema
// the statements before it leave. The schema is the model of src/schema (a throwaway database
// built from the history, or the configured database); what a statement changes is applied
// here as far as the rules need it (tables, columns and their types, NOT NULL, constraints and
// their validation, partitioning), not as the server would in every detail.
#pragma once

#include "schema/model.hpp"
#include "sql/tree.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::lint {

// A type as the rules compare them: the name type_name() reads off the tree ("varchar",
// "numeric", "int4", "timestamptz") with its integer modifiers.
struct TypeFacts {
  std::string name;
  std::vector<int> mods;
  bool array = false;
  friend bool operator==(const TypeFacts& a, const TypeFacts& b) = default;
};

// A type as the catalog renders it (format_type: "character varying(255)", "numeric(10,2)",
// "timestamp(3) with time zone", "integer[]", "public.mood").
[[nodiscard]] TypeFacts catalog_type_facts(std::string_view format_type);

// A type of the tree rendered as format_type would: "character varying(255)", "integer".
[[nodiscard]] std::string catalog_type(const PgQuery__TypeName* type);

// The table `name` (qualified as written, or not) names in `schema`: a qualified name by its
// schema, an unqualified one in public, else the one table of that name in any schema; null
// when there is none or the name is ambiguous.
[[nodiscard]] const schema::Table* find_table(const schema::Schema& schema, std::string_view name);
[[nodiscard]] const schema::Column* find_column(const schema::Table& table,
                                                std::string_view column);

// `col IS NOT NULL`, the whole expression of a CHECK: the column's name; empty otherwise.
[[nodiscard]] std::string not_null_column(const PgQuery__Node* expr);

// Whether `table` has a validated CHECK (column IS NOT NULL): PostgreSQL 12 and later skip SET
// NOT NULL's scan of the table when one proves it.
[[nodiscard]] bool validated_not_null_check(const schema::Table& table, std::string_view column);

// Tables up to this many rows, by the statistics, are small: a rewrite or a scan of them takes
// milliseconds, even with every index rebuilt.
inline constexpr double k_small_table_rows = 10'000;

// What the schema read from the database says of a table's rows: empty (a note at most),
// small (a warning at most), or nothing known (nullopt), with the evidence in words.
struct RowEvidence {
  bool empty = false;
  std::string evidence;
};
[[nodiscard]] std::optional<RowEvidence> row_evidence(const schema::Table& table);

// Applies what `statement` creates, changes or drops of tables to `schema`, and forgets what
// was known of the rows of a table it writes rows to.
void advance(schema::Schema& schema, const PgQuery__Node* statement);

}  // namespace retort::lint
