// The ledger, retort_log: one row per revision applied, downgraded or stamped. Written
// `running` before the first statement, advanced after each statement of a
// non-transactional migration, and closed `ok` or `failed`. It is how a half-done migration
// is found, where timings come from, and how edited applied files are detected.
#pragma once

#include "driver/driver.hpp"
#include "retort/results.hpp"

#include <cstdint>
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
};

class Ledger {
 public:
  // schema: the version table's schema (the ledger lives next to it); empty for the default.
  // connection may be null for a ledger used only to write SQL text (--sql).
  Ledger(driver::Connection* connection, driver::Dialect dialect, const std::string& schema);

  [[nodiscard]] const std::string& qualified() const noexcept { return m_qualified; }
  [[nodiscard]] bool exists();
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
  // row per revision and direction. Empty when the table does not exist.
  [[nodiscard]] std::vector<LedgerEntry> unfinished();

 private:
  std::vector<LedgerEntry> select(const std::string& where_and_order);

  driver::Connection* m_connection;  // null: SQL text only (--sql)
  driver::Dialect m_dialect;
  std::string m_qualified;
  std::string m_name;
};

// The identity recorded with each row.
[[nodiscard]] std::string os_user();
[[nodiscard]] std::string host_name();
[[nodiscard]] const char* retort_version_string();

}  // namespace retort::runner
