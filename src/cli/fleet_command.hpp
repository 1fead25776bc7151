// The CLI of fleets: `retort fleet upgrade|downgrade|current|check` over the tenants of
// [retort.fleet] (docs/guide/fleet.md).
#pragma once

#include "cli/render.hpp"
#include "retort/config.hpp"

#include <CLI/CLI.hpp>

#include <functional>

namespace retort::cli {

// How the fleet commands reach the options every command takes.
struct FleetCommandContext {
  std::function<Config()> config;  // loads the configuration, printing its notes
  const bool* json = nullptr;
  const bool* quiet = nullptr;
  const Style* style = nullptr;  // set before a command runs
  const bool* stderr_terminal = nullptr;
};

// Registers `fleet` and its subcommands; the chosen one sets `run`.
void setup_fleet(CLI::App& app, const FleetCommandContext& context, std::function<int()>& run);

}  // namespace retort::cli
