// Database URLs: postgresql://, postgres:// and sqlite:/// (with or without a SQLAlchemy driver
// suffix, postgresql+psycopg://), parsed and redacted for printing.
#pragma once

#include "base/dialect.hpp"
#include "base/result.hpp"

#include <map>
#include <string>
#include <string_view>

namespace retort::base {

struct DatabaseUrl {
  // Which driver the scheme names: postgresql:// and postgres:// PostgreSQL, sqlite:/// SQLite.
  Dialect dialect = Dialect::sqlite;
  // The URL as given, without a SQLAlchemy driver suffix ("postgresql+asyncpg://" reads as
  // "postgresql://"): what libpq is given. Contains the password: never print it, use
  // redacted().
  std::string text;
  // The SQLAlchemy driver the URL named and parsing dropped ("asyncpg", "psycopg2",
  // "aiosqlite"); empty when it named none. retort uses libpq and sqlite3 whatever it says.
  std::string driver;

  // sqlite: the file path after "sqlite:///" ("app.db" is relative, "/var/app.db" absolute,
  // ":memory:" in memory, as SQLAlchemy's bare "sqlite://" is). Empty for postgres.
  std::string sqlite_path;

  // postgres: the parts, percent-decoded. Empty strings where the URL leaves them out
  // (libpq then applies its defaults and PG* environment variables).
  std::string user;
  std::string password;
  std::string host;
  std::string port;
  std::string database;
  std::map<std::string, std::string> params;  // ?sslmode=require&...

  // The URL with any password replaced by "***", safe for output, logs and errors.
  [[nodiscard]] std::string redacted() const;
};

// Parses a database URL. A SQLAlchemy driver suffix on postgresql, postgres or sqlite is dropped
// (DatabaseUrl::driver says which); SQLAlchemy's SQLite forms keep their meaning: sqlite:///rel.db,
// sqlite:////abs.db, and sqlite:// in memory. The failure is a sentence naming what is wrong and
// what is accepted.
[[nodiscard]] Result<DatabaseUrl, std::string> parse_database_url(std::string_view url);

// Replaces the password of any URL-looking text (user:pass@ and password=...) with "***".
// Works on text that does not parse, so error messages that echo a bad URL are safe too.
[[nodiscard]] std::string redact_url(std::string_view url);

}  // namespace retort::base
