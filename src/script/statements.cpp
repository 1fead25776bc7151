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
#include <string>
#include <utility>

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

  sql::SplitResult split = sql::split(section.text, dialect);
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
    const std::string_view text = std::string_view(section.text).substr(span.offset, span.length);
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
  return out;
}

std::vector<Statement> split_section(const std::string& sql, base::Dialect dialect) {
  Migration kept;
  kept.transactional = false;
  kept.upgrade.text = sql;
  auto split = statements(kept, Which::upgrade, dialect);
  return split ? std::move(split).value() : std::vector<Statement>{};
}

}  // namespace retort::script
