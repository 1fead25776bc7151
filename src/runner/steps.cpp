// The steps of a plan made ready to run, and what the run loop, recovery and the --sql writer
// share about them.
#include "runner/steps.hpp"

#include "base/text.hpp"
#include "runner/backfill.hpp"
#include "runner/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <utility>

namespace retort::runner {

const char* direction_name(graph::Direction direction) {
  switch (direction) {
    case graph::Direction::upgrade:
      return "upgrade";
    case graph::Direction::downgrade:
      return "downgrade";
    case graph::Direction::stamp:
      return "stamp";
  }
  return "upgrade";
}

std::string heads_text(const std::vector<std::string>& heads) {
  return heads.empty() ? std::string("base (no revision)") : base::join(heads, ", ");
}

const script::Migration& migration_of(const script::ScriptDirectory& scripts,
                                      const graph::Step& step) {
  const script::Migration* migration = scripts.find(step.revision);
  if (migration == nullptr) {
    throw Error(ExitCode::input,
                fmt::format("revision {} is in the plan but no file declares it", step.revision))
        .next("retort heads   (check the versions/ directory)");
  }
  return *migration;
}

std::vector<script::Statement> split_or_throw(const script::Migration& migration,
                                              graph::Direction direction, base::Dialect dialect) {
  const script::Which which =
      direction == graph::Direction::downgrade ? script::Which::downgrade : script::Which::upgrade;
  if (which == script::Which::downgrade && !migration.downgrade) {
    throw Error(ExitCode::input,
                fmt::format("revision {} ({}) cannot be downgraded: its file has no "
                            "'-- retort:downgrade' section",
                            migration.revision, migration.message))
        .at({migration.display_path, 0, 0})
        .state("nothing was run")
        .next(fmt::format("add a '-- retort:downgrade' section to {}, or stamp past it with "
                          "`retort stamp` if the schema change is to stay",
                          migration.display_path));
  }
  if (which == script::Which::upgrade) {
    Backfill::check(migration, dialect);  // PostgreSQL only
  }
  auto result = script::statements(migration, which, dialect);
  if (!result) {
    const script::Problem& problem = result.error();
    throw Error(ExitCode::input, problem.message)
        .at(problem.where)
        .explain(problem.fix)
        .state("nothing was run");
  }
  // An unfinished file must not be recorded as applied, nor a downgrade that reverts nothing
  // as done. A merge may hold no statement, and `-- retort:empty` says a section means to.
  const bool upgrade = which == script::Which::upgrade;
  const bool declared_empty = upgrade ? migration.empty_upgrade : migration.empty_downgrade;
  if (result->empty() && !declared_empty && migration.revises.size() < 2) {
    const std::string_view name = upgrade ? "upgrade" : "downgrade";
    throw Error(ExitCode::input, fmt::format("the {} section of revision {} has no statement", name,
                                             migration.revision))
        .at({migration.display_path,
             upgrade ? migration.upgrade.marker_line : migration.downgrade->marker_line, 0})
        .explain(fmt::format("fix: write {} below `-- retort:{}`, or, if the section is "
                             "meant to do nothing, add `-- retort:empty {}` to the header",
                             upgrade ? "the upgrade SQL" : "the SQL that reverts the upgrade", name,
                             name))
        .state("nothing was run");
  }
  return std::move(result).value();
}

base::Millis backoff(int attempt) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const std::int64_t cap = std::min<std::int64_t>(8000, 250LL << std::min(attempt - 1, 5));
  std::uniform_int_distribution<std::int64_t> dist(cap / 2, cap);
  return base::Millis{dist(rng)};
}

bool is_lock_timeout(const driver::DatabaseError& error) {
  return error.kind() == driver::DatabaseError::Kind::statement &&
         error.message().sqlstate == "55P03";
}

Error statement_error(const driver::DatabaseError& error, const script::Migration& migration,
                      const script::Statement& statement) {
  SourceLocation where{migration.display_path, statement.line, 0};
  const ServerMessage& message = error.message();
  if (message.position > 0) {
    const std::size_t byte =
        base::byte_offset_of_char(statement.sql, static_cast<std::size_t>(message.position));
    where.line = statement.line + base::line_of_offset(statement.sql, byte) - 1;
    const std::size_t line_start = statement.sql.rfind('\n', byte == 0 ? 0 : byte - 1);
    const std::size_t column_bytes = line_start == std::string::npos ? byte : byte - line_start - 1;
    where.column = static_cast<int>(column_bytes) + 1;
  }
  Error out(ExitCode::failed,
            fmt::format("revision {} failed: {}", migration.revision, message.message));
  out.at(where).server(message);
  return out;
}

void validate_plan(const script::ScriptDirectory& scripts, const graph::Plan& plan,
                   base::Dialect dialect) {
  for (const graph::Step& step : plan.steps) {
    if (step.direction == graph::Direction::stamp) {
      continue;
    }
    (void)split_or_throw(migration_of(scripts, step), step.direction, dialect);
  }
}

}  // namespace retort::runner
