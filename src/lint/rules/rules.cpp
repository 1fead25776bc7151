// The list of every lint rule, in code order: what `retort lint --rules` prints and the
// analyzer runs. A new rule is one file in this folder and one line here.
#include "lint/rules/rules.hpp"

#include <array>

namespace retort::lint {

std::span<const Rule* const> all_rules() {
  static constexpr std::array<const Rule*, 30> k_rules = {
      &k_create_index_blocks_writes,
      &k_drop_index_blocks,
      &k_add_column_rewrites,
      &k_add_required_column,
      &k_set_not_null_scans,
      &k_constraint_validates_under_lock,
      &k_unique_constraint_builds_index,
      &k_column_type_rewrites,
      &k_table_rewrite_command,
      &k_lock_without_timeout,
      &k_reindex_blocks,
      &k_refresh_blocks_reads,
      &k_rename_table,
      &k_rename_column,
      &k_drop_table,
      &k_drop_column,
      &k_truncate,
      &k_drop_schema,
      &k_drop_database,
      &k_ddl_with_data_change,
      &k_unbatched_data_change,
      &k_concurrently_in_transaction,
      &k_enum_value_used_in_transaction,
      &k_transaction_control,
      &k_prefer_jsonb,
      &k_prefer_text_over_varchar,
      &k_prefer_text_over_char,
      &k_prefer_identity,
      &k_prefer_timestamptz,
      &k_prefer_bigint_key,
  };
  return k_rules;
}

}  // namespace retort::lint
