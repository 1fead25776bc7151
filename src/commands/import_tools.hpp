// Reading another tool's migration history (`retort import`): each tool's documented layout
// and ordering, its files split into upgrade and downgrade sections, its own version turned
// into a revision id, and its version table read back for adoption.
#pragma once

#include "driver/driver.hpp"
#include "retort/import.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::commands::importing {

// One migration of the other tool, as retort will write it.
struct Imported {
  std::string revision;
  std::string version;  // the tool's own, as its version table stores it
  std::string message;
  std::string source;  // relative to the imported directory
  std::vector<std::string> revises;
  std::vector<std::string> depends_on;
  std::vector<std::string> branch_labels;
  bool transactional = true;
  std::string upgrade;
  std::optional<std::string> downgrade;  // nullopt: the tool had none
  // Set when the SQL could not be produced (Alembic's Python doing data work offline mode
  // cannot render): the file is written with its header alone, for the user to fill in.
  std::optional<std::string> left_reason;
};

// Whether a section has a statement: anything but blank lines, line comments and block
// comments standing alone on their lines.
[[nodiscard]] bool has_statement(const std::string& sql);

// The revision id of a tool's version: `v` and the version with every character outside
// [0-9A-Za-z_] made `_` (Flyway's 1.2 -> v1_2, goose's 20230101120000 -> v20230101120000);
// Sqitch's change names are taken as they are, made valid the same way (add-users ->
// add_users). Throws Error(input) when the id would be longer than 64 characters.
[[nodiscard]] std::string revision_of(ImportTool tool, std::string_view version,
                                      const std::string& source);

// The history in `dir`, in the order the tool applies it, each revising the one before
// (Sqitch's requirements also as depends_on). Throws Error(input) naming the first file it does
// not understand. Alembic is read by import_alembic.cpp.
[[nodiscard]] std::vector<Imported> read_sql_history(ImportTool tool,
                                                     const std::filesystem::path& dir);

// Alembic's history through its offline mode: the graph from its ScriptDirectory, each
// revision's upgrade and downgrade rendered alone for `dialect` ("postgresql", "sqlite").
[[nodiscard]] std::vector<Imported> read_alembic_history(const std::filesystem::path& dir,
                                                         const std::string& dialect);

// --verify: Alembic runs the project's revisions up to its heads on the database of
// `libpq_url` (a throwaway one), as `alembic upgrade heads` does. Throws Error(failed) with
// Alembic's words when it fails.
void run_alembic_upgrade(const std::filesystem::path& dir, const std::string& libpq_url);

// What the tool's own version table says is applied: the versions to stamp (the tool's
// words, as `Imported::version`), and where they were read, for the ledger's reason.
struct Applied {
  std::string table;  // "flyway_schema_history", "sqitch.changes", ...
  std::vector<std::string> versions;
};
// Reads the tool's table through `connection`, only reading. Throws Error: input when the
// table is missing or says the database is in a state a stamp would hide (golang-migrate's
// dirty flag, Flyway's failed row), each with what to do.
[[nodiscard]] Applied read_applied(ImportTool tool, driver::Connection& connection,
                                   const std::vector<Imported>& history);

}  // namespace retort::commands::importing
