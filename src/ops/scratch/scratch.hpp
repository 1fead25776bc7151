// Throwaway databases: where the declared schema or the revision history is built so that its
// schema can be read and compared, and which are always dropped again, the target database
// only ever read.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace retort::ops::scratch {

struct ScratchOptions {
  // [retort.schema] dev_url: a PostgreSQL server where the database is created. Empty: a
  // private cluster (PostgreSQL), a temporary file (SQLite).
  std::string dev_url;
  // The database the scratch stands beside (its dialect and major version decide), and a
  // connection to it when there is one: a dev server that is that very database, or runs
  // another major version, is refused.
  base::DatabaseUrl target;
  driver::Connection* target_connection = nullptr;
  // The private cluster's server programs: the directory holding initdb and postgres. Empty:
  // those of the target's major version (/usr/lib/postgresql/MAJOR/bin), else the first on
  // PATH.
  std::filesystem::path server_bin;
};

// One throwaway database. Created by make_scratch; dropped by close() or, failing that, by the
// destructor, also when an error or a cancellation (SIGINT, SIGTERM) unwinds past it.
class Scratch {
 public:
  virtual ~Scratch() = default;
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // Where to connect. Holds a password when dev_url has one.
  [[nodiscard]] virtual const base::DatabaseUrl& url() const = 0;
  // For messages: "database retort_scratch_12_9f3a on postgresql://dev@db/dev".
  [[nodiscard]] virtual std::string describe() const = 0;
  // Drops what was created; throws Error when it could not, naming what is left and how to
  // drop it by hand. Once: later calls, and the destructor, do nothing.
  virtual void close() = 0;
};

// Creates the throwaway database. Throws retort::Error: input (exit 2) for a dev_url that is
// not PostgreSQL, is the target, or runs another major version than the target; failed (exit
// 1) when the dev server cannot be reached or refuses CREATE DATABASE, or no private cluster
// can be started (running as root, no server programs), each with what to do.
[[nodiscard]] std::unique_ptr<Scratch> make_scratch(const ScratchOptions& options);

// The URL `url` with its database replaced by `database` (PostgreSQL: a dbname parameter,
// which libpq takes over the path's).
[[nodiscard]] base::DatabaseUrl with_database(const base::DatabaseUrl& url,
                                              const std::string& database);

// The scratch's URL with the target's session options (`options=-csearch_path=app`) added, so
// that migrations and a declared schema resolve unqualified names on the scratch as on the
// target. `url` unchanged when the target sets none.
[[nodiscard]] base::DatabaseUrl with_session_options(const base::DatabaseUrl& url,
                                                     const base::DatabaseUrl& target);

// Loads a declared schema (SPEC §1: SQL files under `dir`, read in file-name order, at any
// depth) into `connection`, one statement at a time outside any transaction, function bodies
// unchecked (check_function_bodies = off, as pg_dump loads). A statement that fails because
// something it names does not exist yet (a table, type, schema or function a later file
// creates) is tried again after the rest, until nothing more loads; so files may be split and
// named as a team likes. `cancelled` is asked between statements; true stops the load with an
// Error. Throws retort::Error naming file and line: input for a syntax error or an empty
// directory, failed for a statement the server rejects (its words) or that names what no
// file creates.
void load_declared(driver::Connection& connection, const std::filesystem::path& dir,
                   const std::function<bool()>& cancelled = {});

}  // namespace retort::ops::scratch
