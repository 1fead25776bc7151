// `-- retort:lint-ignore CODE [CODE ...] -- reason` (SPEC §2): accepts the findings of those
// codes in one file. The finding stays in the output with the reason; it no longer fails.
#pragma once

#include "lint/analyzer.hpp"

#include <vector>

namespace retort::lint {

// Marks the findings of `migration` that its lint-ignores accept, and adds to `outcome` a
// problem for each code no rule has (a typo would otherwise hide nothing, silently) and an
// unused entry for each code that accepted nothing.
void apply_ignores(const script::Migration& migration, std::vector<Finding>& findings,
                   Outcome& outcome);

}  // namespace retort::lint
