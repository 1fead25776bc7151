// PG106 constraint-validates-under-lock: ADD FOREIGN KEY or CHECK without NOT VALID checks
// every row while the lock is held: a CHECK under ALTER TABLE's ACCESS EXCLUSIVE lock (reads
// and writes wait), a foreign key under SHARE ROW EXCLUSIVE on both tables (their writes wait).
// NOT VALID adds the constraint for new rows at once; VALIDATE CONSTRAINT later checks the old
// ones under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on. ALTER DOMAIN ... ADD
// CONSTRAINT checks every column of the domain the same way. ADD COLUMN ... REFERENCES is not
// reported: the new column is all NULL, so there is nothing to check. A table created earlier
// in the migration is not reported. On a table the schema says is partitioned, PostgreSQL
// before 18 refuses a NOT VALID foreign key: NOT VALID there is an error of its own, and the
// fix goes through the partitions.
#include "lint/rules/rules.hpp"
#include "lint/schema_facts.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

namespace retort::lint {
namespace {

std::string constraint_name(const PgQuery__Constraint& constraint, const std::string& table,
                            bool foreign) {
  if (constraint.conname != nullptr && constraint.conname[0] != '\0') {
    return constraint.conname;
  }
  std::string name = unqualified(table);
  if (foreign && constraint.n_fk_attrs > 0) {
    name += "_" + std::string(string_of(constraint.fk_attrs[0]));
  }
  return name + (foreign ? "_fkey" : "_check");
}

// The partitions of a partitioned table, as the schema knows them (quoted, qualified).
std::vector<std::string> partitions_of(const schema::Schema& schema, const schema::Table& table) {
  std::vector<std::string> out;
  for (const auto& [key, each] : schema.tables) {
    if (!each.partition_of.empty() && each.partition_of == table.ident) {
      out.push_back(each.ident);
    }
  }
  return out;
}

// The fix for a foreign key on a partitioned table before PostgreSQL 18: NOT VALID and
// VALIDATE on each partition, where both work, then the parent's constraint, which takes the
// partitions' validated ones as its own instead of checking their rows again.
std::string partitioned_foreign_key_fix(const Pass& pass, const schema::Table& known,
                                        const std::string& table, const std::string& name,
                                        const std::string& definition) {
  std::vector<std::string> partitions = partitions_of(*pass.schema(), known);
  std::string steps;
  if (partitions.empty()) {
    partitions.emplace_back("<each partition>");
  }
  for (const std::string& partition : partitions) {
    steps += fmt::format(
        "\n    ALTER TABLE {0} ADD CONSTRAINT {1} {2} NOT VALID;"
        "\n    ALTER TABLE {0} VALIDATE CONSTRAINT {1};",
        partition, quote_identifier(name), definition);
  }
  return fmt::format(
      "PostgreSQL {} cannot add a NOT VALID foreign key to a partitioned table: add it NOT "
      "VALID to each partition and validate it there (one migration each keeps the locks "
      "short), then add it to {} itself, which attaches the partitions' validated constraints "
      "without checking their rows again:{}\n    ALTER TABLE {} ADD CONSTRAINT {} {};",
      pass.server_version(), table, steps, quote_qualified(table), quote_identifier(name),
      definition);
}

void check_table(const Pass& pass, const Stmt& stmt, Report& report) {
  const std::string table = relation_name(stmt.node->alter_table_stmt->relation);
  if (table.empty() || pass.is_new(table, stmt.index)) {
    return;
  }
  const schema::Table* known =
      pass.schema() != nullptr ? find_table(*pass.schema(), table) : nullptr;
  // PostgreSQL 18 added NOT VALID foreign keys on partitioned tables.
  const bool partitioned = known != nullptr && known->partitioned && pass.server_version() < 18;
  for (const PgQuery__AlterTableCmd* command : alter_commands(stmt.node->alter_table_stmt)) {
    const PgQuery__Constraint* constraint = constraint_of(command->def);
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || constraint == nullptr) {
      continue;
    }
    const bool foreign = constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
    if ((!foreign && constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) ||
        (constraint->skip_validation && !(foreign && partitioned))) {
      continue;
    }
    const std::string referenced = foreign ? relation_name(constraint->pktable) : "";
    const std::string name = constraint_name(*constraint, table, foreign);
    const std::string qualified = quote_qualified(table);
    const std::string definition =
        foreign ? fmt::format(
                      "FOREIGN KEY ({}) REFERENCES {}{}",
                      quoted_list(constraint->fk_attrs, constraint->n_fk_attrs),
                      quote_qualified(referenced),
                      constraint->n_pk_attrs == 0
                          ? std::string()
                          : " (" + quoted_list(constraint->pk_attrs, constraint->n_pk_attrs) + ")")
                : "CHECK (...)";
    const bool unnamed = constraint->conname == nullptr || constraint->conname[0] == '\0';
    if (foreign && partitioned) {
      const std::string fix = partitioned_foreign_key_fix(pass, *known, table, name, definition);
      if (constraint->skip_validation) {
        report.add(stmt, constraint->location,
                   fmt::format("ADD FOREIGN KEY ... NOT VALID on {}, a partitioned table, fails "
                               "on PostgreSQL {}",
                               table, pass.server_version()),
                   "PostgreSQL before 18 refuses NOT VALID for a foreign key of a partitioned "
                   "table (\"cannot add NOT VALID foreign key on partitioned table\"): the "
                   "migration stops there",
                   fix);
      } else {
        report.add(stmt, constraint->location,
                   fmt::format("ADD FOREIGN KEY on {}, a partitioned table, checks every row of "
                               "every partition while writes to {} and {} wait",
                               table, table, referenced),
                   fmt::format("the foreign key is validated at once, under a SHARE ROW "
                               "EXCLUSIVE lock on every partition of {} and on {}; NOT VALID, "
                               "the usual way out, is refused on a partitioned table before "
                               "PostgreSQL 18",
                               table, referenced),
                   fix);
      }
      continue;
    }
    report.add(
        stmt, constraint->location,
        foreign
            ? fmt::format("ADD FOREIGN KEY on {} checks every row while writes to {} and {} "
                          "wait",
                          table, table, referenced)
            : fmt::format("ADD CHECK on {} checks every row while reads and writes wait", table),
        foreign ? fmt::format("the foreign key is validated at once, under a SHARE ROW EXCLUSIVE "
                              "lock on {} and on {}: their INSERT, UPDATE and DELETE wait for the "
                              "whole scan",
                              table, referenced)
                : fmt::format("the CHECK is validated at once, under ALTER TABLE's ACCESS "
                              "EXCLUSIVE lock on {}: every query of it waits for the whole scan",
                              table),
        fmt::format("add it NOT VALID (new rows are checked at once), and validate the old rows "
                    "in the next migration, which lets reads and writes go on:\n"
                    "    ALTER TABLE {0} ADD CONSTRAINT {1} {2} NOT VALID;\n"
                    "    ALTER TABLE {0} VALIDATE CONSTRAINT {1};{3}",
                    qualified, quote_identifier(name), definition,
                    unnamed ? "\nName the constraint: VALIDATE CONSTRAINT needs its name" : ""));
  }
}

// VALIDATE CONSTRAINT takes only SHARE UPDATE EXCLUSIVE, but in the transaction of an earlier
// ALTER TABLE of the same table that lock is already ACCESS EXCLUSIVE, held until COMMIT.
void check_validate(const Pass& pass, const Stmt& stmt, Report& report) {
  if (!pass.transactional()) {
    return;
  }
  const std::string table = relation_name(stmt.node->alter_table_stmt->relation);
  for (const PgQuery__AlterTableCmd* command : alter_commands(stmt.node->alter_table_stmt)) {
    if (command->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint ||
        command->name == nullptr) {
      continue;
    }
    for (const Stmt& earlier : pass.statements()) {
      if (earlier.index >= stmt.index) {
        break;
      }
      if (unqualified(schema_change_target(earlier.node)) != unqualified(table) ||
          earlier.node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) {
        continue;
      }
      report.add(stmt, -1,
                 fmt::format("VALIDATE CONSTRAINT {} runs in the transaction of the ALTER TABLE "
                             "{} on line {}",
                             command->name, table, earlier.source->line),
                 fmt::format("the earlier ALTER TABLE holds an ACCESS EXCLUSIVE lock on {} until "
                             "the migration commits, so the validation scans every row with "
                             "reads and writes waiting: NOT VALID bought nothing",
                             table),
                 fmt::format("move the VALIDATE to the next migration, where it takes only SHARE "
                             "UPDATE EXCLUSIVE:\n    ALTER TABLE {} VALIDATE CONSTRAINT {};",
                             quote_qualified(table), quote_identifier(command->name)));
      break;
    }
  }
}

void check_domain(const Stmt& stmt, Report& report) {
  const PgQuery__AlterDomainStmt& alter = *stmt.node->alter_domain_stmt;
  const PgQuery__Constraint* constraint = constraint_of(alter.def);
  if (alter.subtype == nullptr || std::string_view(alter.subtype) != "C" || constraint == nullptr ||
      constraint->skip_validation) {
    return;
  }
  const std::string domain = dotted(alter.type_name, alter.n_type_name);
  report.add(stmt, constraint->location,
             fmt::format("ADD CONSTRAINT on domain {} checks every column of the domain", domain),
             "every value of every column of the domain is checked at once, with the tables "
             "locked against writes",
             fmt::format("add it NOT VALID, then validate it in a later migration:\n"
                         "    ALTER DOMAIN {0} ADD CONSTRAINT ... NOT VALID;\n"
                         "    ALTER DOMAIN {0} VALIDATE CONSTRAINT ...;",
                         quote_qualified(domain)));
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
      stmt.node->alter_table_stmt != nullptr) {
    check_table(pass, stmt, report);
    check_validate(pass, stmt, report);
  } else if (stmt.node->node_case == PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT &&
             stmt.node->alter_domain_stmt != nullptr) {
    check_domain(stmt, report);
  }
}

}  // namespace

const Rule k_constraint_validates_under_lock{
    "PG106",
    "constraint-validates-under-lock",
    Level::error,
    "ADD FOREIGN KEY or CHECK without NOT VALID: every row is checked while writes (and for a "
    "foreign key, the referenced table's writes) wait",
    check,
    Runs::always,
    Weight::rows};

}  // namespace retort::lint
