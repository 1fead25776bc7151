// Linting SQL written in a test: a migration file made in memory from an upgrade section and
// header lines, run through the analyzer as `retort lint` runs it.
#pragma once

#include "lint/analyzer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace retort::lint::test {

struct Options {
  std::string header;  // extra header lines, e.g. "-- retort:transaction false\n"
  Context context = defaults();

  // PostgreSQL 15, lock_timeout 2s as retort.toml's default.
  static Context defaults();
};

// Every finding of the migration whose upgrade section is `upgrade`.
[[nodiscard]] Outcome lint(std::string_view upgrade, const Options& options = {});

// The findings of one code, ignored ones included.
[[nodiscard]] std::vector<Finding> findings(std::string_view code, std::string_view upgrade,
                                            const Options& options = {});

}  // namespace retort::lint::test
