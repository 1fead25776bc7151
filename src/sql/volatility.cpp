// The immutable and stable functions retort knows by name.
#include "sql/volatility.hpp"

#include <algorithm>
#include <array>

namespace retort::sql {

namespace {

constexpr std::array<std::string_view, 40> k_not_volatile = {
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "current_date",
    "localtimestamp",
    "lower",
    "upper",
    "length",
    "concat",
    "concat_ws",
    "coalesce",
    "nullif",
    "abs",
    "round",
    "floor",
    "ceil",
    "date_trunc",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "to_timestamp",
    "to_date",
    "to_char",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array_fill",
    "trim",
    "btrim",
    "substring",
    "replace",
    "md5",
    "int4",
    "int8",
    "text",
    "timezone",
    "current_setting",
    "format",
};

}  // namespace

bool not_volatile(std::string_view function) {
  return std::find(k_not_volatile.begin(), k_not_volatile.end(), function) != k_not_volatile.end();
}

}  // namespace retort::sql
