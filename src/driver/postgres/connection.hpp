// The PostgreSQL driver (libpq): non-blocking statements that another thread can cancel.
#pragma once

#include "driver/driver.hpp"

#include <memory>

namespace retort::driver::postgres {

// Connects with the URL (libpq's URI syntax; its ?params are libpq keywords and win over
// options), giving up after options.connect_timeout. Throws DatabaseError (Kind::connect)
// naming the redacted URL and libpq's reason, with any password scrubbed from it. Called once
// per command by driver::connect().
[[nodiscard]] std::unique_ptr<Connection> open(const base::DatabaseUrl& url,
                                               const ConnectOptions& options);

}  // namespace retort::driver::postgres
