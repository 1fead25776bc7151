// Fault injection: `retort upgrade` killed with SIGKILL at random moments over a history that
// mixes transactional and `transaction false` migrations. After each kill the version table must
// match the schema, `retort doctor` must tell the truth, and the re-run it points to (with
// `--resume` for a partially applied migration) must reach head with the schema of a clean run.
//
// One database is killed into over and over: each run continues from where the last one was
// killed, and once a run reaches head the history is downgraded to base (every few cycles a
// fresh database instead), so that the kills land all along the history. The kill delay is
// drawn from the measured duration of a clean run of what is left, so that most kills land
// mid-run. After each kill the killed runner's server sessions are either terminated (a dead
// machine's connections) or awaited (a statement goes on after its client died), two times in
// five each, before anything is checked; one time in five the next runner starts at once,
// while they may still run, and must wait for them rather than run beside them. RETORT_FAULT_SEED=N
// replays a run's delays and choices (the seed is printed); RETORT_FAULT_KILLS=N changes the count.
#include "harness/postgres_server.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

constexpr int k_default_kills = 200;
// Every this many cycles (base to head), a fresh database instead of `downgrade base`: a kill
// then also lands before the version table and the ledger exist.
constexpr int k_fresh_database_every = 4;
// Iterations that failed before the test stops: each failure resets to a fresh database, and a
// bug that fails every iteration should not print two hundred times.
constexpr int k_max_failed_iterations = 6;

// ---- The history, with what each statement leaves in the database ----

// One statement and what holds once it ran: boolean SQL expressions, each true exactly when the
// statement's effect is in the database (and false, or an error, before).
struct Statement {
  std::string sql;
  Strings effects;
  // CREATE INDEX CONCURRENTLY runs outside any transaction, and the ledger is advanced after
  // it: after a kill it may or may not have run.
  [[nodiscard]] bool alone() const { return sql.find("CONCURRENTLY") != std::string::npos; }
};

struct Migration {
  std::string revision;
  std::string message;
  bool transactional = true;
  std::vector<Statement> statements;
  std::string downgrade;

  [[nodiscard]] std::string upgrade_sql() const {
    std::string out;
    for (const Statement& statement : statements) {
      out += statement.sql + "\n";
    }
    return out;
  }
};

std::string table_exists(const std::string& table) {
  return "to_regclass('" + table + "') IS NOT NULL";
}

std::string column_exists(const std::string& table, const std::string& column) {
  return "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('" + table +
         "') AND attname = '" + column + "' AND NOT attisdropped)";
}

std::string column_not_null(const std::string& table, const std::string& column) {
  return "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('" + table +
         "') AND attname = '" + column + "' AND NOT attisdropped AND attnotnull)";
}

std::string column_has_default(const std::string& table, const std::string& column) {
  return "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('" + table +
         "') AND attname = '" + column + "' AND NOT attisdropped AND atthasdef)";
}

std::string valid_index(const std::string& index) {
  return "EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('" + index +
         "') AND indisvalid)";
}

std::string constraint_exists(const std::string& table, const std::string& name) {
  return "EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('" + table +
         "') AND conname = '" + name + "')";
}

std::string row_count(const std::string& table, int rows) {
  return "(SELECT count(*) FROM " + table + ") = " + std::to_string(rows);
}

// Eight linear revisions: five transactional ones that create tables and fill them, three
// `transaction false` ones with column changes, batched updates, concurrent index builds and a
// non-idempotent INSERT (run twice, it would leave six rows). The pg_sleep calls widen the
// windows a kill can land in.
std::vector<Migration> make_history() {
  std::vector<Migration> history;
  history.push_back(
      {"f01accounts",
       "accounts",
       true,
       {{"CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL, created date NOT "
         "NULL);",
         {table_exists("accounts")}},
        {"INSERT INTO accounts SELECT g, 'user' || g || '@example.com', DATE '2024-01-01' + g % "
         "365 FROM generate_series(1, 6000) g;",
         {row_count("accounts", 6000)}},
        {"SELECT pg_sleep(0.02);", {}},
        {"CREATE UNIQUE INDEX accounts_email_key ON accounts (email);",
         {valid_index("accounts_email_key")}}},
       "DROP TABLE accounts;"});
  history.push_back(
      {"f02orders",
       "orders",
       true,
       {{"CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES "
         "accounts (id), amount_cents integer NOT NULL);",
         {table_exists("orders"), constraint_exists("orders", "orders_account_id_fkey")}},
        {"INSERT INTO orders SELECT g, 1 + g % 6000, (g * 37) % 10000 FROM generate_series(1, "
         "12000) g;",
         {row_count("orders", 12000)}},
        {"SELECT pg_sleep(0.02);", {}},
        {"CREATE VIEW account_totals AS SELECT account_id, sum(amount_cents) AS total_cents FROM "
         "orders GROUP BY account_id;",
         {table_exists("account_totals")}}},
       "DROP VIEW account_totals;\nDROP TABLE orders;"});
  history.push_back(
      {"f03tiers",
       "tiers in batches",
       false,
       {{"ALTER TABLE accounts ADD COLUMN tier smallint;", {column_exists("accounts", "tier")}},
        {"UPDATE accounts SET tier = id % 3 WHERE id <= 3000;",
         {"NOT EXISTS (SELECT 1 FROM accounts WHERE id <= 3000 AND tier IS NULL)"}},
        {"SELECT pg_sleep(0.02);", {}},
        {"UPDATE accounts SET tier = id % 3 WHERE id > 3000;",
         {"NOT EXISTS (SELECT 1 FROM accounts WHERE id > 3000 AND tier IS NULL)"}},
        {"CREATE INDEX CONCURRENTLY accounts_tier_idx ON accounts (tier);",
         {valid_index("accounts_tier_idx")}},
        {"ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;",
         {column_not_null("accounts", "tier")}},
        {"CREATE TABLE tier_names (tier smallint NOT NULL, name text NOT NULL);",
         {table_exists("tier_names")}},
        {"INSERT INTO tier_names VALUES (0, 'free'), (1, 'pro'), (2, 'team');",
         {row_count("tier_names", 3)}}},
       "DROP TABLE IF EXISTS tier_names;\nDROP INDEX CONCURRENTLY IF EXISTS accounts_tier_idx;\n"
       "ALTER TABLE accounts DROP COLUMN IF EXISTS tier;"});
  history.push_back(
      {"f04events",
       "events",
       true,
       {{"CREATE TYPE event_kind AS ENUM ('signup', 'order', 'refund');",
         {"to_regtype('event_kind') IS NOT NULL"}},
        {"CREATE TABLE events (id integer PRIMARY KEY, account_id integer NOT NULL, kind "
         "event_kind NOT NULL, ref text NOT NULL, at timestamptz NOT NULL);",
         {table_exists("events")}},
        {"INSERT INTO events SELECT g, 1 + g % 6000, (ARRAY['signup', 'order', 'refund'])[1 + g "
         "% 3]::event_kind, 'ev-' || g, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 "
         "minute' FROM generate_series(1, 15000) g;",
         {row_count("events", 15000)}},
        {"SELECT pg_sleep(0.02);", {}},
        {"ALTER TABLE orders ADD COLUMN note text;", {column_exists("orders", "note")}}},
       "ALTER TABLE orders DROP COLUMN note;\nDROP TABLE events;\nDROP TYPE event_kind;"});
  history.push_back({"f05indexes",
                     "indexes built concurrently",
                     false,
                     {{"CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id);",
                       {valid_index("orders_account_idx")}},
                      {"CREATE INDEX CONCURRENTLY events_account_idx ON events (account_id, at);",
                       {valid_index("events_account_idx")}},
                      {"ALTER TABLE events ADD COLUMN processed boolean NOT NULL DEFAULT false;",
                       {column_exists("events", "processed")}},
                      {"CREATE UNIQUE INDEX CONCURRENTLY events_ref_key ON events (ref);",
                       {valid_index("events_ref_key")}}},
                     "DROP INDEX CONCURRENTLY IF EXISTS events_ref_key;\n"
                     "ALTER TABLE events DROP COLUMN IF EXISTS processed;\n"
                     "DROP INDEX CONCURRENTLY IF EXISTS events_account_idx;\n"
                     "DROP INDEX CONCURRENTLY IF EXISTS orders_account_idx;"});
  history.push_back(
      {"f06audit",
       "audit log",
       true,
       {{"CREATE TABLE audit_log (id integer PRIMARY KEY, event_id integer NOT NULL REFERENCES "
         "events (id), line text NOT NULL);",
         {table_exists("audit_log")}},
        {"INSERT INTO audit_log SELECT id, id, kind::text || ' ' || ref FROM events WHERE id % 2 "
         "= 0;",
         {row_count("audit_log", 7500)}},
        {"SELECT pg_sleep(0.02);", {}},
        {"COMMENT ON TABLE audit_log IS 'one line per even event';",
         {"obj_description(to_regclass('audit_log'), 'pg_class') = 'one line per even event'"}},
        {"CREATE INDEX audit_log_event_idx ON audit_log (event_id);",
         {valid_index("audit_log_event_idx")}}},
       "DROP TABLE audit_log;"});
  history.push_back(
      {"f07status",
       "order status in batches",
       false,
       {{"ALTER TABLE orders ADD COLUMN status text;", {column_exists("orders", "status")}},
        {"UPDATE orders SET status = 'paid' WHERE id % 2 = 0;",
         {"NOT EXISTS (SELECT 1 FROM orders WHERE id % 2 = 0 AND status IS DISTINCT FROM "
          "'paid')"}},
        {"UPDATE orders SET status = 'open' WHERE id % 2 = 1;",
         {"NOT EXISTS (SELECT 1 FROM orders WHERE id % 2 = 1 AND status IS DISTINCT FROM "
          "'open')"}},
        {"SELECT pg_sleep(0.02);", {}},
        {"CREATE INDEX CONCURRENTLY orders_open_idx ON orders (status) WHERE status <> 'paid';",
         {valid_index("orders_open_idx")}},
        {"ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('open', "
         "'paid'));",
         {constraint_exists("orders", "orders_status_check")}},
        {"ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open';",
         {column_has_default("orders", "status")}}},
       "DROP INDEX CONCURRENTLY IF EXISTS orders_open_idx;\n"
       "ALTER TABLE orders DROP COLUMN IF EXISTS status;"});
  history.push_back(
      {"f08report",
       "tier report",
       true,
       {{"CREATE MATERIALIZED VIEW tier_report AS SELECT a.tier, count(*) AS orders, "
         "sum(o.amount_cents) AS cents FROM accounts a JOIN orders o ON o.account_id = a.id "
         "GROUP BY a.tier;",
         {table_exists("tier_report"), row_count("tier_report", 3)}},
        {"SELECT pg_sleep(0.02);", {}},
        {"CREATE UNIQUE INDEX tier_report_tier_key ON tier_report (tier);",
         {valid_index("tier_report_tier_key")}}},
       "DROP MATERIALIZED VIEW tier_report;"});
  return history;
}

std::unique_ptr<Project> make_project(const std::vector<Migration>& history,
                                      const std::string& hint) {
  auto project = std::make_unique<Project>(Backend::postgres, hint);
  std::string parent;
  for (const Migration& migration : history) {
    project->add({migration.revision, parent.empty() ? Strings{} : Strings{parent},
                  migration.upgrade_sql(), migration.downgrade,
                  migration.transactional ? Strings{} : Strings{"transaction false"},
                  migration.message});
    parent = migration.revision;
  }
  project->write_config_file();
  return project;
}

// ---- Reading the database back ----

SpawnOptions in(const Project& project) {
  SpawnOptions options;
  options.cwd = project.dir();
  options.env["NO_COLOR"] = "1";
  options.unset_env = {"RETORT_URL", "DATABASE_URL"};
  options.timeout = std::chrono::seconds(60);
  return options;
}

std::string describe(const ProcessResult& result) {
  std::ostringstream out;
  out << "exit " << result.exit_code << ", signal " << result.signal << "\n--- stdout:\n"
      << result.out << "--- stderr:\n"
      << result.err << "---";
  return out.str();
}

bool holds(Project& project, const std::string& expression) {
  try {
    const driver::Rows rows = project.db().query("SELECT (" + expression + ")::text");
    return rows.size() == 1 && rows.rows[0][0] == std::optional<std::string>("true");
  } catch (const driver::DatabaseError&) {
    return false;  // the table or column it reads does not exist (yet)
  }
}

struct LedgerRow {
  long long id = 0;
  std::string revision;
  std::string direction;
  std::string status;
  int done = 0;
  int total = 0;
  std::string error;
};

std::vector<LedgerRow> read_ledger(Project& project) {
  std::vector<LedgerRow> out;
  if (!holds(project, table_exists("retort_log"))) {
    return out;
  }
  for (const auto& row :
       project.db()
           .query("SELECT id, revision, direction, status, statements_done, statements_total, "
                  "coalesce(error, '') FROM retort_log ORDER BY id")
           .rows) {
    out.push_back({std::stoll(row[0].value_or("0")), row[1].value_or(""), row[2].value_or(""),
                   row[3].value_or(""), std::stoi(row[4].value_or("0")),
                   std::stoi(row[5].value_or("0")), row[6].value_or("")});
  }
  return out;
}

std::string ledger_text(const std::vector<LedgerRow>& ledger) {
  std::string out = "ledger (id revision direction status done/total error):\n";
  for (const LedgerRow& row : ledger) {
    out += "  " + std::to_string(row.id) + " " + row.revision + " " + row.direction + " " +
           row.status + " " + std::to_string(row.done) + "/" + std::to_string(row.total) +
           (row.error.empty() ? "" : " " + row.error) + "\n";
  }
  return out;
}

Strings version_rows(Project& project) {
  Strings rows = project.version_rows();
  if (rows == Strings{"<no version table>"}) {
    return {};
  }
  return rows;
}

// What a user compares between two databases: every relation, column (type, NOT NULL,
// default), index (with validity), constraint, view, enum and comment of the schema, and each
// table's rows (count and digest). retort's own tables are left out.
std::string snapshot(Project& project) {
  const std::string catalog = R"sql(
    WITH rel AS (
      SELECT c.oid, c.relname, c.relkind FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname NOT LIKE 'retort\_%'
    )
    SELECT 'relation ' || relname || ' kind ' || relkind::text FROM rel
    UNION ALL
    SELECT 'column ' || r.relname || '.' || a.attname || ' ' ||
           format_type(a.atttypid, a.atttypmod) ||
           CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END ||
           coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE r.relkind IN ('r', 'v', 'm')
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) ||
           CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
    FROM pg_index i JOIN rel r ON r.oid = i.indrelid
    UNION ALL
    SELECT 'constraint ' || r.relname || '.' || c.conname || ' ' || pg_get_constraintdef(c.oid) ||
           CASE WHEN c.convalidated THEN '' ELSE ' NOT VALID' END
    FROM pg_constraint c JOIN rel r ON r.oid = c.conrelid
    UNION ALL
    SELECT 'view ' || r.relname || ': ' || pg_get_viewdef(r.oid) FROM rel r
    WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'type ' || t.typname || ' ' ||
           (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
            WHERE e.enumtypid = t.oid)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype = 'e'
    UNION ALL
    SELECT 'comment ' || r.relname || ': ' || obj_description(r.oid, 'pg_class') FROM rel r
    WHERE obj_description(r.oid, 'pg_class') IS NOT NULL
    ORDER BY 1)sql";
  std::string out;
  for (const std::string& line : project.query_rows(catalog)) {
    out += line + "\n";
  }
  for (const std::string& table : project.query_rows(
           "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
           "n.nspname = 'public' AND c.relkind IN ('r', 'm') AND c.relname NOT LIKE 'retort\\_%' "
           "ORDER BY 1")) {
    for (const std::string& digest :
         project.query_rows("SELECT count(*) || ' rows, md5 ' || coalesce(md5(string_agg(t::text, "
                            "E'\\n' ORDER BY t::text)), '-') FROM \"" +
                            table + "\" t")) {
      out += "data " + table + ": " + digest + "\n";
    }
  }
  return out;
}

Strings invalid_indexes(Project& project) {
  return project.query_rows(
      "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN "
      "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT i.indisvalid "
      "ORDER BY 1");
}

// `pg_dump --schema-only` without the ledger (its rows are history, not schema), normalised:
// the \restrict lines of newer pg_dump releases carry a random key.
std::string schema_dump(const Project& project) {
  SpawnOptions options;
  options.timeout = std::chrono::seconds(60);
  const ProcessResult dump =
      run({(PostgresServer::instance().bin_dir() / "pg_dump").string(), "--schema-only",
           "--no-owner", "--exclude-table=retort_log", "-d", project.config().url},
          options);
  EXPECT_EQ(dump.exit_code, 0) << "pg_dump failed: " << describe(dump);
  std::istringstream in(dump.out);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) {
      continue;
    }
    out += line + "\n";
  }
  return out;
}

// The killed runner's server sessions: a statement they were running goes on after the client
// died (PostgreSQL notices only when it next talks to the client), and a CREATE INDEX
// CONCURRENTLY in autocommit even commits. Either they are ended, as when the database drops a
// dead machine's connections, or awaited, as when they end by themselves; or, before either,
// the next runner starts at once (as a Job's retry or the next replica does), and must wait for
// them or refuse rather than run beside them.
enum class Settle { terminate, wait, next_runner_at_once };

void settle(Project& project, Settle how) {
  const std::string others =
      "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND "
      "backend_type = 'client backend'";
  if (how == Settle::terminate) {
    (void)project.query_rows("SELECT pg_terminate_backend(pid) " + others);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (project.query_rows("SELECT count(*) " + others) != Strings{"0"}) {
    if (Clock::now() > deadline) {
      ADD_FAILURE() << "the killed runner's sessions did not end within 30s: "
                    << ::testing::PrintToString(project.query_rows(
                           "SELECT pid || ' ' || state || ' ' || query " + others));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// ---- The checks after a kill ----

struct Observed {
  std::size_t applied = 0;  // revisions in the version table's ancestry (linear history)
  bool at_head = false;
  // The first pending revision is `transaction false` and some of its statements ran: only
  // `--resume` (or a hand fix) goes on from here.
  bool partial = false;
  std::string where;  // "f03tiers 4/8 running", for the coverage summary
};

class FaultInjection {
 public:
  FaultInjection(std::vector<Migration> history, unsigned seed)
      : m_history(std::move(history)), m_rng(seed) {
    for (std::size_t rev_idx = 0; rev_idx < m_history.size(); ++rev_idx) {
      m_index[m_history[rev_idx].revision] = rev_idx;
    }
  }

  void run(int kills);

 private:
  void measure_clean_run();
  void new_cycle(bool fresh);
  Observed check_state(const std::string& context);
  void check_doctor(const std::vector<LedgerRow>& ledger, const Strings& invalid);
  [[nodiscard]] bool check_at_head(const std::string& context);
  [[nodiscard]] std::chrono::milliseconds remaining_ms(std::size_t applied) const;
  [[nodiscard]] std::vector<LedgerRow> this_cycle(const std::vector<LedgerRow>& ledger) const;
  [[nodiscard]] int failures() const {
    return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
  }

  std::vector<Migration> m_history;
  std::map<std::string, std::size_t> m_index;
  std::mt19937 m_rng;
  std::unique_ptr<Project> m_clean;
  std::unique_ptr<Project> m_project;
  Strings m_snapshots;  // after 0..N revisions, from a database stepped one revision at a time
  std::string m_clean_dump;
  std::vector<std::int64_t> m_duration_ms;  // per revision, from the clean run's ledger
  std::int64_t m_startup_ms = 0;
  long long m_cycle_first_id = 0;  // ledger rows of the current cycle have larger ids
  int m_cycles = 0;
  int m_databases = 0;
  // What the run saw, printed at the end: how the kills were spread.
  std::map<std::string, int> m_left_at;  // where the landed kills left the database
  int m_landed = 0;
  int m_missed = 0;
  int m_resumes = 0;
  int m_refusals = 0;
  int m_invalid_seen = 0;
  int m_heads_reached = 0;
  int m_at_once = 0;  // kills after which the next runner started at once
};

std::vector<LedgerRow> FaultInjection::this_cycle(const std::vector<LedgerRow>& ledger) const {
  std::vector<LedgerRow> out;
  std::copy_if(ledger.begin(), ledger.end(), std::back_inserter(out),
               [this](const LedgerRow& row) { return row.id > m_cycle_first_id; });
  return out;
}

std::chrono::milliseconds FaultInjection::remaining_ms(std::size_t applied) const {
  std::int64_t total = m_startup_ms;
  for (std::size_t rev_idx = applied; rev_idx < m_history.size(); ++rev_idx) {
    total += m_duration_ms[rev_idx];
  }
  return std::chrono::milliseconds(total);
}

void FaultInjection::measure_clean_run() {
  // The reference: a database migrated once, cleanly, to head.
  m_clean = make_project(m_history, "fault_clean");
  const auto started = Clock::now();
  const ProcessResult clean = run_retort({"upgrade", "head"}, in(*m_clean));
  const std::int64_t wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  ASSERT_EQ(clean.exit_code, 0) << "a clean run must reach head: " << describe(clean);
  m_duration_ms.assign(m_history.size(), 0);
  std::int64_t steps_ms = 0;
  for (const std::string& row : m_clean->query_rows(
           "SELECT revision || '|' || duration_ms FROM retort_log WHERE status = 'ok'")) {
    const std::string revision = row.substr(0, row.find('|'));
    const std::int64_t duration = std::stoll(row.substr(row.find('|') + 1));
    m_duration_ms[m_index.at(revision)] = duration;
    steps_ms += duration;
  }
  m_startup_ms = std::max<std::int64_t>(5, wall_ms - steps_ms);
  m_clean_dump = schema_dump(*m_clean);
  ASSERT_NE(m_clean_dump.find("CREATE TABLE public.accounts"), std::string::npos) << m_clean_dump;

  // The expected schema after each revision, from a database stepped one revision at a time;
  // it then goes back to base, which checks every downgrade section.
  m_project = make_project(m_history, "fault_killed");
  ++m_databases;
  m_snapshots.push_back(snapshot(*m_project));
  for (const Migration& migration : m_history) {
    const ProcessResult step = run_retort({"upgrade", migration.revision}, in(*m_project));
    ASSERT_EQ(step.exit_code, 0) << describe(step);
    m_snapshots.push_back(snapshot(*m_project));
  }
  ASSERT_EQ(m_snapshots.back(), snapshot(*m_clean))
      << "one revision at a time must give what one run gives";
  ASSERT_EQ(schema_dump(*m_project), m_clean_dump);
  const ProcessResult down = run_retort({"downgrade", "base"}, in(*m_project));
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  ASSERT_EQ(snapshot(*m_project), m_snapshots.front()) << "downgrade base must leave nothing";
  std::cout << "[ fault    ] clean run " << wall_ms << " ms (startup ~" << m_startup_ms
            << " ms; per revision:";
  for (std::size_t rev_idx = 0; rev_idx < m_history.size(); ++rev_idx) {
    std::cout << " " << m_history[rev_idx].revision << " " << m_duration_ms[rev_idx];
  }
  std::cout << ")\n";
}

void FaultInjection::new_cycle(bool fresh) {
  ++m_cycles;
  if (fresh) {
    m_project = make_project(m_history, "fault_killed");
    ++m_databases;
    m_cycle_first_id = 0;
    return;
  }
  const ProcessResult down = run_retort({"downgrade", "base"}, in(*m_project));
  EXPECT_EQ(down.exit_code, 0) << "downgrade base after head: " << describe(down);
  EXPECT_EQ(snapshot(*m_project), m_snapshots.front()) << "downgrade base must leave nothing";
  const std::vector<LedgerRow> ledger = read_ledger(*m_project);
  m_cycle_first_id = ledger.empty() ? 0 : ledger.back().id;
}

Observed FaultInjection::check_state(const std::string& context) {
  SCOPED_TRACE(context);
  Observed seen;
  const Strings versions = version_rows(*m_project);
  const std::vector<LedgerRow> ledger = read_ledger(*m_project);
  const std::vector<LedgerRow> cycle = this_cycle(ledger);
  const std::string state = ::testing::PrintToString(versions) + "\n" + ledger_text(ledger);
  SCOPED_TRACE("version table " + state);

  // The version table: at most one row (a linear history), naming a revision of the files.
  EXPECT_LE(versions.size(), 1U) << "a linear history has one head";
  if (!versions.empty()) {
    const auto found = m_index.find(versions.front());
    if (found == m_index.end()) {
      ADD_FAILURE() << "the version table names " << versions.front() << ", which no file declares";
      return seen;
    }
    seen.applied = found->second + 1;
  }
  seen.at_head = seen.applied == m_history.size();

  // The ledger of this cycle agrees with the version table: each applied revision's newest row
  // says ok, nothing beyond the first pending revision was started, and the statement counts
  // are the files'.
  std::map<std::string, LedgerRow> newest;
  for (const LedgerRow& row : cycle) {
    newest[row.revision] = row;
    const auto found = m_index.find(row.revision);
    if (found == m_index.end()) {
      ADD_FAILURE() << "a ledger row for an unknown revision " << row.revision;
      continue;
    }
    EXPECT_EQ(row.direction, "upgrade") << "only upgrades run in a cycle";
    EXPECT_EQ(row.total, static_cast<int>(m_history[found->second].statements.size()))
        << "statements_total of ledger row " << row.id;
    EXPECT_LE(found->second, seen.applied) << "ledger row " << row.id << " for " << row.revision
                                           << ", beyond the first pending revision";
    EXPECT_TRUE(row.status == "ok" || row.status == "running" || row.status == "failed")
        << row.status;
  }
  for (std::size_t rev_idx = 0; rev_idx < seen.applied; ++rev_idx) {
    const auto row = newest.find(m_history[rev_idx].revision);
    if (row == newest.end()) {
      ADD_FAILURE() << m_history[rev_idx].revision
                    << " is in the version table's ancestry, but no run of this cycle applied it";
    } else {
      EXPECT_EQ(row->second.status, "ok")
          << m_history[rev_idx].revision << " is in the version table's ancestry";
    }
  }

  // The schema: everything of each applied revision is there; nothing of any revision after the
  // first pending one; of the first pending one, nothing when it is transactional, and exactly
  // the statements the ledger counts when it is not (the one after them, when it is a
  // concurrent index build, may or may not have run).
  bool exact = true;  // the schema must then be exactly that of the version table's revision
  for (std::size_t rev_idx = 0; rev_idx < m_history.size(); ++rev_idx) {
    const Migration& migration = m_history[rev_idx];
    int done = 0;
    bool in_doubt = false;
    if (rev_idx == seen.applied && !migration.transactional) {
      const auto row = newest.find(migration.revision);
      if (row != newest.end()) {
        EXPECT_NE(row->second.status, "ok")
            << migration.revision << " is recorded ok but the version table does not include it";
        done = row->second.done;
        in_doubt = static_cast<std::size_t>(done) < migration.statements.size() &&
                   migration.statements[static_cast<std::size_t>(done)].alone();
        seen.partial = done > 0;
        seen.where = migration.revision + " " + std::to_string(done) + "/" +
                     std::to_string(migration.statements.size()) + " " + row->second.status;
        exact = done == 0 && !in_doubt;
      }
    } else if (rev_idx == seen.applied) {
      const auto row = newest.find(migration.revision);
      seen.where =
          migration.revision + (row == newest.end() ? " no row" : " " + row->second.status);
    }
    for (std::size_t stmt_idx = 0; stmt_idx < migration.statements.size(); ++stmt_idx) {
      const Statement& statement = migration.statements[stmt_idx];
      if (in_doubt && stmt_idx == static_cast<std::size_t>(done)) {
        continue;
      }
      const bool expected =
          rev_idx < seen.applied || (rev_idx == seen.applied && !migration.transactional &&
                                     stmt_idx < static_cast<std::size_t>(done));
      for (const std::string& effect : statement.effects) {
        EXPECT_EQ(holds(*m_project, effect), expected)
            << (expected ? "missing" : "present, but should not be") << ": " << effect
            << "\n  revision " << migration.revision << " statement " << stmt_idx + 1 << " ("
            << statement.sql << ")";
      }
    }
  }
  if (seen.at_head) {
    seen.where = "head";
  }
  if (exact) {
    EXPECT_EQ(snapshot(*m_project), m_snapshots[seen.applied])
        << "the schema and data must be exactly those after "
        << (seen.applied == 0 ? std::string("base") : m_history[seen.applied - 1].revision);
  }

  const Strings invalid = invalid_indexes(*m_project);
  if (!invalid.empty()) {
    ++m_invalid_seen;
  }
  check_doctor(ledger, invalid);
  return seen;
}

// doctor tells the truth: every runner that stopped mid-migration is named (interrupted for a
// transactional one or one that stopped before its first statement committed, interrupted-partial
// for a `transaction false` one after some statements), every failed or partial
// run, every INVALID index, nothing else; --resume is its advice exactly when a migration is
// partially applied; it exits 1 exactly when an error-level finding is there.
void FaultInjection::check_doctor(const std::vector<LedgerRow>& ledger, const Strings& invalid) {
  const ProcessResult doctor = run_retort({"doctor", "--json"}, in(*m_project));
  SCOPED_TRACE("retort doctor --json: " + describe(doctor));
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(doctor.out);
  } catch (const nlohmann::json::exception& error) {
    ADD_FAILURE() << "doctor --json printed no JSON document: " << error.what();
    return;
  }
  // What doctor must say, from the ledger: the newest row of each revision that is not ok.
  std::map<std::string, LedgerRow> newest;
  for (const LedgerRow& row : ledger) {
    newest[row.revision] = row;
  }
  struct Expected {
    std::string code;
    std::string needle;
  };
  std::vector<Expected> expected;
  bool partial = false;
  for (const auto& [revision, row] : newest) {
    if (row.status == "ok") {
      continue;
    }
    const bool transactional = m_history[m_index.at(revision)].transactional;
    if (row.status == "running") {
      // Nothing of a `transaction false` step committed before its first statement: that is
      // a plain interruption, which the next plain run starts again.
      expected.push_back({transactional || row.done == 0 ? "interrupted" : "interrupted-partial",
                          "upgrade " + revision + " was interrupted"});
    } else if (!transactional && row.done > 0) {
      expected.push_back({"partial-migration", "upgrade " + revision + " is partially applied"});
    } else {
      expected.push_back({"failed-migration", "the last upgrade " + revision + " "});
    }
    partial = partial || (!transactional && row.done > 0);
  }
  for (const std::string& index : invalid) {
    expected.push_back({"invalid-index", "index public." + index + " on "});
  }

  bool any_error = false;
  bool advises_resume = false;
  std::vector<bool> matched(expected.size(), false);
  for (const auto& finding : document.value("findings", nlohmann::json::array())) {
    const std::string code = finding.value("code", "");
    const std::string message = finding.value("message", "");
    const std::string fix = finding.value("fix", "");
    any_error = any_error || finding.value("level", "") == "error";
    advises_resume = advises_resume || fix.find("--resume") != std::string::npos;
    bool known = false;
    for (std::size_t exp_idx = 0; exp_idx < expected.size(); ++exp_idx) {
      if (code == expected[exp_idx].code &&
          message.find(expected[exp_idx].needle) != std::string::npos) {
        matched[exp_idx] = true;
        known = true;
      }
    }
    EXPECT_TRUE(known) << "doctor reports what is not so: " << code << ": " << message;
    if (code == "interrupted-partial" || code == "partial-migration") {
      EXPECT_EQ(finding.value("level", ""), "error") << code;
    }
  }
  for (std::size_t exp_idx = 0; exp_idx < expected.size(); ++exp_idx) {
    EXPECT_TRUE(matched[exp_idx]) << "doctor does not report " << expected[exp_idx].code << " ("
                                  << expected[exp_idx].needle << ")";
  }
  EXPECT_EQ(doctor.exit_code, any_error ? 1 : 0) << "doctor exits 1 while an error remains";
  EXPECT_EQ(document.value("ok", !any_error), !any_error);
  EXPECT_EQ(advises_resume, partial)
      << (partial ? "a partially applied migration needs `retort upgrade --resume`, and doctor "
                    "does not say so"
                  : "doctor advises --resume, but no migration is partially applied, so "
                    "`retort upgrade --resume` refuses with `nothing to resume`; `retort "
                    "upgrade` is what goes on from here");
}

bool FaultInjection::check_at_head(const std::string& context) {
  SCOPED_TRACE(context);
  const int before = failures();
  EXPECT_EQ(version_rows(*m_project), Strings{m_history.back().revision});
  EXPECT_EQ(snapshot(*m_project), m_snapshots.back())
      << "the killed and recovered database must have the schema and data of a clean run";
  EXPECT_EQ(invalid_indexes(*m_project), Strings{});
  const ProcessResult doctor = run_retort({"doctor", "--json"}, in(*m_project));
  EXPECT_EQ(doctor.exit_code, 0) << describe(doctor);
  try {
    const nlohmann::json document = nlohmann::json::parse(doctor.out);
    EXPECT_EQ(document.value("findings", nlohmann::json::array()).size(), 0U)
        << "doctor at head after recovery: " << describe(doctor);
  } catch (const nlohmann::json::exception& error) {
    ADD_FAILURE() << "doctor --json printed no JSON document: " << error.what() << "\n"
                  << describe(doctor);
  }
  ++m_heads_reached;
  return failures() == before;
}

void FaultInjection::run(int kills) {
  measure_clean_run();
  if (::testing::Test::HasFatalFailure()) {
    return;
  }
  m_cycles = 1;
  m_cycle_first_id = 0;
  {
    const std::vector<LedgerRow> ledger = read_ledger(*m_project);
    m_cycle_first_id = ledger.empty() ? 0 : ledger.back().id;
  }

  Observed state;  // after `downgrade base`: nothing applied, nothing partial
  int failed_iterations = 0;
  bool stopped = false;
  std::bernoulli_distribution coin(0.5);
  for (int kill_idx = 1; kill_idx <= kills; ++kill_idx) {
    const int failures_before = failures();
    // The command a user runs now: --resume for a partial migration (after, half the time,
    // seeing `retort upgrade` refuse to go on past it), else `retort upgrade head`.
    Strings args{"upgrade", "head"};
    std::string refused;
    if (state.partial) {
      args = {"upgrade", "--resume"};
      ++m_resumes;
      if (coin(m_rng)) {
        const Strings before = version_rows(*m_project);
        const ProcessResult plain = run_retort({"upgrade", "head"}, in(*m_project));
        ++m_refusals;
        refused = "; first `retort upgrade head` (refused): " + describe(plain);
        EXPECT_EQ(plain.exit_code, 1) << "kill " << kill_idx << ": " << describe(plain);
        EXPECT_NE(plain.err.find("is partially applied; retort runs nothing else until you "
                                 "decide"),
                  std::string::npos)
            << describe(plain);
        EXPECT_NE(plain.err.find("next: retort upgrade --resume"), std::string::npos)
            << describe(plain);
        EXPECT_EQ(version_rows(*m_project), before) << "a refused run changes nothing";
      }
    }
    const auto limit = remaining_ms(state.applied) * 115 / 100;
    std::uniform_int_distribution<std::int64_t> delay_dist(0, limit.count());
    const std::chrono::milliseconds delay(delay_dist(m_rng));
    // Two in five terminate, two in five wait, one in five starts the next runner at once.
    const int draw = std::uniform_int_distribution<int>(0, 4)(m_rng);
    const Settle how = draw < 2   ? Settle::terminate
                       : draw < 4 ? Settle::wait
                                  : Settle::next_runner_at_once;

    Strings argv{retort_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Process runner(argv, in(*m_project));
    std::this_thread::sleep_for(delay);
    runner.kill(SIGKILL);
    const ProcessResult result = runner.wait();
    const bool landed = result.signal == SIGKILL;
    std::string racer;
    if (how == Settle::next_runner_at_once) {
      // The same command again, while the killed runner's statement may still run: it waits
      // for that statement, then goes on or stops at a partial step with --resume as advice.
      // It is not killed; what it leaves is checked below like any other state.
      ++m_at_once;
      const ProcessResult next = run_retort(args, in(*m_project));
      racer = "; then at once `retort " + args[0] + " " + args[1] + "`: " + describe(next);
      const bool refused_partial =
          next.exit_code == 1 && next.err.find("retort upgrade --resume") != std::string::npos;
      // A --resume whose killed run had got past the partial step has nothing to resume.
      const bool nothing_to_resume = next.exit_code == 2 && args[1] == "--resume" &&
                                     next.err.find("error: nothing to resume") != std::string::npos;
      EXPECT_TRUE(next.exit_code == 0 || refused_partial || nothing_to_resume)
          << "kill " << kill_idx << ": the next runner started at once must finish, or stop at "
          << "a partial step advising --resume" << racer;
      settle(*m_project, Settle::wait);
    } else {
      settle(*m_project, how);
    }

    const std::string context =
        "kill " + std::to_string(kill_idx) + " of " + std::to_string(kills) + " (cycle " +
        std::to_string(m_cycles) + "): `retort " + args[0] + " " + args[1] + "` killed after " +
        std::to_string(delay.count()) + " ms (drawn from 0.." + std::to_string(limit.count()) +
        " ms), sessions " +
        (how == Settle::terminate ? "terminated"
         : how == Settle::wait    ? "awaited"
                                  : "left running" + racer) +
        (landed ? "" : "; it had exited before the kill") + "; from " +
        (state.where.empty() ? "base" : state.where) + refused + "\nthe run: " + describe(result);
    if (landed) {
      ++m_landed;
    } else {
      ++m_missed;
      EXPECT_EQ(result.exit_code, 0) << context;
    }
    state = check_state(context);
    if (landed) {
      ++m_left_at[state.where.empty() ? "base" : state.where];
    }
    if (!landed) {
      EXPECT_TRUE(state.at_head) << "a run that ended by itself reached head: " << context;
    }

    bool reset = failures() != failures_before;
    if (!reset && state.at_head) {
      reset = !check_at_head(context);
      if (!reset) {
        const bool fresh = m_cycles % k_fresh_database_every == 0;
        new_cycle(fresh);
        state = Observed{};
        reset = failures() != failures_before;
      }
    }
    if (reset) {
      if (++failed_iterations >= k_max_failed_iterations) {
        ADD_FAILURE() << "stopping after " << failed_iterations << " failed iterations";
        stopped = true;
        break;
      }
      // Go on from a clean slate, so that one failure does not cascade into the next kills.
      new_cycle(true);
      state = Observed{};
    }
  }

  // The last run is not killed: the advised command must reach head.
  for (int attempt = 0; attempt < 3 && !state.at_head && !stopped; ++attempt) {
    const ProcessResult last =
        run_retort(state.partial ? Strings{"upgrade", "--resume"} : Strings{"upgrade", "head"},
                   in(*m_project));
    EXPECT_EQ(last.exit_code, 0) << "the final, unkilled run: " << describe(last);
    state = check_state("after the final, unkilled run: " + describe(last));
  }
  if (!stopped) {
    EXPECT_TRUE(state.at_head);
    EXPECT_TRUE(check_at_head("at the end"));
    EXPECT_EQ(schema_dump(*m_project), m_clean_dump)
        << "pg_dump --schema-only of the killed and recovered database must equal a clean run's";
  }

  std::cout << "[ fault    ] " << m_landed << " kills landed mid-run, " << m_missed
            << " after the run had ended; " << m_cycles << " cycles base..head over " << m_databases
            << " databases; heads reached " << m_heads_reached << "; --resume " << m_resumes
            << " times (" << m_refusals << " after a refused plain upgrade); " << m_at_once
            << " times the next runner started at once; " << m_invalid_seen
            << " states with an INVALID index\n[ fault    ] the kills left the database at:";
  for (const auto& [where, count] : m_left_at) {
    std::cout << " [" << where << "] " << count;
  }
  std::cout << "\n";
  EXPECT_GT(m_landed, kills / 2) << "most kills must land while retort runs";
}

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value ? std::atoi(value) : fallback;
}

TEST(FaultInjectionTest, SigkillAtRandomMomentsLeavesATruthfulStateAndTheAdvisedRerunReachesHead) {
  const unsigned seed = static_cast<unsigned>(
      env_int("RETORT_FAULT_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  const int kills = env_int("RETORT_FAULT_KILLS", k_default_kills);
  std::cout << "[ fault    ] seed " << seed << " (RETORT_FAULT_SEED=" << seed << " reproduces it), "
            << kills << " kills\n";
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (rerun with RETORT_FAULT_SEED=" + std::to_string(seed) + ")");
  FaultInjection test(make_history(), seed);
  test.run(kills);
}

}  // namespace
}  // namespace retort::test
