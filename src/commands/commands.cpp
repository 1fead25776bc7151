// The commands: each wires config, script directory, graph, runner and driver together
// (Alembic's command.py). Lower layers report data; this layer writes the advice.
#include "retort/commands.hpp"

#include "base/duration.hpp"
#include "base/identifier.hpp"
#include "base/text.hpp"
#include "base/url.hpp"
#include "commands/gates.hpp"
#include "commands/run_advice.hpp"
#include "commands/schema_sources.hpp"
#include "commands/wiring.hpp"
#include "lint/analyzer.hpp"
#include "ops/backup/backup_gate.hpp"
#include "ops/doctor/doctor.hpp"
#include "ops/notify/notifier.hpp"
#include "runner/cancel.hpp"
#include "runner/direction.hpp"
#include "runner/ledger.hpp"
#include "runner/run_lock.hpp"
#include "runner/runner.hpp"
#include "runner/sql_script.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>

namespace retort {

namespace fs = std::filesystem;
using commands::InfoBuilder;
using commands::unwrap;

namespace {

void write_new_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    throw Error(ExitCode::failed, fmt::format("cannot write {}", path.string()));
  }
}

std::string relative_to(const fs::path& path, const fs::path& base_dir) {
  std::error_code ec;
  fs::path rel = fs::relative(path, base_dir, ec);
  return ec || rel.empty() ? path.string() : rel.string();
}

// Whether a URL given to init holds a password that retort.toml would keep in clear: any text
// that redaction hides, unless it is only a ${NAME} that the environment fills in when the file
// is read (issue #14: init wrote the password into a world-readable retort.toml).
bool holds_password(const std::string& url) {
  if (base::redact_url(url) == url) {
    return false;
  }
  static const std::regex k_reference(R"(\$\{[A-Za-z_][A-Za-z0-9_]*\})");
  const auto parsed = base::parse_database_url(url);
  if (!parsed || parsed->params.contains("password")) {
    return true;
  }
  return !std::regex_match(parsed->password, k_reference);
}

// What a retort project keeps out of git: the backups (every row of the database) and the run
// lock of a SQLite database (runner/run_lock.cpp: <database file>.retort-lock).
constexpr std::array<std::string_view, 2> k_ignored{"/backups/", "*.retort-lock"};

// Whether a .gitignore line already ignores what `wanted` does.
bool ignores(std::string_view line, std::string_view wanted) {
  line = base::trim(line);
  if (wanted == "/backups/") {
    return line == "backups" || line == "backups/" || line == "/backups" || line == "/backups/";
  }
  return line == wanted;
}

// Adds to the .gitignore at `file` (created when missing) the lines of k_ignored it lacks, after
// what it holds; returns the lines added.
std::vector<std::string> update_gitignore(const fs::path& file) {
  std::string text;
  if (std::ifstream in(file, std::ios::binary); in) {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::vector<std::string> added;
  for (const std::string_view wanted : k_ignored) {
    bool present = false;
    for (std::size_t start = 0; start <= text.size() && !present;) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        end = text.size();
      }
      present = ignores(std::string_view(text).substr(start, end - start), wanted);
      start = end + 1;
    }
    if (!present) {
      added.emplace_back(wanted);
    }
  }
  if (added.empty()) {
    return added;
  }
  std::string more = text.empty() || text.ends_with('\n') ? "" : "\n";
  more += text.empty() ? "" : "\n";
  more += "# retort: backups hold every row of the database; *.retort-lock is SQLite's run lock\n";
  for (const std::string& line : added) {
    more += line + "\n";
  }
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << more;
  if (!out) {
    throw Error(ExitCode::failed, fmt::format("cannot write {}", file.string()));
  }
  return added;
}

bool valid_revision_id(const std::string& id) {
  static const std::regex k_id("[0-9a-zA-Z_]{1,64}");
  return std::regex_match(id, k_id);
}

}  // namespace

// ---- Project ----

InitResult init(const InitOptions& options) {
  const fs::path config_file = options.cwd / "retort.toml";
  const fs::path location =
      options.directory.is_absolute() ? options.directory : options.cwd / options.directory;
  if (fs::exists(config_file)) {
    throw Error(ExitCode::input, fmt::format("{} already exists", config_file.string()))
        .explain("retort init never overwrites a project")
        .next("edit retort.toml, or run retort init in another directory");
  }
  if (fs::exists(location) && !fs::is_empty(location)) {
    throw Error(ExitCode::input,
                fmt::format("directory {} exists and is not empty", location.string()))
        .next("retort init DIR with a new directory name");
  }
  InitResult result;
  fs::create_directories(location / "versions");
  result.created.push_back(relative_to(location, options.cwd) + "/");
  result.created.push_back(relative_to(location / "versions", options.cwd) + "/");
  write_new_file(location / "script.sql.tmpl", script::default_template());
  result.created.push_back(relative_to(location / "script.sql.tmpl", options.cwd));
  std::string url = options.url;
  if (holds_password(url)) {
    result.url_env = "DATABASE_URL";
    result.url_redacted = base::redact_url(url);
    url = "${" + result.url_env + "}";
  }
  write_new_file(config_file, default_config_text(relative_to(location, options.cwd), url));
  result.created.push_back("retort.toml");
  const fs::path gitignore = options.cwd / ".gitignore";
  const bool had_gitignore = fs::exists(gitignore);
  result.gitignore_added = update_gitignore(gitignore);
  if (!had_gitignore) {
    result.created.push_back(".gitignore");
  }
  result.config_file = config_file.string();
  result.script_location = location.string();
  return result;
}

namespace {

void check_new_labels(const script::ScriptDirectory& scripts,
                      const std::vector<std::string>& labels) {
  for (const script::Migration& migration : scripts.migrations()) {
    for (const std::string& label : labels) {
      if (std::find(migration.branch_labels.begin(), migration.branch_labels.end(), label) !=
          migration.branch_labels.end()) {
        throw Error(ExitCode::input, fmt::format("branch label '{}' is already used by revision {}",
                                                 label, migration.revision))
            .at({migration.display_path, 0, 0})
            .next("pick another --branch-label");
      }
    }
  }
}

// Alembic creates its version table with version_num varchar(32): an id longer than that
// could never be written to an adopted alembic_version.
constexpr std::size_t k_alembic_id_width = 32;

std::string new_id(const script::ScriptDirectory& scripts, const Config& config,
                   const std::string& requested) {
  if (requested.empty()) {
    return script::new_revision_id();
  }
  if (!valid_revision_id(requested)) {
    throw Error(ExitCode::input, fmt::format("--rev-id '{}' is not a valid revision id", requested))
        .explain("a revision id is 1 to 64 characters of 0-9, a-z, A-Z and _");
  }
  if (config.version_table == "alembic_version" && requested.size() > k_alembic_id_width) {
    throw Error(ExitCode::input,
                fmt::format("--rev-id '{}' is {} characters long; the version table "
                            "alembic_version holds at most {}",
                            requested, requested.size(), k_alembic_id_width))
        .explain(
            "Alembic creates alembic_version.version_num as varchar(32), so a longer id "
            "could never be recorded as applied")
        .state("no file was written")
        .next(fmt::format("retort revision -m \"...\" --rev-id {}   (an id of at most {} "
                          "characters, or leave --rev-id out for a random one)",
                          requested.substr(0, k_alembic_id_width), k_alembic_id_width));
  }
  if (scripts.find(requested) != nullptr) {
    throw Error(ExitCode::input, fmt::format("revision {} already exists", requested))
        .at({scripts.find(requested)->display_path, 0, 0})
        .next("choose another --rev-id, or leave it out for a random one");
  }
  return requested;
}

std::vector<std::string> resolve_all(const graph::RevisionMap& map, const std::string& target) {
  return unwrap(map.resolve(target), target);
}

}  // namespace

namespace commands {

RevisionInfo written_info(const fs::path& path, const Config& config,
                          const script::NewRevision& revision) {
  RevisionInfo info;
  info.revision = revision.revision;
  info.down_revisions = revision.revises;
  info.depends_on = revision.depends_on;
  info.branch_labels = revision.branch_labels;
  info.message = revision.message;
  info.path = relative_to(path, config.project_dir);
  info.is_head = true;
  info.is_base = revision.revises.empty();
  info.is_merge_point = revision.revises.size() > 1;
  return info;
}

script::NewRevision new_revision(const script::ScriptDirectory& scripts, const Config& config,
                                 const RevisionOptions& options) {
  const graph::RevisionMap& map = scripts.map();
  script::NewRevision revision;
  revision.message = options.message;
  revision.branch_labels = options.branch_labels;
  check_new_labels(scripts, options.branch_labels);

  const std::vector<std::string> heads = map.heads();
  if (options.head.empty()) {
    if (heads.size() > 1) {
      throw Error(ExitCode::input,
                  "several heads are present; say which one the new revision is based on, or "
                  "merge them first")
          .explain("heads: " + base::join(heads, ", "))
          .next("retort revision -m \"...\" --head REV   (or: retort merge heads -m \"merge\")");
    }
    revision.revises = heads;
  } else {
    for (const std::string& head : options.head) {
      if (head == "base") {
        continue;  // a new base: an independent branch
      }
      for (const std::string& parent : resolve_all(map, head)) {
        if (std::find(heads.begin(), heads.end(), parent) == heads.end() && !options.splice) {
          throw Error(ExitCode::input,
                      fmt::format("revision {} is not a head; a new revision on it starts a new "
                                  "branch",
                                  parent))
              .next(fmt::format("retort revision -m \"...\" --head {} --splice", parent));
        }
        revision.revises.push_back(parent);
      }
    }
  }
  for (const std::string& dependency : options.depends_on) {
    // Branch labels stay labels; revisions are stored as full ids, as Alembic does.
    bool is_label = false;
    for (const script::Migration& migration : scripts.migrations()) {
      is_label =
          is_label || std::find(migration.branch_labels.begin(), migration.branch_labels.end(),
                                dependency) != migration.branch_labels.end();
    }
    if (is_label) {
      revision.depends_on.push_back(dependency);
      continue;
    }
    for (const std::string& resolved : resolve_all(map, dependency)) {
      revision.depends_on.push_back(resolved);
    }
  }
  revision.revision = new_id(scripts, config, options.rev_id);
  return revision;
}

}  // namespace commands

RevisionInfo revision(const Config& config, const RevisionOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const script::NewRevision revision = commands::new_revision(scripts, config, options);
  const fs::path path = script::write_revision(config.script_location, revision);
  return commands::written_info(path, config, revision);
}

RevisionInfo merge(const Config& config, const std::vector<std::string>& revisions,
                   const RevisionOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  std::vector<std::string> parents;
  for (const std::string& target : revisions) {
    for (const std::string& parent : resolve_all(scripts.map(), target)) {
      if (std::find(parents.begin(), parents.end(), parent) == parents.end()) {
        parents.push_back(parent);
      }
    }
  }
  if (parents.size() < 2) {
    throw Error(ExitCode::input,
                fmt::format("a merge needs two or more revisions; '{}' resolves to {}",
                            base::join(revisions, " "),
                            parents.empty() ? std::string("none") : base::join(parents, ", ")))
        .next("retort heads   (merge when there are several)");
  }
  check_new_labels(scripts, options.branch_labels);
  script::NewRevision revision;
  revision.message = options.message;
  revision.revises = parents;
  revision.branch_labels = options.branch_labels;
  revision.revision = new_id(scripts, config, options.rev_id);
  const fs::path path = script::write_revision(config.script_location, revision);
  return commands::written_info(path, config, revision);
}

// ---- Reading the script directory ----

std::vector<RevisionInfo> heads(const Config& config) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const InfoBuilder info(scripts);
  std::vector<RevisionInfo> out;
  for (const std::string& head : scripts.map().heads()) {
    out.push_back(info(head));
  }
  return out;
}

std::vector<BranchPoint> branches(const Config& config) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const InfoBuilder info(scripts);
  std::vector<BranchPoint> out;
  for (const std::string& point : scripts.map().branch_points()) {
    out.push_back({info(point), scripts.map().children(point)});
  }
  return out;
}

std::vector<RevisionInfo> history(const Config& config, const std::string& range) {
  return history(config, HistoryOptions{range, false});
}

std::vector<RevisionInfo> history(const Config& config, const HistoryOptions& options) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const InfoBuilder info(scripts);
  std::vector<std::string> current;
  std::map<std::string, LedgerEntry> last_runs;
  // As Alembic's history: a range with a side "current" (current:head, :current) reads the
  // database's current revision; only -i marks it and shows the ledger.
  const std::size_t colon = options.range.find(':');
  const bool range_names_current =
      colon != std::string::npos &&
      (options.range.substr(0, colon) == "current" || options.range.substr(colon + 1) == "current");
  if (options.indicate_current || range_names_current) {
    const std::unique_ptr<driver::Connection> connection =
        commands::open_connection(config, driver::MissingDatabase::read_as_empty);
    runner::Runner runner(*connection, scripts, commands::runner_settings(config), nullptr);
    current = runner.current_heads();
    if (options.indicate_current) {
      runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                            config.version_table);
      for (runner::LedgerRow& row : ledger.newest()) {
        last_runs.emplace(row.entry.revision, std::move(row.entry));
      }
    }
  }
  // A row a squash replaced reads as the squash, which the next upgrade adopts.
  current = scripts.squashes().adopted(current);
  const auto revisions = unwrap(scripts.map().history(options.range, current), options.range);
  std::vector<RevisionInfo> out;
  out.reserve(revisions.size());
  for (const graph::Revision* revision : revisions) {
    RevisionInfo item = info(revision->id);
    item.is_current = options.indicate_current &&
                      std::find(current.begin(), current.end(), revision->id) != current.end();
    if (const auto found = last_runs.find(revision->id); found != last_runs.end()) {
      item.last_run = found->second;
    }
    out.push_back(std::move(item));
  }
  return out;
}

RevisionInfo show(const Config& config, const std::string& revision) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  if (scripts.squashes().replacing(revision) != nullptr && scripts.find(revision) != nullptr) {
    return InfoBuilder(scripts)(revision);  // a replaced revision, as its file says
  }
  const std::vector<std::string> resolved = resolve_all(scripts.map(), revision);
  if (resolved.size() != 1) {
    throw Error(ExitCode::input,
                fmt::format("'{}' names {} revisions; show takes one", revision, resolved.size()))
        .explain(resolved.empty() ? "" : "revisions: " + base::join(resolved, ", "));
  }
  return InfoBuilder(scripts)(resolved.front());
}

// ---- The database ----

namespace {

// --sql takes START:END; START is the set of heads the script starts from.
struct OfflineRange {
  std::vector<std::string> start;
  std::string end;
};

// A target naming a revision a squash replaced: the main graph has the squash in its place.
void refuse_replaced_target(const script::ScriptDirectory& scripts, const std::string& target,
                            graph::Direction direction) {
  const graph::Squash* squash = scripts.squashes().replacing(target);
  if (squash == nullptr) {
    return;
  }
  const std::string_view verb = to_string(runner::to_result(direction));
  throw Error(ExitCode::input, fmt::format("{} was squashed into {}; {} to base or to a "
                                           "revision after {}",
                                           target, squash->id, verb, squash->id))
      .explain(fmt::format("squash {} stands for {} and the {} revision{} before it; the "
                           "graph has {} in their place",
                           squash->id, squash->tip, squash->replaces.size() - 1,
                           squash->replaces.size() == 2 ? "" : "s", squash->id))
      .state("nothing was run")
      .next(direction == graph::Direction::upgrade
                ? fmt::format("retort upgrade {}", squash->id)
                : fmt::format("retort {} base, or retort history (the revisions after {})", verb,
                              squash->id));
}

// What a database at revisions a squash replaced does before its command: the replaced files
// up to the squash's tip, then the adoption of the squash (graph::Squashes::plan_adoption).
// Throws for a straggler, and for a downgrade or stamp that would have to run replaced files
// first. rows: the version table's (or --sql's START).
graph::Adoption adoption_before(const script::ScriptDirectory& scripts,
                                const std::vector<std::string>& rows, graph::Direction direction,
                                bool purge) {
  graph::Adoption adoption;
  adoption.plan.heads_before = rows;
  adoption.plan.heads_after = rows;
  if (scripts.squashes().empty() || (direction == graph::Direction::stamp && purge)) {
    return adoption;
  }
  adoption = scripts.squashes().plan_adoption(rows);
  if (!adoption.stragglers.empty()) {
    std::vector<DoctorFinding> findings;
    ops::doctor::check_squashed_rows(scripts, rows, findings);
    for (const DoctorFinding& finding : findings) {
      if (finding.code == "squash-straggler") {
        throw Error(ExitCode::failed, finding.message)
            .state("nothing was run; the database is as it was")
            .next(finding.fix);
      }
    }
  }
  if (direction != graph::Direction::upgrade) {
    for (const graph::Step& step : adoption.plan.steps) {
      if (step.direction == graph::Direction::upgrade) {
        const graph::Squash* squash = scripts.squashes().replacing(step.revision);
        const std::string_view verb = to_string(runner::to_result(direction));
        throw Error(ExitCode::input,
                    fmt::format("the database is inside the history squash {} replaces (at {}): "
                                "a {} cannot start there",
                                squash->id, base::join(rows, ", "), verb))
            .explain(fmt::format("this code knows {} in place of {} and its ancestors; an upgrade "
                                 "runs the replaced files up to {} and adopts {}",
                                 squash->id, squash->tip, squash->tip, squash->id))
            .state("nothing was run")
            .next(fmt::format("retort upgrade {}, then run the same command again", squash->id));
      }
    }
  }
  return adoption;
}

// The upgrade steps of an adoption and the steps of a plan in one plan, for the gates and lint
// that look at every migration a run runs.
graph::Plan with_adoption(const graph::Adoption& adoption, const graph::Plan& plan) {
  graph::Plan out = plan;
  out.heads_before = adoption.plan.heads_before;
  out.steps.clear();
  for (const graph::Step& step : adoption.plan.steps) {
    if (step.direction != graph::Direction::stamp) {
      out.steps.push_back(step);
    }
  }
  out.steps.insert(out.steps.end(), plan.steps.begin(), plan.steps.end());
  return out;
}

OfflineRange offline_range(const script::ScriptDirectory& scripts, const std::string& target,
                           bool start_required) {
  const graph::RevisionMap& map = scripts.map();
  const std::size_t colon = target.find(':');
  if (colon == std::string::npos) {
    if (start_required) {
      throw Error(ExitCode::input,
                  fmt::format("downgrade --sql needs a range START:END, got '{}'", target))
          .explain("offline mode cannot read the database's current revision")
          .next("retort downgrade --sql HEAD_REV:TARGET");
    }
    return {{}, target};
  }
  OfflineRange range;
  const std::string start = target.substr(0, colon);
  range.end = target.substr(colon + 1);
  if (!start.empty() && start != "base") {
    // START may be a revision a squash replaced: the script then adopts the squash first.
    range.start = scripts.squashes().replacing(start) != nullptr
                      ? std::vector<std::string>{start}
                      : unwrap(map.resolve(start), start);
  }
  return range;
}

RunResult run_offline(const Config& config, const RunOptions& options, graph::Direction direction) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const graph::RevisionMap& map = scripts.map();
  const OfflineRange range =
      offline_range(scripts, options.target, direction == graph::Direction::downgrade);
  refuse_replaced_target(scripts, range.end, direction);
  // A START a squash replaced: the replaced files up to its tip and the adoption come first.
  const graph::Adoption adoption = adoption_before(scripts, range.start, direction, options.purge);
  const std::vector<std::string>& start = adoption.plan.heads_after;
  graph::Plan plan;
  switch (direction) {
    case graph::Direction::upgrade:
      plan = unwrap(map.plan_upgrade(start, range.end), options.target);
      break;
    case graph::Direction::downgrade:
      plan = unwrap(map.plan_downgrade(start, range.end), options.target);
      break;
    case graph::Direction::stamp:
      plan = unwrap(map.plan_stamp(start, range.end, options.purge), options.target);
      break;
  }
  if (!adoption.plan.steps.empty()) {
    graph::Plan joined = adoption.plan;
    joined.steps.insert(joined.steps.end(), plan.steps.begin(), plan.steps.end());
    joined.heads_after = plan.steps.empty() ? adoption.plan.heads_after : plan.heads_after;
    plan = std::move(joined);
  }
  runner::Settings settings = commands::runner_settings(config);
  settings.reason = options.reason;
  const base::Dialect dialect = commands::database_url(config).dialect;
  runner::validate_plan(scripts, plan, dialect);
  runner::write_sql(*options.sql_out, dialect, scripts, plan, settings);
  RunResult result;
  result.database = config.redacted_url;
  result.target = options.target;
  result.heads_before = plan.heads_before;
  result.heads_after = plan.heads_after;
  // The plan the script carries out, step by step, for --sql --json.
  for (const graph::Step& step : plan.steps) {
    StepResult planned;
    planned.revision = step.revision;
    planned.direction = runner::to_result(step.direction);
    planned.status = StepStatus::planned;
    planned.heads_after = step.heads_after;
    if (const script::Migration* migration = scripts.find(step.revision)) {
      planned.message = migration->message;
      if (step.direction != graph::Direction::stamp) {
        const script::Which which = step.direction == graph::Direction::upgrade
                                        ? script::Which::upgrade
                                        : script::Which::downgrade;
        auto statements = script::statements(*migration, which, dialect);
        planned.statements_total = statements ? static_cast<int>(statements->size()) : 0;
      }
    }
    result.steps.push_back(std::move(planned));
  }
  return result;
}

graph::Plan make_plan(const script::ScriptDirectory& scripts,
                      const std::vector<std::string>& current, const RunOptions& options,
                      graph::Direction direction) {
  refuse_replaced_target(scripts, options.target, direction);
  const graph::RevisionMap& map = scripts.map();
  switch (direction) {
    case graph::Direction::upgrade:
      return unwrap(map.plan_upgrade(current, options.target), options.target);
    case graph::Direction::downgrade:
      return unwrap(map.plan_downgrade(current, options.target), options.target);
    case graph::Direction::stamp:
      return unwrap(map.plan_stamp(current, options.target, options.purge), options.target);
  }
  return {};
}

// A run that lost its lock (the lease's renewer cancelled it, or the runner found the lock
// gone before a commit): say so, rather than "cancelled", which reads as if someone had
// pressed Ctrl-C.
Error lock_lost(const Error& error, const runner::RunLock& lock) {
  const std::string reason = lock.lost_reason();
  Error out(ExitCode::failed,
            fmt::format("{}; this run stopped so that two runners never migrate at once", reason));
  if (error.where) {
    out.at(*error.where);
  }
  if (!std::string_view(error.what()).starts_with(reason)) {
    out.explain(error.what());
  }
  out.state(error.database_state);
  out.next(
      "retort current -v   (another runner may be migrating now; once it is done, run the same "
      "command again; check the connection to the database and the pooler if this repeats)");
  return out;
}

// The two failures a run meets at its first write when preflight was skipped: a server that
// refuses writes (SQLSTATE 25006: a hot standby, or sessions read-only by default) and a role
// that may not create where the run creates (42501). The runner reports them as the server's
// words; here they gain the state of the database and the way out (issue #14).
Error with_write_advice(const Error& error, driver::Connection& connection) {
  if (!error.server_message) {
    return error;
  }
  const std::string& sqlstate = error.server_message->sqlstate;
  if (sqlstate != "25006" && sqlstate != "42501") {
    return error;
  }
  Error out = error;
  if (out.database_state.empty()) {
    out.state("nothing was run; the database is as it was");
  }
  std::string role = "ROLE";
  bool standby = false;
  try {
    const driver::Rows rows = connection.query("SELECT current_user, pg_is_in_recovery()::text");
    role = base::quote_identifier(rows.rows.at(0).at(0).value_or(role), base::Dialect::postgres);
    standby = rows.rows.at(0).at(1).value_or("") == "true";
  } catch (const Error&) {
    // The connection is gone: advise without the role's name.
  }
  if (sqlstate == "25006") {
    out.explain(standby ? "this server is a hot standby (pg_is_in_recovery()): it refuses every "
                          "write; the primary is where migrations run"
                        : "sessions of this role are read-only (default_transaction_read_only)");
    out.next(standby ? "point the URL at the primary, then run the same command again (retort "
                       "preflight checks it first)"
                     : fmt::format("ALTER ROLE {} SET default_transaction_read_only = off, or "
                                   "point the URL at the primary; then run the same command again",
                                   role));
    return out;
  }
  static const std::string k_schema_denied = "permission denied for schema ";
  const std::string& message = error.server_message->message;
  if (message.starts_with(k_schema_denied)) {
    const std::string schema = message.substr(k_schema_denied.size());
    out.next(
        fmt::format("GRANT CREATE ON SCHEMA {} TO {};   (as the schema's owner or a "
                    "superuser), then run the same command again",
                    base::quote_identifier(schema, base::Dialect::postgres), role));
  } else {
    out.next(
        fmt::format("grant role {} what the server says it lacks (or point the URL at the "
                    "role that owns the schema), then run the same command again; retort "
                    "preflight checks CREATE where the run creates",
                    role));
  }
  return out;
}

// [retort.lint] on_upgrade: the findings of the steps about to run, printed as notes (warn) or
// refusing the run (error). What lint cannot read is left to the runner, which reports it with
// the words of every other run.
void lint_before_run(const Config& config, const script::ScriptDirectory& scripts,
                     const graph::Plan& plan, driver::Connection& connection,
                     RunObserver* observer) {
  if (config.lint.on_upgrade == LintOnUpgrade::off || plan.steps.empty() ||
      connection.dialect() != base::Dialect::postgres) {
    return;
  }
  LintResult found;
  try {
    found = commands::lint_plan(config, scripts, plan,
                                lint::server_major(connection.server_version()), &connection);
  } catch (const Error&) {
    return;
  }
  std::string listed;
  for (const LintFinding& finding : found.findings) {
    if (!finding.ignored.empty()) {
      continue;
    }
    const std::string line =
        fmt::format("lint: {}:{}:{}: {} {} {}: {}", finding.file, finding.line, finding.column,
                    to_string(finding.level), finding.code, finding.name, finding.message);
    listed += (listed.empty() ? "" : "\n") + line;
    if (config.lint.on_upgrade == LintOnUpgrade::warn && observer != nullptr) {
      observer->note(line);
    }
  }
  if (listed.empty()) {
    return;
  }
  if (config.lint.on_upgrade == LintOnUpgrade::error && !found.ok) {
    throw Error(ExitCode::failed,
                fmt::format("lint found {} error-level finding{} in the steps to run; "
                            "[retort.lint] on_upgrade = \"error\" refuses the run",
                            found.errors, found.errors == 1 ? "" : "s"))
        .explain(listed)
        .state("nothing was run; the database is as it was")
        .next(
            "retort lint --pending (why, and the SQL to write instead; or accept one with "
            "`-- retort:lint-ignore CODE -- reason`)");
  }
  if (observer != nullptr) {
    observer->note("lint: retort lint --pending shows why and the SQL to write instead");
  }
}

// Whether the ledger holds a failed run, nothing of it recorded as applied, of a revision no
// file declares any more.
bool has_settleable_failures(driver::Connection& connection, const Config& config,
                             const script::ScriptDirectory& scripts) {
  runner::Ledger ledger(&connection, connection.dialect(), config.version_table_schema,
                        config.version_table);
  const std::vector<runner::LedgerRow> rows = ledger.unfinished();
  return std::any_of(rows.begin(), rows.end(), [&](const runner::LedgerRow& row) {
    return row.entry.direction != Direction::stamp && row.entry.statements_done == 0 &&
           scripts.find(row.entry.revision) == nullptr;
  });
}

// Runs an adoption plan (graph::Squashes::plan_adoption): the upgrades of replaced files as a
// run, each adoption as a stamp with its own reason. Returns the steps of both, in order.
RunResult run_adoption(runner::Runner& runner, const graph::Plan& adoption, RunObserver* observer) {
  RunResult out;
  out.heads_before = adoption.heads_before;
  out.heads_after = adoption.heads_before;
  std::size_t begin = 0;
  while (begin < adoption.steps.size()) {
    const bool stamp = adoption.steps[begin].direction == graph::Direction::stamp;
    std::size_t end = begin + 1;
    while (!stamp && end < adoption.steps.size() &&
           adoption.steps[end].direction != graph::Direction::stamp) {
      ++end;
    }
    graph::Plan part;
    part.heads_before = out.heads_after;
    part.steps.assign(adoption.steps.begin() + static_cast<std::ptrdiff_t>(begin),
                      adoption.steps.begin() + static_cast<std::ptrdiff_t>(end));
    part.heads_after = part.steps.back().heads_after;
    RunResult done = stamp ? runner.stamp(part) : runner.run(part);
    if (stamp && observer != nullptr) {
      const graph::Step& step = part.steps.front();
      observer->note(fmt::format("adopted {}: {} -> {} in the version table, no statement ran ({})",
                                 step.revision, step.version_ops.front().from, step.revision,
                                 step.reason));
    }
    for (StepResult& step : done.steps) {
      out.steps.push_back(std::move(step));
    }
    out.heads_after = done.heads_after;
    out.duration_ms += done.duration_ms;
    begin = end;
  }
  return out;
}

RunResult run_online(const Config& config, const RunOptions& options, graph::Direction direction) {
  if (const std::size_t colon = options.target.find(':'); colon != std::string::npos) {
    // As Alembic's "Range revision not allowed": online, the start is the database's.
    const std::string_view verb = to_string(runner::to_result(direction));
    const std::string end = options.target.substr(colon + 1);
    throw Error(ExitCode::input, fmt::format("'{}' is a range START:END, which only {} --sql takes",
                                             options.target, verb))
        .explain(fmt::format("a run starts from the database's current revision; --sql prints "
                             "the script from START to END without a database"))
        .state("nothing was run")
        .next(fmt::format("retort {} --sql {} > script.sql, or retort {} {}", verb, options.target,
                          verb, end.empty() ? "TARGET" : end));
  }
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const base::DatabaseUrl url = commands::database_url(config);
  const std::unique_ptr<driver::Connection> connection = driver::connect(url);
  runner::Settings settings = commands::runner_settings(config);
  settings.reason = options.reason;
  switch (options.partial) {
    case PartialMigration::refuse:
      settings.partial = runner::Partial::refuse;
      break;
    case PartialMigration::resume:
      settings.partial = runner::Partial::resume;
      break;
    case PartialMigration::restart:
      settings.partial = runner::Partial::restart;
      break;
  }
  runner::Runner runner(*connection, scripts, settings, options.observer);
  runner.watch_blockers(url);

  // Lock-free first: when nothing is to be done, exit at once, so replicas that start after
  // the migration ran never queue behind the lock.
  std::vector<std::string> current = runner.current_heads();
  // What the version table says must be something a run wrote, or the plan builds on sand.
  // Before the lock, the version table and the ledger are read apart while another runner may
  // commit between the two reads: an empty version table beside a ledger that has runs is then
  // only a reason to take the lock and look again, where no run can move them; it is returned
  // rather than thrown, for a run that would not take the lock.
  enum class Locked { no, yes };
  const auto check_rows = [&](const std::vector<std::string>& rows,
                              Locked locked) -> std::optional<Error> {
    if (direction != graph::Direction::stamp || !options.purge) {
      if (std::optional<Error> ahead =
              commands::ahead_of_code(*connection, config, scripts, rows)) {
        throw *ahead;
      }
    }
    std::optional<Error> conflict = commands::version_table_conflict(
        *connection, config, scripts, rows, direction, options.purge);
    if (conflict && (locked == Locked::yes || !rows.empty())) {
      throw *conflict;
    }
    return conflict;
  };
  const std::optional<Error> unsettled = check_rows(current, Locked::no);
  graph::Adoption adoption = adoption_before(scripts, current, direction, options.purge);
  graph::Plan plan = make_plan(scripts, adoption.plan.heads_after, options, direction);
  RunResult result;
  result.database = config.redacted_url;
  result.target = options.target;
  result.heads_before = current;
  result.heads_after = current;
  // A stamp that moves no row still settles the failed runs of revisions whose files were
  // deleted since (runner::Runner::stamp): that is how an operator clears them.
  const bool settles =
      direction == graph::Direction::stamp && has_settleable_failures(*connection, config, scripts);
  if (plan.steps.empty() && !settles && adoption.plan.steps.empty()) {
    if (unsettled) {
      throw *unsettled;
    }
    if (options.partial != PartialMigration::refuse) {
      // A partially applied migration is never in the version table, so it is in every plan
      // towards it: with nothing to run there is nothing to resume.
      throw Error(ExitCode::input,
                  fmt::format("nothing to {}: nothing is pending, so no migration is partially "
                              "applied",
                              options.partial == PartialMigration::resume ? "resume" : "restart"))
          .state("nothing was run")
          .next("retort current -v");
    }
    return result;
  }

  const runner::CancelScope cancellable;
  // Before the wait for the lock, which may be long: the run's session must outlive it.
  runner.prepare_session();
  std::unique_ptr<runner::RunLock> lock;
  try {
    lock = runner::RunLock::acquire(url, commands::lock_settings(config, url), options.observer,
                                    connection.get());
  } catch (const Error& error) {
    throw with_write_advice(error, *connection);
  }
  runner.hold(*lock);
  try {
    // Under the lock, read again: usually another runner has done the work meanwhile.
    current = runner.current_heads();
    (void)check_rows(current, Locked::yes);
    adoption = adoption_before(scripts, current, direction, options.purge);
    plan = make_plan(scripts, adoption.plan.heads_after, options, direction);
    const graph::Plan whole = with_adoption(adoption, plan);
    if (direction == graph::Direction::upgrade) {
      // Under the lock, so that of several racing runners only the one that runs speaks.
      lint_before_run(config, scripts, whole, *connection, options.observer);
    }
    std::vector<std::unique_ptr<runner::StepGate>> gates;
    if (!whole.steps.empty() && direction != graph::Direction::stamp) {
      gates = commands::make_gates(
          config, url, *connection, options.observer, scripts, whole,
          options.no_backup ? ops::backup::Backups::skipped : ops::backup::Backups::as_configured,
          options.ignore_window ? ops::windows::Windows::ignored : ops::windows::Windows::enforced);
      for (const auto& gate : gates) {
        runner.add_gate(*gate);
      }
    }
    // A squash's adoption first: the replaced files up to its tip, then one version-table
    // change to the squash, with no statement.
    RunResult adopted = run_adoption(runner, adoption.plan, options.observer);
    if (!plan.steps.empty() || settles) {
      result = direction == graph::Direction::stamp ? runner.stamp(plan) : runner.run(plan);
    } else {
      result.heads_before = adoption.plan.heads_after;
      result.heads_after = adoption.plan.heads_after;
    }
    if (!adoption.plan.steps.empty()) {
      adopted.steps.insert(adopted.steps.end(), std::make_move_iterator(result.steps.begin()),
                           std::make_move_iterator(result.steps.end()));
      adopted.heads_after = result.heads_after;
      adopted.duration_ms += result.duration_ms;
      result = std::move(adopted);
    }
  } catch (const runner::StepFailed& failed) {
    const Error error = commands::step_failure_error(failed);
    if (lock->lost()) {
      throw lock_lost(error, *lock);
    }
    throw with_write_advice(error, *connection);
  } catch (const runner::ResumeRefused& refused) {
    const Error error = commands::resume_refusal_error(refused);
    if (lock->lost()) {
      throw lock_lost(error, *lock);
    }
    throw with_write_advice(error, *connection);
  } catch (const Error& error) {
    if (lock->lost()) {
      throw lock_lost(error, *lock);
    }
    throw with_write_advice(error, *connection);
  }
  lock->release();
  result.database = config.redacted_url;
  result.target = options.target;
  return result;
}

// A run with what it tells beyond the terminal: [retort.hooks] and --metrics-file
// (ops/notify/), which observe it through the observer it passes on to the caller's.
RunResult run_notified(const Config& config, const RunOptions& options,
                       graph::Direction direction) {
  if (options.ignore_window && options.reason.empty()) {
    throw Error(ExitCode::input, "--ignore-window needs --reason, which the ledger keeps")
        .state("nothing was run")
        .next(fmt::format("retort {} --ignore-window --reason \"why it cannot wait\"",
                          to_string(runner::to_result(direction))));
  }
  ops::notify::Notifier notifier(config, options.target, runner::to_result(direction),
                                 options.metrics_file, options.observer);
  RunOptions notified = options;
  notified.observer = &notifier;
  try {
    RunResult result = run_online(config, notified, direction);
    notifier.finished(result);
    return result;
  } catch (const Error& error) {
    notifier.failed(error);
    throw;
  }
}

}  // namespace

bool cancel() noexcept { return runner::request_cancel(); }

RunResult upgrade(const Config& config, const RunOptions& options) {
  return options.sql_out != nullptr ? run_offline(config, options, graph::Direction::upgrade)
                                    : run_notified(config, options, graph::Direction::upgrade);
}

RunResult downgrade(const Config& config, const RunOptions& options) {
  return options.sql_out != nullptr ? run_offline(config, options, graph::Direction::downgrade)
                                    : run_notified(config, options, graph::Direction::downgrade);
}

RunResult stamp(const Config& config, const RunOptions& options) {
  return options.sql_out != nullptr ? run_offline(config, options, graph::Direction::stamp)
                                    : run_notified(config, options, graph::Direction::stamp);
}

namespace {

// The revisions an `upgrade heads` runs from these version rows: those of a squash's adoption
// (replaced files up to its tip) first; none when a straggler cannot adopt.
std::vector<std::string> pending_of(const script::ScriptDirectory& scripts,
                                    const std::vector<std::string>& rows) {
  std::vector<std::string> out;
  const graph::Adoption adoption = scripts.squashes().plan_adoption(rows);
  if (!adoption.stragglers.empty()) {
    return out;
  }
  for (const graph::Step& step : adoption.plan.steps) {
    if (step.direction == graph::Direction::upgrade) {
      out.push_back(step.revision);
    }
  }
  auto plan = scripts.map().plan_upgrade(adoption.plan.heads_after, "heads");
  if (plan) {
    for (const graph::Step& step : plan->steps) {
      out.push_back(step.revision);
    }
  }
  return out;
}

}  // namespace

CurrentResult current(const Config& config) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  runner::Runner runner(*connection, scripts, commands::runner_settings(config), nullptr);
  const std::vector<std::string> rows = runner.current_heads();
  const InfoBuilder info(scripts);
  CurrentResult result;
  result.database = config.redacted_url;
  std::vector<std::string> known;
  for (const std::string& row : rows) {
    if (scripts.map().find(row) == nullptr && scripts.squashes().replacing(row) == nullptr) {
      result.unknown.push_back(row);
    } else {
      known.push_back(row);
      RevisionInfo revision = info(row);
      revision.is_current = true;
      result.heads.push_back(std::move(revision));
    }
  }
  runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                        config.version_table);
  std::vector<runner::LedgerRow> unfinished = ledger.unfinished();
  const base::DatabaseUrl url = commands::database_url(config);
  const std::string lock_holder =
      unfinished.empty()
          ? std::string()
          : runner::RunLock::holder(url, commands::lock_settings(config, url), *connection);
  for (runner::LedgerRow& row : unfinished) {
    LedgerEntry& entry = row.entry;
    const script::Migration* migration = scripts.find(entry.revision);
    const bool transactional = migration != nullptr && migration->transactional;
    const std::string command =
        entry.direction == Direction::downgrade ? "downgrade TARGET" : "upgrade";
    if (entry.direction == Direction::stamp) {
      entry.next_command = "retort stamp again";
    } else if (entry.status == LedgerStatus::running) {
      if (lock_holder.empty()) {
        entry.next_command =
            "interrupted: its runner is gone (nobody holds the run lock); the next `retort " +
            command + "` reports it, `retort doctor` shows what it left";
      } else {
        entry.next_command = "running now: the run lock is held by " + lock_holder;
      }
    } else if (!transactional && entry.statements_done > 0) {
      entry.next_command = fmt::format(
          "partially applied: retort {} --resume, or finish it by hand and retort stamp {}",
          command, entry.revision);
    } else if (entry.error.starts_with(runner::k_cancelled_error)) {
      // Stopped by SIGTERM or Ctrl-C, not by its SQL: the run's own error said the same.
      entry.next_command = "rolled back when the run was cancelled: run the same command again";
    } else {
      entry.next_command =
          fmt::format("rolled back: fix {} and run retort {}",
                      migration != nullptr ? migration->display_path : "the file",
                      entry.direction == Direction::downgrade ? "downgrade again"
                                                              : "upgrade " + entry.revision);
    }
    result.unfinished.push_back(std::move(entry));
  }
  if (const std::optional<Error> ahead =
          commands::ahead_of_code(*connection, config, scripts, rows)) {
    result.ahead = ahead->what();
    result.ahead_next = ahead->next_command;
  }
  std::vector<DoctorFinding> squashed;
  ops::doctor::check_squashed_rows(scripts, known, squashed);
  for (const DoctorFinding& finding : squashed) {
    result.squashed.push_back(finding.message + "\n  next: " + finding.fix);
  }
  if (result.unknown.empty()) {
    result.pending = pending_of(scripts, known);
  }
  result.up_to_date = result.unknown.empty() && result.pending.empty() && squashed.empty();
  return result;
}

PendingResult pending(const Config& config) {
  const script::ScriptDirectory scripts = commands::load_scripts(config);
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  runner::Runner runner(*connection, scripts, commands::runner_settings(config), nullptr);
  PendingResult result;
  result.current = runner.current_heads();
  result.pending = pending_of(scripts, result.current);
  return result;
}

namespace {

// The error-level lint findings of the pending steps, one finding of check each.
void check_lint(const Config& config, const script::ScriptDirectory& scripts,
                driver::Connection& connection, const std::vector<std::string>& current_heads,
                CheckResult& result) {
  auto plan = scripts.map().plan_upgrade(scripts.squashes().adopted(current_heads), "heads");
  if (!plan || plan->steps.empty()) {
    return;
  }
  const LintResult found = commands::lint_plan(
      config, scripts, *plan, lint::server_major(connection.server_version()), &connection);
  for (const LintFinding& finding : found.findings) {
    if (finding.level == LintLevel::error && finding.ignored.empty()) {
      result.ok = false;
      result.findings.push_back(fmt::format(
          "lint: {}:{}:{}: {} {}: {}\n  fix: retort lint --pending shows why and the SQL to "
          "write instead; or accept it with `-- retort:lint-ignore {} -- reason`",
          finding.file, finding.line, finding.column, finding.code, finding.name, finding.message,
          finding.code));
    }
  }
}

}  // namespace

CheckResult check(const Config& config) {
  CheckResult result;
  std::optional<script::ScriptDirectory> scripts;
  try {
    scripts.emplace(commands::load_scripts(config));
  } catch (const Error& error) {
    result.ok = false;
    std::string finding = error.what();
    if (!error.explanation.empty()) {
      finding += "\n  " + error.explanation;
    }
    result.findings.push_back(finding + "\n  fix the migration files, then run retort check again");
    return result;
  }
  const std::vector<std::string> file_heads = scripts->map().heads();
  if (file_heads.size() > 1) {
    result.ok = false;
    result.findings.push_back(
        fmt::format("the migration files have {} heads ({}); merge them: retort merge heads -m "
                    "\"merge heads\"",
                    file_heads.size(), base::join(file_heads, ", ")));
  }
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  runner::Runner runner(*connection, *scripts, commands::runner_settings(config), nullptr);
  const std::vector<std::string> current_heads = runner.current_heads();
  // The version rows and the applied files against the ledger, in doctor's words.
  runner::Ledger ledger(connection.get(), connection->dialect(), config.version_table_schema,
                        config.version_table);
  ops::doctor::Context context{
      *connection, *scripts, ledger, {}, {}, current_heads, {}, false, config.allowed_edits};
  context.diffs = true;
  context.version_table = config.version_table;
  context.version_table_schema = config.version_table_schema;
  const base::DatabaseUrl url = commands::database_url(config);
  context.lock_holder =
      runner::RunLock::holder(url, commands::lock_settings(config, url), *connection);
  std::vector<DoctorFinding> findings;
  ops::doctor::check_version_rows(context, findings);
  ops::doctor::check_unfinished(context, findings);
  ops::doctor::check_edited(context, findings);
  for (const DoctorFinding& finding : findings) {
    // A database that has a squash to adopt is not at the files' heads: pending, as SPEC §6.
    result.ok = result.ok && finding.level != DoctorLevel::error &&
                finding.code != "squash-adoption-pending";
    result.findings.push_back(finding.message + "\n  " +
                              (finding.level == DoctorLevel::error ? "fix: " : "") + finding.fix);
  }
  if (connection->dialect() == base::Dialect::postgres) {
    check_lint(config, *scripts, *connection, current_heads, result);
  }
  // A pending step that `upgrade` would refuse (a section with no statement, a statement that
  // cannot run where it stands), in the words the upgrade would use.
  if (auto plan =
          scripts->map().plan_upgrade(scripts->squashes().adopted(current_heads), "heads")) {
    try {
      runner::validate_plan(*scripts, *plan, connection->dialect());
    } catch (const Error& error) {
      result.ok = false;
      std::string finding = error.what();
      if (error.where) {
        finding = fmt::format("{}:{}: {}", error.where->file, error.where->line, finding);
      }
      if (!error.explanation.empty()) {
        finding += "\n  " + error.explanation;
      }
      result.findings.push_back(std::move(finding));
    }
  }
  if (result.ok) {
    const std::vector<std::string> todo = pending_of(*scripts, current_heads);
    if (!todo.empty()) {
      result.ok = false;
      result.findings.push_back(
          fmt::format("{} revision{} not applied yet: {}; run retort upgrade "
                      "heads",
                      todo.size(), todo.size() == 1 ? " is" : "s are", base::join(todo, ", ")));
    }
  }
  // The declared schema against the history, as `alembic check` catches a forgotten
  // autogenerate: what a revision should carry and does not.
  result.schema = commands::declared_against_history(
      config, std::make_shared<const script::ScriptDirectory>(std::move(*scripts)),
      connection.get());
  if (result.schema && !result.schema->equal()) {
    result.ok = false;
    const std::size_t count = result.schema->changes.size() + result.schema->uncompared.size();
    result.findings.push_back(fmt::format(
        "{} differs from {} in {} object{}; write the revision that carries it: retort revision "
        "--autogenerate -m \"...\"",
        result.schema->to, result.schema->from, count, count == 1 ? "" : "s"));
  }
  return result;
}

}  // namespace retort
