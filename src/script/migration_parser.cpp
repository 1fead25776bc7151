// The migration file parser: one pass over the lines, directives in the header, markers that
// start the sections. Problems carry the file, the line and the fix.
#include "script/migration_parser.hpp"

#include "base/duration.hpp"
#include "base/text.hpp"
#include "sql/lexer.hpp"
#include "sql/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace retort::script {
namespace {

constexpr std::string_view k_prefix = "retort:";

// Header directives, then the two section markers. Order is what hints list.
constexpr std::array<std::string_view, 17> k_keys{
    "revision",     "revises",           "message",     "branch_labels",
    "depends_on",   "transaction",       "estimate",    "maintenance_window",
    "lock_timeout", "statement_timeout", "lint-ignore", "empty",
    "replaces",     "backfill",          "phase",       "upgrade",
    "downgrade"};

// Appending rather than `"`" + std::string(...)`: GCC 12 at -O2 reports a false -Wrestrict
// for a literal prepended to a temporary string (GCC bug 105329).
std::string code(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '`';
  out += text;
  out += '`';
  return out;
}

std::string directive(std::string_view key) {
  std::string out = "`-- retort:";
  out += key;
  out += '`';
  return out;
}

// One directive line: "-- retort:KEY VALUE", spaces after "--" optional.
struct Directive {
  std::string_view key;
  std::string_view value;
};

std::optional<Directive> parse_directive(std::string_view line) {
  // Most lines of a file are SQL: reject them at their first visible character, before the
  // trimming below, which is most of the cost of parsing a file.
  const std::size_t first = line.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos || line[first] != '-') {
    return std::nullopt;
  }
  std::string_view rest = base::trim(line.substr(first));
  if (!rest.starts_with("--")) {
    return std::nullopt;
  }
  rest.remove_prefix(2);
  rest = base::trim(rest);
  if (!rest.starts_with(k_prefix)) {
    return std::nullopt;
  }
  rest.remove_prefix(k_prefix.size());
  const std::size_t key_end = rest.find_first_of(" \t");
  if (key_end == std::string_view::npos) {
    return Directive{rest, {}};
  }
  return Directive{rest.substr(0, key_end), base::trim(rest.substr(key_end))};
}

bool is_blank_or_comment(std::string_view line) {
  const std::string_view trimmed = base::trim(line);
  return trimmed.empty() || trimmed.starts_with("--");
}

// The section currently being read.
enum class Place { header, upgrade, downgrade };

class Parser {
 public:
  Parser(std::string_view display_path, std::string_view text)
      : m_display_path(display_path), m_text(text) {
    m_result.migration.display_path = std::string(display_path);
  }

  ParsedMigration run() {
    std::size_t pos = 0;
    // A UTF-8 byte order mark is not part of the first line's text.
    if (m_text.starts_with("\xEF\xBB\xBF")) {
      pos = 3;
    }
    check_bytes(pos);
    int line_number = 0;
    while (pos < m_text.size()) {
      ++line_number;
      const std::size_t newline = m_text.find('\n', pos);
      const std::size_t line_end = newline == std::string_view::npos ? m_text.size() : newline;
      const std::size_t next = newline == std::string_view::npos ? m_text.size() : newline + 1;
      on_line(m_text.substr(pos, line_end - pos), line_number, pos, next);
      pos = next;
    }
    close_section(m_text.size());
    finish();
    std::stable_sort(
        m_result.problems.begin(), m_result.problems.end(),
        [](const Problem& a, const Problem& b) { return a.where.line < b.where.line; });
    return std::move(m_result);
  }

 private:
  void problem(int line, std::string message, std::string fix, int column = 0) {
    // Messages quote the file's text: a NUL would cut them off, a byte that is not UTF-8
    // would break --json.
    m_result.problems.push_back(Problem{SourceLocation{std::string(m_display_path), line, column},
                                        base::escape_bytes(message), base::escape_bytes(fix)});
  }

  // The file is UTF-8 without NUL bytes, as PostgreSQL (SQLSTATE 22021; libpq ends a statement
  // at a NUL), the ledger and --json need: reported at load, with the line shown escaped,
  // before any statement runs. One problem each for the first bad byte and the first NUL.
  void check_bytes(std::size_t start) {
    const std::string_view text = m_text.substr(start);
    if (const std::optional<std::size_t> bad = base::invalid_utf8_at(text)) {
      bad_byte(start + *bad,
               fmt::format("a byte that is not UTF-8 (\\x{:02X})",
                           static_cast<unsigned char>(text[*bad])),
               "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)");
    }
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
      bad_byte(start + nul, "a NUL byte (\\x00)", "remove the NUL byte");
    }
  }

  void bad_byte(std::size_t offset, const std::string& what, std::string fix) {
    const std::size_t line_begin = offset == 0 ? 0 : m_text.rfind('\n', offset - 1) + 1;
    const std::size_t line_end = std::min(m_text.find('\n', offset), m_text.size());
    std::string_view line = m_text.substr(line_begin, line_end - line_begin);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    int column = 1;
    for (std::size_t at = line_begin; at < offset; ++at) {
      if ((static_cast<unsigned char>(m_text[at]) & 0xC0U) != 0x80U) {
        ++column;
      }
    }
    problem(base::line_of_offset(m_text, offset),
            fmt::format("{} at column {}: {}", what, column, code(line)), std::move(fix), column);
  }

  void on_line(std::string_view line, int line_number, std::size_t begin, std::size_t next) {
    const std::optional<Directive> found = parse_directive(line);
    if (!found) {
      if (m_place == Place::header && !m_reported_sql_in_header && !is_blank_or_comment(line)) {
        m_reported_sql_in_header = true;
        problem(line_number,
                "SQL before " + directive("upgrade") + ": the header holds only comments",
                "put the statements below " + directive("upgrade"));
      }
      return;
    }
    if (found->key == "upgrade" || found->key == "downgrade") {
      on_marker(*found, line_number, begin, next);
      return;
    }
    const auto known = std::find(k_keys.begin(), k_keys.end(), found->key);
    if (known == k_keys.end()) {
      const std::vector<std::string> keys(k_keys.begin(), k_keys.end());
      const std::optional<std::string> hint = base::nearest(found->key, keys);
      problem(line_number,
              found->key.empty() ? code("-- retort:") + " names no directive"
                                 : "unknown directive " + directive(found->key),
              hint ? "did you mean " + directive(*hint) + "?"
                   : "the directives are " + known_keys_list());
      return;
    }
    if (m_place != Place::header) {
      problem(line_number, directive(found->key) + " is in a section, not in the header",
              "move it above " + directive("upgrade"));
      return;
    }
    on_header_directive(*found, static_cast<std::size_t>(known - k_keys.begin()), line_number);
  }

  static std::string known_keys_list() {
    std::string out;
    for (const std::string_view key : k_keys) {
      out += out.empty() ? "" : ", ";
      out += key;
    }
    return out;
  }

  void on_marker(const Directive& marker, int line_number, std::size_t begin, std::size_t next) {
    if (!marker.value.empty()) {
      problem(line_number, directive(marker.key) + " takes no value",
              "put the SQL on the lines below " + directive(marker.key));
    }
    if (marker.key == "upgrade") {
      if (m_upgrade_line != 0) {
        problem(line_number,
                "a second " + directive("upgrade") + " (the first is at line " +
                    std::to_string(m_upgrade_line) + ")",
                "keep one upgrade section: remove one of the markers");
        return;
      }
      if (m_downgrade_line != 0) {
        problem(m_downgrade_line,
                directive("downgrade") + " comes before " + directive("upgrade") + " (line " +
                    std::to_string(line_number) + ")",
                "move the downgrade section below the upgrade section");
      }
      close_section(begin);
      m_upgrade_line = line_number;
      m_place = Place::upgrade;
    } else {
      if (m_downgrade_line != 0) {
        problem(line_number,
                "a second " + directive("downgrade") + " (the first is at line " +
                    std::to_string(m_downgrade_line) + ")",
                "keep one downgrade section: remove one of the markers");
        return;
      }
      close_section(begin);
      m_downgrade_line = line_number;
      m_place = Place::downgrade;
    }
    m_section_begin = next;
  }

  // Ends the section being read at byte `end` (the start of the next marker line, or EOF).
  void close_section(std::size_t end) {
    if (m_place == Place::header) {
      return;
    }
    Section section;
    section.offset = m_section_begin;
    section.text = std::string(m_text.substr(m_section_begin, end - m_section_begin));
    if (m_place == Place::upgrade) {
      section.marker_line = m_upgrade_line;
      m_result.migration.upgrade = std::move(section);
    } else {
      section.marker_line = m_downgrade_line;
      m_result.migration.downgrade = std::move(section);
    }
  }

  void on_header_directive(const Directive& entry, std::size_t key_idx, int line_number) {
    const std::string_view key = entry.key;
    // A squash of a long history lists its replaced ids on as many lines as it likes.
    if (key != "lint-ignore" && key != "replaces") {
      int& first_line = m_first_line[key_idx];
      if (first_line != 0) {
        const bool takes_list =
            key == "revises" || key == "branch_labels" || key == "depends_on" || key == "empty";
        problem(
            line_number,
            directive(key) + " appears twice (first at line " + std::to_string(first_line) + ")",
            takes_list ? "keep one line and list the values on it, separated by spaces"
                       : "keep one of the two lines");
        return;
      }
      first_line = line_number;
    }
    Migration& migration = m_result.migration;
    const std::string_view value = entry.value;
    if (key == "revision") {
      m_result.lines.revision = line_number;
      if (value.empty()) {
        problem(line_number, directive(key) + " has no value",
                "write the revision id after it, e.g. `-- retort:revision 3f2a9c1b7d4e`");
      } else if (!is_valid_revision_id(value)) {
        problem(line_number, code(value) + " is not a valid revision id",
                "use 1 to 64 letters, digits or underscores; `retort revision` makes new ids");
      } else {
        migration.revision = std::string(value);
      }
    } else if (key == "revises") {
      m_result.lines.revises = line_number;
      for (std::string& parent : base::split_words(value)) {
        if (!is_valid_revision_id(parent)) {
          problem(line_number, code(parent) + " in " + directive(key) + " is not a revision id",
                  "list the parent revision ids separated by spaces");
          continue;
        }
        migration.revises.push_back(std::move(parent));
      }
    } else if (key == "replaces") {
      on_replaces(value, line_number);
    } else if (key == "message") {
      migration.message = std::string(value);
    } else if (key == "branch_labels") {
      m_result.lines.branch_labels = line_number;
      migration.branch_labels = base::split_words(value);
    } else if (key == "depends_on") {
      m_result.lines.depends_on = line_number;
      migration.depends_on = base::split_words(value);
    } else if (key == "transaction") {
      if (value == "true" || value == "false") {
        migration.transactional = value == "true";
      } else {
        problem(line_number, directive(key) + " is " + code(value) + "; it takes true or false",
                "write `-- retort:transaction false` to run each statement on its own, or remove "
                "the line for one transaction");
      }
    } else if (key == "maintenance_window") {
      // retort's extension of SPEC §2, read like `transaction`: preflight lets a step so marked
      // run longer than max_step_runtime, since the team schedules it in a window.
      if (value == "true" || value == "false") {
        migration.maintenance_window = value == "true";
      } else {
        problem(line_number, directive(key) + " is " + code(value) + "; it takes true or false",
                "write `-- retort:maintenance_window true` when the step is to run in a "
                "maintenance window, or remove the line");
      }
    } else if (key == "estimate" || key == "lock_timeout" || key == "statement_timeout") {
      const std::optional<base::Millis> duration = base::parse_duration(value);
      if (!duration) {
        problem(line_number, directive(key) + " is " + code(value) + ", which is not a duration",
                "write a whole number and a unit (ms, s, m, h, d), e.g. `500ms`, `90s`, `40m`");
      } else if (key == "estimate") {
        migration.estimate = duration;
      } else if (key == "lock_timeout") {
        migration.lock_timeout = duration;
      } else {
        migration.statement_timeout = duration;
      }
    } else if (key == "lint-ignore") {
      on_lint_ignore(value, line_number);
    } else if (key == "empty") {
      on_empty(value, line_number);
    } else if (key == "backfill") {
      on_backfill(value, line_number);
    } else if (key == "phase") {
      on_phase(value, line_number);
    }
  }

  // A name in a backfill directive: written bare, quoted by the runner. Letters, digits, `_`
  // and `$`, not starting with a digit, as PostgreSQL's unquoted identifiers.
  static bool is_plain_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9') || name[0] == '$') {
      return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             c == '_' || c == '$' || (static_cast<unsigned char>(c) & 0x80U) != 0;
    });
  }

  // `-- retort:backfill table=T key=COLS [batch_time=D] [batch_size=N] [pause=D]`.
  void on_backfill(std::string_view value, int line_number) {
    static const std::vector<std::string> options{"table", "key", "batch_time", "batch_size",
                                                  "pause"};
    const std::string example = "`-- retort:backfill table=accounts key=id batch_time=300ms`";
    Backfill backfill;
    backfill.line = line_number;
    bool bad = false;
    auto fail = [&](std::string message, std::string fix) {
      problem(line_number, std::move(message), std::move(fix));
      bad = true;
    };
    for (const std::string& word : base::split_words(value)) {
      const std::size_t equals = word.find('=');
      const std::string name = word.substr(0, equals);
      const std::string_view option_value = equals == std::string::npos
                                                ? std::string_view()
                                                : std::string_view(word).substr(equals + 1);
      if (std::find(options.begin(), options.end(), name) == options.end()) {
        const std::optional<std::string> hint = base::nearest(name, options);
        fail("unknown option " + code(name) + " in " + directive("backfill"),
             hint ? "did you mean " + code(*hint) + "?"
                  : "the options are table, key, batch_time, batch_size and pause: " + example);
        continue;
      }
      if (equals == std::string::npos || option_value.empty()) {
        fail(code(name) + " in " + directive("backfill") + " has no value",
             "write it as " + code(name + "=VALUE") + ", without spaces: " + example);
        continue;
      }
      if (name == "table") {
        const std::vector<std::string> parts = base::split(option_value, '.');
        if (parts.size() > 2 || !std::all_of(parts.begin(), parts.end(), is_plain_name)) {
          fail(code(option_value) + " in " + directive("backfill") + " is not a table name",
               "name the table as `table` or `schema.table`, letters, digits and underscores");
          continue;
        }
        backfill.table = std::string(option_value);
      } else if (name == "key") {
        backfill.key = base::split(option_value, ',');
        if (!std::all_of(backfill.key.begin(), backfill.key.end(), is_plain_name)) {
          fail(code(option_value) + " in " + directive("backfill") + " is not a list of columns",
               "name the key columns separated by commas without spaces, e.g. `key=id` or "
               "`key=tenant_id,id`");
          backfill.key.clear();
        }
      } else if (name == "batch_size") {
        std::int64_t size = 0;
        const auto [end, error] =
            std::from_chars(option_value.data(), option_value.data() + option_value.size(), size);
        if (error != std::errc() || end != option_value.data() + option_value.size() || size <= 0) {
          fail(code(std::string("batch_size=") + std::string(option_value)) +
                   " is not a positive whole number",
               "write the number of keys per batch, e.g. `batch_size=10000`");
          continue;
        }
        backfill.batch_size = size;
      } else {
        const std::optional<base::Millis> duration = base::parse_duration(option_value);
        if (!duration || (name == "batch_time" && duration->count() <= 0)) {
          fail(code(name + "=" + std::string(option_value)) + " is not a duration" +
                   (name == "batch_time" ? " above zero" : ""),
               "write a whole number and a unit (ms, s, m), e.g. `300ms`, `2s`");
          continue;
        }
        (name == "batch_time" ? backfill.batch_time : backfill.pause) = duration;
      }
    }
    if (backfill.table.empty() && !bad) {
      fail(directive("backfill") + " names no table", "add `table=NAME`: " + example);
    }
    if (backfill.key.empty() && !bad) {
      fail(directive("backfill") + " names no key",
           "add `key=COLUMNS`, the columns the batches are cut on (a primary key or a unique "
           "index), e.g. `key=id`: " +
               example);
    }
    if (backfill.batch_size && backfill.batch_time) {
      fail(directive("backfill") + " gives both batch_size and batch_time",
           "keep batch_size for a fixed number of keys per batch, or batch_time for batches "
           "sized to take that long");
    }
    if (!bad) {
      m_result.migration.backfill = std::move(backfill);
    }
    m_backfill_line = line_number;
  }

  // `-- retort:phase expand|backfill|contract`.
  void on_phase(std::string_view value, int line_number) {
    static const std::vector<std::string> phases{"expand", "backfill", "contract"};
    if (value == "expand") {
      m_result.migration.phase = Phase::expand;
    } else if (value == "backfill") {
      m_result.migration.phase = Phase::backfill;
    } else if (value == "contract") {
      m_result.migration.phase = Phase::contract;
    } else {
      const std::optional<std::string> hint = base::nearest(value, phases);
      problem(line_number,
              directive("phase") + " is " + code(value) + "; it takes expand, backfill or contract",
              hint && !value.empty() ? "did you mean " + code(*hint) + "?"
                                     : "write `-- retort:phase expand`, `backfill` or `contract`");
    }
  }

  // A backfill's upgrade section holds `{batch}`, and only a backfill's does: without the
  // directive the placeholder would reach the server as a syntax error.
  void check_backfill() {
    const Migration& migration = m_result.migration;
    if (m_upgrade_line == 0) {
      return;
    }
    const std::string_view upgrade = migration.upgrade.text;
    const std::size_t at = upgrade.find(k_batch_placeholder);
    if (m_backfill_line != 0) {
      if (migration.backfill && at == std::string_view::npos) {
        problem(m_backfill_line,
                directive("backfill") + ", but the upgrade section (line " +
                    std::to_string(m_upgrade_line) + ") has no " + code(k_batch_placeholder),
                "put `{batch}` where the key-range predicate goes, e.g. `UPDATE t SET c = a * 2 "
                "WHERE {batch} AND c IS NULL`");
      }
      return;
    }
    if (at != std::string_view::npos) {
      problem(m_upgrade_line + base::line_of_offset(upgrade, at),
              code(k_batch_placeholder) + " in a revision without " + directive("backfill"),
              "add `-- retort:backfill table=T key=COLS` to the header to run the statement in "
              "batches, or replace `{batch}` with a condition");
    }
  }

  // `-- retort:replaces ID ID ...`: the revisions a squash stands for, in history order; lines
  // accumulate.
  void on_replaces(std::string_view value, int line_number) {
    if (m_result.lines.replaces == 0) {
      m_result.lines.replaces = line_number;
    }
    std::vector<std::string>& replaces = m_result.migration.replaces;
    const std::vector<std::string> words = base::split_words(value);
    if (words.empty()) {
      problem(line_number, directive("replaces") + " names no revision",
              "list the ids of the revisions this squash replaces, separated by spaces, or "
              "remove the line");
    }
    for (const std::string& word : words) {
      if (!is_valid_revision_id(word)) {
        problem(line_number, code(word) + " in " + directive("replaces") + " is not a revision id",
                "list the replaced revision ids separated by spaces");
      } else if (std::find(replaces.begin(), replaces.end(), word) != replaces.end()) {
        problem(line_number, code(word) + " is listed twice in " + directive("replaces"),
                "list each replaced revision once");
      } else {
        replaces.push_back(word);
      }
    }
  }

  // `-- retort:empty upgrade downgrade`: the sections that deliberately hold no statement.
  void on_empty(std::string_view value, int line_number) {
    m_empty_line = line_number;
    const std::vector<std::string> words = base::split_words(value);
    if (words.empty()) {
      problem(line_number, directive("empty") + " names no section",
              "write `-- retort:empty upgrade`, `-- retort:empty downgrade` or both, or remove "
              "the line");
    }
    for (const std::string& word : words) {
      if (word == "upgrade") {
        m_result.migration.empty_upgrade = true;
      } else if (word == "downgrade") {
        m_result.migration.empty_downgrade = true;
      } else {
        const std::vector<std::string> sections{"upgrade", "downgrade"};
        const std::optional<std::string> hint = base::nearest(word, sections);
        problem(line_number, code(word) + " in " + directive("empty") + " is not a section",
                hint ? "did you mean " + code(*hint) + "?" : "name `upgrade`, `downgrade` or both");
      }
    }
  }

  // An `empty` section must be there and hold nothing but comments: a statement under it
  // would never run, or the line was left behind when the SQL was written.
  void check_empty(std::string_view name, const Section* section, int marker_line) {
    const std::string named = directive(std::string("empty ") + std::string(name));
    if (section == nullptr) {
      if (name == "downgrade") {
        problem(m_empty_line,
                named + ", but the file has no " + directive("downgrade") + " section",
                "add " + directive("downgrade") +
                    " below the upgrade SQL, or remove `downgrade` from the line if the "
                    "revision cannot be downgraded");
      }
      return;
    }
    const std::string normalized = sql::normalize(section->text, base::Dialect::postgres);
    if (normalized.find_first_not_of("; ") == std::string::npos) {
      return;
    }
    problem(m_empty_line,
            named + ", but the " + std::string(name) + " section (line " +
                std::to_string(marker_line) + ") holds statements",
            "remove `" + std::string(name) + "` from " + directive("empty") +
                " to run them, or remove the statements");
  }

  void on_lint_ignore(std::string_view value, int line_number) {
    const std::size_t separator = value.find("--");
    LintIgnore ignore;
    ignore.line = line_number;
    ignore.codes = base::split_words(value.substr(0, separator));
    if (separator != std::string_view::npos) {
      ignore.reason = std::string(base::trim(value.substr(separator + 2)));
    }
    const std::string example = "`-- retort:lint-ignore PG101 -- the table is empty`";
    if (ignore.codes.empty()) {
      problem(line_number, directive("lint-ignore") + " names no lint code",
              "name the codes to accept, then the reason: " + example);
      return;
    }
    if (ignore.reason.empty()) {
      problem(line_number, directive("lint-ignore") + " has no reason",
              "say why it is safe after `--`: " + example);
      return;
    }
    m_result.migration.lint_ignores.push_back(std::move(ignore));
  }

  // Whole-file checks, once every line is read.
  void finish() {
    Migration& migration = m_result.migration;
    const std::string_view file_name = base_name(m_display_path);
    if (m_result.lines.revision == 0) {
      const std::string_view stem = file_name.substr(0, file_name.find('_'));
      const std::string guess =
          is_valid_revision_id(stem) && !stem.ends_with(".sql") ? std::string(stem) : "<id>";
      problem(1, "no " + directive("revision") + " line",
              "add `-- retort:revision " + guess + "` to the header");
    } else if (!migration.revision.empty()) {
      check_file_name(file_name, m_result.lines.revision);
    }
    // A section with no statement loads (a fresh revision, a merge): the runner refuses to
    // run an empty upgrade before anything runs, so `revision` and `history` keep working
    // while a file is being written.
    if (m_upgrade_line == 0) {
      problem(1, "no " + directive("upgrade") + " line, so there is no upgrade section",
              "add " + directive("upgrade") + " and the upgrade SQL below it");
    }
    check_backfill();
    if (migration.backfill) {
      // Its batches commit one by one: not one transaction, which is what recovery, the
      // failure's words and a run in one transaction need to know.
      migration.transactional = false;
    }
    if (migration.empty_upgrade) {
      check_empty("upgrade", m_upgrade_line == 0 ? nullptr : &migration.upgrade, m_upgrade_line);
    }
    if (migration.empty_downgrade) {
      check_empty("downgrade", migration.downgrade ? &*migration.downgrade : nullptr,
                  m_downgrade_line);
    }
  }

  static std::string_view base_name(std::string_view path) {
    const std::size_t slash = path.find_last_of("/\\");
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
  }

  void check_file_name(std::string_view file_name, int line_number) {
    Migration& migration = m_result.migration;
    const std::string& revision = migration.revision;
    std::string_view stem = file_name;
    if (stem.ends_with(".sql")) {
      stem.remove_suffix(4);
    }
    if (stem == revision) {
      return;
    }
    if (stem.size() > revision.size() + 1 && stem.starts_with(revision) &&
        stem[revision.size()] == '_') {
      migration.slug = std::string(stem.substr(revision.size() + 1));
      return;
    }
    // Suggest the slug `retort revision` would write, else keep the one the file has.
    const std::size_t underscore = stem.find('_');
    std::string slug = slugify(migration.message);
    if (slug.empty() && underscore != std::string_view::npos) {
      slug = std::string(stem.substr(underscore + 1));
    }
    problem(line_number,
            "the file name " + code(file_name) + " does not match its revision " + code(revision),
            "rename the file to " + code(revision + (slug.empty() ? "" : "_" + slug) + ".sql") +
                ", or correct the revision");
  }

  std::string_view m_display_path;
  std::string_view m_text;
  ParsedMigration m_result;
  Place m_place = Place::header;
  int m_upgrade_line = 0;
  int m_downgrade_line = 0;
  int m_empty_line = 0;
  int m_backfill_line = 0;
  std::size_t m_section_begin = 0;
  bool m_reported_sql_in_header = false;
  std::array<int, k_keys.size()> m_first_line{};  // per directive key, 0: not seen yet
};

}  // namespace

ParsedMigration parse_migration_text(std::string_view display_path, std::string_view text) {
  return Parser(display_path, text).run();
}

std::string Migration::checksum() const { return migration_checksum(upgrade, downgrade); }

bool is_valid_revision_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

std::string migration_checksum(const Section& upgrade, const std::optional<Section>& downgrade) {
  // Dialect-neutral on purpose: the checksum a ledger stores must not depend on which
  // database it was computed for. PostgreSQL's lexing rules are the superset that matters.
  sql::Sha256 hash;
  hash.update("upgrade\n");
  hash.update(sql::normalize(upgrade.text, base::Dialect::postgres));
  if (downgrade) {
    hash.update("\ndowngrade\n");
    hash.update(sql::normalize(downgrade->text, base::Dialect::postgres));
  }
  return hash.hex_digest();
}

std::string slugify(std::string_view message) {
  constexpr std::size_t k_max_length = 40;
  std::string slug;
  bool in_word = false;
  for (const char c : message) {
    const bool word_char =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!word_char) {
      in_word = false;
      continue;
    }
    if (!in_word && !slug.empty()) {
      slug += '_';
    }
    in_word = true;
    slug += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (slug.size() > k_max_length) {
    const std::size_t boundary = slug.rfind('_', k_max_length);
    slug.resize(boundary != std::string::npos && boundary > 0 ? boundary : k_max_length);
  }
  return slug;
}

}  // namespace retort::script
