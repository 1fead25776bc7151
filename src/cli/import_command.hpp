// The CLI of `retort import --from TOOL DIR`: another tool's history turned into retort files,
// and with --url its database adopted.
#pragma once

#include "retort/config.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace retort::cli {

// How `import` reaches the options every command takes.
struct ImportCommandContext {
  std::function<Config()> config;    // loads the configuration, printing its notes
  const std::string* url = nullptr;  // --url as given on the command line: adopt that database
  const bool* json = nullptr;
  const bool* quiet = nullptr;
};

// Registers `import`; when chosen it sets `run`.
void setup_import(CLI::App& app, const ImportCommandContext& context, std::function<int()>& run);

}  // namespace retort::cli
