// PG102 drop-index-blocks: DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the
// index's table. The drop itself is quick, but while the lock request waits for the
// transactions using the table, and until the migration commits, every read and write of the
// table waits behind it. DROP INDEX names the index, not its table, so lint cannot tell whether
// the table is new: an index created earlier in the migration is not reported, since it is most
// often on a table the migration creates, and its CREATE INDEX on an existing table is reported
// already (PG101).
#include "lint/rules/rules.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace retort::lint {
namespace {

bool created_earlier(const Pass& pass, std::string_view index_name, std::size_t before) {
  const auto statements = pass.statements();
  return std::any_of(statements.begin(), statements.end(), [&](const Stmt& earlier) {
    const std::string created = created_index(earlier.node);
    return earlier.index < before && !created.empty() && same_relation(created, index_name);
  });
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_DROP_STMT || stmt.node->drop_stmt == nullptr) {
    return;
  }
  const PgQuery__DropStmt& drop = *stmt.node->drop_stmt;
  if (drop.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || drop.concurrent) {
    return;
  }
  std::vector<std::string> existing;
  for (std::size_t object_idx = 0; object_idx < drop.n_objects; ++object_idx) {
    const std::string name = object_name(drop.objects[object_idx]);
    if (!name.empty() && !created_earlier(pass, name, stmt.index)) {
      existing.push_back(name);
    }
  }
  if (existing.empty()) {
    return;
  }
  const bool cascade = drop.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
  const std::string if_exists = drop.missing_ok ? "IF EXISTS " : "";
  std::string fix;
  if (drop.n_objects == 1 && !cascade) {
    fix = "drop it without blocking its table, " +
          outside_transaction(pass.transactional(),
                              insert_after_word(stmt.source->sql, "index", "CONCURRENTLY"));
  } else {
    // CONCURRENTLY takes one index and no CASCADE: one statement per index.
    std::string statements;
    for (const std::string& name : existing) {
      statements += (statements.empty() ? "" : ";\n    ") +
                    fmt::format("DROP INDEX CONCURRENTLY {}{}", if_exists, quote_qualified(name));
    }
    fix =
        "drop each index without blocking its table, one statement each (CONCURRENTLY takes "
        "one index at a time" +
        std::string(cascade ? ", and no CASCADE" : "") + "), " +
        outside_transaction(pass.transactional(), statements);
    if (cascade) {
      fix +=
          "\ndrop what depends on the index first; an index that backs a UNIQUE or PRIMARY KEY "
          "constraint goes with ALTER TABLE ... DROP CONSTRAINT, which takes the table's ACCESS "
          "EXCLUSIVE lock anyway";
    }
  }
  fix +=
      "\nan index of a partitioned table cannot be dropped CONCURRENTLY: drop that one in a "
      "maintenance window";
  const std::string names = join(existing);
  report.add(stmt, -1,
             fmt::format("DROP INDEX {} blocks reads and writes of {} table until the drop commits",
                         names, existing.size() == 1 ? "its" : "their"),
             fmt::format("DROP INDEX takes an ACCESS EXCLUSIVE lock on the table of {}: the drop "
                         "is quick, but while it waits for the transactions using the table, and "
                         "until the migration commits, every read and write of the table waits "
                         "behind it",
                         names),
             std::move(fix));
}

}  // namespace

const Rule k_drop_index_blocks{
    "PG102", "drop-index-blocks", Level::error,
    "DROP INDEX without CONCURRENTLY: reads and writes of its table wait", check};

}  // namespace retort::lint
