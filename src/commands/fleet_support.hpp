// What `retort fleet` (src/fleet/) needs of the databases beyond the public commands: reading
// its tenant sources (a catalog query, the schemas of one database), where a tenant's URL
// points, and whether an error means its database could not be reached.
#pragma once

#include "retort/config.hpp"
#include "retort/error.hpp"

#include <string>
#include <utility>
#include <vector>

namespace retort::commands {

// The first two columns of `sql`'s rows on the database of `url` (id, url), as text; a NULL
// is an input error naming the row. Throws the connection's or the statement's error.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> query_pairs(const std::string& url,
                                                                           const std::string& sql);

// The schemas of config.url's database whose names are LIKE `pattern`, by name.
[[nodiscard]] std::vector<std::string> schemas_like(const Config& config,
                                                    const std::string& pattern);

struct UrlFacts {
  std::string redacted;
  std::string host;  // "host:port" (libpq's defaults filled in); empty for SQLite
  bool sqlite = false;
};
// Throws an input error naming `where` for a URL that does not parse.
[[nodiscard]] UrlFacts url_facts(const std::string& url, const std::string& where);

// url with `schema` first on the session's search_path (libpq's options parameter), then
// public. The URL must not set options itself: an input error says so.
[[nodiscard]] std::string with_search_path(const std::string& url, const std::string& schema);

// The error is the failure to reach the database (connect, authenticate, a file that cannot
// be opened), not a failure of anything that ran on it.
[[nodiscard]] bool is_unreachable(const Error& error) noexcept;

}  // namespace retort::commands
