// The schema commands' CLI: `retort schema dump` (the canonical SQL of a schema on stdout, or
// one file per object with --split; what the dump leaves out is named on stderr), `retort
// diff` and `retort check --drift`.
#include "cli/schema_command.hpp"

#include "cli/render.hpp"
#include "retort/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
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
          {"sql", result.sql},
          {"source", result.source}};
}

}  // namespace

std::string changes_text(const DiffResult& result, const std::string& indent) {
  std::string out;
  for (const SchemaChange& change : result.changes) {
    out += indent + change.line + "\n";
    std::size_t start = 0;
    while (start < change.unified_diff.size()) {
      std::size_t end = change.unified_diff.find('\n', start);
      if (end == std::string::npos) {
        end = change.unified_diff.size();
      }
      out += indent + "    " + change.unified_diff.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  for (const SchemaUnsupported& object : result.uncompared) {
    out += fmt::format(
        "{}! {} {}: a kind retort does not compare, so its equality is unknown "
        "(list it in [retort.schema] ignore to leave it out)\n",
        indent, object.kind, object.name);
  }
  return out;
}

namespace {

void print_notes(const std::vector<std::string>& notes, const SchemaCommandContext& context) {
  if (*context.json || *context.quiet) {
    return;
  }
  for (const std::string& note : notes) {
    std::fprintf(stderr, "note: %s\n", note.c_str());
  }
}

}  // namespace

void setup_schema(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run) {
  CLI::App* schema = app.add_subcommand("schema", "The database's schema as retort reads it");
  schema->require_subcommand(1);
  auto split = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  CLI::App* dump =
      schema->add_subcommand("dump", "Print the canonical SQL of the database's schema");
  dump->add_option("--split", *split,
                   "Also write one file per object under DIR (empty or absent): "
                   "tables/SCHEMA.TABLE.sql, views/..., functions/SCHEMA.NAME(TYPES).sql");
  CLI::Option* rev_option = dump->add_option(
      "--rev", *revision,
      "Dump what the history builds up to this revision (head, REV, LABEL@head), built on a "
      "throwaway database");
  dump->add_option("--dir", *dir,
                   "Dump what a declared schema builds (a directory of SQL files), built on a "
                   "throwaway database")
      ->excludes(rev_option);
  dump->footer(
      "Reads only: one read-only transaction, every definition rendered by the server under "
      "an empty search_path. Objects an extension created are the extension's. Kinds retort "
      "does not model yet (event triggers, rules, aggregates, grants, ...) are not in the "
      "dump and are named on stderr.\nExamples: retort schema dump > schema.sql | retort "
      "--url $DATABASE_URL schema dump --split schema/");
  dump->callback([context, split, revision, dir, &run] {
    run = [context, split, revision, dir] {
      SchemaDumpOptions options;
      if (!split->empty()) {
        options.split = *split;
      }
      options.source = !revision->empty() ? *revision : *dir;
      const SchemaDumpResult result = schema_dump(context.config(), options);
      if (!*context.json && !*context.quiet && !options.source.empty()) {
        std::fprintf(stderr, "note: %s was built on a throwaway database, dropped again\n",
                     result.source.c_str());
      }
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

void setup_diff(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run) {
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("diff", "What turns one schema into another");
  command->add_option("--from", *from,
                      "A database URL, a directory of SQL (a declared schema) or a revision "
                      "(head, REV, LABEL@head); default: the configured database");
  command->add_option("--to", *to,
                      "The same kinds; default: the declared schema ([retort.schema] dir)");
  command->footer(
      "One line per change: + added, - removed, ~ changed, a changed definition as a unified "
      "diff below its line. Databases are only read; a declared schema or a revision is built on "
      "a throwaway database ([retort.schema] dev_url, else a private server; SQLite: a "
      "temporary file), dropped again however the command ends. Exit 0 whatever it finds.\n"
      "Examples: retort diff | retort diff --from head --to schema/ | retort diff --from "
      "$STAGING_URL --to $PRODUCTION_URL");
  command->callback([context, from, to, &run] {
    run = [context, from, to] {
      const DiffResult result = retort::diff(context.config(), {*from, *to});
      print_notes(result.notes, context);
      if (*context.json) {
        print_json(to_json(result));
      } else if (result.equal()) {
        if (!*context.quiet) {
          fmt::print("No differences between {} and {}.\n", result.from, result.to);
        }
      } else {
        fmt::print("From {} to {}:\n{}", result.from, result.to, changes_text(result, ""));
        const std::size_t count = result.changes.size() + result.uncompared.size();
        fmt::print("{} difference{}.\n", count, count == 1 ? "" : "s");
      }
      return 0;
    };
  });
}

void setup_squash(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run) {
  auto options = std::make_shared<SquashOptions>();
  auto retire = std::make_shared<RetireOptions>();
  auto data = std::make_shared<std::string>("refuse");
  CLI::App* command =
      app.add_subcommand("squash", "Many revisions become one, proved before it is written");
  CLI::Option* to = command->add_option(
      "--to", options->to, "The last revision the squash stands for (it and all before it)");
  command->add_option("-m,--message", options->message,
                      "The squash revision's message (default: squash of N revisions up to R)");
  command->add_option("--rev-id", options->rev_id, "The squash revision's id (default: random)");
  command
      ->add_option("--data", *data,
                   "Statements on rows in the replaced revisions: refuse (list them, write "
                   "nothing), keep (append them, in history order) or elide (leave them out)")
      ->check(CLI::IsMember({"refuse", "keep", "elide"}))
      ->capture_default_str();
  CLI::Option* retiring = command->add_option(
      "--retire", retire->squash,
      "Delete the files a squash replaces, once no database it can see is still at one of them");
  command->add_flag("--confirm", retire->confirm, "With --retire: delete (else only say what)");
  command->add_option("--database", retire->databases,
                      "With --retire: another database URL to look at (repeat for each)");
  to->excludes(retiring);
  command->footer(
      "The squash revision is planned from an empty database to the history's schema at R and "
      "proved on two throwaway databases before it is written: equal by retort's schema model "
      "and pg_dump --schema-only, its downgrade empties its database, the revisions after R "
      "apply on both. The old files stay: a database at one of them follows them to R, then "
      "adopts the squash with no DDL; a new database runs the squash alone.\n"
      "Examples: retort squash --to 3f2a9c1b7d4e | retort squash --retire 8d1e4c2a9b7f --confirm");
  command->callback([context, options, retire, data, to, retiring, &run] {
    if (to->count() == 0 && retiring->count() == 0) {
      throw Error(ExitCode::input, "squash needs --to REV (or --retire SQUASH)")
          .next("retort squash --to REV   (retort history shows the revisions)");
    }
    if (retiring->count() > 0) {
      run = [context, retire] {
        const RetireResult result = retire_squash(context.config(), *retire);
        if (*context.json) {
          nlohmann::json databases = nlohmann::json::array();
          for (const RetireDatabase& database : result.databases) {
            databases.push_back({{"database", database.database},
                                 {"reachable", database.reachable},
                                 {"error", database.error},
                                 {"revisions", database.revisions},
                                 {"stranded", database.stranded}});
          }
          print_json({{"squash", result.squash},
                      {"files", result.files},
                      {"deleted", result.deleted},
                      {"databases", databases}});
          return 0;
        }
        for (const RetireDatabase& database : result.databases) {
          if (database.reachable) {
            fmt::print("{}: at {}\n", database.database,
                       database.revisions.empty()
                           ? std::string("base (empty)")
                           : fmt::format("{}", fmt::join(database.revisions, ", ")));
          } else {
            fmt::print("{}: could not be read ({}); make sure it is past {} yourself\n",
                       database.database, database.error, result.squash);
          }
        }
        if (result.databases.empty()) {
          fmt::print("No database configured: make sure every database is past {} yourself.\n",
                     result.squash);
        }
        if (result.files.empty()) {
          fmt::print("Nothing to retire: the files {} replaces are gone already.\n", result.squash);
          return 0;
        }
        fmt::print("{} {} file{} {} replaces:\n", result.deleted ? "Deleted" : "Would delete",
                   result.files.size(), result.files.size() == 1 ? "" : "s", result.squash);
        constexpr std::size_t k_listed = 20;  // all of them in --json
        for (std::size_t i = 0; i < result.files.size() && i < k_listed; ++i) {
          fmt::print("  {}\n", result.files[i]);
        }
        if (result.files.size() > k_listed) {
          fmt::print("  ... and {} more (--json lists every one)\n",
                     result.files.size() - k_listed);
        }
        if (!result.deleted) {
          fmt::print("Nothing was deleted: add --confirm to delete them.\n");
        } else {
          fmt::print(
              "A database still at one of them now gets an error naming {}: upgrade it from a "
              "release before this one.\n",
              result.squash);
        }
        return 0;
      };
      return;
    }
    options->data = *data == "keep"    ? SquashData::keep
                    : *data == "elide" ? SquashData::elide
                                       : SquashData::refuse;
    run = [context, options] {
      const SquashResult result = squash(context.config(), *options);
      print_notes(result.notes, context);
      if (*context.json) {
        nlohmann::json statements = nlohmann::json::array();
        for (const SquashDataStatement& statement : result.data_statements) {
          statements.push_back({{"revision", statement.revision},
                                {"path", statement.path},
                                {"line", statement.line},
                                {"command", statement.command},
                                {"text", statement.text}});
        }
        print_json({{"to", result.to},
                    {"replaced", result.replaced},
                    {"written", to_json(result.written)},
                    {"data", result.data},
                    {"data_statements", statements},
                    {"verified", result.verified},
                    {"notes", result.notes},
                    {"timings_ms",
                     {{"build", result.timings_ms.build},
                      {"plan", result.timings_ms.plan},
                      {"verify", result.timings_ms.verify}}}});
        return 0;
      }
      if (*context.quiet) {
        return 0;
      }
      fmt::print("Squashing {} revisions up to {} into {}.\n", result.replaced.size(), result.to,
                 result.written.revision);
      fmt::print("Proved on throwaway databases:\n");
      for (const std::string& check : result.verified) {
        fmt::print("  ok  {}\n", check);
      }
      for (const SquashDataStatement& statement : result.data_statements) {
        fmt::print("{} {}:{}: {}  {}\n", result.data == "keep" ? "kept" : "elided", statement.path,
                   statement.line, statement.command, statement.text);
      }
      fmt::print("Generating {} ... done\n", result.written.path);
      fmt::print(
          "Next: commit it beside the old files and release. A database at one of the {} "
          "revisions follows them to {}, then adopts {} with no DDL (one stamp row in the "
          "ledger); a new database runs it alone. Once every database is past it: retort squash "
          "--retire {} --confirm\n",
          result.replaced.size(), result.to, result.written.revision, result.written.revision);
      return 0;
    };
  });
}

int check_drift_command(const SchemaCommandContext& context) {
  const DriftResult result = check_drift(context.config());
  print_notes(result.diff.notes, context);
  if (*context.json) {
    nlohmann::json revisions = result.revisions;
    print_json({{"database", result.database},
                {"revisions", revisions},
                {"ok", result.ok},
                {"diff", to_json(result.diff)}});
  } else if (result.ok) {
    if (!*context.quiet) {
      fmt::print("No drift: the database matches what {} builds.\n", result.diff.from);
    }
  } else {
    const std::size_t count = result.diff.changes.size() + result.diff.uncompared.size();
    fmt::print("Drift: {} object{} of the database differ{} from what {} builds:\n{}", count,
               count == 1 ? "" : "s", count == 1 ? "s" : "", result.diff.from,
               changes_text(result.diff, "  "));
    fmt::print(
        "A change made by hand outside the history. Either write a revision that makes it on "
        "purpose (then it is no drift on the next check), or undo it; `retort diff --from {} "
        "--to {}` prints the same with each definition.\n",
        result.revisions.empty() ? std::string("base") : result.revisions.front(), result.database);
  }
  return result.ok ? 0 : 1;
}

int autogenerate_command(const SchemaCommandContext& context, const RevisionOptions& options) {
  const AutogenerateResult result = autogenerate(context.config(), options);
  print_notes(result.notes, context);
  if (*context.json) {
    nlohmann::json written = nlohmann::json::array();
    for (const RevisionInfo& info : result.written) {
      written.push_back(to_json(info));
    }
    nlohmann::json steps = nlohmann::json::array();
    for (const AutogenerateStep& step : result.steps) {
      steps.push_back(
          {{"revision", step.revision}, {"summary", step.summary}, {"online", step.online}});
    }
    nlohmann::json hazards = nlohmann::json::array();
    for (const AutogenerateHazard& hazard : result.hazards) {
      hazards.push_back({{"code", hazard.code},
                         {"object", hazard.object},
                         {"why", hazard.why},
                         {"allowed", hazard.allowed}});
    }
    nlohmann::json uncompared = nlohmann::json::array();
    for (const SchemaUnsupported& object : result.uncompared) {
      uncompared.push_back({{"kind", object.kind}, {"name", object.name}});
    }
    print_json({{"from", result.from},
                {"to", result.to},
                {"written", written},
                {"steps", steps},
                {"hazards", hazards},
                {"uncompared", uncompared},
                {"notes", result.notes},
                {"timings_ms",
                 {{"build", result.timings_ms.build},
                  {"plan", result.timings_ms.plan},
                  {"prove", result.timings_ms.prove}}}});
    return 0;
  }
  if (*context.quiet) {
    return 0;
  }
  if (result.written.empty()) {
    fmt::print("No changes: {} and {} are equal; no revision was written.\n", result.to,
               result.from);
  }
  for (const RevisionInfo& info : result.written) {
    fmt::print("Generating {} ... done{}\n", info.path,
               info.transactional ? ""
                                  : "  (transaction false: each statement alone, after the "
                                    "revision before it)");
    for (const AutogenerateStep& step : result.steps) {
      if (step.revision == info.revision) {
        fmt::print("  {}\n", step.summary);
      }
    }
  }
  for (const AutogenerateHazard& hazard : result.hazards) {
    fmt::print("allowed hazard {} {}: {}\n", hazard.code, hazard.object, hazard.why);
  }
  for (const SchemaUnsupported& object : result.uncompared) {
    fmt::print(
        "! {} {}: a kind retort does not compare or plan; no revision carries it (list it in "
        "[retort.schema] ignore to leave it out)\n",
        object.kind, object.name);
  }
  return 0;
}

}  // namespace retort::cli
