// Reading a live database's schema into the model: PostgreSQL from its catalog, SQLite from
// sqlite_schema and its PRAGMAs. Both only read.
#pragma once

#include "driver/driver.hpp"
#include "schema/model.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace retort::schema {

struct ReadOptions {
  // Tables that are retort's own (the version table, the ledger, the lease), as raw
  // "schema.name" (PostgreSQL) or "name" (SQLite): bookkeeping, not the user's schema.
  std::vector<std::string> exclude_tables;
  // PostgreSQL: what the database says of each table's rows, for lint: the statistics'
  // estimate (Table::row_estimate; -1 for every table without this option), and whether a
  // table they call empty (reltuples 0, or -1: never analyzed) has a row (Table::has_rows):
  // one `SELECT EXISTS` each, at most k_row_looks tables within k_row_looks_budget, each under
  // a short lock_timeout so that a table a migration holds locked is left unknown rather than
  // waited for.
  bool look_for_rows = false;
};

inline constexpr std::size_t k_row_looks = 200;
inline constexpr std::chrono::milliseconds k_row_looks_budget{2000};

// PostgreSQL: one REPEATABLE READ, READ ONLY transaction (one snapshot for every query) under
// an empty search_path, so that every name comes back schema-qualified; a fixed handful of
// catalog queries whatever the object count; rolled back at the end. Objects that belong to
// an extension are the extension's and not listed on their own; system schemas are left out;
// kinds the model does not cover are named in Schema::unsupported.
// The connection must not be in a transaction. Throws driver::DatabaseError.
[[nodiscard]] Schema read_postgres(driver::Connection& connection, const ReadOptions& options = {});

// SQLite: sqlite_schema plus PRAGMA table_xinfo, index_list, index_xinfo and
// foreign_key_list, each one query over every table (the table-valued PRAGMA functions).
[[nodiscard]] Schema read_sqlite(driver::Connection& connection, const ReadOptions& options = {});

// Either, by the connection's dialect.
[[nodiscard]] Schema read(driver::Connection& connection, const ReadOptions& options = {});

}  // namespace retort::schema
