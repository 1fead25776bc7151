// The tenants of [retort.fleet]: read from their one source, checked, sharded; and the
// configuration each tenant runs with.
#include "commands/fleet_support.hpp"
#include "retort/fleet.hpp"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

namespace retort {

std::uint64_t fnv1a_64(std::string_view text) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

int shard_of(std::string_view tenant_id, int count) noexcept {
  if (count <= 1) {
    return 0;
  }
  return static_cast<int>(fnv1a_64(tenant_id) % static_cast<std::uint64_t>(count));
}

namespace {

Error source_error(std::string message) {
  Error error(ExitCode::input, std::move(message));
  error.state("nothing was run");
  return error;
}

bool has_space(std::string_view text) {
  return text.find_first_of(" \t\r\n") != std::string_view::npos;
}

// A relative SQLite path is relative to the project, as url's is.
std::string anchored(const std::string& url, const std::filesystem::path& project_dir) {
  static const std::string k_sqlite = "sqlite:///";
  if (url.size() <= k_sqlite.size() || url.compare(0, k_sqlite.size(), k_sqlite) != 0) {
    return url;
  }
  const std::string path = url.substr(k_sqlite.size());
  if (path.front() == '/' || path == ":memory:") {
    return url;
  }
  return k_sqlite + (project_dir / path).lexically_normal().string();
}

// A tenant of its own database, checked: an id of no spaces, a URL that parses.
Tenant database_tenant(std::string id, std::string url, const std::string& where,
                       const std::filesystem::path& project_dir) {
  url = anchored(url, project_dir);
  if (id.empty() || has_space(id)) {
    throw source_error(
        fmt::format("{}: a tenant id must be a word without spaces, not \"{}\"", where, id));
  }
  const commands::UrlFacts facts = commands::url_facts(url, where);
  Tenant tenant;
  tenant.id = std::move(id);
  tenant.url = std::move(url);
  tenant.redacted_url = facts.redacted;
  tenant.host = facts.host;
  return tenant;
}

std::vector<Tenant> from_list(const std::vector<std::string>& entries,
                              const std::filesystem::path& project_dir) {
  std::vector<Tenant> tenants;
  for (std::size_t entry_idx = 0; entry_idx < entries.size(); ++entry_idx) {
    const std::string& entry = entries[entry_idx];
    const std::string where = fmt::format("retort.fleet.tenants[{}]", entry_idx);
    const std::size_t equals = entry.find('=');
    if (equals == std::string::npos) {
      // Not echoed: the entry may hold a password.
      throw source_error(fmt::format("{}: a tenant is \"id=url\", and this one has no '='", where))
          .explain("write each tenant as \"id=postgresql://host/db\"");
    }
    tenants.push_back(
        database_tenant(entry.substr(0, equals), entry.substr(equals + 1), where, project_dir));
  }
  return tenants;
}

std::vector<Tenant> from_file(const std::filesystem::path& file,
                              const std::filesystem::path& project_dir) {
  std::ifstream in(file);
  if (!in) {
    throw source_error(fmt::format("retort.fleet.tenants_file {} cannot be read", file.string()))
        .next("create it with one `id url` line per tenant");
  }
  std::vector<Tenant> tenants;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::size_t hash = line.find('#');
    if (hash != std::string::npos) {
      line.resize(hash);
    }
    std::istringstream words(line);
    std::string id;
    std::string url;
    std::string extra;
    if (!(words >> id)) {
      continue;  // blank or a comment
    }
    const std::string where = fmt::format("{}:{}", file.string(), number);
    if (!(words >> url) || (words >> extra)) {
      throw source_error(fmt::format("{}: a tenant line is `id url`, two words", where))
          .at(SourceLocation{file.string(), number, 0});
    }
    tenants.push_back(database_tenant(std::move(id), std::move(url), where, project_dir));
  }
  return tenants;
}

std::vector<Tenant> from_query(const FleetSettings& fleet,
                               const std::filesystem::path& project_dir) {
  if (fleet.catalog_url.empty()) {
    throw source_error(
        "retort.fleet.tenants_query needs retort.fleet.catalog_url, the database "
        "it runs on");
  }
  std::vector<std::pair<std::string, std::string>> rows;
  try {
    rows = commands::query_pairs(fleet.catalog_url, fleet.tenants_query);
  } catch (const Error& error) {
    if (error.code() == ExitCode::input) {
      throw;
    }
    throw source_error(fmt::format("retort.fleet.tenants_query failed on the catalog {}: {}",
                                   commands::url_facts(fleet.catalog_url, "catalog_url").redacted,
                                   error.what()));
  }
  std::vector<Tenant> tenants;
  tenants.reserve(rows.size());
  for (std::size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
    tenants.push_back(database_tenant(
        std::move(rows[row_idx].first), std::move(rows[row_idx].second),
        fmt::format("retort.fleet.tenants_query row {}", row_idx + 1), project_dir));
  }
  return tenants;
}

std::vector<Tenant> from_schemas(const Config& config) {
  std::vector<std::string> names;
  try {
    names = commands::schemas_like(config, config.fleet.schemas);
  } catch (const Error& error) {
    if (error.code() == ExitCode::input) {
      throw;
    }
    throw source_error(fmt::format("the schemas LIKE '{}' of {} cannot be listed: {}",
                                   config.fleet.schemas, config.redacted_url, error.what()));
  }
  const commands::UrlFacts facts = commands::url_facts(config.url, "url");
  std::vector<Tenant> tenants;
  tenants.reserve(names.size());
  for (std::string& name : names) {
    Tenant tenant;
    tenant.id = name;
    tenant.url = config.url;
    tenant.redacted_url = facts.redacted;
    tenant.host = facts.host;
    tenant.schema = std::move(name);
    tenants.push_back(std::move(tenant));
  }
  return tenants;
}

}  // namespace

std::vector<Tenant> fleet_tenants(const Config& config, const std::optional<Shard>& shard) {
  const FleetSettings& fleet = config.fleet;
  const int sources =
      static_cast<int>(!fleet.tenants.empty()) + static_cast<int>(!fleet.tenants_file.empty()) +
      static_cast<int>(!fleet.tenants_query.empty()) + static_cast<int>(!fleet.schemas.empty());
  if (sources != 1) {
    throw source_error(sources == 0 ? "[retort.fleet] names no tenants"
                                    : "[retort.fleet] names its tenants in more than one way")
        .explain(
            "set exactly one of tenants, tenants_file, tenants_query (with catalog_url) or "
            "schemas");
  }
  const std::filesystem::path& dir = config.project_dir;
  std::vector<Tenant> tenants = !fleet.tenants.empty()         ? from_list(fleet.tenants, dir)
                                : !fleet.tenants_file.empty()  ? from_file(fleet.tenants_file, dir)
                                : !fleet.tenants_query.empty() ? from_query(fleet, dir)
                                                               : from_schemas(config);
  std::set<std::string> seen;
  for (const Tenant& tenant : tenants) {
    if (!seen.insert(tenant.id).second) {
      throw source_error(fmt::format("tenant id \"{}\" is listed twice", tenant.id))
          .explain("each tenant needs its own id: reports, --only and shards go by it");
    }
  }
  if (shard) {
    std::erase_if(tenants, [&](const Tenant& tenant) {
      return shard_of(tenant.id, shard->count) != shard->index;
    });
  }
  return tenants;
}

Config tenant_config(const Config& config, const Tenant& tenant) {
  Config own = config;
  own.notes.clear();
  own.url_source = "[retort.fleet] tenant " + tenant.id;
  if (tenant.schema.empty()) {
    own.url = tenant.url;
    own.redacted_url = tenant.redacted_url;
  } else {
    own.url = commands::with_search_path(tenant.url, tenant.schema);
    own.redacted_url = tenant.redacted_url + " schema " + tenant.schema;
    own.version_table_schema = tenant.schema;
    own.backup.schema = tenant.schema;
  }
  // A tenant's backups beside each other's, never over them.
  own.backup.directory = config.backup.directory / tenant.id;
  // The same warnings for every tenant would bury the report: `retort lint` says them once.
  // "error" still refuses a tenant's run.
  if (own.lint.on_upgrade == LintOnUpgrade::warn) {
    own.lint.on_upgrade = LintOnUpgrade::off;
  }
  return own;
}

}  // namespace retort
