// The CLI of the schema model: `retort schema dump`, `retort diff`, `retort check --drift`.
#pragma once

#include "retort/commands.hpp"
#include "retort/config.hpp"
#include "retort/results.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace retort::cli {

// How the schema commands reach the options every command takes.
struct SchemaCommandContext {
  std::function<Config()> config;  // loads the configuration, printing its notes
  const bool* json = nullptr;
  const bool* quiet = nullptr;
};

// Registers `schema` and its subcommands; the chosen one sets `run`.
void setup_schema(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run);

// Registers `diff`; when chosen it sets `run`.
void setup_diff(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run);

// Registers `squash` (--to R, --retire S); when chosen it sets `run`.
void setup_squash(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run);

// `retort revision --autogenerate`: prints what was written (or the JSON document), returns 0.
int autogenerate_command(const SchemaCommandContext& context, const RevisionOptions& options);

// A diff's change lines, each multi-line value's unified diff indented under its line.
[[nodiscard]] std::string changes_text(const DiffResult& result, const std::string& indent);

// `retort check --drift`: prints the drift (or the JSON document) and returns the exit code.
int check_drift_command(const SchemaCommandContext& context);

}  // namespace retort::cli
