// A real, throwaway PostgreSQL 15 cluster for tests: initdb into a temp dir, a free loopback
// port, fsync off; started once per test binary and always torn down.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace retort::test {

class PostgresServer {
 public:
  // The cluster of this test binary, started on first use. Fails the test loudly (never
  // skips) when no server can be started: initdb missing, port trouble, start timeout.
  static PostgresServer& instance();

  // The role that logs in with a password (scram-sha-256 on loopback and the socket), a
  // superuser so that tests can run any migration with it.
  static constexpr std::string_view k_password_user = "retort_pw";
  static constexpr std::string_view k_password = "secret-pw-123";

  // postgresql://USER@127.0.0.1:PORT/postgres, a superuser, no password (trust on loopback).
  [[nodiscard]] std::string admin_url() const;
  // postgresql://USER@127.0.0.1:PORT/DATABASE, as admin_url() for another database.
  [[nodiscard]] std::string url(std::string_view database) const;
  // postgresql://retort_pw:secret-pw-123@127.0.0.1:PORT/DATABASE: the password role.
  [[nodiscard]] std::string password_url(std::string_view database) const;
  // Creates a fresh, empty database with a unique name derived from hint (e.g. the test
  // name: lower-cased, [a-z0-9_] only, plus a counter) and returns its admin URL.
  // Thread-safe. Fails the test (and throws) when CREATE DATABASE fails.
  [[nodiscard]] std::string create_database(std::string_view hint);
  [[nodiscard]] int port() const;
  [[nodiscard]] std::string user() const;
  // The directory of the PostgreSQL 15 server programs (initdb, pg_ctl, psql, pg_dump):
  // $RETORT_PG_BINDIR, else /usr/lib/postgresql/15/bin, else `pg_config --bindir`.
  [[nodiscard]] const std::filesystem::path& bin_dir() const;
  // The server's log (stdout and stderr of postgres), for messages a test expects there.
  [[nodiscard]] std::filesystem::path log_path() const;
  // Runs an SQL command through `psql -X -q -A -t -v ON_ERROR_STOP=1 -d URL -c SQL` and
  // returns psql's stdout (unaligned, tuples only: "1\n" for SELECT 1). Fails the test on
  // error, with psql's stderr.
  std::string psql(std::string_view database_url, std::string_view sql);

  // Immediate shutdown (SIGQUIT) and removal of the cluster's directory; also run at exit and
  // by the GoogleTest environment's TearDown. When the test binary dies instead, a launcher
  // process does the same (see postgres_server.cpp).
  void stop();

 private:
  PostgresServer();
  struct State;
  State* m_state;
};

}  // namespace retort::test
