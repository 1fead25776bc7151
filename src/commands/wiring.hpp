// Shared wiring of the command layer: loading scripts, connecting, and turning lower layers'
// problems (data) into the user's errors with the next command (Alembic _catch_revision_errors).
#pragma once

#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/commands.hpp"
#include "retort/config.hpp"
#include "retort/error.hpp"
#include "retort/results.hpp"
#include "runner/run_lock.hpp"
#include "runner/runner.hpp"
#include "schema/model.hpp"
#include "script/script_directory.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace retort::commands {

// Loads the script directory; every problem becomes one input error listing them all.
[[nodiscard]] script::ScriptDirectory load_scripts(const Config& config);

// Parses config.url; an input error names where it came from.
[[nodiscard]] base::DatabaseUrl database_url(const Config& config);
// missing: what to do when the database does not exist yet (SQLite: the file); commands
// that only read pass read_as_empty, so that they leave no file behind.
[[nodiscard]] std::unique_ptr<driver::Connection> open_connection(
    const Config& config, driver::MissingDatabase missing = driver::MissingDatabase::create);

[[nodiscard]] runner::Settings runner_settings(const Config& config);
// The run lock the configuration asks for; an input error for a lease_ttl under a second.
[[nodiscard]] runner::LockSettings lock_settings(const Config& config,
                                                 const base::DatabaseUrl& url);

// The error for version rows that no file declares (the database is ahead of this code),
// with what the ledger remembers of them and the command to run; nullopt when every row is
// known.
[[nodiscard]] std::optional<Error> ahead_of_code(driver::Connection& connection,
                                                 const Config& config,
                                                 const script::ScriptDirectory& scripts,
                                                 const std::vector<std::string>& rows);

// The version table against the ledger and the graph, before a run, in doctor's words: a
// table with no row while the ledger says the database is at some revision (every migration
// would run again), or a revision listed with its ancestor (no run writes that). A stamp is
// the way out, so it is refused only over a revision and its ancestor without --purge.
// nullopt when nothing is wrong; reads the ledger only when the table has no row.
[[nodiscard]] std::optional<Error> version_table_conflict(driver::Connection& connection,
                                                          const Config& config,
                                                          const script::ScriptDirectory& scripts,
                                                          const std::vector<std::string>& rows,
                                                          graph::Direction direction, bool purge);

// A TargetError as the user's error: what is wrong and the command that gets past it.
[[nodiscard]] Error target_error(const graph::TargetError& error, const std::string& target);

template <typename T>
T unwrap(base::Result<T, graph::TargetError> result, const std::string& target) {
  if (!result) {
    throw target_error(result.error(), target);
  }
  return std::move(result).value();
}

// Lints the upgrade sections of `revisions` (in run order). one_run: they run one after the
// other, so a table an earlier one creates is new for the later ones. `schema`: the schema the
// first runs on, when known. Throws an input error for what lint cannot read (a syntax error,
// an unknown lint-ignore code).
[[nodiscard]] LintResult lint_revisions(const Config& config,
                                        const script::ScriptDirectory& scripts,
                                        const std::vector<std::string>& revisions, bool one_run,
                                        int server_version, const schema::Schema* schema = nullptr);
// The upgrade steps of `plan`, as one run, judged on the schema of `database` (the one they
// run on, read as `lint --pending --schema database` reads it) when it is given and can be
// read; else without a schema, as said in the result's schema_notes.
[[nodiscard]] LintResult lint_plan(const Config& config, const script::ScriptDirectory& scripts,
                                   const graph::Plan& plan, int server_version,
                                   driver::Connection* database = nullptr);
// The schema `--schema database` judges statements on: `connection`'s, read only, with what
// its statistics and a look say of each table's rows (schema::ReadOptions::look_for_rows).
// Throws driver::DatabaseError when it cannot be read.
[[nodiscard]] schema::Schema database_schema(const Config& config, driver::Connection& connection,
                                             std::vector<std::string>& notes);

// The new revision `revision` and `revision --autogenerate` write: its parents (the single head,
// or --head), labels and depends_on checked and resolved, its id (--rev-id or random). Throws
// what `revision` refuses.
[[nodiscard]] script::NewRevision new_revision(const script::ScriptDirectory& scripts,
                                               const Config& config,
                                               const RevisionOptions& options);
// What `revision` reports of a file it wrote.
[[nodiscard]] RevisionInfo written_info(const std::filesystem::path& path, const Config& config,
                                        const script::NewRevision& revision);

// Builds RevisionInfo for many revisions; heads and bases are computed once.
class InfoBuilder {
 public:
  explicit InfoBuilder(const script::ScriptDirectory& scripts);
  [[nodiscard]] RevisionInfo operator()(const std::string& revision) const;

 private:
  const script::ScriptDirectory& m_scripts;
  std::unordered_set<std::string> m_heads;
  std::unordered_set<std::string> m_real_heads;
  std::unordered_set<std::string> m_bases;
};

}  // namespace retort::commands
