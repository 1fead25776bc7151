// The SQLite driver (sqlite3 C API): one database file, created on first connect.
#pragma once

#include "driver/driver.hpp"

#include <memory>

namespace retort::driver::sqlite {

// Opens the file url.sqlite_path (relative to the working directory; ":memory:" for an
// in-memory database), creating it if missing, with a 5 s busy timeout and foreign keys on.
// Throws DatabaseError (Kind::connect) naming the redacted URL and the reason: a missing
// directory, a file that is not a database, no permission. Called once per command by
// driver::connect().
[[nodiscard]] std::unique_ptr<Connection> open(const base::DatabaseUrl& url,
                                               const ConnectOptions& options);

}  // namespace retort::driver::sqlite
