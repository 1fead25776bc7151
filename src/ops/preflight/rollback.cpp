// preflight: a way back from every pending step, as the production checklist asks. A step has
// one when its file has a downgrade section, when the run backs up before it or before an
// earlier step (the backup gate's own decision, [retort.backup] when), or when a backup in the
// directory is newer than the last applied migration (`retort backup` before the run). A step
// with none is a warning that names it and its file: it is not wrong, but nobody can undo it.
#include "base/text.hpp"
#include "base/url.hpp"
#include "ops/backup/backup.hpp"
#include "ops/backup/backup_gate.hpp"
#include "ops/preflight/preflight.hpp"
#include "runner/runner.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace retort::ops::preflight {

void check_rollback(Context& context, Checks& checks) {
  const graph::Plan& plan = context.plan;
  if (plan.steps.empty()) {
    checks.push_back({"rollback", CheckStatus::pass, "nothing to run", ""});
    return;
  }
  const std::vector<bool> backed_up =
      backup::backups_before(context.config, context.scripts, plan, context.db.dialect());
  std::vector<std::string> without;
  bool after_backup = false;
  for (std::size_t step_idx = 0; step_idx < plan.steps.size(); ++step_idx) {
    const graph::Step& step = plan.steps[step_idx];
    after_backup = after_backup || backed_up[step_idx];
    const script::Migration* migration = context.scripts.find(step.revision);
    if (migration == nullptr || step.direction != graph::Direction::upgrade ||
        migration->downgrade || after_backup) {
      continue;
    }
    without.push_back(fmt::format("{} ({})", step.revision, migration->display_path));
  }
  if (without.empty()) {
    checks.push_back({"rollback", CheckStatus::pass,
                      "every pending step has a downgrade section or a backup before it", ""});
    return;
  }

  if (const std::optional<backup::Found> recent = backup_since_last_applied(context)) {
    checks.push_back(
        {"rollback", CheckStatus::pass,
         fmt::format("{} (taken {}) is the way back for the steps without a downgrade section: {}",
                     recent->path.string(), recent->taken_at, base::join(without, ", ")),
         ""});
    return;
  }
  checks.push_back(
      {"rollback", CheckStatus::warn,
       fmt::format("{} no downgrade section and no backup before {}: {}",
                   without.size() == 1 ? "1 pending step has"
                                       : fmt::format("{} pending steps have", without.size()),
                   without.size() == 1 ? "it" : "them", base::join(without, ", ")),
       "add a `-- retort:downgrade` section to each, or take a backup before the run (`retort "
       "backup`), or set [retort.backup] when = \"always\" to back up before the first step"});
}

}  // namespace retort::ops::preflight
