// Text and JSON rendering of command results.
#include "cli/render.hpp"

#include "cli/emit.hpp"
#include "retort/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <iterator>

namespace retort::cli {

namespace {

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) {
      out += separator;
    }
    out += part;
  }
  return out;
}

std::string ansi(bool on, const char* code, const std::string& text) {
  return on ? fmt::format("\033[{}m{}\033[0m", code, text) : text;
}

}  // namespace

std::string elapsed_text(std::int64_t ms) { return format_elapsed(ms); }

std::string Style::bold(const std::string& text) const { return ansi(color, "1", text); }
std::string Style::red(const std::string& text) const { return ansi(color, "31", text); }
std::string Style::green(const std::string& text) const { return ansi(color, "32", text); }
std::string Style::yellow(const std::string& text) const { return ansi(color, "33", text); }
std::string Style::dim(const std::string& text) const { return ansi(color, "2", text); }

std::string last_run_text(const LedgerEntry& entry) {
  const std::string when = entry.finished_at.empty() ? entry.started_at : entry.finished_at;
  if (entry.status == LedgerStatus::running) {
    return fmt::format("{} running since {}", to_string(entry.direction), entry.started_at);
  }
  if (entry.status == LedgerStatus::failed) {
    return fmt::format("{} failed {}", to_string(entry.direction), when);
  }
  if (entry.direction == Direction::stamp) {
    return fmt::format("stamped {}{}", when,
                       entry.reason.empty() ? std::string() : ": " + entry.reason);
  }
  const std::string verb = entry.direction == Direction::downgrade ? "downgraded" : "applied";
  return entry.duration_ms
             ? fmt::format("{} {} in {}", verb, when, elapsed_text(*entry.duration_ms))
             : fmt::format("{} {}", verb, when);
}

namespace {

// Alembic's marks after a revision: "(head)", or "(effective head)" for a head another revision
// depends on, then "(branchpoint)" and "(mergepoint)".
std::string head_marks(const RevisionInfo& info) {
  std::string out;
  if (info.is_effective_head) {
    out += " (effective head)";
  } else if (info.is_head) {
    out += " (head)";
  }
  return out;
}

std::string tree_marks(const RevisionInfo& info) {
  std::string out;
  if (info.is_branch_point) {
    out += " (branchpoint)";
  }
  if (info.is_merge_point) {
    out += " (mergepoint)";
  }
  return out;
}

}  // namespace

std::string revision_line(const RevisionInfo& info, const Style& style) {
  // Alembic's history line: "parent -> rev (label) (head), message".
  std::string parents = info.down_revisions.empty() ? "<base>" : join(info.down_revisions, ", ");
  if (info.down_revisions.size() > 1) {
    parents = "(" + parents + ")";
  }
  std::string line = fmt::format("{} -> {}", parents, style.bold(info.revision));
  if (!info.branch_labels.empty()) {
    line += " (" + join(info.branch_labels, ", ") + ")";
  }
  if (info.is_current) {
    line += " " + style.green("(current)");
  }
  line += head_marks(info) + tree_marks(info);
  line += ", " + info.message;
  if (info.last_run) {
    line += "  " + style.dim("[" + last_run_text(*info.last_run) + "]");
  }
  return line;
}

std::string revision_verbose(const RevisionInfo& info, const Style& style) {
  std::string out = fmt::format("Rev: {}", style.bold(info.revision));
  if (info.is_head) {
    out += " (head)";
  }
  if (info.is_current) {
    out += " (current)";
  }
  out += "\n";
  out += fmt::format("Parent: {}\n",
                     info.down_revisions.empty() ? "<base>" : join(info.down_revisions, ", "));
  if (!info.depends_on.empty()) {
    out += fmt::format("Also depends on: {}\n", join(info.depends_on, ", "));
  }
  if (!info.branch_labels.empty()) {
    out += fmt::format("Branch names: {}\n", join(info.branch_labels, ", "));
  }
  out += fmt::format("Path: {}\n", info.path);
  out +=
      fmt::format("Transaction: {}\n", info.transactional ? "yes" : "no (statement by statement)");
  out += fmt::format("Downgrade: {}\n", info.has_downgrade ? "yes" : "none (irreversible)");
  if (info.estimate_ms) {
    out += fmt::format("Estimate: {}\n", elapsed_text(*info.estimate_ms));
  }
  out += fmt::format("\n    {}\n", info.message);
  return out;
}

std::string run_summary(const RunResult& result, const std::string& verb, const Style& style) {
  const std::string before = result.heads_before.empty() ? "base" : join(result.heads_before, ", ");
  const std::string after = result.heads_after.empty() ? "base" : join(result.heads_after, ", ");
  if (result.steps.empty()) {
    return fmt::format("Nothing to {}: {} is at {}.\n", verb, result.database, after);
  }
  if (verb == "stamp") {
    // A stamp runs no migration: say which version rows it removed and wrote.
    std::vector<std::string> removed;
    std::set_difference(result.heads_before.begin(), result.heads_before.end(),
                        result.heads_after.begin(), result.heads_after.end(),
                        std::back_inserter(removed));
    std::vector<std::string> added;
    std::set_difference(result.heads_after.begin(), result.heads_after.end(),
                        result.heads_before.begin(), result.heads_before.end(),
                        std::back_inserter(added));
    std::string changes;
    if (!removed.empty()) {
      changes += fmt::format("removed version row{} {}", removed.size() == 1 ? "" : "s",
                             join(removed, ", "));
    }
    if (!added.empty()) {
      changes += fmt::format("{}wrote version row{} {}", changes.empty() ? "" : ", ",
                             added.size() == 1 ? "" : "s", join(added, ", "));
    }
    if (changes.empty()) {
      changes = "the version rows were already these";
    }
    return fmt::format("{} {}: {}; the version table now says {} (no migration ran)\n",
                       style.green("Stamped"), result.database, changes, after);
  }
  return fmt::format("{} {} step{} on {} in {}: {} -> {}\n", style.green("Done:"),
                     result.steps.size(), result.steps.size() == 1 ? "" : "s", result.database,
                     elapsed_text(result.duration_ms), before, after);
}

std::string current_text(const CurrentResult& result, const Style& style) {
  std::string out;
  if (style.verbosity > 0) {
    out += fmt::format("Database: {}\n", result.database);
  }
  if (result.heads.empty() && result.unknown.empty()) {
    out += "(no revision applied: the database is at base)\n";
  }
  for (const RevisionInfo& head : result.heads) {
    std::string line = head.revision;
    if (!head.branch_labels.empty()) {
      line += " (" + join(head.branch_labels, ", ") + ")";
    }
    line += head_marks(head) + tree_marks(head);
    out += line + (style.verbosity > 0 ? ", " + head.message : "") + "\n";
  }
  for (const std::string& unknown : result.unknown) {
    out += style.yellow(fmt::format("{} (not in the migration files: the database is ahead of "
                                    "this code)",
                                    unknown)) +
           "\n";
  }
  if (!result.ahead.empty()) {
    out += "  " + result.ahead + "\n  next: " + result.ahead_next + "\n";
  }
  for (const std::string& squashed : result.squashed) {
    out += style.yellow(squashed) + "\n";
  }
  for (const LedgerEntry& entry : result.unfinished) {
    out +=
        style.red(fmt::format("{} {} {} (started {}): {} of {} statements ran",
                              to_string(entry.direction), entry.revision, to_string(entry.status),
                              entry.started_at, entry.statements_done, entry.statements_total));
    out += "\n";
    if (!entry.error.empty()) {
      out += "  error: " + entry.error + "\n";
    }
    if (!entry.next_command.empty()) {
      out += "  next: " + entry.next_command + "\n";
    }
  }
  if (style.verbosity > 0 && result.unknown.empty()) {
    out += result.pending.empty()
               ? "Up to date.\n"
               : fmt::format("Pending: {} revision{}: {}\n", result.pending.size(),
                             result.pending.size() == 1 ? "" : "s", join(result.pending, ", "));
  }
  return out;
}

nlohmann::json to_json(const std::vector<StepTiming>& timings) {
  nlohmann::json list = nlohmann::json::array();
  for (const StepTiming& timing : timings) {
    list.push_back({{"revision", timing.revision},
                    {"direction", to_string(timing.direction)},
                    {"checksum", timing.checksum},
                    {"duration_ms", timing.duration_ms},
                    {"source", timing.source},
                    {"measured_at", timing.measured_at}});
  }
  return {{"retort_timings", 1}, {"timings", list}};
}

std::vector<StepTiming> timings_from_json(const nlohmann::json& document, const std::string& file) {
  const auto fail = [&file](const std::string& what) {
    return Error(ExitCode::input, fmt::format("{} is not a timings file: {}", file, what))
        .explain(
            "write one with `retort timings export > FILE` against the database where the "
            "steps ran (staging)")
        .state("nothing was imported");
  };
  if (!document.is_object() || !document.contains("timings") || !document["timings"].is_array()) {
    throw fail("it has no \"timings\" array");
  }
  std::vector<StepTiming> out;
  for (const nlohmann::json& item : document["timings"]) {
    if (!item.is_object() || !item.contains("revision") || !item.contains("direction") ||
        !item.contains("checksum") || !item.contains("duration_ms") ||
        !item["duration_ms"].is_number_integer()) {
      throw fail(
          fmt::format("entry {} lacks revision, direction, checksum or a whole "
                      "duration_ms",
                      out.size() + 1));
    }
    StepTiming timing;
    timing.revision = item.value("revision", "");
    // A word other than upgrade or downgrade reads as stamp, which timings_import refuses with
    // the words of the file's contract, as it refuses a stamp.
    timing.direction =
        parse_direction(item.value("direction", std::string())).value_or(Direction::stamp);
    timing.checksum = item.value("checksum", "");
    timing.duration_ms = item["duration_ms"].get<std::int64_t>();
    timing.source = item.value("source", "");
    timing.measured_at = item.value("measured_at", "");
    out.push_back(std::move(timing));
  }
  return out;
}

nlohmann::json to_json(const LedgerEntry& entry) {
  return {
      {"id", entry.id},
      {"revision", entry.revision},
      {"direction", to_string(entry.direction)},
      {"status", to_string(entry.status)},
      {"statements_done", entry.statements_done},
      {"statements_total", entry.statements_total},
      {"started_at", entry.started_at},
      {"finished_at", entry.finished_at},
      {"duration_ms", entry.duration_ms ? nlohmann::json(*entry.duration_ms) : nlohmann::json()},
      {"error", entry.error},
      {"reason", entry.reason},
      {"next", entry.next_command}};
}

nlohmann::json to_json(const RevisionInfo& info) {
  nlohmann::json doc{{"revision", info.revision},
                     {"down_revisions", info.down_revisions},
                     {"depends_on", info.depends_on},
                     {"branch_labels", info.branch_labels},
                     {"message", info.message},
                     {"path", info.path},
                     {"is_head", info.is_head},
                     {"is_effective_head", info.is_effective_head},
                     {"is_base", info.is_base},
                     {"is_branch_point", info.is_branch_point},
                     {"is_merge_point", info.is_merge_point},
                     {"is_current", info.is_current},
                     {"transactional", info.transactional},
                     {"has_downgrade", info.has_downgrade}};
  doc["estimate_ms"] = info.estimate_ms ? nlohmann::json(*info.estimate_ms) : nlohmann::json();
  if (info.last_run) {
    doc["last_run"] = to_json(*info.last_run);
  }
  return doc;
}

nlohmann::json to_json(const std::vector<RevisionInfo>& infos) {
  nlohmann::json list = nlohmann::json::array();
  for (const RevisionInfo& info : infos) {
    list.push_back(to_json(info));
  }
  return list;
}

namespace {

nlohmann::json steps_json(const std::vector<StepResult>& steps) {
  nlohmann::json list = nlohmann::json::array();
  for (const StepResult& step : steps) {
    list.push_back(
        {{"revision", step.revision},
         {"message", step.message},
         {"direction", to_string(step.direction)},
         {"status", to_string(step.status)},
         {"statements_done", step.statements_done},
         {"statements_total", step.statements_total},
         {"duration_ms", step.duration_ms},
         {"heads_after", step.heads_after},
         {"backup", step.backup.empty() ? nlohmann::json() : nlohmann::json(step.backup)}});
  }
  return list;
}

}  // namespace

nlohmann::json to_json(const RunResult& result, const std::vector<std::string>& notes) {
  return {{"database", result.database},
          {"target", result.target},
          {"heads_before", result.heads_before},
          {"heads_after", result.heads_after},
          {"steps", steps_json(result.steps)},
          {"duration_ms", result.duration_ms},
          {"notes", notes}};
}

nlohmann::json offline_json(const RunResult& result, const std::string& script) {
  return {{"database", result.database},         {"target", result.target},
          {"heads_before", result.heads_before}, {"heads_after", result.heads_after},
          {"steps", steps_json(result.steps)},   {"sql", script}};
}

nlohmann::json to_json(const CurrentResult& result) {
  nlohmann::json unfinished = nlohmann::json::array();
  for (const LedgerEntry& entry : result.unfinished) {
    unfinished.push_back(to_json(entry));
  }
  return {{"database", result.database}, {"heads", to_json(result.heads)},
          {"unknown", result.unknown},   {"ahead", result.ahead},
          {"unfinished", unfinished},    {"up_to_date", result.up_to_date},
          {"pending", result.pending},   {"squashed", result.squashed}};
}

std::string preflight_text(const PreflightResult& result, const Style& style) {
  std::string out =
      fmt::format("Preflight of `retort upgrade {}` on {}\n", result.target, result.database);
  for (std::size_t step_idx = 0; step_idx < result.steps.size(); ++step_idx) {
    const PreflightStep& step = result.steps[step_idx];
    out += fmt::format(
        "  [{}/{}] {} {}{}: {}\n", step_idx + 1, result.steps.size(), step.revision, step.message,
        step.transactional ? "" : " (no transaction)",
        step.estimate_ms
            ? fmt::format("estimate {} ({})", elapsed_text(*step.estimate_ms),
                          step.estimate_source == EstimateSource::header ? "-- retort:estimate"
                          : step.estimate_source == EstimateSource::staging
                              ? "staging, imported"
                              : "an earlier run in this database")
            : std::string("no estimate"));
  }
  for (const PreflightCheck& check : result.checks) {
    std::string status(to_string(check.status));
    if (check.status == CheckStatus::fail) {
      status = style.red(status);
    } else if (check.status == CheckStatus::warn) {
      status = style.yellow(status);
    } else {
      status = style.green(status);
    }
    out += fmt::format("{} {}: {}\n", status, check.code, check.message);
    if (!check.fix.empty()) {
      out += "  fix: " + check.fix + "\n";
    }
  }
  return out;
}

nlohmann::json to_json(const PreflightResult& result) {
  nlohmann::json steps = nlohmann::json::array();
  for (const PreflightStep& step : result.steps) {
    steps.push_back(
        {{"revision", step.revision},
         {"message", step.message},
         {"transactional", step.transactional},
         {"estimate_ms", step.estimate_ms ? nlohmann::json(*step.estimate_ms) : nlohmann::json()},
         {"estimate_source", to_string(step.estimate_source)}});
  }
  nlohmann::json checks = nlohmann::json::array();
  for (const PreflightCheck& check : result.checks) {
    checks.push_back({{"code", check.code},
                      {"status", to_string(check.status)},
                      {"message", check.message},
                      {"fix", check.fix}});
  }
  return {{"database", result.database},
          {"target", result.target},
          {"ok", result.ok},
          {"steps", steps},
          {"checks", checks}};
}

std::string doctor_text(const DoctorResult& result, const Style& style) {
  std::string out;
  for (const DoctorFinding& finding : result.findings) {
    std::string level =
        finding.fixed ? std::string("fixed") : std::string(to_string(finding.level));
    if (!finding.fixed && finding.level == DoctorLevel::error) {
      level = style.red(level);
    }
    out += fmt::format("{} {}: {}\n  {}: {}\n", level, finding.code, finding.message,
                       finding.fixed ? "done" : "fix", finding.fix);
  }
  if (result.findings.empty()) {
    out += fmt::format("No problems found on {}.\n", result.database);
  }
  return out;
}

nlohmann::json to_json(const DoctorResult& result) {
  nlohmann::json findings = nlohmann::json::array();
  for (const DoctorFinding& finding : result.findings) {
    findings.push_back({{"code", finding.code},
                        {"level", to_string(finding.level)},
                        {"message", finding.message},
                        {"fix", finding.fix},
                        {"fixed", finding.fixed}});
  }
  return {{"database", result.database}, {"ok", result.ok}, {"findings", findings}};
}

std::string backup_text(const BackupResult& result, const Style& style) {
  const std::string size = format_bytes(result.bytes);
  std::string how;
  if (result.method == BackupMethod::pg_dump) {
    how = fmt::format("pg_dump custom format, {} entries read back with pg_restore --list",
                      result.entries);
  } else if (result.method == BackupMethod::sqlite) {
    how = "SQLite online backup, PRAGMA quick_check ok";
  } else {
    how = "written by the [retort.backup] command";
  }
  std::string out =
      fmt::format("Backup of {} at {}: {}\n  {}, {}, in {}\n", result.database, result.revision,
                  style.bold(result.path), size, how, elapsed_text(result.duration_ms));
  for (const std::string& warning : result.warnings) {
    out += fmt::format("warning: {}\n", warning);
  }
  return out;
}

std::string restore_text(const RestoreResult& result, const Style& /*style*/) {
  return fmt::format("Restored {} into {} in {}; the database is at {}.\nNext: retort current -v\n",
                     result.file, result.database, elapsed_text(result.duration_ms),
                     result.heads_after.empty() ? std::string("base (no revision)")
                                                : join(result.heads_after, ", "));
}

nlohmann::json to_json(const BackupResult& result) {
  return {{"database", result.database}, {"path", result.path},
          {"bytes", result.bytes},       {"revision", result.revision},
          {"taken_at", result.taken_at}, {"method", to_string(result.method)},
          {"entries", result.entries},   {"duration_ms", result.duration_ms},
          {"warnings", result.warnings}};
}

nlohmann::json to_json(const RestoreResult& result) {
  return {{"database", result.database},
          {"file", result.file},
          {"heads_after", result.heads_after},
          {"duration_ms", result.duration_ms}};
}

nlohmann::json to_json(const DiffResult& result) {
  nlohmann::json changes = nlohmann::json::array();
  for (const SchemaChange& change : result.changes) {
    changes.push_back({{"change", change.change},
                       {"object", change.object},
                       {"name", change.name},
                       {"attribute", change.attribute},
                       {"before", change.before},
                       {"after", change.after},
                       {"line", change.line},
                       {"unified_diff", change.unified_diff}});
  }
  nlohmann::json uncompared = nlohmann::json::array();
  for (const SchemaUnsupported& object : result.uncompared) {
    uncompared.push_back({{"kind", object.kind}, {"name", object.name}});
  }
  return {{"from", result.from}, {"to", result.to},          {"equal", result.equal()},
          {"changes", changes},  {"uncompared", uncompared}, {"notes", result.notes}};
}

nlohmann::json to_json(const CheckResult& result) {
  nlohmann::json doc = {{"ok", result.ok}, {"findings", result.findings}};
  if (result.schema) {
    doc["schema"] = to_json(*result.schema);
  }
  return doc;
}

nlohmann::json to_json(const InitResult& result) {
  nlohmann::json doc = {{"config_file", result.config_file},
                        {"script_location", result.script_location},
                        {"created", result.created},
                        {"gitignore_added", result.gitignore_added}};
  if (!result.url_env.empty()) {
    doc["url_env"] = result.url_env;
  }
  return doc;
}

nlohmann::json to_json(const std::vector<BranchPoint>& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const BranchPoint& point : points) {
    nlohmann::json doc = to_json(point.revision);
    doc["children"] = point.children;
    list.push_back(doc);
  }
  return list;
}

nlohmann::json to_json(const Error& error) {
  nlohmann::json doc{{"exit_code", static_cast<int>(error.code())}, {"message", error.what()}};
  if (error.where) {
    doc["file"] = error.where->file;
    doc["line"] = error.where->line;
    doc["column"] = error.where->column;
  }
  if (error.server_message) {
    doc["sqlstate"] = error.server_message->sqlstate;
    doc["server_message"] = error.server_message->message;
    doc["detail"] = error.server_message->detail;
    doc["hint"] = error.server_message->hint;
  }
  doc["explanation"] = error.explanation;
  doc["database_state"] = error.database_state;
  doc["next_command"] = error.next_command;
  return {{"error", doc}};
}

void print_json(const nlohmann::json& document) { write_json(std::cout, document); }

}  // namespace retort::cli
