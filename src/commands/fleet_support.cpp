#include "commands/fleet_support.hpp"

#include "base/identifier.hpp"
#include "base/url.hpp"
#include "commands/wiring.hpp"
#include "driver/driver.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>

namespace retort::commands {

std::vector<std::pair<std::string, std::string>> query_pairs(const std::string& url,
                                                             const std::string& sql) {
  auto parsed = base::parse_database_url(url);
  if (!parsed) {
    throw Error(ExitCode::input, "retort.fleet.catalog_url: " + parsed.error())
        .state("nothing was run");
  }
  driver::ConnectOptions options;
  options.application_name = "retort fleet";
  options.missing = driver::MissingDatabase::read_as_empty;
  const std::unique_ptr<driver::Connection> connection = driver::connect(parsed.value(), options);
  const driver::Rows rows = connection->query(sql);
  if (rows.columns.size() < 2) {
    throw Error(ExitCode::input,
                fmt::format("retort.fleet.tenants_query returns {} column(s); it must return "
                            "two, the tenant's id and its URL",
                            rows.columns.size()))
        .state("nothing was run");
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(rows.size());
  for (std::size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
    const auto& row = rows.rows[row_idx];
    if (!row[0] || !row[1]) {
      throw Error(
          ExitCode::input,
          fmt::format("retort.fleet.tenants_query: row {} has a NULL id or URL", row_idx + 1))
          .state("nothing was run");
    }
    pairs.emplace_back(*row[0], *row[1]);
  }
  return pairs;
}

std::vector<std::string> schemas_like(const Config& config, const std::string& pattern) {
  const std::unique_ptr<driver::Connection> connection =
      open_connection(config, driver::MissingDatabase::read_as_empty);
  if (connection->dialect() != base::Dialect::postgres) {
    throw Error(ExitCode::input,
                "retort.fleet.schemas needs a PostgreSQL url: SQLite has no schemas")
        .state("nothing was run")
        .next("list the SQLite files in retort.fleet.tenants_file instead");
  }
  const std::array<driver::Value, 1> params{pattern};
  const driver::Rows rows = connection->query(
      "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 ORDER BY nspname COLLATE "
      "\"C\"",
      params);
  std::vector<std::string> names;
  names.reserve(rows.size());
  for (const auto& row : rows.rows) {
    names.push_back(row[0].value_or(""));
  }
  return names;
}

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read only
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

UrlFacts url_facts(const std::string& url, const std::string& where) {
  auto parsed = base::parse_database_url(url);
  if (!parsed) {
    throw Error(ExitCode::input, fmt::format("{}: {}", where, parsed.error()))
        .state("nothing was run");
  }
  UrlFacts facts;
  facts.redacted = parsed.value().redacted();
  facts.sqlite = parsed.value().dialect == base::Dialect::sqlite;
  if (!facts.sqlite) {
    const base::DatabaseUrl& pg = parsed.value();
    // libpq's defaults, so that "postgresql:///a" and "postgresql://localhost/b" on a default
    // set-up count against the same server when PGHOST says so.
    const std::string host = pg.host.empty() ? env_or("PGHOST", "localhost") : pg.host;
    const std::string port = pg.port.empty() ? env_or("PGPORT", "5432") : pg.port;
    facts.host = host + ":" + port;
  }
  return facts;
}

namespace {

std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

}  // namespace

std::string with_search_path(const std::string& url, const std::string& schema) {
  auto parsed = base::parse_database_url(url);
  if (parsed && parsed.value().params.count("options") != 0) {
    throw Error(ExitCode::input,
                fmt::format("{}: a schema tenant's URL must not set options; retort sets the "
                            "search_path there",
                            base::redact_url(url)))
        .state("nothing was run");
  }
  // Backslash-escaped for libpq's options parser, which splits at spaces.
  std::string path = base::quote_identifier(schema, base::Dialect::postgres) + ",public";
  std::string escaped;
  for (const char c : path) {
    if (c == ' ' || c == '\\') {
      escaped += '\\';
    }
    escaped += c;
  }
  const char separator = url.find('?') == std::string::npos ? '?' : '&';
  return fmt::format("{}{}options={}", url, separator, percent_encode("-csearch_path=" + escaped));
}

bool is_unreachable(const Error& error) noexcept {
  const auto* database = dynamic_cast<const driver::DatabaseError*>(&error);
  return database != nullptr && database->kind() == driver::DatabaseError::Kind::connect;
}

}  // namespace retort::commands
