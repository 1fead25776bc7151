// The SQL dialects retort speaks, one per driver: the one enum every layer names, from the URL's
// scheme (base/url.hpp) through splitting (sql/, script/) to the driver that runs the SQL.
#pragma once

namespace retort::base {

// Adding a dialect is adding a driver: ARCHITECTURE.md ("Adding a driver") lists every place
// that switches on this enum.
enum class Dialect { postgres, sqlite };

}  // namespace retort::base
