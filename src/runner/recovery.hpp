// Resume and partial-step recovery: what a failed or killed run left in the ledger, whether
// its runner's statement still runs, resuming a `transaction false` migration after its last
// statement that ran (or restarting it), the INVALID index a stopped concurrent build leaves,
// and what the ledger remembers of revisions beyond the files.
#pragma once

#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/events.hpp"
#include "runner/ledger.hpp"
#include "runner/settings.hpp"
#include "script/script_directory.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::runner {

struct PreparedStep;

// What a failed or killed run left: the newest ledger row of a revision that is not `ok`.
struct Leftover {
  LedgerRow row;
  // Its runner is gone without finishing (the row said `running` while this process held the
  // run lock); the row is now `failed` with a note saying so.
  bool interrupted = false;
  // A `transaction false` migration of which some statements ran: what ran stays, and the
  // version table does not say so.
  bool partial = false;
};

// Recovery on the run's connection, under the run lock.
class Recovery {
 public:
  // settings and observer (may be null) must outlive this.
  Recovery(driver::Connection& connection, const script::ScriptDirectory& scripts,
           const Settings& settings, RunObserver* observer);

  // Reads the ledger's unfinished rows under the run lock; marks those whose runner is gone.
  [[nodiscard]] std::vector<Leftover> inspect_leftovers(Ledger& ledger);
  // Refuses a run while a migration is partially applied, unless it resumes it; checks that
  // the statements that already ran are the file's. Marks the steps that resume.
  void attach_resumes(const std::vector<Leftover>& leftovers, std::vector<PreparedStep>& prepared,
                      base::Dialect dialect);
  // The statement a resume starts with, when it runs alone (CREATE INDEX CONCURRENTLY): drops
  // the INVALID index a stopped build left; returns false when the index is there and valid
  // after an interruption (the statement had finished; only the ledger had not been told).
  [[nodiscard]] bool resume_index(const PreparedStep& prepared, const script::Statement& statement);
  // Whether an index exists (nullopt: it does not) and is valid.
  [[nodiscard]] std::optional<bool> index_valid(const std::string& index);
  // DROP INDEX CONCURRENTLY of the INVALID index a concurrent build left, under the same
  // lock_timeout and retries as the statements.
  void drop_invalid_index(const PreparedStep& prepared, const script::Statement& statement);

 private:
  // Waits, up to orphan_wait, until the server session of an interrupted runner has ended its
  // statement; throws Error(lock_busy) naming it past that.
  void wait_for_orphan(const LedgerRow& row);

  driver::Connection& m_connection;
  const script::ScriptDirectory& m_scripts;
  const Settings& m_settings;
  RunObserver* m_observer;
};

// Statement `done` + 1 of a `transaction false` migration (0-based `done`), as the file says
// it now; nullopt when the file is gone, does not split, or has no such statement.
[[nodiscard]] std::optional<script::Statement> statement_after(const script::Migration* migration,
                                                               graph::Direction direction, int done,
                                                               base::Dialect dialect);

// After an interruption after `done` statements of a `transaction false` migration: whether
// statement done+1 may have finished without the ledger knowing. Only a statement that runs
// alone (CREATE INDEX CONCURRENTLY) can; any other commits together with the ledger's count.
// True when the file cannot say (nothing can be promised then).
[[nodiscard]] bool next_statement_in_doubt(const script::Migration* migration,
                                           graph::Direction direction, int done,
                                           base::Dialect dialect);

// "retort upgrade --resume", "retort downgrade --resume TARGET" (flag: "--resume" or
// "--restart"), for messages about a step in `direction` ("upgrade" or "downgrade").
[[nodiscard]] std::string partial_command(Direction direction, std::string_view flag);

// ", and an INVALID index it left is dropped and built again" when statement done+1 builds an
// index concurrently; empty otherwise.
[[nodiscard]] std::string index_rebuild_note(const script::Migration* migration,
                                             graph::Direction direction, int done,
                                             base::Dialect dialect);
// The same for the index a statement builds concurrently (empty: none).
[[nodiscard]] std::string index_rebuild_note(std::string_view index);

// A version row that no file declares (the database is ahead of this code): the revisions
// beyond the files as the ledger remembers them, newest first (each with its message and
// parents), and the first ancestor the files know; empty when the ledger has none of it.
struct BeyondFiles {
  std::vector<LedgerRow> revisions;
  std::string known_ancestor;  // empty: none found
};
[[nodiscard]] BeyondFiles beyond_files(Ledger& ledger, const graph::RevisionMap& map,
                                       const std::string& revision);

}  // namespace retort::runner
