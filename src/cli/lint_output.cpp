// Rendering `retort lint`'s findings for people, GitHub Actions and SARIF consumers.
#include "cli/lint_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string_view>

namespace retort::cli {
namespace {

// Every line after the first indented by `indent`, so a multi-line fix stays under its label.
std::string indented(std::string_view text, std::string_view indent) {
  std::string out;
  for (const char c : text) {
    out += c;
    if (c == '\n') {
      out += indent;
    }
  }
  return out;
}

// The statement as shown under a finding: at most four lines, the rest elided.
std::string statement_excerpt(std::string_view statement) {
  std::string out;
  int lines = 0;
  std::size_t from = 0;
  while (from <= statement.size()) {
    const std::size_t end = statement.find('\n', from);
    const std::string_view line =
        statement.substr(from, end == std::string_view::npos ? std::string_view::npos : end - from);
    if (++lines > 4) {
      out += "    ...\n";
      break;
    }
    out += "    " + std::string(line) + "\n";
    if (end == std::string_view::npos) {
      break;
    }
    from = end + 1;
  }
  return out;
}

std::string plural(int count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

// GitHub workflow commands: data escapes %, CR and LF; properties also ':' and ','.
std::string github_data(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string github_property(std::string_view text) {
  std::string out;
  for (const char c : github_data(text)) {
    if (c == ':') {
      out += "%3A";
    } else if (c == ',') {
      out += "%2C";
    } else {
      out += c;
    }
  }
  return out;
}

// Where code-scanning tools look for the file: relative to the working directory (the
// repository's root in CI), whatever directory retort.toml is in.
std::string tool_path(const LintFinding& finding) {
  if (finding.path.empty()) {
    return finding.file;
  }
  std::error_code error;
  const std::filesystem::path relative =
      std::filesystem::relative(finding.path, std::filesystem::current_path(error), error);
  return error || relative.empty() ? finding.file : relative.generic_string();
}

}  // namespace

std::string lint_text(const LintResult& result, const Style& style) {
  if (!result.skipped.empty()) {
    return "Nothing to lint: " + result.skipped + "\n";
  }
  std::string out;
  int accepted = 0;
  for (const LintFinding& finding : result.findings) {
    const std::string where = fmt::format("{}:{}:{}", finding.file, finding.line, finding.column);
    if (!finding.ignored.empty()) {
      ++accepted;
      out += fmt::format("{}: {} {} {}: {}\n", where, style.dim("accepted"), finding.code,
                         finding.name, finding.ignored);
      if (style.verbosity <= 0) {
        continue;
      }
    } else {
      const std::string level(to_string(finding.level));
      out += fmt::format("{}: {} {} {}\n", where,
                         finding.level == LintLevel::error     ? style.red(level)
                         : finding.level == LintLevel::warning ? style.yellow(level)
                                                               : style.dim(level),
                         style.bold(finding.code), finding.name);
    }
    out += statement_excerpt(finding.statement);
    out += "  " + finding.message + "\n";
    out += "  why: " + indented(finding.why, "       ") + "\n";
    if (!finding.evidence.empty()) {
      out += "  weighed by: " + finding.evidence + "\n";
    }
    out += "  fix: " + indented(finding.fix, "       ") + "\n";
    if (finding.ignored.empty()) {
      out += fmt::format("  accept it: -- retort:lint-ignore {} -- <why it is safe here>\n",
                         finding.code);
    }
    out += "\n";
  }
  for (const std::string& unused : result.unused_ignores) {
    out += fmt::format(
        "{}: lint-ignore accepts nothing: remove it, or it will hide the next "
        "finding of its code\n",
        unused);
  }
  for (const std::string& note : result.schema_notes) {
    out += style.dim("note: " + note) + "\n";
  }
  std::set<std::string> files;
  out += fmt::format(
      "Linted {} in {} (PostgreSQL {}, {}): {}, {}{}{}\n",
      plural(static_cast<int>(result.statements), "statement"),
      plural(static_cast<int>(result.revisions.size()), "migration"), result.server_version,
      result.server_version_source == ServerVersionSource::database ? "the database's version"
      : result.server_version_source == ServerVersionSource::option
          ? "from --pg-version"
          : "assumed; --pg-version N to change",
      plural(result.errors, "error"), plural(result.warnings, "warning"),
      result.notes > 0 ? ", " + plural(result.notes, "note") : std::string(),
      accepted > 0 ? fmt::format(", {} accepted by lint-ignore", accepted) : std::string());
  return out;
}

nlohmann::json to_json(const LintResult& result) {
  nlohmann::json findings = nlohmann::json::array();
  for (const LintFinding& finding : result.findings) {
    findings.push_back(
        {{"code", finding.code},
         {"name", finding.name},
         {"level", to_string(finding.level)},
         {"revision", finding.revision},
         {"file", finding.file},
         {"line", finding.line},
         {"column", finding.column},
         {"statement", finding.statement},
         {"message", finding.message},
         {"why", finding.why},
         {"fix", finding.fix},
         {"ignored", finding.ignored.empty() ? nlohmann::json() : nlohmann::json(finding.ignored)},
         {"evidence",
          finding.evidence.empty() ? nlohmann::json() : nlohmann::json(finding.evidence)}});
  }
  return {{"ok", result.ok},
          {"errors", result.errors},
          {"warnings", result.warnings},
          {"notes", result.notes},
          {"statements", result.statements},
          {"revisions", result.revisions},
          {"server_version", result.server_version},
          {"server_version_source", to_string(result.server_version_source)},
          {"skipped", result.skipped.empty() ? nlohmann::json() : nlohmann::json(result.skipped)},
          {"unused_ignores", result.unused_ignores},
          {"schema_notes", result.schema_notes},
          {"findings", findings}};
}

std::string lint_github(const LintResult& result) {
  std::string out;
  for (const LintFinding& finding : result.findings) {
    const std::string command =
        // GitHub's commands are error, warning and notice: a note is a notice.
        !finding.ignored.empty() || finding.level == LintLevel::note
            ? "notice"
            : std::string(to_string(finding.level));
    std::string body = finding.message + "\nwhy: " + finding.why + "\nfix: " + finding.fix;
    if (!finding.ignored.empty()) {
      body = "accepted by lint-ignore: " + finding.ignored + "\n" + body;
    }
    out += fmt::format("::{} file={},line={},col={},title={}::{}\n", command,
                       github_property(tool_path(finding)), finding.line, finding.column,
                       github_property(finding.code + " " + finding.name), github_data(body));
  }
  return out;
}

nlohmann::json lint_sarif(const LintResult& result, const std::vector<LintRule>& rules) {
  nlohmann::json rule_list = nlohmann::json::array();
  for (const LintRule& rule : rules) {
    rule_list.push_back({{"id", rule.code},
                         {"name", rule.name},
                         {"shortDescription", {{"text", rule.summary}}},
                         {"defaultConfiguration", {{"level", to_string(rule.level)}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const LintFinding& finding : result.findings) {
    nlohmann::json entry = {
        {"ruleId", finding.code},
        {"level", to_string(finding.level)},
        {"message",
         {{"text", finding.message + "\nwhy: " + finding.why + "\nfix: " + finding.fix}}},
        {"locations",
         nlohmann::json::array(
             {{{"physicalLocation",
                {{"artifactLocation", {{"uri", tool_path(finding)}}},
                 {"region", {{"startLine", finding.line}, {"startColumn", finding.column}}}}}}})}};
    if (!finding.ignored.empty()) {
      entry["suppressions"] =
          nlohmann::json::array({{{"kind", "inSource"}, {"justification", finding.ignored}}});
    }
    results.push_back(std::move(entry));
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs",
           nlohmann::json::array(
               {{{"tool",
                  {{"driver",
                    {{"name", "retort"}, {"version", k_retort_version}, {"rules", rule_list}}}}},
                 {"results", results}}})}};
}

nlohmann::json to_json(const std::vector<LintRule>& rules) {
  nlohmann::json list = nlohmann::json::array();
  for (const LintRule& rule : rules) {
    list.push_back({{"code", rule.code},
                    {"name", rule.name},
                    {"level", to_string(rule.level)},
                    {"summary", rule.summary}});
  }
  return list;
}

std::string lint_rules_text(const std::vector<LintRule>& rules, const Style& style) {
  std::string out;
  for (const LintRule& rule : rules) {
    out += fmt::format("{} {:<7} {}\n      {}\n", style.bold(rule.code), to_string(rule.level),
                       rule.name, rule.summary);
  }
  return out;
}

}  // namespace retort::cli
