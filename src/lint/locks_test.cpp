// The lock table against libpg_query's own lists: every AlterTableType value and every DDL
// statement node has a row with its source, and table_locks refines the rows as the reference
// pages say.
#include "lint/locks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

namespace retort::lint {
namespace {

// Statement nodes that are not DDL: queries, data changes, transaction control, session
// settings, cursors. Every other *Stmt node of the parser needs a row in the lock table, so a
// new statement in a libpg_query upgrade fails here until someone reads its reference page.
const std::set<std::string_view> k_not_ddl = {
    "raw_stmt",
    "insert_stmt",
    "delete_stmt",
    "update_stmt",
    "merge_stmt",
    "select_stmt",
    "return_stmt",
    "plassign_stmt",
    "set_operation_stmt",
    "close_portal_stmt",
    "copy_stmt",
    "fetch_stmt",
    "do_stmt",
    "notify_stmt",
    "listen_stmt",
    "unlisten_stmt",
    "transaction_stmt",
    "load_stmt",
    "explain_stmt",
    "variable_set_stmt",
    "variable_show_stmt",
    "discard_stmt",
    "constraints_set_stmt",
    "check_point_stmt",
    "prepare_stmt",
    "execute_stmt",
    "deallocate_stmt",
    "declare_cursor_stmt",
    "call_stmt",
};

sql::Tree parsed(std::string_view sql) {
  sql::Tree tree = sql::parse_tree(sql);
  EXPECT_NE(tree, nullptr) << sql;
  return tree;
}

std::vector<TableLock> locks_of(std::string_view sql) {
  const sql::Tree tree = parsed(sql);
  if (tree == nullptr || tree->n_stmts == 0) {
    return {};
  }
  return table_locks(tree->stmts[0]->stmt);
}

TEST(Locks, EveryAlterTableSubcommandHasARow) {
  const ProtobufCEnumDescriptor& subtypes = pg_query__alter_table_type__descriptor;
  std::vector<std::string> missing;
  for (unsigned value_idx = 0; value_idx < subtypes.n_values; ++value_idx) {
    const ProtobufCEnumValue& value = subtypes.values[value_idx];
    if (value.value == 0) {
      continue;  // ALTER_TABLE_TYPE_UNDEFINED: protobuf's zero, no subcommand of PostgreSQL
    }
    const LockEntry* entry = alter_table_lock(static_cast<PgQuery__AlterTableType>(value.value));
    if (entry == nullptr) {
      missing.emplace_back(value.name);
    } else {
      EXPECT_FALSE(entry->source.empty()) << value.name;
      EXPECT_FALSE(entry->syntax.empty()) << value.name;
    }
  }
  EXPECT_TRUE(missing.empty()) << "AlterTableType values with no row in the lock table: "
                               << ::testing::PrintToString(missing);
  EXPECT_EQ(alter_table_locks().size(), subtypes.n_values - 1);
}

TEST(Locks, EveryDdlStatementNodeHasARow) {
  const ProtobufCMessageDescriptor& node = pg_query__node__descriptor;
  std::vector<std::string> missing;
  std::size_t ddl = 0;
  for (unsigned field_idx = 0; field_idx < node.n_fields; ++field_idx) {
    const ProtobufCFieldDescriptor& field = node.fields[field_idx];
    const std::string_view name = field.name;
    if (!name.ends_with("_stmt") || k_not_ddl.contains(name)) {
      continue;
    }
    ++ddl;
    const auto rows = statement_locks();
    const bool found = std::any_of(rows.begin(), rows.end(), [&](const StatementLock& row) {
      return static_cast<unsigned>(row.node) == field.id;
    });
    if (!found) {
      missing.emplace_back(name);
    }
  }
  EXPECT_GT(ddl, 80U);  // the walk found the statements at all
  EXPECT_TRUE(missing.empty()) << "DDL statement nodes with no row in the lock table: "
                               << ::testing::PrintToString(missing);
  for (const StatementLock& row : statement_locks()) {
    EXPECT_FALSE(row.entry.source.empty()) << row.entry.syntax;
  }
}

TEST(Locks, TheReferencePagesLocks) {
  // explicit-locking.html's list of which command takes which mode.
  const auto lock = [](std::string_view sql) {
    const std::vector<TableLock> locks = locks_of(sql);
    return locks.empty() ? LockMode::none : locks.front().lock;
  };
  EXPECT_EQ(lock("CREATE INDEX i ON t (a)"), LockMode::share);
  EXPECT_EQ(lock("CREATE INDEX CONCURRENTLY i ON t (a)"), LockMode::share_update_exclusive);
  EXPECT_EQ(lock("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"),
            LockMode::share_row_exclusive);
  EXPECT_EQ(lock("REFRESH MATERIALIZED VIEW CONCURRENTLY mv"), LockMode::exclusive);
  EXPECT_EQ(lock("REFRESH MATERIALIZED VIEW mv"), LockMode::access_exclusive);
  EXPECT_EQ(lock("DROP TABLE t"), LockMode::access_exclusive);
  EXPECT_EQ(lock("TRUNCATE t"), LockMode::access_exclusive);
  EXPECT_EQ(lock("REINDEX TABLE t"), LockMode::share);
  EXPECT_EQ(lock("REINDEX TABLE CONCURRENTLY t"), LockMode::share_update_exclusive);
  EXPECT_EQ(lock("CLUSTER t USING i"), LockMode::access_exclusive);
  EXPECT_EQ(lock("VACUUM FULL t"), LockMode::access_exclusive);
  EXPECT_EQ(lock("VACUUM t"), LockMode::share_update_exclusive);
  EXPECT_EQ(lock("LOCK TABLE t"), LockMode::access_exclusive);
  EXPECT_EQ(lock("LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE"), LockMode::share_row_exclusive);
  EXPECT_EQ(lock("LOCK TABLE t IN ROW SHARE MODE"), LockMode::row_share);
  // ALTER TABLE's page: the forms noted below ACCESS EXCLUSIVE.
  EXPECT_EQ(lock("ALTER TABLE t ALTER COLUMN a SET STATISTICS 500"),
            LockMode::share_update_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t ALTER a SET (n_distinct = 10)"), LockMode::share_update_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t VALIDATE CONSTRAINT c"), LockMode::share_update_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t DISABLE TRIGGER ALL"), LockMode::share_row_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = off)"),
            LockMode::share_update_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t SET (toast.autovacuum_enabled = off)"),
            LockMode::share_update_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t SET (user_catalog_table = true)"), LockMode::access_exclusive);
  EXPECT_EQ(lock("ALTER INDEX i RENAME TO j"), LockMode::share_update_exclusive);
  EXPECT_EQ(lock("ALTER TABLE t RENAME TO u"), LockMode::access_exclusive);
  EXPECT_EQ(lock("COMMENT ON TABLE t IS 'x'"), LockMode::none);  // on no table lint judges
  EXPECT_EQ(lock("GRANT SELECT ON t TO r"), LockMode::none);
}

TEST(Locks, TheStatementsWordsRefineTheRow) {
  const auto one = [](std::string_view sql) {
    const std::vector<TableLock> locks = locks_of(sql);
    EXPECT_FALSE(locks.empty()) << sql;
    return locks.empty() ? TableLock{} : locks.front();
  };
  EXPECT_FALSE(one("ALTER TABLE t ADD COLUMN c text").rewrites);
  EXPECT_FALSE(one("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()").rewrites);
  EXPECT_TRUE(one("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()").rewrites);
  EXPECT_TRUE(one("ALTER TABLE t ADD COLUMN c bigint GENERATED ALWAYS AS IDENTITY").rewrites);
  EXPECT_TRUE(one("ALTER TABLE t ALTER COLUMN c SET NOT NULL").scans);
  EXPECT_TRUE(one("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)").scans);
  EXPECT_FALSE(one("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID").scans);
  EXPECT_TRUE(one("ALTER TABLE t ADD PRIMARY KEY (id)").scans);
  EXPECT_FALSE(one("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX i").scans);
  EXPECT_TRUE(one("ALTER TABLE t SET TABLESPACE cold").rewrites);
  EXPECT_TRUE(one("ALTER TABLE t SET LOGGED").rewrites);
  EXPECT_TRUE(one("ALTER TABLE t SET UNLOGGED").rewrites);

  // A foreign key: SHARE ROW EXCLUSIVE on both tables, the scan only without NOT VALID.
  const std::vector<TableLock> fk =
      locks_of("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)");
  ASSERT_EQ(fk.size(), 2U);
  EXPECT_EQ(fk[0].table, "users");
  EXPECT_EQ(fk[1].table, "orders");
  EXPECT_EQ(fk[0].lock, LockMode::share_row_exclusive);
  EXPECT_EQ(fk[1].lock, LockMode::share_row_exclusive);
  EXPECT_TRUE(fk[1].scans);
  EXPECT_FALSE(one("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users "
                   "(id) NOT VALID")
                   .scans);
  const std::vector<TableLock> created =
      locks_of("CREATE TABLE orders (id bigint, user_id bigint REFERENCES users (id))");
  ASSERT_EQ(created.size(), 1U);
  EXPECT_EQ(created[0].table, "users");
  EXPECT_EQ(created[0].lock, LockMode::share_row_exclusive);

  // Several subcommands: the strongest lock, and a scan if any of them scans.
  const std::vector<TableLock> merged =
      per_table(locks_of("ALTER TABLE t ALTER a SET STATISTICS 100, ALTER b SET NOT NULL"));
  ASSERT_EQ(merged.size(), 1U);
  const TableLock& both = merged.front();
  EXPECT_EQ(both.lock, LockMode::access_exclusive);
  EXPECT_TRUE(both.scans);
  EXPECT_EQ(both.syntax, "ALTER COLUMN ... SET NOT NULL");

  // Partitions: ATTACH takes SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the
  // partition it scans; DETACH CONCURRENTLY SHARE UPDATE EXCLUSIVE on both.
  const std::vector<TableLock> attach =
      locks_of("ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM (1) TO (2)");
  ASSERT_EQ(attach.size(), 2U);
  EXPECT_EQ(attach[0].lock, LockMode::share_update_exclusive);
  EXPECT_EQ(attach[1].table, "events_2026");
  EXPECT_EQ(attach[1].lock, LockMode::access_exclusive);
  EXPECT_TRUE(attach[1].scans);
  const std::vector<TableLock> detach =
      locks_of("ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY");
  ASSERT_EQ(detach.size(), 2U);
  EXPECT_EQ(detach[0].lock, LockMode::share_update_exclusive);
  EXPECT_EQ(detach[1].lock, LockMode::share_update_exclusive);
  EXPECT_EQ(one("ALTER TABLE events DETACH PARTITION events_2020").lock,
            LockMode::access_exclusive);
  EXPECT_EQ(one("CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM (2) TO (3)").lock,
            LockMode::access_exclusive);

  // DROP TRIGGER locks the table it is on.
  EXPECT_EQ(one("DROP TRIGGER audit ON ops.accounts").table, "ops.accounts");
}

TEST(Locks, EachFormNamesTheRulesThatJudgeIt) {
  const auto rules = [](std::string_view sql) {
    const std::vector<TableLock> locks = locks_of(sql);
    return locks.empty() ? std::string("(no lock)") : std::string(locks.back().rules);
  };
  EXPECT_EQ(rules("CREATE INDEX i ON t (a)"), "PG101");
  EXPECT_EQ(rules("ALTER TABLE t ADD COLUMN c text"), "PG103, PG104");
  EXPECT_EQ(rules("ALTER TABLE t ALTER c TYPE bigint"), "PG108");
  EXPECT_EQ(rules("DROP TABLE t"), "PG203");
  EXPECT_EQ(rules("ALTER TABLE t RENAME COLUMN a TO b"), "PG202");
  // Forms no rule judges: the lock rule does.
  EXPECT_EQ(rules("DROP VIEW v"), "");
  EXPECT_EQ(rules("ALTER TABLE t SET TABLESPACE cold"), "");
  EXPECT_EQ(rules("ALTER TABLE t ALTER c SET DEFAULT 0"), "");
  EXPECT_EQ(rules("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"), "");
  EXPECT_EQ(rules("CREATE TABLE o (u bigint REFERENCES users)"), "");
  EXPECT_EQ(rules("ALTER TABLE t ADD COLUMN u bigint REFERENCES users"), "PG103, PG104");
}

TEST(Locks, WhatEachModeBlocks) {
  EXPECT_EQ(blocks(LockMode::access_exclusive), "blocks reads and writes");
  EXPECT_EQ(blocks(LockMode::share), "blocks writes");
  EXPECT_EQ(blocks(LockMode::share_row_exclusive), "blocks writes");
  EXPECT_EQ(to_string(LockMode::share_update_exclusive), "SHARE UPDATE EXCLUSIVE");
}

}  // namespace
}  // namespace retort::lint
