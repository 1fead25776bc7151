// `retort schema dump`: the schema model of the configured database rendered as canonical
// SQL, whole or one file per object.
#include "commands/wiring.hpp"
#include "retort/commands.hpp"
#include "schema/dump.hpp"
#include "schema/reader.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <system_error>
#include <vector>

namespace retort {

namespace {

namespace fs = std::filesystem;

// retort's own bookkeeping tables are not the user's schema.
std::vector<std::string> own_tables(const Config& config) {
  std::vector<std::string> tables;
  for (const std::string& name : {config.version_table, std::string("retort_log"),
                                  std::string("retort_lease"), std::string("retort_timings")}) {
    tables.push_back(
        config.version_table_schema.empty() ? name : config.version_table_schema + "." + name);
  }
  return tables;
}

// Writes each file of the split, its pieces in dump order. Refuses a directory that holds
// anything: a file left from another dump would pass for an object that is not there.
std::vector<std::string> write_split(const fs::path& directory,
                                     const std::vector<schema::Piece>& pieces) {
  std::error_code ec;
  if (fs::exists(directory, ec) && !fs::is_empty(directory, ec)) {
    Error error(ExitCode::input, "--split " + directory.string() + " is not empty");
    error.explain("a file left from an earlier dump would pass for an object that is gone");
    error.next("retort schema dump --split NEW_DIRECTORY, or empty " + directory.string());
    throw error;
  }
  std::map<std::string, std::string> files;
  std::vector<std::string> order;
  for (const schema::Piece& piece : pieces) {
    auto [it, added] = files.try_emplace(piece.file);
    if (added) {
      order.push_back(piece.file);
    } else {
      it->second += "\n";
    }
    it->second += piece.sql;
  }
  for (const std::string& name : order) {
    const fs::path path = directory / name;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << files[name];
    if (!out.flush()) {
      throw Error(ExitCode::failed, "could not write " + path.string());
    }
  }
  return order;
}

}  // namespace

SchemaDumpResult schema_dump(const Config& config, const SchemaDumpOptions& options) {
  const std::unique_ptr<driver::Connection> connection =
      commands::open_connection(config, driver::MissingDatabase::read_as_empty);
  schema::ReadOptions read_options;
  read_options.exclude_tables = own_tables(config);
  const schema::Schema model = schema::read(*connection, read_options);
  const std::vector<schema::Piece> pieces = schema::dump_pieces(model);

  SchemaDumpResult result;
  result.database = config.redacted_url;
  result.dialect = model.flavor == schema::Flavor::sqlite ? "sqlite" : "postgresql";
  result.server_version = model.server_version;
  result.sql = schema::dump_sql(model);
  result.catalog_queries = model.catalog_queries;
  for (const schema::Piece& piece : pieces) {
    result.objects.push_back({piece.kind, piece.name, piece.file});
  }
  for (const schema::Unsupported& object : model.unsupported) {
    result.unsupported.push_back({object.kind, object.name});
  }
  if (options.split) {
    const fs::path directory = fs::absolute(*options.split);
    result.split_directory = directory.string();
    result.files = write_split(directory, pieces);
  }
  return result;
}

}  // namespace retort
