// The retort binary: CLI11 setup per command family, rendering, and the one place where
// errors become exit codes. Uses only the public API in include/retort/.
#include "cli/command_model.hpp"
#include "cli/emit.hpp"
#include "cli/fleet_command.hpp"
#include "cli/import_command.hpp"
#include "cli/json_log.hpp"
#include "cli/lint_output.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "cli/schema_command.hpp"
#include "retort/retort.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <pthread.h>
#include <sstream>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using retort::cli::OnQuiet;
using retort::cli::print_json;
using retort::cli::Style;

// Options every command takes.
struct GlobalOptions {
  std::string config_path;
  std::string url;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  std::string log_format = "text";  // --log-format: text, or json lines on stderr
};

struct Context {
  GlobalOptions global;
  Style style;
  bool stderr_terminal = false;

  [[nodiscard]] retort::Config config(
      std::vector<retort::ConfigSources::Override> overrides = {}) const {
    retort::ConfigSources sources;
    sources.overrides = std::move(overrides);
    if (!global.config_path.empty()) {
      sources.config_path = global.config_path;
    }
    if (!global.url.empty()) {
      sources.url = global.url;
    }
    retort::Config config = retort::load_config(sources);
    // On stderr, so that --json keeps stdout one document.
    if (!global.quiet) {
      for (const std::string& note : config.notes) {
        if (global.log_format == "json") {
          retort::cli::log_line("warn", "config_note", "", {{"message", note}});
          continue;
        }
        std::fprintf(stderr, "%s\n", style.yellow("note: " + note).c_str());
      }
    }
    return config;
  }

  [[nodiscard]] retort::cli::OutputMode output() const noexcept {
    return {.json = global.json, .quiet = global.quiet};
  }
};

// A command's output on stdout: to_json(result) with --json, else text(result, style).
template <typename Result, typename Text>
void emit(const Context& ctx, const Result& result, Text&& text,
          OnQuiet on_quiet = OnQuiet::print) {
  retort::cli::emit(
      std::cout, ctx.output(), [&result] { return retort::cli::to_json(result); },
      [&] { return std::forward<Text>(text)(result, ctx.style); }, on_quiet);
}

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("-c,--config", global.config_path,
                 "Path to retort.toml (default: search from "
                 "the working directory upward)");
  app.add_option("--url", global.url,
                 "Database URL; overrides RETORT_URL, DATABASE_URL and retort.toml");
  app.add_flag("--json", global.json, "Print one JSON document on stdout");
  app.add_flag("-q,--quiet", global.quiet, "Print only errors and results");
  app.add_flag("-v,--verbose", global.verbose, "Print more detail");
  app.add_option("--log-format", global.log_format,
                 "text, or json: one JSON object per line on stderr (timestamp, level, event, "
                 "revision, fields) instead of progress lines")
      ->check(CLI::IsMember({"text", "json"}));
}

// ---- Project: init, revision, merge ----

struct InitArgs {
  std::string directory = "migrations";
  std::string url = "sqlite:///app.db";
};

std::string init_text(const retort::InitResult& result, const Style& /*style*/) {
  std::string out;
  for (const std::string& created : result.created) {
    out += fmt::format("Created {}\n", created);
  }
  if (!result.gitignore_added.empty()) {
    out += fmt::format(
        ".gitignore now ignores {}: backups hold every row of the database, and the lock "
        "file is the run lock of a SQLite database.\n",
        fmt::join(result.gitignore_added, " and "));
  }
  if (!result.url_env.empty()) {
    out += fmt::format(
        "retort.toml reads the database URL from {0} (url = \"${{{0}}}\"): the URL given "
        "has a password, which retort keeps out of files.\nSet it where retort runs, e.g. "
        "export {0}='{1}' with the real password, or from your secret store.\n",
        result.url_env, result.url_redacted);
  }
  return out +
         "Next: retort revision -m \"first change\", edit the new file, then retort upgrade "
         "head\n";
}

void setup_init(CLI::App& app, Context& ctx, std::function<int()>& run) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand("init", "Create retort.toml and a migrations directory");
  cmd->add_option("directory", args->directory, "The migrations directory to create")
      ->capture_default_str();
  CLI::Option* db = cmd->add_option("--db", args->url,
                                    "Database URL to write into retort.toml (or --url); one "
                                    "with a password is written as ${DATABASE_URL}")
                        ->capture_default_str();
  cmd->footer(
      "Refuses when retort.toml exists or DIRECTORY is not empty.\n"
      "Example: retort init migrations && retort revision -m \"create users\"");
  cmd->callback([&ctx, &run, args, db] {
    run = [&ctx, args, db] {
      retort::InitOptions options;
      options.directory = args->directory;
      // `retort init --url URL` means the URL to write, as --db does.
      options.url = db->count() == 0 && !ctx.global.url.empty() ? ctx.global.url : args->url;
      emit(ctx, retort::init(options), &init_text, OnQuiet::hide);
      return 0;
    };
  });
}

struct RevisionArgs {
  std::string message;
  std::vector<std::string> head;
  bool splice = false;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  std::string rev_id;
  std::vector<std::string> revisions;  // merge
  bool autogenerate = false;
  std::vector<std::string> renames;
  std::vector<std::string> allow_hazards;
};

void print_written(const Context& ctx, const retort::RevisionInfo& info) {
  emit(
      ctx, info,
      [](const retort::RevisionInfo& written, const Style& /*style*/) {
        return fmt::format("Generating {} ... done\n", written.path);
      },
      OnQuiet::hide);
}

void setup_revision(CLI::App& app, Context& ctx, std::function<int()>& run) {
  auto args = std::make_shared<RevisionArgs>();
  CLI::App* cmd = app.add_subcommand("revision", "Create a new revision file");
  cmd->add_option("-m,--message", args->message, "What the revision does")->required();
  cmd->add_option("--head", args->head, "The parent revision (default: the single head)");
  cmd->add_flag("--splice", args->splice, "Allow a --head that is not a head (a new branch)");
  cmd->add_option("--branch-label", args->branch_labels, "A branch label for the new revision");
  cmd->add_option("--depends-on", args->depends_on, "A revision or label this one depends on");
  cmd->add_option("--rev-id", args->rev_id, "The revision id (default: 12 random hex digits)");
  cmd->add_flag("--autogenerate", args->autogenerate,
                "Write the revision that turns the history's schema into the declared schema "
                "([retort.schema] dir), proved on throwaway databases first");
  cmd->add_option("--rename", args->renames,
                  "With --autogenerate: OLD=NEW, a table or column renamed rather than dropped "
                  "and added (public.users.email=public.users.mail)");
  cmd->add_option("--allow-hazards", args->allow_hazards,
                  "With --autogenerate: lint codes of destructive changes to write anyway "
                  "(PG203 drop table, PG204 drop column, PG206 drop schema, PG108 narrowing "
                  "type, PG105 NOT NULL on an existing column)")
      ->delimiter(',');
  cmd->footer(
      "Refuses several heads without --head, and a --head that is not a head without "
      "--splice.\nExamples: retort revision -m \"add users table\" | retort revision "
      "--autogenerate -m \"add orders.status\"");
  cmd->callback([&ctx, &run, args] {
    run = [&ctx, args] {
      retort::RevisionOptions options{args->message,       args->head,         args->splice,
                                      args->branch_labels, args->depends_on,   args->rev_id,
                                      args->renames,       args->allow_hazards};
      if (args->autogenerate) {
        return retort::cli::autogenerate_command(
            {[&ctx] { return ctx.config(); }, &ctx.global.json, &ctx.global.quiet}, options);
      }
      if (!args->renames.empty() || !args->allow_hazards.empty()) {
        throw retort::Error(retort::ExitCode::input,
                            "--rename and --allow-hazards go with --autogenerate")
            .next("retort revision --autogenerate -m \"...\" " +
                  std::string(args->renames.empty() ? "--allow-hazards ..." : "--rename ..."));
      }
      print_written(ctx, retort::revision(ctx.config(), options));
      return 0;
    };
  });

  auto margs = std::make_shared<RevisionArgs>();
  CLI::App* merge = app.add_subcommand("merge", "Create a merge revision joining revisions");
  merge->add_option("revisions", margs->revisions, "Revisions to merge, e.g. heads")->required();
  merge->add_option("-m,--message", margs->message, "What the merge is");
  merge->add_option("--branch-label", margs->branch_labels, "A branch label for the merge");
  merge->add_option("--rev-id", margs->rev_id, "The revision id");
  merge->footer("Example: retort merge heads -m \"merge auth and billing\"");
  merge->callback([&ctx, &run, margs] {
    run = [&ctx, margs] {
      retort::RevisionOptions options;
      options.message = margs->message;
      options.branch_labels = margs->branch_labels;
      options.rev_id = margs->rev_id;
      print_written(ctx, retort::merge(ctx.config(), margs->revisions, options));
      return 0;
    };
  });
}

// ---- Inspecting: heads, branches, history, show ----

struct ReadArgs {
  std::string range;
  std::string revision;
  bool indicate_current = false;
};

// One line per revision; a block each with -v.
std::string revisions_text(const std::vector<retort::RevisionInfo>& infos, const Style& style,
                           bool verbose) {
  std::string out;
  for (const retort::RevisionInfo& info : infos) {
    out += (verbose ? retort::cli::revision_verbose(info, style)
                    : retort::cli::revision_line(info, style)) +
           "\n";
  }
  return out;
}

// `heads` without -v: the revision, its labels and "(head)".
std::string heads_text(const std::vector<retort::RevisionInfo>& infos, const Style& style,
                       bool verbose) {
  if (verbose) {
    return revisions_text(infos, style, verbose);
  }
  std::string out;
  for (const retort::RevisionInfo& info : infos) {
    std::string line = info.revision;
    if (!info.branch_labels.empty()) {
      std::string labels;
      for (const std::string& label : info.branch_labels) {
        labels += (labels.empty() ? "" : ", ") + label;
      }
      line += " (" + labels + ")";
    }
    out += line + " (head)\n";
  }
  return out;
}

std::string branches_text(const std::vector<retort::BranchPoint>& points, const Style& style) {
  std::string out;
  for (const retort::BranchPoint& point : points) {
    out += retort::cli::revision_line(point.revision, style) + "\n";
    for (const std::string& child : point.children) {
      out += fmt::format("    -> {}\n", child);
    }
  }
  return out;
}

void setup_read(CLI::App& app, Context& ctx, std::function<int()>& run) {
  CLI::App* heads = app.add_subcommand("heads", "Show the head revisions of the files");
  heads->callback([&ctx, &run] {
    run = [&ctx] {
      emit(ctx, retort::heads(ctx.config()),
           [&ctx](const std::vector<retort::RevisionInfo>& infos, const Style& style) {
             return heads_text(infos, style, ctx.global.verbose);
           });
      return 0;
    };
  });

  CLI::App* branches = app.add_subcommand("branches", "Show the branch points");
  branches->callback([&ctx, &run] {
    run = [&ctx] {
      emit(ctx, retort::branches(ctx.config()), &branches_text);
      return 0;
    };
  });

  auto args = std::make_shared<ReadArgs>();
  CLI::App* history = app.add_subcommand("history", "List revisions, newest first");
  history->add_option("-r,--rev-range", args->range, "A range LOWER:UPPER, e.g. base:head, -3:");
  history->add_flag("-i,--indicate-current,--timings", args->indicate_current,
                    "Connect: mark the current revisions, and show each revision's last run "
                    "from the ledger (applied when and in how long, stamped with its reason, "
                    "failed)");
  history->callback([&ctx, &run, args] {
    run = [&ctx, args] {
      emit(ctx,
           retort::history(ctx.config(),
                           retort::HistoryOptions{args->range, args->indicate_current}),
           [&ctx](const std::vector<retort::RevisionInfo>& infos, const Style& style) {
             return revisions_text(infos, style, ctx.global.verbose);
           });
      return 0;
    };
  });

  CLI::App* show = app.add_subcommand("show", "Show one revision");
  show->add_option("revision", args->revision, "A revision, prefix or target")->required();
  show->callback([&ctx, &run, args] {
    run = [&ctx, args] {
      emit(ctx, retort::show(ctx.config(), args->revision), &retort::cli::revision_verbose);
      return 0;
    };
  });
}

// ---- Running: upgrade, downgrade, stamp, current, check ----

struct RunArgs {
  std::string target;
  bool sql = false;
  bool purge = false;
  bool resume = false;
  bool restart = false;
  bool no_backup = false;
  bool ignore_window = false;
  std::string reason;
  std::string metrics_file;
  // [retort.postgres] settings for this run, as written on the command line.
  std::string lock_timeout;
  std::string statement_timeout;
  std::string lock_retries;
  std::string lock_wait;

  [[nodiscard]] std::vector<retort::ConfigSources::Override> overrides() const {
    std::vector<retort::ConfigSources::Override> out;
    const auto add = [&out](const std::string& value, const char* key, const char* flag) {
      if (!value.empty()) {
        out.push_back({std::string("retort.postgres.") + key, value, flag});
      }
    };
    add(lock_timeout, "lock_timeout", "--lock-timeout");
    add(statement_timeout, "statement_timeout", "--statement-timeout");
    add(lock_retries, "lock_retries", "--lock-retries");
    add(lock_wait, "lock_wait", "--lock-wait");
    return out;
  }
};

// The [retort.postgres] settings a run may override. Statements' timeouts only where
// statements run: stamp writes only the version table.
enum class RunsStatements { yes, no };

void add_run_settings(CLI::App& cmd, RunArgs& args, RunsStatements runs) {
  if (runs == RunsStatements::yes) {
    CLI::Option* resume = cmd.add_flag("--resume", args.resume,
                                       "Continue a partially applied `transaction false` "
                                       "migration from the statement after the last one that "
                                       "ran");
    cmd.add_flag("--restart", args.restart,
                 "Run a partially applied `transaction false` migration from its first "
                 "statement again, after undoing by hand what ran")
        ->excludes(resume);
    cmd.add_flag("--no-backup", args.no_backup,
                 "Take no backup before steps that drop or rewrite data, whatever "
                 "[retort.backup] when says (you took one, or the database holds nothing to "
                 "lose)");
    cmd.add_option("--lock-timeout", args.lock_timeout,
                   "lock_timeout for each migration statement, e.g. 500ms (default: "
                   "retort.toml, else 2s); a migration's own header wins");
    cmd.add_option("--statement-timeout", args.statement_timeout,
                   "statement_timeout for each migration statement, e.g. 30m; 0 = none");
    cmd.add_option("--lock-retries", args.lock_retries,
                   "how often a statement that hit lock_timeout is retried, with backoff");
    cmd.add_flag("--ignore-window", args.ignore_window,
                 "Start revisions marked maintenance_window outside [retort.windows] allowed "
                 "(needs --reason)");
    cmd.add_option("--reason", args.reason, "Why, kept in the ledger");
  }
  cmd.add_option("--metrics-file", args.metrics_file,
                 "Write Prometheus metrics here (textfile collector), at the end and during "
                 "long steps");
  cmd.add_option("--lock-wait", args.lock_wait,
                 "how long to wait for another runner's run lock, e.g. 10m; then exit 3");
}

// With --json, a run's notes (retries, lock waits, backups taken, replica lag) go into the
// document, and to stderr as they happen for whoever watches the run; stdout stays the one
// document.
class JsonNotes : public retort::RunObserver {
 public:
  explicit JsonNotes(const Style& style) : m_style(style) {}

  void note(const std::string& text) override {
    m_notes.push_back(text);
    if (m_style.verbosity >= 0) {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
  }

  [[nodiscard]] const std::vector<std::string>& notes() const noexcept { return m_notes; }

 private:
  Style m_style;
  std::vector<std::string> m_notes;
};

int run_migration(Context& ctx, const RunArgs& args, const char* verb,
                  retort::RunResult (*command)(const retort::Config&, const retort::RunOptions&)) {
  const retort::Config config = ctx.config(args.overrides());
  retort::RunOptions options;
  options.target = args.target;
  options.purge = args.purge;
  options.partial = args.resume    ? retort::PartialMigration::resume
                    : args.restart ? retort::PartialMigration::restart
                                   : retort::PartialMigration::refuse;
  options.reason = args.reason;
  options.no_backup = args.no_backup;
  options.ignore_window = args.ignore_window;
  options.metrics_file = args.metrics_file;
  if (args.sql && ctx.global.json) {
    // The script goes into the document, with the plan it carries out.
    std::ostringstream script;
    options.sql_out = &script;
    const retort::RunResult result = command(config, options);
    print_json(retort::cli::offline_json(result, script.str()));
    return 0;
  }
  if (args.sql) {
    options.sql_out = &std::cout;
    (void)command(config, options);
    return 0;
  }
  retort::cli::Progress progress(ctx.style, ctx.stderr_terminal);
  JsonNotes notes(ctx.style);
  retort::cli::JsonLog log(ctx.style.verbosity);
  if (ctx.global.log_format == "json") {
    options.observer = &log;
  } else if (ctx.global.json) {
    options.observer = &notes;
  } else if (!ctx.global.quiet) {
    options.observer = &progress;
  }
  const retort::RunResult result = command(config, options);
  retort::cli::emit(
      std::cout, ctx.output(),
      [&] {
        return retort::cli::to_json(result,
                                    ctx.global.log_format == "json" ? log.notes() : notes.notes());
      },
      [&] { return retort::cli::run_summary(result, verb, ctx.style); }, OnQuiet::hide);
  return 0;
}

std::string check_text(const retort::CheckResult& result, const Style& /*style*/) {
  std::string out;
  for (const std::string& finding : result.findings) {
    out += finding + "\n";
  }
  if (result.schema && !result.schema->equal()) {
    out += retort::cli::changes_text(*result.schema, "  ");
  }
  if (result.ok) {
    out += "No problems: the database is up to date with the migration files.\n";
  }
  return out;
}

void setup_run(CLI::App& app, Context& ctx, std::function<int()>& run) {
  auto up = std::make_shared<RunArgs>();
  up->target = "head";
  CLI::App* upgrade = app.add_subcommand("upgrade", "Apply migrations up to a target");
  upgrade
      ->add_option("target", up->target,
                   "head, heads, REV, +N, LABEL@head; with --sql also "
                   "START:END")
      ->capture_default_str();
  upgrade->add_flag("--sql", up->sql, "Print the SQL script instead of running it (no database)");
  add_run_settings(*upgrade, *up, RunsStatements::yes);
  upgrade->footer(
      "Each migration commits with its version-table change; a failure leaves the "
      "database at the previous revision. Each statement runs under lock_timeout: one that "
      "waits longer for a lock is rolled back and retried, so the application's queries never "
      "queue behind it for longer.\nExamples: retort upgrade head | retort "
      "upgrade +1 | retort upgrade --sql base:head > deploy.sql | retort upgrade head "
      "--lock-timeout 500ms --lock-retries 30 | retort upgrade --resume | retort upgrade "
      "--metrics-file "
      "/var/lib/node_exporter/textfile/retort.prom | retort upgrade --ignore-window --reason "
      "\"INC-42 hotfix\"\nA `transaction "
      "false` migration that stopped part way stops every run until you decide: --resume "
      "runs it on from the statement after the last one that ran, or finish it by hand and "
      "`retort stamp` it.");
  upgrade->callback([&ctx, &run, up] {
    run = [&ctx, up] { return run_migration(ctx, *up, "upgrade", &retort::upgrade); };
  });

  auto down = std::make_shared<RunArgs>();
  CLI::App* downgrade = app.add_subcommand("downgrade", "Revert migrations down to a target");
  downgrade->add_option("target", down->target, "-1, REV, base, LABEL@base; with --sql START:END")
      ->required();
  downgrade->add_flag("--sql", down->sql, "Print the SQL script instead of running it");
  add_run_settings(*downgrade, *down, RunsStatements::yes);
  downgrade->footer(
      "Refuses, before anything runs, a plan with a revision that has no "
      "downgrade section.\nExamples: retort downgrade -1 | retort downgrade base");
  downgrade->callback([&ctx, &run, down] {
    run = [&ctx, down] { return run_migration(ctx, *down, "downgrade", &retort::downgrade); };
  });

  auto st = std::make_shared<RunArgs>();
  CLI::App* stamp = app.add_subcommand("stamp", "Set the version table without running SQL");
  stamp->add_option("target", st->target, "The revision(s) the database is at")->required();
  stamp->add_flag("--purge", st->purge, "Empty the version table first");
  stamp->add_flag("--sql", st->sql, "Print the SQL instead of running it");
  stamp->add_option("--reason", st->reason, "Why, kept in the ledger");
  add_run_settings(*stamp, *st, RunsStatements::no);
  stamp->footer(
      "Examples: retort stamp head --reason \"built from schema dump\" | retort stamp "
      "--purge 3f2a9c1b7d4e");
  stamp->callback([&ctx, &run, st] {
    run = [&ctx, st] { return run_migration(ctx, *st, "stamp", &retort::stamp); };
  });

  CLI::App* current = app.add_subcommand("current", "Show the database's current revision");
  current->callback([&ctx, &run] {
    run = [&ctx] {
      emit(ctx, retort::current(ctx.config()), &retort::cli::current_text);
      return 0;
    };
  });

  CLI::App* check = app.add_subcommand(
      "check", "Exit 1 when revisions are pending, the files have several heads or are invalid");
  auto drift = std::make_shared<bool>(false);
  check->add_flag("--drift", *drift,
                  "Instead: exit 1 when the database's schema differs from what its own current "
                  "revisions build (on a throwaway database), naming every drifted object");
  check->callback([&ctx, &run, drift] {
    run = [&ctx, drift] {
      if (*drift) {
        return retort::cli::check_drift_command(
            {[&ctx] { return ctx.config(); }, &ctx.global.json, &ctx.global.quiet});
      }
      const retort::CheckResult result = retort::check(ctx.config());
      emit(ctx, result, &check_text);
      return result.ok ? 0 : 1;
    };
  });
}

// ---- Pictures: graph, report ----

void setup_pictures(CLI::App& app, Context& ctx, std::function<int()>& run) {
  struct GraphArgs {
    std::string format = "ascii";
    std::string range;
    bool full = false;
    bool database = false;
  };
  auto args = std::make_shared<GraphArgs>();
  CLI::App* graph = app.add_subcommand("graph", "Draw the revision graph");
  graph->add_option("--format", args->format, "svg, dot, mermaid or ascii")
      ->check(CLI::IsMember({"svg", "dot", "mermaid", "ascii"}))
      ->capture_default_str();
  graph->add_option("-r,--rev-range", args->range, "A range LOWER:UPPER, e.g. base:head, -20:");
  graph->add_flag("--full", args->full,
                  "Every revision its own node (default: a linear run of three or more is one "
                  "node with its count)");
  graph->add_flag("--db", args->database,
                  "Read the database (also with --url): mark its current and pending revisions");
  graph->footer(
      "Branch labels, merges, depends_on (dashed), bases and heads. svg is laid out by "
      "Graphviz; mermaid pastes into GitHub; ascii reads like `git log --graph`.\n"
      "Examples: retort graph | retort graph --format svg --db > graph.svg | retort graph "
      "--format mermaid -r -30:");
  graph->callback([&ctx, &run, args] {
    run = [&ctx, args] {
      retort::GraphOptions options;
      options.format = args->format == "svg"       ? retort::GraphFormat::svg
                       : args->format == "dot"     ? retort::GraphFormat::dot
                       : args->format == "mermaid" ? retort::GraphFormat::mermaid
                                                   : retort::GraphFormat::ascii;
      options.range = args->range;
      options.full = args->full;
      options.database = args->database || !ctx.global.url.empty();
      const std::string drawn = retort::revision_graph(ctx.config(), options);
      if (ctx.global.json) {
        // The picture as one string of the document: stdout stays one JSON document.
        print_json({{"format", args->format},
                    {"range", args->range},
                    {"full", args->full},
                    {"database", options.database},
                    {"graph", drawn}});
        return 0;
      }
      std::cout << drawn << std::flush;
      return 0;
    };
  });

  auto file = std::make_shared<std::string>();
  CLI::App* report = app.add_subcommand("report", "Write the database's report as one HTML page");
  report->add_option("--html", *file, "The file to write")->required();
  report->footer(
      "Current heads, pending revisions with estimates, the last runs from the ledger, "
      "failures with their error and next command, lint of the pending steps, the graph. "
      "Self-contained: inline CSS and SVG, no script, nothing fetched.\n"
      "Example: retort report --html report.html --url $PRODUCTION_URL");
  report->callback([&ctx, &run, file] {
    run = [&ctx, file] {
      const retort::Report result = retort::report(ctx.config());
      const std::string page = retort::report_html(result);
      // Written beside, then renamed: a reader never sees half a page.
      const std::filesystem::path target(*file);
      std::filesystem::path partial = target;
      partial += ".partial";
      {
        std::ofstream stream(partial, std::ios::binary | std::ios::trunc);
        stream << page;
        stream.close();
        if (!stream) {
          throw retort::Error(retort::ExitCode::input, "cannot write " + partial.string())
              .explain("check that the directory exists and is writable");
        }
      }
      std::filesystem::rename(partial, target);
      if (ctx.global.json) {
        int lock_retries = 0;
        for (const retort::ReportRun& shown : result.runs) {
          lock_retries += shown.lock_retries;
        }
        print_json({{"file", *file},
                    {"database", result.database},
                    {"up_to_date", result.up_to_date},
                    {"pending", result.pending.size()},
                    {"failures", result.failures.size()},
                    {"runs", result.runs.size()},
                    {"lock_retries", lock_retries}});
      } else if (!ctx.global.quiet) {
        std::cout << fmt::format("Wrote {} ({} pending, {} failure{}, {} run{})\n", *file,
                                 result.pending.size(), result.failures.size(),
                                 result.failures.size() == 1 ? "" : "s", result.runs.size(),
                                 result.runs.size() == 1 ? "" : "s");
      }
      return result.failures.empty() ? 0 : 1;
    };
  });
}

// ---- Production: doctor ----

// ---- Timings: staging's step durations for production's preflight ----

void setup_timings(CLI::App& app, Context& ctx, std::function<int()>& run) {
  CLI::App* timings = app.add_subcommand(
      "timings", "Carry step durations measured in staging to production's preflight");
  timings->require_subcommand(1);
  timings->footer(
      "Examples: retort --url $STAGING_URL timings export > timings.json | retort timings "
      "import timings.json && retort preflight");
  CLI::App* out = timings->add_subcommand(
      "export", "Print the newest duration of every step this database ran, as JSON");
  out->callback([&ctx, &run] {
    run = [&ctx] {
      print_json(retort::cli::to_json(retort::timings_export(ctx.config())));
      return 0;
    };
  });
  auto file = std::make_shared<std::string>();
  CLI::App* in = timings->add_subcommand(
      "import", "Keep the durations of a timings file here, for preflight's estimates");
  in->add_option("file", *file, "What `retort timings export` wrote")->required();
  in->callback([&ctx, &run, file] {
    run = [&ctx, file] {
      std::ifstream stream(*file, std::ios::binary);
      if (!stream) {
        throw retort::Error(retort::ExitCode::input, "cannot read " + *file)
            .state("nothing was imported");
      }
      nlohmann::json document;
      try {
        document = nlohmann::json::parse(stream);
      } catch (const nlohmann::json::exception& error) {
        throw retort::Error(retort::ExitCode::input,
                            fmt::format("{} is not JSON: {}", *file, error.what()))
            .state("nothing was imported");
      }
      const int count =
          retort::timings_import(ctx.config(), retort::cli::timings_from_json(document, *file));
      retort::cli::emit(
          std::cout, ctx.output(),
          [count] {
            return nlohmann::json{{"imported", count}};
          },
          [&] {
            return fmt::format(
                "Imported {} timing{} from {}; retort preflight uses them for steps whose "
                "files match.\n",
                count, count == 1 ? "" : "s", *file);
          });
      return 0;
    };
  });
}

struct LintArgs {
  std::vector<std::string> revisions;
  bool pending = false;
  std::string target = "heads";
  std::string format = "text";
  int pg_version = 0;
  std::string schema;
  bool rules = false;
};

void setup_lint(CLI::App& app, Context& ctx, std::function<int()>& run) {
  auto args = std::make_shared<LintArgs>();
  CLI::App* lint = app.add_subcommand(
      "lint", "Find the statements that would lock or lose production data, before they run");
  lint->add_option("revisions", args->revisions,
                   "Revisions, prefixes, targets or START:END ranges (default: all)");
  lint->add_flag("--pending", args->pending,
                 "Lint what `retort upgrade` would run on the database, with its server version");
  lint->add_option("--target", args->target, "With --pending: the upgrade's target")
      ->capture_default_str();
  lint->add_option("--format", args->format, "text, github (workflow annotations) or sarif")
      ->check(CLI::IsMember({"text", "github", "sarif"}))
      ->capture_default_str();
  lint->add_option("--pg-version", args->pg_version,
                   "The PostgreSQL major version to assume (default: the database's with "
                   "--pending, else 14)")
      ->check(CLI::Range(9, 99));
  lint->add_option("--schema", args->schema,
                   "The schema the statements are judged on: history (the revisions before "
                   "the first one linted, built on a throwaway database), database (with "
                   "--pending) or none (default: history when it can be built)")
      ->check(CLI::IsMember({"history", "database", "none"}));
  lint->add_flag("--rules", args->rules, "List the rules and exit");
  lint->footer(
      "Each finding: file:line:column, its stable code, the statement, the lock it takes and "
      "what waits (or the data it loses), and the SQL to write instead. Accept one in its file "
      "with `-- retort:lint-ignore CODE -- reason`. Exit 1 when an error-level finding "
      "stands.\nExamples: retort lint | retort lint --pending | retort lint --format github "
      "| retort lint 3f2a9c1b7d4e");
  lint->callback([&ctx, &run, args] {
    run = [&ctx, args] {
      if (args->rules) {
        emit(ctx, retort::lint_rules(), &retort::cli::lint_rules_text);
        return 0;
      }
      retort::LintOptions options;
      options.revisions = args->revisions;
      options.pending = args->pending;
      options.target = args->target;
      options.schema = args->schema;
      if (args->pg_version != 0) {
        options.server_version = args->pg_version;
      }
      const retort::LintResult result = retort::lint_migrations(ctx.config(), options);
      // --json wins over --format: the text formats are the other branch.
      const std::string& format = args->format;
      emit(ctx, result, [&format](const retort::LintResult& linted, const Style& style) {
        if (format == "github") {
          return retort::cli::lint_github(linted);
        }
        if (format == "sarif") {
          std::ostringstream sarif;
          retort::cli::write_json(sarif, retort::cli::lint_sarif(linted, retort::lint_rules()));
          return sarif.str();
        }
        return retort::cli::lint_text(linted, style);
      });
      return result.ok ? 0 : 1;
    };
  });
}

void setup_production(CLI::App& app, Context& ctx, std::function<int()>& run) {
  auto target = std::make_shared<std::string>("head");
  CLI::App* preflight = app.add_subcommand(
      "preflight", "Check the database before `retort upgrade TARGET`; changes nothing");
  preflight->add_option("target", *target, "What the upgrade would run to: head, REV, ...")
      ->capture_default_str();
  preflight->footer(
      "One line per check, pass / warn / fail, with the numbers and the fix: the pending steps "
      "and their estimated runtimes, lock_timeout and statement_timeout, connection headroom, "
      "long or idle transactions and locks on the tables the migrations touch, replica lag. "
      "Thresholds in [retort.preflight] and [retort.replicas]. Exit 1 when a check fails.\n"
      "Examples: retort preflight | retort preflight --json && retort upgrade head");
  preflight->callback([&ctx, &run, target] {
    run = [&ctx, target] {
      retort::PreflightOptions options;
      options.target = *target;
      const retort::PreflightResult result = retort::preflight(ctx.config(), options);
      emit(ctx, result, &retort::cli::preflight_text);
      return result.ok ? 0 : 1;
    };
  });

  auto fix = std::make_shared<bool>(false);
  CLI::App* doctor = app.add_subcommand(
      "doctor", "Find what failed or killed runs and hand fixes left behind, with the fix");
  doctor->add_flag("--fix", *fix,
                   "Apply the safe repairs (ledger rows of runners that are gone, expired "
                   "leases); takes the run lock");
  doctor->footer(
      "One finding per problem: partially applied migrations, interrupted runs, version rows "
      "no file declares (a database ahead of its code), rows below rows, INVALID indexes and "
      "NOT VALID constraints, applied files edited since they ran, stale leases, objects the "
      "next migration would create that exist already. Exit 1 while an error-level finding "
      "remains.\nExamples: retort doctor | retort doctor --json | retort doctor --fix");
  doctor->callback([&ctx, &run, fix] {
    run = [&ctx, fix] {
      retort::DoctorOptions options;
      options.fix = *fix;
      const retort::DoctorResult result = retort::doctor(ctx.config(), options);
      emit(ctx, result, &retort::cli::doctor_text);
      return result.ok ? 0 : 1;
    };
  });
}

// ---- Backups: backup, restore ----

struct RestoreArgs {
  std::string file;
  std::string confirm;
};

// The database's name as the operator types it on the terminal; refused without a terminal,
// since a script must say --confirm NAME.
std::string ask_database_name(const retort::Config& config, const std::string& file) {
  if (isatty(STDIN_FILENO) == 0) {
    throw retort::Error(retort::ExitCode::input,
                        "refusing to restore without the database's name: stdin is not a "
                        "terminal to ask on")
        .explain("a script passes the name of the database the URL points at: --confirm NAME")
        .state("nothing was changed");
  }
  std::fprintf(stderr,
               "Restoring %s replaces every table it holds in %s.\nType the database's name to "
               "go on: ",
               file.c_str(), config.redacted_url.c_str());
  std::string typed;
  std::getline(std::cin, typed);
  return typed;
}

void setup_backup(CLI::App& app, Context& ctx, std::function<int()>& run) {
  CLI::App* backup = app.add_subcommand("backup", "Take a backup of the database now");
  backup->footer(
      "PostgreSQL: pg_dump's custom format (the pg_dump of the server's major version), read "
      "back with pg_restore --list; SQLite: its online backup API. Written into [retort.backup] "
      "directory (default: backups/ beside retort.toml) as DATABASE-REVISION-UTCTIME.dump "
      "(.sqlite3), or by [retort.backup] command. Reads only; takes no lock. A run takes one by "
      "itself before each step that drops or rewrites data (when = \"risky\", the default).\n"
      "Examples: retort backup | retort backup --json");
  backup->callback([&ctx, &run] {
    run = [&ctx] {
      emit(ctx, retort::backup(ctx.config()), &retort::cli::backup_text);
      return 0;
    };
  });

  auto args = std::make_shared<RestoreArgs>();
  CLI::App* restore =
      app.add_subcommand("restore", "Replace the database's content with a backup's");
  restore->add_option("file", args->file, "The backup file, e.g. backups/shop-...dump")->required();
  CLI::Option* confirm =
      restore->add_option("--confirm", args->confirm,
                          "The name of the database to overwrite, for scripts; without it, "
                          "retort asks for it on the terminal");
  restore->footer(
      "Refuses (exit 2, nothing changed) without the database's name, typed when asked or "
      "given with --confirm NAME, and with a name that is not the database's. Takes the run "
      "lock. PostgreSQL: pg_restore --clean --if-exists --single-transaction (all or nothing; "
      "objects created after the backup stay); SQLite: its backup API. The version table and "
      "the ledger come back as they were.\nExamples: retort restore "
      "backups/shop-3f2a9c1b7d4e-20240501T101500Z.dump | retort restore FILE --confirm shop");
  restore->callback([&ctx, &run, args, confirm] {
    run = [&ctx, args, confirm] {
      const retort::Config config = ctx.config();
      retort::RestoreOptions options;
      options.file = args->file;
      // Not asked for a file that is not there: restore says so first.
      std::error_code ec;
      if (confirm->count() > 0) {
        options.confirm = args->confirm;
      } else if (std::filesystem::is_regular_file(args->file, ec)) {
        options.confirm = ask_database_name(config, args->file);
      }
      emit(ctx, retort::restore(config, options), &retort::cli::restore_text, OnQuiet::hide);
      return 0;
    };
  });
}

// Whether --json is among the arguments (before a "--" that ends the options).
// Whether the command line asks for --log-format json, read before (or without) a full parse.
bool asks_for_json_log(const std::vector<std::string>& args) {
  for (std::size_t arg_idx = 1; arg_idx < args.size() && args[arg_idx] != "--"; ++arg_idx) {
    if (args[arg_idx] == "--log-format=json" ||
        (args[arg_idx] == "--log-format" && arg_idx + 1 < args.size() &&
         args[arg_idx + 1] == "json")) {
      return true;
    }
  }
  return false;
}

bool asks_for_json(const std::vector<std::string>& args) {
  for (std::size_t arg_idx = 1; arg_idx < args.size(); ++arg_idx) {
    const std::string_view arg = args[arg_idx];
    if (arg == "--") {
      return false;
    }
    if (arg == "--json") {
      return true;
    }
  }
  return false;
}

// SIGINT and SIGTERM (how Kubernetes stops a Job) are taken by a thread, not a handler, so
// that cancelling may talk to the database: the first cancels the run, which rolls back,
// records and releases; a second exits at once. Idle commands exit at the first.
void start_signal_thread() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    bool cancelling = false;
    for (;;) {
      int received = 0;
      if (sigwait(&signals, &received) != 0) {
        continue;
      }
      const char* name = received == SIGINT ? "SIGINT" : "SIGTERM";
      if (cancelling || !retort::cancel_fleet()) {
        std::fprintf(stderr, "%s: exiting now\n", name);
        std::_Exit(128 + received);
      }
      cancelling = true;
      std::fprintf(stderr,
                   "%s: cancelling the running statement; the current migration rolls back, "
                   "a backfill stops after its batch commits (send it again to exit at once)\n",
                   name);
    }
  }).detach();
}

// ---- Usage errors: the words CLI11 lacks ----

// The index of the first word of args at or after `from` that is neither an option of app nor
// an option's value: the command the user typed. Nothing past "--" or the end.
std::optional<std::size_t> command_word(const CLI::App& app, const std::vector<std::string>& args,
                                        std::size_t from) {
  for (std::size_t arg_idx = from; arg_idx < args.size(); ++arg_idx) {
    const std::string& arg = args[arg_idx];
    if (arg == "--") {
      return std::nullopt;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return arg_idx;
    }
    if (arg.find('=') != std::string::npos) {
      continue;
    }
    const CLI::Option* option = app.get_option_no_throw(arg);
    if (option != nullptr && option->get_items_expected_min() > 0) {
      ++arg_idx;  // its value
    }
  }
  return std::nullopt;
}

std::vector<CLI::App*> commands_of(CLI::App& app) {
  return app.get_subcommands([](CLI::App* sub) { return !sub->get_name().empty(); });
}

// "commands:" and one line per command with its description, names aligned; not the hidden.
std::string command_list(CLI::App& app) {
  std::vector<CLI::App*> subs = commands_of(app);
  std::erase_if(subs, [](const CLI::App* sub) { return sub->get_group().empty(); });
  std::size_t width = 0;
  for (const CLI::App* sub : subs) {
    width = std::max(width, sub->get_name().size());
  }
  std::string out = "commands:";
  for (const CLI::App* sub : subs) {
    out += fmt::format("\n  {:<{}}  {}", sub->get_name(), width, sub->get_description());
  }
  return out;
}

// "retort timings" for the timings app, "retort" for the top.
std::string command_path(const CLI::App& app) {
  std::string path;
  for (const CLI::App* level = &app; level != nullptr; level = level->get_parent()) {
    path = level->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

bool asks_for_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin() + 1, args.end(), [](const std::string& arg) {
    return arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "--version";
  });
}

// Checks the command words before CLI11 parses, since CLI11 answers both a typo and a missing
// command with "A subcommand is required". `retort help CMD ...` becomes `retort CMD ...
// --help`, as in git and Alembic. Throws retort::Error (input) for an unknown or missing
// command, naming the nearest command and listing them all.
void check_command_words(CLI::App& app, std::vector<std::string>& args) {
  if (const auto word = command_word(app, args, 1); word && args[*word] == "help") {
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(*word));
    args.emplace_back("--help");
  }
  CLI::App* level = &app;
  std::optional<std::size_t> word = command_word(app, args, 1);
  for (;;) {
    const std::vector<CLI::App*> subs = commands_of(*level);
    if (subs.empty()) {
      return;
    }
    if (!word) {
      if (asks_for_help(args) || level->get_require_subcommand_min() == 0) {
        return;
      }
      const std::string path = command_path(*level);
      throw retort::Error(retort::ExitCode::input, fmt::format("{} needs a command", path))
          .explain(command_list(*level))
          .next(fmt::format("{} --help", path));
    }
    const std::string& typed = args[*word];
    const auto found = std::find_if(
        subs.begin(), subs.end(), [&typed](const CLI::App* sub) { return sub->check_name(typed); });
    if (found == subs.end()) {
      std::vector<std::string> names;
      for (const CLI::App* sub : subs) {
        names.push_back(sub->get_name());
      }
      std::string message = fmt::format("unknown command '{}'", typed);
      if (const std::optional<std::string> hint = retort::did_you_mean(typed, names)) {
        message += fmt::format("; did you mean '{}'?", *hint);
      }
      throw retort::Error(retort::ExitCode::input, message)
          .explain(command_list(*level))
          .next(fmt::format("{} --help", command_path(*level)));
    }
    level = *found;
    word = command_word(*level, args, *word + 1);
  }
}

// The deepest command the parse reached, for a usage line under its error.
const CLI::App* parsed_command(const CLI::App& app) {
  const CLI::App* level = &app;
  for (;;) {
    const std::vector<CLI::App*> parsed = level->get_subcommands();
    if (parsed.empty()) {
      return level;
    }
    level = parsed.back();
  }
}

// CLI11's parse error, with the command it concerns, what a missing argument is for, and the
// command's usage line.
retort::Error usage_error(const CLI::App& app, const CLI::ParseError& parse_error) {
  const CLI::App* command = parsed_command(app);
  const std::string path = command_path(*command);
  std::string message = parse_error.what();
  if (dynamic_cast<const CLI::RequiredError*>(&parse_error) != nullptr) {
    const std::vector<const CLI::Option*> missing = command->get_options(
        [](const CLI::Option* option) { return option->get_required() && option->count() == 0; });
    if (!missing.empty()) {
      const CLI::Option* option = missing.front();
      const std::string name =
          option->get_positional() ? option->get_name(true) : option->get_name();
      message = fmt::format("{} needs {}: {}", path, name, option->get_description());
    }
  }
  std::string usage = CLI::Formatter().make_usage(command, path);
  while (!usage.empty() && usage.back() == '\n') {
    usage.pop_back();
  }
  return retort::Error(retort::ExitCode::input, message)
      .explain(usage)
      .next(fmt::format("{} --help", path));
}

// Prints a usage error (and its JSON document, when asked for) and returns exit code 2.
int report_usage_error(const retort::Error& error, bool json, bool json_log) {
  if (json) {
    print_json(retort::cli::to_json(error));
  }
  if (json_log) {
    retort::cli::log_error(error);
  } else {
    std::fputs(retort::format_error(error).c_str(), stderr);
  }
  return static_cast<int>(retort::ExitCode::input);
}

bool no_color() {
  const char* value = std::getenv("NO_COLOR");
  return value != nullptr && value[0] != '\0';
}

}  // namespace

int main(int argc, char** argv) {
  Context ctx;
  CLI::App app{"retort: production-first database schema migrations", "retort"};
  app.set_version_flag("--version", retort::cli::version_text());
  app.require_subcommand(1);
  app.fallthrough();
  add_global_options(app, ctx.global);
  std::function<int()> run;
  setup_init(app, ctx, run);
  setup_revision(app, ctx, run);
  setup_read(app, ctx, run);
  setup_run(app, ctx, run);
  setup_production(app, ctx, run);
  setup_pictures(app, ctx, run);
  setup_lint(app, ctx, run);
  setup_timings(app, ctx, run);
  setup_backup(app, ctx, run);
  retort::cli::setup_schema(
      app, {[&ctx] { return ctx.config(); }, &ctx.global.json, &ctx.global.quiet}, run);
  retort::cli::setup_diff(
      app, {[&ctx] { return ctx.config(); }, &ctx.global.json, &ctx.global.quiet}, run);
  retort::cli::setup_squash(
      app, {[&ctx] { return ctx.config(); }, &ctx.global.json, &ctx.global.quiet}, run);
  retort::cli::setup_import(
      app, {[&ctx] { return ctx.config(); }, &ctx.global.url, &ctx.global.json, &ctx.global.quiet},
      run);
  retort::cli::setup_fleet(app,
                           {[&ctx] { return ctx.config(); }, &ctx.global.json, &ctx.global.quiet,
                            &ctx.style, &ctx.stderr_terminal},
                           run);
  retort::cli::setup_meta(app, {[&ctx] { return ctx.config(); }}, run);

  std::vector<std::string> args(argv, argv + argc);
  try {
    check_command_words(app, args);
    // CLI11 parses a vector in reverse order, the program's name left out.
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
    app.parse(reversed);
  } catch (const retort::Error& error) {
    return report_usage_error(error, asks_for_json(args), asks_for_json_log(args));
  } catch (const CLI::CallForHelp& e) {
    if (asks_for_json(args)) {
      print_json({{"help", app.help()}});
      return 0;
    }
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    if (asks_for_json(args)) {
      print_json({{"help", app.help("", CLI::AppFormatMode::All)}});
      return 0;
    }
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    if (asks_for_json(args)) {
      print_json(retort::cli::version_json());
      return 0;
    }
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // The parse stopped early, so --json may not have been seen yet: a script that asked for
    // JSON still gets its one document.
    return report_usage_error(usage_error(app, e), ctx.global.json || asks_for_json(args),
                              asks_for_json_log(args));
  }

  start_signal_thread();
  ctx.stderr_terminal = isatty(STDERR_FILENO) != 0;
  ctx.style.color = ctx.stderr_terminal && !no_color();
  ctx.style.verbosity = ctx.global.quiet ? -1 : (ctx.global.verbose ? 1 : 0);

  try {
    return run ? run() : 0;
  } catch (const retort::Error& error) {
    if (ctx.global.json) {
      print_json(retort::cli::to_json(error));
    }
    if (ctx.global.log_format == "json") {
      retort::cli::log_error(error);
      return static_cast<int>(error.code());
    }
    std::string text = retort::format_error(error);
    if (ctx.style.color) {
      const std::size_t pos = text.find("error:");
      if (pos != std::string::npos) {
        text.replace(pos, 6, ctx.style.red("error:"));
      }
    }
    std::fputs(text.c_str(), stderr);
    return static_cast<int>(error.code());
  } catch (const std::exception& error) {
    // A bug or an unexpected system failure: say so plainly, never a silent crash; a script
    // that asked for JSON still gets its one document.
    if (ctx.global.json) {
      print_json(retort::cli::to_json(
          retort::Error(retort::ExitCode::failed, fmt::format("internal: {}", error.what()))
              .next("report this with the command you ran")));
    }
    std::fprintf(stderr, "error: internal: %s\n  please report this with the command you ran\n",
                 error.what());
    return static_cast<int>(retort::ExitCode::failed);
  }
}
