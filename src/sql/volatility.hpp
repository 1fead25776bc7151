// Which functions give the same value throughout a statement (immutable or stable), as lint
// and the planner judge a column default: one calling only these is evaluated once when the
// column is added, not per row.
#pragma once

#include <string_view>

namespace retort::sql {

// Whether `function` (an unqualified name, lower case) is one of the immutable or stable
// functions retort knows; false for any other, which may be volatile.
[[nodiscard]] bool not_volatile(std::string_view function);

}  // namespace retort::sql
