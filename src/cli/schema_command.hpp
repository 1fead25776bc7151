// `retort schema ...`: the CLI of the schema model (dump for now).
#pragma once

#include "retort/config.hpp"

#include <CLI/CLI.hpp>

#include <functional>

namespace retort::cli {

// How the schema commands reach the options every command takes.
struct SchemaCommandContext {
  std::function<Config()> config;  // loads the configuration, printing its notes
  const bool* json = nullptr;
  const bool* quiet = nullptr;
};

// Registers `schema` and its subcommands; the chosen one sets `run`.
void setup_schema(CLI::App& app, const SchemaCommandContext& context, std::function<int()>& run);

}  // namespace retort::cli
