// `retort import --from TOOL DIR [--to DIR] [--url URL]`: prints what was written, what is left
// for the user and what was adopted (or the JSON document of docs/reference/json/import).
#include "cli/import_command.hpp"

#include "cli/render.hpp"
#include "retort/error.hpp"
#include "retort/import.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace retort::cli {

namespace {

namespace fs = std::filesystem;

nlohmann::json to_json(const ImportResult& result) {
  nlohmann::json revisions = nlohmann::json::array();
  for (const ImportedRevision& revision : result.revisions) {
    revisions.push_back({{"revision", revision.revision},
                         {"version", revision.version},
                         {"source", revision.source},
                         {"file", revision.file},
                         {"revises", revision.revises},
                         {"depends_on", revision.depends_on},
                         {"branch_labels", revision.branch_labels},
                         {"transactional", revision.transactional},
                         {"downgrade", revision.downgrade}});
  }
  nlohmann::json left = nlohmann::json::array();
  for (const ImportLeft& item : result.left_for_user) {
    left.push_back({{"revision", item.revision}, {"file", item.file}, {"reason", item.reason}});
  }
  return {{"from", result.from},
          {"directory", result.directory},
          {"revisions", revisions},
          {"left_for_user", left},
          {"adopted", result.adopted},
          {"adopted_from", result.adopted_from},
          {"verified_against", result.verified_against},
          {"verified_statements", result.verified_statements}};
}

void print_text(const ImportResult& result, bool quiet) {
  fmt::print("Imported {} revision{} from {} into {}:\n", result.revisions.size(),
             result.revisions.size() == 1 ? "" : "s", result.from, result.directory);
  if (!quiet) {
    for (const ImportedRevision& revision : result.revisions) {
      std::string notes;
      if (revision.revises.size() > 1) {
        notes += fmt::format(", merges {}", fmt::join(revision.revises, " "));
      }
      if (!revision.depends_on.empty()) {
        notes += fmt::format(", depends on {}", fmt::join(revision.depends_on, " "));
      }
      if (!revision.branch_labels.empty()) {
        notes += fmt::format(", branch {}", fmt::join(revision.branch_labels, " "));
      }
      if (!revision.transactional) {
        notes += ", transaction false";
      }
      if (!revision.downgrade) {
        notes += ", no downgrade";
      }
      fmt::print("  {:<16} {}{}\n", revision.revision, revision.source, notes);
    }
  }
  if (!result.left_for_user.empty()) {
    fmt::print("{} revision{} left for you to write by hand (each file says why):\n",
               result.left_for_user.size(), result.left_for_user.size() == 1 ? "" : "s");
    for (const ImportLeft& item : result.left_for_user) {
      fmt::print("  {}  {}\n    {}\n", item.revision, item.file, item.reason);
    }
  }
  if (!result.verified_against.empty()) {
    fmt::print(
        "Verified by pg_dump --schema-only ({} statements): the imported history builds "
        "the same schema as {}.\n",
        result.verified_statements, result.verified_against);
  }
  if (!result.adopted.empty()) {
    fmt::print(
        "Stamped the database at {} from {} (left as it was; the ledger says where the "
        "stamp came from).\n",
        fmt::join(result.adopted, " "), result.adopted_from);
  } else if (!result.adopted_from.empty()) {
    fmt::print("{} lists nothing applied: the database was not stamped.\n", result.adopted_from);
  }
  if (!quiet) {
    fmt::print(
        "Next: retort history, then retort upgrade --sql to read what a new database "
        "would run.\n");
  }
}

}  // namespace

void setup_import(CLI::App& app, const ImportCommandContext& context, std::function<int()>& run) {
  auto options = std::make_shared<ImportOptions>();
  auto from = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "import", "Turn another tool's migration history into retort files, and adopt its database");
  command
      ->add_option(
          "--from", *from,
          fmt::format("The tool the history is from: {}", fmt::join(import_tool_words(), ", ")))
      ->required()
      ->check(CLI::IsMember(import_tool_words()));
  command
      ->add_option("dir", *dir,
                   "The tool's migrations directory (Sqitch: the project with sqitch.plan; "
                   "Alembic: the directory of alembic.ini)")
      ->required();
  command->add_option("--to", *to,
                      "The script directory to write versions/ into (default: script_location "
                      "of retort.toml, else migrations)");
  command->add_flag("--verify", options->verify,
                    "Before writing, build the imported history and the original (Alembic: "
                    "run for real) on two throwaway databases and compare pg_dump --schema-only");
  command->footer(
      "Every file must be one the tool would run; any other is an input error naming it, and "
      "nothing is written unless every revision loads. Revision ids come from the tool's "
      "versions (V1.2 -> v1_2; Sqitch and Alembic keep their names). With --url the database is "
      "stamped from the tool's own version table, which stays as it was.\n"
      "Examples: retort import --from flyway sql/ --to migrations | retort import --from goose "
      "db/migrations --url $DATABASE_URL");
  command->callback([context, options, from, dir, to, &run] {
    run = [context, options, from, dir, to] {
      options->from = *parse_import_tool(*from);
      options->dir = *dir;
      options->adopt = context.url != nullptr && !context.url->empty();
      Config config;
      try {
        config = context.config();
      } catch (const Error& error) {
        // Converting needs no database and no retort.toml: without one (and without --url) the
        // files go to ./migrations. Any other problem with the configuration stands.
        if (options->adopt || !std::string(error.what()).starts_with("no configuration found")) {
          throw;
        }
        config.project_dir = fs::current_path();
        config.script_location = config.project_dir / "migrations";
      }
      if (!to->empty()) {
        config.script_location = fs::absolute(*to).lexically_normal();
      }
      const ImportResult result = import_history(config, *options);
      if (*context.json) {
        print_json(to_json(result));
      } else {
        print_text(result, *context.quiet);
      }
      return 0;
    };
  });
}

}  // namespace retort::cli
