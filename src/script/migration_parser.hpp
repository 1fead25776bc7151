// Parses the text of one migration file: `-- retort:` header directives with their lines, and
// the upgrade and downgrade sections. No disk and no SQL parser, so it is fast and fuzzable.
#pragma once

#include "script/script_directory.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace retort::script {

// The header lines that graph problems point back to; 0 when the directive is absent.
struct DirectiveLines {
  int revision = 0;
  int revises = 0;
  int branch_labels = 0;
  int depends_on = 0;
  int replaces = 0;  // the first `replaces` line
};

struct ParsedMigration {
  Migration migration;  // path is left empty: the caller knows it
  DirectiveLines lines;
  std::vector<Problem> problems;  // in line order; empty when the file is valid on its own
};

// display_path names the file in problems, and its last component must be
// `<revision>_<slug>.sql` (or `<revision>.sql`). Every problem of the file is reported.
// Never throws on any input text.
[[nodiscard]] ParsedMigration parse_migration_text(std::string_view display_path,
                                                   std::string_view text);

// `[0-9a-zA-Z_]{1,64}` (SPEC §2).
[[nodiscard]] bool is_valid_revision_id(std::string_view id) noexcept;

// SHA-256 hex over the normalised upgrade and downgrade sections (sql::normalize): edits of
// comments and layout keep it, any other edit changes it. The same for every dialect.
[[nodiscard]] std::string migration_checksum(const Section& upgrade,
                                             const std::optional<Section>& downgrade);

// The file-name slug for a message, as Alembic makes it: the words (runs of ASCII letters and
// digits) lower-cased and joined by '_', cut at a word boundary to at most 40 characters.
[[nodiscard]] std::string slugify(std::string_view message);

}  // namespace retort::script
