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

  // postgresql://USER@127.0.0.1:PORT/postgres, a superuser, no password (trust on loopback).
  [[nodiscard]] std::string admin_url() const;
  // Creates a fresh, empty database with a unique name derived from hint (e.g. the test
  // name) and returns its URL.
  [[nodiscard]] std::string create_database(std::string_view hint);
  [[nodiscard]] int port() const;
  [[nodiscard]] std::string user() const;
  // The directory of the PostgreSQL 15 server programs (initdb, pg_ctl, psql, pg_dump).
  [[nodiscard]] const std::filesystem::path& bin_dir() const;
  // Runs an SQL command as superuser through psql; returns psql's stdout. Fails the test on
  // error.
  std::string psql(std::string_view database_url, std::string_view sql);

  void stop();  // immediate shutdown; also run at exit and by the environment's TearDown

 private:
  PostgresServer();
  struct State;
  State* m_state;
};

}  // namespace retort::test
