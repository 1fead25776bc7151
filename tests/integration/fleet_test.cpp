// `retort fleet` through the binary against real tenants: schemas of one PostgreSQL database,
// PostgreSQL databases of their own, SQLite files. What a user checks: each tenant's version
// table and ledger in its own schema or database, the exit code, the words of the report.
//
// Sized for the default run (30 schemas, 4 databases, 5 files); RETORT_FLEET_FULL=1 (the
// `fleet_full` test, label slow) runs the 300, 20 and 50, divided by
// RETORT_FLEET_DIVISOR when set (CI).
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

using Json = nlohmann::json;

bool full_size() {
  const char* full = std::getenv("RETORT_FLEET_FULL");
  return full != nullptr && std::string(full) == "1";
}

// RETORT_FLEET_DIVISOR (CI's reduced run of fleet_full) divides the sizes, never below
// the default run's.
int sized(int ci, int full) {
  if (!full_size()) {
    return ci;
  }
  const char* divisor = std::getenv("RETORT_FLEET_DIVISOR");
  const int by = divisor != nullptr ? std::max(1, std::atoi(divisor)) : 1;
  return std::max(ci, full / by);
}

std::string tenant_name(int n) { return fmt::format("tenant_{:03}", n); }

// Three revisions, written unqualified: they land in whatever schema the search_path puts
// first, the tenant's.
void add_history(Project& project) {
  project.add({"a1",
               {},
               "CREATE TABLE accounts (id bigint PRIMARY KEY);",
               "DROP TABLE accounts;",
               {},
               "accounts"});
  project.add({"a2",
               {"a1"},
               "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES "
               "accounts);",
               "DROP TABLE orders;",
               {},
               "orders"});
  project.add({"a3",
               {"a2"},
               "ALTER TABLE accounts ADD COLUMN name text;",
               "ALTER TABLE accounts DROP COLUMN name;",
               {},
               "account names"});
}

void create_schemas(Project& project, int count) {
  std::string sql;
  for (int n = 0; n < count; ++n) {
    sql += fmt::format("CREATE SCHEMA {};", tenant_name(n));
  }
  project.db().execute(sql);
}

// schema -> its version table's rows, '+'-joined ("" when it has none or no table).
std::map<std::string, std::string> schema_versions(Project& project, int count) {
  std::map<std::string, std::string> out;
  for (int n = 0; n < count; ++n) {
    const std::string schema = tenant_name(n);
    const std::vector<std::string> exists = project.query_rows(
        fmt::format("SELECT to_regclass('{}.retort_version') IS NOT NULL", schema));
    out[schema] = "";
    if (exists.at(0) == "t") {
      const std::vector<std::string> rows = project.query_rows(fmt::format(
          "SELECT coalesce(string_agg(version_num, '+'), '') FROM {}.retort_version", schema));
      out[schema] = rows.at(0);
    }
  }
  return out;
}

std::map<std::string, int> ledger_counts(Project& project, int count) {
  std::map<std::string, int> out;
  for (int n = 0; n < count; ++n) {
    const std::string schema = tenant_name(n);
    const auto rows = project.query_rows(
        fmt::format("SELECT count(*) FROM {}.retort_log WHERE status = 'ok'", schema));
    out[schema] = std::stoi(rows.at(0));
  }
  return out;
}

Json parse(const ProcessResult& result) {
  try {
    return Json::parse(result.out);
  } catch (const Json::exception& error) {
    ADD_FAILURE() << "stdout is not one JSON document: " << error.what() << "\n" << shown(result);
    return Json::object();
  }
}

const Json* tenant_in(const Json& report, const std::string& id) {
  for (const Json& tenant : report.at("tenants")) {
    if (tenant.at("id") == id) {
      return &tenant;
    }
  }
  return nullptr;
}

// ---- Schema-per-tenant ----

TEST(FleetTest, SchemaTenantsReachHeadOneConflictFailsAloneAndTheRerunTouchesOnlyIt) {
  Project project(Backend::postgres, "fleet_schemas");
  add_history(project);
  const int count = sized(30, 300);
  create_schemas(project, count);
  // One tenant already has a table the second revision creates.
  const std::string bad = tenant_name(7);
  project.db().execute(fmt::format("CREATE TABLE {}.orders (id int)", bad));
  write_config(project, "[retort.fleet]\nschemas = \"tenant_%\"\n");

  const auto started = std::chrono::steady_clock::now();
  const ProcessResult run = retort(project, {"fleet", "upgrade", "head", "--concurrency", "8"}, {},
                                   std::chrono::seconds(600));
  const auto wall = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.exit_code, 1) << shown(run);
  EXPECT_TRUE(has(run.out, bad + "  failed")) << shown(run);
  EXPECT_TRUE(has(run.out, "SQLSTATE 42P07"));
  EXPECT_TRUE(has(run.out, "a2_change.sql:"));
  EXPECT_TRUE(has(run.out, fmt::format("{} applied, 1 failed", count - 1)));
  EXPECT_TRUE(has(run.out, "Next: retort fleet upgrade head --only failed,pending"));

  std::map<std::string, std::string> versions = schema_versions(project, count);
  for (const auto& [schema, version] : versions) {
    EXPECT_EQ(version, schema == bad ? "a1" : "a3") << schema;
  }
  // Each tenant's tables in its own schema; nothing in public.
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM information_schema.tables WHERE "
                               "table_schema = 'public'"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM information_schema.columns WHERE "
                               "table_name = 'accounts' AND column_name = 'name'"),
            std::vector<std::string>{std::to_string(count - 1)});
  const std::map<std::string, int> ledgers = ledger_counts(project, count);
  EXPECT_EQ(ledgers.at(tenant_name(0)), 3);
  EXPECT_EQ(ledgers.at(bad), 1);

  // The rerun, after the operator dealt with the table: exactly that tenant.
  project.db().execute(fmt::format("DROP TABLE {}.orders", bad));
  const ProcessResult rerun =
      retort(project, {"--json", "fleet", "upgrade", "head", "--only", "failed,pending"});
  EXPECT_EQ(rerun.exit_code, 0) << shown(rerun);
  const Json report = parse(rerun);
  ASSERT_EQ(report.at("tenants").size(), 1U) << report.dump(2);
  EXPECT_EQ(report.at("tenants")[0].at("id"), bad);
  EXPECT_EQ(report.at("tenants")[0].at("status"), "applied");
  EXPECT_EQ(report.at("tenants")[0].at("from"), Json::array({"a1"}));
  EXPECT_EQ(report.at("tenants")[0].at("to"), Json::array({"a3"}));
  std::map<std::string, int> after = ledger_counts(project, count);
  for (const auto& [schema, ok_rows] : after) {
    EXPECT_EQ(ok_rows, schema == bad ? 3 : ledgers.at(schema)) << schema;
  }

  const ProcessResult check = retort(project, {"fleet", "check"});
  EXPECT_EQ(check.exit_code, 0) << shown(check);
  EXPECT_TRUE(has(check.out, fmt::format("{} current", count)));

  if (full_size()) {
    // Concurrency 8 against 1, on a fresh set of the same tenants.
    for (int n = 0; n < count; ++n) {
      project.db().execute(
          fmt::format("DROP SCHEMA {} CASCADE; CREATE SCHEMA {}", tenant_name(n), tenant_name(n)));
    }
    const auto one_started = std::chrono::steady_clock::now();
    const ProcessResult one = retort(project, {"fleet", "upgrade", "head", "--concurrency", "1"},
                                     {}, std::chrono::seconds(1200));
    const auto one_wall = std::chrono::steady_clock::now() - one_started;
    EXPECT_EQ(one.exit_code, 0) << shown(one);
    std::printf(
        "fleet of %d schemas: concurrency 8 %lld ms (with one failure), 1: %lld ms\n", count,
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()),
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(one_wall).count()));
  }
}

TEST(FleetTest, AFailingCanaryStopsTheRunBeforeAnyOtherTenant) {
  Project project(Backend::postgres, "fleet_canary");
  add_history(project);
  const int count = 6;
  create_schemas(project, count);
  project.db().execute(fmt::format("CREATE TABLE {}.orders (id int)", tenant_name(4)));
  write_config(project, "[retort.fleet]\nschemas = \"tenant_%\"\n");

  const ProcessResult run =
      retort(project, {"--json", "fleet", "upgrade", "head", "--canary-tenants", tenant_name(4)});
  EXPECT_EQ(run.exit_code, 1) << shown(run);
  const Json report = parse(run);
  EXPECT_EQ(report.at("stopped_because"), "canary tenant_004 failed");
  EXPECT_EQ(report.at("counts").at("stopped"), count - 1);
  EXPECT_EQ(tenant_in(report, tenant_name(4))->at("canary"), true);
  EXPECT_EQ(tenant_in(report, tenant_name(4))->at("sqlstate"), "42P07");
  const std::map<std::string, std::string> versions = schema_versions(project, count);
  for (const auto& [schema, version] : versions) {
    // The canary kept what ran before its failure; no other tenant has even a version table.
    EXPECT_EQ(version, schema == tenant_name(4) ? "a1" : "") << schema;
  }
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM information_schema.tables WHERE "
                               "table_schema LIKE 'tenant_%' AND table_schema <> 'tenant_004'"),
            std::vector<std::string>{"0"});

  // A healthy canary: the others follow.
  project.db().execute(fmt::format("DROP TABLE {}.orders", tenant_name(4)));
  const ProcessResult healthy = retort(project, {"fleet", "upgrade", "head", "--canary", "2"});
  EXPECT_EQ(healthy.exit_code, 0) << shown(healthy);
  EXPECT_TRUE(has(healthy.out, "tenant_000 (canary)  applied"));
  for (const auto& [schema, version] : schema_versions(project, count)) {
    EXPECT_EQ(version, "a3") << schema;
  }
}

TEST(FleetTest, TwoRunnersOnTheSameTenantsApplyEachRevisionOnceAndDisjointShardsCoverAll) {
  Project project(Backend::postgres, "fleet_race");
  add_history(project);
  const int count = 12;
  create_schemas(project, count);
  write_config(project, "[retort.fleet]\nschemas = \"tenant_%\"\n");

  {
    Process first({retort_binary().string(), "fleet", "upgrade", "head", "--concurrency", "4"},
                  in(project));
    Process second({retort_binary().string(), "fleet", "upgrade", "head", "--concurrency", "4"},
                   in(project));
    const ProcessResult one = first.wait();
    const ProcessResult two = second.wait();
    EXPECT_EQ(one.exit_code, 0) << shown(one);
    EXPECT_EQ(two.exit_code, 0) << shown(two);
  }
  for (const auto& [schema, ok_rows] : ledger_counts(project, count)) {
    EXPECT_EQ(ok_rows, 3) << schema << ": every revision applied once";
  }

  // Shards: back to base, then two disjoint shards at once reach every tenant once.
  const ProcessResult down = retort(project, {"fleet", "downgrade", "base"});
  EXPECT_EQ(down.exit_code, 0) << shown(down);
  Process shard0({retort_binary().string(), "--json", "fleet", "upgrade", "head", "--shard", "0/2"},
                 in(project));
  Process shard1({retort_binary().string(), "--json", "fleet", "upgrade", "head", "--shard", "1/2"},
                 in(project));
  const ProcessResult zero = shard0.wait();
  const ProcessResult one = shard1.wait();
  EXPECT_EQ(zero.exit_code, 0) << shown(zero);
  EXPECT_EQ(one.exit_code, 0) << shown(one);
  std::multiset<std::string> reached;
  for (const ProcessResult* result : {&zero, &one}) {
    const Json report = parse(*result);
    for (const Json& tenant : report.at("tenants")) {
      EXPECT_EQ(tenant.at("status"), "applied") << tenant.dump();
      reached.insert(tenant.at("id").get<std::string>());
    }
  }
  EXPECT_EQ(reached.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(std::set<std::string>(reached.begin(), reached.end()).size(),
            static_cast<std::size_t>(count));
  for (const auto& [schema, version] : schema_versions(project, count)) {
    EXPECT_EQ(version, "a3") << schema;
  }
}

// ---- Database-per-tenant and SQLite files ----

TEST(FleetTest, DatabaseTenantsNeverHoldMoreConnectionsThanThePerHostCap) {
  Project project(Backend::postgres, "fleet_dbs");
  // A revision that takes a moment, so that tenants overlap while the sampler watches.
  project.add({"d1",
               {},
               "SELECT pg_sleep(0.3);\nCREATE TABLE things (id int);",
               "DROP TABLE things;",
               {},
               "things"});
  const int count = sized(4, 20);
  std::string tenants;
  std::vector<std::string> urls;
  for (int n = 0; n < count; ++n) {
    urls.push_back(PostgresServer::instance().create_database(fmt::format("fleet_db_{}", n)));
    tenants += fmt::format("db{} {}\n", n, urls.back());
  }
  std::ofstream(project.dir() / "tenants.txt") << "# id url\n" << tenants;
  write_config(project, "[retort.fleet]\ntenants_file = \"tenants.txt\"\nmax_per_host = 4\n");

  std::atomic<bool> done{false};
  std::atomic<int> most{0};
  std::string seen_at_most;  // the sampler's until joined
  std::thread sampler([&] {
    auto connection = driver::connect(base::parse_database_url(project.config().url).value());
    while (!done) {
      const driver::Rows rows = connection->query(
          "SELECT datname || ' ' || application_name || ' ' || coalesce(state, '') FROM "
          "pg_stat_activity WHERE application_name LIKE 'retort%' AND pid <> pg_backend_pid() AND "
          "datname LIKE "
          "'fleet_db_%'");
      if (static_cast<int>(rows.size()) > most) {
        most = static_cast<int>(rows.size());
        seen_at_most.clear();
        for (const auto& row : rows.rows) {
          seen_at_most += row.at(0).value_or("") + "\n";
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const ProcessResult run = retort(project, {"fleet", "upgrade", "head", "--concurrency", "8"}, {},
                                   std::chrono::seconds(600));
  done = true;
  sampler.join();
  EXPECT_EQ(run.exit_code, 0) << shown(run);
  EXPECT_LE(most.load(), 4) << "connections to the one server past max_per_host:\n" << seen_at_most;
  EXPECT_GE(most.load(), 2) << "the sampler saw no tenant run: the test proves nothing";
  for (const std::string& url : urls) {
    EXPECT_EQ(PostgresServer::instance().psql(url, "SELECT version_num FROM retort_version"),
              "d1\n");
  }
}

TEST(FleetTest, SqliteFileTenantsReachHeadAndAnUnreachableTenantIsSkippedWithTheReason) {
  Project project(Backend::sqlite, "fleet_files");
  add_history(project);
  const int count = sized(5, 50);
  std::string list;
  for (int n = 0; n < count; ++n) {
    list += fmt::format("\"f{}=sqlite:///{}\", ", n,
                        (project.dir() / fmt::format("t{}.db", n)).string());
  }
  const int port = free_loopback_port();
  list += fmt::format("\"gone=postgresql://nobody@127.0.0.1:{}/none?connect_timeout=2\"", port);
  write_config(project, "[retort.fleet]\ntenants = [" + list + "]\n");

  const ProcessResult run =
      retort(project, {"--json", "fleet", "upgrade", "head", "--concurrency", "8"});
  EXPECT_EQ(run.exit_code, 1) << shown(run);
  const Json report = parse(run);
  EXPECT_EQ(report.at("counts").at("applied"), count) << report.dump(2);
  const Json* gone = tenant_in(report, "gone");
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->at("status"), "skipped");
  EXPECT_TRUE(has(gone->at("reason").get<std::string>(), "connect")) << gone->dump();
  for (int n = 0; n < count; ++n) {
    auto file = driver::connect(
        base::parse_database_url("sqlite:///" + (project.dir() / fmt::format("t{}.db", n)).string())
            .value());
    const driver::Rows rows = file->query("SELECT version_num FROM retort_version");
    ASSERT_EQ(rows.size(), 1U) << "f" << n;
    EXPECT_EQ(rows.rows[0][0].value_or(""), "a3") << "f" << n;
  }
  const ProcessResult current = retort(project, {"fleet", "current"});
  EXPECT_EQ(current.exit_code, 1) << shown(current);
  EXPECT_TRUE(has(current.out, "gone  skipped"));
  EXPECT_TRUE(has(current.out, fmt::format("{} current, 1 skipped", count)));
}

}  // namespace
}  // namespace retort::test
