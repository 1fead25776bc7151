// `retort import`: another tool's migration history turned into retort files, and the database
// that tool manages adopted (docs/guide/switching.md).
#pragma once

#include "retort/config.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort {

// The tools whose histories `import` reads.
enum class ImportTool { alembic, flyway, golang_migrate, dbmate, goose, diesel, sqitch };

// "flyway", "golang-migrate", ...: the word --from takes.
[[nodiscard]] std::string_view to_string(ImportTool tool);
[[nodiscard]] std::optional<ImportTool> parse_import_tool(std::string_view word);
// Every word parse_import_tool takes, for help and errors.
[[nodiscard]] std::vector<std::string> import_tool_words();

struct ImportOptions {
  ImportTool from = ImportTool::flyway;
  // The other tool's migrations: Flyway's, golang-migrate's, dbmate's, goose's SQL files;
  // Diesel's migrations/ (one directory per migration); Sqitch's project (sqitch.plan,
  // deploy/, revert/); Alembic's project (the directory of alembic.ini).
  std::filesystem::path dir;
  // Also stamp config.url from the tool's own version table (which is left as it is).
  bool adopt = false;
  // Before anything is written, build the imported history on a throwaway database and the
  // original on another ([retort.schema] dev_url, else a private cluster), and compare them by
  // `pg_dump --schema-only`. PostgreSQL only.
  bool verify = false;
};

// One revision written.
struct ImportedRevision {
  std::string revision;
  std::string version;  // the tool's own: Flyway's "1.2", goose's 20230101120000, a change name
  std::string source;   // the file it came from, relative to the imported directory
  std::string file;     // the file written, relative to the project
  std::vector<std::string> revises;
  std::vector<std::string> depends_on;
  std::vector<std::string> branch_labels;
  bool transactional = true;
  bool downgrade = true;  // it has a downgrade section
};

// A revision whose SQL could not be produced (Alembic: Python that does data work offline mode
// cannot render): written with its header and no sections, for the user to fill in.
struct ImportLeft {
  std::string revision;
  std::string file;
  std::string reason;
};

struct ImportResult {
  std::string from;       // the tool's word
  std::string directory;  // versions/, where the files were written
  std::vector<ImportedRevision> revisions;
  std::vector<ImportLeft> left_for_user;
  // --url: the revisions the database was stamped at, and the table they were read from.
  std::vector<std::string> adopted;
  std::string adopted_from;
  // --verify: how the other database was built, and the statements of pg_dump both agree on;
  // empty without --verify.
  std::string verified_against;
  int verified_statements = 0;
};

// Reads the history, checks that every file loads as a retort revision and the whole graph
// holds, and only then moves the files into config.script_location/versions (which must hold
// no .sql file yet). With options.adopt it then stamps config.url. Throws retort::Error: input
// (exit 2) for a file the importer does not understand (named, with its line where it has
// one), a versions/ directory that holds revisions already, or a version table that names a
// version the files do not have; failed (exit 1) when the tool (alembic) or the database
// fails. Thread-safe: yes, for different script locations.
[[nodiscard]] ImportResult import_history(const Config& config, const ImportOptions& options);

}  // namespace retort
