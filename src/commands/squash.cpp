// `retort squash --to R`: the history up to R becomes one revision S, planned from an empty
// database to the history's schema at R with autogenerate's planner, and proved before it is
// written:
//
//   old  = a throwaway database built through the history to R
//   new  = a throwaway database built from S alone (the replaced files left out, as after
//          `squash --retire`)
//   1. old and new are equal by the schema model, and by `pg_dump --schema-only` (PostgreSQL:
//      an oracle that shares no code with the model);
//   2. S's downgrade empties new;
//   3. every revision after R applies on both, and they are equal again.
//
// `squash --retire S` deletes the replaced files once no database it can see is at one of them.
#include "base/text.hpp"
#include "base/url.hpp"
#include "commands/generated.hpp"
#include "commands/schema_sources.hpp"
#include "commands/wiring.hpp"
#include "ops/backup/backup.hpp"
#include "retort/commands.hpp"
#include "runner/cancel.hpp"
#include "runner/runner.hpp"
#include "runner/version_table.hpp"
#include "schema/plan.hpp"
#include "schema/reader.hpp"
#include "sql/classify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace retort {

namespace {

namespace fs = std::filesystem;

const char* const k_nothing_written =
    "untouched (only throwaway databases were used, and they are dropped); no file was written";

// A squash that failed its proof. `why` names what differs; nothing was written.
Error not_equal(const std::string& what, const std::string& detail) {
  Error error(ExitCode::failed, what + detail);
  error.state(k_nothing_written);
  error.explain(
      "the squash revision would not stand for the history it replaces; a flaw in retort's "
      "planner or a kind of object it does not carry (please report it with the history)");
  error.next(
      "keep the history as it is; squash to an earlier revision, or write the squash by "
      "hand");
  return error;
}

// One revision's first line of `sql`, shortened for a listing.
std::string first_line(const std::string& sql) {
  std::string line = sql.substr(0, sql.find('\n'));
  constexpr std::size_t k_width = 72;
  if (line.size() > k_width) {
    line = line.substr(0, k_width - 3) + "...";
  }
  return line;
}

struct Replaced {
  std::string to;
  std::vector<std::string> ids;  // in the order they run
  std::set<std::string> set;
};

// R and its ancestors (through revises and depends_on), in the order a run applies them.
Replaced replaced_set(const script::ScriptDirectory& scripts, const std::string& target) {
  const graph::RevisionMap& map = scripts.map();
  const std::vector<std::string> resolved = commands::unwrap(map.resolve(target), target);
  if (resolved.size() != 1) {
    throw Error(ExitCode::input,
                fmt::format("--to '{}' names {} revisions; a squash stands for one revision and "
                            "everything before it",
                            target, resolved.size()))
        .explain(resolved.empty() ? std::string("'base' is before every revision")
                                  : "it names " + base::join(resolved, ", "))
        .state("untouched; no file was written")
        .next("retort squash --to REV   (one revision: retort heads, retort history)");
  }
  Replaced replaced;
  replaced.to = resolved.front();
  const graph::Plan plan = commands::unwrap(map.plan_upgrade({}, replaced.to), replaced.to);
  if (plan.heads_after != std::vector<std::string>{replaced.to}) {
    throw Error(ExitCode::input,
                fmt::format("the history at {} has several heads ({}): a squash to it would "
                            "stand for more than one revision",
                            replaced.to, base::join(plan.heads_after, ", ")))
        .state("untouched; no file was written")
        .next(fmt::format("retort merge {} -m \"merge\", then squash to the merge",
                          base::join(plan.heads_after, " ")));
  }
  for (const graph::Step& step : plan.steps) {
    replaced.ids.push_back(step.revision);
    replaced.set.insert(step.revision);
  }
  if (replaced.ids.size() < 2) {
    throw Error(
        ExitCode::input,
        fmt::format("{} is a base with nothing before it: there is nothing to squash", replaced.to))
        .state("untouched; no file was written")
        .next("retort squash --to REV   (a later revision: retort history)");
  }
  return replaced;
}

// Refuses a squash that would cut a revision off: one after R that follows (revises or depends
// on) a revision before R. A squash already in the set whose replaced files are still present
// is refused too: the databases on its old path have not all adopted it yet.
void check_outside(const script::ScriptDirectory& scripts, const Replaced& replaced) {
  const graph::RevisionMap& map = scripts.map();
  std::vector<std::string> cut;
  for (const script::Migration& migration : scripts.migrations()) {
    if (replaced.set.contains(migration.revision) || map.find(migration.revision) == nullptr) {
      continue;
    }
    const auto check = [&](const std::string& parent, const char* how) {
      std::vector<std::string> ids{parent};
      if (auto resolved = map.resolve(parent); resolved) {
        ids = std::move(resolved).value();
      }
      for (const std::string& id : ids) {
        if (id != replaced.to && replaced.set.contains(id)) {
          cut.push_back(
              fmt::format("{} ({}) {} {}", migration.revision, migration.display_path, how, id));
        }
      }
    };
    for (const std::string& parent : migration.revises) {
      check(parent, "revises");
    }
    for (const std::string& dependency : migration.depends_on) {
      check(dependency, "depends on");
    }
  }
  if (!cut.empty()) {
    throw Error(ExitCode::input,
                fmt::format("{} revision{} after the squash follow{} a revision before {}:\n  {}",
                            cut.size(), cut.size() == 1 ? "" : "s", cut.size() == 1 ? "s" : "",
                            replaced.to, base::join(cut, "\n  ")))
        .explain(fmt::format(
            "only {} itself may be followed from outside the squash, which takes its place",
            replaced.to))
        .state("untouched; no file was written")
        .next(
            "squash to a later revision that every one of them comes after (retort history), "
            "or merge first");
  }
  for (const std::string& id : replaced.ids) {
    const script::Migration* migration = scripts.find(id);
    if (migration == nullptr) {
      continue;
    }
    for (const std::string& old : migration->replaces) {
      if (const script::Migration* present = scripts.find(old);
          present != nullptr && present->revision != id) {
        throw Error(ExitCode::input,
                    fmt::format("{} is a squash whose replaced files are still here ({})", id,
                                present->display_path))
            .explain(
                "a database on its old path may not have adopted it yet; squashing over it "
                "would leave that database nowhere to go")
            .state("untouched; no file was written")
            .next(fmt::format("once every database is past {}: retort squash --retire {} "
                              "--confirm, then squash again",
                              id, id));
      }
    }
  }
}

// The statements on rows in the replaced revisions' upgrade sections.
std::vector<SquashDataStatement> data_statements(const script::ScriptDirectory& scripts,
                                                 const Replaced& replaced, base::Dialect dialect,
                                                 std::vector<std::string>* kept_sql) {
  std::vector<SquashDataStatement> found;
  for (const std::string& id : replaced.ids) {
    const script::Migration* migration = scripts.find(id);
    if (migration == nullptr) {
      continue;
    }
    auto statements =
        script::statements(*migration, script::Which::upgrade, dialect, script::Placement::ignore);
    if (!statements) {
      const script::Problem& problem = statements.error();
      throw Error(ExitCode::input, problem.message)
          .at(problem.where)
          .state("untouched; no file was written")
          .next(problem.fix);
    }
    for (const script::Statement& statement : statements.value()) {
      std::string command = sql::data_command(statement.sql, dialect);
      if (command.empty()) {
        continue;
      }
      found.push_back({id, migration->display_path, statement.line, std::move(command),
                       first_line(statement.sql)});
      if (kept_sql != nullptr) {
        kept_sql->push_back(fmt::format("\n-- data: {}:{}\n{};\n", migration->display_path,
                                        statement.line, statement.sql));
      }
    }
  }
  return found;
}

// pg_dump's text made comparable: its comments, SET lines and blank lines dropped, and its
// statements sorted (their order follows object ids where names tie).
std::vector<std::string> dump_statements(const std::string& dump) {
  std::vector<std::string> statements;
  std::string current;
  std::size_t start = 0;
  while (start < dump.size()) {
    std::size_t end = dump.find('\n', start);
    if (end == std::string::npos) {
      end = dump.size();
    }
    const std::string_view line = std::string_view(dump).substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.starts_with("--") || line.starts_with("SET ") ||
        line.starts_with("SELECT pg_catalog.set_config") || line.starts_with("\\")) {
      continue;
    }
    current += line;
    current += '\n';
    if (line.ends_with(";")) {
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) {
    statements.push_back(std::move(current));
  }
  std::sort(statements.begin(), statements.end());
  return statements;
}

// What only one of two dumps has, each statement's first line.
std::string dump_difference(const std::string& old_dump, const std::string& new_dump) {
  const std::vector<std::string> old_statements = dump_statements(old_dump);
  const std::vector<std::string> new_statements = dump_statements(new_dump);
  std::vector<std::string> only_old;
  std::vector<std::string> only_new;
  std::set_difference(old_statements.begin(), old_statements.end(), new_statements.begin(),
                      new_statements.end(), std::back_inserter(only_old));
  std::set_difference(new_statements.begin(), new_statements.end(), old_statements.begin(),
                      old_statements.end(), std::back_inserter(only_new));
  std::string out;
  constexpr std::size_t k_shown = 20;
  const auto list = [&out](const std::vector<std::string>& statements, const char* mark) {
    for (std::size_t i = 0; i < statements.size() && i < k_shown; ++i) {
      out += fmt::format("\n  {} {}", mark, first_line(statements[i]));
    }
    if (statements.size() > k_shown) {
      out += fmt::format("\n  {} ... and {} more", mark, statements.size() - k_shown);
    }
  };
  list(only_old, "- (history)");
  list(only_new, "+ (squash) ");
  return out;
}

// The squash revision's file.
script::NewRevision render(const script::ScriptDirectory& scripts, const Config& config,
                           const SquashOptions& options, const Replaced& replaced,
                           const schema::Plan& plan, const std::vector<SquashDataStatement>& data,
                           const std::vector<std::string>& kept_sql) {
  RevisionOptions revision_options;
  revision_options.head = {"base"};
  revision_options.rev_id = options.rev_id;
  revision_options.message =
      options.message.empty()
          ? fmt::format("squash of {} revisions up to {}", replaced.ids.size(), replaced.to)
          : options.message;
  script::NewRevision revision = commands::new_revision(scripts, config, revision_options);
  // The labels the replaced revisions declare stay with what takes their place.
  for (const std::string& id : replaced.ids) {
    if (const script::Migration* migration = scripts.find(id); migration != nullptr) {
      for (const std::string& label : migration->branch_labels) {
        if (std::find(revision.branch_labels.begin(), revision.branch_labels.end(), label) ==
            revision.branch_labels.end()) {
          revision.branch_labels.push_back(label);
        }
      }
    }
  }
  // `replaces` lines of at most ten ids each: they accumulate.
  constexpr std::size_t k_per_line = 10;
  for (std::size_t i = 0; i < replaced.ids.size(); i += k_per_line) {
    const std::vector<std::string> chunk(
        replaced.ids.begin() + static_cast<std::ptrdiff_t>(i),
        replaced.ids.begin() +
            static_cast<std::ptrdiff_t>(std::min(i + k_per_line, replaced.ids.size())));
    revision.header_lines.push_back("-- retort:replaces " + base::join(chunk, " "));
  }
  std::vector<const schema::Step*> steps;
  for (const schema::Step& step : plan.steps) {
    steps.push_back(&step);
  }
  bool empty_downgrade = false;
  std::string extra;
  if (options.data == SquashData::keep && !kept_sql.empty()) {
    extra =
        "\n-- The data statements of the replaced revisions (--data keep), in history "
        "order.\n";
    for (const std::string& statement : kept_sql) {
      extra += statement;
    }
  }
  revision.body = commands::sections(steps, empty_downgrade, extra);
  if (steps.empty() && extra.empty()) {
    revision.header_lines.emplace_back("-- retort:empty upgrade");
  }
  if (empty_downgrade) {
    revision.header_lines.emplace_back("-- retort:empty downgrade");
  }
  for (std::string& line : commands::lint_ignores(steps)) {
    revision.header_lines.push_back(std::move(line));
  }
  revision.header_lines.push_back(fmt::format(
      "-- Generated by retort squash --to {}: the schema {} revisions build, from an empty "
      "database. A database at one of them adopts this revision without running it.",
      replaced.to, replaced.ids.size()));
  if (options.data == SquashData::elide) {
    for (const SquashDataStatement& statement : data) {
      revision.header_lines.push_back(fmt::format(
          "-- Elided (--data elide): {}:{} {}", statement.path, statement.line, statement.command));
    }
  }
  return revision;
}

using Clock = std::chrono::steady_clock;

std::int64_t since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Runs `plan` on `connection`, a failure being the squash's.
void run(driver::Connection& connection, const script::ScriptDirectory& scripts,
         const Config& config, const graph::Plan& plan, const std::string& what) {
  runner::Settings settings = commands::runner_settings(config);
  settings.reason = "squash: proving the squash on a throwaway database";
  runner::Runner runner(connection, scripts, settings, nullptr);
  try {
    (void)runner.run(plan);
  } catch (const runner::StepFailed& failed) {
    if (failed.failure.cancelled) {
      throw Error(ExitCode::failed, "cancelled").state(k_nothing_written);
    }
    throw not_equal(what + " fails: ", failed.what());
  }
  commands::throw_if_cancelled();
}

}  // namespace

SquashResult squash(const Config& config, const SquashOptions& options) {
  const runner::CancelScope cancellable;
  const auto scripts =
      std::make_shared<const script::ScriptDirectory>(commands::load_scripts(config));
  const graph::RevisionMap& map = scripts->map();
  const base::Dialect dialect = commands::database_url(config).dialect;
  SquashResult result;
  const Replaced replaced = replaced_set(*scripts, options.to);
  result.to = replaced.to;
  result.replaced = replaced.ids;
  check_outside(*scripts, replaced);

  std::vector<std::string> kept_sql;
  result.data_statements = data_statements(*scripts, replaced, dialect, &kept_sql);
  if (!result.data_statements.empty()) {
    if (options.data == SquashData::refuse) {
      std::string listed;
      for (const SquashDataStatement& statement : result.data_statements) {
        listed += fmt::format("\n  {}:{}: {}  {}", statement.path, statement.line,
                              statement.command, statement.text);
      }
      const std::size_t count = result.data_statements.size();
      throw Error(ExitCode::input,
                  fmt::format("{} statement{} on rows in the revisions the squash replaces:{}",
                              count, count == 1 ? "" : "s", listed))
          .explain(
              "a squash rebuilds the schema; rows these statements write (seed data, fixes, "
              "backfills) would be missing from a database built from it")
          .state("untouched; no file was written")
          .next(fmt::format("retort squash --to {0} --data keep   (append them to the squash, "
                            "in history order), or --data elide   (leave them out; the squash's "
                            "header names each)",
                            replaced.to));
    }
    result.data = options.data == SquashData::keep ? "keep" : "elide";
  }

  // The history at R, and an empty database for S.
  Clock::time_point start = Clock::now();
  commands::Built old_db =
      commands::build_source(config, commands::history_at(scripts, {replaced.to}), nullptr);
  commands::Built new_db =
      commands::build_source(config, commands::history_at(scripts, {}), nullptr);
  const std::unique_ptr<driver::Connection> old_connection = driver::connect(old_db.url);
  const std::unique_ptr<driver::Connection> new_connection = driver::connect(new_db.url);
  const runner::CancelTarget cancel_old(*old_connection);
  const schema::ReadOptions read_options = commands::read_options(config);
  const schema::Schema at_r = schema::read(*old_connection, read_options);
  const schema::Schema empty = schema::read(*new_connection, read_options);
  result.timings_ms.build = since(start);

  start = Clock::now();
  schema::PlanOptions plan_options;
  plan_options.ignore = config.schema.ignore;
  const schema::Plan plan = schema::plan(empty, at_r, plan_options);
  result.timings_ms.plan = since(start);
  if (!plan.refused.empty()) {
    throw not_equal("the plan from an empty database refuses a change: ",
                    plan.refused.front().code + " " + plan.refused.front().object);
  }
  const DiffResult differences = commands::compare(config, empty, at_r);
  for (const SchemaUnsupported& object : differences.uncompared) {
    result.notes.push_back(
        fmt::format("{} {}: a kind retort does not carry; the squash does not build it (list it in "
                    "[retort.schema] ignore to accept that)",
                    object.kind, object.name));
  }
  if (!differences.uncompared.empty()) {
    throw not_equal("the history builds objects the squash cannot carry:",
                    "\n  " + base::join(result.notes, "\n  "));
  }
  result.notes.insert(result.notes.end(), plan.notes.begin(), plan.notes.end());
  const script::NewRevision file =
      render(*scripts, config, options, replaced, plan, result.data_statements, kept_sql);

  // The proof: S alone, beside the revisions after R, as a database will read them once the
  // replaced files are retired.
  start = Clock::now();
  const commands::ProofDirectory proof(*scripts, {file}, replaced.set);
  auto loaded = script::ScriptDirectory::load(proof.root(), config.project_dir);
  if (!loaded) {
    throw not_equal("the squash revision does not load: ", loaded.error().front().message);
  }
  const script::ScriptDirectory& proof_scripts = loaded.value();
  const graph::RevisionMap& proof_map = proof_scripts.map();
  const runner::CancelTarget cancel_new(*new_connection);
  const bool postgres = dialect == base::Dialect::postgres;

  const auto same = [&](const std::string& when) {
    const DiffResult diff = commands::compare(config, schema::read(*old_connection, read_options),
                                              schema::read(*new_connection, read_options));
    if (!diff.changes.empty()) {
      throw not_equal(fmt::format("{}, the history and the squash differ (from: the history, "
                                  "to: the squash):",
                                  when),
                      commands::change_lines(diff));
    }
    if (postgres) {
      const std::string difference =
          dump_difference(ops::backup::schema_only_dump(config, old_db.url, *old_connection),
                          ops::backup::schema_only_dump(config, new_db.url, *new_connection));
      if (!difference.empty()) {
        throw not_equal(
            fmt::format("{}, pg_dump --schema-only of the history and of the squash differ:", when),
            difference);
      }
    }
  };

  run(*new_connection, proof_scripts, config,
      commands::unwrap(proof_map.plan_upgrade({}, file.revision), file.revision),
      "the squash revision's upgrade");
  same(fmt::format("at {}", replaced.to));
  result.verified.push_back(
      fmt::format("the squash alone builds what the {} revisions build (schema model{})",
                  replaced.ids.size(), postgres ? " and pg_dump --schema-only" : ""));

  const std::vector<std::string> at_squash{file.revision};
  run(*new_connection, proof_scripts, config,
      commands::unwrap(proof_map.plan_downgrade(at_squash, "base"), "base"),
      "the squash revision's downgrade");
  const DiffResult emptied =
      commands::compare(config, schema::read(*new_connection, read_options), empty);
  if (!emptied.changes.empty()) {
    throw not_equal("the squash revision's downgrade leaves objects behind:",
                    commands::change_lines(emptied));
  }
  result.verified.emplace_back("its downgrade empties the database it built");

  if (map.size() > replaced.ids.size()) {
    const std::vector<std::string> at_r_heads{replaced.to};
    run(*old_connection, *scripts, config,
        commands::unwrap(map.plan_upgrade(at_r_heads, "heads"), "heads"),
        "the history after the squash, on the history's database,");
    run(*new_connection, proof_scripts, config,
        commands::unwrap(proof_map.plan_upgrade({}, "heads"), "heads"),
        "the history after the squash, on the squash's database,");
    same("at the heads");
    result.verified.push_back(fmt::format(
        "the {} revision{} after it apply on both and leave them equal",
        map.size() - replaced.ids.size(), map.size() - replaced.ids.size() == 1 ? "" : "s"));
  }
  result.timings_ms.verify = since(start);
  result.notes.push_back(old_db.note);
  result.notes.push_back(fmt::format("the squash was built alone on a throwaway {}, dropped again",
                                     new_db.scratch->describe()));
  old_db.scratch->close();
  new_db.scratch->close();

  const fs::path path = script::write_revision(config.script_location, file);
  result.written = commands::written_info(path, config, file);
  result.written.is_head = false;
  return result;
}

RetireResult retire_squash(const Config& config, const RetireOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const std::vector<std::string> resolved =
      commands::unwrap(scripts.map().resolve(options.squash), options.squash);
  const script::Migration* squash = resolved.size() == 1 ? scripts.find(resolved.front()) : nullptr;
  if (squash == nullptr || squash->replaces.empty()) {
    throw Error(
        ExitCode::input,
        fmt::format("'{}' is not a squash revision (no `-- retort:replaces` line)", options.squash))
        .next("retort history   (a squash's message says so), then retort squash --retire REV");
  }
  RetireResult result;
  result.squash = squash->revision;
  std::vector<fs::path> files;
  for (const std::string& id : squash->replaces) {
    if (const script::Migration* old = scripts.find(id);
        old != nullptr && old->revision != squash->revision) {
      result.files.push_back(old->display_path);
      files.emplace_back(old->path);
    }
  }
  const std::set<std::string> replaced(squash->replaces.begin(), squash->replaces.end());
  std::vector<std::string> urls;
  if (!config.url.empty()) {
    urls.push_back(config.url);
  }
  urls.insert(urls.end(), options.databases.begin(), options.databases.end());
  std::vector<std::string> stranded;
  for (const std::string& text : urls) {
    RetireDatabase seen;
    seen.database = base::redact_url(text);
    try {
      auto url = base::parse_database_url(text);
      if (!url) {
        throw Error(ExitCode::input, url.error());
      }
      const std::unique_ptr<driver::Connection> connection = driver::connect(
          url.value(),
          {std::chrono::seconds(10), "retort squash", driver::MissingDatabase::read_as_empty});
      runner::VersionTable versions(connection.get(), config.version_table,
                                    config.version_table_schema);
      seen.revisions = versions.exists() ? versions.heads() : std::vector<std::string>{};
      seen.reachable = true;
    } catch (const Error& error) {
      seen.error = error.what();
    }
    for (const std::string& revision : seen.revisions) {
      if (replaced.contains(revision)) {
        seen.stranded.push_back(revision);
        stranded.push_back(fmt::format("{} is at {}", seen.database, revision));
      }
    }
    result.databases.push_back(std::move(seen));
  }
  if (!stranded.empty()) {
    throw Error(ExitCode::failed,
                fmt::format("{} database{} still at a revision {} replaces: {}", stranded.size(),
                            stranded.size() == 1 ? " is" : "s are", result.squash,
                            base::join(stranded, "; ")))
        .explain("without the replaced files it could not follow the old path to the squash")
        .state("nothing was deleted")
        .next(fmt::format("retort upgrade head on each (it adopts {}), then retort squash "
                          "--retire {} --confirm",
                          result.squash, result.squash));
  }
  if (options.confirm && !files.empty()) {
    for (const fs::path& file : files) {
      std::error_code ec;
      fs::remove(file, ec);
      if (ec) {
        throw Error(ExitCode::failed,
                    fmt::format("cannot delete {}: {}", file.string(), ec.message()))
            .state("the files listed before it were deleted; run the command again");
      }
    }
    result.deleted = true;
  }
  return result;
}

}  // namespace retort
