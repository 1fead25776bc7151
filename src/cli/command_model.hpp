// The command tree of the CLI as data, read from CLI11's definitions: what the shell completions
// (completion.cpp) and the man pages (manpage.cpp) are generated from, so neither can drift from
// the parser.
#pragma once

#include "retort/config.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace retort::cli {

// What a value (an option's or a positional argument's) is, for completion.
enum class ValueKind { none, revision, file, directory };

struct OptionModel {
  std::vector<std::string> names;  // "-c", "--config"
  std::string value_name;  // "TARGET" for a positional, "VALUE" for an option; "" for a flag
  std::string description;
  ValueKind kind = ValueKind::none;
  bool takes_value = false;
  bool required = false;
  bool repeats = false;  // several values
};

struct CommandModel {
  std::vector<std::string> words;  // {"timings", "export"}; empty for retort itself
  std::string description;
  std::string footer;
  std::vector<std::string> subcommands;              // the visible ones, in order
  std::vector<std::string> subcommand_descriptions;  // beside subcommands
  std::vector<OptionModel> options;                  // its own, then those of the commands above it
  std::vector<OptionModel> positionals;
  bool needs_subcommand = false;

  [[nodiscard]] std::string path() const;  // "timings export"; "" for retort itself
};

// Every visible command, retort itself first, depth first in definition order. Hidden commands
// and options (CLI11 group "") are left out.
[[nodiscard]] std::vector<CommandModel> command_models(const CLI::App& app);

// `retort completion bash|zsh|fish`: the script for that shell.
[[nodiscard]] std::string completion_script(const std::vector<CommandModel>& commands,
                                            const std::string& shell);

// `retort __complete revisions`: what a revision argument completes to, one a line.
[[nodiscard]] std::vector<std::string> revision_candidates(
    const std::vector<std::string>& revisions, const std::vector<std::string>& labels);

// retort(1) and one page per command: file name ("retort-upgrade.1") and roff text.
struct ManPage {
  std::string file_name;
  std::string text;
};
[[nodiscard]] std::vector<ManPage> man_pages(const std::vector<CommandModel>& commands);

// `retort --version`: text and --json.
[[nodiscard]] std::string version_text();
[[nodiscard]] nlohmann::json version_json();

// The hidden commands `completion SHELL`, `__complete revisions` and `man --dir DIR`, which
// read app's definitions when run. `config` loads the project's configuration (--config).
struct MetaContext {
  std::function<Config()> config;
};
void setup_meta(CLI::App& app, const MetaContext& context, std::function<int()>& run);

}  // namespace retort::cli
