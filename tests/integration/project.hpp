// A temporary retort project for integration tests: migration files written in code, a Config
// pointing at a real SQLite file or a fresh PostgreSQL database, and helpers that read back
// what a user would check (schema, version table, ledger).
#pragma once

#include "driver/driver.hpp"
#include "harness/process.hpp"
#include "retort/config.hpp"

#include <memory>
#include <string>
#include <vector>

namespace retort::test {

enum class Backend { sqlite, postgres };

[[nodiscard]] const char* backend_name(Backend backend);

struct MigrationSpec {
  std::string revision;
  std::vector<std::string> revises;
  std::string upgrade;
  std::string downgrade;                   // empty: no downgrade section
  std::vector<std::string> extra_headers;  // e.g. "transaction false", "depends_on abc"
  std::string message;
};

class Project {
 public:
  explicit Project(Backend backend, const std::string& hint);

  [[nodiscard]] Backend backend() const noexcept { return m_backend; }
  [[nodiscard]] const Config& config() const noexcept { return m_config; }
  [[nodiscard]] Config& config() noexcept { return m_config; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir.path(); }

  // Writes versions/<revision>_<slug>.sql and returns its path relative to the project.
  std::string add(const MigrationSpec& spec);

  // A connection of the test's own, for reading back and for setting the stage.
  driver::Connection& db();

  // What a user would look at.
  [[nodiscard]] std::vector<std::string> version_rows();
  [[nodiscard]] std::vector<std::string> tables();  // user tables, sorted, without retort's
  // A text snapshot of the schema (tables, columns, indexes) for before/after comparisons.
  [[nodiscard]] std::string schema();
  struct LedgerRow {
    std::string revision;
    std::string direction;
    std::string status;
    int statements_done = 0;
    int statements_total = 0;
    std::string error;
  };
  [[nodiscard]] std::vector<LedgerRow> ledger();

  // Writes retort.toml in the project directory from config() (script_location, url,
  // version_table, transaction_per_migration), so that the retort binary run there sees the same
  // project.
  void write_config_file() const;
  // The rows of a query as "col1|col2|..." lines, NULL as "NULL": for checks the helpers above
  // do not cover (a column's type, a row count).
  [[nodiscard]] std::vector<std::string> query_rows(const std::string& sql);

 private:
  Backend m_backend;
  TempDir m_dir;
  Config m_config;
  std::unique_ptr<driver::Connection> m_db;
};

}  // namespace retort::test
