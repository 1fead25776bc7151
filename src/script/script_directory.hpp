// The script directory: versions/*.sql parsed into Migrations (header directives, upgrade and
// downgrade sections, statements with file positions, checksums), validated as a whole, and
// turned into a graph::RevisionMap. Also writes new revision files from the template.
#pragma once

#include "base/dialect.hpp"
#include "base/duration.hpp"
#include "base/result.hpp"
#include "graph/revision_map.hpp"
#include "graph/squash.hpp"
#include "retort/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::script {

// A problem in a migration file: where, what, and how to fix it.
struct Problem {
  SourceLocation where;  // file relative to the project directory, 1-based line
  std::string message;
  std::string fix;
};

// One statement of a section, with its place in the file for error messages.
struct Statement {
  std::string sql;          // the statement's text, without the leading comments or ';'
  std::size_t offset = 0;   // byte offset of sql's first byte in the file
  int line = 0;             // 1-based line of sql's first byte in the file
  std::string fingerprint;  // SHA-256 hex of the normalised statement (sql::fingerprint):
                            // comments and layout ignored, constants and names not
  // The database refuses it inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM):
  // only in a `transaction false` migration, where it runs alone in autocommit.
  bool needs_no_transaction = false;
  // CREATE INDEX CONCURRENTLY, REINDEX INDEX CONCURRENTLY: the index it builds, as SQL
  // ("ops"."accounts_email_idx"), so that a resume can find an INVALID index it left behind;
  // empty otherwise, and for an index without a name.
  std::string concurrent_index;
};

struct Section {
  int marker_line = 0;     // line of "-- retort:upgrade" / "-- retort:downgrade"
  std::size_t offset = 0;  // byte offset of the first byte after the marker line
  std::string text;        // the SQL of the section as written
};

struct LintIgnore {
  std::vector<std::string> codes;
  std::string reason;
  int line = 0;
};

// `-- retort:backfill table=T key=COLS [batch_time=D] [batch_size=N] [pause=D]` (SPEC §2): the
// upgrade section is one data statement with `{batch}` where the key-range predicate goes, run
// in short batches over the key range found when it starts (runner/backfill.hpp).
struct Backfill {
  std::string table;                       // as written: `table` or `schema.table`, unquoted
  std::vector<std::string> key;            // the key columns, in order: `key=a,b`
  std::optional<base::Millis> batch_time;  // the time one batch aims at; 300ms when not given
  std::optional<std::int64_t> batch_size;  // a fixed number of keys per batch
  std::optional<base::Millis> pause;       // a fixed pause after each batch
  int line = 0;                            // the directive's line
};

// `-- retort:phase expand|backfill|contract`: where the revision stands in an expand/contract
// change. Read and kept; what lint and preflight make of it is later work.
enum class Phase { none, expand, backfill, contract };

// The placeholder a backfill's statement holds for its key-range predicate.
inline constexpr std::string_view k_batch_placeholder = "{batch}";

struct Migration {
  // Absolute. Text rather than std::filesystem::path, whose constructor splits the path into
  // components: a measurable share of loading 10,000 files, for a field few callers read.
  std::string path;
  std::string display_path;  // relative to the project directory, for messages
  std::string revision;
  std::string slug;  // the part of the file name after "<revision>_"
  std::string message;
  std::vector<std::string> revises;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  bool transactional = true;
  std::optional<base::Millis> estimate;
  // `-- retort:maintenance_window true` (retort's extension of SPEC §2): the team runs this
  // step in a maintenance window, so preflight warns rather than fails when its estimate is
  // above max_step_runtime. The run itself does nothing different.
  bool maintenance_window = false;
  std::optional<base::Millis> lock_timeout;
  std::optional<base::Millis> statement_timeout;
  std::vector<LintIgnore> lint_ignores;
  // `-- retort:replaces`: a squash revision; the revisions it stands for, in history order.
  std::vector<std::string> replaces;
  // `-- retort:empty upgrade` / `empty downgrade`: the section deliberately holds no statement
  // and runs as a no-op. Without it a plan refuses to run an empty section (a merge aside).
  bool empty_upgrade = false;
  bool empty_downgrade = false;
  std::optional<Backfill> backfill;  // a backfill revision (see Backfill)
  Phase phase = Phase::none;
  Section upgrade;
  std::optional<Section> downgrade;  // none: the revision cannot be downgraded

  // SHA-256 hex of both sections normalised (comments and layout ignored), without the SQL
  // parser and the same for every dialect, for the ledger's edit detection. Computed on each
  // call rather than at load: hashing every file was 40% of loading 10,000 files, and only
  // the steps that run or are stamped need it.
  [[nodiscard]] std::string checksum() const;
};

class ScriptDirectory {
 public:
  // Reads <script_location>/versions/*.sql. project_dir is what display paths are relative
  // to. Every problem in the directory is reported, not only the first; nothing is partially
  // loaded. A missing versions/ directory is one problem naming `retort init`.
  // A process that loads the same directory again (an application calling the commands, the
  // Python module) reuses the last parse when the same files are there with the same inode,
  // size, modification and change times: one fstatat per file instead of reading and parsing
  // it. Only a parse whose files were all modified more than two seconds before is kept, so an
  // edit within the file system's timestamp granularity is never missed. A new process does the
  // same with the header cache (header_cache.hpp) for a directory of 64 files or more: the
  // graph from the cache, after one fstatat per file; the files are read when find() or
  // migrations() first needs them. Thread-safe.
  static base::Result<ScriptDirectory, std::vector<Problem>> load(
      const std::filesystem::path& script_location, const std::filesystem::path& project_dir);

  ScriptDirectory(ScriptDirectory&&) noexcept;
  ScriptDirectory& operator=(ScriptDirectory&&) noexcept;
  ~ScriptDirectory();

  // The main graph: each squash in place of the revisions it replaces (graph/squash.hpp).
  [[nodiscard]] const graph::RevisionMap& map() const noexcept;
  // The squashes, their replaced revisions, the old graph of those still in files, adoption.
  [[nodiscard]] const graph::Squashes& squashes() const noexcept;
  // Any revision a file declares, replaced ones included (they run on a database part-way
  // through a squash's history). A directory whose graph came from the header cache reads the
  // file here, on first use; a file changed since load() throws retort::Error (input).
  [[nodiscard]] const Migration* find(std::string_view revision) const;
  // Every migration; from the header cache, every file is read here, on first use.
  [[nodiscard]] std::span<const Migration> migrations() const;
  [[nodiscard]] const std::filesystem::path& location() const noexcept;

 private:
  struct Impl;
  explicit ScriptDirectory(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> m_impl;  // immutable: shared with the cache of load()
};

enum class Which { upgrade, downgrade };

// What statements() rejects besides syntax errors.
enum class Placement {
  // Transaction control (BEGIN, COMMIT, ROLLBACK) anywhere, and statements PostgreSQL refuses
  // inside a transaction block in a transactional migration: what runs migrations.
  enforce,
  // Nothing but syntax errors: for lint, which reports them as findings with their codes.
  ignore,
};

// The statements of one section, split for the dialect (PostgreSQL: libpg_query's parser;
// SQLite: sqlite3_complete), with file offsets and lines. A syntax error is a Problem at its
// file:line, and so is a statement that cannot run where it stands (see Placement).
[[nodiscard]] base::Result<std::vector<Statement>, Problem> statements(
    const Migration& migration, Which which, base::Dialect dialect,
    Placement placement = Placement::enforce);

// A backfill's statement as written, with `{batch}` (statements() gives it with the placeholder
// replaced by ` (true)`, the same length, so that it parses, lints and keeps its positions).
[[nodiscard]] std::string backfill_template(const Migration& migration, const Statement& statement);

// The statements of a section kept elsewhere (the ledger's copy of one as it ran), split as a
// `transaction false` section is; empty when it does not split.
[[nodiscard]] std::vector<Statement> split_section(const std::string& sql, base::Dialect dialect);

// What `retort revision` and `retort merge` write.
struct NewRevision {
  std::string revision;  // already validated id
  std::string message;
  std::vector<std::string> revises;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  // A generated revision (autogenerate, squash): more header lines after the directives above
  // (`-- retort:transaction false`, lint-ignores, a comment), and the file's sections as they
  // are to be written, from `-- retort:upgrade` on. Set, the template is not used.
  std::vector<std::string> header_lines;
  std::optional<std::string> body;
};

// The text of a generated revision (`body` set): the header, the extra lines, a blank line,
// the body.
[[nodiscard]] std::string generated_revision_text(const NewRevision& revision);

// The file name a revision gets: <revision>_<slug of the message>.sql.
[[nodiscard]] std::string revision_file_name(const NewRevision& revision);

// Writes versions/<revision>_<slug>.sql from script.sql.tmpl (or the built-in template when
// the directory has none), or the generated text when `body` is set, and returns its path.
// Throws retort::Error (input) if it exists.
std::filesystem::path write_revision(const std::filesystem::path& script_location,
                                     const NewRevision& revision);

// The built-in template, also what `retort init` writes as script.sql.tmpl.
[[nodiscard]] std::string_view default_template();

// A new random revision id: 12 lowercase hex digits.
[[nodiscard]] std::string new_revision_id();

}  // namespace retort::script
