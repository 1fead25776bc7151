// The rule list made from RETORT_LINT_RULES: every rule in it once, in its order, and found by
// its code.
#include "lint/rules/rules.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace retort::lint {
namespace {

TEST(RuleList, HoldsEveryListedRuleOnceInListOrder) {
#define RETORT_LINT_RULE_ADDRESS(rule) &(rule),
  const std::vector<const Rule*> listed = {RETORT_LINT_RULES(RETORT_LINT_RULE_ADDRESS)};
#undef RETORT_LINT_RULE_ADDRESS
  const auto rules = all_rules();
  ASSERT_EQ(rules.size(), listed.size());
  const std::set<const Rule*> distinct(rules.begin(), rules.end());
  EXPECT_EQ(distinct.size(), rules.size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(rules[i], listed[i]) << listed[i]->code;
    EXPECT_EQ(find_rule(listed[i]->code), listed[i]) << listed[i]->code;
  }
  EXPECT_EQ(rules.front()->code, "PG101");
  EXPECT_EQ(rules.back()->code, "PG406");
}

}  // namespace
}  // namespace retort::lint
