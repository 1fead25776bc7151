// The SQL-based tools `retort import` reads: Flyway, golang-migrate, dbmate, goose, Diesel and
// Sqitch, each by its documented layout, and their version tables. Every file in the
// directory must be one the tool would run (or its configuration); anything else is an input
// error naming it, so that nothing of the history is lost without a word.
#include "commands/import_tools.hpp"

#include "base/text.hpp"
#include "retort/error.hpp"
#include "sql/classify.hpp"
#include "sql/splitter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace retort::commands::importing {

namespace fs = std::filesystem;

namespace {

const char* const k_nothing_written = "no file was written and no database was touched";

Error not_understood(const std::string& file, const std::string& why, const std::string& fix) {
  Error error(ExitCode::input, fmt::format("{}: {}", file, why));
  error.state(k_nothing_written);
  error.next(fix);
  return error;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ExitCode::input, fmt::format("cannot read {}", path.string()))
        .state(k_nothing_written);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    lines.push_back(line);
  }
  return lines;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The tools wrap a file in BEGIN/COMMIT themselves or let the file do it (golang-migrate,
// Sqitch); retort owns the transaction, so a line that is nothing but transaction control
// goes. Any other transaction control is left for the check that every file loads, which
// names its line.
std::string without_transaction_lines(const std::string& sql) {
  static const std::set<std::string> k_control = {
      "begin;",      "commit;",      "start transaction;", "begin transaction;",
      "begin work;", "commit work;", "commit transaction;"};
  std::string out;
  for (const std::string& line : lines_of(sql)) {
    if (k_control.count(lower(base::trim(line))) == 0) {
      out += line;
      out += '\n';
    }
  }
  return out;
}

// Whether a file holds a statement PostgreSQL refuses inside a transaction block (CREATE INDEX
// CONCURRENTLY, VACUUM): golang-migrate and Sqitch have no marker of their own for it, they
// send such a file to the server as it is, outside any transaction of theirs.
bool needs_no_transaction(const std::string& sql) {
  const sql::SplitResult split = sql::split_postgres(sql);
  if (!split) {
    return false;  // the check of the staged files names the syntax error
  }
  return std::any_of(split.value().begin(), split.value().end(),
                     [&](const sql::StatementSpan& span) {
                       return sql::classify(std::string_view(sql).substr(span.offset, span.length),
                                            base::Dialect::postgres)
                           .needs_no_transaction;
                     });
}

// The regular files directly in `dir` (recursively: Flyway scans its locations so), sorted,
// without hidden ones (.gitkeep).
std::vector<fs::path> files_in(const fs::path& dir, bool recursive) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ExitCode::input, fmt::format("{} is not a directory", dir.string()))
        .state(k_nothing_written)
        .next("retort import --from TOOL DIR   (DIR: the tool's migrations directory)");
  }
  std::vector<fs::path> files;
  auto keep = [&](const fs::directory_entry& entry) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
      files.push_back(fs::relative(entry.path(), dir));
    }
  };
  if (recursive) {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
      keep(entry);
    }
  } else {
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      keep(entry);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "000042" -> "42": golang-migrate and goose keep the number, not the digits.
std::string number_text(std::string_view digits) {
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? std::string("0") : std::string(digits.substr(first));
}

// Orders numbers written in decimal without leading zeros.
bool number_less(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// Flyway's version: parts separated by `.` or `_`, compared as numbers, trailing zeros
// ignored (1.0 is 1).
std::vector<std::string> flyway_parts(std::string_view version) {
  std::vector<std::string> parts;
  std::string part;
  for (const char c : version) {
    if (c == '.' || c == '_') {
      parts.push_back(number_text(part));
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(number_text(part));
  while (parts.size() > 1 && parts.back() == "0") {
    parts.pop_back();
  }
  return parts;
}

bool flyway_less(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), number_less);
}

}  // namespace

bool has_statement(const std::string& sql) {
  const std::vector<std::string> lines = lines_of(sql);
  return std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    const std::string_view text = base::trim(line);
    return !text.empty() && !text.starts_with("--");
  });
}

namespace {

void chain(std::vector<Imported>& history) {
  for (std::size_t i = 1; i < history.size(); ++i) {
    history[i].revises = {history[i - 1].revision};
  }
}

// Duplicate versions (V1__a.sql and V1__b.sql) are an error in every tool.
void check_unique(const std::vector<Imported>& history) {
  std::map<std::string, std::string> seen;
  for (const Imported& item : history) {
    auto [it, inserted] = seen.emplace(item.revision, item.source);
    if (!inserted) {
      throw not_understood(item.source,
                           fmt::format("has the same version as {} (both become revision {})",
                                       it->second, item.revision),
                           "give one of them another version, as the tool itself requires");
    }
  }
}

std::string words_of(std::string_view description) {
  std::string out(description);
  std::replace(out.begin(), out.end(), '_', ' ');
  return std::string(base::trim(out));
}

// ---- Flyway ----

std::vector<Imported> read_flyway(const fs::path& dir) {
  struct Found {
    std::vector<std::string> order;
    Imported item;
  };
  std::map<std::string, Found> versioned;                           // by normalized version
  std::map<std::string, std::pair<std::string, std::string>> undo;  // version -> file, sql
  std::set<std::string> configs;
  for (const fs::path& file : files_in(dir, true)) {
    const std::string name = file.filename().string();
    const std::string shown = file.string();
    if (name.ends_with(".sql.conf")) {
      configs.insert(shown);
      continue;
    }
    if (name.starts_with("R__")) {
      throw not_understood(shown,
                           "a Flyway repeatable migration, which runs again whenever it changes; "
                           "retort's revisions run once",
                           "move it out of DIR and make it a revision of its own after the import "
                           "(retort revision -m ...), or re-run it by hand when it changes");
    }
    const bool is_undo = name.starts_with("U");
    const std::size_t separator = name.find("__");
    if (!(name.starts_with("V") || is_undo) || separator == std::string::npos ||
        !name.ends_with(".sql") || separator < 2) {
      throw not_understood(shown, "not a Flyway SQL migration",
                           "Flyway's files are V<version>__<description>.sql and "
                           "U<version>__<description>.sql; move other files out of DIR");
    }
    const std::string version = name.substr(1, separator - 1);
    const bool valid = std::all_of(version.begin(), version.end(), [](unsigned char c) {
      return std::isdigit(c) || c == '.' || c == '_';
    });
    if (!valid) {
      throw not_understood(shown, fmt::format("`{}` is not a Flyway version", version),
                           "a version is numbers separated by dots or underscores (V1_2 or "
                           "V1.2)");
    }
    const std::vector<std::string> parts = flyway_parts(version);
    const std::string key = base::join(parts, ".");
    const std::string description =
        words_of(name.substr(separator + 2, name.size() - separator - 2 - 4));
    if (is_undo) {
      undo[key] = {shown, read_text(dir / file)};
      continue;
    }
    Found found;
    found.order = parts;
    found.item.version = key;
    found.item.revision = revision_of(ImportTool::flyway, base::join(parts, "_"), shown);
    found.item.message = description;
    found.item.source = shown;
    found.item.upgrade = read_text(dir / file);
    if (versioned.count(key) != 0) {
      throw not_understood(shown,
                           fmt::format("has the same version as {}", versioned[key].item.source),
                           "Flyway refuses this too: give one of them another version");
    }
    versioned.emplace(key, std::move(found));
  }
  for (const std::string& config : configs) {
    const std::string script = config.substr(0, config.size() - 5);
    auto it = std::find_if(versioned.begin(), versioned.end(),
                           [&](const auto& entry) { return entry.second.item.source == script; });
    if (it == versioned.end()) {
      continue;  // a U-file's configuration: the undo runs as retort's downgrade
    }
    int line_number = 0;
    for (const std::string& line : lines_of(read_text(dir / config))) {
      ++line_number;
      const std::string_view text = base::trim(line);
      if (text.empty() || text.starts_with("#")) {
        continue;
      }
      const std::size_t equals = text.find('=');
      const std::string key(base::trim(text.substr(0, equals)));
      const std::string value(equals == std::string_view::npos
                                  ? std::string_view()
                                  : base::trim(text.substr(equals + 1)));
      if (key == "executeInTransaction") {
        it->second.item.transactional = lower(value) != "false";
      } else if (key != "encoding") {
        throw not_understood(
            fmt::format("{}:{}", config, line_number),
            fmt::format("the script setting `{}` has no counterpart in retort", key),
            "keep executeInTransaction (and encoding) only");
      }
    }
  }
  std::vector<Found> ordered;
  for (auto& [key, found] : versioned) {
    ordered.push_back(std::move(found));
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const Found& a, const Found& b) { return flyway_less(a.order, b.order); });
  std::vector<Imported> history;
  for (Found& found : ordered) {
    auto it = undo.find(found.item.version);
    if (it != undo.end()) {
      found.item.downgrade = it->second.second;
      undo.erase(it);
    }
    history.push_back(std::move(found.item));
  }
  if (!undo.empty()) {
    throw not_understood(undo.begin()->second.first, "undoes a version no V-file has",
                         "remove it, or add the V-file it undoes");
  }
  return history;
}

// ---- golang-migrate: {version}_{title}.up.sql and .down.sql ----

std::vector<Imported> read_golang_migrate(const fs::path& dir) {
  std::map<std::string, Imported, decltype(&number_less)> byversion(&number_less);
  std::map<std::string, std::pair<std::string, std::string>> downs;
  for (const fs::path& file : files_in(dir, false)) {
    const std::string name = file.string();
    const std::size_t underscore = name.find('_');
    const bool up = name.ends_with(".up.sql");
    const bool down = name.ends_with(".down.sql");
    if (underscore == std::string::npos || !all_digits(name.substr(0, underscore)) ||
        (!up && !down)) {
      throw not_understood(name, "not a golang-migrate migration",
                           "golang-migrate's files are {version}_{title}.up.sql and "
                           "{version}_{title}.down.sql; move other files out of DIR");
    }
    const std::string version = number_text(name.substr(0, underscore));
    const std::size_t suffix = up ? 7 : 9;
    const std::string title =
        words_of(name.substr(underscore + 1, name.size() - underscore - 1 - suffix));
    if (down) {
      downs[version] = {name, read_text(dir / file)};
      continue;
    }
    if (byversion.count(version) != 0) {
      throw not_understood(name,
                           fmt::format("has the same version as {}", byversion.at(version).source),
                           "golang-migrate refuses this too: give one of them another version");
    }
    Imported item;
    item.version = version;
    item.revision = revision_of(ImportTool::golang_migrate, version, name);
    item.message = title;
    item.source = name;
    item.upgrade = without_transaction_lines(read_text(dir / file));
    item.transactional = !needs_no_transaction(item.upgrade);
    byversion.emplace(version, std::move(item));
  }
  std::vector<Imported> history;
  for (auto& [version, item] : byversion) {
    auto it = downs.find(version);
    if (it != downs.end()) {
      item.downgrade = without_transaction_lines(it->second.second);
      item.transactional = item.transactional && !needs_no_transaction(*item.downgrade);
      downs.erase(it);
    }
    history.push_back(std::move(item));
  }
  if (!downs.empty()) {
    throw not_understood(downs.begin()->second.first, "has no .up.sql file beside it",
                         "add the up file, or remove the down file");
  }
  return history;
}

// ---- dbmate: {version}_{name}.sql with `-- migrate:up` and `-- migrate:down` ----

std::vector<Imported> read_dbmate(const fs::path& dir) {
  std::vector<Imported> history;
  for (const fs::path& file : files_in(dir, false)) {
    const std::string name = file.string();
    const std::size_t underscore = name.find('_');
    const std::string version = name.substr(0, std::min(underscore, name.find('.')));
    if (!name.ends_with(".sql") || !all_digits(version)) {
      throw not_understood(name, "not a dbmate migration",
                           "dbmate's files are {version}_{name}.sql; move other files out of DIR");
    }
    Imported item;
    item.version = version;
    item.revision = revision_of(ImportTool::dbmate, version, name);
    item.message = underscore == std::string::npos
                       ? std::string()
                       : words_of(name.substr(underscore + 1, name.size() - underscore - 5));
    item.source = name;
    enum class Section { none, up, down } section = Section::none;
    bool saw_up = false;
    std::string up;
    std::string down;
    bool down_transactional = true;
    int line_number = 0;
    for (const std::string& line : lines_of(read_text(dir / file))) {
      ++line_number;
      const std::string_view text = base::trim(line);
      if (text.starts_with("-- migrate:")) {
        const std::vector<std::string> words = base::split_words(text.substr(3));
        bool transactional = true;
        for (std::size_t i = 1; i < words.size(); ++i) {
          if (words[i] == "transaction:false") {
            transactional = false;
          } else if (words[i] != "transaction:true") {
            throw not_understood(fmt::format("{}:{}", name, line_number),
                                 fmt::format("unknown dbmate option `{}`", words[i]),
                                 "dbmate's one option is transaction:false");
          }
        }
        if (words[0] == "migrate:up") {
          section = Section::up;
          saw_up = true;
          item.transactional = transactional;
        } else if (words[0] == "migrate:down") {
          section = Section::down;
          down_transactional = transactional;
        } else {
          throw not_understood(fmt::format("{}:{}", name, line_number),
                               fmt::format("unknown dbmate directive `{}`", words[0]),
                               "dbmate's directives are -- migrate:up and -- migrate:down");
        }
        continue;
      }
      (section == Section::down ? down : up) += line + "\n";
    }
    if (!saw_up) {
      throw not_understood(name, "has no `-- migrate:up` line",
                           "dbmate needs it too: add `-- migrate:up` before the statements");
    }
    // retort has one transaction setting per revision: a non-transactional down makes it all
    // statement by statement, which is what dbmate would do with those statements.
    item.transactional = item.transactional && down_transactional;
    item.upgrade = up;
    if (has_statement(down)) {
      item.downgrade = down;
    }
    history.push_back(std::move(item));
  }
  std::stable_sort(history.begin(), history.end(),
                   [](const Imported& a, const Imported& b) { return a.version < b.version; });
  return history;
}

// ---- goose: {version}_{name}.sql with `-- +goose Up` and `-- +goose Down` ----

std::vector<Imported> read_goose(const fs::path& dir) {
  std::vector<Imported> history;
  for (const fs::path& file : files_in(dir, false)) {
    const std::string name = file.string();
    const std::size_t underscore = name.find('_');
    const std::string digits = name.substr(0, underscore);
    if (name.ends_with(".go") && all_digits(digits)) {
      throw not_understood(name, "a goose migration in Go, whose code retort cannot run",
                           "write what it does as SQL in a .sql file of the same version, and "
                           "move the .go file out of DIR");
    }
    if (!name.ends_with(".sql") || underscore == std::string::npos || !all_digits(digits)) {
      throw not_understood(name, "not a goose SQL migration",
                           "goose's files are {version}_{name}.sql; move other files out of DIR");
    }
    Imported item;
    item.version = number_text(digits);
    item.revision = revision_of(ImportTool::goose, item.version, name);
    item.message = words_of(name.substr(underscore + 1, name.size() - underscore - 5));
    item.source = name;
    enum class Section { none, up, down } section = Section::none;
    std::string up;
    std::string down;
    int line_number = 0;
    for (const std::string& line : lines_of(read_text(dir / file))) {
      ++line_number;
      const std::string_view text = base::trim(line);
      if (!text.starts_with("-- +goose")) {
        if (section == Section::none && !text.empty() && !text.starts_with("--")) {
          throw not_understood(fmt::format("{}:{}", name, line_number),
                               "a statement before `-- +goose Up`",
                               "goose refuses this too: put `-- +goose Up` before it");
        }
        (section == Section::down ? down : up) += line + "\n";
        continue;
      }
      const std::string annotation = lower(base::trim(text.substr(9)));
      if (annotation == "up") {
        section = Section::up;
      } else if (annotation == "down") {
        section = Section::down;
      } else if (annotation == "no transaction") {
        item.transactional = false;
      } else if (annotation == "statementbegin" || annotation == "statementend") {
        // retort splits with PostgreSQL's own parser, which knows where a function body ends.
      } else {
        throw not_understood(
            fmt::format("{}:{}", name, line_number),
            fmt::format("the goose annotation `{}` has no counterpart in retort", base::trim(text)),
            "import understands Up, Down, StatementBegin, StatementEnd and NO "
            "TRANSACTION: expand the rest by hand first");
      }
    }
    if (section == Section::none) {
      throw not_understood(name, "has no `-- +goose Up` line",
                           "goose needs it too: add `-- +goose Up` before the statements");
    }
    item.upgrade = up;
    if (has_statement(down)) {
      item.downgrade = down;
    }
    history.push_back(std::move(item));
  }
  std::stable_sort(history.begin(), history.end(), [](const Imported& a, const Imported& b) {
    return number_less(a.version, b.version);
  });
  return history;
}

// ---- Diesel: {version}_{name}/up.sql, down.sql, metadata.toml ----

std::vector<Imported> read_diesel(const fs::path& dir) {
  std::vector<Imported> history;
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().front() != '.') {
      entries.push_back(entry.path());
    }
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& path : entries) {
    const std::string name = path.filename().string();
    const std::size_t underscore = name.find('_');
    std::string version;
    for (const char c : name.substr(0, underscore)) {
      if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        version += c;
      } else if (c != '-') {
        version.clear();
        break;
      }
    }
    if (!fs::is_directory(path) || underscore == std::string::npos || version.empty()) {
      if (name == "README.md" || name == ".keep") {
        continue;
      }
      throw not_understood(name, "not a Diesel migration directory",
                           "Diesel's migrations are directories {version}_{name}/ holding up.sql "
                           "and down.sql; move other files out of DIR");
    }
    Imported item;
    item.version = version;
    item.revision = revision_of(ImportTool::diesel, version, name);
    item.message = words_of(name.substr(underscore + 1));
    item.source = name + "/up.sql";
    for (const fs::path& file : files_in(path, false)) {
      const std::string shown = name + "/" + file.string();
      if (file == "up.sql") {
        item.upgrade = read_text(path / file);
      } else if (file == "down.sql") {
        const std::string down = read_text(path / file);
        if (has_statement(down)) {
          item.downgrade = down;
        }
      } else if (file == "metadata.toml") {
        int line_number = 0;
        for (const std::string& line : lines_of(read_text(path / file))) {
          ++line_number;
          const std::string_view text = base::trim(line);
          if (text.empty() || text.starts_with("#")) {
            continue;
          }
          const std::string compact = [&] {
            std::string out;
            for (const char c : text) {
              if (c != ' ' && c != '\t') {
                out += c;
              }
            }
            return out;
          }();
          if (compact == "run_in_transaction=false") {
            item.transactional = false;
          } else if (compact != "run_in_transaction=true") {
            throw not_understood(fmt::format("{}:{}", shown, line_number),
                                 "a Diesel setting import does not know",
                                 "import understands run_in_transaction only");
          }
        }
      } else {
        throw not_understood(shown, "not a Diesel migration file",
                             "a Diesel migration holds up.sql, down.sql and metadata.toml");
      }
    }
    if (!fs::exists(path / "up.sql")) {
      throw not_understood(name, "has no up.sql", "Diesel needs it too: add up.sql");
    }
    history.push_back(std::move(item));
  }
  return history;
}

// ---- Sqitch: sqitch.plan, deploy/<change>.sql, revert/<change>.sql ----

std::vector<Imported> read_sqitch(const fs::path& dir) {
  const fs::path plan_path = dir / "sqitch.plan";
  if (!fs::exists(plan_path)) {
    throw not_understood(dir.string(), "has no sqitch.plan",
                         "give the Sqitch project's directory, where sqitch.plan is");
  }
  std::vector<Imported> history;
  std::set<std::string> names;
  int line_number = 0;
  for (const std::string& line : lines_of(read_text(plan_path))) {
    ++line_number;
    const std::string where = fmt::format("sqitch.plan:{}", line_number);
    std::string_view text = base::trim(line);
    if (text.empty() || text.starts_with("%") || text.starts_with("#") || text.starts_with("@")) {
      continue;  // pragmas, comments, tags
    }
    // change [dependencies] timestamp planner <email> # note
    std::string note;
    if (const std::size_t hash = text.find(" #"); hash != std::string_view::npos) {
      note = std::string(base::trim(text.substr(hash + 2)));
      text = text.substr(0, hash);
    }
    std::vector<std::string> required;
    const std::size_t open = text.find('[');
    std::string name = base::split_words(text).front();
    if (open != std::string_view::npos) {
      const std::size_t close = text.find(']', open);
      if (close == std::string_view::npos) {
        throw not_understood(where, "a `[` with no `]`", "close the list of dependencies");
      }
      for (const std::string& dependency :
           base::split_words(text.substr(open + 1, close - open - 1))) {
        if (dependency.starts_with("!")) {
          continue;  // a conflict: Sqitch's own check, nothing to run
        }
        if (dependency.find(':') != std::string::npos ||
            dependency.find('@') != std::string::npos) {
          throw not_understood(
              where, fmt::format("the dependency `{}` names another project or a tag", dependency),
              "import the other project's changes into this history first, or "
              "drop the dependency");
        }
        if (names.count(dependency) == 0) {
          throw not_understood(
              where,
              fmt::format("`{}` requires `{}`, which no earlier change is", name, dependency),
              "Sqitch refuses this too: fix the plan");
        }
        required.push_back(revision_of(ImportTool::sqitch, dependency, where));
      }
    }
    if (name.starts_with("+") || name.starts_with("-")) {
      name.erase(0, 1);
    }
    if (!names.insert(name).second) {
      throw not_understood(where,
                           fmt::format("`{}` is reworked (it appears twice in the plan)", name),
                           "import reads plans without reworked changes: make the rework a "
                           "change of its own name");
    }
    Imported item;
    item.version = name;
    item.revision = revision_of(ImportTool::sqitch, name, where);
    item.message = note.empty() ? name : note;
    item.source = "deploy/" + name + ".sql";
    if (!fs::exists(dir / item.source)) {
      throw not_understood(item.source, "is missing (sqitch.plan names the change)",
                           "add the deploy script, or remove the change from the plan");
    }
    item.upgrade = without_transaction_lines(read_text(dir / item.source));
    if (fs::exists(dir / "revert" / (name + ".sql"))) {
      const std::string down =
          without_transaction_lines(read_text(dir / "revert" / (name + ".sql")));
      if (has_statement(down)) {
        item.downgrade = down;
      }
    }
    item.transactional = !needs_no_transaction(item.upgrade) &&
                         !(item.downgrade && needs_no_transaction(*item.downgrade));
    item.depends_on = required;
    history.push_back(std::move(item));
  }
  return history;
}

}  // namespace

std::string revision_of(ImportTool tool, std::string_view version, const std::string& source) {
  std::string id = tool == ImportTool::sqitch ? std::string() : std::string("v");
  for (const char c : version) {
    id += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ? c : '_';
  }
  constexpr std::size_t k_longest = 64;
  if (id.size() > k_longest) {
    throw not_understood(source,
                         fmt::format("its version makes the revision id `{}`, longer than 64 "
                                     "characters",
                                     id),
                         "shorten the version (or the change's name) before importing");
  }
  return id;
}

std::vector<Imported> read_sql_history(ImportTool tool, const fs::path& dir) {
  std::vector<Imported> history;
  switch (tool) {
    case ImportTool::flyway:
      history = read_flyway(dir);
      break;
    case ImportTool::golang_migrate:
      history = read_golang_migrate(dir);
      break;
    case ImportTool::dbmate:
      history = read_dbmate(dir);
      break;
    case ImportTool::goose:
      history = read_goose(dir);
      break;
    case ImportTool::diesel:
      history = read_diesel(dir);
      break;
    case ImportTool::sqitch:
      history = read_sqitch(dir);
      break;
    case ImportTool::alembic:
      break;
  }
  if (history.empty()) {
    throw Error(ExitCode::input,
                fmt::format("no {} migration in {}", to_string(tool), dir.string()))
        .state(k_nothing_written)
        .next(fmt::format("retort import --from {} DIR   (DIR: where its migrations are)",
                          to_string(tool)));
  }
  check_unique(history);
  chain(history);
  return history;
}

namespace {

// The rows of `sql` on the tool's table, or an input error saying the table is not there.
driver::Rows read_table(driver::Connection& connection, const std::string& table,
                        const std::string& sql, ImportTool tool) {
  try {
    return connection.query(sql);
  } catch (const driver::DatabaseError& error) {
    Error out(ExitCode::input, fmt::format("cannot read {}'s version table {}: {}", to_string(tool),
                                           table, error.what()));
    out.state("the files were written; the database was not stamped");
    out.explain(
        fmt::format("--url names the database {} manages; its table {} says what is "
                    "applied",
                    to_string(tool), table));
    out.next(
        "check the URL, then run retort stamp REV --reason \"...\" yourself, or retort "
        "upgrade on a new database");
    throw out;
  }
}

Error adoption_refused(const std::string& what, const std::string& fix) {
  Error error(ExitCode::input, what);
  error.state("the files were written; the database was not stamped and is as it was");
  error.next(fix);
  return error;
}

// The one version to stamp: the last applied in the history's order, once every version
// before it is applied too (a stamp implies its ancestors).
std::vector<std::string> last_applied(ImportTool tool, const std::string& table,
                                      const std::set<std::string>& applied,
                                      const std::vector<Imported>& history) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < history.size(); ++i) {
    index.emplace(history[i].version, i);
  }
  std::optional<std::size_t> last;
  for (const std::string& version : applied) {
    auto it = index.find(version);
    if (it == index.end()) {
      throw adoption_refused(
          fmt::format("{} says version {} is applied, and the imported directory has no "
                      "migration of that version",
                      table, version),
          fmt::format("import the directory the database was migrated from (the files of {} "
                      "included)",
                      version));
    }
    last = std::max(last.value_or(0), it->second);
  }
  if (!last) {
    return {};
  }
  for (std::size_t i = 0; i < *last; ++i) {
    if (applied.count(history[i].version) == 0) {
      throw adoption_refused(
          fmt::format("{} says {} is applied but not the earlier {}: a stamp at {} would mark it "
                      "applied",
                      table, history[*last].version, history[i].version, history[i].revision),
          fmt::format("apply {} with {} first (or stamp by hand: retort stamp REV --reason ...)",
                      history[i].version, to_string(tool)));
    }
  }
  return {history[*last].version};
}

std::string text(const driver::Value& value) { return value.value_or(""); }

bool truthy(const driver::Value& value) {
  const std::string word = lower(text(value));
  return word == "t" || word == "true" || word == "1";
}

}  // namespace

Applied read_applied(ImportTool tool, driver::Connection& connection,
                     const std::vector<Imported>& history) {
  Applied result;
  std::set<std::string> applied;
  switch (tool) {
    case ImportTool::alembic: {
      result.table = "alembic_version";
      for (const auto& row :
           read_table(connection, result.table, "SELECT version_num FROM alembic_version", tool)
               .rows) {
        result.versions.push_back(text(row[0]));
      }
      std::sort(result.versions.begin(), result.versions.end());
      return result;
    }
    case ImportTool::flyway: {
      result.table = "flyway_schema_history";
      const driver::Rows rows = read_table(
          connection, result.table,
          "SELECT version, type, success FROM flyway_schema_history WHERE version IS NOT NULL "
          "ORDER BY installed_rank",
          tool);
      for (const auto& row : rows.rows) {
        const std::string version = base::join(flyway_parts(text(row[0])), ".");
        const std::string type = text(row[1]);
        if (!truthy(row[2])) {
          throw adoption_refused(
              fmt::format("flyway_schema_history records version {} as failed", version),
              "repair the database with Flyway first (flyway repair, after fixing what the "
              "failed migration left), then import again");
        }
        if (type == "SCHEMA") {
          continue;  // Flyway's creation of its schemas, not a migration
        }
        if (type.find("UNDO") != std::string::npos) {
          applied.erase(version);
        } else if (type == "BASELINE") {
          // Everything up to the baseline counts as applied, as Flyway treats it.
          for (const Imported& item : history) {
            if (!flyway_less(flyway_parts(version), flyway_parts(item.version))) {
              applied.insert(item.version);
            }
          }
        } else {
          applied.insert(version);
        }
      }
      break;
    }
    case ImportTool::golang_migrate: {
      result.table = "schema_migrations";
      const driver::Rows rows = read_table(connection, result.table,
                                           "SELECT version, dirty FROM schema_migrations", tool);
      if (rows.size() > 1) {
        throw adoption_refused(
            "schema_migrations has more than one row, which golang-migrate "
            "never writes (is it dbmate's?)",
            "import with --from dbmate if dbmate manages this database");
      }
      if (!rows.empty()) {
        const std::string version = number_text(text(rows.rows[0][0]));
        if (truthy(rows.rows[0][1])) {
          throw adoption_refused(
              fmt::format("schema_migrations is dirty at version {}: a migration failed "
                          "part-way, and the database is in between",
                          version),
              "finish or undo that migration by hand, then migrate force VERSION, then import "
              "again");
        }
        for (const Imported& item : history) {
          applied.insert(item.version);
          if (item.version == version) {
            break;
          }
        }
        if (version != "0" && std::none_of(history.begin(), history.end(), [&](const Imported& i) {
              return i.version == version;
            })) {
          applied = {version};  // reported by last_applied as unknown
        }
      }
      break;
    }
    case ImportTool::dbmate: {
      result.table = "schema_migrations";
      for (const auto& row :
           read_table(connection, result.table, "SELECT version FROM schema_migrations", tool)
               .rows) {
        applied.insert(text(row[0]));
      }
      break;
    }
    case ImportTool::goose: {
      result.table = "goose_db_version";
      // goose appends a row per up and per down; the latest row of a version says whether it
      // is applied.
      for (const auto& row :
           read_table(connection, result.table,
                      "SELECT version_id, is_applied FROM goose_db_version ORDER BY id", tool)
               .rows) {
        const std::string version = number_text(text(row[0]));
        if (version == "0") {
          continue;  // the row goose writes when it creates the table
        }
        if (truthy(row[1])) {
          applied.insert(version);
        } else {
          applied.erase(version);
        }
      }
      break;
    }
    case ImportTool::diesel: {
      result.table = "__diesel_schema_migrations";
      for (const auto& row : read_table(connection, result.table,
                                        "SELECT version FROM __diesel_schema_migrations", tool)
                                 .rows) {
        applied.insert(text(row[0]));
      }
      break;
    }
    case ImportTool::sqitch: {
      result.table = "sqitch.changes";
      for (const auto& row :
           read_table(connection, result.table, "SELECT change FROM sqitch.changes", tool).rows) {
        applied.insert(text(row[0]));
      }
      break;
    }
  }
  result.versions = last_applied(tool, result.table, applied, history);
  return result;
}

}  // namespace retort::commands::importing
