// The database driver interface: dumb primitives with declared capabilities. Policy (locks,
// retries, ledger) lives in runner/; a driver only talks to its database.
#pragma once

#include "base/dialect.hpp"
#include "base/url.hpp"
#include "retort/error.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::driver {

// What a driver can do; the runner decides by these, never by the dialect name.
struct Capabilities {
  bool transactional_ddl = true;       // DDL rolls back with its transaction
  bool advisory_locks = false;         // pg_advisory_lock and friends
  bool concurrent_statements = false;  // CREATE INDEX CONCURRENTLY and other no-transaction DDL
  bool schemas = false;                // version_table_schema is meaningful
  bool online_backup = false;          // backup_to() and restore_from() (SQLite's backup API)
};

// One value of a result row or a parameter; nullopt is SQL NULL. Text format throughout.
using Value = std::optional<std::string>;

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;

  [[nodiscard]] bool empty() const noexcept { return rows.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return rows.size(); }
};

// What went wrong talking to the database. Carries the server's words as data (SQLSTATE,
// message, detail, hint, the 1-based character position in the statement). Exit code 1.
class DatabaseError : public Error {
 public:
  enum class Kind {
    connect,    // could not connect or authenticate
    statement,  // the server rejected a statement
    cancelled,  // cancel() or a deadline stopped the statement
    broken,     // the connection was lost mid-statement: the outcome is unknown (in doubt)
  };
  DatabaseError(Kind kind, std::string what, ServerMessage message);
  [[nodiscard]] Kind kind() const noexcept { return m_kind; }
  [[nodiscard]] const ServerMessage& message() const noexcept { return *server_message; }

 private:
  Kind m_kind;
};

// What opening a database that does not exist does (SQLite: a file that is not there yet).
enum class MissingDatabase {
  create,         // create it: what running migrations needs
  read_as_empty,  // read it as an empty database and leave no file behind: what reading needs
};

struct ConnectOptions {
  // Give up connecting after this long (libpq connect_timeout; SQLite ignores it).
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Shown in pg_stat_activity, so operators can tell retort's sessions apart.
  std::string application_name = "retort";
  MissingDatabase missing = MissingDatabase::create;
};

// A connection to one database. Not thread-safe, except cancel(), which another thread or a
// signal-handling thread may call while a statement runs.
class Connection {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] virtual base::Dialect dialect() const noexcept = 0;
  [[nodiscard]] virtual const Capabilities& capabilities() const noexcept = 0;
  // "PostgreSQL 15.18" / "SQLite 3.40.1".
  [[nodiscard]] virtual std::string server_version() const = 0;

  // Runs SQL that returns no rows: one statement or a script of several (simple protocol).
  // Throws DatabaseError; on a statement error the transaction state is the server's
  // (inside a transaction block, the transaction is aborted until rollback()).
  // @warning A script of several statements outside begin() differs by dialect: PostgreSQL
  // runs it as one implicit transaction (all or nothing, and CREATE INDEX CONCURRENTLY or
  // VACUUM in it fail with "cannot run inside a transaction block"); SQLite commits each
  // statement as it goes. For the same behaviour everywhere, run a script inside begin(), and
  // run no-transaction migrations one statement per call.
  virtual void execute(std::string_view sql) = 0;

  // Runs one statement with parameters written $1, $2, ... in both dialects, and returns its
  // rows as text. Throws DatabaseError.
  virtual Rows query(std::string_view sql, std::span<const Value> params = {}) = 0;

  // Transaction control. begin() while in a transaction, or commit()/rollback() outside one,
  // is a bug (asserted). rollback() never throws when the connection is broken.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  [[nodiscard]] virtual bool in_transaction() const noexcept = 0;

  // Asks the server to stop the statement now running (PQcancel / sqlite3_interrupt). Safe to
  // call from another thread; a no-op when nothing runs. The interrupted call throws
  // DatabaseError with Kind::cancelled. Inside a transaction, PostgreSQL leaves it aborted
  // (roll back); SQLite may have rolled it back already (in_transaction() tells).
  virtual void cancel() noexcept = 0;

  // With capabilities().online_backup: copies the whole database, page by page, into a new
  // database file `file` (backup_to), or over this database from one (restore_from), while
  // other connections may go on using it. Outside a transaction. Throws DatabaseError; the
  // default throws it always (PostgreSQL's backups are pg_dump's, a program, not the driver's).
  virtual void backup_to(const std::string& file);
  virtual void restore_from(const std::string& file);

  // The notices and warnings the server sent since the last call ("NOTICE: relation \"t\"
  // already exists, skipping"), oldest first, and forgets them. SQLite sends none.
  [[nodiscard]] virtual std::vector<std::string> take_notices() { return {}; }
};

// Opens a connection for the URL's scheme. Throws DatabaseError (Kind::connect) with the
// redacted URL and the server's or library's reason; never prints the password.
[[nodiscard]] std::unique_ptr<Connection> connect(const base::DatabaseUrl& url,
                                                  const ConnectOptions& options = {});

}  // namespace retort::driver
