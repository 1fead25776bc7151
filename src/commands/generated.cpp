// Generated revisions: their text, and the scratch directory they are proved in.
#include "commands/generated.hpp"

#include "base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <system_error>
#include <unistd.h>

namespace retort::commands {

namespace fs = std::filesystem;

std::vector<std::string> lint_ignores(const std::vector<const schema::Step*>& steps) {
  std::map<std::string, std::vector<std::string>> reasons;
  for (const schema::Step* step : steps) {
    for (const schema::Accepted& accepted : step->accepted) {
      std::vector<std::string>& list = reasons[accepted.code];
      if (std::find(list.begin(), list.end(), accepted.reason) == list.end()) {
        list.push_back(accepted.reason);
      }
    }
  }
  std::vector<std::string> lines;
  for (const auto& [code, list] : reasons) {
    lines.push_back(fmt::format("-- retort:lint-ignore {} -- {}", code, base::join(list, "; ")));
  }
  return lines;
}

std::string sections(const std::vector<const schema::Step*>& steps, bool& empty_downgrade,
                     const std::string& extra_upgrade) {
  std::string upgrade = "-- retort:upgrade\n";
  for (const schema::Step* step : steps) {
    upgrade += "\n-- " + step->summary + "\n";
    for (const std::string& statement : step->up) {
      upgrade += statement + "\n";
    }
  }
  upgrade += extra_upgrade;
  std::string downgrade;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if ((*it)->down.empty()) {
      continue;
    }
    downgrade += "\n-- undo: " + (*it)->summary + "\n";
    for (const std::string& statement : (*it)->down) {
      downgrade += statement + "\n";
    }
  }
  empty_downgrade = downgrade.empty();
  return upgrade + "\n-- retort:downgrade\n" + downgrade;
}

ProofDirectory::ProofDirectory(const script::ScriptDirectory& scripts,
                               const std::vector<script::NewRevision>& files,
                               const std::set<std::string>& leave_out) {
  std::error_code ec;
  m_root = fs::temp_directory_path(ec) /
           fmt::format("retort_proof_{}_{}", ::getpid(), script::new_revision_id());
  const fs::path versions = m_root / "versions";
  fs::create_directories(versions, ec);
  if (ec) {
    throw Error(ExitCode::failed,
                fmt::format("cannot create a temporary directory: {}", ec.message()))
        .at({m_root.string(), 0, 0})
        .state("untouched; no file was written");
  }
  for (const script::Migration& migration : scripts.migrations()) {
    if (leave_out.contains(migration.revision)) {
      continue;
    }
    const fs::path source(migration.path);
    fs::create_symlink(source, versions / source.filename(), ec);
    if (ec) {
      throw Error(ExitCode::failed,
                  fmt::format("cannot link {}: {}", source.string(), ec.message()))
          .state("untouched; no file was written");
    }
  }
  for (const script::NewRevision& file : files) {
    (void)script::write_revision(m_root, file);
  }
}

ProofDirectory::~ProofDirectory() {
  std::error_code ec;
  fs::remove_all(m_root, ec);
}

Error planner_bug(const std::string& what, const std::string& next) {
  Error error(ExitCode::failed, what);
  error.state(
      "untouched (only throwaway databases were used, and they are dropped); no file was written");
  error.explain(
      "this is a flaw in retort's planner, not in your schema: please report it with the "
      "declared schema and the history");
  error.next(next);
  return error;
}

std::string change_lines(const DiffResult& diff) {
  std::string lines;
  for (const SchemaChange& change : diff.changes) {
    lines += "\n  " + change.line;
  }
  return lines;
}

}  // namespace retort::commands
