// Where the schema commands get a schema from: a database read in place, or a declared schema
// or a revision of the history built on a throwaway database first. Shared by `schema dump`,
// `diff`, `check` and `revision --autogenerate`.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "ops/scratch/scratch.hpp"
#include "retort/config.hpp"
#include "retort/results.hpp"
#include "schema/model.hpp"
#include "schema/reader.hpp"
#include "script/script_directory.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace retort::commands {

struct Source {
  enum class Kind { database, declared, revision };
  Kind kind = Kind::database;
  base::DatabaseUrl url;               // database
  std::filesystem::path dir;           // declared
  std::string target;                  // revision: as given
  std::vector<std::string> revisions;  // revision: the heads it builds (empty: base)
  // revision: the files, read once for resolving the target and building it.
  std::shared_ptr<const script::ScriptDirectory> scripts;
  std::string described;
};

// A URL, a directory, else a revision target; an input error when it is none of them.
[[nodiscard]] Source parse_source(const Config& config, const std::string& value);
[[nodiscard]] Source configured_database(const Config& config);
// [retort.schema] dir.
[[nodiscard]] Source declared_schema(const Config& config);
// The history at `revisions` (its heads; empty: an empty database).
[[nodiscard]] Source history_at(std::shared_ptr<const script::ScriptDirectory> scripts,
                                const std::vector<std::string>& revisions);

// retort's own bookkeeping tables, left out of every model.
[[nodiscard]] schema::ReadOptions read_options(const Config& config);

// Stops with an Error when SIGINT or SIGTERM arrived.
void throw_if_cancelled();

// Applies the history up to `revisions` on a throwaway database: the runner alone, with no
// lock, gate, backup or lint, since nobody else knows the database exists.
void build_history(const Config& config, const script::ScriptDirectory& scripts,
                   const base::DatabaseUrl& url, const std::vector<std::string>& revisions);

// A declared schema or a revision built on a throwaway database that stays until `scratch` is
// closed or destroyed. `target` is the configured database when open (the dev server is
// checked against it).
struct Built {
  std::unique_ptr<ops::scratch::Scratch> scratch;
  base::DatabaseUrl url;  // with the target's session options
  std::string note;       // "... was built on a throwaway ..., dropped again"
};
[[nodiscard]] Built build_source(const Config& config, const Source& source,
                                 driver::Connection* target);

struct Read {
  schema::Schema model;
  std::vector<std::string> notes;
};

// The schema of `source`: a database read in place, anything else built, read and dropped.
[[nodiscard]] Read read_source(const Config& config, const Source& source,
                               driver::Connection* target);

// Reads `source` on a thread of its own while `meanwhile` runs on this one: two builds are the
// servers' work, so done at once the wall time is the slower one's. If either fails, the other
// is cancelled and waited for, and the first failure is thrown.
[[nodiscard]] Read read_source_while(const Config& config, const Source& source,
                                     const std::function<void()>& meanwhile);

// The diff of two models with [retort.schema] ignore, as the commands report it.
[[nodiscard]] DiffResult compare(const Config& config, const schema::Schema& from,
                                 const schema::Schema& to);

// `check`'s question: does the declared schema differ from what the history builds at its
// heads? nullopt when there is no declared schema ([retort.schema] dir absent). Both are built
// on throwaway databases, at once.
[[nodiscard]] std::optional<DiffResult> declared_against_history(
    const Config& config, std::shared_ptr<const script::ScriptDirectory> scripts,
    driver::Connection* target);

}  // namespace retort::commands
