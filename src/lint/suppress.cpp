// Applying a file's lint-ignores to its findings.
#include "lint/suppress.hpp"

#include "base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace retort::lint {
namespace {

std::vector<std::string> known_codes() {
  std::vector<std::string> codes;
  for (const Rule* rule : all_rules()) {
    codes.emplace_back(rule->code);
  }
  return codes;
}

}  // namespace

void apply_ignores(const script::Migration& migration, std::vector<Finding>& findings,
                   Outcome& outcome) {
  for (const script::LintIgnore& ignore : migration.lint_ignores) {
    for (const std::string& code : ignore.codes) {
      if (find_rule(code) == nullptr) {
        const std::vector<std::string> codes = known_codes();
        const std::optional<std::string> hint = base::nearest(code, codes);
        outcome.problems.push_back(script::Problem{
            SourceLocation{migration.display_path, ignore.line, 0},
            fmt::format("`-- retort:lint-ignore` names {}, which is no lint rule", code),
            hint ? fmt::format("did you mean {}? `retort lint --rules` lists the codes", *hint)
                 : std::string("`retort lint --rules` lists the codes")});
        continue;
      }
      bool used = false;
      for (Finding& finding : findings) {
        if (finding.code == code && finding.ignored.empty()) {
          finding.ignored = ignore.reason;
          used = true;
        }
      }
      if (!used) {
        outcome.unused_ignores.push_back(
            fmt::format("{}:{}: {}", migration.display_path, ignore.line, code));
      }
    }
  }
}

}  // namespace retort::lint
