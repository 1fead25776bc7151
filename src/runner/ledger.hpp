// The ledger, retort_log: one row per revision applied, downgraded or stamped. Written
// `running` before the first statement, advanced after each statement of a
// non-transactional migration, and closed `ok` or `failed`. It is how a half-done migration
// is found, where timings come from, and how edited applied files are detected.
#pragma once

#include "driver/driver.hpp"
#include "retort/results.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace retort::runner {

// What is known about a row when it is opened.
struct LedgerStart {
  std::string revision;
  std::string direction;  // upgrade | downgrade | stamp
  int statements_total = 0;
  std::string checksum;
  std::string reason;
  std::string parents;  // space separated, so an older retort can name revisions it lacks
  std::string message;
  // Each statement's fingerprint, in order, space separated: what a resume compares against.
  std::string statement_checksums{};
  std::string sql{};             // the section as it ran, for the diff of an edited file
  int statements_done = 0;       // a resumed step starts where the interrupted one stopped
  std::int64_t backend_pid = 0;  // PostgreSQL: the server session that runs it; 0 unknown
  std::string backup{};          // the backup a gate took before the step, if any
  // The migration's `-- retort:lint-ignore` lines, "PG101 PG203: reason; PG301: reason": the
  // dangers the team accepted, kept with the run that took them.
  std::string lint_ignores{};
  std::int64_t resumed_from = 0;  // the ledger row a resume continues; 0 for none
};

// A row as read back, with what recovery needs beyond the public LedgerEntry.
struct LedgerRow {
  LedgerEntry entry;
  std::string checksum;
  std::string statement_checksums;
  std::string sql;
  std::string parents;
  std::string message;
  std::string host;
  std::string pid;
  std::string retort_version;  // of the retort that wrote the row
  std::string backend_pid;     // PostgreSQL: the server session that ran it; empty unknown
  std::string backup;          // the backup taken before the step, if any
};

class Ledger {
 public:
  // schema: the version table's schema (the ledger lives next to it); empty for the default.
  // connection may be null for a ledger used only to write SQL text (--sql).
  Ledger(driver::Connection* connection, driver::Dialect dialect, const std::string& schema);

  [[nodiscard]] const std::string& qualified() const noexcept { return m_qualified; }
  [[nodiscard]] bool exists();
  // Creates the table, or adds the columns a newer retort writes to an older one in place.
  void create_if_missing();
  [[nodiscard]] std::string create_sql() const;

  // Inserts a `running` row and returns its id.
  std::int64_t start(const LedgerStart& start);
  void progress(std::int64_t id, int statements_done);
  void finish_ok(std::int64_t id, int statements_done, std::int64_t duration_ms);
  void finish_failed(std::int64_t id, int statements_done, std::int64_t duration_ms,
                     const std::string& error);

  // The text of an `ok` row as one INSERT, for --sql.
  [[nodiscard]] std::string insert_ok_sql(const LedgerStart& start) const;

  // Rows whose last word is not `ok` (running or failed), newest first, limited to the newest
  // row per revision. Empty when the table does not exist.
  [[nodiscard]] std::vector<LedgerRow> unfinished();
  // Marks a `running` row whose runner is gone as `failed` with the error; false when the row
  // was no longer `running`.
  bool mark_interrupted(std::int64_t id, const std::string& error);
  // The newest `ok` upgrade or stamp row of each revision, oldest first: what was applied and
  // with which statements. Empty when the table does not exist.
  [[nodiscard]] std::vector<LedgerRow> applied();
  // The newest `ok` upgrade and downgrade of every revision that has a duration, oldest first:
  // what `timings export` writes.
  [[nodiscard]] std::vector<LedgerRow> timed();
  // The newest row of every revision, newest first.
  [[nodiscard]] std::vector<LedgerRow> newest();
  // Every row of one revision, newest first.
  [[nodiscard]] std::vector<LedgerRow> rows_of(const std::string& revision);

  // The statement text that sets statements_done of row `id` (PostgreSQL and SQLite alike),
  // to run in the same transaction as the statement it counts.
  [[nodiscard]] std::string progress_sql(std::int64_t id, int statements_done) const;

 private:
  std::vector<LedgerRow> select(const std::string& where_and_order,
                                std::span<const driver::Value> params = {});
  // The table's columns, read once: an older ledger lacks the newer ones until a run adds them.
  const std::vector<std::string>& columns();
  [[nodiscard]] std::string column_or_null(const std::string& column);

  driver::Connection* m_connection;  // null: SQL text only (--sql)
  driver::Dialect m_dialect;
  std::string m_qualified;
  std::string m_name;
  std::vector<std::string> m_columns;  // empty until read
};

// The identity recorded with each row.
[[nodiscard]] std::string os_user();
[[nodiscard]] std::string host_name();
[[nodiscard]] const char* retort_version_string();

}  // namespace retort::runner
