// A real PgBouncer in front of the test PostgreSQL server, for tests of what a pooler changes:
// the Debian pgbouncer binary in the foreground, its configuration in a temp dir, a free port.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace retort::test {

// PgBouncer's pool_mode: a server connection per client session, or per transaction.
enum class PoolMode { session, transaction };

// One pgbouncer process, started by the constructor and stopped by the destructor, in front of
// PostgresServer::instance(): every database, the server's admin user without a password
// (auth_type trust), default_pool_size k_default_pool_size per database, pgbouncer's defaults
// otherwise (LIFO reuse of server connections, server_reset_query DISCARD ALL in session mode).
// No ignore_startup_parameters: a connection that sends `options` (a URL's ?options=, or
// PGOPTIONS) is refused with "unsupported startup parameter: options", as by a production
// pgbouncer.
//
// pgbouncer refuses to run as root: when the tests run as root, it runs as the `postgres` OS
// user. The program is $RETORT_PGBOUNCER, else /usr/sbin/pgbouncer, else pgbouncer on PATH.
//
// pgbouncer gets SIGTERM when the thread that constructed the PgBouncer ends (the parent-death
// signal follows the forking thread), so that it never outlives a killed test binary: construct
// it on a thread that outlives it, as a test body does.
class PgBouncer {
 public:
  static constexpr int k_default_pool_size = 4;
  static constexpr int k_max_client_conn = 200;

  // Starts pgbouncer and waits until a query runs through it. Fails the test loudly (never
  // skips) and throws, with pgbouncer's log, when it cannot start or does not answer in time.
  explicit PgBouncer(PoolMode mode);
  // SIGTERM (pgbouncer's immediate shutdown), SIGKILL after a grace period, reap, and removal
  // of the temp dir (kept when RETORT_KEEP_TEMP is set).
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  // postgresql://USER@127.0.0.1:PORT/DATABASE through pgbouncer, USER as in
  // PostgresServer::url().
  [[nodiscard]] std::string url(std::string_view database) const;
  // The loopback port pgbouncer listens on.
  [[nodiscard]] int port() const;
  [[nodiscard]] PoolMode mode() const;
  // pgbouncer's stdout and stderr (connections, pool events, errors).
  [[nodiscard]] std::filesystem::path log_path() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace retort::test
