// Resume and partial-step recovery: leftovers of failed or killed runs, the orphaned statement
// of a runner that is gone, resuming or restarting a partially applied migration, and the
// INVALID index a stopped concurrent build leaves.
#include "runner/recovery.hpp"

#include "base/text.hpp"
#include "runner/cancel.hpp"
#include "runner/direction.hpp"
#include "runner/refusal.hpp"
#include "runner/runner.hpp"
#include "runner/steps.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>
#include <utility>

namespace retort::runner {

namespace {

using Clock = std::chrono::steady_clock;

// ", and statement 3 (it runs alone) may or may not have finished" for an interrupted step.
std::string in_doubt_text(const script::Migration* migration, const LedgerEntry& entry,
                          base::Dialect dialect) {
  if (entry.statements_done >= entry.statements_total) {
    return {};
  }
  const graph::Direction direction = entry.direction == Direction::downgrade
                                         ? graph::Direction::downgrade
                                         : graph::Direction::upgrade;
  return next_statement_in_doubt(migration, direction, entry.statements_done, dialect)
             ? fmt::format(", and statement {} (it runs alone) may or may not have finished",
                           entry.statements_done + 1)
             : fmt::format("; statement {} had not committed", entry.statements_done + 1);
}

}  // namespace

Recovery::Recovery(driver::Connection& connection, const script::ScriptDirectory& scripts,
                   const Settings& settings, RunObserver* observer)
    : m_connection(connection), m_scripts(scripts), m_settings(settings), m_observer(observer) {}

std::vector<Leftover> Recovery::inspect_leftovers(Ledger& ledger) {
  std::vector<Leftover> out;
  for (LedgerRow& row : ledger.unfinished()) {
    if (row.entry.direction == Direction::stamp) {
      continue;
    }
    Leftover leftover{std::move(row)};
    LedgerEntry& entry = leftover.row.entry;
    const script::Migration* migration = m_scripts.find(entry.revision);
    // A file that is gone or changed its mind: trust what the ledger saw run.
    const bool transactional = migration != nullptr && migration->transactional;
    // Interrupted now, or found so by an earlier run (which wrote that into the error).
    leftover.interrupted =
        entry.status == LedgerStatus::running || entry.error.starts_with("interrupted:");
    if (entry.status == LedgerStatus::running) {
      // This process holds the run lock, so no other runner is at work: whoever wrote this
      // row stopped without finishing (killed, or the machine went down).
      wait_for_orphan(leftover.row);
      const std::string who = fmt::format("its runner (host {}, pid {})",
                                          leftover.row.host.empty() ? "?" : leftover.row.host,
                                          leftover.row.pid.empty() ? "?" : leftover.row.pid);
      const bool backfill =
          migration != nullptr && migration->backfill && entry.direction == Direction::upgrade;
      entry.error = backfill ? fmt::format(
                                   "interrupted: {} ended during the backfill; its batches "
                                   "committed one by one with their progress (retort_backfill), "
                                   "and the next run continues after the cursor",
                                   who)
                    : transactional ? fmt::format(
                                          "interrupted: {} ended before it finished; it ran in one "
                                          "transaction, so nothing of it was applied",
                                          who)
                    : entry.statements_done == 0
                        ? fmt::format(
                              "interrupted: {} ended before the first statement committed (no "
                              "transaction){}",
                              who,
                              next_statement_in_doubt(migration,
                                                      entry.direction == Direction::downgrade
                                                          ? graph::Direction::downgrade
                                                          : graph::Direction::upgrade,
                                                      0, m_connection.dialect())
                                  ? ", which runs alone and may or may not have finished"
                                  : ", so nothing of it was applied")
                        : fmt::format(
                              "interrupted: {} ended after statement {} of {} (no transaction); "
                              "the statements before stay applied{}",
                              who, entry.statements_done, entry.statements_total,
                              in_doubt_text(migration, entry, m_connection.dialect()));
      (void)ledger.mark_interrupted(entry.id, entry.error);
      entry.status = LedgerStatus::failed;
      if (m_observer != nullptr) {
        m_observer->note(
            fmt::format("{} {}: {}", to_string(entry.direction), entry.revision, entry.error));
      }
    }
    leftover.partial = !transactional && entry.statements_done > 0;
    out.push_back(std::move(leftover));
  }
  return out;
}

void Recovery::wait_for_orphan(const LedgerRow& row) {
  if (m_connection.dialect() != base::Dialect::postgres || row.backend_pid.empty()) {
    return;
  }
  const std::array<driver::Value, 1> params{row.backend_pid};
  const Clock::time_point deadline = Clock::now() + m_settings.orphan_wait;
  bool told = false;
  for (;;) {
    const driver::Rows alive = m_connection.query(
        "SELECT coalesce(state, ''), left(regexp_replace(coalesce(query, ''), '\\s+', ' ', "
        "'g'), 120) FROM pg_stat_activity WHERE pid = CAST($1 AS INTEGER) AND state <> 'idle'",
        params);
    if (alive.empty()) {
      return;
    }
    const std::string what =
        fmt::format("server pid {} ({}: {})", row.backend_pid, alive.rows[0][0].value_or(""),
                    alive.rows[0][1].value_or(""));
    if (Clock::now() >= deadline) {
      throw Error(ExitCode::lock_busy,
                  fmt::format("the statement of the runner that was interrupted while applying "
                              "{} still runs on the server: {}",
                              row.entry.revision, what))
          .state("nothing was run by this process")
          .next(fmt::format("wait for it to end, or end it with SELECT pg_terminate_backend({}); "
                            "then run this command again",
                            row.backend_pid));
    }
    if (!told && m_observer != nullptr) {
      told = true;
      m_observer->note(fmt::format(
          "{}: its runner is gone, but its statement still runs on the server as {}; waiting "
          "for it to end (up to lock_wait, {})",
          row.entry.revision, what, base::format_duration(m_settings.orphan_wait)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (cancel_requested()) {
      throw Error(ExitCode::failed, "cancelled while waiting for an interrupted runner's statement")
          .state("nothing was run by this process");
    }
  }
}

void Recovery::attach_resumes(const std::vector<Leftover>& leftovers,
                              std::vector<PreparedStep>& prepared, base::Dialect dialect) {
  bool any_partial = false;
  bool any_backfill = false;
  for (const Leftover& leftover : leftovers) {
    const LedgerEntry& entry = leftover.row.entry;
    PreparedStep* item = nullptr;
    for (PreparedStep& candidate : prepared) {
      if (candidate.step->revision == entry.revision &&
          to_result(candidate.step->direction) == entry.direction &&
          !candidate.migration->transactional) {
        item = &candidate;
      }
    }
    // A non-transactional step that stopped at its first statement resumes there by itself:
    // nothing of it ran, but a concurrent index build may have left an INVALID index.
    if (item != nullptr && !leftover.partial) {
      item->resumed = &leftover;
      item->resume_at = 0;
      // A backfill that stopped continues after its cursor (runner/backfill.hpp): what
      // `--resume` asks for.
      any_backfill = any_backfill || item->migration->backfill.has_value();
      continue;
    }
    if (!leftover.partial) {
      continue;
    }
    any_partial = true;
    const script::Migration* migration = m_scripts.find(entry.revision);
    const std::string file =
        migration != nullptr ? migration->display_path : std::string("(no file declares it)");
    ResumeRefusal refusal{.revision = entry.revision,
                          .direction = entry.direction,
                          .statements_done = entry.statements_done,
                          .statements_total = entry.statements_total,
                          .file = file,
                          .last_error = entry.error};
    if (m_settings.partial == Partial::refuse) {
      const graph::Direction direction = entry.direction == Direction::downgrade
                                             ? graph::Direction::downgrade
                                             : graph::Direction::upgrade;
      if (const std::optional<script::Statement> next =
              statement_after(migration, direction, entry.statements_done, dialect)) {
        refusal.index_rebuilt = next->concurrent_index;
      }
      throw ResumeRefused(
          Error(ExitCode::failed,
                fmt::format("revision {} ({}) is partially applied; retort runs nothing else "
                            "until you decide how to finish it",
                            entry.revision, migration != nullptr ? migration->message : file)),
          std::move(refusal));
    }
    if (item == nullptr) {
      refusal.why = ResumeRefusal::Why::not_in_plan;
      throw ResumeRefused(
          Error(ExitCode::input, fmt::format("revision {} is partially applied and this run's "
                                             "plan does not include it",
                                             entry.revision)),
          std::move(refusal));
    }
    if (m_settings.partial == Partial::restart) {
      item->resumed = &leftover;
      item->resume_at = 0;
      if (m_observer != nullptr) {
        m_observer->note(
            fmt::format("{}: restarting from its first statement, as asked: what "
                        "its last run applied was undone by hand",
                        entry.revision));
      }
      continue;
    }
    // What ran must be what the file says, or the resumed run would build on statements that
    // are not there.
    const std::vector<std::string> ran = base::split_words(leftover.row.statement_checksums);
    const int done = entry.statements_done;
    if (static_cast<int>(ran.size()) < done || static_cast<int>(item->statements.size()) < done) {
      refusal.why = ResumeRefusal::Why::ran_unknown;
      Error error(ExitCode::input,
                  fmt::format("cannot resume revision {}: the ledger does not say which {} "
                              "statements ran, or the file now has fewer",
                              entry.revision, done));
      error.at({file, 0, 0});
      throw ResumeRefused(error, std::move(refusal));
    }
    for (int stmt_idx = 0; stmt_idx < done; ++stmt_idx) {
      const script::Statement& now = item->statements[static_cast<std::size_t>(stmt_idx)];
      if (now.fingerprint == ran[static_cast<std::size_t>(stmt_idx)]) {
        continue;
      }
      const std::vector<script::Statement> before =
          script::split_section(leftover.row.sql, dialect);
      const std::string old_text = static_cast<std::size_t>(stmt_idx) < before.size()
                                       ? before[static_cast<std::size_t>(stmt_idx)].sql
                                       : std::string("(not kept)");
      refusal.why = ResumeRefusal::Why::edited;
      Error error(ExitCode::input,
                  fmt::format("cannot resume revision {}: statement {}, which already ran, was "
                              "edited since",
                              entry.revision, stmt_idx + 1));
      error.at({file, now.line, 0})
          .explain(
              fmt::format("it ran as:\n    {}\nthe file now says:\n    {}", old_text, now.sql));
      throw ResumeRefused(error, std::move(refusal));
    }
    item->resumed = &leftover;
    item->resume_at = done;
    if (m_observer != nullptr) {
      m_observer->note(fmt::format("{}: resuming at statement {} of {} ({}:{})", entry.revision,
                                   done + 1, item->statements.size(), file,
                                   static_cast<std::size_t>(done) < item->statements.size()
                                       ? item->statements[static_cast<std::size_t>(done)].line
                                       : 0));
    }
  }
  if (m_settings.partial == Partial::resume && any_backfill && !any_partial) {
    return;
  }
  if (m_settings.partial != Partial::refuse && !any_partial) {
    const std::string asked = m_settings.partial == Partial::resume ? "resume" : "restart";
    throw ResumeRefused(
        Error(ExitCode::input,
              fmt::format("nothing to {}: no migration is partially applied", asked)),
        ResumeRefusal{.why = ResumeRefusal::Why::nothing_to_resume,
                      .revision = {},
                      .direction = {},
                      .file = {},
                      .last_error = {},
                      .asked = asked});
  }
}

// The statement a resume starts with, when it runs alone (CREATE INDEX CONCURRENTLY): a
// concurrent build that failed or was interrupted leaves an INVALID index behind, which is
// dropped so that the statement can build it again; a valid one, after an interruption, means
// the statement had finished and only the ledger had not been told. Returns whether to run it.
bool Recovery::resume_index(const PreparedStep& prepared, const script::Statement& statement) {
  if (m_connection.dialect() != base::Dialect::postgres || statement.concurrent_index.empty()) {
    return true;
  }
  const std::optional<bool> valid = index_valid(statement.concurrent_index);
  if (!valid) {
    return true;
  }
  const script::Migration& migration = *prepared.migration;
  const std::string where = fmt::format("{}:{}", migration.display_path, statement.line);
  if (!*valid) {
    drop_invalid_index(prepared, statement);
    if (m_observer != nullptr) {
      m_observer->note(fmt::format(
          "{}: dropped the INVALID index {} that the statement at {} left behind when it "
          "stopped; building it again",
          prepared.step->revision, statement.concurrent_index, where));
    }
    return true;
  }
  if (prepared.resumed->interrupted) {
    if (m_observer != nullptr) {
      m_observer->note(fmt::format(
          "{}: index {} exists and is valid: the statement at {} had finished before the "
          "interruption; not running it again",
          prepared.step->revision, statement.concurrent_index, where));
    }
    return false;
  }
  return true;
}

std::optional<bool> Recovery::index_valid(const std::string& index) {
  const std::array<driver::Value, 1> params{index};
  const driver::Rows rows = m_connection.query(
      "SELECT i.indisvalid::text FROM pg_index i WHERE i.indexrelid = to_regclass($1)", params);
  if (rows.empty()) {
    return std::nullopt;
  }
  return rows.rows[0][0] == std::optional<std::string>("true");
}

void Recovery::drop_invalid_index(const PreparedStep& prepared,
                                  const script::Statement& statement) {
  // The drop waits for the transactions that use the table, under the same lock_timeout and
  // retries as the statements.
  for (int attempt = 0;; ++attempt) {
    try {
      m_connection.execute(
          fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", statement.concurrent_index));
      return;
    } catch (const driver::DatabaseError& error) {
      if (!is_lock_timeout(error) || attempt >= m_settings.lock_retries) {
        throw statement_error(error, *prepared.migration, statement);
      }
      std::this_thread::sleep_for(backoff(attempt + 1));
    }
  }
}

std::optional<script::Statement> statement_after(const script::Migration* migration,
                                                 graph::Direction direction, int done,
                                                 base::Dialect dialect) {
  const script::Which which =
      direction == graph::Direction::downgrade ? script::Which::downgrade : script::Which::upgrade;
  if (migration == nullptr || (which == script::Which::downgrade && !migration->downgrade)) {
    return std::nullopt;
  }
  auto statements = script::statements(*migration, which, dialect);
  if (!statements || done < 0 || static_cast<std::size_t>(done) >= statements->size()) {
    return std::nullopt;
  }
  return std::move((*statements)[static_cast<std::size_t>(done)]);
}

bool next_statement_in_doubt(const script::Migration* migration, graph::Direction direction,
                             int done, base::Dialect dialect) {
  const std::optional<script::Statement> next =
      statement_after(migration, direction, done, dialect);
  return !next || next->needs_no_transaction;
}

std::string partial_command(Direction direction, std::string_view flag) {
  return direction == Direction::downgrade ? fmt::format("retort downgrade {} TARGET", flag)
                                           : fmt::format("retort upgrade {}", flag);
}

std::string index_rebuild_note(const script::Migration* migration, graph::Direction direction,
                               int done, base::Dialect dialect) {
  const std::optional<script::Statement> next =
      statement_after(migration, direction, done, dialect);
  return next ? index_rebuild_note(next->concurrent_index) : std::string();
}

std::string index_rebuild_note(std::string_view index) {
  return index.empty()
             ? std::string()
             : fmt::format(", and an INVALID index {} it left is dropped and built again", index);
}

BeyondFiles beyond_files(Ledger& ledger, const graph::RevisionMap& map,
                         const std::string& revision) {
  BeyondFiles out;
  std::vector<std::string> todo{revision};
  std::vector<std::string> seen;
  // Breadth first over the parents the ledger recorded, stopping at revisions the files have.
  while (!todo.empty() && out.revisions.size() < 100) {
    const std::string current = todo.front();
    todo.erase(todo.begin());
    if (std::find(seen.begin(), seen.end(), current) != seen.end()) {
      continue;
    }
    seen.push_back(current);
    if (map.find(current) != nullptr) {
      if (out.known_ancestor.empty()) {
        out.known_ancestor = current;
      }
      continue;
    }
    std::vector<LedgerRow> rows = ledger.rows_of(current);
    const auto applied = std::find_if(rows.begin(), rows.end(), [](const LedgerRow& row) {
      return row.entry.status == LedgerStatus::ok && row.entry.direction != Direction::downgrade;
    });
    if (applied == rows.end()) {
      continue;
    }
    for (const std::string& parent : base::split_words(applied->parents)) {
      todo.push_back(parent);
    }
    out.revisions.push_back(std::move(*applied));
  }
  return out;
}

}  // namespace retort::runner
