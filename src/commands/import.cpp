// `retort import --from TOOL DIR`: another tool's history becomes retort files, written only
// once all of them load as revisions and their graph holds, and with --url the database that
// tool manages is stamped from its own version table, which is left as it is.
//
//   read     the tool's files in its order (import_tools.cpp; Alembic: import_alembic.cpp)
//   stage    every file written under <script_location>/.retort-import-<pid>/versions
//   check    the staged directory loaded as `retort upgrade` loads it, every section split
//            and checked for the database's dialect; any problem ends the import, the
//            staging directory removed, nothing written
//   move     the staged files renamed into <script_location>/versions
//   adopt    (--url) the tool's table read, the revisions it implies stamped with a reason
//            that names the table
#include "retort/import.hpp"

#include "base/text.hpp"
#include "base/url.hpp"
#include "commands/import_tools.hpp"
#include "commands/schema_sources.hpp"
#include "commands/wiring.hpp"
#include "ops/backup/backup.hpp"
#include "retort/commands.hpp"
#include "script/script_directory.hpp"
#include "sql/splitter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace retort {

namespace fs = std::filesystem;

namespace {

using commands::importing::Imported;

constexpr std::array<std::pair<ImportTool, std::string_view>, 7> k_tools = {{
    {ImportTool::alembic, "alembic"},
    {ImportTool::flyway, "flyway"},
    {ImportTool::golang_migrate, "golang-migrate"},
    {ImportTool::dbmate, "dbmate"},
    {ImportTool::goose, "goose"},
    {ImportTool::diesel, "diesel"},
    {ImportTool::sqitch, "sqitch"},
}};

const char* const k_nothing_written = "no file was written and no database was touched";

// The staging directory beside versions/ (the same file system, so the move is a rename),
// removed with what is left in it however the import ends.
class Staging {
 public:
  explicit Staging(const fs::path& script_location)
      : m_root(script_location / fmt::format(".retort-import-{}", getpid())) {
    std::error_code ec;
    fs::remove_all(m_root, ec);
    fs::create_directories(m_root / "versions", ec);
    if (ec) {
      throw Error(ExitCode::failed,
                  fmt::format("cannot create {}: {}", (m_root / "versions").string(), ec.message()))
          .state(k_nothing_written);
    }
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  [[nodiscard]] const fs::path& root() const { return m_root; }

 private:
  fs::path m_root;
};

// A revision's file: the tool's SQL under retort's header, what it came from in a comment.
script::NewRevision new_revision(ImportTool tool, const Imported& item) {
  script::NewRevision revision;
  revision.revision = item.revision;
  revision.message = item.message.empty() ? item.version : item.message;
  revision.revises = item.revises;
  revision.branch_labels = item.branch_labels;
  revision.depends_on = item.depends_on;
  if (!item.transactional) {
    revision.header_lines.emplace_back("-- retort:transaction false");
  }
  const bool merge = item.revises.size() > 1;
  std::string body;
  if (item.left_reason) {
    // Never silently emptied: no section, so that `retort upgrade` refuses to run it and
    // names it, until the user writes its SQL.
    revision.header_lines.push_back(fmt::format("-- imported from {}: {} (version {})",
                                                to_string(tool), item.source, item.version));
    revision.header_lines.push_back(
        "-- TODO: write this revision's SQL by hand; Alembic's "
        "offline mode could not render it:");
    revision.header_lines.push_back("--   " + *item.left_reason);
    revision.body = "-- retort:upgrade\n";
    return revision;
  }
  std::vector<std::string> empty;
  if (!merge && !commands::importing::has_statement(item.upgrade)) {
    empty.emplace_back("upgrade");
  }
  const bool empty_downgrade =
      item.downgrade && !commands::importing::has_statement(*item.downgrade);
  if (empty_downgrade && !merge) {
    empty.emplace_back("downgrade");
  }
  if (!empty.empty()) {
    revision.header_lines.push_back("-- retort:empty " + base::join(empty, " "));
  }
  revision.header_lines.push_back(fmt::format("-- imported from {}: {} (version {})",
                                              to_string(tool), item.source, item.version));
  body = "-- retort:upgrade\n" + item.upgrade;
  if (!body.ends_with('\n')) {
    body += '\n';
  }
  if (item.downgrade) {
    body += "\n-- retort:downgrade\n" + *item.downgrade;
    if (!body.ends_with('\n')) {
      body += '\n';
    }
  }
  revision.body = body;
  return revision;
}

// versions/ must not hold revisions already: an import is a history's start, not a merge.
void check_destination(const fs::path& versions) {
  std::error_code ec;
  if (!fs::exists(versions, ec)) {
    return;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(versions)) {
    if (entry.path().extension() == ".sql") {
      throw Error(ExitCode::input, fmt::format("{} holds revisions already ({})", versions.string(),
                                               entry.path().filename().string()))
          .state(k_nothing_written)
          .explain("import writes a whole history; it does not add to one")
          .next("retort import --from TOOL DIR --to NEW_DIR   (or move the files away)");
    }
  }
}

// The staged directory as `retort upgrade` would load it; every problem, each with the file
// of the other tool it came from.
void check_staged(const fs::path& root, const Config& config, base::Dialect dialect,
                  const std::map<std::string, std::string>& sources,
                  const std::set<std::string>& left_for_user) {
  std::vector<std::string> problems;
  auto source_of = [&](const std::string& file) {
    const std::string name = fs::path(file).filename().string();
    auto it = sources.find(name);
    return it == sources.end() ? name : fmt::format("{} (from {})", name, it->second);
  };
  auto loaded = script::ScriptDirectory::load(root, config.project_dir);
  if (!loaded) {
    for (const script::Problem& problem : loaded.error()) {
      problems.push_back(fmt::format(
          "{}{}: {}", source_of(problem.where.file),
          problem.where.line > 0 ? fmt::format(" line {}", problem.where.line) : std::string(),
          problem.message));
    }
  } else {
    for (const script::Migration& migration : loaded.value().migrations()) {
      if (left_for_user.count(migration.revision) != 0) {
        continue;  // listed already, with why its SQL is missing
      }
      for (const script::Which which : {script::Which::upgrade, script::Which::downgrade}) {
        if (which == script::Which::downgrade && !migration.downgrade) {
          continue;  // the tool had none: the revision cannot be downgraded, as before
        }
        auto statements = script::statements(migration, which, dialect);
        if (!statements) {
          const script::Problem& problem = statements.error();
          problems.push_back(fmt::format("{} line {}: {}{}", source_of(problem.where.file),
                                         problem.where.line, problem.message,
                                         problem.fix.empty() ? "" : " (" + problem.fix + ")"));
        }
      }
    }
  }
  if (problems.empty()) {
    return;
  }
  throw Error(ExitCode::input, fmt::format("{} imported file{} would not run as retort revisions",
                                           problems.size(), problems.size() == 1 ? "" : "s"))
      .explain("  " + base::join(problems, "\n  "))
      .state(k_nothing_written)
      .next("fix the original files (or move one out of DIR) and import again");
}

// Moves the staged files into versions/: the directory renamed when there is none yet, else
// file by file (an empty versions/ that `retort init` made, or one with a .gitkeep).
void move_into(const fs::path& staged, const fs::path& versions) {
  std::error_code ec;
  if (!fs::exists(versions, ec)) {
    fs::create_directories(versions.parent_path(), ec);
    fs::rename(staged, versions, ec);
    if (!ec) {
      return;
    }
    fs::create_directories(versions, ec);
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(staged)) {
    fs::rename(entry.path(), versions / entry.path().filename(), ec);
    if (ec) {
      throw Error(ExitCode::failed,
                  fmt::format("cannot move {} into {}: {}", entry.path().filename().string(),
                              versions.string(), ec.message()))
          .state(
              "some imported files are in versions/ and some are not: delete the imported "
              "ones (their header says `imported from`) and import again");
    }
  }
}

// pg_dump's statements without its comments, SET lines and blank lines, and without those
// naming the tool's version table (the other build has it, retort's has its own), sorted.
std::vector<std::string> dump_statements(const std::string& dump) {
  std::vector<std::string> statements;
  std::string current;
  std::istringstream lines(dump);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.starts_with("--") || line.starts_with("SET ") ||
        line.starts_with("SELECT pg_catalog.set_config") || line.starts_with("\\")) {
      continue;
    }
    current += line + "\n";
    if (line.ends_with(";")) {
      if (current.find("alembic_version") == std::string::npos) {
        statements.push_back(current);
      }
      current.clear();
    }
  }
  std::sort(statements.begin(), statements.end());
  return statements;
}

// --verify: the staged files built by retort on one throwaway database, the original on
// another (Alembic run for real; for the SQL tools, which are not installed here, each
// migration's SQL as the importer read it, sent through the driver in the tool's order, so
// what is proved is the files, their sections and their graph), compared by pg_dump.
void verify(const Config& config, const ImportOptions& options, const fs::path& staged,
            const std::vector<Imported>& history, ImportResult& result) {
  if (config.url.empty() || commands::database_url(config).dialect != base::Dialect::postgres) {
    throw Error(ExitCode::input,
                "--verify compares pg_dump --schema-only: it needs a PostgreSQL "
                "URL (retort.toml's url, or --url)")
        .state(k_nothing_written)
        .next("set url in retort.toml (and [retort.schema] dev_url for the throwaway databases)");
  }
  auto loaded = script::ScriptDirectory::load(staged, config.project_dir);
  if (!loaded) {
    throw Error(ExitCode::failed, "the staged files do not load").state(k_nothing_written);
  }
  const auto scripts = std::make_shared<const script::ScriptDirectory>(std::move(loaded).value());
  const commands::Built imported = commands::build_source(
      config, commands::history_at(scripts, scripts->map().heads()), nullptr);
  const commands::Built original =
      commands::build_source(config, commands::history_at(scripts, {}), nullptr);
  if (options.from == ImportTool::alembic) {
    commands::importing::run_alembic_upgrade(options.dir, original.url.text);
    result.verified_against = "alembic upgrade heads";
  } else {
    const std::unique_ptr<driver::Connection> connection = driver::connect(original.url);
    for (const Imported& item : history) {
      const sql::SplitResult split = sql::split_postgres(item.upgrade);
      if (!split) {
        continue;  // the staged check has named it already
      }
      if (item.transactional) {
        connection->begin();
      }
      for (const sql::StatementSpan& span : split.value()) {
        try {
          connection->execute(item.upgrade.substr(span.offset, span.length));
        } catch (const driver::DatabaseError& error) {
          throw Error(ExitCode::failed,
                      fmt::format("{}: {} (building the original history for --verify)",
                                  item.source, error.what()))
              .state(k_nothing_written);
        }
      }
      if (item.transactional) {
        connection->commit();
      }
    }
    result.verified_against =
        fmt::format("{0}'s migrations run in {0}'s order", to_string(options.from));
  }
  const std::unique_ptr<driver::Connection> imported_connection = driver::connect(imported.url);
  const std::unique_ptr<driver::Connection> original_connection = driver::connect(original.url);
  const std::vector<std::string> ours =
      dump_statements(ops::backup::schema_only_dump(config, imported.url, *imported_connection));
  const std::vector<std::string> theirs =
      dump_statements(ops::backup::schema_only_dump(config, original.url, *original_connection));
  std::vector<std::string> only_ours;
  std::vector<std::string> only_theirs;
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(),
                      std::back_inserter(only_ours));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(),
                      std::back_inserter(only_theirs));
  if (!only_ours.empty() || !only_theirs.empty()) {
    std::string listing;
    for (const std::string& statement : only_theirs) {
      listing += "\n  only in " + std::string(to_string(options.from)) +
                 "'s: " + statement.substr(0, statement.find('\n'));
    }
    for (const std::string& statement : only_ours) {
      listing += "\n  only in retort's: " + statement.substr(0, statement.find('\n'));
    }
    throw Error(ExitCode::failed,
                fmt::format("the imported history does not build what {} builds (pg_dump "
                            "--schema-only differs):{}",
                            to_string(options.from), listing))
        .state(k_nothing_written)
        .next("read the files named above against the original, fix and import again");
  }
  result.verified_statements = static_cast<int>(ours.size());
}

std::vector<std::string> adopt(const Config& config, ImportTool tool,
                               const std::vector<Imported>& history, std::string& table) {
  commands::importing::Applied applied;
  {
    std::unique_ptr<driver::Connection> connection =
        commands::open_connection(config, driver::MissingDatabase::read_as_empty);
    applied = commands::importing::read_applied(tool, *connection, history);
  }
  table = applied.table;
  std::map<std::string, std::string> revision_of;
  for (const Imported& item : history) {
    revision_of.emplace(item.version, item.revision);
  }
  std::vector<std::string> stamped;
  for (const std::string& version : applied.versions) {
    auto it = revision_of.find(version);
    if (it == revision_of.end()) {
      throw Error(ExitCode::input,
                  fmt::format("{} says {} is applied, and the imported history has no such "
                              "revision",
                              applied.table, version))
          .state("the files were written; the database was not stamped and is as it was")
          .next("import the history the database was migrated from");
    }
    RunOptions options;
    options.target = it->second;
    options.reason = fmt::format("imported from {}: {} says version {} is applied", to_string(tool),
                                 applied.table, version);
    (void)stamp(config, options);
    stamped.push_back(it->second);
  }
  return stamped;
}

}  // namespace

std::string_view to_string(ImportTool tool) {
  for (const auto& [value, word] : k_tools) {
    if (value == tool) {
      return word;
    }
  }
  return "?";
}

std::optional<ImportTool> parse_import_tool(std::string_view word) {
  for (const auto& [value, name] : k_tools) {
    if (name == word) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> import_tool_words() {
  std::vector<std::string> words;
  for (const auto& [value, word] : k_tools) {
    words.emplace_back(word);
  }
  return words;
}

ImportResult import_history(const Config& config, const ImportOptions& options) {
  const base::Dialect dialect =
      config.url.empty() ? base::Dialect::postgres : commands::database_url(config).dialect;
  const std::vector<Imported> history =
      options.from == ImportTool::alembic
          ? commands::importing::read_alembic_history(
                options.dir, dialect == base::Dialect::sqlite ? "sqlite" : "postgresql")
          : commands::importing::read_sql_history(options.from, options.dir);

  const fs::path versions = config.script_location / "versions";
  check_destination(versions);

  ImportResult result;
  result.from = std::string(to_string(options.from));
  result.directory = fs::relative(versions, config.project_dir).lexically_normal().string();
  {
    const Staging staging(config.script_location);
    std::map<std::string, std::string> sources;
    for (const Imported& item : history) {
      const script::NewRevision revision = new_revision(options.from, item);
      const std::string name = script::revision_file_name(revision);
      std::ofstream(staging.root() / "versions" / name, std::ios::binary)
          << script::generated_revision_text(revision);
      sources.emplace(name, item.source);
      ImportedRevision written;
      written.revision = item.revision;
      written.version = item.version;
      written.source = item.source;
      written.file = (fs::path(result.directory) / name).string();
      written.revises = item.revises;
      written.depends_on = item.depends_on;
      written.branch_labels = item.branch_labels;
      written.transactional = item.transactional;
      written.downgrade = item.downgrade.has_value() && !item.left_reason;
      result.revisions.push_back(std::move(written));
      if (item.left_reason) {
        result.left_for_user.push_back(
            {item.revision, result.revisions.back().file, *item.left_reason});
      }
    }
    std::set<std::string> left;
    for (const ImportLeft& item : result.left_for_user) {
      left.insert(item.revision);
    }
    check_staged(staging.root(), config, dialect, sources, left);
    if (options.verify) {
      if (!result.left_for_user.empty()) {
        throw Error(ExitCode::input,
                    "--verify cannot build a history with revisions left for the user")
            .state(k_nothing_written)
            .next("import without --verify, write their SQL, then compare by hand");
      }
      verify(config, options, staging.root(), history, result);
    }
    move_into(staging.root() / "versions", versions);
  }
  if (options.adopt) {
    if (!result.left_for_user.empty()) {
      throw Error(
          ExitCode::input,
          fmt::format("{} revision{} need their SQL written by hand before the database "
                      "can be adopted",
                      result.left_for_user.size(), result.left_for_user.size() == 1 ? "" : "s"))
          .state("the files were written; the database was not stamped and is as it was")
          .next("write their SQL, then retort stamp REV --reason \"adopted from " + result.from +
                "\"");
    }
    result.adopted = adopt(config, options.from, history, result.adopted_from);
  }
  return result;
}

}  // namespace retort
