// The driver conformance suite: what every driver does the same way. One type-parameterized
// suite, instantiated once per driver (conformance_sqlite_test.cpp, conformance_postgres_test.cpp).
// It covers every member of driver.hpp's Connection, so that a new driver that passes it does
// what the runner relies on (ARCHITECTURE.md, "Adding a driver").
#pragma once

#include "base/identifier.hpp"
#include "base/url.hpp"
#include "driver/driver.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace retort::driver::conformance {

// A driver's traits, the one thing each instantiation provides:
//   static std::string fresh_url(std::string_view hint);  // URL of a new, empty database
//   static constexpr std::string_view k_version_prefix;    // "PostgreSQL 15." / "SQLite 3."
//   static constexpr std::string_view k_long_statement;    // a query running >= 30 s
//   static constexpr base::Dialect k_dialect;

// Connects to a URL, failing the test (not crashing it) when the URL does not parse.
inline std::unique_ptr<Connection> connect_url(const std::string& url) {
  auto parsed = base::parse_database_url(url);
  if (!parsed) {
    ADD_FAILURE() << "test URL does not parse: " << parsed.error();
    throw std::runtime_error(parsed.error());
  }
  return connect(*parsed);
}

// Runs body, which must throw DatabaseError, and returns the error for inspection.
template <typename Body>
DatabaseError expect_database_error(Body&& body) {
  try {
    body();
  } catch (const DatabaseError& error) {
    return error;
  }
  ADD_FAILURE() << "expected a DatabaseError, but nothing was thrown";
  return DatabaseError(DatabaseError::Kind::statement, "nothing thrown", {});
}

inline std::string text_of(const Value& value) { return value ? *value : "<NULL>"; }

template <typename Traits>
class ConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_url = Traits::fresh_url(::testing::UnitTest::GetInstance()->current_test_info()->name());
    m_db = connect_url(m_url);
  }

  // A second connection to the same database, to see what was committed.
  std::unique_ptr<Connection> other_connection() const { return connect_url(m_url); }

  std::string scalar(std::string_view sql, std::vector<Value> params = {}) {
    const Rows rows = m_db->query(sql, params);
    EXPECT_EQ(rows.size(), 1U) << sql;
    if (rows.size() != 1 || rows.rows[0].size() != 1) {
      return "<no single value>";
    }
    return text_of(rows.rows[0][0]);
  }

  std::string m_url;
  std::unique_ptr<Connection> m_db;
};

TYPED_TEST_SUITE_P(ConformanceTest);

TYPED_TEST_P(ConformanceTest, ReportsDialectAndVersion) {
  EXPECT_EQ(this->m_db->dialect(), TypeParam::k_dialect);
  EXPECT_TRUE(this->m_db->server_version().starts_with(TypeParam::k_version_prefix))
      << this->m_db->server_version();
  EXPECT_TRUE(this->m_db->capabilities().transactional_ddl);
}

TYPED_TEST_P(ConformanceTest, InsertsWithParametersAndQueriesRowsAndNulls) {
  Connection& db = *this->m_db;
  db.execute("CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, note text)");
  const std::vector<Value> first{"1", "anvil", std::nullopt};
  const std::vector<Value> second{"2", "bellows", "heavy"};
  EXPECT_TRUE(db.query("INSERT INTO items (id, name, note) VALUES ($1, $2, $3)", first).empty());
  EXPECT_TRUE(db.query("INSERT INTO items (id, name, note) VALUES ($1, $2, $3)", second).empty());

  const Rows rows = db.query("SELECT id, name, note FROM items ORDER BY id");
  EXPECT_EQ(rows.columns, (std::vector<std::string>{"id", "name", "note"}));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows.rows[0], (std::vector<Value>{"1", "anvil", std::nullopt}));
  EXPECT_EQ(rows.rows[1], (std::vector<Value>{"2", "bellows", "heavy"}));

  const std::vector<Value> by_id{"2"};
  EXPECT_EQ(this->scalar("SELECT name FROM items WHERE id = $1", by_id), "bellows");
  EXPECT_TRUE(db.query("SELECT name FROM items WHERE id = $1", std::vector<Value>{"3"}).empty());
}

TYPED_TEST_P(ConformanceTest, BindsTheSameParameterTwiceAndNullParameters) {
  EXPECT_EQ(
      this->scalar("SELECT CAST($1 AS text) || CAST($2 AS text) || CAST($1 AS text)", {"a", "b"}),
      "aba");
  EXPECT_EQ(this->scalar("SELECT COALESCE(CAST($1 AS text), 'was null')", {std::nullopt}),
            "was null");
  EXPECT_EQ(this->scalar("SELECT COALESCE(CAST($1 AS text), 'was null')", {""}), "")
      << "an empty string is not NULL";
}

TYPED_TEST_P(ConformanceTest, RejectsAParameterCountMismatch) {
  const DatabaseError error = expect_database_error(
      [&] { static_cast<void>(this->m_db->query("SELECT CAST($1 AS text)", {})); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement) << error.what();
}

TYPED_TEST_P(ConformanceTest, KeepsUnicodeIdentifiersAndData) {
  Connection& db = *this->m_db;
  const std::string table = base::quote_identifier("größe 表", db.dialect());
  const std::string column = base::quote_identifier("naïve \"✓\"", db.dialect());
  EXPECT_EQ(column, "\"naïve \"\"✓\"\"\"");
  db.execute("CREATE TABLE " + table + " (" + column + " text)");
  const std::string data = "Grüße, 世界 🌍";
  static_cast<void>(db.query("INSERT INTO " + table + " VALUES ($1)", std::vector<Value>{data}));
  const Rows rows = db.query("SELECT " + column + " FROM " + table);
  EXPECT_EQ(rows.columns, (std::vector<std::string>{"naïve \"✓\""}));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows.rows[0][0], Value(data));
}

TYPED_TEST_P(ConformanceTest, ReportsASyntaxErrorWithItsCharacterPosition) {
  // 'é' is two bytes but one character: positions count characters, as PostgreSQL does.
  const std::string script = "SELECT 'é';\nSELEC 2";
  const DatabaseError error = expect_database_error([&] { this->m_db->execute(script); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement);
  EXPECT_NE(std::string(error.what()).find("syntax error"), std::string::npos) << error.what();
  EXPECT_NE(error.message().message.find("\"SELEC\""), std::string::npos)
      << error.message().message;
  EXPECT_EQ(error.message().position, 13) << "the position of SELEC, 1-based, in characters";
  EXPECT_EQ(error.code(), ExitCode::failed);
}

TYPED_TEST_P(ConformanceTest, RunsAMultiStatementScript) {
  Connection& db = *this->m_db;
  db.execute(
      "-- a migration\n"
      "CREATE TABLE a (x integer);\n"
      "INSERT INTO a VALUES (1);\n"
      "INSERT INTO a VALUES (2); /* trailing */\n"
      "-- end\n");
  EXPECT_EQ(this->scalar("SELECT count(*) FROM a"), "2");
  db.execute("-- only a comment\n");
  db.execute("");
}

TYPED_TEST_P(ConformanceTest, RollbackUndoesDdl) {
  Connection& db = *this->m_db;
  EXPECT_FALSE(db.in_transaction());
  db.begin();
  EXPECT_TRUE(db.in_transaction());
  db.execute("CREATE TABLE doomed (x integer); INSERT INTO doomed VALUES (1)");
  EXPECT_EQ(this->scalar("SELECT count(*) FROM doomed"), "1");
  db.rollback();
  EXPECT_FALSE(db.in_transaction());
  const DatabaseError error =
      expect_database_error([&] { static_cast<void>(db.query("SELECT count(*) FROM doomed")); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement);
  EXPECT_NE(std::string(error.what()).find("doomed"), std::string::npos)
      << "the table must be gone after rollback: " << error.what();
}

TYPED_TEST_P(ConformanceTest, CommitPersistsForOtherConnections) {
  Connection& db = *this->m_db;
  db.begin();
  db.execute("CREATE TABLE kept (x integer)");
  static_cast<void>(db.query("INSERT INTO kept VALUES ($1)", std::vector<Value>{"7"}));
  db.commit();
  EXPECT_FALSE(db.in_transaction());
  const auto other = this->other_connection();
  const Rows rows = other->query("SELECT x FROM kept");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows.rows[0][0], Value("7"));
}

TYPED_TEST_P(ConformanceTest, StaysInTheTransactionAfterAFailedStatement) {
  Connection& db = *this->m_db;
  db.begin();
  const DatabaseError error =
      expect_database_error([&] { db.execute("INSERT INTO no_such_table VALUES (1)"); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement);
  EXPECT_NE(std::string(error.what()).find("no_such_table"), std::string::npos) << error.what();
  EXPECT_TRUE(db.in_transaction()) << "the caller must still roll back";
  db.rollback();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(this->scalar("SELECT 1"), "1") << "the connection is usable after rollback";
}

TYPED_TEST_P(ConformanceTest, CancelFromAnotherThreadStopsALongStatement) {
  Connection& db = *this->m_db;
  db.cancel();  // nothing runs: a no-op that must not affect the next statement
  EXPECT_EQ(this->scalar("SELECT 1"), "1");

  const auto started = std::chrono::steady_clock::now();
  auto running = std::async(std::launch::async, [&] {
    return expect_database_error([&] { static_cast<void>(db.query(TypeParam::k_long_statement)); });
  });
  // The statement may not have reached the server when the first cancel goes out: repeat
  // until it ends, so the test does not depend on timing.
  while (running.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    db.cancel();
    ASSERT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20))
        << "cancel() did not stop the statement";
  }
  const DatabaseError error = running.get();
  EXPECT_EQ(error.kind(), DatabaseError::Kind::cancelled) << error.what();
  EXPECT_EQ(std::string(error.what()).rfind("the statement was cancelled", 0), 0U) << error.what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  EXPECT_EQ(this->scalar("SELECT 2"), "2") << "the connection is usable after a cancel";
}

TYPED_TEST_P(ConformanceTest, QuotesIdentifiersSoOddNamesWork) {
  Connection& db = *this->m_db;
  const std::string name = base::quote_identifier("select \"x\" from", db.dialect());
  EXPECT_EQ(name, "\"select \"\"x\"\" from\"");
  db.execute("CREATE TABLE " + name + " (" + base::quote_identifier("order", db.dialect()) +
             " integer)");
  db.execute("INSERT INTO " + name + " VALUES (5)");
  EXPECT_EQ(
      this->scalar("SELECT " + base::quote_identifier("order", db.dialect()) + " FROM " + name),
      "5");
}

// Every keyword the shared quoting rule quotes works as a table and a column name once quoted,
// and every name it leaves bare reads back as the very name: the rule is the database's.
TYPED_TEST_P(ConformanceTest, TheSharedQuotingRuleMatchesTheDatabase) {
  Connection& db = *this->m_db;
  const base::Dialect dialect = db.dialect();
  db.begin();
  for (const std::string_view keyword : base::quoted_keywords(dialect)) {
    const std::string name = base::quote_identifier(keyword, dialect);
    db.execute("CREATE TABLE " + name + " (" + name + " integer)");
  }
  db.rollback();
  int table = 0;
  for (const std::string_view bare :
       {"accounts", "version", "name", "key", "user", "position", "Accounts", "_x9"}) {
    const std::string quoted = base::quote_identifier(bare, dialect);
    const std::string t = "t" + std::to_string(++table);
    db.execute("CREATE TABLE " + t + " (" + quoted + " integer)");
    EXPECT_EQ(db.query("SELECT " + quoted + " FROM " + t).columns,
              std::vector<std::string>{std::string(bare)})
        << quoted;
  }
}

// cancel() with no statement running is a no-op, and the connection goes on as before.
TYPED_TEST_P(ConformanceTest, CancelWithNothingRunningChangesNothing) {
  Connection& db = *this->m_db;
  db.cancel();
  EXPECT_EQ(this->scalar("SELECT 1"), "1");
  db.begin();
  db.cancel();
  EXPECT_TRUE(db.in_transaction());
  db.execute("CREATE TABLE kept (x integer)");
  db.commit();
  EXPECT_EQ(this->scalar("SELECT count(*) FROM kept"), "0");
}

// The notices a driver keeps are handed out once: a second take_notices() is empty.
TYPED_TEST_P(ConformanceTest, TakeNoticesHandsEachNoticeOutOnce) {
  Connection& db = *this->m_db;
  db.execute("CREATE TABLE IF NOT EXISTS t (x integer)");
  db.execute("CREATE TABLE IF NOT EXISTS t (x integer)");
  static_cast<void>(db.take_notices());
  EXPECT_TRUE(db.take_notices().empty());
}

// With capability online_backup, backup_to() copies the database into a new file and
// restore_from() puts it back; without it, both throw DatabaseError and touch nothing.
TYPED_TEST_P(ConformanceTest, BacksUpOnlineExactlyWhenItDeclaresTheCapability) {
  Connection& db = *this->m_db;
  db.execute("CREATE TABLE kept (x integer)");
  db.execute("INSERT INTO kept VALUES (7)");
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("retort-conformance-" + std::to_string(::getpid()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
  std::filesystem::remove(file);
  if (!db.capabilities().online_backup) {
    EXPECT_EQ(expect_database_error([&] { db.backup_to(file.string()); }).kind(),
              DatabaseError::Kind::statement);
    EXPECT_EQ(expect_database_error([&] { db.restore_from(file.string()); }).kind(),
              DatabaseError::Kind::statement);
    EXPECT_FALSE(std::filesystem::exists(file));
    EXPECT_EQ(this->scalar("SELECT x FROM kept"), "7");
    return;
  }
  db.backup_to(file.string());
  EXPECT_TRUE(std::filesystem::exists(file));
  db.execute("DELETE FROM kept");
  db.restore_from(file.string());
  EXPECT_EQ(this->scalar("SELECT x FROM kept"), "7");
  std::filesystem::remove(file);
}

REGISTER_TYPED_TEST_SUITE_P(
    ConformanceTest, ReportsDialectAndVersion, InsertsWithParametersAndQueriesRowsAndNulls,
    BindsTheSameParameterTwiceAndNullParameters, RejectsAParameterCountMismatch,
    KeepsUnicodeIdentifiersAndData, ReportsASyntaxErrorWithItsCharacterPosition,
    RunsAMultiStatementScript, RollbackUndoesDdl, CommitPersistsForOtherConnections,
    StaysInTheTransactionAfterAFailedStatement, CancelFromAnotherThreadStopsALongStatement,
    QuotesIdentifiersSoOddNamesWork, TheSharedQuotingRuleMatchesTheDatabase,
    CancelWithNothingRunningChangesNothing, TakeNoticesHandsEachNoticeOutOnce,
    BacksUpOnlineExactlyWhenItDeclaresTheCapability);

}  // namespace retort::driver::conformance
