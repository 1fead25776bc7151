// retort_log: the ledger of every step, created and migrated in place.
#include "runner/ledger.hpp"

#include "base/identifier.hpp"
#include "base/text.hpp"
#include "retort/version.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <pwd.h>
#include <set>
#include <string_view>
#include <unistd.h>
#include <utility>

namespace retort::runner {

namespace {

constexpr std::string_view k_ledger_table = "retort_log";

std::int64_t to_int(const driver::Value& value) {
  return value ? std::strtoll(value->c_str(), nullptr, 10) : 0;
}

}  // namespace

const char* retort_version_string() { return retort::k_version; }

std::string os_user() {
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) {
    return entry->pw_name;
  }
  if (const char* user = std::getenv("USER"); user != nullptr) {
    return user;
  }
  return "";
}

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) == 0) {
    return buffer.data();
  }
  return "";
}

Ledger::Ledger(driver::Connection* connection, base::Dialect dialect, const std::string& schema,
               std::string version_table)
    : m_connection(connection),
      m_dialect(dialect),
      m_name(k_ledger_table),
      m_version_table(std::move(version_table)) {
  m_qualified = base::quote_qualified(schema, m_name, m_dialect);
}

bool Ledger::exists() { return table_exists(*m_connection, m_name, m_qualified); }

std::string Ledger::create_sql() const {
  // Column names are a contract (SPEC §5): add columns, never rename. Only the types of the
  // key and the timestamps differ between the dialects.
  const bool sqlite = m_dialect == base::Dialect::sqlite;
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {0} (\n"
      "    id {1} PRIMARY KEY{2},\n"
      "    revision VARCHAR(64) NOT NULL,\n"
      "    direction VARCHAR(16) NOT NULL,\n"
      "    status VARCHAR(16) NOT NULL,\n"
      "    statements_done INTEGER NOT NULL DEFAULT 0,\n"
      "    statements_total INTEGER NOT NULL DEFAULT 0,\n"
      "    started_at {3} NOT NULL DEFAULT {4},\n"
      "    finished_at {3},\n"
      "    duration_ms BIGINT,\n"
      "    error TEXT,\n"
      "    checksum TEXT,\n"
      "    retort_version TEXT,\n"
      "    os_user TEXT,\n"
      "    host TEXT,\n"
      "    reason TEXT,\n"
      "    pid INTEGER,\n"
      "    parents TEXT,\n"
      "    message TEXT,\n"
      "    statement_checksums TEXT,\n"
      "    sql TEXT,\n"
      "    resumed_from BIGINT,\n"
      "    backend_pid INTEGER,\n"
      "    backup TEXT,\n"
      "    lint_ignores TEXT,\n"
      "    version_table TEXT,\n"
      "    heads_after TEXT,\n"
      "    lock_retries INTEGER,\n"
      "    lock_wait_ms BIGINT\n"
      ")",
      m_qualified, sqlite ? "INTEGER" : "BIGSERIAL", sqlite ? " AUTOINCREMENT" : "",
      sqlite ? "TEXT" : "TIMESTAMPTZ",
      sqlite ? "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))" : "clock_timestamp()");
}

namespace {

// Columns added after the first release, with their types: an older ledger gets them in
// place (SPEC section 5: add columns, never rename).
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> k_added_columns{{
    {"statement_checksums", "TEXT"},
    {"sql", "TEXT"},
    {"resumed_from", "BIGINT"},
    {"backend_pid", "INTEGER"},
    {"backup", "TEXT"},
    {"lint_ignores", "TEXT"},
    {"version_table", "TEXT"},
    {"heads_after", "TEXT"},
    {"lock_retries", "INTEGER"},
    {"lock_wait_ms", "BIGINT"},
}};

}  // namespace

void Ledger::create_if_missing() {
  if (!exists()) {
    m_connection->execute(create_sql());
    m_columns.clear();
    return;
  }
  const std::vector<std::string>& have = columns();
  for (const auto& [column, type] : k_added_columns) {
    if (std::find(have.begin(), have.end(), column) == have.end()) {
      m_connection->execute(
          fmt::format("ALTER TABLE {} ADD COLUMN {} {}", m_qualified, column, type));
      if (column == "version_table") {
        // Until now the ledger served whoever ran: its rows are taken to be this version
        // table's (docs/reference/tables.md says how to give some to another one).
        const std::array<driver::Value, 1> params{m_version_table};
        m_connection->query(fmt::format("UPDATE {} SET version_table = $1 WHERE version_table "
                                        "IS NULL RETURNING id",
                                        m_qualified),
                            params);
      }
    }
  }
  m_columns.clear();
}

const std::vector<std::string>& Ledger::columns() {
  if (m_columns.empty()) {
    m_columns = m_connection->query(fmt::format("SELECT * FROM {} LIMIT 0", m_qualified)).columns;
  }
  return m_columns;
}

std::string Ledger::column_or_null(const std::string& column) {
  const std::vector<std::string>& have = columns();
  return std::find(have.begin(), have.end(), column) != have.end() ? column : "NULL";
}

std::string Ledger::mine(std::string_view alias) {
  // An older ledger, read as it is, has no column yet: all of it is this version table's.
  if (column_or_null("version_table") == "NULL") {
    return "1 = 1";
  }
  // The name is an identifier checked at config load; a literal keeps each query's own
  // parameters numbered from $1.
  return fmt::format("({0}.version_table = {1} OR {0}.version_table IS NULL)", alias,
                     sql_literal(m_version_table));
}

std::int64_t Ledger::start(const LedgerStart& start) {
  // Looked up once per process: getpwuid reads the user database, once per step it showed in
  // the time of applying a thousand small migrations.
  static const std::string k_os_user = os_user();
  static const std::string k_host = host_name();
  const std::array<driver::Value, 20> params{
      start.revision,
      start.direction,
      std::to_string(start.statements_total),
      start.checksum,
      std::string(retort_version_string()),
      k_os_user,
      k_host,
      start.reason.empty() ? driver::Value{} : start.reason,
      std::to_string(getpid()),
      start.parents,
      start.message,
      start.statement_checksums,
      start.sql,
      std::to_string(start.statements_done),
      start.resumed_from == 0 ? driver::Value{} : std::to_string(start.resumed_from),
      start.backend_pid == 0 ? driver::Value{} : std::to_string(start.backend_pid),
      start.backup.empty() ? driver::Value{} : start.backup,
      start.lint_ignores.empty() ? driver::Value{} : start.lint_ignores,
      m_version_table,
      start.heads_after};
  const driver::Rows rows = m_connection->query(
      fmt::format("INSERT INTO {} (revision, direction, status, statements_total, checksum, "
                  "retort_version, os_user, host, reason, pid, parents, message, "
                  "statement_checksums, sql, statements_done, resumed_from, backend_pid, backup, "
                  "lint_ignores, version_table, heads_after) "
                  "VALUES "
                  "($1, $2, 'running', CAST($3 AS INTEGER), $4, $5, $6, $7, $8, CAST($9 AS "
                  "INTEGER), $10, $11, $12, $13, CAST($14 AS INTEGER), CAST($15 AS BIGINT), "
                  "CAST($16 AS INTEGER), $17, $18, $19, $20) RETURNING id",
                  m_qualified),
      params);
  return rows.empty() ? 0 : to_int(rows.rows[0][0]);
}

void Ledger::progress(std::int64_t id, int statements_done) {
  const std::array<driver::Value, 2> params{std::to_string(statements_done), std::to_string(id)};
  m_connection->query(fmt::format("UPDATE {} SET statements_done = CAST($1 AS INTEGER) WHERE id = "
                                  "CAST($2 AS BIGINT) RETURNING id",
                                  m_qualified),
                      params);
}

Ledger::FinishedWith Ledger::finish_ok_with(const std::string& change_sql,
                                            std::vector<driver::Value> params, std::int64_t id,
                                            int statements_done, std::int64_t duration_ms,
                                            const std::string& check_sql) {
  const std::size_t first = params.size() + 1;
  params.emplace_back(std::to_string(statements_done));
  params.emplace_back(std::to_string(duration_ms));
  params.emplace_back(std::to_string(id));
  const driver::Rows rows = m_connection->query(
      fmt::format("WITH version_change AS ({} RETURNING 1), ledger_ok AS (UPDATE {} SET status "
                  "= 'ok', statements_done = CAST(${} AS INTEGER), finished_at = "
                  "clock_timestamp(), duration_ms = CAST(${} AS BIGINT) WHERE id = CAST(${} AS "
                  "BIGINT) AND status = 'running' RETURNING 1) SELECT (SELECT count(*) FROM "
                  "version_change), (SELECT count(*) FROM ledger_ok), {}",
                  change_sql, m_qualified, first, first + 1, first + 2,
                  check_sql.empty() ? std::string("1") : check_sql),
      params);
  const auto column = [&](std::size_t index) {
    return rows.empty() ? std::string("0") : rows.rows[0][index].value_or("0");
  };
  return {.changed = column(0), .closed = column(1) == "1", .checked = column(2) == "1"};
}

void Ledger::discard(std::int64_t id) {
  const std::array<driver::Value, 1> params{std::to_string(id)};
  (void)m_connection->query(
      fmt::format("DELETE FROM {} WHERE id = CAST($1 AS BIGINT) RETURNING id", m_qualified),
      params);
}

std::string Ledger::progress_sql(std::int64_t id, int statements_done) const {
  return fmt::format("UPDATE {} SET statements_done = {} WHERE id = {}", m_qualified,
                     statements_done, id);
}

void Ledger::lock_waits(std::int64_t id, int retries, std::int64_t wait_ms) {
  const std::array<driver::Value, 3> params{std::to_string(retries), std::to_string(wait_ms),
                                            std::to_string(id)};
  m_connection->query(fmt::format("UPDATE {} SET lock_retries = CAST($1 AS INTEGER), "
                                  "lock_wait_ms = CAST($2 AS BIGINT) WHERE id = CAST($3 AS "
                                  "BIGINT) RETURNING id",
                                  m_qualified),
                      params);
}

bool Ledger::mark_interrupted(std::int64_t id, const std::string& error) {
  const std::array<driver::Value, 2> params{error, std::to_string(id)};
  return !m_connection
              ->query(fmt::format("UPDATE {} SET status = 'failed', error = $1 WHERE id = "
                                  "CAST($2 AS BIGINT) AND status = 'running' RETURNING id",
                                  m_qualified),
                      params)
              .empty();
}

namespace {

std::string now_sql(base::Dialect dialect) {
  return dialect == base::Dialect::sqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                                          : "clock_timestamp()";
}

}  // namespace

void Ledger::finish_ok(std::int64_t id, int statements_done, std::int64_t duration_ms) {
  const std::array<driver::Value, 3> params{std::to_string(statements_done),
                                            std::to_string(duration_ms), std::to_string(id)};
  m_connection->query(
      fmt::format("UPDATE {} SET status = 'ok', statements_done = CAST($1 AS INTEGER), "
                  "finished_at = {}, duration_ms = CAST($2 AS BIGINT) WHERE id = CAST($3 AS "
                  "BIGINT) RETURNING id",
                  m_qualified, now_sql(m_dialect)),
      params);
}

void Ledger::finish_failed(std::int64_t id, int statements_done, std::int64_t duration_ms,
                           const std::string& error) {
  const std::array<driver::Value, 4> params{std::to_string(statements_done),
                                            std::to_string(duration_ms), error, std::to_string(id)};
  m_connection->query(
      fmt::format("UPDATE {} SET status = 'failed', statements_done = CAST($1 AS INTEGER), "
                  "finished_at = {}, duration_ms = CAST($2 AS BIGINT), error = $3 WHERE id = "
                  "CAST($4 AS BIGINT) RETURNING id",
                  m_qualified, now_sql(m_dialect)),
      params);
}

std::string Ledger::insert_ok_sql(const LedgerStart& start) const {
  return fmt::format(
      "INSERT INTO {} (revision, direction, status, statements_done, statements_total, "
      "finished_at, duration_ms, checksum, retort_version, reason, parents, message) VALUES "
      "({}, {}, 'ok', {}, {}, {}, 0, {}, {}, {}, {}, {})",
      m_qualified, sql_literal(start.revision), sql_literal(start.direction),
      start.statements_total, start.statements_total, now_sql(m_dialect),
      sql_literal(start.checksum), sql_literal(retort_version_string()),
      start.reason.empty() ? std::string("NULL") : sql_literal(start.reason, m_dialect),
      sql_literal(start.parents), sql_literal(start.message, m_dialect));
}

std::vector<LedgerRow> Ledger::select(std::string_view where_and_order,
                                      std::span<const driver::Value> params) {
  if (!exists()) {
    return {};
  }
  // {mine_l}, {mine_n}: this version table's rows of the aliases l and n; {ledger}: the table.
  const std::string where =
      fmt::format(fmt::runtime(where_and_order), fmt::arg("mine_l", mine("l")),
                  fmt::arg("mine_n", mine("n")), fmt::arg("ledger", m_qualified));
  const bool sqlite = m_dialect == base::Dialect::sqlite;
  const std::string started = sqlite ? "l.started_at"
                                     : "to_char(l.started_at AT TIME ZONE 'UTC', "
                                       "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
  const std::string finished = sqlite ? "l.finished_at"
                                      : "to_char(l.finished_at AT TIME ZONE 'UTC', "
                                        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
  const driver::Rows rows = m_connection->query(
      fmt::format("SELECT l.id, l.revision, l.direction, l.status, l.statements_done, "
                  "l.statements_total, {}, {}, l.duration_ms, l.error, l.reason, l.checksum, "
                  "{}, {}, l.parents, l.message, l.host, l.pid, l.retort_version, {}, {}, {}, "
                  "{} IS NULL, {}, {} FROM {} AS l {}",
                  started, finished, column_or_null("statement_checksums"), column_or_null("sql"),
                  column_or_null("backend_pid"), column_or_null("backup"),
                  column_or_null("heads_after"), column_or_null("heads_after"),
                  column_or_null("lock_retries"), column_or_null("lock_wait_ms"), m_qualified,
                  where),
      params);
  std::vector<LedgerRow> out;
  out.reserve(rows.size());
  for (const auto& row : rows.rows) {
    LedgerRow read;
    LedgerEntry& entry = read.entry;
    entry.id = to_int(row[0]);
    entry.revision = row[1].value_or("");
    // Only retort writes these words; a word it does not know (a hand edit) reads as the
    // least that can be assumed of it: a row that moved no revision and did not succeed.
    entry.direction = parse_direction(row[2].value_or("")).value_or(Direction::stamp);
    entry.status = parse_ledger_status(row[3].value_or("")).value_or(LedgerStatus::failed);
    entry.statements_done = static_cast<int>(to_int(row[4]));
    entry.statements_total = static_cast<int>(to_int(row[5]));
    entry.started_at = row[6].value_or("");
    entry.finished_at = row[7].value_or("");
    if (row[8]) {
      entry.duration_ms = to_int(row[8]);
    }
    entry.error = row[9].value_or("");
    entry.reason = row[10].value_or("");
    read.checksum = row[11].value_or("");
    read.statement_checksums = row[12].value_or("");
    read.sql = row[13].value_or("");
    read.parents = row[14].value_or("");
    read.message = row[15].value_or("");
    read.host = row[16].value_or("");
    read.pid = row[17].value_or("");
    read.retort_version = row[18].value_or("");
    read.backend_pid = row[19].value_or("");
    read.backup = row[20].value_or("");
    // NULL is "not kept"; PostgreSQL spells the test's answer t/f, SQLite 1/0.
    const std::string unknown = row[22].value_or("1");
    if (unknown == "f" || unknown == "0" || unknown == "false") {
      read.heads_after = row[21].value_or("");
    }
    read.lock_retries = static_cast<int>(to_int(row[23]));
    read.lock_wait_ms = to_int(row[24]);
    out.push_back(std::move(read));
  }
  return out;
}

std::vector<LedgerRow> Ledger::unfinished() {
  // The newest row per revision decides: a failed run followed by a successful retry, or by a
  // stamp, is finished.
  return select(
      "WHERE {mine_l} AND l.status <> 'ok' AND NOT EXISTS (SELECT 1 FROM {ledger} AS n WHERE "
      "{mine_n} AND n.revision = l.revision AND n.id > l.id) ORDER BY l.id DESC");
}

std::vector<LedgerRow> Ledger::applied() {
  return select(
      "WHERE {mine_l} AND l.status = 'ok' AND l.direction IN ('upgrade', 'stamp') AND NOT "
      "EXISTS (SELECT 1 FROM {ledger} AS n WHERE {mine_n} AND n.revision = l.revision AND "
      "n.status = 'ok' AND n.id > l.id) ORDER BY l.id");
}

std::vector<LedgerRow> Ledger::timed() {
  return select(
      "WHERE {mine_l} AND l.status = 'ok' AND l.direction IN ('upgrade', 'downgrade') AND "
      "l.duration_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {ledger} AS n WHERE {mine_n} AND "
      "n.revision = l.revision AND n.direction = l.direction AND n.status = 'ok' AND n.id > "
      "l.id) ORDER BY l.id");
}

std::vector<LedgerRow> Ledger::newest() {
  return select(
      "WHERE {mine_l} AND NOT EXISTS (SELECT 1 FROM {ledger} AS n WHERE {mine_n} AND n.revision "
      "= l.revision AND n.id > l.id) ORDER BY l.id DESC");
}

std::vector<LedgerRow> Ledger::recent(int limit) {
  return select(fmt::format("WHERE {{mine_l}} ORDER BY l.id DESC LIMIT {}", std::max(limit, 0)));
}

std::vector<LedgerRow> Ledger::rows_of(const std::string& revision) {
  const std::array<driver::Value, 1> params{revision};
  return select("WHERE {mine_l} AND l.revision = $1 ORDER BY l.id DESC", params);
}

bool descends_from(const graph::RevisionMap& map, const std::string& revision,
                   const std::string& ancestor) {
  std::vector<std::string> todo{revision};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const std::string current = todo.back();
    todo.pop_back();
    const graph::Revision* node = map.find(current);
    if (node == nullptr || !seen.insert(current).second) {
      continue;
    }
    for (const std::string& parent : node->down_revisions) {
      if (parent == ancestor) {
        return true;
      }
      todo.push_back(parent);
    }
  }
  return false;
}

std::optional<LedgerState> ledger_state(Ledger& ledger, const graph::RevisionMap& map) {
  std::vector<LedgerRow> rows = ledger.ok_rows();
  if (rows.empty()) {
    return std::nullopt;
  }
  std::set<std::string> heads;
  for (const LedgerRow& row : rows) {
    if (row.heads_after) {
      const std::vector<std::string> after = base::split_words(*row.heads_after);
      heads = std::set<std::string>(after.begin(), after.end());
      continue;
    }
    const std::string& revision = row.entry.revision;
    std::vector<std::string> parents = base::split_words(row.parents);
    if (const graph::Revision* node = map.find(revision); parents.empty() && node != nullptr) {
      parents = node->down_revisions;
    }
    if (row.entry.direction == Direction::upgrade) {
      for (const std::string& parent : parents) {
        heads.erase(parent);
      }
      heads.insert(revision);
    } else if (row.entry.direction == Direction::downgrade) {
      heads.erase(revision);
      for (const std::string& parent : parents) {
        const bool below_a_head = std::any_of(heads.begin(), heads.end(), [&](const auto& head) {
          return descends_from(map, head, parent);
        });
        if (!below_a_head) {
          heads.insert(parent);
        }
      }
    } else {
      heads = {revision};
    }
  }
  return LedgerState{std::vector<std::string>(heads.begin(), heads.end()), std::move(rows.back())};
}

void Ledger::settle(const std::string& revision, const std::vector<std::string>& heads_now,
                    const std::string& reason) {
  LedgerStart entry;
  entry.revision = revision;
  entry.direction = "stamp";
  entry.reason = reason;
  entry.heads_after = base::join(heads_now, " ");
  finish_ok(start(entry), 0, 0);
}

bool Ledger::empty() { return !exists() || select("WHERE {mine_l} ORDER BY l.id LIMIT 1").empty(); }

std::vector<LedgerRow> Ledger::ok_rows() {
  return select("WHERE {mine_l} AND l.status = 'ok' ORDER BY l.id");
}

}  // namespace retort::runner
