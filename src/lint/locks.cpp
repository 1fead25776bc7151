// The lock table of PostgreSQL 15's DDL, as data: one row per ALTER TABLE subcommand and per DDL
// statement form, each with its source in the documentation, and the refinement of a row by
// what a statement says (table_locks). Where a page names no lock, the source says so and names
// the server file that takes it, so that a reviewer can check every row.
#include "lint/locks.hpp"

#include "lint/tree_reading.hpp"

#include <algorithm>
#include <array>
#include <span>

namespace retort::lint {
namespace {

using enum LockMode;
using enum Effect;

// The ALTER TABLE reference page's notes: the forms that rewrite or scan the table.
constexpr std::string_view k_at_notes = "sql-altertable.html#SQL-ALTERTABLE-NOTES";
// Forms the grammar never produces: the server makes them while it runs another subcommand.
constexpr std::string_view k_internal =
    "internal: made by the server while it runs another form (tablecmds.c)";

// clang-format off
// One row per AlterTableType value, in the enum's order. The page's rule: "An ACCESS EXCLUSIVE
// lock is acquired unless explicitly noted."
constexpr auto k_alter_table = std::to_array<AlterTableLock>({
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, {"ALTER TABLE ... ADD COLUMN", access_exclusive, depends, depends,
    "rewrites with a volatile DEFAULT (random(), clock_timestamp(), nextval()), an identity or a stored "
    "generated column; scans for a CHECK or REFERENCES on the column; builds an index (a scan) for UNIQUE "
    "or PRIMARY KEY; REFERENCES also takes SHARE ROW EXCLUSIVE on the referenced table", k_at_notes, "PG103, PG104"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse, {"ADD COLUMN, to inheritance children", access_exclusive, depends, depends,
    "as ADD COLUMN", k_internal, "PG103, PG104"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnToView, {"CREATE OR REPLACE VIEW adding a column", access_exclusive, no, no,
    "", "sql-createview.html, Description"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault, {"ALTER COLUMN ... SET / DROP DEFAULT", access_exclusive, no, no,
    "", "sql-altertable.html, Description: SET/DROP DEFAULT"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_CookedColumnDefault, {"a column default, already analyzed", access_exclusive, no, no,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull, {"ALTER COLUMN ... DROP NOT NULL", access_exclusive, no, no,
    "", "sql-altertable.html, Description: SET/DROP NOT NULL"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, {"ALTER COLUMN ... SET NOT NULL", access_exclusive, no, yes,
    "the scan is skipped when a valid CHECK (column IS NOT NULL) constraint proves it",
    "sql-altertable.html, Description: SET/DROP NOT NULL", "PG105"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression, {"ALTER COLUMN ... DROP EXPRESSION", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DROP EXPRESSION"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_CheckNotNull, {"a check that a column is NOT NULL in every child", access_share, no, no,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics, {"ALTER COLUMN ... SET STATISTICS", share_update_exclusive, no, no,
    "", "sql-altertable.html, Description: SET STATISTICS"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions, {"ALTER COLUMN ... SET ( attribute_option )", share_update_exclusive, no, no,
    "", "sql-altertable.html, Description: SET ( attribute_option = value [, ... ] )"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions, {"ALTER COLUMN ... RESET ( attribute_option )", share_update_exclusive, no, no,
    "", "sql-altertable.html, Description: RESET ( attribute_option [, ... ] )"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage, {"ALTER COLUMN ... SET STORAGE", access_exclusive, no, no,
    "", "sql-altertable.html, Description: SET STORAGE"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression, {"ALTER COLUMN ... SET COMPRESSION", access_exclusive, no, no,
    "", "sql-altertable.html, Description: SET COMPRESSION"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, {"ALTER TABLE ... DROP COLUMN", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DROP COLUMN", "PG204"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse, {"DROP COLUMN, to inheritance children", access_exclusive, no, no,
    "", k_internal, "PG204"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndex, {"ADD PRIMARY KEY / UNIQUE, as an index", access_exclusive, no, yes,
    "", k_internal, "PG107"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddIndex, {"an index rebuilt by ALTER COLUMN ... TYPE", access_exclusive, no, yes,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, {"ALTER TABLE ... ADD CONSTRAINT", access_exclusive, no, depends,
    "FOREIGN KEY takes SHARE ROW EXCLUSIVE, on this table and on the referenced one; CHECK and FOREIGN KEY "
    "scan unless NOT VALID; PRIMARY KEY, UNIQUE and EXCLUDE build an index (a scan) unless USING INDEX",
    "sql-altertable.html, Description: ADD table_constraint [ NOT VALID ]", "PG106, PG107"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse, {"ADD CONSTRAINT, to inheritance children", access_exclusive, no, depends,
    "as ADD CONSTRAINT", k_internal, "PG106, PG107"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddConstraint, {"a constraint re-added by ALTER COLUMN ... TYPE", access_exclusive, no, yes,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddDomainConstraint, {"a domain constraint re-added by ALTER DOMAIN", access_exclusive, no, yes,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint, {"ALTER TABLE ... ALTER CONSTRAINT", access_exclusive, no, no,
    "", "sql-altertable.html, Description: ALTER CONSTRAINT"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, {"ALTER TABLE ... VALIDATE CONSTRAINT", share_update_exclusive, no, yes,
    "a FOREIGN KEY also takes ROW SHARE on the referenced table",
    "sql-altertable.html, Description: VALIDATE CONSTRAINT", "PG106"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse, {"VALIDATE CONSTRAINT, to inheritance children", share_update_exclusive, no, yes,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint, {"ALTER TABLE ... ADD CONSTRAINT ... USING INDEX", access_exclusive, no, no,
    "a PRIMARY KEY scans to set NOT NULL on columns that allow nulls",
    "sql-altertable.html, Description: ADD table_constraint_using_index", "PG107"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint, {"ALTER TABLE ... DROP CONSTRAINT", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DROP CONSTRAINT"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse, {"DROP CONSTRAINT, to inheritance children", access_exclusive, no, no,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddComment, {"a comment re-added by ALTER COLUMN ... TYPE", access_exclusive, no, no,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType, {"ALTER COLUMN ... TYPE", access_exclusive, depends, no,
    "no rewrite when the old type is binary coercible to the new (varchar(n) to a wider varchar or to "
    "text) and no USING changes the values: then only the indexes on the column may be rebuilt",
    k_at_notes, "PG108"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnGenericOptions, {"ALTER COLUMN ... OPTIONS, of a foreign table", access_exclusive, no, no,
    "", "sql-alterforeigntable.html, Description: OPTIONS"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner, {"ALTER TABLE ... OWNER TO", access_exclusive, no, no,
    "", "sql-altertable.html, Description: OWNER TO"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn, {"ALTER TABLE ... CLUSTER ON", share_update_exclusive, no, no,
    "", "sql-altertable.html, Description: CLUSTER ON"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster, {"ALTER TABLE ... SET WITHOUT CLUSTER", share_update_exclusive, no, no,
    "", "sql-altertable.html, Description: SET WITHOUT CLUSTER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged, {"ALTER TABLE ... SET LOGGED", access_exclusive, yes, no,
    "", "sql-altertable.html, Description: SET { LOGGED | UNLOGGED }"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged, {"ALTER TABLE ... SET UNLOGGED", access_exclusive, yes, no,
    "", "sql-altertable.html, Description: SET { LOGGED | UNLOGGED }"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropOids, {"ALTER TABLE ... SET WITHOUT OIDS", access_exclusive, no, no,
    "a no-op kept for compatibility", "sql-altertable.html, Description: SET WITHOUT OIDS"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod, {"ALTER TABLE ... SET ACCESS METHOD", access_exclusive, yes, no,
    "", "sql-altertable.html, Description: SET ACCESS METHOD"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace, {"ALTER TABLE ... SET TABLESPACE", access_exclusive, yes, no,
    "the data files are copied to the new tablespace; indexes are not moved with the table",
    "sql-altertable.html, Description: SET TABLESPACE"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions, {"ALTER TABLE ... SET ( storage_parameter )", access_exclusive, no, no,
    "SHARE UPDATE EXCLUSIVE when every parameter is fillfactor, a toast. or autovacuum parameter, or "
    "parallel_workers", "sql-altertable.html, Description: SET ( storage_parameter [= value] [, ... ] )"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions, {"ALTER TABLE ... RESET ( storage_parameter )", access_exclusive, no, no,
    "as SET ( storage_parameter )", "sql-altertable.html, Description: RESET ( storage_parameter [, ... ] )"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReplaceRelOptions, {"the options of CREATE OR REPLACE VIEW", access_exclusive, no, no,
    "", k_internal}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig, {"ALTER TABLE ... ENABLE TRIGGER", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig, {"ALTER TABLE ... ENABLE ALWAYS TRIGGER", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig, {"ALTER TABLE ... ENABLE REPLICA TRIGGER", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig, {"ALTER TABLE ... DISABLE TRIGGER", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll, {"ALTER TABLE ... ENABLE TRIGGER ALL", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll, {"ALTER TABLE ... DISABLE TRIGGER ALL", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser, {"ALTER TABLE ... ENABLE TRIGGER USER", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser, {"ALTER TABLE ... DISABLE TRIGGER USER", share_row_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] TRIGGER"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRule, {"ALTER TABLE ... ENABLE RULE", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] RULE"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysRule, {"ALTER TABLE ... ENABLE ALWAYS RULE", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] RULE"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaRule, {"ALTER TABLE ... ENABLE REPLICA RULE", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] RULE"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRule, {"ALTER TABLE ... DISABLE RULE", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE [ REPLICA | ALWAYS ] RULE"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit, {"ALTER TABLE ... INHERIT", access_exclusive, no, no,
    "", "sql-altertable.html, Description: INHERIT parent_table"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit, {"ALTER TABLE ... NO INHERIT", access_exclusive, no, no,
    "", "sql-altertable.html, Description: NO INHERIT parent_table"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddOf, {"ALTER TABLE ... OF type_name", access_exclusive, no, no,
    "", "sql-altertable.html, Description: OF type_name"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropOf, {"ALTER TABLE ... NOT OF", access_exclusive, no, no,
    "", "sql-altertable.html, Description: NOT OF"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity, {"ALTER TABLE ... REPLICA IDENTITY", access_exclusive, no, no,
    "", "sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity, {"ALTER TABLE ... ENABLE ROW LEVEL SECURITY", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE ROW LEVEL SECURITY"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRowSecurity, {"ALTER TABLE ... DISABLE ROW LEVEL SECURITY", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DISABLE/ENABLE ROW LEVEL SECURITY"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ForceRowSecurity, {"ALTER TABLE ... FORCE ROW LEVEL SECURITY", access_exclusive, no, no,
    "", "sql-altertable.html, Description: NO FORCE/FORCE ROW LEVEL SECURITY"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_NoForceRowSecurity, {"ALTER TABLE ... NO FORCE ROW LEVEL SECURITY", access_exclusive, no, no,
    "", "sql-altertable.html, Description: NO FORCE/FORCE ROW LEVEL SECURITY"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_GenericOptions, {"ALTER FOREIGN TABLE ... OPTIONS", access_exclusive, no, no,
    "", "sql-alterforeigntable.html, Description: OPTIONS"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition, {"ALTER TABLE ... ATTACH PARTITION", share_update_exclusive, no, depends,
    "the table attached (and the default partition, if any) takes ACCESS EXCLUSIVE and is scanned for the "
    "partition constraint unless a valid CHECK constraint implies it; tables whose foreign keys reference "
    "the parent take SHARE", "sql-altertable.html#SQL-ALTERTABLE-ATTACH-PARTITION"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition, {"ALTER TABLE ... DETACH PARTITION", access_exclusive, no, no,
    "on the parent and the partition; CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on both instead, in two "
    "transactions", "sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize, {"ALTER TABLE ... DETACH PARTITION ... FINALIZE", share_update_exclusive, no, no,
    "", "sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity, {"ALTER COLUMN ... ADD GENERATED AS IDENTITY", access_exclusive, no, no,
    "", "sql-altertable.html, Description: ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity, {"ALTER COLUMN ... SET GENERATED / sequence options", access_exclusive, no, no,
    "", "sql-altertable.html, Description: SET GENERATED { ALWAYS | BY DEFAULT }"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity, {"ALTER COLUMN ... DROP IDENTITY", access_exclusive, no, no,
    "", "sql-altertable.html, Description: DROP IDENTITY [ IF EXISTS ]"}},
  {PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddStatistics, {"statistics re-added by ALTER COLUMN ... TYPE", access_exclusive, no, no,
    "", k_internal}},
});

// One row per form of each DDL statement node. `none`: the statement locks no table (it locks
// the object it creates or changes, or only catalog rows); a CREATE of a new object has nothing
// to wait for but the catalog.
constexpr auto k_statements = std::to_array<StatementLock>({
  {PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, {"ALTER TABLE / INDEX / VIEW / SEQUENCE / FOREIGN TABLE / TYPE", access_exclusive, depends, depends,
    "the strongest of its subcommands' rows; ALTER INDEX locks the index (ACCESS EXCLUSIVE, which every "
    "plan of the table waits for), except SET ( storage_parameter ) and ATTACH PARTITION (SHARE UPDATE "
    "EXCLUSIVE); SET TABLESPACE of an index copies it", "sql-altertable.html, sql-alterindex.html, Description"}},
  {PG_QUERY__NODE__NODE_INDEX_STMT, {"CREATE INDEX", share, no, yes,
    "reads the whole table to build the index", "explicit-locking.html#LOCKING-TABLES: SHARE", "PG101"}},
  {PG_QUERY__NODE__NODE_INDEX_STMT, {"CREATE INDEX CONCURRENTLY", share_update_exclusive, no, yes,
    "two scans, waiting for the transactions that use the table in between",
    "sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY", "PG101, PG303"}},
  {PG_QUERY__NODE__NODE_DROP_STMT, {"DROP TABLE", access_exclusive, no, no,
    "", "explicit-locking.html#LOCKING-TABLES: ACCESS EXCLUSIVE", "PG203"}},
  {PG_QUERY__NODE__NODE_DROP_STMT, {"DROP VIEW / MATERIALIZED VIEW / FOREIGN TABLE", access_exclusive, no, no,
    "", "sql-dropview.html, sql-dropmaterializedview.html (the pages name no lock: as DROP TABLE)"}},
  {PG_QUERY__NODE__NODE_DROP_STMT, {"DROP INDEX", access_exclusive, no, no,
    "the lock is on the index's table, which DROP INDEX does not name", "sql-dropindex.html, Parameters: CONCURRENTLY", "PG102"}},
  {PG_QUERY__NODE__NODE_DROP_STMT, {"DROP INDEX CONCURRENTLY", share_update_exclusive, no, no,
    "", "sql-dropindex.html, Parameters: CONCURRENTLY", "PG102, PG303"}},
  {PG_QUERY__NODE__NODE_DROP_STMT, {"DROP TRIGGER / RULE / POLICY", access_exclusive, no, no,
    "on the table the trigger, rule or policy belongs to",
    "sql-droptrigger.html, sql-droprule.html, sql-droppolicy.html (the pages name no lock: trigger.c, "
    "rewriteRemove.c, policy.c take ACCESS EXCLUSIVE)"}},
  {PG_QUERY__NODE__NODE_DROP_STMT, {"DROP of another object (TYPE, FUNCTION, SCHEMA, SEQUENCE, ...)", none, no, no,
    "CASCADE drops dependent objects, tables and columns among them, under their own locks",
    "sql-droptype.html and the other DROP pages"}},
  {PG_QUERY__NODE__NODE_RENAME_STMT, {"ALTER TABLE / VIEW / MATERIALIZED VIEW ... RENAME TO", access_exclusive, no, no,
    "", "sql-altertable.html, Description: RENAME", "PG201"}},
  {PG_QUERY__NODE__NODE_RENAME_STMT, {"ALTER TABLE ... RENAME COLUMN", access_exclusive, no, no,
    "", "sql-altertable.html, Description: RENAME", "PG202"}},
  {PG_QUERY__NODE__NODE_RENAME_STMT, {"ALTER TABLE ... RENAME CONSTRAINT, ALTER TRIGGER / POLICY / RULE / SEQUENCE ... RENAME", access_exclusive, no, no,
    "", "sql-altertable.html, Description: RENAME; sql-altertrigger.html, Notes"}},
  {PG_QUERY__NODE__NODE_RENAME_STMT, {"ALTER INDEX ... RENAME", share_update_exclusive, no, no,
    "", "sql-alterindex.html, Description: RENAME"}},
  {PG_QUERY__NODE__NODE_RENAME_STMT, {"RENAME of another object (TYPE, FUNCTION, SCHEMA, ...)", none, no, no,
    "", "the ALTER page of the object: RENAME"}},
  {PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT, {"ALTER TABLE / VIEW / SEQUENCE ... SET SCHEMA", access_exclusive, no, no,
    "other objects: no table lock", "sql-altertable.html, Description: SET SCHEMA"}},
  {PG_QUERY__NODE__NODE_TRUNCATE_STMT, {"TRUNCATE", access_exclusive, yes, no,
    "a new, empty file replaces the table's", "sql-truncate.html, Notes", "PG205"}},
  {PG_QUERY__NODE__NODE_LOCK_STMT, {"LOCK TABLE ... IN mode MODE", access_exclusive, no, no,
    "the mode named; ACCESS EXCLUSIVE when none is", "sql-lock.html, Parameters: lockmode"}},
  {PG_QUERY__NODE__NODE_VACUUM_STMT, {"VACUUM FULL", access_exclusive, yes, no,
    "", "sql-vacuum.html, Description and Parameters: FULL", "PG109"}},
  {PG_QUERY__NODE__NODE_VACUUM_STMT, {"VACUUM / ANALYZE", share_update_exclusive, no, yes,
    "", "explicit-locking.html#LOCKING-TABLES: SHARE UPDATE EXCLUSIVE"}},
  {PG_QUERY__NODE__NODE_CLUSTER_STMT, {"CLUSTER", access_exclusive, yes, no,
    "", "sql-cluster.html, Description", "PG109"}},
  {PG_QUERY__NODE__NODE_REINDEX_STMT, {"REINDEX", share, no, yes,
    "SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index rebuilt, which every plan of "
    "the table waits for", "sql-reindex.html, Notes", "PG111"}},
  {PG_QUERY__NODE__NODE_REINDEX_STMT, {"REINDEX CONCURRENTLY", share_update_exclusive, no, yes,
    "", "sql-reindex.html#SQL-REINDEX-CONCURRENTLY", "PG111, PG303"}},
  {PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT, {"REFRESH MATERIALIZED VIEW", access_exclusive, yes, no,
    "", "explicit-locking.html#LOCKING-TABLES: ACCESS EXCLUSIVE", "PG112"}},
  {PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT, {"REFRESH MATERIALIZED VIEW CONCURRENTLY", exclusive, no, yes,
    "reads still run; only other refreshes wait, a materialized view taking no other writes",
    "explicit-locking.html#LOCKING-TABLES: EXCLUSIVE", "PG112"}},
  {PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, {"CREATE TRIGGER", share_row_exclusive, no, no,
    "", "explicit-locking.html#LOCKING-TABLES: SHARE ROW EXCLUSIVE"}},
  {PG_QUERY__NODE__NODE_CREATE_STMT, {"CREATE TABLE", none, no, no,
    "REFERENCES takes SHARE ROW EXCLUSIVE on the referenced table (as ADD FOREIGN KEY does); PARTITION OF "
    "takes ACCESS EXCLUSIVE on the parent; INHERITS takes SHARE UPDATE EXCLUSIVE on the parents",
    "sql-altertable.html, Description: ADD table_constraint (the foreign key); sql-createtable.html "
    "names no lock for PARTITION OF and INHERITS (tablecmds.c DefineRelation)"}},
  {PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT, {"CREATE TABLE AS / CREATE MATERIALIZED VIEW / SELECT INTO", none, no, no,
    "ACCESS SHARE on the tables read", "sql-createtableas.html"}},
  {PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT, {"CREATE FOREIGN TABLE", none, no, no,
    "PARTITION OF takes ACCESS EXCLUSIVE on the parent", "sql-createforeigntable.html"}},
  {PG_QUERY__NODE__NODE_VIEW_STMT, {"CREATE [OR REPLACE] VIEW", none, no, no,
    "OR REPLACE of an existing view takes ACCESS EXCLUSIVE on the view", "sql-createview.html, Description"}},
  {PG_QUERY__NODE__NODE_RULE_STMT, {"CREATE RULE", access_exclusive, no, no,
    "", "sql-createrule.html (the page names no lock: rewriteDefine.c takes ACCESS EXCLUSIVE)"}},
  {PG_QUERY__NODE__NODE_CREATE_POLICY_STMT, {"CREATE POLICY", access_exclusive, no, no,
    "", "sql-createpolicy.html (the page names no lock: policy.c takes ACCESS EXCLUSIVE)"}},
  {PG_QUERY__NODE__NODE_ALTER_POLICY_STMT, {"ALTER POLICY", access_exclusive, no, no,
    "", "sql-alterpolicy.html (the page names no lock: policy.c takes ACCESS EXCLUSIVE)"}},
  {PG_QUERY__NODE__NODE_COMMENT_STMT, {"COMMENT ON", share_update_exclusive, no, no,
    "on the object commented", "sql-comment.html, Description"}},
  {PG_QUERY__NODE__NODE_SEC_LABEL_STMT, {"SECURITY LABEL", share_update_exclusive, no, no,
    "on the object labelled", "sql-security-label.html (seclabel.c)"}},
  {PG_QUERY__NODE__NODE_CREATE_STATS_STMT, {"CREATE STATISTICS", share_update_exclusive, no, no,
    "", "explicit-locking.html#LOCKING-TABLES: SHARE UPDATE EXCLUSIVE"}},
  {PG_QUERY__NODE__NODE_ALTER_STATS_STMT, {"ALTER STATISTICS", none, no, no,
    "", "sql-alterstatistics.html"}},
  {PG_QUERY__NODE__NODE_GRANT_STMT, {"GRANT / REVOKE", none, no, no,
    "only the catalog row of each object changes", "sql-grant.html"}},
  {PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT, {"ALTER DEFAULT PRIVILEGES", none, no, no,
    "", "sql-alterdefaultprivileges.html"}},
  {PG_QUERY__NODE__NODE_ALTER_OWNER_STMT, {"ALTER ... OWNER TO, of an object not a relation", none, no, no,
    "ALTER TABLE ... OWNER TO is the ALTER TABLE row", "the ALTER page of the object: OWNER TO"}},
  {PG_QUERY__NODE__NODE_ALTER_SEQ_STMT, {"ALTER SEQUENCE", none, no, no,
    "SHARE ROW EXCLUSIVE on the sequence: nextval() of it waits", "sql-altersequence.html (sequence.c)"}},
  {PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, {"CREATE SEQUENCE", none, no, no, "", "sql-createsequence.html"}},
  {PG_QUERY__NODE__NODE_ALTER_TYPE_STMT, {"ALTER TYPE ... SET ( property )", none, no, no,
    "the type's row only; ALTER TYPE ... ADD/ALTER ATTRIBUTE is the ALTER TABLE row",
    "sql-altertype.html, Description: SET"}},
  {PG_QUERY__NODE__NODE_ALTER_ENUM_STMT, {"ALTER TYPE ... ADD VALUE / RENAME VALUE", none, no, no,
    "the new value cannot be used before the transaction commits", "sql-altertype.html, Notes"}},
  {PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT, {"ALTER DOMAIN", none, no, depends,
    "ADD CONSTRAINT (without NOT VALID), SET NOT NULL and VALIDATE CONSTRAINT scan every column of the "
    "domain under SHARE on its table, tables lint cannot name", "sql-alterdomain.html, Description: ADD domain_constraint", "PG106"}},
  {PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT, {"CREATE DOMAIN", none, no, no, "", "sql-createdomain.html"}},
  {PG_QUERY__NODE__NODE_CREATE_ENUM_STMT, {"CREATE TYPE ... AS ENUM", none, no, no, "", "sql-createtype.html"}},
  {PG_QUERY__NODE__NODE_CREATE_RANGE_STMT, {"CREATE TYPE ... AS RANGE", none, no, no, "", "sql-createtype.html"}},
  {PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT, {"CREATE TYPE ... AS (composite)", none, no, no, "", "sql-createtype.html"}},
  {PG_QUERY__NODE__NODE_DEFINE_STMT, {"CREATE AGGREGATE / OPERATOR / TYPE / COLLATION / TEXT SEARCH ...", none, no, no,
    "", "sql-createaggregate.html and the other CREATE pages"}},
  {PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, {"CREATE FUNCTION / PROCEDURE", none, no, no, "", "sql-createfunction.html"}},
  {PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT, {"ALTER FUNCTION / PROCEDURE / ROUTINE", none, no, no, "", "sql-alterfunction.html"}},
  {PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, {"CREATE SCHEMA", none, no, no,
    "its own elements lock as their statements do", "sql-createschema.html"}},
  {PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT, {"CREATE EXTENSION", none, no, no,
    "the extension's script locks what it touches", "sql-createextension.html"}},
  {PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT, {"ALTER EXTENSION ... UPDATE", none, no, no,
    "the update script locks what it touches", "sql-alterextension.html"}},
  {PG_QUERY__NODE__NODE_ALTER_EXTENSION_CONTENTS_STMT, {"ALTER EXTENSION ... ADD / DROP", none, no, no, "", "sql-alterextension.html"}},
  {PG_QUERY__NODE__NODE_ALTER_OBJECT_DEPENDS_STMT, {"ALTER ... DEPENDS ON EXTENSION", none, no, no, "", "sql-alterindex.html, Description: DEPENDS ON EXTENSION"}},
  {PG_QUERY__NODE__NODE_CREATE_CAST_STMT, {"CREATE CAST", none, no, no, "", "sql-createcast.html"}},
  {PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT, {"CREATE CONVERSION", none, no, no, "", "sql-createconversion.html"}},
  {PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT, {"CREATE OPERATOR CLASS", none, no, no, "", "sql-createopclass.html"}},
  {PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT, {"CREATE OPERATOR FAMILY", none, no, no, "", "sql-createopfamily.html"}},
  {PG_QUERY__NODE__NODE_ALTER_OP_FAMILY_STMT, {"ALTER OPERATOR FAMILY", none, no, no, "", "sql-alteropfamily.html"}},
  {PG_QUERY__NODE__NODE_ALTER_OPERATOR_STMT, {"ALTER OPERATOR", none, no, no, "", "sql-alteroperator.html"}},
  {PG_QUERY__NODE__NODE_CREATE_TRANSFORM_STMT, {"CREATE TRANSFORM", none, no, no, "", "sql-createtransform.html"}},
  {PG_QUERY__NODE__NODE_CREATE_AM_STMT, {"CREATE ACCESS METHOD", none, no, no, "", "sql-create-access-method.html"}},
  {PG_QUERY__NODE__NODE_CREATE_PLANG_STMT, {"CREATE LANGUAGE", none, no, no, "", "sql-createlanguage.html"}},
  {PG_QUERY__NODE__NODE_CREATE_FDW_STMT, {"CREATE FOREIGN DATA WRAPPER", none, no, no, "", "sql-createforeigndatawrapper.html"}},
  {PG_QUERY__NODE__NODE_ALTER_FDW_STMT, {"ALTER FOREIGN DATA WRAPPER", none, no, no, "", "sql-alterforeigndatawrapper.html"}},
  {PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT, {"CREATE SERVER", none, no, no, "", "sql-createserver.html"}},
  {PG_QUERY__NODE__NODE_ALTER_FOREIGN_SERVER_STMT, {"ALTER SERVER", none, no, no, "", "sql-alterserver.html"}},
  {PG_QUERY__NODE__NODE_CREATE_USER_MAPPING_STMT, {"CREATE USER MAPPING", none, no, no, "", "sql-createusermapping.html"}},
  {PG_QUERY__NODE__NODE_ALTER_USER_MAPPING_STMT, {"ALTER USER MAPPING", none, no, no, "", "sql-alterusermapping.html"}},
  {PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT, {"DROP USER MAPPING", none, no, no, "", "sql-dropusermapping.html"}},
  {PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT, {"IMPORT FOREIGN SCHEMA", none, no, no, "", "sql-importforeignschema.html"}},
  {PG_QUERY__NODE__NODE_CREATE_ROLE_STMT, {"CREATE ROLE / USER / GROUP", none, no, no, "", "sql-createrole.html"}},
  {PG_QUERY__NODE__NODE_ALTER_ROLE_STMT, {"ALTER ROLE", none, no, no, "", "sql-alterrole.html"}},
  {PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT, {"ALTER ROLE ... SET", none, no, no, "", "sql-alterrole.html"}},
  {PG_QUERY__NODE__NODE_DROP_ROLE_STMT, {"DROP ROLE", none, no, no, "", "sql-droprole.html"}},
  {PG_QUERY__NODE__NODE_GRANT_ROLE_STMT, {"GRANT / REVOKE role", none, no, no, "", "sql-grant.html"}},
  {PG_QUERY__NODE__NODE_DROP_OWNED_STMT, {"DROP OWNED", none, no, no,
    "drops the role's tables under their own locks", "sql-drop-owned.html"}},
  {PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT, {"REASSIGN OWNED", none, no, no,
    "changes the owner of the role's tables, as ALTER TABLE ... OWNER TO", "sql-reassign-owned.html"}},
  {PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT, {"CREATE TABLESPACE", none, no, no, "", "sql-createtablespace.html"}},
  {PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT, {"DROP TABLESPACE", none, no, no, "", "sql-droptablespace.html"}},
  {PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT, {"ALTER TABLESPACE ... SET", none, no, no, "", "sql-altertablespace.html"}},
  {PG_QUERY__NODE__NODE_ALTER_TABLE_MOVE_ALL_STMT, {"ALTER TABLE ALL IN TABLESPACE ... SET TABLESPACE", access_exclusive, yes, no,
    "every table of the tablespace, which lint cannot name", "sql-altertable.html, Description: SET TABLESPACE"}},
  {PG_QUERY__NODE__NODE_CREATEDB_STMT, {"CREATE DATABASE", none, no, no, "", "sql-createdatabase.html"}},
  {PG_QUERY__NODE__NODE_DROPDB_STMT, {"DROP DATABASE", none, no, no, "", "sql-dropdatabase.html"}},
  {PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT, {"ALTER DATABASE", none, no, no, "", "sql-alterdatabase.html"}},
  {PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT, {"ALTER DATABASE ... SET", none, no, no, "", "sql-alterdatabase.html"}},
  {PG_QUERY__NODE__NODE_ALTER_DATABASE_REFRESH_COLL_STMT, {"ALTER DATABASE ... REFRESH COLLATION VERSION", none, no, no, "", "sql-alterdatabase.html"}},
  {PG_QUERY__NODE__NODE_ALTER_COLLATION_STMT, {"ALTER COLLATION", none, no, no, "", "sql-altercollation.html"}},
  {PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT, {"ALTER SYSTEM", none, no, no, "", "sql-altersystem.html"}},
  {PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT, {"CREATE PUBLICATION", none, no, no,
    "FOR TABLE takes SHARE UPDATE EXCLUSIVE on each table", "sql-createpublication.html (publicationcmds.c)"}},
  {PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT, {"ALTER PUBLICATION", none, no, no,
    "ADD / SET TABLE takes SHARE UPDATE EXCLUSIVE on each table", "sql-alterpublication.html (publicationcmds.c)"}},
  {PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT, {"CREATE SUBSCRIPTION", none, no, no, "", "sql-createsubscription.html"}},
  {PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT, {"ALTER SUBSCRIPTION", none, no, no, "", "sql-altersubscription.html"}},
  {PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT, {"DROP SUBSCRIPTION", none, no, no, "", "sql-dropsubscription.html"}},
  {PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT, {"CREATE EVENT TRIGGER", none, no, no, "", "sql-createeventtrigger.html"}},
  {PG_QUERY__NODE__NODE_ALTER_EVENT_TRIG_STMT, {"ALTER EVENT TRIGGER", none, no, no, "", "sql-altereventtrigger.html"}},
  {PG_QUERY__NODE__NODE_ALTER_TSDICTIONARY_STMT, {"ALTER TEXT SEARCH DICTIONARY", none, no, no, "", "sql-altertsdictionary.html"}},
  {PG_QUERY__NODE__NODE_ALTER_TSCONFIGURATION_STMT, {"ALTER TEXT SEARCH CONFIGURATION", none, no, no, "", "sql-altertsconfig.html"}},
  {PG_QUERY__NODE__NODE_REPLICA_IDENTITY_STMT, {"REPLICA IDENTITY, inside ALTER TABLE", access_exclusive, no, no,
    "as ALTER TABLE ... REPLICA IDENTITY", "sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY"}},
});
// clang-format on

// The storage parameters that SET ( ... ) changes under SHARE UPDATE EXCLUSIVE, as ALTER
// TABLE's page lists them: fillfactor, toast and autovacuum parameters, parallel_workers.
bool light_reloption(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
      node->def_elem == nullptr || node->def_elem->defname == nullptr) {
    return false;
  }
  const PgQuery__DefElem& option = *node->def_elem;
  const std::string_view name = option.defname;
  if (option.defnamespace != nullptr && std::string_view(option.defnamespace) == "toast") {
    return true;
  }
  return name == "fillfactor" || name == "parallel_workers" || name == "toast_tuple_target" ||
         name.starts_with("autovacuum_");
}

bool all_light_reloptions(const PgQuery__Node* def) {
  if (def == nullptr || def->node_case != PG_QUERY__NODE__NODE_LIST || def->list == nullptr) {
    return false;
  }
  const auto items = std::span(def->list->items, def->list->n_items);
  return !items.empty() && std::all_of(items.begin(), items.end(), light_reloption);
}

const LockEntry& statement_entry(PgQuery__Node__NodeCase node, std::string_view syntax) {
  for (const StatementLock& row : k_statements) {
    if (row.node == node && row.entry.syntax == syntax) {
      return row.entry;
    }
  }
  // A misspelt form is a bug of this file, which the tests catch.
  return k_statements.front().entry;
}

TableLock lock_of(std::string table, int location, const LockEntry& entry) {
  TableLock lock;
  lock.table = std::move(table);
  lock.location = location;
  lock.syntax = std::string(entry.syntax);
  lock.lock = entry.lock;
  lock.rewrites = entry.rewrites == yes;
  lock.scans = entry.scans == yes;
  lock.source = entry.source;
  lock.rules = entry.rules;
  return lock;
}
// Adds `lock` when it names a table and locks it.
void merge(std::vector<TableLock>& out, TableLock lock) {
  if (!lock.table.empty() && lock.lock != none) {
    out.push_back(std::move(lock));
  }
}

// A foreign key's lock on the table it references; `rules` judge it (PG106 for ALTER TABLE's
// foreign keys, none for CREATE TABLE's).
TableLock referenced(const std::string& table, const PgQuery__Constraint& constraint,
                     std::string_view rules) {
  TableLock lock;
  lock.referencing = table;
  lock.table = relation_name(constraint.pktable);
  lock.location = constraint.pktable != nullptr ? constraint.pktable->location : -1;
  lock.syntax = "FOREIGN KEY ... REFERENCES";
  lock.lock = share_row_exclusive;
  lock.source = "sql-altertable.html, Description: ADD table_constraint [ NOT VALID ]";
  lock.rules = rules;
  return lock;
}

void add_constraint(const std::string& table, int location, const PgQuery__Constraint& constraint,
                    const LockEntry& entry, std::vector<TableLock>& out) {
  TableLock lock = lock_of(table, location, entry);
  switch (constraint.contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
      lock.syntax = "ALTER TABLE ... ADD FOREIGN KEY";
      lock.lock = share_row_exclusive;
      lock.scans = !constraint.skip_validation;
      merge(out, referenced(table, constraint, entry.rules));
      break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
      lock.syntax = "ALTER TABLE ... ADD CHECK";
      lock.scans = !constraint.skip_validation;
      break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
      lock.scans = constraint.indexname == nullptr || constraint.indexname[0] == '\0';
      break;
    default:
      break;
  }
  merge(out, std::move(lock));
}

void add_column(const std::string& table, int location, const PgQuery__ColumnDef& column,
                const LockEntry& entry, std::vector<TableLock>& out) {
  TableLock lock = lock_of(table, location, entry);
  lock.rewrites = is_volatile(column_default(&column)) ||
                  (column.identity != nullptr && column.identity[0] != '\0');
  lock.scans = false;
  for (const PgQuery__Constraint* constraint : column_constraints(&column)) {
    switch (constraint->contype) {
      case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
      case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
        lock.rewrites = true;
        break;
      case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
      case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
      case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        lock.scans = true;
        break;
      case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        // The new column is all NULL: the foreign key has no row to check (as PG106 says).
        merge(out, referenced(table, *constraint, "PG106"));
        break;
      default:
        break;
    }
  }
  merge(out, std::move(lock));
}

void alter_table(const PgQuery__AlterTableStmt& alter, std::vector<TableLock>& out) {
  const std::string table = relation_name(alter.relation);
  const int location = alter.relation != nullptr ? alter.relation->location : -1;
  for (const PgQuery__AlterTableCmd* command : alter_commands(&alter)) {
    const LockEntry* entry = alter_table_lock(command->subtype);
    if (entry == nullptr) {
      continue;
    }
    const PgQuery__Node* def = command->def;
    switch (command->subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        if (def != nullptr && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
            def->column_def != nullptr) {
          add_column(table, location, *def->column_def, *entry, out);
          continue;
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
        if (const PgQuery__Constraint* constraint = constraint_of(def)) {
          add_constraint(table, location, *constraint, *entry, out);
          continue;
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType: {
        // Whether the new type is binary coercible from the old one needs the old type, which
        // lint learns only from the schema: counted as a rewrite, as PG108 judges it.
        TableLock lock = lock_of(table, location, *entry);
        lock.rewrites = true;
        merge(out, std::move(lock));
        continue;
      }
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions: {
        TableLock lock = lock_of(table, location, *entry);
        if (all_light_reloptions(def)) {
          lock.lock = share_update_exclusive;
        }
        merge(out, std::move(lock));
        continue;
      }
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
        if (def != nullptr && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
            def->partition_cmd != nullptr) {
          const PgQuery__PartitionCmd& partition = *def->partition_cmd;
          const bool attach = command->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition;
          const bool concurrent = !attach && partition.concurrent;
          TableLock parent = lock_of(table, location, *entry);
          TableLock child =
              lock_of(relation_name(partition.name),
                      partition.name != nullptr ? partition.name->location : -1, *entry);
          parent.lock = attach || concurrent ? share_update_exclusive : access_exclusive;
          child.lock = concurrent ? share_update_exclusive : access_exclusive;
          parent.scans = false;
          // The partition constraint is checked by a scan unless a CHECK constraint implies it,
          // which only the schema tells: counted as a scan.
          child.scans = attach;
          if (concurrent) {
            parent.syntax = child.syntax = "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
          }
          merge(out, std::move(parent));
          merge(out, std::move(child));
          continue;
        }
        break;
      default:
        break;
    }
    TableLock lock = lock_of(table, location, *entry);
    // A `depends` the code above does not refine counts as what it most often is: none.
    merge(out, std::move(lock));
  }
}

void create_table(const PgQuery__CreateStmt& create, std::vector<TableLock>& out) {
  const std::string table = relation_name(create.relation);
  for (const PgQuery__Node* element : std::span(create.table_elts, create.n_table_elts)) {
    if (element == nullptr) {
      continue;
    }
    if (const PgQuery__Constraint* constraint = constraint_of(element);
        constraint != nullptr && constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
      merge(out, referenced(table, *constraint, {}));
    }
    if (element->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && element->column_def != nullptr) {
      for (const PgQuery__Constraint* constraint : column_constraints(element->column_def)) {
        if (constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
          merge(out, referenced(table, *constraint, {}));
        }
      }
    }
  }
  for (const PgQuery__Node* parent : std::span(create.inh_relations, create.n_inh_relations)) {
    if (parent == nullptr || parent->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) {
      continue;
    }
    TableLock lock;
    lock.table = relation_name(parent->range_var);
    lock.location = parent->range_var->location;
    const bool partition = create.partbound != nullptr;
    lock.syntax = partition ? "CREATE TABLE ... PARTITION OF" : "CREATE TABLE ... INHERITS";
    lock.lock = partition ? access_exclusive : share_update_exclusive;
    lock.source = statement_entry(PG_QUERY__NODE__NODE_CREATE_STMT, "CREATE TABLE").source;
    merge(out, std::move(lock));
  }
}

void relations(PgQuery__Node* const* items, std::size_t count, const LockEntry& entry,
               std::vector<TableLock>& out) {
  for (const PgQuery__Node* node : std::span(items, count)) {
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
      merge(out, lock_of(relation_name(node->range_var), node->range_var->location, entry));
    }
  }
}

void drop(const PgQuery__DropStmt& drop, std::vector<TableLock>& out) {
  const auto entry = [](std::string_view syntax) -> const LockEntry& {
    return statement_entry(PG_QUERY__NODE__NODE_DROP_STMT, syntax);
  };
  const LockEntry* form = nullptr;
  bool owner = false;  // the object is named after its table: trigger, rule, policy
  switch (drop.remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
      form = &entry("DROP TABLE");
      break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
      form = &entry("DROP VIEW / MATERIALIZED VIEW / FOREIGN TABLE");
      break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
      form = &entry(drop.concurrent ? "DROP INDEX CONCURRENTLY" : "DROP INDEX");
      break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
    case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
      form = &entry("DROP TRIGGER / RULE / POLICY");
      owner = true;
      break;
    default:
      return;
  }
  for (const PgQuery__Node* object : std::span(drop.objects, drop.n_objects)) {
    std::string name = object_name(object);
    if (owner) {
      // "ops.accounts.audit_trigger": the table is all but the last part.
      const std::size_t dot = name.rfind('.');
      name = dot == std::string::npos ? std::string() : name.substr(0, dot);
    }
    merge(out, lock_of(std::move(name), -1, *form));
  }
}

void rename(const PgQuery__RenameStmt& rename, std::vector<TableLock>& out) {
  const auto entry = [](std::string_view syntax) -> const LockEntry& {
    return statement_entry(PG_QUERY__NODE__NODE_RENAME_STMT, syntax);
  };
  const std::string table = relation_name(rename.relation);
  const int location = rename.relation != nullptr ? rename.relation->location : -1;
  switch (rename.rename_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
      merge(out, lock_of(table, location, entry("ALTER INDEX ... RENAME")));
      break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
      merge(out, lock_of(table, location,
                         entry("ALTER TABLE / VIEW / MATERIALIZED VIEW ... RENAME TO")));
      break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
      merge(out, lock_of(table, location, entry("ALTER TABLE ... RENAME COLUMN")));
      break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
    case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
    case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
    case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
      merge(out, lock_of(table, location,
                         entry("ALTER TABLE ... RENAME CONSTRAINT, ALTER TRIGGER / POLICY / RULE "
                               "/ SEQUENCE ... RENAME")));
      break;
    default:
      break;
  }
}

void lock_table(const PgQuery__LockStmt& lock, std::vector<TableLock>& out) {
  // LOCK's mode is the server's LOCKMODE number: 1 ACCESS SHARE ... 8 ACCESS EXCLUSIVE.
  const LockMode mode =
      lock.mode >= 1 && lock.mode <= 8 ? static_cast<LockMode>(lock.mode) : access_exclusive;
  const std::size_t first = out.size();
  relations(lock.relations, lock.n_relations,
            statement_entry(PG_QUERY__NODE__NODE_LOCK_STMT, "LOCK TABLE ... IN mode MODE"), out);
  for (std::size_t lock_idx = first; lock_idx < out.size(); ++lock_idx) {
    out[lock_idx].lock = mode;
    out[lock_idx].syntax = "LOCK TABLE ... IN " + std::string(to_string(mode)) + " MODE";
  }
}

}  // namespace

std::string_view to_string(LockMode mode) noexcept {
  switch (mode) {
    case none:
      return "no table lock";
    case access_share:
      return "ACCESS SHARE";
    case row_share:
      return "ROW SHARE";
    case row_exclusive:
      return "ROW EXCLUSIVE";
    case share_update_exclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case share:
      return "SHARE";
    case share_row_exclusive:
      return "SHARE ROW EXCLUSIVE";
    case exclusive:
      return "EXCLUSIVE";
    case access_exclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "";
}

std::string_view blocks(LockMode mode) noexcept {
  switch (mode) {
    case none:
    case access_share:
      return "blocks ACCESS EXCLUSIVE only";
    case row_share:
    case row_exclusive:
      return "blocks EXCLUSIVE and ACCESS EXCLUSIVE only";
    case share_update_exclusive:
      return "blocks schema changes and VACUUM";
    case share:
    case share_row_exclusive:
    case exclusive:
      return "blocks writes";
    case access_exclusive:
      return "blocks reads and writes";
  }
  return "";
}

std::span<const AlterTableLock> alter_table_locks() { return k_alter_table; }

std::vector<TableLock> per_table(std::vector<TableLock> locks) {
  std::vector<TableLock> out;
  for (TableLock& lock : locks) {
    const auto known = std::find_if(
        out.begin(), out.end(), [&](const TableLock& table) { return table.table == lock.table; });
    if (known == out.end()) {
      out.push_back(std::move(lock));
      continue;
    }
    const bool rewrites = known->rewrites || lock.rewrites;
    const bool scans = known->scans || lock.scans;
    if (lock.lock > known->lock) {
      *known = std::move(lock);
    }
    known->rewrites = rewrites;
    known->scans = scans;
  }
  return out;
}

std::span<const StatementLock> statement_locks() { return k_statements; }

const LockEntry* alter_table_lock(PgQuery__AlterTableType subtype) {
  for (const AlterTableLock& row : k_alter_table) {
    if (row.subtype == subtype) {
      return &row.entry;
    }
  }
  return nullptr;
}

std::vector<TableLock> table_locks(const PgQuery__Node* statement) {
  std::vector<TableLock> out;
  if (statement == nullptr) {
    return out;
  }
  const auto entry = [&](std::string_view syntax) -> const LockEntry& {
    return statement_entry(statement->node_case, syntax);
  };
  switch (statement->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      if (statement->alter_table_stmt != nullptr) {
        alter_table(*statement->alter_table_stmt, out);
      }
      break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
      if (const PgQuery__IndexStmt* index = statement->index_stmt; index != nullptr) {
        merge(out,
              lock_of(relation_name(index->relation),
                      index->relation != nullptr ? index->relation->location : -1,
                      entry(index->concurrent ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX")));
      }
      break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
      if (statement->drop_stmt != nullptr) {
        drop(*statement->drop_stmt, out);
      }
      break;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      if (statement->rename_stmt != nullptr) {
        rename(*statement->rename_stmt, out);
      }
      break;
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
      if (const PgQuery__AlterObjectSchemaStmt* move = statement->alter_object_schema_stmt;
          move != nullptr && move->relation != nullptr) {
        merge(out, lock_of(relation_name(move->relation), move->relation->location,
                           entry("ALTER TABLE / VIEW / SEQUENCE ... SET SCHEMA")));
      }
      break;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      if (statement->truncate_stmt != nullptr) {
        relations(statement->truncate_stmt->relations, statement->truncate_stmt->n_relations,
                  entry("TRUNCATE"), out);
      }
      break;
    case PG_QUERY__NODE__NODE_LOCK_STMT:
      if (statement->lock_stmt != nullptr) {
        lock_table(*statement->lock_stmt, out);
      }
      break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
      if (const PgQuery__VacuumStmt* vacuum = statement->vacuum_stmt; vacuum != nullptr) {
        const bool full = vacuum->is_vacuumcmd &&
                          sql::has_true_option(vacuum->n_options, vacuum->options, "full");
        const LockEntry& form = entry(full ? "VACUUM FULL" : "VACUUM / ANALYZE");
        for (const PgQuery__Node* node : std::span(vacuum->rels, vacuum->n_rels)) {
          if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION &&
              node->vacuum_relation != nullptr && node->vacuum_relation->relation != nullptr) {
            merge(out, lock_of(relation_name(node->vacuum_relation->relation),
                               node->vacuum_relation->relation->location, form));
          }
        }
      }
      break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
      if (const PgQuery__ClusterStmt* cluster = statement->cluster_stmt;
          cluster != nullptr && cluster->relation != nullptr) {
        merge(out, lock_of(relation_name(cluster->relation), cluster->relation->location,
                           entry("CLUSTER")));
      }
      break;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
      if (const PgQuery__ReindexStmt* reindex = statement->reindex_stmt;
          reindex != nullptr && reindex->relation != nullptr) {
        const bool concurrent =
            sql::has_true_option(reindex->n_params, reindex->params, "concurrently");
        merge(out, lock_of(relation_name(reindex->relation), reindex->relation->location,
                           entry(concurrent ? "REINDEX CONCURRENTLY" : "REINDEX")));
      }
      break;
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
      if (const PgQuery__RefreshMatViewStmt* refresh = statement->refresh_mat_view_stmt;
          refresh != nullptr && refresh->relation != nullptr) {
        merge(out, lock_of(relation_name(refresh->relation), refresh->relation->location,
                           entry(refresh->concurrent ? "REFRESH MATERIALIZED VIEW CONCURRENTLY"
                                                     : "REFRESH MATERIALIZED VIEW")));
      }
      break;
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
      if (const PgQuery__CreateTrigStmt* trigger = statement->create_trig_stmt;
          trigger != nullptr && trigger->relation != nullptr) {
        merge(out, lock_of(relation_name(trigger->relation), trigger->relation->location,
                           entry("CREATE TRIGGER")));
      }
      break;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      if (statement->create_stmt != nullptr) {
        create_table(*statement->create_stmt, out);
      }
      break;
    case PG_QUERY__NODE__NODE_VIEW_STMT:
      if (const PgQuery__ViewStmt* view = statement->view_stmt;
          view != nullptr && view->replace && view->view != nullptr) {
        TableLock lock = lock_of(relation_name(view->view), view->view->location,
                                 entry("CREATE [OR REPLACE] VIEW"));
        lock.syntax = "CREATE OR REPLACE VIEW";
        lock.lock = access_exclusive;
        merge(out, std::move(lock));
      }
      break;
    case PG_QUERY__NODE__NODE_RULE_STMT:
      if (const PgQuery__RuleStmt* rule = statement->rule_stmt;
          rule != nullptr && rule->relation != nullptr) {
        merge(out, lock_of(relation_name(rule->relation), rule->relation->location,
                           entry("CREATE RULE")));
      }
      break;
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
      if (const PgQuery__CreatePolicyStmt* policy = statement->create_policy_stmt;
          policy != nullptr && policy->table != nullptr) {
        merge(out, lock_of(relation_name(policy->table), policy->table->location,
                           entry("CREATE POLICY")));
      }
      break;
    case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
      if (const PgQuery__AlterPolicyStmt* policy = statement->alter_policy_stmt;
          policy != nullptr && policy->table != nullptr) {
        merge(out, lock_of(relation_name(policy->table), policy->table->location,
                           entry("ALTER POLICY")));
      }
      break;
    default:
      // The other rows lock no table lint can name, or only weakly (COMMENT, CREATE STATISTICS).
      break;
  }
  return out;
}

}  // namespace retort::lint
