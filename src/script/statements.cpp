// script::statements(): a section split for its dialect, with file positions, fingerprints,
// and the statements that cannot run where the migration puts them.
#include "base/identifier.hpp"
#include "base/text.hpp"
#include "script/script_directory.hpp"
#include "sql/classify.hpp"
#include "sql/objects.hpp"
#include "sql/splitter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace retort::script {
namespace {

std::string_view section_name(Which which) {
  return which == Which::upgrade ? "upgrade" : "downgrade";
}

// The file position of a byte offset in a section: the section starts on the line after its
// marker.
SourceLocation locate(const Migration& migration, const Section& section, std::size_t offset) {
  const std::string_view text = section.text;
  const int line = section.marker_line + base::line_of_offset(text, offset);
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t column_from =
      line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  // Columns count characters, as editors and PostgreSQL do.
  int column = 1;
  for (std::size_t at = column_from; at < offset && at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0U) != 0x80U) {
      ++column;
    }
  }
  return SourceLocation{migration.display_path, line, column};
}

std::string first_line(std::string_view statement) {
  std::string_view line = statement.substr(0, statement.find('\n'));
  constexpr std::size_t k_max = 60;
  if (line.size() > k_max) {
    return std::string(line.substr(0, k_max)) + "...";
  }
  return std::string(base::trim(line));
}

// The index a concurrent build makes, quoted, with its table's schema when one was written.
std::string concurrent_index(std::string_view statement) {
  for (const sql::CreatedObject& object : sql::created_objects(statement)) {
    if (object.kind == sql::ObjectKind::index && object.concurrently && !object.name.empty()) {
      return object.schema.empty() ? base::delimited_identifier(object.name)
                                   : base::delimited_identifier(object.schema) + "." +
                                         base::delimited_identifier(object.name);
    }
  }
  return {};
}

// What `{batch}` stands for while a backfill's statement is split and parsed: the same length,
// ending in a token, so that a statement that ends at the placeholder keeps all of it.
constexpr std::string_view k_batch_stand_in = " (true)";
static_assert(k_batch_stand_in.size() == k_batch_placeholder.size());

// A backfill's upgrade section is exactly one data statement holding `{batch}` (SPEC §2): each
// batch runs it once with the key range in place of the placeholder.
std::optional<Problem> backfill_problem(const Migration& migration, const Section& section,
                                        const std::vector<Statement>& split,
                                        base::Dialect dialect) {
  const int directive_line = migration.backfill->line;
  if (split.size() != 1) {
    return Problem{
        SourceLocation{migration.display_path,
                       split.size() > 1 ? split[1].line : section.marker_line, 0},
        fmt::format("the upgrade section of backfill revision {} holds {} statements; a "
                    "backfill (line {}) runs exactly one",
                    migration.revision, split.size(), directive_line),
        "keep the one data statement with `{batch}` here, and move the others (the new column, "
        "the index) into revisions of their own before or after it"};
  }
  const Statement& statement = split.front();
  const std::string command = sql::data_command(statement.sql, dialect);
  if (command != "UPDATE" && command != "DELETE" && command != "INSERT" && command != "MERGE" &&
      command != "WITH") {
    return Problem{SourceLocation{migration.display_path, statement.line, 0},
                   fmt::format("the statement of backfill revision {} is not an UPDATE, DELETE, "
                               "INSERT or MERGE ({})",
                               migration.revision, command.empty() ? "a schema change" : command),
                   "a backfill changes rows in batches: write e.g. `UPDATE t SET c = a * 2 WHERE "
                   "{batch} AND c IS NULL`, and the schema change in a revision of its own"};
  }
  if (backfill_template(migration, statement).find(k_batch_placeholder) == std::string::npos) {
    return Problem{
        SourceLocation{migration.display_path, statement.line, 0},
        fmt::format("the statement of backfill revision {} has no `{{batch}}`", migration.revision),
        "put `{batch}` where the key-range predicate goes, e.g. `WHERE {batch} AND c "
        "IS NULL`"};
  }
  return std::nullopt;
}

}  // namespace

base::Result<std::vector<Statement>, Problem> statements(const Migration& migration, Which which,
                                                         base::Dialect dialect,
                                                         Placement placement) {
  if (which == Which::downgrade && !migration.downgrade) {
    return base::fail(Problem{
        SourceLocation{migration.display_path, 1, 0},
        "revision " + migration.revision + " has no downgrade section, so it cannot be downgraded",
        "add `-- retort:downgrade` and the SQL that reverts the upgrade"});
  }
  const Section& section = which == Which::upgrade ? migration.upgrade : *migration.downgrade;
  const std::string fix_syntax =
      fmt::format("correct the SQL of the {} section; nothing has run", section_name(which));

  // A backfill's `{batch}` is replaced by a predicate of the same length, so that the statement
  // splits, parses and keeps its positions; backfill_template() gives it back as written.
  const bool backfill = which == Which::upgrade && migration.backfill.has_value();
  std::string parseable;
  if (backfill) {
    parseable = section.text;
    for (std::size_t at = parseable.find(k_batch_placeholder); at != std::string::npos;
         at = parseable.find(k_batch_placeholder, at)) {
      parseable.replace(at, k_batch_placeholder.size(), k_batch_stand_in);
    }
  }
  const std::string& split_text = backfill ? parseable : section.text;
  sql::SplitResult split = sql::split(split_text, dialect);
  if (!split.ok()) {
    return base::fail(Problem{locate(migration, section, split.error().offset),
                              split.error().message, fix_syntax});
  }
  std::vector<Statement> out;
  out.reserve(split->size());
  // Lines are counted from the previous statement on, not from the section's start: counting
  // from the start for each statement made a section of 100,000 statements quadratic.
  std::size_t counted_to = 0;
  int line = section.marker_line + 1;
  for (const sql::StatementSpan& span : split.value()) {
    const std::string_view text = std::string_view(split_text).substr(span.offset, span.length);
    if (dialect == base::Dialect::sqlite) {
      if (const auto error = sql::sqlite_syntax_error(text)) {
        return base::fail(Problem{locate(migration, section, span.offset + error->offset),
                                  error->message, fix_syntax});
      }
    }
    const sql::StatementTraits traits = sql::classify(text, dialect);
    const bool enforce = placement == Placement::enforce;
    if (enforce && traits.transaction_control) {
      return base::fail(Problem{
          locate(migration, section, span.offset),
          fmt::format("`{}` controls the transaction, which retort does itself", first_line(text)),
          "remove it: retort runs the migration in one transaction, or with `-- retort:transaction "
          "false` each statement on its own"});
    }
    if (enforce && traits.needs_no_transaction && migration.transactional) {
      return base::fail(Problem{
          locate(migration, section, span.offset),
          traits.command + " cannot run inside a transaction block",
          "add `-- retort:transaction false` to the header, or move the statement to a migration "
          "of its own with `-- retort:transaction false`"});
    }
    Statement statement;
    statement.sql = std::string(text);
    statement.offset = section.offset + span.offset;
    // The splitters return spans in file order.
    const std::string_view since =
        std::string_view(section.text).substr(counted_to, span.offset - counted_to);
    line += static_cast<int>(std::count(since.begin(), since.end(), '\n'));
    counted_to = span.offset;
    statement.line = line;
    statement.fingerprint = sql::fingerprint(text, dialect);
    statement.needs_no_transaction = traits.needs_no_transaction;
    if (traits.needs_no_transaction && dialect == base::Dialect::postgres) {
      statement.concurrent_index = concurrent_index(text);
    }
    out.push_back(std::move(statement));
  }
  if (backfill) {
    if (auto problem = backfill_problem(migration, section, out, dialect)) {
      return base::fail(std::move(*problem));
    }
  }
  return out;
}

std::string backfill_template(const Migration& migration, const Statement& statement) {
  const Section& section = migration.upgrade;
  if (statement.offset < section.offset) {
    return statement.sql;
  }
  return section.text.substr(statement.offset - section.offset, statement.sql.size());
}

std::vector<Statement> split_section(const std::string& sql, base::Dialect dialect) {
  Migration kept;
  kept.transactional = false;
  kept.upgrade.text = sql;
  auto split = statements(kept, Which::upgrade, dialect);
  return split ? std::move(split).value() : std::vector<Statement>{};
}

}  // namespace retort::script
