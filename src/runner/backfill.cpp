// Backfills in batches. Each batch is one transaction:
//
//   BEGIN; SET LOCAL lock_timeout, statement_timeout
//   the batch's upper key: the size-th key after the cursor, at most the recorded max
//   the statement with {batch} := (key > cursor AND key <= upper)
//   UPDATE retort_backfill SET cursor = upper, rows_done, batches ...
//   COMMIT (after the run lock is checked)
//
// so the progress row can never be behind or ahead of what committed: a backfill killed
// anywhere resumes after its cursor and touches every row of the range exactly once. The range
// [min, max] is read once, when the backfill starts, and never extended: rows inserted later
// are the application's (a default, a trigger, the new code). Keys are compared as row values,
// `(a, b) > ('1', 'x')`, with the values as text literals the server reads as the columns'
// types, so a composite key needs no type of its own.
#include "runner/backfill.hpp"

#include "base/identifier.hpp"
#include "base/text.hpp"
#include "runner/cancel.hpp"
#include "runner/ledger.hpp"
#include "runner/steps.hpp"
#include "runner/timeouts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <thread>
#include <unistd.h>
#include <utility>

namespace retort::runner {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view k_table_name = "retort_backfill";
// How often a run that is not on a terminal (and the ledger of events) hears of the progress.
constexpr auto k_report_every = std::chrono::seconds(10);

base::Millis since(Clock::time_point start) {
  return std::chrono::duration_cast<base::Millis>(Clock::now() - start);
}

// A name written bare in the directive means what PostgreSQL makes of it unquoted: folded to
// lower case. Quoted after, so that a keyword or a `$` stays a name.
std::string quote_bare(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return base::quote_identifier(lower, base::Dialect::postgres);
}

// `("a", "b")`.
std::string row_of(const std::vector<std::string>& quoted) {
  return "(" + base::join(quoted, ", ") + ")";
}

// `('1', 'x')`: untyped literals, which the comparison with the key columns types.
std::string literals(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  quoted.reserve(values.size());
  for (const std::string& value : values) {
    quoted.push_back(base::quote_literal(value));
  }
  return row_of(quoted);
}

// `ARRAY[$2, $3]::text[]` for `count` parameters from `first`.
std::string array_of_params(std::size_t first, std::size_t count) {
  std::vector<std::string> params;
  for (std::size_t index = 0; index < count; ++index) {
    params.push_back(fmt::format("${}", first + index));
  }
  return "ARRAY[" + base::join(params, ", ") + "]::text[]";
}

// "(42)" or "(7, 1000)": a key for messages.
std::string key_text(const std::vector<std::string>& values) {
  return values.empty() ? std::string("(none)") : "(" + base::join(values, ", ") + ")";
}

std::string with_commas(std::int64_t number) {
  std::string digits = std::to_string(number);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), ",");
  }
  return digits;
}

bool is_statement_timeout(const driver::DatabaseError& error) {
  // A cancel() of the run says "the statement was cancelled"; statement_timeout says so.
  return error.kind() == driver::DatabaseError::Kind::cancelled && !cancel_requested() &&
         error.server_message && error.server_message->sqlstate == "57014" &&
         error.server_message->message.find("statement timeout") != std::string::npos;
}

// The server's position in the statement sent (with the predicate in place of `{batch}`) as a
// position in the statement as written: before the placeholder it is the same, inside the
// predicate it is the placeholder, after it is shifted back.
int position_in_template(int position, const std::string& written, const std::string& predicate) {
  const std::size_t at = written.find(script::k_batch_placeholder);
  if (position <= 0 || at == std::string::npos) {
    return position;
  }
  auto chars = [](std::string_view text) {
    return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
  };
  const int start = chars(std::string_view(written).substr(0, at)) + 1;
  const int predicate_chars = chars(predicate);
  if (position < start) {
    return position;
  }
  if (position < start + predicate_chars) {
    return start;
  }
  return position - predicate_chars + static_cast<int>(script::k_batch_placeholder.size());
}

}  // namespace

// ---- BatchSizer

BatchSizer::BatchSizer(base::Millis target, std::optional<std::int64_t> fixed)
    : m_target(target), m_fixed(fixed.has_value()), m_size(fixed.value_or(k_initial)) {}

void BatchSizer::record(base::Millis took, std::int64_t keys) {
  if (m_fixed || keys <= 0) {
    return;
  }
  const double target = static_cast<double>(std::max<std::int64_t>(m_target.count(), 1));
  const double ms = static_cast<double>(std::max<std::int64_t>(took.count(), 0));
  if (ms > 5 * target) {
    // Far over: a lock, a slow stretch of the table. Shrink at once to what this batch says.
    m_size = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(static_cast<double>(keys) * target / ms));
    m_per_key.clear();
    m_per_key.push_back(ms / static_cast<double>(keys));
    return;
  }
  m_per_key.push_back(ms / static_cast<double>(keys));
  if (m_per_key.size() > k_window) {
    m_per_key.erase(m_per_key.begin());
  }
  std::vector<double> sorted = m_per_key;
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(sorted.size())));
  const double p90 = sorted[std::max<std::size_t>(rank, 1) - 1];
  // A batch too fast to time says nothing but "bigger": growth is capped anyway.
  const double ideal = p90 <= 0 ? static_cast<double>(k_max) : target / p90;
  const double grown = static_cast<double>(m_size) * 1.5;
  m_size = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::min(ideal, grown)), 1, k_max);
}

bool BatchSizer::halve() {
  if (m_size <= 1) {
    return false;
  }
  m_size = std::max<std::int64_t>(1, m_size / 2);
  // The times recorded were of bigger batches under other conditions: start the window again.
  m_per_key.clear();
  return true;
}

// ---- Backfill

struct Backfill::Range {
  std::vector<std::string> min;  // key values as text; empty: the table had no row
  std::vector<std::string> max;
  std::vector<std::string> cursor;  // the last key done; empty: none yet (start at min)
  std::int64_t rows_done = 0;
  std::int64_t batches = 0;
  std::int64_t estimate = 0;  // rows of the table as the planner estimates them; 0: unknown
  bool resumed = false;
  Clock::time_point started = Clock::now();
  Clock::time_point last_report = Clock::now();
  base::Millis active{0};  // time spent in batches, not pauses: what the rate is over
  std::int64_t done_at_start = 0;
};

Backfill::Backfill(BackfillContext context, const script::Migration& migration,
                   const script::Statement& statement)
    : m_context(std::move(context)),
      m_migration(migration),
      m_statement(statement),
      m_template(script::backfill_template(migration, statement)),
      m_qualified(base::quote_qualified(m_context.settings.version_table_schema, k_table_name,
                                        base::Dialect::postgres)) {
  const script::Backfill& spec = *migration.backfill;
  std::vector<std::string> parts;
  for (const std::string& part : base::split(spec.table, '.')) {
    parts.push_back(quote_bare(part));
  }
  m_table = base::join(parts, ".");
  for (const std::string& column : spec.key) {
    m_key.push_back(quote_bare(column));
  }
  m_key_columns = base::join(spec.key, ",");
}

void Backfill::check(const script::Migration& migration, base::Dialect dialect) {
  if (!migration.backfill || dialect == base::Dialect::postgres) {
    return;
  }
  throw Error(ExitCode::input,
              fmt::format("revision {} is a backfill, which retort runs on PostgreSQL only",
                          migration.revision))
      .at({migration.display_path, migration.backfill->line, 0})
      .state("nothing was run")
      .next(
          "on SQLite, remove the `-- retort:backfill` line and write the statement without "
          "`{batch}`: it runs as one transaction");
}

void Backfill::create_if_missing() {
  m_context.connection.execute(
      fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                  "    revision VARCHAR(64) NOT NULL PRIMARY KEY,\n"
                  "    table_name TEXT NOT NULL,\n"
                  "    key_columns TEXT NOT NULL,\n"
                  "    range_min TEXT[],\n"
                  "    range_max TEXT[],\n"
                  "    \"cursor\" TEXT[],\n"
                  "    rows_done BIGINT NOT NULL DEFAULT 0,\n"
                  "    batches BIGINT NOT NULL DEFAULT 0,\n"
                  "    batch_size BIGINT NOT NULL DEFAULT 0,\n"
                  "    state TEXT NOT NULL,\n"
                  "    reason TEXT,\n"
                  "    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
                  "    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
                  "    host TEXT,\n"
                  "    pid INTEGER\n"
                  ")",
                  m_qualified));
}

Backfill::Range Backfill::open_range() {
  driver::Connection& connection = m_context.connection;
  const script::Backfill& spec = *m_migration.backfill;
  const std::array<driver::Value, 1> revision{m_migration.revision};
  const driver::Rows found = connection.query(
      fmt::format("SELECT table_name, key_columns, state, rows_done::text, batches::text FROM {} "
                  "WHERE revision = $1",
                  m_qualified),
      revision);
  Range range;
  if (!found.empty() && found.rows[0][2] != std::optional<std::string>("done")) {
    const auto& row = found.rows[0];
    const std::string table = row[0].value_or("");
    const std::string key = row[1].value_or("");
    if (table != spec.table || key != m_key_columns) {
      throw Error(ExitCode::input,
                  fmt::format("revision {} is a backfill of table {} by key ({}), which stopped "
                              "part-way; the file now says table {} by key ({})",
                              m_migration.revision, table, key, spec.table, m_key_columns))
          .at({m_migration.display_path, spec.line, 0})
          .explain(fmt::format(
              "its cursor in {0} is a key of {1} ({2}): on another table or key it would skip "
              "rows or run some twice; put back `table={1} key={2}` to finish it, or, to start "
              "over on the new table or key, DELETE FROM {0} WHERE revision = '{3}'",
              m_qualified, table, key, m_migration.revision))
          .state("the batches before the cursor are applied; the version table has not moved");
    }
    range.rows_done = std::stoll(row[3].value_or("0"));
    range.batches = std::stoll(row[4].value_or("0"));
    range.resumed = true;
    const driver::Rows values = connection.query(
        fmt::format("SELECT 'min', u.n::text, u.v FROM {0} b, unnest(b.range_min) WITH ORDINALITY "
                    "u(v, n) WHERE b.revision = $1 UNION ALL SELECT 'max', u.n::text, u.v FROM "
                    "{0} b, unnest(b.range_max) WITH ORDINALITY u(v, n) WHERE b.revision = $1 "
                    "UNION ALL SELECT 'cursor', u.n::text, u.v FROM {0} b, unnest(b.\"cursor\") "
                    "WITH ORDINALITY u(v, n) WHERE b.revision = $1 ORDER BY 1, 2",
                    m_qualified),
        revision);
    for (const auto& value : values.rows) {
      const std::string which = value[0].value_or("");
      std::vector<std::string>& into = which == "min"   ? range.min
                                       : which == "max" ? range.max
                                                        : range.cursor;
      into.push_back(value[2].value_or(""));
    }
    const std::array<driver::Value, 3> running{m_migration.revision, host_name(),
                                               std::to_string(getpid())};
    connection.query(fmt::format("UPDATE {} SET state = 'running', reason = NULL, host = $2, pid "
                                 "= $3::int, updated_at = now() WHERE revision = $1",
                                 m_qualified),
                     running);
  } else {
    // Bounded at start: the range is what the table holds now. A NULL key is outside every
    // range, so it is left out of the bounds too.
    std::vector<std::string> as_text;
    std::vector<std::string> not_null;
    std::vector<std::string> ascending;
    std::vector<std::string> descending;
    // Qualified: ORDER BY a bare name would sort the text output column of the same name.
    for (const std::string& column : m_key) {
      as_text.push_back("k." + column + "::text");
      not_null.push_back("k." + column + " IS NOT NULL");
      ascending.push_back("k." + column);
      descending.push_back("k." + column + " DESC");
    }
    const std::string from =
        fmt::format("SELECT {} FROM {} k WHERE {} ORDER BY ", base::join(as_text, ", "), m_table,
                    base::join(not_null, " AND "));
    const driver::Rows low = connection.query(from + base::join(ascending, ", ") + " LIMIT 1");
    const driver::Rows high = connection.query(from + base::join(descending, ", ") + " LIMIT 1");
    for (std::size_t column = 0; column < m_key.size(); ++column) {
      if (!low.empty()) {
        range.min.push_back(low.rows[0][column].value_or(""));
        range.max.push_back(high.rows[0][column].value_or(""));
      }
    }
    std::vector<driver::Value> params{m_migration.revision, spec.table, m_key_columns, host_name(),
                                      std::to_string(getpid())};
    std::string min_sql = "NULL";
    std::string max_sql = "NULL";
    if (!range.min.empty()) {
      min_sql = array_of_params(params.size() + 1, range.min.size());
      params.insert(params.end(), range.min.begin(), range.min.end());
      max_sql = array_of_params(params.size() + 1, range.max.size());
      params.insert(params.end(), range.max.begin(), range.max.end());
    }
    connection.query(
        fmt::format("INSERT INTO {0} (revision, table_name, key_columns, range_min, range_max, "
                    "\"cursor\", rows_done, batches, batch_size, state, reason, started_at, "
                    "updated_at, host, pid) VALUES ($1, $2, $3, {1}, {2}, NULL, 0, 0, 0, "
                    "'running', NULL, now(), now(), $4, $5::int) ON CONFLICT (revision) DO UPDATE "
                    "SET table_name = EXCLUDED.table_name, key_columns = EXCLUDED.key_columns, "
                    "range_min = EXCLUDED.range_min, range_max = EXCLUDED.range_max, \"cursor\" = "
                    "NULL, rows_done = 0, batches = 0, batch_size = 0, state = 'running', reason "
                    "= NULL, started_at = now(), updated_at = now(), host = EXCLUDED.host, pid = "
                    "EXCLUDED.pid",
                    m_qualified, min_sql, max_sql),
        params);
  }
  const std::array<driver::Value, 1> table{m_table};
  const driver::Rows estimate = connection.query(
      "SELECT greatest(reltuples, 0)::bigint::text FROM pg_catalog.pg_class WHERE oid = "
      "pg_catalog.to_regclass($1)",
      table);
  if (!estimate.empty()) {
    range.estimate = std::stoll(estimate.rows[0][0].value_or("0"));
  }
  range.done_at_start = range.rows_done;
  return range;
}

std::int64_t Backfill::run_batch(Range& range, std::int64_t size) {
  driver::Connection& connection = m_context.connection;
  const std::string key = row_of(m_key);
  const std::string lower = range.cursor.empty() ? key + " >= " + literals(range.min)
                                                 : key + " > " + literals(range.cursor);
  std::vector<std::string> as_text;
  std::vector<std::string> descending;
  for (const std::string& column : m_key) {
    as_text.push_back("s." + column + "::text");
    descending.push_back("s." + column + " DESC");
  }
  Timeouts timeouts = effective_timeouts(m_migration, m_context.settings);
  if (timeouts.statement_timeout.count() <= 0) {
    // A batch must be short: without a timeout of its own, ten times its target, so that a
    // batch far too big is stopped and halved rather than left to hold its locks.
    const base::Millis target = m_migration.backfill->batch_time.value_or(k_default_batch_time);
    timeouts.statement_timeout = std::max(base::Millis(1000), target * 10);
  }
  // The batch runs to its end when the run is asked to stop: it is short, and stopping after
  // its commit keeps the progress row and the rows in step.
  const CancelDeferred deferred;
  connection.execute("BEGIN; " + base::join(set_timeouts_sql(timeouts, SetScope::local), "; "));
  // The next `size` keys after the cursor in key order, then those up to the recorded max. The
  // max is applied after the LIMIT, not beside the cursor: a range closed on both sides is
  // estimated small on a table without statistics, and read whole through a bitmap scan and
  // sorted (one batch took as long as the rest of the table), where the key order of the
  // index reads only the batch's keys.
  std::vector<std::string> s_key;
  for (const std::string& column : m_key) {
    s_key.push_back("s." + column);
  }
  const driver::Rows upper = connection.query(fmt::format(
      "SELECT count(*) OVER ()::text, {} FROM (SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {}) s "
      "WHERE {} <= {} ORDER BY {} LIMIT 1",
      base::join(as_text, ", "), base::join(m_key, ", "), m_table, lower, base::join(m_key, ", "),
      size, row_of(s_key), literals(range.max), base::join(descending, ", ")));
  if (upper.empty()) {
    connection.rollback();
    return 0;
  }
  const std::int64_t keys = std::stoll(upper.rows[0][0].value_or("0"));
  std::vector<std::string> upper_key;
  for (std::size_t column = 1; column < upper.rows[0].size(); ++column) {
    upper_key.push_back(upper.rows[0][column].value_or(""));
  }
  const std::string predicate = "(" + lower + " AND " + key + " <= " + literals(upper_key) + ")";
  std::string sql = m_template;
  for (std::size_t at = sql.find(script::k_batch_placeholder); at != std::string::npos;
       at = sql.find(script::k_batch_placeholder, at + predicate.size())) {
    sql.replace(at, script::k_batch_placeholder.size(), predicate);
  }
  try {
    connection.execute(sql);
  } catch (driver::DatabaseError& error) {
    if (error.server_message && error.server_message->position > 0) {
      error.server_message->position =
          position_in_template(error.server_message->position, m_template, predicate);
    }
    throw;
  }
  std::vector<driver::Value> params{m_migration.revision, std::to_string(keys),
                                    std::to_string(size)};
  const std::string cursor_sql = array_of_params(params.size() + 1, upper_key.size());
  params.insert(params.end(), upper_key.begin(), upper_key.end());
  connection.query(fmt::format("UPDATE {} SET \"cursor\" = {}, rows_done = rows_done + $2::bigint, "
                               "batches = batches + 1, batch_size = $3::bigint, updated_at = now() "
                               "WHERE revision = $1",
                               m_qualified, cursor_sql),
                   params);
  if (m_context.check_lock) {
    m_context.check_lock(fmt::format("batch {} of backfill {} could commit", range.batches + 1,
                                     m_migration.revision));
  }
  connection.commit();
  range.cursor = std::move(upper_key);
  range.rows_done += keys;
  ++range.batches;
  return keys;
}

void Backfill::set_state(const std::string& state, const std::string& reason) {
  try {
    const std::array<driver::Value, 3> params{m_migration.revision, state, reason};
    m_context.connection.query(fmt::format("UPDATE {} SET state = $2, reason = $3, updated_at = "
                                           "now() WHERE revision = $1",
                                           m_qualified),
                               params);
  } catch (const driver::DatabaseError&) {
    // Best effort once the backfill stopped: the error that stopped it is what counts.
  }
}

void Backfill::report(const Range& range, bool force) {
  if (m_context.observer == nullptr ||
      (!force && Clock::now() - range.last_report < k_report_every)) {
    return;
  }
  const std::int64_t this_run = range.rows_done - range.done_at_start;
  const double seconds = static_cast<double>(range.active.count()) / 1000.0;
  const double rate = seconds > 0 ? static_cast<double>(this_run) / seconds : 0;
  std::string fraction;
  if (range.estimate > 0) {
    const double share =
        std::min(1.0, static_cast<double>(range.rows_done) / static_cast<double>(range.estimate));
    fraction = fmt::format(" of ~{} ({:.0f}%)", with_commas(range.estimate), share * 100);
    if (rate > 0 && share < 1.0) {
      const auto left = static_cast<std::int64_t>(
          static_cast<double>(range.estimate - range.rows_done) / rate * 1000);
      fraction += ", ETA " + base::format_elapsed(base::Millis(std::max<std::int64_t>(left, 0)));
    }
  }
  m_context.observer->note(
      fmt::format("{}: backfill of {}: {} rows{} in {} batches, {:.0f} rows/s, "
                  "cursor {}",
                  m_migration.revision, m_migration.backfill->table, with_commas(range.rows_done),
                  fraction, range.batches, rate, key_text(range.cursor)));
}

void Backfill::run() {
  driver::Connection& connection = m_context.connection;
  const script::Backfill& spec = *m_migration.backfill;
  create_if_missing();
  Range range = open_range();
  if (m_context.observer != nullptr) {
    m_context.observer->note(
        range.resumed
            ? fmt::format("{}: backfill of {} resumes after key {} ({} rows in {} batches done "
                          "before), up to {}",
                          m_migration.revision, spec.table, key_text(range.cursor),
                          with_commas(range.rows_done), range.batches, key_text(range.max))
            : fmt::format("{}: backfill of {} over keys {} to {}", m_migration.revision, spec.table,
                          key_text(range.min), key_text(range.max)));
  }
  if (range.min.empty()) {
    return;  // the table had no row when the backfill started
  }
  const base::Millis target = spec.batch_time.value_or(k_default_batch_time);
  BatchSizer sizer(target, spec.batch_size);
  const Timeouts timeouts = effective_timeouts(m_migration, m_context.settings);
  int lock_attempt = 0;
  for (;;) {
    if (cancel_requested()) {
      const std::string reason = fmt::format("stopped on request after batch {}, cursor {}",
                                             range.batches, key_text(range.cursor));
      set_state("stopped", reason);
      throw Error(ExitCode::failed,
                  fmt::format("cancelled: backfill {} stopped after batch {}; {} rows done, "
                              "cursor {}",
                              m_migration.revision, range.batches, with_commas(range.rows_done),
                              key_text(range.cursor)))
          .at({m_migration.display_path, m_statement.line, 0});
    }
    const Clock::time_point started = Clock::now();
    std::int64_t keys = 0;
    try {
      keys = run_batch(range, sizer.size());
    } catch (const driver::DatabaseError& error) {
      if (connection.in_transaction()) {
        connection.rollback();
      }
      if (is_statement_timeout(error) && sizer.halve()) {
        if (m_context.observer != nullptr) {
          m_context.observer->note(fmt::format(
              "{}: a batch hit statement_timeout after {}; rolled back, batch size halved to {}",
              m_migration.revision, base::format_elapsed(since(started)), sizer.size()));
        }
        continue;
      }
      if (is_lock_timeout(error) && lock_attempt < m_context.settings.lock_retries) {
        ++lock_attempt;
        const base::Millis wait = backoff(lock_attempt);
        if (m_context.observer != nullptr) {
          m_context.observer->note(fmt::format(
              "{}: lock_timeout ({}) in a batch; rolled back, retry {} of {} in {}",
              m_migration.revision, base::format_duration(timeouts.lock_timeout), lock_attempt,
              m_context.settings.lock_retries, base::format_elapsed(wait)));
        }
        sleep_unless_cancelled(wait);
        continue;
      }
      set_state(cancel_requested() ? "stopped" : "failed", error.what());
      if (error.kind() == driver::DatabaseError::Kind::statement || is_statement_timeout(error)) {
        throw statement_error(error, m_migration, m_statement);
      }
      throw;
    } catch (const Error& error) {
      // The run lock lost before a commit: nothing of the batch stays.
      if (connection.in_transaction()) {
        connection.rollback();
      }
      set_state("failed", error.what());
      throw;
    }
    if (keys == 0) {
      break;
    }
    lock_attempt = 0;
    const base::Millis took = since(started);
    range.active += took;
    sizer.record(took, keys);
    report(range, false);
    if (range.cursor == range.max) {
      break;
    }
    if (spec.pause) {
      sleep_unless_cancelled(*spec.pause);
    }
  }
  report(range, true);
}

std::string Backfill::done_sql() const {
  return fmt::format(
      "UPDATE {} SET state = 'done', reason = NULL, updated_at = now() WHERE "
      "revision = {}",
      m_qualified, base::quote_literal(m_migration.revision));
}

std::string backfill_progress(driver::Connection& connection, const Settings& settings,
                              const std::string& revision) {
  const std::string qualified =
      base::quote_qualified(settings.version_table_schema, k_table_name, base::Dialect::postgres);
  try {
    const std::array<driver::Value, 1> params{revision};
    const driver::Rows rows = connection.query(
        fmt::format("SELECT rows_done::text, batches::text, coalesce(array_to_string(\"cursor\", "
                    "', '), 'none'), coalesce(array_to_string(range_max, ', '), 'none') FROM {} "
                    "WHERE revision = $1",
                    qualified),
        params);
    if (rows.empty()) {
      return {};
    }
    const auto& row = rows.rows[0];
    return fmt::format("{} rows in {} batches, cursor ({}) of ({}) ({})",
                       with_commas(std::stoll(row[0].value_or("0"))), row[1].value_or("0"),
                       row[2].value_or(""), row[3].value_or(""), qualified);
  } catch (const driver::DatabaseError&) {
    return {};
  }
}

void sleep_unless_cancelled(base::Millis duration) {
  const Clock::time_point until = Clock::now() + duration;
  while (!cancel_requested() && Clock::now() < until) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(100)));
  }
}

}  // namespace retort::runner
