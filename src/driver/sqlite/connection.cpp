// The SQLite driver: scripts run statement by statement through sqlite3_prepare_v2's tail,
// errors carry SQLite's message, its extended result code and the character position.
#include "driver/sqlite/connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace retort::driver::sqlite {

namespace {

// Names of the result codes a migration meets; others print as the primary code's name
// plus the number. From sqlite3.h, where the extended codes are (primary | n << 8).
struct CodeName {
  int code;
  const char* name;
};
constexpr CodeName k_code_names[] = {
    {SQLITE_ERROR, "SQLITE_ERROR"},
    {SQLITE_INTERNAL, "SQLITE_INTERNAL"},
    {SQLITE_PERM, "SQLITE_PERM"},
    {SQLITE_ABORT, "SQLITE_ABORT"},
    {SQLITE_BUSY, "SQLITE_BUSY"},
    {SQLITE_LOCKED, "SQLITE_LOCKED"},
    {SQLITE_NOMEM, "SQLITE_NOMEM"},
    {SQLITE_READONLY, "SQLITE_READONLY"},
    {SQLITE_INTERRUPT, "SQLITE_INTERRUPT"},
    {SQLITE_IOERR, "SQLITE_IOERR"},
    {SQLITE_CORRUPT, "SQLITE_CORRUPT"},
    {SQLITE_NOTFOUND, "SQLITE_NOTFOUND"},
    {SQLITE_FULL, "SQLITE_FULL"},
    {SQLITE_CANTOPEN, "SQLITE_CANTOPEN"},
    {SQLITE_PROTOCOL, "SQLITE_PROTOCOL"},
    {SQLITE_EMPTY, "SQLITE_EMPTY"},
    {SQLITE_SCHEMA, "SQLITE_SCHEMA"},
    {SQLITE_TOOBIG, "SQLITE_TOOBIG"},
    {SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT"},
    {SQLITE_MISMATCH, "SQLITE_MISMATCH"},
    {SQLITE_MISUSE, "SQLITE_MISUSE"},
    {SQLITE_NOLFS, "SQLITE_NOLFS"},
    {SQLITE_AUTH, "SQLITE_AUTH"},
    {SQLITE_FORMAT, "SQLITE_FORMAT"},
    {SQLITE_RANGE, "SQLITE_RANGE"},
    {SQLITE_NOTADB, "SQLITE_NOTADB"},
    {SQLITE_BUSY_RECOVERY, "SQLITE_BUSY_RECOVERY"},
    {SQLITE_BUSY_SNAPSHOT, "SQLITE_BUSY_SNAPSHOT"},
    {SQLITE_BUSY_TIMEOUT, "SQLITE_BUSY_TIMEOUT"},
    {SQLITE_LOCKED_SHAREDCACHE, "SQLITE_LOCKED_SHAREDCACHE"},
    {SQLITE_CANTOPEN_ISDIR, "SQLITE_CANTOPEN_ISDIR"},
    {SQLITE_CANTOPEN_FULLPATH, "SQLITE_CANTOPEN_FULLPATH"},
    {SQLITE_READONLY_DIRECTORY, "SQLITE_READONLY_DIRECTORY"},
    {SQLITE_READONLY_DBMOVED, "SQLITE_READONLY_DBMOVED"},
    {SQLITE_ABORT_ROLLBACK, "SQLITE_ABORT_ROLLBACK"},
    {SQLITE_CONSTRAINT_CHECK, "SQLITE_CONSTRAINT_CHECK"},
    {SQLITE_CONSTRAINT_FOREIGNKEY, "SQLITE_CONSTRAINT_FOREIGNKEY"},
    {SQLITE_CONSTRAINT_NOTNULL, "SQLITE_CONSTRAINT_NOTNULL"},
    {SQLITE_CONSTRAINT_PRIMARYKEY, "SQLITE_CONSTRAINT_PRIMARYKEY"},
    {SQLITE_CONSTRAINT_TRIGGER, "SQLITE_CONSTRAINT_TRIGGER"},
    {SQLITE_CONSTRAINT_UNIQUE, "SQLITE_CONSTRAINT_UNIQUE"},
};

std::string code_name(int extended_code) {
  for (const CodeName& entry : k_code_names) {
    if (entry.code == extended_code) {
      return entry.name;
    }
  }
  const int primary = extended_code & 0xff;
  for (const CodeName& entry : k_code_names) {
    if (entry.code == primary) {
      return fmt::format("{} ({})", entry.name, extended_code);
    }
  }
  return fmt::format("SQLite code {}", extended_code);
}

// The 1-based character position of a byte offset, as PostgreSQL counts positions, so both
// drivers point into the same text the same way.
int char_position(std::string_view text, std::size_t byte_offset) {
  int chars = 0;
  for (std::size_t pos = 0; pos < byte_offset && pos < text.size(); ++pos) {
    // UTF-8 continuation bytes (10xxxxxx) do not start a character.
    if ((static_cast<unsigned char>(text[pos]) & 0xC0U) != 0x80U) {
      ++chars;
    }
  }
  return chars + 1;
}

// SQLite has no SQLSTATE and no hints: its words go in message, the result code in detail.
ServerMessage sqlite_message(std::string message, std::string detail, int position) {
  ServerMessage out;
  out.message = std::move(message);
  out.detail = std::move(detail);
  out.position = position;
  return out;
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : m_db(db) {}
  ~SqliteConnection() override { sqlite3_close_v2(m_db); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] base::Dialect dialect() const noexcept override { return base::Dialect::sqlite; }

  [[nodiscard]] const Capabilities& capabilities() const noexcept override {
    static const Capabilities k_capabilities{.transactional_ddl = true,
                                             .advisory_locks = false,
                                             .concurrent_statements = false,
                                             .schemas = false,
                                             .online_backup = true};
    return k_capabilities;
  }

  [[nodiscard]] std::string server_version() const override {
    return std::string("SQLite ") + sqlite3_libversion();
  }

  void execute(std::string_view sql) override {
    std::size_t offset = 0;
    while (offset < sql.size()) {
      const std::size_t start = offset;
      Statement stmt = prepare(sql, offset);
      if (!stmt) {
        // Only whitespace or comments were left; SQLite consumed them.
        if (offset == start) {
          break;
        }
        continue;
      }
      run_to_end(stmt.get(), nullptr);
    }
  }

  Rows query(std::string_view sql, std::span<const Value> params) override {
    std::size_t offset = 0;
    Statement stmt = prepare(sql, offset);
    if (!stmt) {
      throw DatabaseError(DatabaseError::Kind::statement, "query() was given no SQL statement", {});
    }
    // A second statement would be silently ignored: refuse it, as PostgreSQL's extended
    // protocol does.
    std::size_t rest = offset;
    if (Statement extra = prepare(sql, rest)) {
      throw DatabaseError(
          DatabaseError::Kind::statement,
          "query() runs one statement, but the SQL holds more than one",
          sqlite_message("cannot insert multiple commands into a prepared statement", "",
                         char_position(sql, offset + 1)));
    }
    bind(stmt.get(), params);

    Rows rows;
    const int column_count = sqlite3_column_count(stmt.get());
    for (int column = 0; column < column_count; ++column) {
      rows.columns.emplace_back(sqlite3_column_name(stmt.get(), column));
    }
    run_to_end(stmt.get(), &rows);
    return rows;
  }

  // IMMEDIATE takes the write lock up front. A deferred transaction takes a read lock first and
  // upgrades on the first write; two runners doing that deadlock, and SQLite answers
  // SQLITE_BUSY at once without waiting out the busy timeout. Taking the write lock first
  // makes a second runner wait (busy timeout) before it has read anything.
  void begin() override {
    assert(!in_transaction() && "begin() inside a transaction");
    execute("BEGIN IMMEDIATE");
    m_began = true;
  }

  void commit() override {
    assert((m_began || in_transaction()) && "commit() outside a transaction");
    if (!in_transaction()) {
      // SQLite rolls the whole transaction back by itself on some errors (SQLITE_FULL,
      // SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM, an interrupted write): nothing to commit.
      m_began = false;
      throw DatabaseError(DatabaseError::Kind::statement,
                          "cannot commit: SQLite already rolled the transaction back after an "
                          "earlier error",
                          {});
    }
    try {
      execute("COMMIT");
      m_began = false;
    } catch (const DatabaseError&) {
      // SQLITE_BUSY on COMMIT leaves the transaction open; the caller may roll back.
      m_began = in_transaction();
      throw;
    }
  }

  void rollback() override {
    assert((m_began || in_transaction()) && "rollback() outside a transaction");
    m_began = false;
    if (!in_transaction()) {
      return;  // SQLite already rolled back after an error
    }
    try {
      execute("ROLLBACK");
    } catch (const DatabaseError&) {
      // Rollback is the cleanup path: a failure here (e.g. an I/O error) leaves SQLite to
      // roll back from the journal on next open, which is what a rollback would have done.
      return;
    }
  }

  [[nodiscard]] bool in_transaction() const noexcept override {
    return sqlite3_get_autocommit(m_db) == 0;
  }

  // sqlite3_interrupt is documented safe from any thread while the connection is open; when
  // no statement runs it is a no-op.
  void cancel() noexcept override { sqlite3_interrupt(m_db); }

  void backup_to(const std::string& file) override { copy(file, Copy::out); }
  void restore_from(const std::string& file) override { copy(file, Copy::in); }

 private:
  // Prepares the statement starting at offset and advances offset past it. Returns null for
  // text with no statement (whitespace, comments).
  Statement prepare(std::string_view sql, std::size_t& offset) {
    const std::string_view rest = sql.substr(offset);
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc =
        sqlite3_prepare_v2(m_db, rest.data(), static_cast<int>(rest.size()), &raw, &tail);
    Statement stmt(raw);
    if (rc != SQLITE_OK) {
      int position = 0;
      if (const int token = sqlite3_error_offset(m_db); token >= 0) {
        position = char_position(sql, offset + static_cast<std::size_t>(token));
      }
      throw_error(rc, position);
    }
    offset += tail == nullptr ? rest.size() : static_cast<std::size_t>(tail - rest.data());
    return stmt;
  }

  // Binds $1..$N. SQLite reads "$1" as a named parameter; sqlite3_bind_parameter_name maps
  // each slot back to its number, so the same $1 may appear twice.
  void bind(sqlite3_stmt* stmt, std::span<const Value> params) {
    const int slots = sqlite3_bind_parameter_count(stmt);
    std::size_t highest = 0;
    for (int slot = 1; slot <= slots; ++slot) {
      const char* raw_name = sqlite3_bind_parameter_name(stmt, slot);
      const std::string_view name = raw_name == nullptr ? "?" : raw_name;
      std::size_t number = 0;
      const auto [end, errc] =
          name.size() > 1 ? std::from_chars(name.data() + 1, name.data() + name.size(), number)
                          : std::from_chars_result{name.data(), std::errc::invalid_argument};
      if (!name.starts_with("$") || errc != std::errc{} || end != name.data() + name.size() ||
          number == 0) {
        throw DatabaseError(DatabaseError::Kind::statement,
                            fmt::format("parameter '{}' is not supported: write $1, $2, ...", name),
                            {});
      }
      if (number > params.size()) {
        throw DatabaseError(DatabaseError::Kind::statement,
                            fmt::format("the statement uses ${} but {} parameter(s) were given",
                                        number, params.size()),
                            {});
      }
      highest = std::max(highest, number);
      const Value& value = params[number - 1];
      const int rc = value ? sqlite3_bind_text64(stmt, slot, value->data(), value->size(),
                                                 SQLITE_TRANSIENT, SQLITE_UTF8)
                           : sqlite3_bind_null(stmt, slot);
      if (rc != SQLITE_OK) {
        throw_error(rc, 0);
      }
    }
    if (highest != params.size()) {
      throw DatabaseError(DatabaseError::Kind::statement,
                          fmt::format("{} parameter(s) were given but the statement uses {}",
                                      params.size(), highest),
                          {});
    }
  }

  // Steps until done, keeping the rows when asked.
  void run_to_end(sqlite3_stmt* stmt, Rows* rows) {
    const int column_count = sqlite3_column_count(stmt);
    while (true) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) {
        return;
      }
      if (rc != SQLITE_ROW) {
        throw_error(rc, 0);
      }
      if (rows == nullptr) {
        continue;
      }
      std::vector<Value>& row = rows->rows.emplace_back();
      row.reserve(static_cast<std::size_t>(column_count));
      for (int column = 0; column < column_count; ++column) {
        if (sqlite3_column_type(stmt, column) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
          continue;
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
        const int bytes = sqlite3_column_bytes(stmt, column);
        row.emplace_back(std::string(text, static_cast<std::size_t>(bytes)));
      }
    }
  }

  enum class Copy { out, in };

  // sqlite3_backup between this database and `file`: out writes this one into it, in writes it
  // over this one. Pages are copied in rounds, so a writer of another connection waits for a
  // round at most; a round it cannot start for a lock is tried again for about 10 s.
  void copy(const std::string& file, Copy way) {
    assert(!in_transaction() && "backup or restore inside a transaction");
    struct Close {
      void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    sqlite3* raw = nullptr;
    const int flags =
        (way == Copy::out ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
        SQLITE_OPEN_EXRESCODE;
    const int open_rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    const std::unique_ptr<sqlite3, Close> other(raw);
    if (open_rc != SQLITE_OK) {
      throw DatabaseError(
          DatabaseError::Kind::statement,
          fmt::format("cannot open '{}': {} [{}]", file,
                      raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(open_rc),
                      code_name(open_rc)),
          {});
    }
    sqlite3_busy_timeout(other.get(), 5000);
    sqlite3* const destination = way == Copy::out ? other.get() : m_db;
    sqlite3* const source = way == Copy::out ? m_db : other.get();
    sqlite3_backup* backup = sqlite3_backup_init(destination, "main", source, "main");
    const auto fail = [&](int rc) {
      const std::string what = way == Copy::out ? "backup to" : "restore from";
      throw DatabaseError(DatabaseError::Kind::statement,
                          fmt::format("{} '{}' failed: {} [{}]", what, file,
                                      sqlite3_errmsg(destination), code_name(rc)),
                          {});
    };
    if (backup == nullptr) {
      fail(sqlite3_extended_errcode(destination));
    }
    constexpr int k_pages_per_round = 1024;
    constexpr int k_busy_rounds = 200;
    int step_rc = SQLITE_OK;
    int busy = 0;
    do {
      step_rc = sqlite3_backup_step(backup, k_pages_per_round);
      if (step_rc == SQLITE_BUSY || step_rc == SQLITE_LOCKED) {
        if (++busy > k_busy_rounds) {
          break;
        }
        sqlite3_sleep(50);
      }
    } while (step_rc == SQLITE_OK || step_rc == SQLITE_BUSY || step_rc == SQLITE_LOCKED);
    const int finish_rc = sqlite3_backup_finish(backup);
    if (step_rc != SQLITE_DONE) {
      fail(step_rc);
    }
    if (finish_rc != SQLITE_OK) {
      fail(finish_rc);
    }
  }

  [[noreturn]] void throw_error(int rc, int position) {
    const int extended = sqlite3_extended_errcode(m_db);
    // sqlite3_errmsg describes the most recent failing call, which is this one.
    const std::string message = sqlite3_errmsg(m_db);
    const std::string name = code_name(extended != 0 ? extended : rc);
    if ((rc & 0xff) == SQLITE_INTERRUPT) {
      throw DatabaseError(DatabaseError::Kind::cancelled,
                          fmt::format("the statement was cancelled ({})", name),
                          sqlite_message(message, "", position));
    }
    throw DatabaseError(
        DatabaseError::Kind::statement, fmt::format("{} [{}]", message, name),
        sqlite_message(message, fmt::format("SQLite result code {}", name), position));
  }

  sqlite3* m_db;
  // Whether begin() opened a transaction not yet ended by commit() or rollback(); only for the
  // assertions, since SQLite may end a transaction by itself (sqlite3_get_autocommit is the
  // truth).
  bool m_began = false;
};

[[noreturn]] void throw_open_error(const base::DatabaseUrl& url, const std::string& reason) {
  throw DatabaseError(DatabaseError::Kind::connect,
                      fmt::format("cannot open the SQLite database {}: {}", url.redacted(), reason),
                      {});
}

}  // namespace

std::unique_ptr<Connection> open(const base::DatabaseUrl& url, const ConnectOptions& options) {
  std::string path = url.sqlite_path;
  std::error_code missing_ec;
  if (options.missing == MissingDatabase::read_as_empty && path != ":memory:" &&
      !std::filesystem::exists(path, missing_ec)) {
    path = ":memory:";  // nothing to read: an empty database, and no file left behind
  }
  if (path != ":memory:") {
    const std::filesystem::path directory = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!directory.empty() && !std::filesystem::is_directory(directory, ec)) {
      throw_open_error(url, fmt::format("the directory '{}' does not exist; create it first",
                                        directory.string()));
    }
    if (std::filesystem::is_directory(path, ec)) {
      throw_open_error(url, fmt::format("'{}' is a directory, not a database file", path));
    }
  }

  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw_open_error(url, fmt::format("{} [{}]", reason, code_name(rc)));
  }
  auto connection = std::make_unique<SqliteConnection>(db);
  sqlite3_extended_result_codes(db, 1);
  // Another process (a second runner, the application) may hold the lock briefly.
  sqlite3_busy_timeout(db, 5000);
  try {
    connection->execute("PRAGMA foreign_keys = ON");
    // Opening is lazy: read the schema now so a file that is not a database fails here, as a
    // connection error, instead of at the first migration.
    static_cast<void>(connection->query("SELECT count(*) FROM sqlite_schema", {}));
  } catch (const DatabaseError& error) {
    throw_open_error(url, error.what());
  }
  return connection;
}

}  // namespace retort::driver::sqlite
