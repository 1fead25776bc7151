// The lint rules, one per file in this folder, each a constant with its stable code. A new rule
// is its file and one line in RETORT_LINT_RULES: the declarations below and all_rules() are
// both made from that list, so nothing else counts or repeats the rules.
#pragma once

#include "lint/analyzer.hpp"

// Every rule, in code order: what `retort lint --rules` prints and the analyzer runs.
// X(constant) per rule; the order is the order of the listing.
#define RETORT_LINT_RULES(X)                       \
  X(k_create_index_blocks_writes)      /* PG101 */ \
  X(k_drop_index_blocks)               /* PG102 */ \
  X(k_add_column_rewrites)             /* PG103 */ \
  X(k_add_required_column)             /* PG104 */ \
  X(k_set_not_null_scans)              /* PG105 */ \
  X(k_constraint_validates_under_lock) /* PG106 */ \
  X(k_unique_constraint_builds_index)  /* PG107 */ \
  X(k_column_type_rewrites)            /* PG108 */ \
  X(k_table_rewrite_command)           /* PG109 */ \
  X(k_lock_without_timeout)            /* PG110 */ \
  X(k_reindex_blocks)                  /* PG111 */ \
  X(k_refresh_blocks_reads)            /* PG112 */ \
  X(k_strong_lock)                     /* PG113 */ \
  X(k_rename_table)                    /* PG201 */ \
  X(k_rename_column)                   /* PG202 */ \
  X(k_drop_table)                      /* PG203 */ \
  X(k_drop_column)                     /* PG204 */ \
  X(k_truncate)                        /* PG205 */ \
  X(k_drop_schema)                     /* PG206 */ \
  X(k_drop_database)                   /* PG207 */ \
  X(k_ddl_with_data_change)            /* PG301 */ \
  X(k_unbatched_data_change)           /* PG302 */ \
  X(k_concurrently_in_transaction)     /* PG303 */ \
  X(k_enum_value_used_in_transaction)  /* PG304 */ \
  X(k_transaction_control)             /* PG305 */ \
  X(k_prefer_jsonb)                    /* PG401 */ \
  X(k_prefer_text_over_varchar)        /* PG402 */ \
  X(k_prefer_text_over_char)           /* PG403 */ \
  X(k_prefer_identity)                 /* PG404 */ \
  X(k_prefer_timestamptz)              /* PG405 */ \
  X(k_prefer_bigint_key)               /* PG406 */

namespace retort::lint {

#define RETORT_LINT_DECLARE_RULE(rule) extern const Rule rule;
RETORT_LINT_RULES(RETORT_LINT_DECLARE_RULE)
#undef RETORT_LINT_DECLARE_RULE

}  // namespace retort::lint
