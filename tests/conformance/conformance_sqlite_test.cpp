// The conformance suite on SQLite files, and what only the SQLite driver does: opening files,
// foreign keys, the busy timeout, result codes in messages, $N parameters.
#include "conformance_suite.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <stdlib.h>  // mkdtemp
#include <string>
#include <vector>

namespace retort::driver::conformance {
namespace {

// A directory for this test binary's database files, removed when the binary exits.
class ScratchDir {
 public:
  static const std::filesystem::path& path() {
    static ScratchDir dir;
    return dir.m_path;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

 private:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "retort-sqlite-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a scratch directory in " + pattern);
    }
    m_path = pattern;
  }
  std::filesystem::path m_path;
};

std::string fresh_file(std::string_view hint) {
  static std::atomic<int> counter{0};
  return (ScratchDir::path() / (std::string(hint) + "_" + std::to_string(++counter) + ".db"))
      .string();
}

}  // namespace

struct SqliteTraits {
  static std::string fresh_url(std::string_view hint) { return "sqlite:///" + fresh_file(hint); }
  static constexpr std::string_view k_version_prefix = "SQLite 3.";
  // Counts to two billion, one row at a time: minutes of work, so only cancel() ends it soon.
  static constexpr std::string_view k_long_statement =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
      "SELECT count(*) FROM c";
  static constexpr base::Dialect k_dialect = base::Dialect::sqlite;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, ConformanceTest, SqliteTraits);

namespace {

class SqliteDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_path = fresh_file(::testing::UnitTest::GetInstance()->current_test_info()->name());
    m_db = connect_url("sqlite:///" + m_path);
  }
  std::string scalar(std::string_view sql) {
    const Rows rows = m_db->query(sql);
    return rows.size() == 1 && rows.rows[0].size() == 1 ? text_of(rows.rows[0][0]) : "<none>";
  }
  std::string m_path;
  std::unique_ptr<Connection> m_db;
};

TEST_F(SqliteDriverTest, CreatesTheFileAndDeclaresItsCapabilities) {
  EXPECT_TRUE(std::filesystem::exists(m_path));
  const Capabilities& capabilities = m_db->capabilities();
  EXPECT_TRUE(capabilities.transactional_ddl);
  EXPECT_FALSE(capabilities.advisory_locks);
  EXPECT_FALSE(capabilities.concurrent_statements);
  EXPECT_FALSE(capabilities.schemas);
  EXPECT_TRUE(m_db->take_notices().empty());
}

TEST_F(SqliteDriverTest, TurnsForeignKeysOnAndWaitsFiveSecondsForLocks) {
  EXPECT_EQ(scalar("PRAGMA foreign_keys"), "1");
  EXPECT_EQ(scalar("PRAGMA busy_timeout"), "5000");
  m_db->execute(
      "CREATE TABLE parent (id integer PRIMARY KEY);"
      "CREATE TABLE child (parent_id integer REFERENCES parent (id))");
  const DatabaseError error =
      expect_database_error([&] { m_db->execute("INSERT INTO child VALUES (42)"); });
  EXPECT_STREQ(error.what(), "FOREIGN KEY constraint failed [SQLITE_CONSTRAINT_FOREIGNKEY]");
  EXPECT_EQ(error.message().message, "FOREIGN KEY constraint failed");
  EXPECT_EQ(error.message().detail, "SQLite result code SQLITE_CONSTRAINT_FOREIGNKEY");
  EXPECT_EQ(error.message().sqlstate, "");
}

TEST_F(SqliteDriverTest, NamesTheExtendedResultCodeOfAUniqueViolation) {
  m_db->execute("CREATE TABLE u (x integer UNIQUE); INSERT INTO u VALUES (1)");
  const DatabaseError error =
      expect_database_error([&] { m_db->execute("INSERT INTO u VALUES (1)"); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement);
  EXPECT_STREQ(error.what(), "UNIQUE constraint failed: u.x [SQLITE_CONSTRAINT_UNIQUE]");
}

TEST_F(SqliteDriverTest, ReportsThePositionOfAnUnknownColumnInTheWholeScript) {
  m_db->execute("CREATE TABLE t (x integer)");
  const DatabaseError error =
      expect_database_error([&] { m_db->execute("SELECT 1;\nSELECT nope FROM t"); });
  EXPECT_STREQ(error.what(), "no such column: nope [SQLITE_ERROR]");
  EXPECT_EQ(error.message().position, 18);
}

TEST_F(SqliteDriverTest, RefusesPlaceholdersOtherThanDollarNumbers) {
  const DatabaseError question =
      expect_database_error([&] { static_cast<void>(m_db->query("SELECT ?", {})); });
  EXPECT_STREQ(question.what(), "parameter '?' is not supported: write $1, $2, ...");
  const DatabaseError named =
      expect_database_error([&] { static_cast<void>(m_db->query("SELECT :name", {})); });
  EXPECT_STREQ(named.what(), "parameter ':name' is not supported: write $1, $2, ...");
  const DatabaseError missing = expect_database_error(
      [&] { static_cast<void>(m_db->query("SELECT $2", std::vector<Value>{"a"})); });
  EXPECT_STREQ(missing.what(), "the statement uses $2 but 1 parameter(s) were given");
  const DatabaseError extra = expect_database_error([&] {
    static_cast<void>(m_db->query("SELECT $1", std::vector<Value>{"a", "b"}));
  });
  EXPECT_STREQ(extra.what(), "2 parameter(s) were given but the statement uses 1");
}

TEST_F(SqliteDriverTest, QueryRefusesASecondStatement) {
  const DatabaseError error =
      expect_database_error([&] { static_cast<void>(m_db->query("SELECT 1; SELECT 2")); });
  EXPECT_STREQ(error.what(), "query() runs one statement, but the SQL holds more than one");
  EXPECT_EQ(scalar("SELECT 1; -- just a comment"), "1");
}

// The other side of the hazard execute() documents: SQLite commits statement by statement.
TEST_F(SqliteDriverTest, AScriptOutsideATransactionKeepsTheStatementsBeforeAFailure) {
  static_cast<void>(expect_database_error(
      [&] { m_db->execute("CREATE TABLE t (x integer); INSERT INTO missing VALUES (1)"); }));
  EXPECT_EQ(scalar("SELECT count(*) FROM sqlite_schema WHERE name = 't'"), "1");
}

TEST_F(SqliteDriverTest, BeginTakesTheWriteLockSoASecondWriterWaitsThenFails) {
  m_db->begin();
  const auto other = connect_url("sqlite:///" + m_path);
  // Without the busy timeout this would fail at once; with it, after five seconds.
  other->execute("PRAGMA busy_timeout = 200");
  const DatabaseError error = expect_database_error([&] { other->begin(); });
  EXPECT_STREQ(error.what(), "database is locked [SQLITE_BUSY]");
  EXPECT_FALSE(other->in_transaction());
  m_db->rollback();
  other->begin();
  other->commit();
}

// base::quote_identifier quotes exactly the words sqlite3_keyword_check() knows.
TEST(SqliteKeywordsTest, TheQuotedKeywordsAreSqlitesOwn) {
  std::vector<std::string> sqlite;
  for (int i = 0; i < sqlite3_keyword_count(); ++i) {
    const char* name = nullptr;
    int size = 0;
    ASSERT_EQ(sqlite3_keyword_name(i, &name, &size), SQLITE_OK);
    std::string word(name, static_cast<std::size_t>(size));
    std::transform(word.begin(), word.end(), word.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    sqlite.push_back(std::move(word));
  }
  std::sort(sqlite.begin(), sqlite.end());
  const auto ours = base::quoted_keywords(base::Dialect::sqlite);
  EXPECT_EQ(std::vector<std::string>(ours.begin(), ours.end()), sqlite);
}

TEST(SqliteConnectTest, AMissingDirectoryIsAConnectErrorNamingIt) {
  const std::filesystem::path missing = ScratchDir::path() / "no" / "such";
  const std::string url = "sqlite:///" + (missing / "app.db").string();
  const DatabaseError error = expect_database_error([&] { static_cast<void>(connect_url(url)); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::connect);
  EXPECT_EQ(std::string(error.what()), "cannot open the SQLite database " + url +
                                           ": the directory '" + missing.string() +
                                           "' does not exist; create it first");
}

TEST(SqliteConnectTest, AFileThatIsNotADatabaseIsAConnectError) {
  const std::string path = fresh_file("garbage");
  std::ofstream(path) << "this is not a database, just some text that is long enough to be a "
                         "header of one hundred bytes, which SQLite reads first and rejects.";
  const DatabaseError error =
      expect_database_error([&] { static_cast<void>(connect_url("sqlite:///" + path)); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::connect);
  EXPECT_EQ(std::string(error.what()), "cannot open the SQLite database sqlite:///" + path +
                                           ": file is not a database [SQLITE_NOTADB]");
}

TEST(SqliteConnectTest, OpensAnInMemoryDatabase) {
  const auto db = connect_url("sqlite:///:memory:");
  db->execute("CREATE TABLE t (x integer); INSERT INTO t VALUES (3)");
  const Rows rows = db->query("SELECT x FROM t");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows.rows[0][0], Value("3"));
}

}  // namespace
}  // namespace retort::driver::conformance
