// The PostgreSQL driver: statements go out with PQsendQuery in non-blocking mode and results
// come back through a poll() loop, so PQcancel from another thread can interrupt them.
#include "driver/postgres/connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <poll.h>
#include <string>
#include <utility>
#include <vector>

namespace retort::driver::postgres {

namespace {

using Kind = DatabaseError::Kind;

// SQLSTATE query_canceled: PQcancel, statement_timeout and a user's pg_cancel_backend.
constexpr std::string_view k_query_canceled = "57014";

struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string trim_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.pop_back();
  }
  return text;
}

// libpq's messages do not contain the password today; scrubbing keeps that true whatever a
// future libpq or a URL-echoing message says.
std::string scrub(std::string text, const std::string& password) {
  if (!password.empty()) {
    std::size_t pos = 0;
    while ((pos = text.find(password, pos)) != std::string::npos) {
      text.replace(pos, password.size(), "***");
      pos += 3;
    }
  }
  return base::redact_url(text);
}

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value == nullptr ? std::string() : std::string(value);
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, std::string password)
      : m_conn(conn), m_cancel(PQgetCancel(conn)), m_password(std::move(password)) {
    // The receiver keeps `this`: the object is heap-allocated and never moves.
    PQsetNoticeReceiver(m_conn, &PostgresConnection::on_notice, this);
  }
  ~PostgresConnection() override {
    if (m_cancel != nullptr) {
      PQfreeCancel(m_cancel);
    }
    PQfinish(m_conn);
  }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  [[nodiscard]] base::Dialect dialect() const noexcept override { return base::Dialect::postgres; }

  [[nodiscard]] const Capabilities& capabilities() const noexcept override {
    static const Capabilities k_capabilities{.transactional_ddl = true,
                                             .advisory_locks = true,
                                             .concurrent_statements = true,
                                             .schemas = true};
    return k_capabilities;
  }

  [[nodiscard]] std::string server_version() const override {
    // 150020 -> 15.20 (the numbering of PostgreSQL 10 and later).
    const int version = PQserverVersion(m_conn);
    return fmt::format("PostgreSQL {}.{}", version / 10000, version % 10000);
  }

  void execute(std::string_view sql) override {
    const std::string text(sql);
    m_cancel_requested.store(false);
    if (PQsendQuery(m_conn, text.c_str()) == 0) {
      throw_send_failure();
    }
    static_cast<void>(collect(false));
  }

  Rows query(std::string_view sql, std::span<const Value> params) override {
    const std::string text(sql);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Value& value : params) {
      values.push_back(value ? value->c_str() : nullptr);
    }
    m_cancel_requested.store(false);
    // Text format both ways, parameter types left to the server to infer.
    if (PQsendQueryParams(m_conn, text.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0) == 0) {
      throw_send_failure();
    }
    return collect(true);
  }

  void begin() override {
    assert(!in_transaction() && "begin() inside a transaction");
    execute("BEGIN");
  }

  void commit() override {
    if (PQstatus(m_conn) == CONNECTION_BAD) {
      throw_broken(PQerrorMessage(m_conn));
    }
    assert(in_transaction() && "commit() outside a transaction");
    // COMMIT of a failed transaction succeeds on the server and rolls back: that must not
    // look like a commit to the caller.
    if (PQtransactionStatus(m_conn) == PQTRANS_INERROR) {
      rollback();
      throw DatabaseError(Kind::statement,
                          "cannot commit: an earlier statement failed, so the transaction was "
                          "rolled back",
                          {});
    }
    execute("COMMIT");
  }

  void rollback() override {
    if (PQstatus(m_conn) == CONNECTION_BAD || PQtransactionStatus(m_conn) == PQTRANS_IDLE) {
      return;  // the server ended the transaction when the connection or statement failed
    }
    try {
      execute("ROLLBACK");
    } catch (const DatabaseError& error) {
      // A lost connection rolls back on the server anyway; anything else is news.
      if (error.kind() != Kind::broken) {
        throw;
      }
    }
  }

  [[nodiscard]] bool in_transaction() const noexcept override {
    const PGTransactionStatusType status = PQtransactionStatus(m_conn);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

  // PQcancel on the PGcancel made at connect is the one libpq call that is safe from another
  // thread (or a signal handler) while the connection is in use.
  void cancel() noexcept override {
    if (m_cancel == nullptr) {
      return;
    }
    m_cancel_requested.store(true);
    std::array<char, 256> reason{};
    static_cast<void>(PQcancel(m_cancel, reason.data(), static_cast<int>(reason.size())));
  }

  [[nodiscard]] std::vector<std::string> take_notices() override {
    return std::exchange(m_notices, {});
  }

 private:
  static void on_notice(void* self, const PGresult* result) {
    auto* connection = static_cast<PostgresConnection*>(self);
    std::string severity = field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity.empty()) {
      severity = field(result, PG_DIAG_SEVERITY);
    }
    connection->m_notices.push_back(
        fmt::format("{}: {}", severity, field(result, PG_DIAG_MESSAGE_PRIMARY)));
  }

  // Waits until the socket is ready for what libpq needs. Blocking here is fine: cancel()
  // makes the server answer, and a dead server closes the socket.
  void wait_socket(short events) {
    const int socket = PQsocket(m_conn);
    if (socket < 0) {
      throw_broken(PQerrorMessage(m_conn));
    }
    pollfd descriptor{.fd = socket, .events = events, .revents = 0};
    while (poll(&descriptor, 1, -1) < 0) {
      if (errno != EINTR) {
        throw_broken(std::strerror(errno));
      }
    }
  }

  void consume_input() {
    if (PQconsumeInput(m_conn) == 0) {
      throw_broken(PQerrorMessage(m_conn));
    }
  }

  // Flushes the query out, then reads every result of it. The first error wins, but all
  // results are read so the connection is ready for the next statement. Returns the rows of
  // the last statement that returned rows, when asked.
  Rows collect(bool want_rows) {
    while (true) {
      const int flushed = PQflush(m_conn);
      if (flushed == 0) {
        break;
      }
      if (flushed < 0) {
        throw_broken(PQerrorMessage(m_conn));
      }
      // The server may be sending while we send (notices); read so neither side stalls.
      wait_socket(POLLIN | POLLOUT);
      consume_input();
    }

    Rows rows;
    Result first_error;
    while (true) {
      while (PQisBusy(m_conn) != 0) {
        wait_socket(POLLIN);
        consume_input();
      }
      Result result(PQgetResult(m_conn));
      if (!result) {
        break;
      }
      switch (PQresultStatus(result.get())) {
        case PGRES_TUPLES_OK:
          if (want_rows) {
            rows = take_rows(result.get());
          }
          break;
        case PGRES_FATAL_ERROR:
          if (!first_error) {
            first_error = std::move(result);
          }
          break;
        case PGRES_COPY_IN:
          // A migration has no data stream to feed COPY FROM STDIN: make the server fail it.
          if (PQputCopyEnd(m_conn,
                           "retort cannot feed COPY FROM STDIN; use INSERT or a file "
                           "the server can read") < 0) {
            throw_broken(PQerrorMessage(m_conn));
          }
          break;
        case PGRES_COPY_OUT:
          drain_copy_out();
          break;
        default:
          break;
      }
    }
    if (first_error) {
      throw_result_error(first_error.get());
    }
    if (PQstatus(m_conn) == CONNECTION_BAD) {
      throw_broken(PQerrorMessage(m_conn));
    }
    return rows;
  }

  void drain_copy_out() {
    while (true) {
      char* buffer = nullptr;
      const int length = PQgetCopyData(m_conn, &buffer, 1);
      if (buffer != nullptr) {
        PQfreemem(buffer);
      }
      if (length == 0) {
        wait_socket(POLLIN);
        consume_input();
      } else if (length == -1) {
        return;  // done; the final status comes from PQgetResult
      } else if (length == -2) {
        throw_broken(PQerrorMessage(m_conn));
      }
    }
  }

  static Rows take_rows(const PGresult* result) {
    Rows rows;
    const int columns = PQnfields(result);
    const int tuples = PQntuples(result);
    for (int column = 0; column < columns; ++column) {
      rows.columns.emplace_back(PQfname(result, column));
    }
    rows.rows.reserve(static_cast<std::size_t>(tuples));
    for (int tuple = 0; tuple < tuples; ++tuple) {
      std::vector<Value>& row = rows.rows.emplace_back();
      row.reserve(static_cast<std::size_t>(columns));
      for (int column = 0; column < columns; ++column) {
        if (PQgetisnull(result, tuple, column) != 0) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(
              std::string(PQgetvalue(result, tuple, column),
                          static_cast<std::size_t>(PQgetlength(result, tuple, column))));
        }
      }
    }
    return rows;
  }

  [[noreturn]] void throw_send_failure() {
    if (PQstatus(m_conn) == CONNECTION_BAD) {
      throw_broken(PQerrorMessage(m_conn));
    }
    // libpq refused before sending: e.g. another command still in progress.
    const std::string reason = scrub(trim_end(PQerrorMessage(m_conn)), m_password);
    ServerMessage message;
    message.message = reason;
    throw DatabaseError(Kind::statement, reason, std::move(message));
  }

  [[noreturn]] void throw_broken(const std::string& reason) {
    ServerMessage message;
    message.message = scrub(trim_end(reason), m_password);
    throw DatabaseError(Kind::broken,
                        fmt::format("the connection to the server was lost: {}; whether the "
                                    "statement took effect is unknown",
                                    message.message),
                        message);
  }

  [[noreturn]] void throw_result_error(const PGresult* result) {
    ServerMessage message;
    message.sqlstate = field(result, PG_DIAG_SQLSTATE);
    message.message = field(result, PG_DIAG_MESSAGE_PRIMARY);
    message.detail = field(result, PG_DIAG_MESSAGE_DETAIL);
    message.hint = field(result, PG_DIAG_MESSAGE_HINT);
    message.position = std::atoi(field(result, PG_DIAG_STATEMENT_POSITION).c_str());
    if (message.message.empty()) {
      // Errors made by libpq itself (a lost connection) have no fields, only the text.
      message.message = trim_end(PQresultErrorMessage(result));
    }
    message.message = scrub(message.message, m_password);

    if (PQstatus(m_conn) == CONNECTION_BAD) {
      throw_broken(message.message);
    }
    if (message.sqlstate == k_query_canceled) {
      std::string what =
          m_cancel_requested.load() ? "the statement was cancelled" : message.message;
      throw DatabaseError(Kind::cancelled, std::move(what), std::move(message));
    }
    std::string what = message.message;
    throw DatabaseError(Kind::statement, std::move(what), std::move(message));
  }

  PGconn* m_conn;
  PGcancel* m_cancel;
  std::string m_password;  // only to scrub it from messages
  std::atomic<bool> m_cancel_requested{false};
  std::vector<std::string> m_notices;
};

}  // namespace

std::unique_ptr<Connection> open(const base::DatabaseUrl& url, const ConnectOptions& options) {
  // libpq counts whole seconds and treats 1 as 2; round up so a short timeout is not "none".
  const auto milliseconds = options.connect_timeout.count();
  const std::string timeout = milliseconds <= 0 ? "0" : std::to_string((milliseconds + 999) / 1000);
  // Later keywords win: the URL comes last so its own ?connect_timeout=... overrides ours.
  const std::array<const char*, 5> keywords{"connect_timeout", "application_name",
                                            "client_encoding", "dbname", nullptr};
  const std::array<const char*, 5> values{timeout.c_str(), options.application_name.c_str(), "UTF8",
                                          url.text.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) {
    throw DatabaseError(Kind::connect,
                        fmt::format("cannot connect to {}: out of memory", url.redacted()), {});
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    ServerMessage message;
    message.message = scrub(trim_end(PQerrorMessage(conn)), url.password);
    PQfinish(conn);
    throw DatabaseError(Kind::connect,
                        fmt::format("cannot connect to {}: {}", url.redacted(), message.message),
                        message);
  }
  auto connection = std::make_unique<PostgresConnection>(conn, url.password);
  if (PQsetnonblocking(conn, 1) != 0) {
    throw DatabaseError(Kind::connect,
                        fmt::format("cannot connect to {}: {}", url.redacted(),
                                    scrub(trim_end(PQerrorMessage(conn)), url.password)),
                        {});
  }
  return connection;
}

}  // namespace retort::driver::postgres
