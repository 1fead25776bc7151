// doctor: applied migration files whose statements changed since they ran. Comments and
// layout are not edits (statements are compared by their normalised fingerprints); a changed,
// added or removed statement is, unless [retort.allowed_edits] accepts it with a reason.
#include "base/text.hpp"
#include "ops/doctor/doctor.hpp"
#include "runner/runner.hpp"

#include <fmt/format.h>

namespace retort::ops::doctor {

namespace {

// "statement 2 (line 12) changed, statement 4 (line 20) added".
std::string summary(const std::vector<StatementEdit>& edits) {
  std::vector<std::string> parts;
  for (const StatementEdit& edit : edits) {
    if (edit.statement == 0) {
      parts.push_back("its checksum differs (this ledger row keeps no per-statement record)");
    } else if (edit.after.empty()) {
      parts.push_back(fmt::format("statement {} removed", edit.statement));
    } else if (edit.before.empty()) {
      parts.push_back(fmt::format("statement {} (line {}) added", edit.statement, edit.line));
    } else {
      parts.push_back(fmt::format("statement {} (line {}) changed", edit.statement, edit.line));
    }
  }
  return base::join(parts, ", ");
}

}  // namespace

std::vector<StatementEdit> statement_edits(const runner::LedgerRow& row,
                                           const script::Migration& migration,
                                           base::Dialect dialect) {
  std::vector<StatementEdit> edits;
  if (row.statement_checksums.empty()) {
    if (!row.checksum.empty() && row.checksum != migration.checksum()) {
      edits.push_back({});
    }
    return edits;
  }
  const std::vector<std::string> ran = base::split_words(row.statement_checksums);
  auto parsed = script::statements(migration, script::Which::upgrade, dialect);
  const std::vector<script::Statement> now =
      parsed ? std::move(parsed).value() : std::vector<script::Statement>{};
  // The text as it ran, from the section the ledger kept, split the same way.
  const std::vector<script::Statement> before = script::split_section(row.sql, dialect);
  for (std::size_t stmt_idx = 0; stmt_idx < std::max(ran.size(), now.size()); ++stmt_idx) {
    const bool changed = stmt_idx >= now.size() || stmt_idx >= ran.size() ||
                         ran[stmt_idx] != now[stmt_idx].fingerprint;
    if (!changed) {
      continue;
    }
    StatementEdit edit;
    edit.statement = static_cast<int>(stmt_idx) + 1;
    if (stmt_idx < now.size()) {
      edit.line = now[stmt_idx].line;
      edit.after = now[stmt_idx].sql;
    }
    if (stmt_idx < ran.size() && stmt_idx < before.size()) {
      edit.before = before[stmt_idx].sql;
    }
    edits.push_back(std::move(edit));
  }
  return edits;
}

void check_edited(Context& context, Findings& findings) {
  for (const runner::LedgerRow& row : context.ledger.applied()) {
    // A stamp says a hand fix holds, not the file; but the rows that recorded what another
    // tool applied before retort (runner::k_adopted_reason) stand for the files as they were.
    const bool adopted =
        row.entry.direction == Direction::stamp && row.entry.reason == runner::k_adopted_reason;
    if (row.entry.direction != Direction::upgrade && !adopted) {
      continue;
    }
    const script::Migration* migration = context.scripts.find(row.entry.revision);
    if (migration == nullptr) {
      continue;  // a revision no file declares: check_version_rows speaks of it
    }
    const std::vector<StatementEdit> edits = statement_edits(row, *migration, context.db.dialect());
    std::string changes = summary(edits);
    if (context.diffs) {
      for (const StatementEdit& edit : edits) {
        if (edit.statement == 0) {
          continue;
        }
        changes +=
            fmt::format("\n  statement {}{}:", edit.statement,
                        edit.line == 0 ? std::string() : fmt::format(" (line {})", edit.line));
        if (!edit.before.empty()) {
          changes += "\n    - " + edit.before;
        }
        if (!edit.after.empty()) {
          changes += "\n    + " + edit.after;
        }
      }
    }
    if (changes.empty()) {
      continue;
    }
    const auto allowed = context.allowed_edits.find(row.entry.revision);
    if (allowed != context.allowed_edits.end()) {
      findings.push_back(
          {"edited-applied-file", DoctorLevel::info,
           fmt::format("{} (revision {}) changed since it ran on {}: {}", migration->display_path,
                       row.entry.revision, row.entry.started_at, changes),
           "accepted in retort.toml [retort.allowed_edits]: " + allowed->second, false});
      continue;
    }
    findings.push_back(
        {"edited-applied-file", DoctorLevel::error,
         adopted ? fmt::format("{} (revision {}) changed since retort adopted the database on "
                               "{}, so the database has what ran then, not what the file says: {}",
                               migration->display_path, row.entry.revision, row.entry.started_at,
                               changes)
                 : fmt::format("{} (revision {}) changed since it ran on {}, so the database has "
                               "what ran, not what the file says: {}",
                               migration->display_path, row.entry.revision, row.entry.started_at,
                               changes),
         fmt::format("put the file back as it ran (`retort check` shows the difference), or "
                     "write the change as a new revision; to accept it, add under "
                     "[retort.allowed_edits] in retort.toml: {} = \"why\"",
                     row.entry.revision),
         false});
  }
}

}  // namespace retort::ops::doctor
