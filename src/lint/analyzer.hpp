// Lint: the dangerous operations of PostgreSQL migrations, found before they run. A Rule looks
// at one statement of a migration's upgrade section at a time, through a Pass that knows the
// migration's context: whether it runs in one transaction, the tables created before the
// statement (earlier in the migration, or by an earlier step of the same run), the lock_timeout
// in force, the server's major version, and when known the schema the statement runs on (the
// schema before the first migration linted, advanced by every statement before it). Rules are one
// file each under rules/, with a stable code; suppress.cpp applies `-- retort:lint-ignore`.
#pragma once

#include "base/duration.hpp"
#include "schema/model.hpp"
#include "script/script_directory.hpp"
#include "sql/tree.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retort::lint {

// A note says what a statement does that is safe as retort runs it (a brief lock under
// lock_timeout); a warning needs a look; an error fails lint unless a lint-ignore accepts it.
enum class Level { note, warning, error };

// One dangerous operation found, with what a user needs to decide: where, why, and what to
// write instead.
struct Finding {
  std::string code;  // stable: "PG101"
  std::string name;  // "create-index-blocks-writes"
  Level level = Level::error;
  std::string revision;   // the migration's revision
  std::string file;       // display path of the migration file
  std::string path;       // the file as loaded (absolute)
  int line = 0;           // 1-based, of the part of the statement that is dangerous
  int column = 0;         // 1-based, in characters
  std::string statement;  // the statement's text as written
  // What the statement does, in one sentence naming the objects:
  // "CREATE INDEX on accounts, a table that exists before this migration, blocks its writes".
  std::string message;
  // Why that is dangerous: the lock it takes and what waits behind it, or the data it loses.
  std::string why;
  // The safe pattern, with the SQL to write instead (several lines allowed).
  std::string fix;
  // The reason of the `-- retort:lint-ignore` that accepts this finding; empty when it stands.
  std::string ignored;
  // What the database said of the table's rows that made a rewrite or a scan weigh less (its
  // level lowered): "SELECT EXISTS found no row in accounts when lint read the database";
  // empty when nothing did.
  std::string evidence;
};

// The server lint assumes when it does not know (no database at hand, and none configured):
// the oldest PostgreSQL release still supported by the community.
inline constexpr int k_default_server_version = 14;

// The major version in a server's version string ("PostgreSQL 15.4", "15.4" → 15); the default
// when it holds none.
[[nodiscard]] int server_major(std::string_view version);

// What lint knows about the run the migrations belong to.
struct Context {
  int server_version = k_default_server_version;  // PostgreSQL major version
  // Set by retort for every statement that takes a lock ([retort.postgres] lock_timeout); zero
  // disables it. A migration's `-- retort:lock_timeout` and its SET statements change it.
  base::Millis lock_timeout{0};
  base::Millis statement_timeout{0};
  // Tables that exist before the first migration linted but are known to be new: created by
  // steps of the same run that are not linted. Qualified as written, or not.
  std::vector<std::string> new_tables;
  // The migrations linted run one after the other in one run (`lint --pending`, preflight,
  // upgrade): a table created by an earlier one is new, hence empty, for the later ones.
  bool one_run = false;
  // The schema the first migration linted runs on (built from the revisions before it, or read
  // from the database); null when it is not known, and the rules say what they cannot see.
  // The migrations linted must follow each other in the history: each statement is judged on
  // this schema as the statements before it leave it. Not owned; read during run() only.
  const schema::Schema* schema = nullptr;
};

// One statement of the section linted, with its parse tree.
struct Stmt {
  const script::Statement* source = nullptr;  // text, file offset and line
  // The statement's node (a RawStmt's stmt); null when libpg_query does not parse it.
  const PgQuery__Node* node = nullptr;
  std::size_t index = 0;  // in the section
};

class Report;

// What a rule sees of the migration around a statement.
class Pass {
 public:
  Pass(const script::Migration& migration, std::span<const Stmt> statements, const Context& context,
       std::vector<std::string> new_tables, const schema::Schema* schema = nullptr);

  [[nodiscard]] const script::Migration& migration() const noexcept { return m_migration; }
  [[nodiscard]] bool transactional() const noexcept { return m_migration.transactional; }
  [[nodiscard]] int server_version() const noexcept { return m_context.server_version; }
  // Every statement of the section, for rules that look back or ahead.
  [[nodiscard]] std::span<const Stmt> statements() const noexcept { return m_statements; }

  // Whether `table` (qualified as written, or not) is new when the statement at `index` runs:
  // created by an earlier statement of this migration, or before it in the same run. A new
  // table is empty and no application uses it yet, so what is dangerous on a live table is
  // not on it.
  [[nodiscard]] bool is_new(std::string_view table, std::size_t index) const;

  // The lock_timeout in force when the statement at `index` runs: the migration's
  // `-- retort:lock_timeout`, else the configured one, as changed by earlier SET lock_timeout
  // statements of the migration (SET LOCAL too: the migration is one transaction, or each
  // statement its own where SET LOCAL lasts no further).
  [[nodiscard]] base::Millis lock_timeout_at(std::size_t index) const;

  // The schema the statement being checked runs on: the known schema as the statements before
  // it leave it (the analyzer advances it between statements); null when it is not known.
  [[nodiscard]] const schema::Schema* schema() const noexcept { return m_schema; }

 private:
  const script::Migration& m_migration;
  std::span<const Stmt> m_statements;
  const Context& m_context;
  std::vector<std::string> m_new_before;  // new tables before the migration's first statement
  // What the statements create and set, read once: rules ask for every statement.
  std::vector<std::pair<std::size_t, std::string>> m_created;         // statement index, table
  std::vector<std::pair<std::size_t, base::Millis>> m_lock_timeouts;  // index, value after it
  const schema::Schema* m_schema = nullptr;
};

// What a rule writes its findings to.
class Report {
 public:
  // `location` is a byte offset into the statement's text (a tree node's `location`; negative
  // for the statement's start). The finding's code, name and level are the rule's.
  void add(const Stmt& stmt, int location, std::string message, std::string why, std::string fix);
  // The same at `level`, for a rule whose findings differ in weight (the lock rule's notes).
  void add(const Stmt& stmt, int location, Level level, std::string message, std::string why,
           std::string fix);

 private:
  friend class Analyzer;
  Report(const script::Migration& migration, std::vector<Finding>& out)
      : m_migration(migration), m_out(out) {}
  const script::Migration& m_migration;
  std::vector<Finding>& m_out;
  const struct Rule* m_rule = nullptr;
};

// Which statements a rule checks: all, or only those no other rule reported (the lock rule,
// which judges what the specific rules leave, and must not say twice what they say).
enum class Runs { always, when_unreported };

// What a rule's danger grows with. `rows`: a rewrite, a scan or an index build, which takes as
// long as the table is large; when the schema read from the database shows the table empty, the
// finding is a note, and when its statistics show it small, at most a warning, the finding
// naming the evidence. `fixed`: the rest (data lost, a lock waited for, a type chosen).
enum class Weight { fixed, rows };

// A rule: a stable code, a name, a level, one line for listings, and the check of one
// statement. Rules are plain constants, one per file under rules/, listed in rules.cpp.
struct Rule {
  std::string_view code;
  std::string_view name;
  Level level = Level::error;
  std::string_view summary;
  void (*check)(const Pass& pass, const Stmt& stmt, Report& report) = nullptr;
  Runs runs = Runs::always;
  Weight weight = Weight::fixed;
};

// Every rule, in code order.
[[nodiscard]] std::span<const Rule* const> all_rules();
[[nodiscard]] const Rule* find_rule(std::string_view code);

struct Outcome {
  std::vector<Finding> findings;          // in file order, then line, then column; ignored ones too
  std::vector<script::Problem> problems;  // files lint cannot read, unknown lint-ignore codes
  // `-- retort:lint-ignore` lines that accepted nothing, as "file:line: CODE": stale ones hide
  // the next finding of their code, so they are worth removing.
  std::vector<std::string> unused_ignores;
  std::size_t statements = 0;  // how many statements were linted

  // Findings of level error that no lint-ignore accepts.
  [[nodiscard]] std::size_t errors() const;
};

class Analyzer {
 public:
  explicit Analyzer(Context context) : m_context(std::move(context)) {}

  // Lints the upgrade sections of `migrations`, in the order given (a run's order when
  // context.one_run). PostgreSQL only: the rules are about PostgreSQL's locks.
  [[nodiscard]] Outcome run(std::span<const script::Migration* const> migrations) const;

 private:
  Context m_context;
};

}  // namespace retort::lint
