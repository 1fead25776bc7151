// What the commands that write revisions from a plan share (`revision --autogenerate`,
// `squash`): the sections and lint-ignores of a generated revision, a scratch script
// directory that holds it beside the history, and the error of a plan that fails its proof.
#pragma once

#include "retort/error.hpp"
#include "retort/results.hpp"
#include "schema/plan.hpp"
#include "script/script_directory.hpp"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace retort::commands {

// The lint-ignore lines of a revision: each code once, with every reason the plan gave for it.
[[nodiscard]] std::vector<std::string> lint_ignores(const std::vector<const schema::Step*>& steps);

// The sections of one generated revision: each step's statements under its summary, and the
// downgrade undoing them in reverse order. `extra_upgrade` goes at the end of the upgrade.
[[nodiscard]] std::string sections(const std::vector<const schema::Step*>& steps,
                                   bool& empty_downgrade, const std::string& extra_upgrade = {});

// A scratch script directory: the files of the history (linked, not copied) but those in
// `leave_out`, and the generated ones, so that the runner and lint read the new revisions
// exactly as `retort upgrade` will. Removed with everything in it when destroyed.
class ProofDirectory {
 public:
  ProofDirectory(const script::ScriptDirectory& scripts,
                 const std::vector<script::NewRevision>& files,
                 const std::set<std::string>& leave_out = {});
  ~ProofDirectory();
  ProofDirectory(const ProofDirectory&) = delete;
  ProofDirectory& operator=(const ProofDirectory&) = delete;

  [[nodiscard]] const std::filesystem::path& root() const { return m_root; }

 private:
  std::filesystem::path m_root;
};

// A plan that failed its proof: a flaw in retort, never the user's; nothing was written.
// `next`: what the user can do meanwhile.
[[nodiscard]] Error planner_bug(const std::string& what, const std::string& next);

// The change lines of a diff, each on its own indented line.
[[nodiscard]] std::string change_lines(const DiffResult& diff);

}  // namespace retort::commands
