// The schema commands: `retort schema dump` (a database, a revision or the declared schema as
// canonical SQL), `retort diff` and `retort check --drift`. A revision or a declared schema is
// built on a throwaway database (ops/scratch) that is dropped again however the command ends.
#include "base/text.hpp"
#include "commands/run_advice.hpp"
#include "commands/schema_sources.hpp"
#include "commands/wiring.hpp"
#include "ops/scratch/scratch.hpp"
#include "retort/commands.hpp"
#include "runner/cancel.hpp"
#include "schema/diff.hpp"
#include "schema/dump.hpp"
#include "schema/reader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace retort {

namespace {

namespace fs = std::filesystem;

// retort's own bookkeeping tables are not the user's schema.
std::vector<std::string> own_tables(const Config& config) {
  std::vector<std::string> tables;
  for (const std::string& name : {config.version_table, std::string("retort_log"),
                                  std::string("retort_lease"), std::string("retort_timings")}) {
    tables.push_back(
        config.version_table_schema.empty() ? name : config.version_table_schema + "." + name);
  }
  return tables;
}

// Writes each file of the split, its pieces in dump order. Refuses a directory that holds
// anything: a file left from another dump would pass for an object that is not there.
std::vector<std::string> write_split(const fs::path& directory,
                                     const std::vector<schema::Piece>& pieces) {
  std::error_code ec;
  if (fs::exists(directory, ec) && !fs::is_empty(directory, ec)) {
    Error error(ExitCode::input, "--split " + directory.string() + " is not empty");
    error.explain("a file left from an earlier dump would pass for an object that is gone");
    error.next("retort schema dump --split NEW_DIRECTORY, or empty " + directory.string());
    throw error;
  }
  std::map<std::string, std::string> files;
  std::vector<std::string> order;
  for (const schema::Piece& piece : pieces) {
    auto [it, added] = files.try_emplace(piece.file);
    if (added) {
      order.push_back(piece.file);
    } else {
      it->second += "\n";
    }
    it->second += piece.sql;
  }
  for (const std::string& name : order) {
    const fs::path path = directory / name;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << files[name];
    if (!out.flush()) {
      throw Error(ExitCode::failed, "could not write " + path.string());
    }
  }
  return order;
}

// The configured database, open when a source needs it; nullptr when none does.
std::unique_ptr<driver::Connection> open_target(
    const Config& config, const std::vector<const commands::Source*>& sources) {
  const std::string configured = commands::database_url(config).text;
  for (const commands::Source* source : sources) {
    if (source->kind == commands::Source::Kind::database && source->url.text == configured) {
      return commands::open_connection(config, driver::MissingDatabase::read_as_empty);
    }
  }
  return nullptr;
}

}  // namespace

namespace commands {

// A URL, a directory, else a revision target; an input error when it is none of them.
Source parse_source(const Config& config, const std::string& value) {
  Source source;
  // Only a scheme makes a URL: a branch label may well start with "postgres".
  if (value.find("://") != std::string::npos || value.starts_with("sqlite:")) {
    auto parsed = base::parse_database_url(value);
    if (!parsed) {
      throw Error(ExitCode::input, parsed.error());
    }
    source.url = std::move(parsed).value();
    source.described = "database " + source.url.redacted();
    return source;
  }
  std::error_code ec;
  for (const fs::path& candidate : {fs::absolute(value), config.project_dir / value}) {
    if (fs::is_directory(candidate, ec)) {
      source.kind = Source::Kind::declared;
      source.dir = candidate.lexically_normal();
      source.described = "declared schema " + value;
      return source;
    }
  }
  auto scripts = std::make_shared<const script::ScriptDirectory>(commands::load_scripts(config));
  auto plan = scripts->map().plan_upgrade({}, value);
  if (!plan) {
    Error error = commands::target_error(plan.error(), value);
    error.explain(
        fmt::format("'{}' is neither a database URL nor a directory, so it was read as "
                    "a revision",
                    value));
    throw error;
  }
  source.kind = Source::Kind::revision;
  source.scripts = std::move(scripts);
  source.target = value;
  source.revisions = plan->heads_after;
  std::string heads;
  for (const std::string& revision : source.revisions) {
    heads += (heads.empty() ? "" : ", ") + revision;
  }
  source.described =
      source.revisions.empty()
          ? "revision base (an empty database)"
          : (heads == value ? "revision " + heads : fmt::format("revision {} ({})", value, heads));
  return source;
}

Source configured_database(const Config& config) {
  Source source;
  source.url = commands::database_url(config);
  source.described = "database " + config.redacted_url;
  return source;
}

Source declared_schema(const Config& config) {
  Source source;
  source.kind = Source::Kind::declared;
  source.dir = config.schema.dir;
  std::error_code ec;
  const fs::path relative = fs::relative(config.schema.dir, config.project_dir, ec);
  source.described =
      "declared schema " + (ec || relative.empty() ? config.schema.dir : relative).string() + "/";
  return source;
}

void throw_if_cancelled() {
  if (runner::cancel_requested()) {
    throw Error(ExitCode::failed, "cancelled")
        .state("nothing was changed in the target database; the throwaway database is dropped");
  }
}

void build_history(const Config& config, const script::ScriptDirectory& scripts,
                   const base::DatabaseUrl& url, const std::vector<std::string>& revisions) {
  const std::unique_ptr<driver::Connection> connection = driver::connect(url);
  runner::Settings settings = commands::runner_settings(config);
  settings.reason = "built on a throwaway database to be compared";
  runner::Runner runner(*connection, scripts, settings, nullptr);
  std::vector<std::string> current;
  for (const std::string& row : revisions) {
    // A row at a squash's tip has the schema the squash builds.
    const graph::Squash* squash = scripts.squashes().replacing(row);
    const std::string& revision = squash != nullptr && squash->tip == row ? squash->id : row;
    graph::Plan plan = commands::unwrap(scripts.map().plan_upgrade(current, revision), revision);
    runner::validate_plan(scripts, plan, connection->dialect());
    try {
      (void)runner.run(plan);
    } catch (const runner::StepFailed& failed) {
      Error error = failed;
      error.state(
          fmt::format("revision {} does not build on a throwaway database; nothing was "
                      "changed in the target database, and the throwaway database is "
                      "dropped",
                      failed.failure.revision));
      error.next(failed.failure.cancelled
                     ? "run the command again"
                     : "fix the migration (retort upgrade would fail on it too), then run the "
                       "command again");
      throw error;
    }
    current = plan.heads_after;
  }
}

Source history_at(std::shared_ptr<const script::ScriptDirectory> scripts,
                  const std::vector<std::string>& revisions) {
  Source history;
  history.kind = Source::Kind::revision;
  history.revisions = revisions;
  history.scripts = std::move(scripts);
  history.described = revisions.empty() ? "revision base (an empty database)"
                                        : "the history at revision " + base::join(revisions, ", ");
  return history;
}

schema::ReadOptions read_options(const Config& config) {
  schema::ReadOptions options;
  options.exclude_tables = own_tables(config);
  return options;
}

Built build_source(const Config& config, const Source& source, driver::Connection* target) {
  ops::scratch::ScratchOptions scratch_options;
  scratch_options.dev_url = config.schema.dev_url;
  scratch_options.target = commands::database_url(config);
  scratch_options.target_connection = target;
  Built built;
  built.scratch = ops::scratch::make_scratch(scratch_options);
  throw_if_cancelled();
  built.url = ops::scratch::with_session_options(built.scratch->url(), scratch_options.target);
  if (source.kind == Source::Kind::declared) {
    const std::unique_ptr<driver::Connection> connection = driver::connect(built.url);
    const runner::CancelTarget cancellable(*connection);
    ops::scratch::load_declared(*connection, source.dir, [] { return runner::cancel_requested(); });
  } else {
    build_history(config, *source.scripts, built.url, source.revisions);
  }
  throw_if_cancelled();
  built.note = fmt::format("{} was built on a throwaway {}, dropped again", source.described,
                           built.scratch->describe());
  return built;
}

Read read_source(const Config& config, const Source& source, driver::Connection* target) {
  const schema::ReadOptions options = read_options(config);
  Read read;
  if (source.kind == Source::Kind::database) {
    if (target != nullptr && source.url.text == commands::database_url(config).text) {
      read.model = schema::read(*target, options);
    } else {
      const std::unique_ptr<driver::Connection> connection = driver::connect(
          source.url,
          {std::chrono::seconds(10), "retort diff", driver::MissingDatabase::read_as_empty});
      read.model = schema::read(*connection, options);
    }
    return read;
  }
  const Built built = build_source(config, source, target);
  {
    const std::unique_ptr<driver::Connection> connection = driver::connect(built.url);
    read.model = schema::read(*connection, options);
  }
  read.notes.push_back(built.note);
  built.scratch->close();
  return read;
}

namespace {

SchemaChange to_result(const schema::Change& change) {
  SchemaChange out;
  switch (change.kind) {
    case schema::ChangeKind::added:
      out.change = "added";
      break;
    case schema::ChangeKind::removed:
      out.change = "removed";
      break;
    case schema::ChangeKind::changed:
      out.change = "changed";
      break;
  }
  out.object = change.object;
  out.name = change.name;
  out.attribute = change.attribute;
  out.before = change.before;
  out.after = change.after;
  out.line = schema::change_line(change);
  if (change.kind == schema::ChangeKind::changed && schema::multi_line(change)) {
    out.unified_diff = schema::unified_diff(change.before, change.after);
  }
  return out;
}

}  // namespace

DiffResult compare(const Config& config, const schema::Schema& from, const schema::Schema& to) {
  schema::DiffOptions options;
  options.ignore = config.schema.ignore;
  const schema::Diff found = schema::diff(from, to, options);
  DiffResult result;
  for (const schema::Change& change : found.changes) {
    result.changes.push_back(to_result(change));
  }
  for (const schema::Unsupported& object : found.uncompared) {
    result.uncompared.push_back({object.kind, object.name});
  }
  return result;
}

Read read_source_while(const Config& config, const Source& source,
                       const std::function<void()>& meanwhile) {
  // The other thread is part of this command's run: a cancel of it reaches both.
  const runner::CancelHandle run = runner::current_run();
  std::future<Read> other = std::async(std::launch::async, [&] {
    const runner::CancelJoin joined(run);
    return read_source(config, source, nullptr);
  });
  try {
    meanwhile();
  } catch (...) {
    if (run) {
      runner::request_cancel(run);
    } else {
      (void)runner::request_cancel();
    }
    try {
      (void)other.get();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the first failure is the one to report
    }
    throw;
  }
  return other.get();
}

std::optional<DiffResult> declared_against_history(
    const Config& config, std::shared_ptr<const script::ScriptDirectory> scripts,
    driver::Connection* target) {
  const Source declared = declared_schema(config);
  std::error_code ec;
  if (!fs::is_directory(declared.dir, ec)) {
    return std::nullopt;
  }
  const std::vector<std::string> heads = scripts->map().heads();
  const Source history = history_at(std::move(scripts), heads);
  Read built;
  const Read to =
      read_source_while(config, declared, [&] { built = read_source(config, history, target); });
  DiffResult result = compare(config, built.model, to.model);
  result.from = history.described;
  result.to = declared.described;
  result.notes = built.notes;
  result.notes.insert(result.notes.end(), to.notes.begin(), to.notes.end());
  return result;
}

}  // namespace commands

using commands::compare;
using commands::configured_database;
using commands::declared_schema;
using commands::parse_source;
using commands::Read;
using commands::read_source;
using commands::Source;

SchemaDumpResult schema_dump(const Config& config, const SchemaDumpOptions& options) {
  const runner::CancelScope cancellable;
  const Source source =
      options.source.empty() ? configured_database(config) : parse_source(config, options.source);
  const std::unique_ptr<driver::Connection> target = open_target(config, {&source});
  const Read read = read_source(config, source, target.get());
  const schema::Schema& model = read.model;
  const std::vector<schema::Piece> pieces = schema::dump_pieces(model);

  SchemaDumpResult result;
  result.database = config.redacted_url;
  result.source = source.described;
  result.dialect = model.flavor == schema::Flavor::sqlite ? "sqlite" : "postgresql";
  result.server_version = model.server_version;
  result.sql = schema::dump_sql(model);
  result.catalog_queries = model.catalog_queries;
  for (const schema::Piece& piece : pieces) {
    result.objects.push_back({piece.kind, piece.name, piece.file});
  }
  for (const schema::Unsupported& object : model.unsupported) {
    result.unsupported.push_back({object.kind, object.name});
  }
  if (options.split) {
    const fs::path directory = fs::absolute(*options.split);
    result.split_directory = directory.string();
    result.files = write_split(directory, pieces);
  }
  return result;
}

DiffResult diff(const Config& config, const DiffOptions& options) {
  const runner::CancelScope cancellable;
  const Source from =
      options.from.empty() ? configured_database(config) : parse_source(config, options.from);
  const Source to = options.to.empty() ? declared_schema(config) : parse_source(config, options.to);
  const std::unique_ptr<driver::Connection> target = open_target(config, {&from, &to});
  Read before;
  Read after;
  if (from.kind == Source::Kind::database && to.kind == Source::Kind::database) {
    // Two databases read at once, each on its own connection: the catalog queries are the
    // servers' work, so the wall time is that of the slower read, not of both.
    after =
        read_source_while(config, to, [&] { before = read_source(config, from, target.get()); });
  } else {
    before = read_source(config, from, target.get());
    after = read_source(config, to, target.get());
  }
  DiffResult result = compare(config, before.model, after.model);
  result.from = from.described;
  result.to = to.described;
  result.notes = before.notes;
  result.notes.insert(result.notes.end(), after.notes.begin(), after.notes.end());
  return result;
}

DriftResult check_drift(const Config& config) {
  const runner::CancelScope cancellable;
  auto scripts = std::make_shared<const script::ScriptDirectory>(commands::load_scripts(config));
  const std::unique_ptr<driver::Connection> target =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  std::vector<std::string> rows;
  {
    runner::Runner runner(*target, *scripts, commands::runner_settings(config), nullptr);
    rows = runner.current_heads();
  }
  if (std::optional<Error> ahead = commands::ahead_of_code(*target, config, *scripts, rows)) {
    throw *ahead;
  }
  const Source history = commands::history_at(scripts, rows);
  const Source database = configured_database(config);
  const Read built = read_source(config, history, target.get());
  const Read live = read_source(config, database, target.get());

  DriftResult result;
  result.database = config.redacted_url;
  result.revisions = rows;
  result.diff = compare(config, built.model, live.model);
  result.diff.from = history.described;
  result.diff.to = database.described;
  result.diff.notes = built.notes;
  result.ok = result.diff.equal();
  return result;
}

}  // namespace retort
