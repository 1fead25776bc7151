// The ledger, retort_log: one row per revision applied, downgraded or stamped. Written
// `running` before the first statement, advanced after each statement of a
// non-transactional migration, and closed `ok` or `failed`. It is how a half-done migration
// is found, where timings come from, and how edited applied files are detected.
#pragma once

#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/results.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::runner {

// The reason of the stamp rows that record, once, the revisions a database had when retort
// first ran on it (a database Alembic migrated): `check` compares their files like those of
// the revisions retort ran.
inline constexpr std::string_view k_adopted_reason = "adopted: applied before retort";

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
  // The version table's rows once the step is `ok`, sorted, space separated: what replaying
  // the ledger restores when the version table is lost (empty: base).
  std::string heads_after{};
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
  // The version table's rows after the step; nullopt for a row written before the ledger kept
  // them (an older retort, or a --sql script).
  std::optional<std::string> heads_after;
  // Times the step was rolled back on lock_timeout and tried again, and the time those tries
  // and the pauses between them took; 0 when it ran at its first try (or an older row).
  int lock_retries = 0;
  std::int64_t lock_wait_ms = 0;
};

class Ledger {
 public:
  // schema: the version table's schema (the ledger lives next to it); empty for the default.
  // version_table: the version table whose rows these are. Several version tables in one
  // schema share the table retort_log, each seeing only its own rows (column version_table)
  // and the rows that name none (written before the column existed, or by a --sql script).
  // connection may be null for a ledger used only to write SQL text (--sql).
  Ledger(driver::Connection* connection, base::Dialect dialect, const std::string& schema,
         std::string version_table);

  [[nodiscard]] const std::string& qualified() const noexcept { return m_qualified; }
  [[nodiscard]] bool exists();
  // Creates the table, or adds the columns a newer retort writes to an older one in place. An
  // older ledger's rows, which name no version table, become this version table's as the
  // column is added: before it, the ledger was one project's.
  void create_if_missing();
  [[nodiscard]] std::string create_sql() const;

  // Inserts a `running` row and returns its id.
  std::int64_t start(const LedgerStart& start);
  void progress(std::int64_t id, int statements_done);
  void finish_ok(std::int64_t id, int statements_done, std::int64_t duration_ms);
  // Records that the step waited on locks: `retries` tries rolled back on lock_timeout, and
  // `wait_ms` spent in them and in the pauses between them. Written as each retry starts, in
  // autocommit, so a run killed while retrying still shows what it waited for.
  void lock_waits(std::int64_t id, int retries, std::int64_t wait_ms);
  void finish_failed(std::int64_t id, int statements_done, std::int64_t duration_ms,
                     const std::string& error);
  // PostgreSQL: row `id` closed `ok` in the same statement as another table's change (a
  // data-modifying statement whose parameters are $1..$N, `params`), with `check_sql` (an SQL
  // expression that is 1 when all is well; empty: none) evaluated in it too: one round trip
  // instead of two. Data-modifying CTEs run once whether or not the query reads them; the
  // change must not touch a row this statement touches otherwise.
  struct FinishedWith {
    std::string changed;   // the rows the change touched, as the server counted them
    bool closed = false;   // the row was `running` and is now `ok`
    bool checked = false;  // check_sql said 1
  };
  [[nodiscard]] FinishedWith finish_ok_with(const std::string& change_sql,
                                            std::vector<driver::Value> params, std::int64_t id,
                                            int statements_done, std::int64_t duration_ms,
                                            const std::string& check_sql);
  // Deletes the `running` row of a step that never began (a cancellation between steps).
  void discard(std::int64_t id);

  // The text of an `ok` row as one INSERT, for --sql.
  [[nodiscard]] std::string insert_ok_sql(const LedgerStart& start) const;

  // Rows whose last word is not `ok` (running or failed), newest first, limited to the newest
  // row per revision. Empty when the table does not exist.
  [[nodiscard]] std::vector<LedgerRow> unfinished();
  // Marks a `running` row whose runner is gone as `failed` with the error; false when the row
  // was no longer `running`.
  bool mark_interrupted(std::int64_t id, const std::string& error);
  // Records that the failed run of a revision no file declares any more is settled: an `ok`
  // stamp row with the reason and the version table's rows as they are, so the revision's
  // newest row is no longer unfinished and what the ledger says the heads are stays true.
  void settle(const std::string& revision, const std::vector<std::string>& heads_now,
              const std::string& reason);
  // The newest `ok` upgrade or stamp row of each revision, oldest first: what was applied and
  // with which statements. Empty when the table does not exist.
  [[nodiscard]] std::vector<LedgerRow> applied();
  // The newest `ok` upgrade and downgrade of every revision that has a duration, oldest first:
  // what `timings export` writes.
  [[nodiscard]] std::vector<LedgerRow> timed();
  // The newest row of every revision, newest first.
  [[nodiscard]] std::vector<LedgerRow> newest();
  // The newest `limit` rows of this version table, newest first: the report's last runs.
  [[nodiscard]] std::vector<LedgerRow> recent(int limit);
  // Every row of one revision, newest first.
  [[nodiscard]] std::vector<LedgerRow> rows_of(const std::string& revision);
  // Whether this version table has no row at all (or the table does not exist).
  [[nodiscard]] bool empty();
  // Every `ok` row, oldest first: the history that last_heads() replays.
  [[nodiscard]] std::vector<LedgerRow> ok_rows();

  // The statement text that sets statements_done of row `id` (PostgreSQL and SQLite alike),
  // to run in the same transaction as the statement it counts.
  [[nodiscard]] std::string progress_sql(std::int64_t id, int statements_done) const;

 private:
  // where_and_order may use {mine_l}, {mine_n} (the rows of this version table, for the aliases
  // l and n) and {ledger} (the table's name).
  std::vector<LedgerRow> select(std::string_view where_and_order,
                                std::span<const driver::Value> params = {});
  // The table's columns, read once: an older ledger lacks the newer ones until a run adds them.
  const std::vector<std::string>& columns();
  [[nodiscard]] std::string column_or_null(const std::string& column);
  // The condition that a row of alias (l, n) is this version table's, as SQL text.
  [[nodiscard]] std::string mine(std::string_view alias);

  driver::Connection* m_connection;  // null: SQL text only (--sql)
  base::Dialect m_dialect;
  std::string m_qualified;
  std::string m_name;
  std::string m_version_table;
  std::vector<std::string> m_columns;  // empty until read
};

// What this version table's `ok` ledger rows say its rows are, and the newest of those rows.
struct LedgerState {
  std::vector<std::string> heads;  // sorted; empty: base
  LedgerRow last;
};
// The heads are the heads_after of the newest `ok` row; for rows written before the ledger kept
// it, the rows replayed in order: an upgrade puts its revision in place of its parents, a
// downgrade takes it out and puts back those of its parents no remaining row descends from, a
// stamp sets the rows to its revision. nullopt when the ledger has no `ok` row (or no table):
// it knows nothing to restore.
[[nodiscard]] std::optional<LedgerState> ledger_state(Ledger& ledger,
                                                      const graph::RevisionMap& map);

// Whether `ancestor` is reached from `revision` through the parents the files declare.
[[nodiscard]] bool descends_from(const graph::RevisionMap& map, const std::string& revision,
                                 const std::string& ancestor);

// The identity recorded with each row.
[[nodiscard]] std::string os_user();
[[nodiscard]] std::string host_name();
[[nodiscard]] const char* retort_version_string();

}  // namespace retort::runner
