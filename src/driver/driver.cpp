// DatabaseError, the one error type every driver throws.
#include "driver/driver.hpp"

#include <utility>

namespace retort::driver {

DatabaseError::DatabaseError(Kind kind, std::string what, ServerMessage message)
    : Error(ExitCode::failed, std::move(what)), m_kind(kind) {
  server(std::move(message));
}

void Connection::backup_to(const std::string& /*file*/) {
  throw DatabaseError(DatabaseError::Kind::statement,
                      "this database has no online backup through its driver", {});
}

void Connection::restore_from(const std::string& /*file*/) {
  throw DatabaseError(DatabaseError::Kind::statement,
                      "this database has no online restore through its driver", {});
}

}  // namespace retort::driver
