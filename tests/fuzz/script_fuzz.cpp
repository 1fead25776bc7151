// libFuzzer entry point for the migration file parser: any bytes as the text of one file,
// parsed without touching disk, then normalised as the checksum does. Must never crash,
// hang or read out of bounds; problems are the expected outcome for most inputs.
#include "script/migration_parser.hpp"
#include "sql/lexer.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const retort::script::ParsedMigration parsed =
      retort::script::parse_migration_text("versions/abc123_fuzz.sql", text);

  // Every problem points into the file.
  for (const retort::script::Problem& problem : parsed.problems) {
    if (problem.where.line < 1 || problem.message.empty() || problem.fix.empty()) {
      __builtin_trap();
    }
  }
  // Sections are slices of the input at the offsets they claim.
  const retort::script::Migration& migration = parsed.migration;
  if (migration.upgrade.marker_line > 0 &&
      text.substr(migration.upgrade.offset, migration.upgrade.text.size()) !=
          migration.upgrade.text) {
    __builtin_trap();
  }
  if (migration.downgrade &&
      text.substr(migration.downgrade->offset, migration.downgrade->text.size()) !=
          migration.downgrade->text) {
    __builtin_trap();
  }
  // The SQLite lexing rules differ (brackets, backticks, no nesting): exercise them too.
  (void)retort::sql::normalize(text, retort::base::Dialect::sqlite);
  return 0;
}
