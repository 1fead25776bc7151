// The pictures people look at: the revision graph drawn as SVG (laid out by Graphviz), DOT,
// Mermaid or ASCII text, and the run report, one self-contained HTML page per database.
//
// draw_graph and report_html are pure: they draw what they are given, so an application can
// draw a history it holds. graph and report read the project (and the database, when asked).
#pragma once

#include "retort/config.hpp"
#include "retort/results.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort {

enum class GraphFormat { svg, dot, mermaid, ascii };
[[nodiscard]] constexpr std::string_view to_string(GraphFormat format) noexcept {
  switch (format) {
    case GraphFormat::svg:
      return "svg";
    case GraphFormat::dot:
      return "dot";
    case GraphFormat::mermaid:
      return "mermaid";
    case GraphFormat::ascii:
      return "ascii";
  }
  return "ascii";
}

struct GraphOptions {
  GraphFormat format = GraphFormat::ascii;
  std::string range;  // "LOWER:UPPER" as history -r; empty: every revision
  // Every revision its own node. Without it, a linear run of three or more revisions (one
  // parent, one child, no depends_on, the same labels and marks) is one node with its count.
  bool full = false;
  // Read the configured database: mark its current revisions and the pending ones.
  bool database = false;
};

// Draws revisions (as history() returns them, newest first; is_current marks the database's
// rows) with the pending revisions marked. Edges to revisions not in the list are left out.
// svg: laid out by Graphviz's dot engine, with a <title> per node. ascii: one line per node,
// lanes as `git log --graph` draws them. Thread-safe: yes; pure (Graphviz's context is per
// call).
[[nodiscard]] std::string draw_graph(const std::vector<RevisionInfo>& revisions,
                                     const GraphOptions& options,
                                     const std::vector<std::string>& pending = {});

// `retort graph`: the project's history in the range, drawn; with options.database, the
// database's current revisions and pending ones marked. Thread-safe: yes; reads files (and,
// with database, its own connection, reading only).
[[nodiscard]] std::string revision_graph(const Config& config, const GraphOptions& options);

// One run of the ledger, with the backup taken before it (if any) and what it waited for.
struct ReportRun {
  LedgerEntry entry;
  std::string message;
  std::string backup;  // path of the backup a gate took before the step; empty for none
  // Tries rolled back on lock_timeout before the last one, and the time spent in them and in
  // the pauses between them; 0 for a step that got its locks at once (or an older ledger row).
  int lock_retries = 0;
  std::int64_t lock_wait_ms = 0;
};

// What `retort report` shows about one database.
struct Report {
  std::string database;              // redacted URL
  std::string generated_at;          // ISO 8601 UTC
  std::vector<RevisionInfo> heads;   // the version table's rows
  std::vector<std::string> unknown;  // rows that name no revision in the files
  bool up_to_date = false;
  std::vector<PreflightStep> pending;            // in run order, with estimates
  std::optional<std::int64_t> pending_total_ms;  // when every pending step has an estimate
  std::vector<ReportRun> runs;                   // the newest ledger rows, newest first
  std::vector<LedgerEntry> failures;  // unfinished rows (failed or running), with next_command
  std::vector<LintFinding> lint;      // findings of the pending steps
  std::string lint_note;              // why nothing was linted, or empty
  std::string graph_svg;              // the graph, current and pending marked
};

// Reads the database and the project into a Report: current(), preflight's pending steps with
// their estimates, the newest `runs` ledger rows, lint of the pending steps (PostgreSQL), the
// graph. Thread-safe: yes; its own connections, reading only.
[[nodiscard]] Report report(const Config& config, int runs = 50);

// The report as one HTML page: inline CSS and SVG, no script, no fetch; headings, tables with
// header cells, the graph with its title. Thread-safe: yes; pure.
[[nodiscard]] std::string report_html(const Report& report);

}  // namespace retort
