// The lint rules, one per file in this folder, each a constant with its stable code.
#pragma once

#include "lint/analyzer.hpp"

namespace retort::lint {

extern const Rule k_create_index_blocks_writes;       // PG101
extern const Rule k_drop_index_blocks;                // PG102
extern const Rule k_add_column_rewrites;              // PG103
extern const Rule k_add_required_column;              // PG104
extern const Rule k_set_not_null_scans;               // PG105
extern const Rule k_constraint_validates_under_lock;  // PG106
extern const Rule k_unique_constraint_builds_index;   // PG107
extern const Rule k_column_type_rewrites;             // PG108
extern const Rule k_table_rewrite_command;            // PG109
extern const Rule k_lock_without_timeout;             // PG110
extern const Rule k_reindex_blocks;                   // PG111
extern const Rule k_refresh_blocks_reads;             // PG112
extern const Rule k_rename_table;                     // PG201
extern const Rule k_rename_column;                    // PG202
extern const Rule k_drop_table;                       // PG203
extern const Rule k_drop_column;                      // PG204
extern const Rule k_truncate;                         // PG205
extern const Rule k_drop_schema;                      // PG206
extern const Rule k_drop_database;                    // PG207
extern const Rule k_ddl_with_data_change;             // PG301
extern const Rule k_unbatched_data_change;            // PG302
extern const Rule k_concurrently_in_transaction;      // PG303
extern const Rule k_enum_value_used_in_transaction;   // PG304
extern const Rule k_transaction_control;              // PG305
extern const Rule k_prefer_jsonb;                     // PG401
extern const Rule k_prefer_text_over_varchar;         // PG402
extern const Rule k_prefer_text_over_char;            // PG403
extern const Rule k_prefer_identity;                  // PG404
extern const Rule k_prefer_timestamptz;               // PG405
extern const Rule k_prefer_bigint_key;                // PG406

}  // namespace retort::lint
