// retort lint: picks the migrations (all, REVS, or the pending ones of the database), gives lint
// their context (run order, server version, the lock_timeout retort will set), and turns its
// findings into the public result. Also the lint that check and upgrade run on pending steps.
#include "base/text.hpp"
#include "commands/wiring.hpp"
#include "lint/analyzer.hpp"
#include "retort/production.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace retort {
namespace commands {
namespace {

LintLevel level_of(lint::Level level) {
  switch (level) {
    case lint::Level::error:
      return LintLevel::error;
    case lint::Level::warning:
      return LintLevel::warning;
    case lint::Level::note:
      return LintLevel::note;
  }
  return LintLevel::error;
}

LintFinding to_result(const lint::Finding& finding) {
  return LintFinding{
      finding.code, finding.name, level_of(finding.level), finding.revision,  finding.file,
      finding.path, finding.line, finding.column,          finding.statement, finding.message,
      finding.why,  finding.fix,  finding.ignored};
}

// Problems lint cannot get past: one input error listing them all, as loading the files does.
[[noreturn]] void throw_problems(const std::vector<script::Problem>& problems) {
  std::string explanation;
  for (const script::Problem& problem : problems) {
    explanation +=
        fmt::format("{}{}:{}: {}\n  fix: {}", explanation.empty() ? "" : "\n", problem.where.file,
                    problem.where.line, problem.message, problem.fix);
  }
  throw Error(ExitCode::input, fmt::format("lint stopped at {} problem{} in the migration files",
                                           problems.size(), problems.size() == 1 ? "" : "s"))
      .explain(explanation)
      .state("nothing was run");
}

// The revisions of the whole directory in run order (bases first), for ordering a selection.
std::vector<std::string> run_order(const graph::RevisionMap& map) {
  std::vector<std::string> order;
  auto plan = map.plan_upgrade({}, "heads");
  if (plan) {
    for (const graph::Step& step : plan->steps) {
      order.push_back(step.revision);
    }
  }
  return order;
}

std::vector<std::string> selected(const graph::RevisionMap& map,
                                  const std::vector<std::string>& args) {
  std::set<std::string> chosen;
  for (const std::string& arg : args) {
    if (arg.find(':') != std::string::npos) {
      for (const graph::Revision* revision : unwrap(map.history(arg, {}), arg)) {
        chosen.insert(revision->id);
      }
    } else {
      for (std::string& revision : unwrap(map.resolve(arg), arg)) {
        chosen.insert(std::move(revision));
      }
    }
  }
  std::vector<std::string> out;
  for (std::string& revision : run_order(map)) {
    if (chosen.count(revision) != 0) {
      out.push_back(std::move(revision));
    }
  }
  return out;
}

}  // namespace

LintResult lint_revisions(const Config& config, const script::ScriptDirectory& scripts,
                          const std::vector<std::string>& revisions, bool one_run,
                          int server_version) {
  lint::Context context;
  context.server_version = server_version;
  context.lock_timeout = config.postgres.lock_timeout;
  context.statement_timeout = config.postgres.statement_timeout;
  context.one_run = one_run;
  std::vector<const script::Migration*> migrations;
  for (const std::string& revision : revisions) {
    if (const script::Migration* migration = scripts.find(revision)) {
      migrations.push_back(migration);
    }
  }
  const lint::Outcome outcome = lint::Analyzer(context).run(migrations);
  if (!outcome.problems.empty()) {
    throw_problems(outcome.problems);
  }
  LintResult result;
  result.revisions = revisions;
  result.statements = outcome.statements;
  result.server_version = server_version;
  result.unused_ignores = outcome.unused_ignores;
  for (const lint::Finding& finding : outcome.findings) {
    result.findings.push_back(to_result(finding));
    if (finding.ignored.empty()) {
      ++(finding.level == lint::Level::error     ? result.errors
         : finding.level == lint::Level::warning ? result.warnings
                                                 : result.notes);
    }
  }
  result.ok = result.errors == 0;
  return result;
}

LintResult lint_plan(const Config& config, const script::ScriptDirectory& scripts,
                     const graph::Plan& plan, int server_version) {
  std::vector<std::string> revisions;
  for (const graph::Step& step : plan.steps) {
    if (step.direction == graph::Direction::upgrade) {
      revisions.push_back(step.revision);
    }
  }
  return lint_revisions(config, scripts, revisions, true, server_version);
}

}  // namespace commands

LintResult lint_migrations(const Config& config, const LintOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const graph::RevisionMap& map = scripts.map();
  if (!config.url.empty() && commands::database_url(config).dialect == base::Dialect::sqlite) {
    LintResult result;
    result.skipped =
        "the database is SQLite: lint's rules are about PostgreSQL's locks, and SQLite has one "
        "writer at a time";
    return result;
  }
  LintResult result;
  if (options.pending) {
    const std::unique_ptr<driver::Connection> connection =
        commands::open_connection(config, driver::MissingDatabase::read_as_empty);
    runner::VersionTable versions(connection.get(), config.version_table,
                                  config.version_table_schema);
    const std::vector<std::string> current = versions.heads();
    const graph::Plan plan =
        commands::unwrap(map.plan_upgrade(current, options.target), options.target);
    const int version =
        options.server_version.value_or(lint::server_major(connection->server_version()));
    result = commands::lint_plan(config, scripts, plan, version);
    result.server_version_source =
        options.server_version ? ServerVersionSource::option : ServerVersionSource::database;
  } else {
    const std::vector<std::string> revisions = options.revisions.empty()
                                                   ? commands::run_order(map)
                                                   : commands::selected(map, options.revisions);
    result =
        commands::lint_revisions(config, scripts, revisions, false,
                                 options.server_version.value_or(lint::k_default_server_version));
    result.server_version_source =
        options.server_version ? ServerVersionSource::option : ServerVersionSource::default_version;
  }
  return result;
}

std::vector<LintRule> lint_rules() {
  std::vector<LintRule> out;
  for (const lint::Rule* rule : lint::all_rules()) {
    out.push_back(LintRule{std::string(rule->code), std::string(rule->name),
                           commands::level_of(rule->level), std::string(rule->summary)});
  }
  return out;
}

}  // namespace retort
