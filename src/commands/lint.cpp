// retort lint: picks the migrations (all, REVS, or the pending ones of the database), gives lint
// their context (run order, server version, the lock_timeout retort will set, the schema they
// run on), and turns its findings into the public result. Also the lint that check and upgrade
// run on pending steps.
#include "base/text.hpp"
#include "commands/schema_sources.hpp"
#include "commands/wiring.hpp"
#include "lint/analyzer.hpp"
#include "ops/scratch/scratch.hpp"
#include "retort/production.hpp"
#include "runner/version_table.hpp"
#include "schema/reader.hpp"

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
      finding.why,  finding.fix,  finding.ignored,         finding.evidence};
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

// The schema after `heads`, built on a throwaway database (build_history). No heads: the empty
// schema a base revision runs on, with nothing to build. Throws Error when no throwaway database
// can be made or a revision does not build.
schema::Schema history_schema(const Config& config, const script::ScriptDirectory& scripts,
                              const std::vector<std::string>& heads, driver::Connection* target,
                              std::vector<std::string>& notes) {
  schema::Schema model;
  if (heads.empty()) {
    return model;
  }
  ops::scratch::ScratchOptions scratch_options;
  scratch_options.dev_url = config.schema.dev_url;
  if (config.url.empty()) {
    scratch_options.target.dialect = base::Dialect::postgres;  // lint's rules are PostgreSQL's
  } else {
    scratch_options.target = database_url(config);
  }
  scratch_options.target_connection = target;
  const std::unique_ptr<ops::scratch::Scratch> scratch =
      ops::scratch::make_scratch(scratch_options);
  const base::DatabaseUrl url =
      ops::scratch::with_session_options(scratch->url(), scratch_options.target);
  build_history(config, scripts, url, heads);
  {
    const std::unique_ptr<driver::Connection> connection = driver::connect(url);
    model = schema::read(*connection, read_options(config));
  }
  std::string shown;
  for (const std::string& head : heads) {
    shown += (shown.empty() ? "" : ", ") + head;
  }
  notes.push_back(
      fmt::format("the schema of revision {} was built on a throwaway {}, dropped "
                  "again, to judge the statements on",
                  shown, scratch->describe()));
  scratch->close();
  return model;
}

// The schema the first of `revisions` runs on, as `mode` asks ("history", "database", "none",
// or empty: history when it can be built). `current`: the database's heads with --pending.
std::optional<schema::Schema> known_schema(
    const Config& config, const script::ScriptDirectory& scripts, const std::string& mode,
    const std::vector<std::string>& revisions, const std::vector<std::string>* current,
    driver::Connection* connection, std::vector<std::string>& notes) {
  if (mode == "none" || revisions.empty()) {
    return std::nullopt;
  }
  if (mode == "database") {
    if (connection == nullptr) {
      throw Error(ExitCode::input, "--schema database goes with --pending")
          .explain(
              "the database's schema is what its pending revisions run on; other "
              "revisions run on the schema of the revisions before them")
          .next("retort lint --pending --schema database, or --schema history");
    }
    return database_schema(config, *connection, notes);
  }
  if (!mode.empty() && mode != "history") {
    throw Error(ExitCode::input, "--schema must be history, database or none, not " + mode);
  }
  std::vector<std::string> heads;
  if (current != nullptr) {
    heads = *current;
  } else if (const graph::Revision* first = scripts.map().find(revisions.front())) {
    heads = first->down_revisions;
  }
  try {
    return history_schema(config, scripts, heads, connection, notes);
  } catch (const Error& error) {
    if (mode == "history") {
      throw;
    }
    // Lint without the schema is what lint was before it: still useful, so not an error.
    notes.push_back(fmt::format(
        "the statements were judged without the schema the revisions before them build ({}); "
        "set [retort.schema] dev_url, or --schema none to say so",
        error.what()));
    return std::nullopt;
  }
}

}  // namespace

schema::Schema database_schema(const Config& config, driver::Connection& connection,
                               std::vector<std::string>& notes) {
  schema::ReadOptions options = read_options(config);
  options.look_for_rows = true;
  schema::Schema model = schema::read(connection, options);
  notes.emplace_back(
      "the statements were judged on the database's schema, read only, and on what it says of "
      "each table's rows (its statistics, pg_class.reltuples, and SELECT EXISTS where they say "
      "empty): a rewrite or a scan of an empty table is a note, of a small one a warning");
  return model;
}

LintResult lint_revisions(const Config& config, const script::ScriptDirectory& scripts,
                          const std::vector<std::string>& revisions, bool one_run,
                          int server_version, const schema::Schema* schema) {
  lint::Context context;
  context.schema = schema;
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
                     const graph::Plan& plan, int server_version, driver::Connection* database) {
  std::vector<std::string> revisions;
  for (const graph::Step& step : plan.steps) {
    if (step.direction == graph::Direction::upgrade) {
      revisions.push_back(step.revision);
    }
  }
  std::vector<std::string> notes;
  std::optional<schema::Schema> known;
  if (database != nullptr && !revisions.empty() && database->dialect() == base::Dialect::postgres &&
      !database->in_transaction()) {
    try {
      known = database_schema(config, *database, notes);
    } catch (const Error& error) {
      // The run's own checks go on without it, as lint did before it knew schemas.
      notes.push_back(fmt::format(
          "the statements were judged without the database's schema, which could not be read "
          "({})",
          error.what()));
    }
  }
  LintResult result =
      lint_revisions(config, scripts, revisions, true, server_version, known ? &*known : nullptr);
  result.schema_notes = std::move(notes);
  return result;
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
  std::vector<std::string> notes;
  if (options.pending) {
    const std::unique_ptr<driver::Connection> connection =
        commands::open_connection(config, driver::MissingDatabase::read_as_empty);
    runner::VersionTable versions(connection.get(), config.version_table,
                                  config.version_table_schema);
    // A row a squash replaced reads as the squash, as the run plans it once adopted.
    const std::vector<std::string> current = scripts.squashes().adopted(versions.heads());
    const graph::Plan plan =
        commands::unwrap(map.plan_upgrade(current, options.target), options.target);
    const int version =
        options.server_version.value_or(lint::server_major(connection->server_version()));
    std::vector<std::string> revisions;
    for (const graph::Step& step : plan.steps) {
      if (step.direction == graph::Direction::upgrade) {
        revisions.push_back(step.revision);
      }
    }
    const std::optional<schema::Schema> known = commands::known_schema(
        config, scripts, options.schema, revisions, &current, connection.get(), notes);
    result = commands::lint_revisions(config, scripts, revisions, true, version,
                                      known ? &*known : nullptr);
    result.server_version_source =
        options.server_version ? ServerVersionSource::option : ServerVersionSource::database;
  } else {
    const std::vector<std::string> revisions = options.revisions.empty()
                                                   ? commands::run_order(map)
                                                   : commands::selected(map, options.revisions);
    const std::optional<schema::Schema> known =
        commands::known_schema(config, scripts, options.schema, revisions, nullptr, nullptr, notes);
    result = commands::lint_revisions(
        config, scripts, revisions, false,
        options.server_version.value_or(lint::k_default_server_version), known ? &*known : nullptr);
    result.server_version_source =
        options.server_version ? ServerVersionSource::option : ServerVersionSource::default_version;
  }
  result.schema_notes = std::move(notes);
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
