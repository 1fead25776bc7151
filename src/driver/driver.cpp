// DatabaseError, the one error type every driver throws.
#include "driver/driver.hpp"

#include <utility>

namespace retort::driver {

DatabaseError::DatabaseError(Kind kind, std::string what, ServerMessage message)
    : Error(ExitCode::failed, std::move(what)), m_kind(kind) {
  server(std::move(message));
}

}  // namespace retort::driver
