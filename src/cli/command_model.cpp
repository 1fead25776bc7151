// The command tree as data, the hidden commands that print it (completion, man) and
// `retort --version`.
#include "cli/command_model.hpp"

#include "retort/build_info.hpp"
#include "retort/commands.hpp"
#include "retort/error.hpp"
#include "retort/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string_view>

namespace retort::cli {

namespace {

// Values completed from the project's revisions: targets and revisions by their argument names.
ValueKind kind_of(const CLI::Option& option) {
  static constexpr std::array<std::string_view, 6> k_revision_names = {
      "target", "revision", "revisions", "--head", "--depends-on", "--target"};
  const std::string name = option.get_positional() ? option.get_name(true) : option.get_name();
  if (std::find(k_revision_names.begin(), k_revision_names.end(), name) != k_revision_names.end()) {
    return ValueKind::revision;
  }
  if (name == "file" || name == "--config") {
    return ValueKind::file;
  }
  if (name == "directory" || name == "--dir") {
    return ValueKind::directory;
  }
  return ValueKind::none;
}

OptionModel option_model(const CLI::Option& option) {
  OptionModel model;
  for (const std::string& name : option.get_snames()) {
    model.names.push_back("-" + name);
  }
  for (const std::string& name : option.get_lnames()) {
    model.names.push_back("--" + name);
  }
  model.description = option.get_description();
  model.takes_value = option.get_positional() || option.get_items_expected_min() > 0;
  model.required = option.get_required();
  model.repeats = option.get_items_expected_max() > 1;
  model.kind = model.takes_value ? kind_of(option) : ValueKind::none;
  if (option.get_positional()) {
    std::string name = option.get_name(true);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char letter) { return static_cast<char>(std::toupper(letter)); });
    model.value_name = name;
  } else if (model.takes_value) {
    model.value_name = "VALUE";
  }
  return model;
}

void add_models(const CLI::App& app, std::vector<std::string> words,
                const std::vector<OptionModel>& inherited, std::vector<CommandModel>& out) {
  CommandModel model;
  model.words = std::move(words);
  model.description = app.get_description();
  model.footer = app.get_footer();
  model.needs_subcommand = app.get_require_subcommand_min() > 0;
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) {
      continue;
    }
    (option->get_positional() ? model.positionals : model.options).push_back(option_model(*option));
  }
  // The options of the commands above, which fallthrough lets follow a subcommand; --help and
  // --version only once.
  for (const OptionModel& option : inherited) {
    const bool shadowed =
        std::any_of(model.options.begin(), model.options.end(),
                    [&option](const OptionModel& own) { return own.names == option.names; });
    if (!shadowed && option.names != std::vector<std::string>{"--version"}) {
      model.options.push_back(option);
    }
  }
  const std::vector<const CLI::App*> subs = app.get_subcommands(
      [](const CLI::App* sub) { return !sub->get_name().empty() && !sub->get_group().empty(); });
  for (const CLI::App* sub : subs) {
    model.subcommands.push_back(sub->get_name());
    model.subcommand_descriptions.push_back(sub->get_description());
  }
  const std::vector<OptionModel> options = model.options;
  const std::vector<std::string> here = model.words;
  out.push_back(std::move(model));
  for (const CLI::App* sub : subs) {
    std::vector<std::string> sub_words = here;
    sub_words.push_back(sub->get_name());
    add_models(*sub, std::move(sub_words), options, out);
  }
}

}  // namespace

std::string CommandModel::path() const {
  std::string out;
  for (const std::string& word : words) {
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

std::vector<CommandModel> command_models(const CLI::App& app) {
  std::vector<CommandModel> out;
  add_models(app, {}, {}, out);
  return out;
}

std::vector<std::string> revision_candidates(const std::vector<std::string>& revisions,
                                             const std::vector<std::string>& labels) {
  std::vector<std::string> out = {"head", "heads", "base"};
  out.insert(out.end(), revisions.begin(), revisions.end());
  for (const std::string& label : labels) {
    out.push_back(label);
    out.push_back(label + "@head");
  }
  return out;
}

std::string version_text() {
  return fmt::format(
      "retort {}\ncommit {}, {} build\nbuilt with libpq {}, SQLite {}, libpg_query (the "
      "PostgreSQL {} parser)",
      k_version, k_git_commit, k_build_type, k_libpq_version, k_sqlite_version, k_pg_query_version);
}

nlohmann::json version_json() {
  return {{"version", k_version},
          {"git_commit", k_git_commit},
          {"build_type", k_build_type},
          {"libraries",
           {{"libpq", k_libpq_version},
            {"sqlite", k_sqlite_version},
            {"libpg_query", k_pg_query_version}}}};
}

void setup_meta(CLI::App& app, const MetaContext& context, std::function<int()>& run) {
  // Hidden (group ""): not in --help, the man pages or the completions.
  auto shell = std::make_shared<std::string>();
  CLI::App* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->group("");
  completion->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->callback([&app, &run, shell] {
    run = [&app, shell] {
      std::cout << completion_script(command_models(app), *shell);
      return 0;
    };
  });

  auto what = std::make_shared<std::string>();
  CLI::App* complete = app.add_subcommand("__complete", "Print completion candidates");
  complete->group("");
  complete->add_option("what", *what, "revisions")->required()->check(CLI::IsMember({"revisions"}));
  complete->callback([&run, context] {
    run = [context] {
      // Completion must never print an error into the user's command line: no project, a
      // broken file or no database prints nothing.
      std::vector<std::string> revisions;
      std::set<std::string> labels;
      try {
        for (const RevisionInfo& info : history(context.config(), "")) {
          revisions.push_back(info.revision);
          labels.insert(info.branch_labels.begin(), info.branch_labels.end());
        }
      } catch (const std::exception&) {
        return 0;
      }
      for (const std::string& candidate :
           revision_candidates(revisions, {labels.begin(), labels.end()})) {
        std::cout << candidate << '\n';
      }
      return 0;
    };
  });

  auto dir = std::make_shared<std::string>();
  CLI::App* man = app.add_subcommand("man", "Write the man pages");
  man->group("");
  man->add_option("--dir", *dir, "The directory to write retort.1 and retort-*.1 into")->required();
  man->callback([&app, &run, dir] {
    run = [&app, dir] {
      std::filesystem::create_directories(*dir);
      for (const ManPage& page : man_pages(command_models(app))) {
        const std::filesystem::path path = std::filesystem::path(*dir) / page.file_name;
        std::ofstream out(path, std::ios::binary);
        out << page.text;
        if (!out) {
          throw Error(ExitCode::failed, fmt::format("cannot write {}", path.string()))
              .next("check that the directory is writable");
        }
      }
      return 0;
    };
  });
}

}  // namespace retort::cli
