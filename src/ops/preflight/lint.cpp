// preflight: the lint findings of the pending steps, as one run (a table an earlier pending
// step creates is new for the later ones), with the server's own version. An error-level
// finding no `-- retort:lint-ignore` accepts fails; warnings warn. The statements are judged on
// the database's schema, so the findings are `retort lint --pending --schema database`'s;
// preflight names each in one line.
#include "lint/analyzer.hpp"
#include "ops/preflight/preflight.hpp"

#include <fmt/format.h>

namespace retort::ops::preflight {
namespace {

std::string one_line(const lint::Finding& finding) {
  return fmt::format("{}:{}:{} {} {}", finding.file, finding.line, finding.column, finding.code,
                     finding.name);
}

}  // namespace

void check_lint(Context& context, Checks& checks) {
  std::vector<const script::Migration*> migrations;
  for (const graph::Step& step : context.plan.steps) {
    if (step.direction != graph::Direction::upgrade) {
      continue;
    }
    if (const script::Migration* migration = context.scripts.find(step.revision)) {
      migrations.push_back(migration);
    }
  }
  if (migrations.empty()) {
    checks.push_back(
        {"lint", CheckStatus::pass, "nothing to lint: no upgrade step is pending", ""});
    return;
  }
  lint::Context lint_context;
  lint_context.server_version = lint::server_major(context.db.server_version());
  lint_context.lock_timeout = context.config.postgres.lock_timeout;
  lint_context.statement_timeout = context.config.postgres.statement_timeout;
  lint_context.one_run = true;
  // The schema the steps run on, as `retort lint --pending --schema database` judges them: the
  // same findings, at the same levels.
  lint_context.schema = context.schema;
  const lint::Outcome outcome = lint::Analyzer(lint_context).run(migrations);
  if (!outcome.problems.empty()) {
    const script::Problem& problem = outcome.problems.front();
    checks.push_back(
        {"lint", CheckStatus::fail,
         fmt::format("{}:{}: {}", problem.where.file, problem.where.line, problem.message),
         problem.fix});
    return;
  }
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  int accepted = 0;
  for (const lint::Finding& finding : outcome.findings) {
    if (!finding.ignored.empty()) {
      ++accepted;
    } else if (finding.level != lint::Level::note) {
      // A note is safe as the run goes: preflight's checklist has no line for it.
      (finding.level == lint::Level::error ? errors : warnings).push_back(one_line(finding));
    }
  }
  const std::string accepted_text =
      accepted == 0 ? std::string() : fmt::format("; {} accepted by lint-ignore", accepted);
  const auto joined = [](const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) {
      out += (out.empty() ? "" : ", ") + line;
    }
    return out;
  };
  if (!errors.empty()) {
    checks.push_back(
        {"lint", CheckStatus::fail,
         fmt::format(
             "{} error-level finding{} in the pending steps: {}{}{}", errors.size(),
             errors.size() == 1 ? "" : "s", joined(errors),
             warnings.empty() ? std::string() : fmt::format("; {} warning(s)", warnings.size()),
             accepted_text),
         "retort lint --pending shows why each is dangerous and the SQL to write instead; "
         "accept one that is safe here with `-- retort:lint-ignore CODE -- reason`"});
  } else if (!warnings.empty()) {
    checks.push_back({"lint", CheckStatus::warn,
                      fmt::format("{} warning{} in the pending steps: {}{}", warnings.size(),
                                  warnings.size() == 1 ? "" : "s", joined(warnings), accepted_text),
                      "retort lint --pending shows why and the SQL to write instead"});
  } else {
    checks.push_back(
        {"lint", CheckStatus::pass,
         fmt::format("no finding in {} statement{} of {} pending step{} (PostgreSQL "
                     "{}, {}){}",
                     outcome.statements, outcome.statements == 1 ? "" : "s", migrations.size(),
                     migrations.size() == 1 ? "" : "s", lint_context.server_version,
                     context.schema != nullptr ? "judged on the database's schema"
                                               : "without the database's schema",
                     accepted_text),
         ""});
  }
}

}  // namespace retort::ops::preflight
