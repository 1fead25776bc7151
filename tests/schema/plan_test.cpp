// The planner against real PostgreSQL: for every fixture pair (fixtures/ and fixtures_plan/),
// both ways, the plan's steps applied as the command runs them (the transactional ones in one
// transaction, the online ones each alone) turn the old schema into the new one, and their
// undo turns it back; every statement passes lint but for what its step accepts.
#include "schema/plan.hpp"

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "fixture_pairs.hpp"
#include "harness/postgres_server.hpp"
#include "lint/analyzer.hpp"
#include "retort/error.hpp"
#include "schema/diff.hpp"
#include "schema/reader.hpp"
#include "script/migration_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace retort::schema {
namespace {

using test::fixture_pairs;
using test::read_text;

namespace fs = std::filesystem;

std::unique_ptr<driver::Connection> open(const std::string& url) {
  return driver::connect(base::parse_database_url(url).value());
}

// The databases of one pair, dropped when it is done.
class Databases {
 public:
  Databases() = default;
  Databases(const Databases&) = delete;
  Databases& operator=(const Databases&) = delete;
  ~Databases() {
    try {
      const auto admin = open(test::PostgresServer::instance().admin_url());
      for (const std::string& url : m_urls) {
        admin->execute("DROP DATABASE IF EXISTS \"" + url.substr(url.rfind('/') + 1) +
                       "\" WITH (FORCE)");
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "dropping a pair's databases: " << error.what();
    }
  }

  std::string load(const std::string& sql, const std::string& hint) {
    m_urls.push_back(test::PostgresServer::instance().create_database(hint));
    open(m_urls.back())->execute(sql);
    return m_urls.back();
  }

 private:
  std::vector<std::string> m_urls;
};

std::string lines_of(const Diff& diff) {
  std::string out;
  for (const Change& change : diff.changes) {
    out += change_line(change) + "\n";
    if (multi_line(change)) {
      out += unified_diff(change.before, change.after);
    }
  }
  return out;
}

std::string plan_text(const Plan& plan) {
  std::string out;
  for (const Step& step : plan.steps) {
    out +=
        std::string("-- ") + (step.phase == Phase::online ? "[online] " : "") + step.summary + "\n";
    for (const std::string& statement : step.up) {
      out += statement + "\n";
    }
    out += "--   down:\n";
    for (const std::string& statement : step.down) {
      out += "--   " + statement + "\n";
    }
  }
  return out;
}

// Runs statements as the revisions do: the transactional ones together in one transaction,
// an online one alone. Throws what the server says, with the statements.
void apply(driver::Connection& connection, const std::vector<const Step*>& steps, bool down) {
  std::string batch;
  auto flush = [&] {
    if (batch.empty()) {
      return;
    }
    try {
      connection.execute("BEGIN;\n" + batch + "COMMIT;");
    } catch (const std::exception& error) {
      connection.execute("ROLLBACK");
      throw std::runtime_error(std::string(error.what()) + "\nin the transaction:\n" + batch);
    }
    batch.clear();
  };
  for (const Step* step : steps) {
    const std::vector<std::string>& statements = down ? step->down : step->up;
    if (step->phase == Phase::transactional) {
      for (const std::string& statement : statements) {
        batch += statement + "\n";
      }
      continue;
    }
    flush();
    for (const std::string& statement : statements) {
      try {
        connection.execute(statement);
      } catch (const std::exception& error) {
        throw std::runtime_error(std::string(error.what()) + "\nin: " + statement);
      }
    }
  }
  flush();
}

PlanOptions every_hazard_allowed() {
  PlanOptions options;
  options.allow_hazards = {"PG105", "PG108", "PG203", "PG204", "PG206"};
  return options;
}

// Lints the plan as its two revisions: the transactional one, then the online one. Returns
// the error-level findings no step accepts.
std::vector<std::string> unaccepted_findings(const Plan& plan) {
  std::string transactional = "-- retort:revision aaa111\n\n-- retort:upgrade\n";
  std::string online =
      "-- retort:revision bbb222\n-- retort:transaction false\n\n-- retort:upgrade\n";
  bool any_tx = false;
  bool any_online = false;
  for (const Step& step : plan.steps) {
    for (const std::string& statement : step.up) {
      (step.phase == Phase::online ? online : transactional) += statement + "\n";
    }
    (step.phase == Phase::online ? any_online : any_tx) = true;
  }
  std::vector<script::ParsedMigration> parsed;
  if (any_tx) {
    parsed.push_back(script::parse_migration_text("versions/aaa111_plan.sql", transactional));
  }
  if (any_online) {
    parsed.push_back(script::parse_migration_text("versions/bbb222_plan.sql", online));
  }
  std::vector<const script::Migration*> migrations;
  for (script::ParsedMigration& one : parsed) {
    EXPECT_TRUE(one.problems.empty()) << one.problems.front().message;
    migrations.push_back(&one.migration);
  }
  lint::Context context;
  context.server_version = 15;
  context.lock_timeout = std::chrono::seconds(2);
  context.one_run = true;
  const lint::Outcome outcome = lint::Analyzer(context).run(migrations);
  std::vector<std::string> out;
  for (const lint::Finding& finding : outcome.findings) {
    if (finding.level != lint::Level::error) {
      continue;
    }
    bool accepted = false;
    for (const Step& step : plan.steps) {
      for (const std::string& statement : step.up) {
        const bool same =
            statement.find(finding.statement) != std::string::npos ||
            finding.statement.find(statement.substr(0, statement.size() - 1)) != std::string::npos;
        if (same && std::any_of(step.accepted.begin(), step.accepted.end(),
                                [&](const Accepted& a) { return a.code == finding.code; })) {
          accepted = true;
        }
      }
    }
    if (!accepted) {
      out.push_back(finding.code + " " + finding.message + ": " + finding.statement);
    }
  }
  // A step accepts only what its statements raise: a lint-ignore that accepts nothing hides
  // the next finding of its code.
  for (const Step& step : plan.steps) {
    for (const Accepted& accepted : step.accepted) {
      const bool raised = std::any_of(
          outcome.findings.begin(), outcome.findings.end(), [&](const lint::Finding& finding) {
            return finding.code == accepted.code &&
                   std::any_of(step.up.begin(), step.up.end(), [&](const std::string& statement) {
                     return statement.find(finding.statement) != std::string::npos ||
                            finding.statement.find(statement.substr(0, statement.size() - 1)) !=
                                std::string::npos;
                   });
          });
      if (!raised) {
        out.push_back("unused " + accepted.code + " in step " + step.summary);
      }
    }
  }
  return out;
}

// One direction: plan, apply, compare with the target; undo, compare with the start.
void check_direction(const std::string& from_sql, const std::string& to_sql,
                     const std::string& name, PlanOptions options = every_hazard_allowed()) {
  Databases databases;
  const std::string url = databases.load(from_sql, name + "_a");
  const std::string target_url = databases.load(to_sql, name + "_b");
  const auto connection = open(url);
  const Schema from = read_postgres(*connection);
  const Schema to = read_postgres(*open(target_url));
  const Plan plan = schema::plan(from, to, options);
  SCOPED_TRACE("plan:\n" + plan_text(plan));
  // RETORT_PLAN_SHOW=1 prints every plan, to read what the planner writes.
  if (std::getenv("RETORT_PLAN_SHOW") != nullptr) {
    std::printf("==== %s\n%s", name.c_str(), plan_text(plan).c_str());
  }
  EXPECT_EQ(plan_text(schema::plan(from, to, options)), plan_text(plan));
  EXPECT_TRUE(plan.refused.empty());
  EXPECT_EQ(unaccepted_findings(plan), std::vector<std::string>{});

  std::vector<const Step*> steps;
  for (const Step& step : plan.steps) {
    steps.push_back(&step);
  }
  for (std::size_t i = 1; i < steps.size(); ++i) {
    EXPECT_FALSE(steps[i - 1]->phase == Phase::online && steps[i]->phase == Phase::transactional)
        << "a transactional step after an online one: " << steps[i]->summary;
  }
  try {
    apply(*connection, steps, false);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "up: " << error.what();
    return;
  }
  EXPECT_EQ(lines_of(diff(read_postgres(*connection), to)), "") << "after up";
  std::reverse(steps.begin(), steps.end());
  try {
    apply(*connection, steps, true);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "down: " << error.what();
    return;
  }
  EXPECT_EQ(lines_of(diff(read_postgres(*connection), from)), "") << "after down";
}

TEST(PostgresPlanTest, EveryFixturePairConvergesBothWaysAndUndoes) {
  std::vector<fs::path> all = fixture_pairs(RETORT_SCHEMA_TESTDATA, "fixtures");
  const std::vector<fs::path> own = fixture_pairs(RETORT_SCHEMA_TESTDATA, "fixtures_plan");
  all.insert(all.end(), own.begin(), own.end());
  EXPECT_GE(all.size(), std::getenv("RETORT_SCHEMA_FIXTURE") == nullptr ? 50U : 1U);
  (void)test::PostgresServer::instance();
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < all.size(); i = next++) {
      const std::string name = all[i].filename().string();
      const std::string old_sql = read_text(all[i] / "old.sql");
      const std::string new_sql = read_text(all[i] / "new.sql");
      for (const bool forth : {true, false}) {
        SCOPED_TRACE("fixture " + name + (forth ? " (old -> new)" : " (new -> old)"));
        try {
          check_direction(forth ? old_sql : new_sql, forth ? new_sql : old_sql, name);
        } catch (const std::exception& error) {
          ADD_FAILURE() << error.what();
        }
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < 2; ++i) {
    workers.emplace_back(work);
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
}

// The models of a fixture_plan pair, read from real databases.
std::pair<Schema, Schema> models(Databases& databases, const std::string& name) {
  const fs::path dir = fs::path(RETORT_SCHEMA_TESTDATA) / "fixtures_plan" / name;
  return {read_postgres(*open(databases.load(read_text(dir / "old.sql"), name + "_a"))),
          read_postgres(*open(databases.load(read_text(dir / "new.sql"), name + "_b")))};
}

TEST(PostgresPlanTest, AnEnumLabelRemovedIsRefusedAsPG108UntilAllowed) {
  Databases databases;
  const auto [from, to] = models(databases, "enum_label_removed");
  // The pair also drops a column of the type: that hazard is allowed here.
  PlanOptions drops;
  drops.allow_hazards = {"PG204"};
  const Plan refused = plan(from, to, drops);
  ASSERT_EQ(refused.refused.size(), 1U);
  EXPECT_EQ(refused.refused[0].code, "PG108");
  EXPECT_EQ(refused.refused[0].object, "type public.mood");
  EXPECT_NE(refused.refused[0].why.find("'meh'"), std::string::npos) << refused.refused[0].why;
  PlanOptions options;
  options.allow_hazards = {"PG108", "PG204"};
  const Plan allowed = plan(from, to, options);
  EXPECT_TRUE(allowed.refused.empty());
  EXPECT_EQ(allowed.hazards, refused.hazards);
  EXPECT_EQ(allowed.steps, refused.steps);
}

TEST(PostgresPlanTest, NotNullOnAnExistingColumnIsRefusedAsPG105UntilAllowed) {
  Databases databases;
  const auto [from, to] = models(databases, "not_null_on_existing_column");
  const Plan refused = plan(from, to);
  ASSERT_EQ(refused.refused.size(), 1U);
  EXPECT_EQ(refused.refused[0].code, "PG105");
  EXPECT_EQ(refused.refused[0].object, "column public.accounts.email");
  EXPECT_NE(refused.refused[0].why.find("NULL"), std::string::npos);
  EXPECT_NE(refused.refused[0].why.find("backfill"), std::string::npos);
  PlanOptions options;
  options.allow_hazards = {"PG105"};
  EXPECT_TRUE(plan(from, to, options).refused.empty());
  // The proof runs online: VALIDATE and SET NOT NULL in the online revision.
  std::vector<std::string> online;
  for (const Step& step : refused.steps) {
    if (step.phase == Phase::online) {
      online.insert(online.end(), step.up.begin(), step.up.end());
    }
  }
  ASSERT_EQ(online.size(), 3U);
  EXPECT_NE(online[0].find("VALIDATE CONSTRAINT"), std::string::npos);
  EXPECT_NE(online[1].find("SET NOT NULL"), std::string::npos);
}

TEST(PostgresPlanTest, AViewOverAColumnWhoseTypeChangesIsDroppedAndCreatedAgain) {
  Databases databases;
  const auto [from, to] = models(databases, "view_over_retyped_column");
  const Plan plan = schema::plan(from, to, every_hazard_allowed());
  std::vector<std::string> summaries;
  for (const Step& step : plan.steps) {
    summaries.push_back(step.summary);
  }
  const auto drop = std::find(summaries.begin(), summaries.end(), "drop view public.totals");
  const auto create = std::find(summaries.begin(), summaries.end(), "create view public.totals");
  ASSERT_NE(drop, summaries.end()) << ::testing::PrintToString(summaries);
  ASSERT_NE(create, summaries.end());
  const auto retype = std::find_if(summaries.begin(), summaries.end(), [](const std::string& s) {
    return s.starts_with("change type of column public.orders.amount");
  });
  ASSERT_NE(retype, summaries.end());
  EXPECT_LT(drop, retype);
  EXPECT_LT(retype, create);
}

TEST(PostgresPlanTest, RenamesAskedForRenameRatherThanDropAndConverge) {
  const fs::path dir =
      fs::path(RETORT_SCHEMA_TESTDATA) / "fixtures_plan" / "rename_table_and_column";
  PlanOptions options;
  options.renames = {{"public.users", "public.members"},
                     {"public.users.email", "public.members.mail"}};
  check_direction(read_text(dir / "old.sql"), read_text(dir / "new.sql"), "rename", options);
  Databases databases;
  const auto [from, to] = models(databases, "rename_table_and_column");
  const Plan plan = schema::plan(from, to, options);
  EXPECT_TRUE(plan.hazards.empty()) << plan_text(plan);
  ASSERT_GE(plan.steps.size(), 2U);
  EXPECT_EQ(plan.steps[0].up,
            std::vector<std::string>{"ALTER TABLE public.users RENAME TO members;"});
  EXPECT_EQ(plan.steps[1].up,
            std::vector<std::string>{"ALTER TABLE public.members RENAME COLUMN email TO mail;"});
  // Without --rename: a drop and an add, with a note suggesting the rename.
  const Plan guessed = schema::plan(from, to, every_hazard_allowed());
  EXPECT_FALSE(guessed.hazards.empty());
}

TEST(PostgresPlanTest, AnUnknownRenameIsAnInputError) {
  Databases databases;
  const auto [from, to] = models(databases, "view_over_retyped_column");
  PlanOptions options;
  options.renames = {{"public.nothing", "public.orders"}};
  try {
    (void)plan(from, to, options);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_NE(std::string(error.what()).find("public.nothing"), std::string::npos);
  }
}

}  // namespace
}  // namespace retort::schema
