#include "lint/lint_test_support.hpp"

#include "script/migration_parser.hpp"

#include <gtest/gtest.h>

namespace retort::lint::test {

Context Options::defaults() {
  Context context;
  context.server_version = 15;
  context.lock_timeout = std::chrono::seconds(2);
  return context;
}

Outcome lint(std::string_view upgrade, const Options& options) {
  const std::string text = "-- retort:revision abc123\n" + options.header +
                           "\n-- retort:upgrade\n" + std::string(upgrade) + "\n";
  script::ParsedMigration parsed = script::parse_migration_text("versions/abc123_test.sql", text);
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front().message;
  parsed.migration.path = "versions/abc123_test.sql";
  const script::Migration* migrations[] = {&parsed.migration};
  return Analyzer(options.context).run(migrations);
}

std::vector<Finding> findings(std::string_view code, std::string_view upgrade,
                              const Options& options) {
  std::vector<Finding> out;
  for (Finding& finding : lint(upgrade, options).findings) {
    if (finding.code == code) {
      out.push_back(std::move(finding));
    }
  }
  return out;
}

}  // namespace retort::lint::test
