// The outputs of `retort lint`: text for people, GitHub Actions workflow commands (annotations
// on the pull request's lines), and SARIF 2.1.0 for code-scanning tools. --json is to_json.
#pragma once

#include "cli/render.hpp"
#include "retort/retort.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace retort::cli {

// One block per finding: "FILE:LINE:COL: error PG101 name", the statement, what it does, why,
// and the fix; an accepted finding as one line with its reason (all of it with -v). Then the
// summary.
[[nodiscard]] std::string lint_text(const LintResult& result, const Style& style);
[[nodiscard]] nlohmann::json to_json(const LintResult& result);
// `::error file=...,line=...,col=...,title=...::message` per finding; `::notice` for accepted.
[[nodiscard]] std::string lint_github(const LintResult& result);
[[nodiscard]] nlohmann::json lint_sarif(const LintResult& result,
                                        const std::vector<LintRule>& rules);
// `retort lint --rules`: code, level, name and summary per rule.
[[nodiscard]] std::string lint_rules_text(const std::vector<LintRule>& rules, const Style& style);
// `lint --rules --json`: [{code, name, level, summary}, ...] in code order.
[[nodiscard]] nlohmann::json to_json(const std::vector<LintRule>& rules);

}  // namespace retort::cli
