// retort.toml: discovery, the table of known keys, ${NAME} expansion and the URL precedence
// of SPEC section 1. Every problem becomes a retort::Error(ExitCode::input) naming file and line.
#include "retort/config.hpp"

#include "base/duration.hpp"
#include "base/text.hpp"
#include "base/url.hpp"
#include "base/window.hpp"
#include "retort/error.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace retort {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_file_name = "retort.toml";
constexpr std::string_view k_default_script_location = "migrations";
// PostgreSQL truncates identifiers beyond NAMEDATALEN - 1 bytes.
constexpr std::size_t k_max_identifier = 63;
// The version table's primary key is its name with this suffix (runner/version_table.cpp).
constexpr std::string_view k_primary_key_suffix = "_pkc";

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

// Values of the file that need the whole picture (precedence, project_dir) before they land
// in Config.
struct FileValues {
  std::optional<std::string> script_location;
  std::optional<std::string> url;
  int url_line = 0;
};

// Everything reading the file fills.
struct Loaded {
  Config config;
  FileValues file;
};

// Maps each struct a key lands in to its place in Loaded. A new settings table (say
// [retort.backup]) adds its struct here and its keys to known_keys().
template <typename Owner>
Owner& part(Loaded& loaded);
template <>
Config& part<Config>(Loaded& loaded) {
  return loaded.config;
}
template <>
PostgresSettings& part<PostgresSettings>(Loaded& loaded) {
  return loaded.config.postgres;
}
template <>
PreflightSettings& part<PreflightSettings>(Loaded& loaded) {
  return loaded.config.preflight;
}
template <>
ReplicaSettings& part<ReplicaSettings>(Loaded& loaded) {
  return loaded.config.replicas;
}
template <>
BackupSettings& part<BackupSettings>(Loaded& loaded) {
  return loaded.config.backup;
}
template <>
LintSettings& part<LintSettings>(Loaded& loaded) {
  return loaded.config.lint;
}
template <>
HookSettings& part<HookSettings>(Loaded& loaded) {
  return loaded.config.hooks;
}
template <>
WindowSettings& part<WindowSettings>(Loaded& loaded) {
  return loaded.config.windows;
}
template <>
SchemaSettings& part<SchemaSettings>(Loaded& loaded) {
  return loaded.config.schema;
}
template <>
FleetSettings& part<FleetSettings>(Loaded& loaded) {
  return loaded.config.fleet;
}
template <>
FileValues& part<FileValues>(Loaded& loaded) {
  return loaded.file;
}

[[noreturn]] void throw_input(SourceLocation where, std::string message,
                              std::string explanation = {}) {
  Error error(ExitCode::input, std::move(message));
  if (!where.file.empty()) {
    error.at(std::move(where));
  }
  if (!explanation.empty()) {
    error.explain(std::move(explanation));
  }
  throw error;
}

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// Letters, digits and _, not starting with a digit: environment variables and SQL names alike.
bool is_name(std::string_view text) {
  return !text.empty() && is_name_start(text.front()) &&
         std::all_of(text.begin(), text.end(), is_name_char);
}

bool is_identifier(std::string_view text) {
  return is_name(text) && text.size() <= k_max_identifier;
}

// Expands ${NAME} from the environment. "$${" is a literal "${"; any other '$' is kept. The
// expanded text is not expanded again, so a value holding "${" cannot recurse.
std::string expand(std::string_view raw, const std::string& dotted, const SourceLocation& where,
                   const Getenv& getenv) {
  std::string out;
  out.reserve(raw.size());
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::string_view rest = raw.substr(pos);
    if (rest.starts_with("$${")) {
      out += "${";
      pos += 3;
      continue;
    }
    if (!rest.starts_with("${")) {
      out += raw[pos];
      ++pos;
      continue;
    }
    const std::size_t close = rest.find('}');
    if (close == std::string_view::npos) {
      throw_input(where, "unclosed '${' in " + dotted,
                  "write ${NAME} to read the environment variable NAME, or $${ for a literal ${");
    }
    const std::string name(rest.substr(2, close - 2));
    if (!is_name(name)) {
      throw_input(where, "'${" + name + "}' in " + dotted + " is not a valid variable name",
                  "a name is letters, digits and _, not starting with a digit; write $${ for a "
                  "literal ${");
    }
    const std::optional<std::string> value = getenv(name);
    if (!value) {
      throw_input(where, "environment variable " + name + " is not set (" + dotted + " uses ${" +
                             name + "})");
    }
    out += *value;
    pos += close + 1;
  }
  return out;
}

std::string quoted_redacted(std::string_view text) { return "\"" + base::redact_url(text) + "\""; }

// One key's value as a reader sees it.
class Input {
 public:
  Input(const toml::node& node, std::string dotted, SourceLocation where, const Getenv& getenv)
      : m_node(node), m_dotted(std::move(dotted)), m_where(std::move(where)), m_getenv(getenv) {}

  [[nodiscard]] const toml::node& node() const { return m_node; }
  [[nodiscard]] const std::string& dotted() const { return m_dotted; }
  [[nodiscard]] const SourceLocation& where() const { return m_where; }
  [[nodiscard]] const Getenv& getenv() const { return m_getenv; }

  // The value with ${NAME} expanded, or nullopt when it is not a TOML string.
  [[nodiscard]] std::optional<std::string> text() const {
    if (const auto* value = m_node.as_string()) {
      return expand(value->get(), m_dotted, m_where, m_getenv);
    }
    return std::nullopt;
  }

  // "retort.postgres.lock_retries must be a whole number (0 or more), not -1".
  [[noreturn]] void reject(std::string_view accepted, std::string explanation = {}) const {
    throw_input(m_where, m_dotted + " must be " + std::string(accepted) + ", not " + shown(),
                std::move(explanation));
  }

 private:
  // What the user wrote, in words; strings are echoed redacted, they may hold a URL.
  [[nodiscard]] std::string shown() const {
    if (m_node.is_string()) {
      return quoted_redacted(*text());
    }
    if (const auto* integer = m_node.as_integer()) {
      return std::to_string(integer->get());
    }
    if (const auto* boolean = m_node.as_boolean()) {
      return boolean->get() ? "true" : "false";
    }
    if (const auto* floating = m_node.as_floating_point()) {
      std::ostringstream out;
      out << floating->get();
      return out.str();
    }
    if (m_node.is_table()) {
      return "a table";
    }
    if (m_node.is_array()) {
      return "an array";
    }
    return "a date or time";
  }

  const toml::node& m_node;
  std::string m_dotted;
  SourceLocation m_where;
  const Getenv& m_getenv;
};

using Reader = std::function<void(const Input&, Loaded&)>;

// One key of retort.toml: the table it belongs in, its name, and how its value is read.
struct KeySpec {
  std::string table;
  std::string name;
  Reader read;
};

enum class Empty { allowed, rejected };

template <typename Owner, typename Field>
Reader text(Field Owner::*member, Empty empty = Empty::rejected) {
  return [member, empty](const Input& input, Loaded& loaded) {
    std::optional<std::string> value = input.text();
    if (!value || (empty == Empty::rejected && value->empty())) {
      input.reject("a non-empty string");
    }
    part<Owner>(loaded).*member = std::move(*value);
  };
}

template <typename Owner>
Reader text_with_line(std::optional<std::string> Owner::*member, int Owner::*line) {
  return [member, line](const Input& input, Loaded& loaded) {
    text(member)(input, loaded);
    part<Owner>(loaded).*line = input.where().line;
  };
}

// A table name in the database: an unquoted SQL identifier, so it needs no quoting rules.
template <typename Owner>
Reader identifier(std::string Owner::*member, Empty empty = Empty::rejected) {
  return [member, empty](const Input& input, Loaded& loaded) {
    std::optional<std::string> value = input.text();
    if (!value || !(is_identifier(*value) || (empty == Empty::allowed && value->empty()))) {
      input.reject(
          "a name of letters, digits and _, not starting with a digit, at most 63 "
          "characters");
    }
    part<Owner>(loaded).*member = std::move(*value);
  };
}

// The version table's name: an identifier short enough that the names retort derives from it
// fit PostgreSQL's identifiers too (the primary key `<name>_pkc`, as Alembic names it), which
// would otherwise be cut at 63 bytes and no longer match what retort looks for.
Reader version_table_name() {
  return [](const Input& input, Loaded& loaded) {
    identifier (&Config::version_table)(input, loaded);
    const std::string& value = loaded.config.version_table;
    const std::size_t longest = k_max_identifier - k_primary_key_suffix.size();
    if (value.size() > longest) {
      input.reject("at most " + std::to_string(longest) + " characters (this one has " +
                       std::to_string(value.size()) + ")",
                   "retort names the version table's primary key " + value +
                       std::string(k_primary_key_suffix) + ", and PostgreSQL cuts names at " +
                       std::to_string(k_max_identifier) + " bytes; the longest version_table is " +
                       std::to_string(longest) + " characters");
    }
  };
}

template <typename Owner>
Reader boolean(bool Owner::*member) {
  return [member](const Input& input, Loaded& loaded) {
    if (const auto* value = input.node().as_boolean()) {
      part<Owner>(loaded).*member = value->get();
      return;
    }
    // A string is accepted so that ${NAME} can supply the value.
    const std::optional<std::string> value = input.text();
    if (value == "true" || value == "false") {
      part<Owner>(loaded).*member = *value == "true";
      return;
    }
    input.reject("true or false");
  };
}

template <typename Owner>
Reader count(int Owner::*member) {
  return [member](const Input& input, Loaded& loaded) {
    constexpr std::string_view k_accepted = "a whole number (0 or more)";
    std::int64_t number = -1;
    if (const auto* value = input.node().as_integer()) {
      number = value->get();
    } else if (const std::optional<std::string> given = input.text()) {
      // A string is accepted so that ${NAME} can supply the value.
      const std::string_view digits = base::trim(*given);
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos) {
        input.reject(k_accepted);
      }
      number = std::stoll(std::string(digits));
    }
    if (number < 0 || number > std::numeric_limits<int>::max()) {
      input.reject(k_accepted);
    }
    part<Owner>(loaded).*member = static_cast<int>(number);
  };
}

template <typename Owner>
Reader duration(Millis Owner::*member) {
  return [member](const Input& input, Loaded& loaded) {
    constexpr std::string_view k_accepted =
        "a duration such as \"500ms\", \"2s\", \"5m\", \"4h\" or \"0\"";
    if (const auto* value = input.node().as_integer()) {
      if (value->get() != 0) {
        const std::string n = std::to_string(value->get());
        input.reject(k_accepted, "a number needs a unit: write \"" + n + "s\" or \"" + n + "ms\"");
      }
      part<Owner>(loaded).*member = Millis{0};
      return;
    }
    const std::optional<std::string> value = input.text();
    const std::optional<Millis> parsed = value ? base::parse_duration(*value) : std::nullopt;
    if (!parsed) {
      input.reject(k_accepted);
    }
    part<Owner>(loaded).*member = *parsed;
  };
}

template <typename Owner, typename Enum>
Reader choice(Enum Owner::*member, std::vector<std::pair<std::string, Enum>> choices) {
  return [member, choices = std::move(choices)](const Input& input, Loaded& loaded) {
    std::vector<std::string> names;
    const std::optional<std::string> value = input.text();
    for (const auto& [name, choice_value] : choices) {
      if (value == name) {
        part<Owner>(loaded).*member = choice_value;
        return;
      }
      names.push_back(name);
    }
    std::string accepted;
    for (std::size_t name_idx = 0; name_idx < names.size(); ++name_idx) {
      if (name_idx > 0) {
        accepted += name_idx + 1 == names.size() ? " or " : ", ";
      }
      accepted += "\"" + names[name_idx] + "\"";
    }
    const std::optional<std::string> hint = value ? base::nearest(*value, names) : std::nullopt;
    input.reject("one of " + accepted, hint ? "did you mean \"" + *hint + "\"?" : std::string());
  };
}

// An array of non-empty strings, each with ${NAME} expanded (database URLs, say).
template <typename Owner>
Reader text_list(std::vector<std::string> Owner::*member) {
  return [member](const Input& input, Loaded& loaded) {
    const toml::array* array = input.node().as_array();
    if (array == nullptr) {
      input.reject("an array of strings, written [\"...\", \"...\"]");
    }
    std::vector<std::string> values;
    for (const toml::node& element : *array) {
      const Input item(element, input.dotted(), input.where(), input.getenv());
      std::optional<std::string> value = item.text();
      if (!value || value->empty()) {
        item.reject("an array of non-empty strings");
      }
      values.push_back(std::move(*value));
    }
    part<Owner>(loaded).*member = std::move(values);
  };
}

// [retort.windows] allowed: strings that base::parse_window reads, checked here so that a typo
// names the file and the key before any run.
Reader window_list(std::vector<std::string> WindowSettings::*member) {
  return [member](const Input& input, Loaded& loaded) {
    text_list(member)(input, loaded);
    for (const toml::node& element : *input.node().as_array()) {
      const Input item(element, input.dotted(), input.where(), input.getenv());
      if (auto parsed = base::parse_window(item.text().value_or("")); !parsed.ok()) {
        item.reject("a window \"[DAYS] HH:MM-HH:MM ZONE\"", parsed.error());
      }
    }
  };
}

// Every key retort.toml may hold. Adding a key is one line here (and a field to fill).
const std::vector<KeySpec>& known_keys() {
  static const std::vector<KeySpec> keys = {
      {"retort", "script_location", text(&FileValues::script_location)},
      {"retort", "url", text_with_line(&FileValues::url, &FileValues::url_line)},
      {"retort", "version_table", version_table_name()},
      {"retort", "version_table_schema", identifier(&Config::version_table_schema, Empty::allowed)},
      {"retort", "transaction_per_migration", boolean(&Config::transaction_per_migration)},
      {"retort.postgres", "lock",
       choice(&PostgresSettings::lock,
              std::vector<std::pair<std::string, LockMode>>{
                  {"advisory", LockMode::advisory},
                  {"lease", LockMode::lease},
                  {"none", LockMode::none},
              })},
      {"retort.postgres", "lock_wait", duration(&PostgresSettings::lock_wait)},
      {"retort.postgres", "lock_timeout", duration(&PostgresSettings::lock_timeout)},
      {"retort.postgres", "lock_retries", count(&PostgresSettings::lock_retries)},
      {"retort.postgres", "statement_timeout", duration(&PostgresSettings::statement_timeout)},
      {"retort.postgres", "lease_ttl", duration(&PostgresSettings::lease_ttl)},
      {"retort.preflight", "max_step_runtime", duration(&PreflightSettings::max_step_runtime)},
      {"retort.preflight", "long_transaction", duration(&PreflightSettings::long_transaction)},
      {"retort.preflight", "app_connections", count(&PreflightSettings::app_connections)},
      {"retort.preflight", "free_disk_command",
       text(&PreflightSettings::free_disk_command, Empty::allowed)},
      {"retort.replicas", "urls", text_list(&ReplicaSettings::urls)},
      {"retort.replicas", "max_lag", duration(&ReplicaSettings::max_lag)},
      {"retort.replicas", "wait", duration(&ReplicaSettings::wait)},
      {"retort.backup", "when",
       choice(&BackupSettings::when,
              std::vector<std::pair<std::string, BackupWhen>>{
                  {"risky", BackupWhen::risky},
                  {"always", BackupWhen::always},
                  {"never", BackupWhen::never},
              })},
      {"retort.backup", "directory", text(&BackupSettings::directory)},
      {"retort.backup", "command", text(&BackupSettings::command, Empty::allowed)},
      {"retort.backup", "pg_dump", text(&BackupSettings::pg_dump, Empty::allowed)},
      {"retort.lint", "on_upgrade",
       choice(&LintSettings::on_upgrade,
              std::vector<std::pair<std::string, LintOnUpgrade>>{
                  {"warn", LintOnUpgrade::warn},
                  {"error", LintOnUpgrade::error},
                  {"off", LintOnUpgrade::off},
              })},
      {"retort.schema", "dir", text(&SchemaSettings::dir)},
      {"retort.schema", "dev_url", text(&SchemaSettings::dev_url, Empty::allowed)},
      {"retort.schema", "ignore", text_list(&SchemaSettings::ignore)},
      {"retort.hooks", "before_run", text(&HookSettings::before_run, Empty::allowed)},
      {"retort.hooks", "after_step", text(&HookSettings::after_step, Empty::allowed)},
      {"retort.hooks", "on_failure", text(&HookSettings::on_failure, Empty::allowed)},
      {"retort.hooks", "after_run", text(&HookSettings::after_run, Empty::allowed)},
      {"retort.hooks", "on_lock_wait", text(&HookSettings::on_lock_wait, Empty::allowed)},
      {"retort.hooks", "timeout", duration(&HookSettings::timeout)},
      {"retort.hooks", "before_run_required", boolean(&HookSettings::before_run_required)},
      {"retort.windows", "allowed", window_list(&WindowSettings::allowed)},
      {"retort.fleet", "tenants", text_list(&FleetSettings::tenants)},
      {"retort.fleet", "tenants_file", text(&FleetSettings::tenants_file, Empty::allowed)},
      {"retort.fleet", "tenants_query", text(&FleetSettings::tenants_query, Empty::allowed)},
      {"retort.fleet", "catalog_url", text(&FleetSettings::catalog_url, Empty::allowed)},
      {"retort.fleet", "schemas", text(&FleetSettings::schemas, Empty::allowed)},
      {"retort.fleet", "concurrency", count(&FleetSettings::concurrency)},
      {"retort.fleet", "max_per_host", count(&FleetSettings::max_per_host)},
  };
  return keys;
}

// [retort.allowed_edits]: its keys are revisions, not settings, so it has no KeySpec.
constexpr std::string_view k_allowed_edits = "retort.allowed_edits";

// The tables known_keys() mentions, with their parents ("retort" for "retort.postgres"), and
// [retort.allowed_edits].
std::vector<std::string> known_tables() {
  std::vector<std::string> tables;
  for (const KeySpec& key : known_keys()) {
    std::string table = key.table;
    while (true) {
      if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
        tables.push_back(table);
      }
      const std::size_t dot = table.rfind('.');
      if (dot == std::string::npos) {
        break;
      }
      table.resize(dot);
    }
  }
  tables.emplace_back(k_allowed_edits);
  return tables;
}

std::string bracketed(const std::vector<std::string>& tables) {
  std::string out;
  for (const std::string& table : tables) {
    out += (out.empty() ? "[" : ", [") + table + "]";
  }
  return out;
}

[[noreturn]] void reject_unknown(const std::string& table, const std::string& name,
                                 const toml::node& node, const SourceLocation& where) {
  const std::vector<std::string> tables = known_tables();
  if (node.is_table()) {
    const std::string dotted = table.empty() ? name : table + "." + name;
    const std::optional<std::string> hint = base::nearest(dotted, tables);
    if (hint) {
      throw_input(where, "unknown table [" + dotted + "]; did you mean [" + *hint + "]?");
    }
    throw_input(where, "unknown table [" + dotted + "]", "known tables: " + bracketed(tables));
  }
  const std::string place = table.empty() ? "at the top level" : "in [" + table + "]";
  std::vector<std::string> siblings;
  for (const KeySpec& key : known_keys()) {
    if (key.table == table) {
      siblings.push_back(key.name);
    }
  }
  // A known key in the wrong table: say where it goes rather than guess a sibling.
  for (const KeySpec& key : known_keys()) {
    if (key.name == name) {
      throw_input(where,
                  "unknown key '" + name + "' " + place + "; it belongs in [" + key.table + "]");
    }
  }
  if (const std::optional<std::string> hint = base::nearest(name, siblings)) {
    throw_input(where, "unknown key '" + name + "' " + place + "; did you mean '" + *hint + "'?");
  }
  if (siblings.empty()) {
    throw_input(where, "unknown key '" + name + "' " + place,
                "retort reads only the tables " + bracketed(tables));
  }
  throw_input(where, "unknown key '" + name + "' " + place,
              "known keys " + place + ": " + base::join(siblings, ", "));
}

int line_of(const toml::key& key, const toml::node& node) {
  const toml::source_index line =
      key.source().begin.line != 0 ? key.source().begin.line : node.source().begin.line;
  return static_cast<int>(line);
}

struct Reading {
  std::string display_file;
  const Getenv& getenv;
};

void read_allowed_edits(const toml::node& node, const SourceLocation& where, const Reading& reading,
                        Loaded& loaded) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    throw_input(where, std::string(k_allowed_edits) + " must be a table, written [" +
                           std::string(k_allowed_edits) + "], of revision = \"reason\"");
  }
  for (const auto& [key, value] : *table) {
    const std::string revision(key.str());
    const std::string dotted = std::string(k_allowed_edits) + "." + revision;
    const SourceLocation at{reading.display_file, line_of(key, value), 0};
    const Input input(value, dotted, at, reading.getenv);
    const std::optional<std::string> reason = input.text();
    if (!reason || base::trim(*reason).empty()) {
      input.reject("the reason the edit is accepted, as a non-empty string",
                   "write: " + revision + " = \"fixed a typo in a comment, INC-123\"");
    }
    loaded.config.allowed_edits[revision] = *reason;
  }
}

void read_table(const toml::table& table, const std::string& prefix, const Reading& reading,
                Loaded& loaded) {
  const std::vector<std::string> tables = known_tables();
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string dotted = prefix.empty() ? name : prefix + "." + name;
    const SourceLocation where{reading.display_file, line_of(key, node), 0};
    if (dotted == k_allowed_edits) {
      read_allowed_edits(node, where, reading, loaded);
      continue;
    }
    if (std::find(tables.begin(), tables.end(), dotted) != tables.end()) {
      const toml::table* sub = node.as_table();
      if (sub == nullptr) {
        throw_input(where, dotted + " must be a table, written [" + dotted + "], not " +
                               (node.is_array() ? "an array" : "a value"));
      }
      read_table(*sub, dotted, reading, loaded);
      continue;
    }
    const auto& keys = known_keys();
    const auto spec = std::find_if(keys.begin(), keys.end(), [&](const KeySpec& candidate) {
      return candidate.table == prefix && candidate.name == name;
    });
    if (spec == keys.end()) {
      reject_unknown(prefix, name, node, where);
    }
    spec->read(Input(node, dotted, where, reading.getenv), loaded);
  }
}

// `lock_wait = 5s` is the natural thing to write and not TOML; say how to write it.
std::string unquoted_duration_hint(const std::string& content, toml::source_index line) {
  std::istringstream lines(content);
  std::string text;
  for (toml::source_index line_idx = 0; line_idx < line; ++line_idx) {
    if (!std::getline(lines, text)) {
      return {};
    }
  }
  static const std::regex k_unquoted(
      R"(^\s*([A-Za-z0-9_.]+)\s*=\s*([0-9]+(ms|s|m|h|d))\s*(#.*)?$)");
  std::smatch match;
  if (!std::regex_match(text, match, k_unquoted)) {
    return {};
  }
  return "a duration is a string: write " + match[1].str() + " = \"" + match[2].str() + "\"";
}

void read_file(const fs::path& file, const Reading& reading, Loaded& loaded) {
  std::ifstream stream(file, std::ios::binary);
  std::ostringstream content;
  content << stream.rdbuf();
  if (!stream) {
    throw_input({reading.display_file, 0, 0}, "cannot read the configuration file");
  }
  toml::table document;
  try {
    document = toml::parse(content.str(), file.string());
  } catch (const toml::parse_error& error) {
    const toml::source_position begin = error.source().begin;
    // toml++ may quote the text around the error, which can be a URL with a password.
    throw_input(
        {reading.display_file, static_cast<int>(begin.line), static_cast<int>(begin.column)},
        "invalid TOML: " + base::redact_url(error.description()),
        unquoted_duration_hint(content.str(), begin.line));
  }
  read_table(document, "", reading, loaded);
}

std::optional<std::string> nonempty_env(const Getenv& getenv, const std::string& name) {
  std::optional<std::string> value = getenv(name);
  // An empty variable counts as unset: `DATABASE_URL= retort ...` is how one is switched off.
  if (value && value->empty()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> process_getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

// The file to read: -c, else the nearest retort.toml from cwd upward, else none.
std::optional<fs::path> locate(const ConfigSources& sources, const fs::path& cwd) {
  if (sources.config_path) {
    const fs::path given = *sources.config_path;
    const fs::path file = (cwd / given).lexically_normal();
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (!fs::exists(status)) {
      throw_input({}, "configuration file '" + given.string() + "' (given with -c) does not exist",
                  "run `retort init migrations` in the project directory to create one");
    }
    if (fs::is_directory(status)) {
      throw_input({}, "configuration file '" + given.string() +
                          "' (given with -c) is a directory; name the retort.toml inside it");
    }
    return file;
  }
  for (fs::path dir = cwd;; dir = dir.parent_path()) {
    std::error_code ec;
    const fs::path candidate = dir / k_file_name;
    if (fs::is_regular_file(candidate, ec)) {
      return candidate;
    }
    if (dir == dir.root_path() || dir.parent_path() == dir) {
      return std::nullopt;
    }
  }
}

// The name errors show: as given with -c, else relative to cwd ("retort.toml",
// "../retort.toml"), which is what the user can open.
std::string display_name(const ConfigSources& sources, const fs::path& file, const fs::path& cwd) {
  if (sources.config_path) {
    return sources.config_path->string();
  }
  const fs::path relative = file.lexically_relative(cwd);
  return relative.empty() ? file.string() : relative.string();
}

struct ChosenUrl {
  std::string url;
  std::string source;    // for Config::url_source
  std::string origin;    // for error messages
  fs::path relative_to;  // where a relative sqlite path points
  SourceLocation where;
};

ChosenUrl choose_url(const ConfigSources& sources, const Getenv& getenv, const fs::path& cwd,
                     const Loaded& loaded, const std::string& display_file) {
  if (sources.url) {
    return {*sources.url, "--url", "given with --url", cwd, {}};
  }
  for (const std::string name : {"RETORT_URL", "DATABASE_URL"}) {
    if (std::optional<std::string> value = nonempty_env(getenv, name)) {
      return {*value, name, "from the environment variable " + name, cwd, {}};
    }
  }
  if (loaded.file.url) {
    return {*loaded.file.url,
            loaded.config.config_file.string(),
            "from retort.url",
            loaded.config.project_dir,
            {display_file, loaded.file.url_line, 0}};
  }
  if (loaded.config.config_file.empty()) {
    Error error(ExitCode::input, "no configuration found: no retort.toml in " + cwd.string() +
                                     " or any parent directory, and no database URL given");
    error.explain(
        "pass -c PATH to name a retort.toml, or --url URL (or set RETORT_URL or DATABASE_URL) "
        "to run without one");
    error.next("retort init migrations");
    throw error;
  }
  throw_input({display_file, 0, 0},
              "no database URL: set url under [retort] in this file (retort.url), pass --url URL, "
              "or set RETORT_URL or DATABASE_URL");
}

void apply_url(const ChosenUrl& chosen, Config& config) {
  base::Result<base::DatabaseUrl, std::string> parsed = base::parse_database_url(chosen.url);
  if (!parsed) {
    throw_input(chosen.where, parsed.error() + " (" + chosen.origin + ")");
  }
  // libpq and sqlite3 are given the URL without the driver an application's DATABASE_URL
  // names for SQLAlchemy; the note says why the URL shown differs from the one given.
  config.url = parsed->text;
  if (!parsed->driver.empty()) {
    const bool postgres = parsed->dialect == base::Dialect::postgres;
    const std::string dialect = parsed->text.substr(0, parsed->text.find(':'));
    config.notes.push_back("the database URL " + chosen.origin + " names the SQLAlchemy driver " +
                           parsed->driver + "; retort connects through " +
                           (postgres ? "libpq" : "sqlite3") + " itself, so it reads " + dialect +
                           "+" + parsed->driver + ":// as " + dialect + "://");
  }
  const std::string& path = parsed->sqlite_path;
  if (parsed->dialect == base::Dialect::sqlite && path != ":memory:" &&
      !fs::path(path).is_absolute()) {
    config.url = "sqlite:///" + (chosen.relative_to / path).lexically_normal().generic_string();
  }
  config.redacted_url = base::redact_url(config.url);
  config.url_source = chosen.source;
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      constexpr std::string_view k_hex = "0123456789ABCDEF";
      out += "\\u00";
      out += k_hex[byte >> 4U];
      out += k_hex[byte & 0x0FU];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

Config load_config(const ConfigSources& sources) {
  const fs::path cwd = fs::absolute(sources.cwd).lexically_normal();
  const Getenv read_env = sources.getenv ? sources.getenv : Getenv(process_getenv);

  Loaded loaded;
  std::string display_file;
  if (const std::optional<fs::path> file = locate(sources, cwd)) {
    display_file = display_name(sources, *file, cwd);
    loaded.config.config_file = *file;
    loaded.config.project_dir = file->parent_path();
    read_file(*file, Reading{display_file, read_env}, loaded);
  } else {
    loaded.config.project_dir = cwd;
  }

  for (const ConfigSources::Override& given : sources.overrides) {
    const std::size_t dot = given.key.rfind('.');
    const auto& keys = known_keys();
    const auto spec = std::find_if(keys.begin(), keys.end(), [&](const KeySpec& candidate) {
      return dot != std::string::npos && candidate.table == given.key.substr(0, dot) &&
             candidate.name == given.key.substr(dot + 1);
    });
    // Overrides come from the CLI's flags or a library caller (the Python module's keywords):
    // an unknown key is the caller's mistake, said as any unknown key is.
    if (spec == keys.end()) {
      throw Error(ExitCode::input,
                  "unknown configuration key '" + given.key + "' (given as " +
                      (given.flag.empty() ? std::string("an override") : given.flag) + ")")
          .explain(
              "an override names a key of retort.toml as TABLE.KEY, e.g. retort.url or "
              "retort.postgres.lock_timeout")
          .next("see docs/reference/configuration.md for every key");
    }
    const toml::value<std::string> node(given.value);
    spec->read(Input(node, given.flag, {}, read_env), loaded);
  }

  apply_url(choose_url(sources, read_env, cwd, loaded, display_file), loaded.config);

  const fs::path script_location(
      loaded.file.script_location.value_or(std::string(k_default_script_location)));
  loaded.config.script_location = (loaded.config.project_dir / script_location).lexically_normal();
  loaded.config.backup.directory =
      (loaded.config.project_dir / loaded.config.backup.directory).lexically_normal();
  loaded.config.schema.dir =
      (loaded.config.project_dir / loaded.config.schema.dir).lexically_normal();
  if (!loaded.config.fleet.tenants_file.empty()) {
    loaded.config.fleet.tenants_file =
        (loaded.config.project_dir / loaded.config.fleet.tenants_file).lexically_normal();
  }
  return std::move(loaded.config);
}

std::string default_config_text(const std::string& script_location, const std::string& url) {
  const Config defaults;
  const PostgresSettings& pg = defaults.postgres;
  const auto lock_name = [](LockMode mode) -> std::string {
    switch (mode) {
      case LockMode::advisory:
        return "advisory";
      case LockMode::lease:
        return "lease";
      case LockMode::none:
        return "none";
    }
    return "advisory";
  };
  // Comments line up in one column, as in SPEC section 1.
  const auto line = [](std::string setting, std::string_view comment) {
    constexpr std::size_t k_comment_column = 40;
    if (!comment.empty()) {
      setting.resize(std::max(setting.size() + 1, k_comment_column), ' ');
      setting += "# ";
      setting += comment;
    }
    return setting + "\n";
  };
  std::string out;
  out += "# retort.toml: where the migrations are and which database they apply to.\n";
  out += "# Any string value may read the environment with ${NAME}; write $${ for a literal ${.\n";
  out += "# The database URL is taken, first found wins, from --url, RETORT_URL, DATABASE_URL,\n";
  out += "# then url below. A relative sqlite:/// path here is relative to this file.\n";
  out += "# Keep passwords out of this file: url = \"postgresql://app:${DB_PASSWORD}@db/app\".\n";
  out += "\n[retort]\n";
  out += line("script_location = " + toml_string(script_location), "");
  if (url.empty()) {
    out += line("# url = \"sqlite:///app.db\"", "or set DATABASE_URL");
  } else {
    out += line("url = " + toml_string(url), url.starts_with("sqlite:")
                                                 ? "or postgresql://user@host:5432/db?sslmode=..."
                                                 : "or sqlite:///app.db");
  }
  out += line("version_table = " + toml_string(defaults.version_table), "");
  out += line("# version_table_schema = \"public\"", "default: the connection's search_path");
  out += line(std::string("# transaction_per_migration = ") +
                  (defaults.transaction_per_migration ? "true" : "false"),
              "false: the whole run in one transaction");
  out += "\n";
  out += line("[retort.postgres]", "all optional, safe defaults");
  out += line("# lock = " + toml_string(lock_name(pg.lock)),
              "advisory | lease (behind PgBouncer) | none");
  out += line("# lock_wait = " + toml_string(base::format_duration(pg.lock_wait)),
              "how long a second runner waits for the first");
  out += line("# lock_timeout = " + toml_string(base::format_duration(pg.lock_timeout)),
              "per statement that needs a lock; then retry");
  out += line("# lock_retries = " + std::to_string(pg.lock_retries), "with backoff");
  out += line("# statement_timeout = " + toml_string(base::format_duration(pg.statement_timeout)),
              "0 = none");
  out += line("# lease_ttl = " + toml_string(base::format_duration(pg.lease_ttl)),
              "lease: a runner that stops renewing loses it after this");
  out += "\n";
  out += line("[retort.backup]", "before a step that drops or rewrites data");
  out += line("# when = \"risky\"", "risky | always | never");
  out += line("# directory = " + toml_string(defaults.backup.directory.generic_string()),
              "relative to this file");
  out += "\n";
  out += line("[retort.preflight]", "thresholds of `retort preflight`");
  out += line("# max_step_runtime = " +
                  toml_string(base::format_duration(defaults.preflight.max_step_runtime)),
              "a step estimated longer fails; 0 = none");
  out += line("# long_transaction = " +
                  toml_string(base::format_duration(defaults.preflight.long_transaction)),
              "transactions open longer are reported");
  out += line("# app_connections = " + std::to_string(defaults.preflight.app_connections),
              "connections the application's pools may still open");
  out += line("# free_disk_command = \"\"",
              "prints the server's free bytes; default: statvfs when local");
  out += "\n";
  out += line("[retort.lint]", "`retort lint`'s findings before `retort upgrade` runs");
  out += line("# on_upgrade = \"warn\"", "warn (print, run) | error (refuse) | off");
  out += "\n";
  out += line("[retort.replicas]", "no step starts while a replica lags past max_lag");
  out += line("# urls = [\"postgresql://monitor@replica-1/app\"]", "besides pg_stat_replication");
  out += line("# max_lag = " + toml_string(base::format_duration(defaults.replicas.max_lag)), "");
  out += line("# wait = " + toml_string(base::format_duration(defaults.replicas.wait)),
              "then the run stops between steps");
  out += "\n";
  out += line("[retort.schema]", "autogenerate, `retort check`, `diff`, `check --drift`");
  out += line("# dir = " + toml_string(defaults.schema.dir.generic_string()),
              "the declared schema, relative to this file");
  out += line("# dev_url = \"postgresql://localhost/dev\"",
              "throwaway databases; default: a private server");
  out += line("# ignore = [\"public.spatial_ref_sys\"]", "objects outside retort's care");
  out += "\n";
  out += line("[retort.hooks]", "shell commands at a run's events; JSON on stdin");
  out += line("# after_run = \"curl -fsS -d @- https://hooks.example/retort\"",
              "also before_run, after_step, on_failure, on_lock_wait");
  out += line("# timeout = \"30s\"", "then the hook is killed");
  out += "\n";
  out += line("[retort.windows]", "when `maintenance_window true` revisions may start");
  out += line("# allowed = [\"Sat 02:00-05:00 Europe/Berlin\"]", "[DAYS] HH:MM-HH:MM ZONE");
  out += "\n";
  out += line("[retort.fleet]", "tenants for `retort fleet`; one source of them");
  out += line("# schemas = \"tenant_%\"", "schema-per-tenant in the database of url");
  out += line("# tenants_file = \"tenants.txt\"", "or `id url` lines; or tenants, tenants_query");
  out += line("# concurrency = " + std::to_string(defaults.fleet.concurrency), "tenants at once");
  out += line("# max_per_host = 0", "connections to one server at once; 0: no cap");
  return out;
}

}  // namespace retort
