// `retort schema dump`: the canonical SQL of the database's schema on stdout, or one file per
// object with --split; what the dump leaves out is named on stderr.
#include "cli/schema_command.hpp"

#include "cli/render.hpp"
#include "retort/commands.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace retort::cli {

namespace {

nlohmann::json to_json(const SchemaDumpResult& result) {
  nlohmann::json objects = nlohmann::json::array();
  for (const SchemaObject& object : result.objects) {
    objects.push_back({{"kind", object.kind}, {"name", object.name}, {"file", object.file}});
  }
  nlohmann::json unsupported = nlohmann::json::array();
  for (const SchemaUnsupported& object : result.unsupported) {
    unsupported.push_back({{"kind", object.kind}, {"name", object.name}});
  }
  return {{"database", result.database},
          {"dialect", result.dialect},
          {"server_version", result.server_version},
          {"catalog_queries", result.catalog_queries},
          {"objects", objects},
          {"unsupported", unsupported},
          {"split_directory", result.split_directory},
          {"files", result.files},
          {"sql", result.sql}};
}

}  // namespace

void setup_schema(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run) {
  CLI::App* schema = app.add_subcommand("schema", "The database's schema as retort reads it");
  schema->require_subcommand(1);
  auto split = std::make_shared<std::string>();
  CLI::App* dump =
      schema->add_subcommand("dump", "Print the canonical SQL of the database's schema");
  dump->add_option("--split", *split,
                   "Also write one file per object under DIR (empty or absent): "
                   "tables/SCHEMA.TABLE.sql, views/..., functions/SCHEMA.NAME(TYPES).sql");
  dump->footer(
      "Reads only: one read-only transaction, every definition rendered by the server under "
      "an empty search_path. Objects an extension created are the extension's. Kinds retort "
      "does not model yet (event triggers, rules, aggregates, grants, ...) are not in the "
      "dump and are named on stderr.\nExamples: retort schema dump > schema.sql | retort "
      "--url $DATABASE_URL schema dump --split schema/");
  dump->callback([context, split, &run] {
    run = [context, split] {
      SchemaDumpOptions options;
      if (!split->empty()) {
        options.split = *split;
      }
      const SchemaDumpResult result = schema_dump(context.config(), options);
      // On stderr, so that stdout stays the dump (or the one JSON document).
      for (const SchemaUnsupported& object : result.unsupported) {
        std::fprintf(stderr, "warning: not in the dump, a kind retort does not model yet: %s %s\n",
                     object.kind.c_str(), object.name.c_str());
      }
      if (*context.json) {
        print_json(to_json(result));
      } else if (options.split) {
        if (!*context.quiet) {
          fmt::print("Wrote {} files for {} objects into {}\n", result.files.size(),
                     result.objects.size(), result.split_directory);
        }
      } else {
        fmt::print("{}", result.sql);
      }
      return 0;
    };
  });
}

}  // namespace retort::cli
