// retort doctor: SQLite's hot-journal check, for migrations. Each check reads one kind of
// leftover (a partial migration, an INVALID index, an edited file, a lock of a runner that is
// gone, ...) and appends a finding with its fix; with `fix` it mends the safe ones itself.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "retort/results.hpp"
#include "runner/ledger.hpp"
#include "runner/run_lock.hpp"
#include "script/script_directory.hpp"

#include <map>
#include <string>
#include <vector>

namespace retort::ops::doctor {

struct Context {
  driver::Connection& db;
  const script::ScriptDirectory& scripts;
  runner::Ledger& ledger;
  runner::LockSettings lock;
  base::DatabaseUrl url;
  std::vector<std::string> version_rows;
  // Who holds the run lock, as RunLock::holder says; empty when nobody does, or when this
  // process holds it (doctor --fix): then a `running` ledger row belongs to nobody alive.
  std::string lock_holder;
  bool fix = false;
  // [retort.allowed_edits]: revision -> reason, edits of applied files the team accepted.
  std::map<std::string, std::string> allowed_edits;
  // check_edited: show each edited statement as it ran and as the file says now (retort check).
  bool diffs = false;
  // The version table as configured: its rows are version_rows.
  std::string version_table = "retort_version";
  std::string version_table_schema{};

  [[nodiscard]] bool postgres() const { return db.dialect() == base::Dialect::postgres; }
};

using Findings = std::vector<DoctorFinding>;

// One per file of this folder.
void check_version_rows(Context& context, Findings& findings);
// Of check_version_rows, also for the run path: rows a squash replaced. A database at one adopts
// the squash on its next upgrade ("squash-adoption-pending", warning); one at a replaced
// revision whose way to the squash's tip was retired cannot ("squash-straggler", error).
void check_squashed_rows(const script::ScriptDirectory& scripts,
                         const std::vector<std::string>& rows, Findings& findings);
void check_unfinished(Context& context, Findings& findings);
void check_invalid_objects(Context& context, Findings& findings);
void check_edited(Context& context, Findings& findings);
void check_locks(Context& context, Findings& findings);
void check_existing_objects(Context& context, Findings& findings);

// Every check, in the order an operator reads them: what the version table says, what runs
// left, what the schema holds, the files, the locks, the next migration.
[[nodiscard]] Findings run(Context& context);

// One statement of an applied file that is not what ran: changed, added or removed.
struct StatementEdit {
  int statement = 0;   // 1-based
  int line = 0;        // in the file now; 0 for a removed statement
  std::string before;  // as it ran (empty: added, or the ledger kept no text)
  std::string after;   // as the file says now (empty: removed)
};

// The edits of an applied upgrade since it ran, compared by normalised fingerprints (comments
// and layout are not edits). Empty when the file says what ran. When the row keeps no
// per-statement record (an older ledger, or --sql), a changed checksum is one edit with no
// statement number.
[[nodiscard]] std::vector<StatementEdit> statement_edits(const runner::LedgerRow& row,
                                                         const script::Migration& migration,
                                                         base::Dialect dialect);

// The revision whose ledger row made the named object (its SQL creates or names it), newest
// first: "b2 (add index)" or empty.
[[nodiscard]] std::string made_by(runner::Ledger& ledger, const std::string& object_name);

}  // namespace retort::ops::doctor
