// report_html (include/retort/pictures.hpp): the report as one HTML page. Everything inline
// (CSS, the SVG), nothing fetched, no script: a file to attach to a ticket or open offline.
// Each part is a section with a heading, each list a table with header cells; the failures
// come first after the summary, where the eye lands.
#include "base/duration.hpp"
#include "pictures/model.hpp"
#include "retort/pictures.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace retort {

namespace {

using pictures::escape_html;

constexpr const char* k_style = R"(
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:1.5rem auto;max-width:70rem;
  padding:0 1rem;color:#1a202c;background:#fff;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:1.8rem;
  border-bottom:1px solid #cbd5e0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #cbd5e0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#edf2f7}code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:.85rem}
pre{white-space:pre-wrap;margin:0}
.summary{display:flex;gap:1rem;flex-wrap:wrap;padding:0;list-style:none}
.summary li{border:1px solid #cbd5e0;border-radius:.4rem;padding:.5rem .8rem}
.ok{background:#c6f6d5}.warn{background:#fefcbf}.bad{background:#fed7d7}
#failures{background:#fff5f5;border:2px solid #c53030;border-radius:.4rem;padding:0 1rem 1rem}
#failures h2{color:#9b2c2c;border-color:#feb2b2}
.bar{background:#4299e1;height:.8rem;min-width:2px}.bar.failed{background:#c53030}
.graph{overflow:auto;border:1px solid #cbd5e0;padding:.5rem}
.graph svg{max-width:none;height:auto}
)";

std::string duration(const std::optional<std::int64_t>& ms) {
  return ms ? escape_html(base::format_duration(base::Millis{*ms})) : std::string("unknown");
}

std::string cell(const std::string& text) { return "<td>" + escape_html(text) + "</td>"; }

std::string code_cell(const std::string& text) {
  return "<td><code>" + escape_html(text) + "</code></td>";
}

void summary(std::string& out, const Report& report) {
  out += "<ul class=\"summary\" aria-label=\"Summary\">\n";
  const bool failed = !report.failures.empty();
  out += fmt::format("<li class=\"{}\"><strong>{}</strong></li>\n",
                     failed              ? "bad"
                     : report.up_to_date ? "ok"
                                         : "warn",
                     failed              ? "A run failed: see Failures"
                     : report.up_to_date ? "Up to date"
                                         : "Revisions pending");
  out +=
      fmt::format("<li>{} pending, estimated {}</li>\n", report.pending.size(),
                  report.pending.empty() ? std::string("0s") : duration(report.pending_total_ms));
  out += fmt::format("<li>{} lint finding{}</li>\n", report.lint.size(),
                     report.lint.size() == 1 ? "" : "s");
  out += "</ul>\n";
}

void failures(std::string& out, const Report& report) {
  if (report.failures.empty()) {
    return;
  }
  out +=
      "<section id=\"failures\" aria-labelledby=\"failures-h\">\n"
      "<h2 id=\"failures-h\">Failures</h2>\n"
      "<table>\n<thead><tr><th scope=\"col\">Revision</th><th scope=\"col\">Status</th>"
      "<th scope=\"col\">Started</th><th scope=\"col\">Statements</th>"
      "<th scope=\"col\">Error</th><th scope=\"col\">Next command</th></tr></thead>\n<tbody>\n";
  for (const LedgerEntry& entry : report.failures) {
    out += "<tr>" + code_cell(entry.revision) + cell(std::string(to_string(entry.status))) +
           cell(entry.started_at) +
           cell(fmt::format("{} of {}", entry.statements_done, entry.statements_total)) +
           "<td><pre>" + escape_html(entry.error) + "</pre></td>" + code_cell(entry.next_command) +
           "</tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void heads(std::string& out, const Report& report) {
  out += "<section aria-labelledby=\"heads-h\">\n<h2 id=\"heads-h\">Current heads</h2>\n";
  if (report.heads.empty() && report.unknown.empty()) {
    out += "<p>The version table is empty: the database is at base.</p>\n";
  } else {
    out +=
        "<table>\n<thead><tr><th scope=\"col\">Revision</th><th scope=\"col\">Message</th>"
        "<th scope=\"col\">Branch labels</th></tr></thead>\n<tbody>\n";
    for (const RevisionInfo& head : report.heads) {
      std::string labels;
      for (const std::string& label : head.branch_labels) {
        labels += (labels.empty() ? "" : ", ") + label;
      }
      out += "<tr>" + code_cell(head.revision) + cell(head.message) + cell(labels) + "</tr>\n";
    }
    for (const std::string& unknown : report.unknown) {
      out += "<tr class=\"bad\">" + code_cell(unknown) +
             cell("not in the files: the database is ahead of this code") + cell("") + "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n";
}

void pending(std::string& out, const Report& report) {
  out += "<section aria-labelledby=\"pending-h\">\n<h2 id=\"pending-h\">Pending revisions</h2>\n";
  if (report.pending.empty()) {
    out += "<p>Nothing is pending: every head of the files is applied.</p>\n</section>\n";
    return;
  }
  out +=
      fmt::format("<p>{} step{} for <code>retort upgrade heads</code>, estimated {} in all.</p>\n",
                  report.pending.size(), report.pending.size() == 1 ? "" : "s",
                  duration(report.pending_total_ms));
  out +=
      "<table>\n<thead><tr><th scope=\"col\">Order</th><th scope=\"col\">Revision</th>"
      "<th scope=\"col\">Message</th><th scope=\"col\">Transaction</th>"
      "<th scope=\"col\">Estimate</th><th scope=\"col\">Estimate from</th></tr></thead>\n"
      "<tbody>\n";
  int order = 0;
  for (const PreflightStep& step : report.pending) {
    out += fmt::format("<tr><td>{}</td>", ++order) + code_cell(step.revision) + cell(step.message) +
           cell(step.transactional ? "yes" : "no (transaction false)") + "<td>" +
           duration(step.estimate_ms) + "</td>" +
           cell(step.estimate_source == EstimateSource::none
                    ? std::string("no estimate")
                    : std::string(to_string(step.estimate_source))) +
           "</tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

// "none", or "2 retries on lock_timeout, 3.1s waited".
std::string lock_waits(const ReportRun& run) {
  if (run.lock_retries == 0) {
    return "none";
  }
  return fmt::format("{} {} on lock_timeout, {} waited", run.lock_retries,
                     run.lock_retries == 1 ? "retry" : "retries",
                     base::format_duration(base::Millis{run.lock_wait_ms}));
}

void runs(std::string& out, const Report& report) {
  out += "<section aria-labelledby=\"runs-h\">\n<h2 id=\"runs-h\">Last runs</h2>\n";
  if (report.runs.empty()) {
    out += "<p>The ledger (retort_log) holds no run yet.</p>\n</section>\n";
    return;
  }
  std::int64_t longest = 1;
  for (const ReportRun& run : report.runs) {
    longest = std::max(longest, run.entry.duration_ms.value_or(0));
  }
  out +=
      "<p>Newest first, from the ledger; the bar is the step's duration against the "
      "longest shown.</p>\n"
      "<table>\n<thead><tr><th scope=\"col\">Started (UTC)</th><th scope=\"col\">Revision</th>"
      "<th scope=\"col\">Direction</th><th scope=\"col\">Status</th>"
      "<th scope=\"col\">Duration</th><th scope=\"col\">Timeline</th>"
      "<th scope=\"col\">Statements</th><th scope=\"col\">Lock waits</th>"
      "<th scope=\"col\">Backup taken</th>"
      "<th scope=\"col\">Reason</th></tr></thead>\n<tbody>\n";
  for (const ReportRun& run : report.runs) {
    const LedgerEntry& entry = run.entry;
    const bool failed = entry.status == LedgerStatus::failed;
    const std::int64_t ms = entry.duration_ms.value_or(0);
    const double percent = 100.0 * static_cast<double>(ms) / static_cast<double>(longest);
    out += "<tr" + std::string(failed ? " class=\"bad\"" : "") + ">" + cell(entry.started_at) +
           code_cell(entry.revision) + cell(std::string(to_string(entry.direction))) +
           cell(std::string(to_string(entry.status))) + "<td>" + duration(entry.duration_ms) +
           "</td>" +
           fmt::format(
               "<td><div class=\"bar{}\" style=\"width:{:.1f}%\" aria-hidden=\"true\">"
               "</div></td>",
               failed ? " failed" : "", percent) +
           cell(fmt::format("{} of {}", entry.statements_done, entry.statements_total)) +
           cell(lock_waits(run)) + (run.backup.empty() ? cell("none") : code_cell(run.backup)) +
           cell(entry.reason) + "</tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void lint(std::string& out, const Report& report) {
  out += "<section aria-labelledby=\"lint-h\">\n<h2 id=\"lint-h\">Lint of the pending steps</h2>\n";
  if (!report.lint_note.empty()) {
    out += "<p>" + escape_html(report.lint_note) + "</p>\n";
  }
  if (report.lint.empty()) {
    out += "<p>No finding.</p>\n</section>\n";
    return;
  }
  out +=
      "<table>\n<thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Level</th>"
      "<th scope=\"col\">Where</th><th scope=\"col\">What</th><th scope=\"col\">Fix</th>"
      "</tr></thead>\n<tbody>\n";
  for (const LintFinding& finding : report.lint) {
    out += "<tr>" + code_cell(finding.code + " " + finding.name) +
           cell(std::string(to_string(finding.level)) +
                (finding.ignored.empty() ? "" : " (accepted: " + finding.ignored + ")")) +
           code_cell(fmt::format("{}:{}:{}", finding.file, finding.line, finding.column)) +
           cell(finding.message) + "<td><pre>" + escape_html(finding.fix) + "</pre></td></tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void graph(std::string& out, const Report& report) {
  out +=
      "<section aria-labelledby=\"graph-h\">\n<h2 id=\"graph-h\">Revision graph</h2>\n"
      "<figure>\n<div class=\"graph\">\n" +
      report.graph_svg +
      "\n</div>\n<figcaption>Base at the top, heads at the bottom. Green: the database's "
      "current revisions; yellow: pending; grey: a run of revisions drawn as one; dashed: "
      "depends_on; heavy border: a head.</figcaption>\n</figure>\n</section>\n";
}

}  // namespace

std::string report_html(const Report& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>retort report: " + escape_html(report.database) + "</title>\n";
  // No favicon fetch either: the page loads nothing.
  out += "<link rel=\"icon\" href=\"data:,\">\n<style>" + std::string(k_style) +
         "</style>\n</head>\n<body>\n<main>\n";
  out += "<h1>retort report: <code>" + escape_html(report.database) + "</code></h1>\n";
  out += "<p>Generated " + escape_html(report.generated_at) + " (UTC).</p>\n";
  summary(out, report);
  failures(out, report);
  heads(out, report);
  pending(out, report);
  runs(out, report);
  lint(out, report);
  graph(out, report);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace retort
