// libpg_query's typed (protobuf) parse tree of a PostgreSQL statement, for the files of sql/
// that read it: what a statement creates (objects.cpp), whether it puts data at risk (risk.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <pg_query/pg_query.pb-c.h>
#include <string_view>

namespace retort::sql {

struct TreeFree {
  void operator()(PgQuery__ParseResult* tree) const noexcept {
    pg_query__parse_result__free_unpacked(tree, nullptr);
  }
};
using Tree = std::unique_ptr<PgQuery__ParseResult, TreeFree>;

// The unpacked tree of `statement`; null when it does not parse. A tree that nests deeper than
// the caller's stack allows is unpacked on a thread with a stack to fit. Thread-safe.
[[nodiscard]] Tree parse_tree(std::string_view statement);

// Whether the option list (VACUUM's, REINDEX's, EXPLAIN's DefElems) sets `name` to true, as
// PostgreSQL's defGetBoolean reads it: the option with no value, true, on or a non-zero number.
[[nodiscard]] bool has_true_option(std::size_t count, PgQuery__Node* const* options,
                                   std::string_view name);

}  // namespace retort::sql
