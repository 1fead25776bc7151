// The conformance suite on a real PostgreSQL server, and what only the PostgreSQL driver does:
// server error fields, notices, timeouts, lost connections, and connection errors that never
// show the password.
#include "conformance_suite.hpp"
#include "harness/postgres_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <future>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace retort::driver::conformance {

struct PostgresTraits {
  static std::string fresh_url(std::string_view hint) {
    return test::PostgresServer::instance().create_database(hint);
  }
  static constexpr std::string_view k_version_prefix = "PostgreSQL 15.";
  static constexpr std::string_view k_long_statement = "SELECT pg_sleep(30)";
  static constexpr base::Dialect k_dialect = base::Dialect::postgres;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, ConformanceTest, PostgresTraits);

namespace {

using std::chrono::steady_clock;

class PostgresDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_url = test::PostgresServer::instance().create_database(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    m_db = connect_url(m_url);
  }
  std::string scalar(std::string_view sql) {
    const Rows rows = m_db->query(sql);
    return rows.size() == 1 && rows.rows[0].size() == 1 ? text_of(rows.rows[0][0]) : "<none>";
  }
  std::string m_url;
  std::unique_ptr<Connection> m_db;
};

TEST_F(PostgresDriverTest, DeclaresItsCapabilitiesAndNamesItsSession) {
  const Capabilities& capabilities = m_db->capabilities();
  EXPECT_TRUE(capabilities.transactional_ddl);
  EXPECT_TRUE(capabilities.advisory_locks);
  EXPECT_TRUE(capabilities.concurrent_statements);
  EXPECT_TRUE(capabilities.schemas);
  EXPECT_EQ(scalar("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"),
            "retort");
  EXPECT_EQ(m_db->server_version(),
            "PostgreSQL " + scalar("SELECT current_setting('server_version_num')::int / 10000 || "
                                   "'.' || current_setting('server_version_num')::int % 10000"));
}

TEST_F(PostgresDriverTest, ReportsSqlstateMessageAndDetail) {
  m_db->execute("CREATE TABLE u (x integer UNIQUE); INSERT INTO u VALUES (1)");
  const DatabaseError error =
      expect_database_error([&] { m_db->execute("INSERT INTO u VALUES (1)"); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement);
  EXPECT_STREQ(error.what(), "duplicate key value violates unique constraint \"u_x_key\"");
  EXPECT_EQ(error.message().sqlstate, "23505");
  EXPECT_EQ(error.message().detail, "Key (x)=(1) already exists.");
  EXPECT_EQ(error.message().position, 0);
}

TEST_F(PostgresDriverTest, ReportsTheHint) {
  const DatabaseError error =
      expect_database_error([&] { static_cast<void>(m_db->query("SELECT no_such_fn(1)")); });
  EXPECT_EQ(error.message().sqlstate, "42883");
  EXPECT_STREQ(error.what(), "function no_such_fn(integer) does not exist");
  EXPECT_EQ(error.message().hint,
            "No function matches the given name and argument types. You might need to add "
            "explicit type casts.");
  EXPECT_EQ(error.message().position, 8);
}

// base::quote_identifier quotes exactly the keywords the server does not take as a bare name:
// every category but unreserved (pg_get_keywords() catcode 'U').
TEST_F(PostgresDriverTest, TheQuotedKeywordsAreTheServersOwn) {
  const Rows rows = m_db->query(
      "SELECT word FROM pg_get_keywords() WHERE catcode <> 'U' ORDER BY word COLLATE \"C\"");
  std::vector<std::string> server;
  for (const auto& row : rows.rows) {
    server.push_back(text_of(row[0]));
  }
  const auto ours = base::quoted_keywords(base::Dialect::postgres);
  EXPECT_EQ(std::vector<std::string>(ours.begin(), ours.end()), server);
}

TEST_F(PostgresDriverTest, KeepsNoticesUntilTaken) {
  m_db->execute("DROP TABLE IF EXISTS nothing_here");
  EXPECT_EQ(m_db->take_notices(),
            std::vector<std::string>{"NOTICE: table \"nothing_here\" does not exist, skipping"});
  EXPECT_TRUE(m_db->take_notices().empty());
}

TEST_F(PostgresDriverTest, CommitAfterAFailedStatementThrowsAndRollsBack) {
  m_db->execute("CREATE TABLE t (x integer)");
  m_db->begin();
  m_db->execute("INSERT INTO t VALUES (1)");
  static_cast<void>(expect_database_error([&] { m_db->execute("SELECT 1/0"); }));
  const DatabaseError error = expect_database_error([&] { m_db->commit(); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::statement);
  EXPECT_STREQ(error.what(),
               "cannot commit: an earlier statement failed, so the transaction was rolled back");
  EXPECT_FALSE(m_db->in_transaction());
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), "0");
}

TEST_F(PostgresDriverTest, StatementTimeoutIsACancelWithTheServerReason) {
  m_db->execute("SET statement_timeout = '100ms'");
  const DatabaseError error =
      expect_database_error([&] { static_cast<void>(m_db->query("SELECT pg_sleep(10)")); });
  EXPECT_EQ(error.kind(), DatabaseError::Kind::cancelled);
  EXPECT_EQ(error.message().sqlstate, "57014");
  EXPECT_STREQ(error.what(), "canceling statement due to statement timeout");
}

TEST_F(PostgresDriverTest, ATerminatedSessionIsBrokenAndRollbackDoesNotThrow) {
  const std::string pid = scalar("SELECT pg_backend_pid()");
  m_db->begin();
  auto running = std::async(std::launch::async, [&] {
    return expect_database_error([&] { m_db->execute("SELECT pg_sleep(30)"); });
  });
  const auto admin = connect_url(test::PostgresServer::instance().admin_url());
  const auto started = steady_clock::now();
  while (running.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    static_cast<void>(admin->query("SELECT pg_terminate_backend(CAST($1 AS int))", {{pid}}));
    ASSERT_LT(steady_clock::now() - started, std::chrono::seconds(20));
  }
  const DatabaseError error = running.get();
  EXPECT_EQ(error.kind(), DatabaseError::Kind::broken) << error.what();
  EXPECT_EQ(std::string(error.what()).rfind("the connection to the server was lost: ", 0), 0U)
      << error.what();
  EXPECT_NE(std::string(error.what()).find("whether the statement took effect is unknown"),
            std::string::npos);
  EXPECT_NO_THROW(m_db->rollback());
  const DatabaseError next = expect_database_error([&] { m_db->execute("SELECT 1"); });
  EXPECT_EQ(next.kind(), DatabaseError::Kind::broken) << next.what();
}

// The hazard execute() documents: a script is one implicit transaction.
TEST_F(PostgresDriverTest, AScriptOutsideATransactionIsAllOrNothing) {
  const DatabaseError error = expect_database_error(
      [&] { m_db->execute("CREATE TABLE t (x integer); CREATE INDEX CONCURRENTLY t_x ON t (x)"); });
  EXPECT_EQ(error.message().sqlstate, "25001");
  EXPECT_STREQ(error.what(), "CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = 't'"), "0")
      << "the CREATE TABLE before it was rolled back too";

  m_db->execute("CREATE TABLE t (x integer)");
  m_db->execute("CREATE INDEX CONCURRENTLY t_x ON t (x)");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "1");
}

// A loopback TCP port: listening (accepting the handshake but never answering) or closed.
class LoopbackPort {
 public:
  explicit LoopbackPort(bool listen_on_it) {
    m_fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    auto* generic = reinterpret_cast<sockaddr*>(&address);
    if (m_fd < 0 || bind(m_fd, generic, sizeof address) != 0 ||
        getsockname(m_fd, generic, &length) != 0 || (listen_on_it && listen(m_fd, 8) != 0)) {
      ADD_FAILURE() << "cannot set up a loopback port";
    }
    m_port = ntohs(address.sin_port);
    if (!listen_on_it) {
      close(m_fd);  // nobody listens there now: connecting is refused
      m_fd = -1;
    }
  }
  ~LoopbackPort() {
    if (m_fd >= 0) {
      close(m_fd);
    }
  }
  LoopbackPort(const LoopbackPort&) = delete;
  LoopbackPort& operator=(const LoopbackPort&) = delete;
  [[nodiscard]] int port() const { return m_port; }

 private:
  int m_fd = -1;
  int m_port = 0;
};

constexpr std::string_view k_password = "Sw0rdfish-Secret";

DatabaseError connect_error(const std::string& url, ConnectOptions options = {}) {
  return expect_database_error([&] {
    auto parsed = base::parse_database_url(url);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    static_cast<void>(connect(*parsed, options));
  });
}

void expect_no_password(const DatabaseError& error) {
  EXPECT_EQ(std::string(error.what()).find(k_password), std::string::npos) << error.what();
  EXPECT_EQ(format_error(error).find(k_password), std::string::npos) << format_error(error);
}

TEST(PostgresConnectTest, AClosedPortFailsAtOnceNamingTheRedactedUrl) {
  const LoopbackPort closed(false);
  const std::string port = std::to_string(closed.port());
  const auto started = steady_clock::now();
  const DatabaseError error = connect_error("postgresql://migrator:" + std::string(k_password) +
                                            "@127.0.0.1:" + port + "/app");
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(error.kind(), DatabaseError::Kind::connect);
  EXPECT_EQ(std::string(error.what())
                .rfind("cannot connect to postgresql://migrator:***@127.0.0.1:" + port +
                           "/app: connection to server at \"127.0.0.1\", port " + port +
                           " failed: Connection refused",
                       0),
            0U)
      << error.what();
  expect_no_password(error);
}

TEST(PostgresConnectTest, AServerThatNeverAnswersTimesOutWithinConnectTimeout) {
  const LoopbackPort silent(true);
  const std::string port = std::to_string(silent.port());
  ConnectOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  const auto started = steady_clock::now();
  const DatabaseError error = connect_error("postgresql://migrator:" + std::string(k_password) +
                                                "@127.0.0.1:" + port + "/app?sslmode=disable",
                                            options);
  const auto elapsed = steady_clock::now() - started;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1500));
  EXPECT_LT(elapsed, std::chrono::seconds(6));
  EXPECT_EQ(error.kind(), DatabaseError::Kind::connect);
  EXPECT_EQ(std::string(error.what()),
            "cannot connect to postgresql://migrator:***@127.0.0.1:" + port +
                "/app?sslmode=disable: connection to server at \"127.0.0.1\", port " + port +
                " failed: timeout expired")
      << error.what();
  expect_no_password(error);
}

// The harness's password role authenticates with scram-sha-256 on loopback; every other role
// is trusted, so only this role can show a wrong password.
TEST(PostgresConnectTest, AWrongPasswordFailsWithTheServerReasonAndNoPassword) {
  test::PostgresServer& server = test::PostgresServer::instance();
  const std::string role(test::PostgresServer::k_password_user);
  const std::string port = std::to_string(server.port());
  const std::string wrong_url =
      "postgresql://" + role + ":" + std::string(k_password) + "@127.0.0.1:" + port + "/postgres";
  const DatabaseError error = connect_error(wrong_url);
  EXPECT_EQ(error.kind(), DatabaseError::Kind::connect);
  EXPECT_EQ(std::string(error.what()),
            "cannot connect to postgresql://" + role + ":***@127.0.0.1:" + port +
                "/postgres: connection to server at \"127.0.0.1\", port " + port +
                " failed: FATAL:  password authentication failed for user \"" + role + "\"")
      << error.what();
  expect_no_password(error);

  // The right password gets in, so the failure above was about the password.
  const auto db = connect_url(server.password_url("postgres"));
  const Rows rows = db->query("SELECT current_user");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows.rows[0][0], Value(role));
}

}  // namespace
}  // namespace retort::driver::conformance
