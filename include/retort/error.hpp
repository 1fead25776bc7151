// retort::Error and the exit codes of the product contract (SPEC §6).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace retort {

// The process exit codes that scripts depend on. Never renumber.
enum class ExitCode : int {
  ok = 0,         // success
  failed = 1,     // the operation failed: a migration error, `check` found something
  input = 2,      // usage or input error: flags, configuration, migration files
  lock_busy = 3,  // another runner held the lock past lock_wait
};

// Where in a file a problem is. line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// What the database server said, as data. Filled for server errors only.
struct ServerMessage {
  std::string sqlstate;  // five characters, e.g. "42P01"; empty for SQLite
  std::string message;
  std::string detail;
  std::string hint;
  int position = 0;  // 1-based character offset in the statement, 0 if none
};

// An error that ends the command. The CLI prints every filled field and exits with code().
// Lower layers fill what failed and where; the command layer adds the state of the database
// and the next command to run (SPEC §6).
// Thread-safe: as a plain value; const members from any thread, builders from its owner's.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string what);

  [[nodiscard]] ExitCode code() const noexcept { return m_code; }

  // Builders, so a throw site reads as one sentence.
  Error& at(SourceLocation where);
  Error& server(ServerMessage message);
  Error& state(std::string database_state);
  Error& next(std::string next_command);
  Error& explain(std::string more);  // further lines of explanation (the fix, candidates)

  std::optional<SourceLocation> where;
  std::optional<ServerMessage> server_message;
  std::string database_state;  // what the database looks like now
  std::string next_command;    // what to run next
  std::string explanation;     // further lines

 private:
  ExitCode m_code;
};

// The full text a user reads for an error: what failed, where, the server's words, the state
// of the database and the next command, one item per line. Thread-safe: yes; pure.
[[nodiscard]] std::string format_error(const Error& error);

}  // namespace retort
