// SQLite's planner against real SQLite files: every fixture pair's plan applied in one
// transaction, as the runner applies a revision, must leave the declared schema (and its rows),
// and its undo the schema it started from.
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "fixture_pairs.hpp"
#include "retort/error.hpp"
#include "schema/diff.hpp"
#include "schema/plan.hpp"
#include "schema/reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace retort::schema {
namespace {

using test::fixture_pairs;
using test::read_text;

namespace fs = std::filesystem;

const std::set<std::string> k_every_hazard = {"PG105", "PG108", "PG203", "PG204", "PG206"};

std::string lines(const Diff& diff) {
  std::string out;
  for (const Change& change : diff.changes) {
    out += change_line(change) + "\n";
    if (multi_line(change)) {
      out += unified_diff(change.before, change.after);
    } else if (change.kind == ChangeKind::changed && change.object == "table") {
      out += "  " + change.before + "\n  " + change.after + "\n";
    }
  }
  return out;
}

std::string show(const Plan& plan) {
  std::string out;
  for (const Step& step : plan.steps) {
    out += "-- " + step.summary + "\n";
    for (const std::string& statement : step.up) {
      out += statement + "\n";
    }
    out += "-- down\n";
    for (const std::string& statement : step.down) {
      out += statement + "\n";
    }
  }
  return out;
}

// SQLite files under one directory, removed at the end.
class Files {
 public:
  Files()
      : m_root(fs::temp_directory_path() / ("retort-plan-sqlite-" + std::to_string(::getpid()))) {
    fs::create_directories(m_root);
  }
  ~Files() {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }
  Files(const Files&) = delete;
  Files& operator=(const Files&) = delete;

  std::unique_ptr<driver::Connection> open(const std::string& sql) {
    const fs::path file = m_root / (std::to_string(++m_count) + ".db");
    auto connection =
        driver::connect(base::parse_database_url("sqlite:///" + file.string()).value());
    connection->execute(sql);
    return connection;
  }

 private:
  fs::path m_root;
  int m_count = 0;
};

std::int64_t count(driver::Connection& connection, const std::string& table) {
  const driver::Rows rows = connection.query("SELECT count(*) FROM \"" + table + "\"");
  return std::stoll(rows.rows.at(0).at(0).value());
}

std::vector<std::string> column(driver::Connection& connection, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : connection.query(sql).rows) {
    std::string line;
    for (const driver::Value& value : row) {
      line += (line.empty() ? "" : "|") + value.value_or("NULL");
    }
    out.push_back(line);
  }
  return out;
}

// Runs `up` of every step in order, or `down` of every step in reverse, in one transaction.
void apply(driver::Connection& connection, const Plan& plan, bool up) {
  connection.begin();
  try {
    if (up) {
      for (const Step& step : plan.steps) {
        EXPECT_EQ(step.phase, Phase::transactional) << step.summary;
        for (const std::string& statement : step.up) {
          connection.execute(statement);
        }
      }
    } else {
      for (auto step = plan.steps.rbegin(); step != plan.steps.rend(); ++step) {
        for (const std::string& statement : step->down) {
          connection.execute(statement);
        }
      }
    }
    connection.commit();
  } catch (...) {
    if (connection.in_transaction()) {
      connection.rollback();
    }
    throw;
  }
}

struct Proof {
  Plan plan;
  std::unique_ptr<driver::Connection> database;  // at `from` again, after up and down
  Schema from;
  Schema to;
};

// Builds `old_sql` (then `rows`) in one file and `new_sql` in another, plans from the first to
// the second, applies up and checks the first now reads as the second with every table's row
// count kept, then down and checks it reads as before. `after_up` looks at the database in
// between.
Proof prove(Files& files, const std::string& old_sql, const std::string& new_sql,
            const std::string& rows, const PlanOptions& options = PlanOptions{},
            const std::function<void(driver::Connection&)>& after_up = {}) {
  Proof proof;
  proof.database = files.open(old_sql);
  if (!rows.empty()) {
    proof.database->execute(rows);
  }
  proof.from = read_sqlite(*proof.database);
  const auto target = files.open(new_sql);
  proof.to = read_sqlite(*target);
  PlanOptions with_hazards = options;
  with_hazards.allow_hazards.insert(k_every_hazard.begin(), k_every_hazard.end());
  proof.plan = plan_sqlite(proof.from, proof.to, with_hazards);
  SCOPED_TRACE("plan:\n" + show(proof.plan));
  EXPECT_TRUE(proof.plan.refused.empty());
  std::map<std::string, std::int64_t> counts;
  for (const auto& [key, table] : proof.from.tables) {
    if (proof.to.tables.contains(key)) {
      counts[key] = count(*proof.database, key);
    }
  }
  try {
    apply(*proof.database, proof.plan, true);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "up failed: " << error.what();
    return proof;
  }
  const Diff left = diff(read_sqlite(*proof.database), proof.to);
  EXPECT_TRUE(left.empty()) << "after up, still:\n" << lines(left);
  for (const auto& [key, rows_before] : counts) {
    EXPECT_EQ(count(*proof.database, key), rows_before) << "rows of " << key;
  }
  EXPECT_EQ(column(*proof.database, "PRAGMA foreign_key_check"), std::vector<std::string>{});
  if (after_up) {
    after_up(*proof.database);
  }
  try {
    apply(*proof.database, proof.plan, false);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "down failed: " << error.what();
    return proof;
  }
  const Diff back = diff(read_sqlite(*proof.database), proof.from);
  EXPECT_TRUE(back.empty()) << "after down, still:\n" << lines(back);
  for (const auto& [key, rows_before] : counts) {
    EXPECT_EQ(count(*proof.database, key), rows_before) << "rows of " << key << " after down";
  }
  return proof;
}

std::string rows_of(const fs::path& dir) {
  return fs::exists(dir / "rows.sql") ? read_text(dir / "rows.sql") : std::string();
}

TEST(SqlitePlanTest, EveryFixturePairConvergesBothWaysAndUndoes) {
  Files files;
  std::size_t pairs = 0;
  for (const std::string folder : {"fixtures_sqlite", "fixtures_sqlite_plan"}) {
    for (const fs::path& dir : fixture_pairs(RETORT_SCHEMA_TESTDATA, folder)) {
      ++pairs;
      const std::string old_sql = read_text(dir / "old.sql");
      const std::string new_sql = read_text(dir / "new.sql");
      const std::string rows = rows_of(dir);
      {
        SCOPED_TRACE(folder + "/" + dir.filename().string() + ": old -> new");
        const Proof proof = prove(files, old_sql, new_sql, rows, PlanOptions{});
        // Only a change diff() sees is planned (a new column order is none).
        EXPECT_EQ(proof.plan.empty(), diff(proof.from, proof.to).empty());
      }
      {
        SCOPED_TRACE(folder + "/" + dir.filename().string() + ": new -> old");
        const Proof proof = prove(files, new_sql, old_sql, rows, PlanOptions{});
        EXPECT_EQ(proof.plan.empty(), diff(proof.from, proof.to).empty());
      }
    }
  }
  EXPECT_GE(pairs, std::getenv("RETORT_SCHEMA_FIXTURE") == nullptr ? 25U : 1U);
}

TEST(SqlitePlanTest, EqualSchemasPlanNothing) {
  Files files;
  const std::string sql =
      "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX t_a ON t (a);";
  const Schema a = read_sqlite(*files.open(sql));
  const Schema b = read_sqlite(*files.open(sql));
  EXPECT_TRUE(plan_sqlite(a, b, {}).empty());
}

fs::path plan_fixture(const std::string& name) {
  return fs::path(RETORT_SCHEMA_TESTDATA) / "fixtures_sqlite_plan" / name;
}

Proof prove_fixture(Files& files, const std::string& name,
                    const std::function<void(driver::Connection&)>& after_up = {}) {
  const fs::path dir = plan_fixture(name);
  return prove(files, read_text(dir / "old.sql"), read_text(dir / "new.sql"), rows_of(dir), {},
               after_up);
}

TEST(SqlitePlanTest, TypeChangeRebuildKeepsEveryValue) {
  Files files;
  const Proof proof = prove_fixture(files, "column_type_changed_with_rows", [](auto& database) {
    // INTEGER affinity converts the text that is an integer and keeps the rest as it is.
    EXPECT_EQ(column(database, "SELECT id, amount, typeof(amount), note FROM t ORDER BY id"),
              (std::vector<std::string>{"1|10|integer|a", "2|ten|text|b", "3|NULL|null|c"}));
  });
  ASSERT_EQ(proof.plan.steps.size(), 1U);
  EXPECT_EQ(proof.plan.steps[0].summary, "rebuild table t (amount type)");
  EXPECT_TRUE(proof.plan.hazards.empty());
  ASSERT_EQ(proof.plan.notes.size(), 1U);
  EXPECT_NE(proof.plan.notes[0].find("t.amount: declared TEXT, now INTEGER"), std::string::npos);
  EXPECT_EQ(column(*proof.database, "SELECT id, amount, typeof(amount) FROM t ORDER BY id"),
            (std::vector<std::string>{"1|10|text", "2|ten|text", "3|NULL|null"}));
}

TEST(SqlitePlanTest, ParentRebuildKeepsChildRowsAndTheirReferences) {
  Files files;
  const Proof proof =
      prove_fixture(files, "parent_rebuilt_with_child_rows", [](driver::Connection& database) {
        EXPECT_EQ(column(database, "SELECT id, p_id FROM c ORDER BY id"),
                  (std::vector<std::string>{"10|1", "11|2", "12|2"}));
        // A row that references a row copied after it.
        EXPECT_EQ(column(database, "SELECT id, parent_id FROM p ORDER BY id"),
                  (std::vector<std::string>{"1|2", "2|NULL"}));
        EXPECT_EQ(column(database, "SELECT sql FROM sqlite_schema WHERE name = 'c'"),
                  std::vector<std::string>{
                      "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL "
                      "REFERENCES p (id))"});
        // The foreign key still holds: a child of no parent is refused.
        EXPECT_THROW(database.execute("INSERT INTO c (id, p_id) VALUES (13, 99)"),
                     driver::DatabaseError);
      });
  ASSERT_EQ(proof.plan.steps.size(), 1U);
  EXPECT_EQ(proof.plan.steps[0].up.front(), "PRAGMA defer_foreign_keys = ON;");
  EXPECT_EQ(proof.plan.steps[0].up.back(), "PRAGMA foreign_key_check(p);");
  // Only the NOT NULL the rows must satisfy; no rows of c are at stake.
  ASSERT_EQ(proof.plan.hazards.size(), 1U);
  EXPECT_EQ(proof.plan.hazards[0].code, "PG105");
  EXPECT_EQ(proof.plan.hazards[0].object, "column p.name");
}

TEST(SqlitePlanTest, TablesWhoseForeignKeysActOnDeletesComeAlongUntouched) {
  Files files;
  const Proof proof = prove_fixture(
      files, "parent_rebuilt_with_cascading_children", [](driver::Connection& database) {
        EXPECT_EQ(column(database, "SELECT id, p_id FROM c ORDER BY id"),
                  (std::vector<std::string>{"10|1", "11|2"}));
        EXPECT_EQ(column(database, "SELECT id, c_id FROM g ORDER BY id"),
                  (std::vector<std::string>{"100|10", "101|11"}));
        // No cascade ran: the trigger on c saw no delete.
        EXPECT_EQ(column(database, "SELECT count(*) FROM log"), std::vector<std::string>{"0"});
        // The trigger is back.
        database.execute("DELETE FROM p WHERE id = 2");
        EXPECT_EQ(column(database, "SELECT what FROM log"), std::vector<std::string>{"deleted 11"});
        database.execute(
            "INSERT INTO p (id, name) VALUES (2, 'two'); INSERT INTO c VALUES (11, 2);"
            "UPDATE g SET c_id = 11 WHERE id = 101; DELETE FROM log;");
      });
  ASSERT_EQ(proof.plan.steps.size(), 1U);
  EXPECT_EQ(proof.plan.steps[0].summary,
            "rebuild table p (its definition changes); rebuild table c as it is (its "
            "foreign key to "
            "p is ON DELETE CASCADE); rebuild table g as it is (its foreign key to "
            "c is ON DELETE SET NULL)");
  EXPECT_TRUE(proof.plan.hazards.empty());
}

TEST(SqlitePlanTest, ActionOnAnIgnoredTableIsAHazard) {
  Files files;
  const Schema from = read_sqlite(*files.open(
      "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);"
      "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE "
      "CASCADE);"));
  const Schema to = read_sqlite(*files.open(
      "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT CHECK (length(name) < 100));"
      "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE "
      "CASCADE);"));
  PlanOptions options;
  options.ignore = {"c"};
  const Plan plan = plan_sqlite(from, to, options);
  ASSERT_EQ(plan.refused.size(), 1U);
  EXPECT_EQ(plan.refused[0].code, "PG203");
  EXPECT_EQ(plan.refused[0].object, "table p");
  EXPECT_NE(plan.refused[0].why.find("ON DELETE CASCADE of c"), std::string::npos);
  EXPECT_TRUE(plan_sqlite(from, to, {}).refused.empty());
}

TEST(SqlitePlanTest, RebuildPutsBackTheTablesIndexesAndTriggers) {
  Files files;
  const Proof proof = prove_fixture(
      files, "rebuilt_table_keeps_index_and_trigger", [](driver::Connection& database) {
        database.execute("UPDATE t SET a = 7 WHERE id = 1");
        EXPECT_EQ(column(database, "SELECT touched FROM t WHERE id = 1"),
                  std::vector<std::string>{"1"});
        EXPECT_THROW(database.execute("INSERT INTO t (id, b) VALUES (3, 'x')"),
                     driver::DatabaseError);
        EXPECT_THROW(database.execute("INSERT INTO t (id, a) VALUES (3, -1)"),
                     driver::DatabaseError);
      });
  ASSERT_EQ(proof.plan.steps.size(), 1U);
  const std::vector<std::string>& up = proof.plan.steps[0].up;
  EXPECT_NE(std::find(up.begin(), up.end(), "CREATE INDEX t_a ON t (a);"), up.end());
}

TEST(SqlitePlanTest, ViewsAndTriggersThatReadARebuiltTableStay) {
  Files files;
  const Proof proof =
      prove_fixture(files, "view_over_rebuilt_table", [](driver::Connection& database) {
        EXPECT_EQ(column(database, "SELECT id FROM t_small_ids"), std::vector<std::string>{"1"});
        database.execute("INSERT INTO log (what) VALUES ('x')");
        database.execute("DELETE FROM log");
      });
  ASSERT_EQ(proof.plan.steps.size(), 1U);
}

TEST(SqlitePlanTest, DroppedColumnIsRefusedUntilAllowed) {
  Files files;
  const fs::path dir = plan_fixture("column_dropped_with_rows");
  const Schema from = read_sqlite(*files.open(read_text(dir / "old.sql")));
  const Schema to = read_sqlite(*files.open(read_text(dir / "new.sql")));
  const Plan refused = plan_sqlite(from, to, {});
  ASSERT_EQ(refused.refused.size(), 1U);
  EXPECT_EQ(refused.refused[0].code, "PG204");
  EXPECT_EQ(refused.refused[0].object, "column t.legacy");
  EXPECT_EQ(refused.hazards, refused.refused);
  PlanOptions allowed;
  allowed.allow_hazards = {"PG204"};
  const Plan plan = plan_sqlite(from, to, allowed);
  EXPECT_TRUE(plan.refused.empty());
  EXPECT_EQ(plan.hazards, refused.refused);
  EXPECT_EQ(plan.steps, refused.steps);
  ASSERT_EQ(plan.steps.size(), 1U);
  EXPECT_EQ(plan.steps[0].summary, "rebuild table t (drop legacy)");
  EXPECT_NE(std::find(plan.steps[0].accepted.begin(), plan.steps[0].accepted.end(),
                      Accepted{"PG204", "the table rebuild drops the column (an allowed hazard)"}),
            plan.steps[0].accepted.end());
  prove(files, read_text(dir / "old.sql"), read_text(dir / "new.sql"), rows_of(dir), allowed);
}

TEST(SqlitePlanTest, DroppedTableIsRefusedUntilAllowedAndItsUndoRecreatesIndexes) {
  Files files;
  const Schema from = read_sqlite(*files.open(
      "CREATE TABLE old (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX old_a ON old (a);"));
  const Schema to = read_sqlite(*files.open(""));
  const Plan plan = plan_sqlite(from, to, {});
  ASSERT_EQ(plan.refused.size(), 1U);
  EXPECT_EQ(plan.refused[0].code, "PG203");
  EXPECT_EQ(plan.refused[0].object, "table old");
  ASSERT_EQ(plan.steps.size(), 1U);
  EXPECT_EQ(plan.steps[0].up, std::vector<std::string>{"DROP TABLE old;"});
  EXPECT_EQ(plan.steps[0].down,
            (std::vector<std::string>{"CREATE TABLE old (id INTEGER PRIMARY KEY, a TEXT);",
                                      "CREATE INDEX old_a ON old (a);"}));
}

TEST(SqlitePlanTest, ColumnsAddedInPlaceWhenSqliteLeavesTheDeclaredText) {
  Files files;
  const Proof proof = prove_fixture(files, "columns_added_in_place");
  ASSERT_EQ(proof.plan.steps.size(), 2U);
  EXPECT_EQ(proof.plan.steps[0].up,
            std::vector<std::string>{"ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x';"});
  EXPECT_EQ(proof.plan.steps[0].down, std::vector<std::string>{"ALTER TABLE t DROP COLUMN b;"});
  EXPECT_EQ(proof.plan.steps[1].up,
            std::vector<std::string>{"ALTER TABLE t ADD COLUMN c REAL NOT NULL DEFAULT 1.5;"});
}

TEST(SqlitePlanTest, ColumnAddedWithOtherTextIsARebuildWithANote) {
  Files files;
  const Proof proof = prove_fixture(files, "column_added_where_text_differs");
  ASSERT_EQ(proof.plan.steps.size(), 1U);
  EXPECT_EQ(proof.plan.steps[0].summary, "rebuild table t (add b)");
  ASSERT_EQ(proof.plan.notes.size(), 1U);
  EXPECT_NE(proof.plan.notes[0].find("not the one ALTER TABLE ADD COLUMN leaves"),
            std::string::npos);

  // Not when the table changes otherwise too: then no ADD COLUMN would do.
  const Schema from = read_sqlite(*files.open("CREATE TABLE t (a INTEGER);"));
  const Schema to = read_sqlite(*files.open("CREATE TABLE t (a INTEGER NOT NULL, b TEXT);"));
  const Plan plan = plan_sqlite(from, to, {});
  EXPECT_TRUE(plan.notes.empty()) << ::testing::PrintToString(plan.notes);
}

TEST(SqlitePlanTest, RebuildKeepsTheAutoincrementHighWaterMark) {
  Files files;
  prove_fixture(files, "autoincrement_rebuilt", [](driver::Connection& database) {
    database.execute("INSERT INTO t (a) VALUES ('z')");
    EXPECT_EQ(column(database, "SELECT id FROM t WHERE a = 'z'"), std::vector<std::string>{"8"});
    database.execute("DELETE FROM t WHERE a = 'z'");
  });
}

TEST(SqlitePlanTest, NotNullWithoutDefaultOnRowsIsAHazard) {
  Files files;
  const Schema from = read_sqlite(*files.open("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);"));
  const Schema to = read_sqlite(
      *files.open("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL);"));
  const Plan plan = plan_sqlite(from, to, {});
  ASSERT_EQ(plan.refused.size(), 2U);
  EXPECT_EQ(plan.refused[0].code, "PG105");
  EXPECT_EQ(plan.refused[0].object, "column t.a");
  EXPECT_EQ(plan.refused[1].object, "column t.b");
}

TEST(SqlitePlanTest, RenamesOnlyWhenAsked) {
  Files files;
  const std::string old_sql =
      "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));";
  const std::string new_sql =
      "CREATE TABLE members (id INTEGER PRIMARY KEY, mail TEXT);"
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES members (id));";
  const std::string rows =
      "INSERT INTO users (id, email) VALUES (1, 'a@b'); INSERT INTO posts VALUES (1, 1);";
  {
    // Unasked: a drop and a create.
    const Schema from = read_sqlite(*files.open(old_sql));
    const Schema to = read_sqlite(*files.open(new_sql));
    const Plan plan = plan_sqlite(from, to, {});
    ASSERT_EQ(plan.refused.size(), 1U);
    EXPECT_EQ(plan.refused[0].object, "table users");
  }
  PlanOptions options;
  options.renames = {{"users", "members"}, {"users.email", "members.mail"}};
  const Proof proof = prove(files, old_sql, new_sql, rows, options, [](auto& database) {
    EXPECT_EQ(column(database, "SELECT id, mail FROM members"), std::vector<std::string>{"1|a@b"});
  });
  EXPECT_TRUE(proof.plan.hazards.empty());
  ASSERT_EQ(proof.plan.steps.size(), 1U);
  EXPECT_EQ(proof.plan.steps[0].summary,
            "rename table users to members by a rebuild (email to mail); rebuild table "
            "posts (its definition changes)");
  PlanOptions back;
  // Bare names, the column's first: the same renames.
  back.renames = {{"members.mail", "users.email"}, {"members", "users"}};
  prove(files, new_sql, old_sql,
        "INSERT INTO members (id, mail) VALUES (1, 'a@b'); INSERT INTO posts VALUES (1, 1);", back);

  PlanOptions wrong;
  wrong.renames = {{"nobody", "members"}};
  EXPECT_THROW(static_cast<void>(plan_sqlite(proof.from, proof.to, wrong)), Error);
}

TEST(SqlitePlanTest, ColumnRenameIsAlterTableRenameColumn) {
  Files files;
  const std::string old_sql =
      "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT CHECK (email LIKE '%@%'));"
      "CREATE INDEX t_email ON t (email);";
  const std::string new_sql =
      "CREATE TABLE t (id INTEGER PRIMARY KEY, mail TEXT CHECK (mail LIKE '%@%'));"
      "CREATE INDEX t_email ON t (mail);";
  PlanOptions options;
  options.renames = {{"t.email", "t.mail"}};
  const Proof proof = prove(
      files, old_sql, new_sql, "INSERT INTO t VALUES (1, 'a@b');", options, [](auto& database) {
        EXPECT_EQ(column(database, "SELECT mail FROM t"), std::vector<std::string>{"a@b"});
      });
  // The index names the column: dropped before the rename, created after it.
  ASSERT_EQ(proof.plan.steps.size(), 3U);
  EXPECT_EQ(proof.plan.steps[0].up, std::vector<std::string>{"DROP INDEX t_email;"});
  EXPECT_EQ(proof.plan.steps[1].up,
            std::vector<std::string>{"ALTER TABLE t RENAME COLUMN email TO mail;"});
  EXPECT_EQ(proof.plan.steps[2].up, std::vector<std::string>{"CREATE INDEX t_email ON t (mail);"});
  EXPECT_TRUE(proof.plan.hazards.empty());
}

TEST(SqlitePlanTest, SamePlanFromTheSameModels) {
  Files files;
  const fs::path dir = plan_fixture("everything_at_once");
  const Schema from = read_sqlite(*files.open(read_text(dir / "old.sql")));
  const Schema to = read_sqlite(*files.open(read_text(dir / "new.sql")));
  const Schema from_again = read_sqlite(*files.open(read_text(dir / "old.sql")));
  const Schema to_again = read_sqlite(*files.open(read_text(dir / "new.sql")));
  PlanOptions options;
  options.allow_hazards = k_every_hazard;
  const Plan first = plan_sqlite(from, to, options);
  const Plan second = plan_sqlite(from_again, to_again, options);
  EXPECT_EQ(show(first), show(second));
  EXPECT_EQ(first.steps, second.steps);
  EXPECT_EQ(first.hazards, second.hazards);
  EXPECT_EQ(first.notes, second.notes);
}

TEST(SqlitePlanTest, IgnoredObjectsAreLeftAlone) {
  Files files;
  const Schema from = read_sqlite(
      *files.open("CREATE TABLE keep (id INTEGER PRIMARY KEY); CREATE TABLE spatial (x);"));
  const Schema to = read_sqlite(*files.open("CREATE TABLE keep (id INTEGER PRIMARY KEY);"));
  PlanOptions options;
  options.ignore = {"spatial*"};
  EXPECT_TRUE(plan_sqlite(from, to, options).empty());
}

}  // namespace
}  // namespace retort::schema
