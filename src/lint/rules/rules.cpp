// The list of every lint rule, made from RETORT_LINT_RULES (rules.hpp): the array's size is
// the list's length, so adding a rule there is all it takes.
#include "lint/rules/rules.hpp"

#include <array>

namespace retort::lint {

std::span<const Rule* const> all_rules() {
#define RETORT_LINT_RULE_ADDRESS(rule) &(rule),
  static constexpr auto k_rules =
      std::to_array<const Rule*>({RETORT_LINT_RULES(RETORT_LINT_RULE_ADDRESS)});
#undef RETORT_LINT_RULE_ADDRESS
  return k_rules;
}

}  // namespace retort::lint
