// The driver registry: which driver serves which URL scheme. The one file that knows them all.
#include "driver/driver.hpp"
#include "driver/postgres/connection.hpp"
#include "driver/sqlite/connection.hpp"

namespace retort::driver {

std::unique_ptr<Connection> connect(const base::DatabaseUrl& url, const ConnectOptions& options) {
  switch (url.dialect) {
    case base::Dialect::postgres:
      return postgres::open(url, options);
    case base::Dialect::sqlite:
      return sqlite::open(url, options);
  }
  throw DatabaseError(DatabaseError::Kind::connect,
                      "no driver for the database URL '" + url.redacted() + "'", {});
}

}  // namespace retort::driver
