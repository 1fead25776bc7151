// PG103 add-column-rewrites: ALTER TABLE ... ADD COLUMN on a table that exists, when PostgreSQL
// must compute the new column's value row by row: a volatile DEFAULT (random(),
// clock_timestamp(), gen_random_uuid()), a serial type or an identity column (nextval() per
// row), GENERATED ALWAYS AS (...) STORED, or, before PostgreSQL 11, any DEFAULT that is not
// NULL. The table and its indexes are rewritten under an ACCESS EXCLUSIVE lock: every read and
// write waits for the whole rewrite. Since PostgreSQL 11 a non-volatile default is stored in
// the catalog and the ADD is instant; that is not reported. A table created earlier in the
// migration (or the run) is empty and unused: not reported.
#include "lint/rules/rules.hpp"
#include "lint/statement_facts.hpp"
#include "lint/tree_reading.hpp"

#include <fmt/format.h>

#include <array>

namespace retort::lint {
namespace {

enum class Cause { volatile_default, old_server_default, serial, identity, generated };

const PgQuery__Constraint* find_constraint(const PgQuery__ColumnDef& column,
                                           PgQuery__ConstrType type) {
  for (const PgQuery__Constraint* constraint : column_constraints(&column)) {
    if (constraint->contype == type) {
      return constraint;
    }
  }
  return nullptr;
}

bool is_null_constant(const PgQuery__Node* expr) {
  return expr != nullptr && expr->node_case == PG_QUERY__NODE__NODE_A_CONST &&
         expr->a_const != nullptr && expr->a_const->isnull;
}

// The text of the expression a constraint (DEFAULT, GENERATED ... AS) introduces with
// `keyword`, up to the column's next constraint or COLLATE.
std::string expression_text(std::string_view sql, const PgQuery__ColumnDef& column,
                            const PgQuery__Constraint& constraint, std::string_view keyword) {
  if (constraint.location < 0) {
    return {};
  }
  const auto at = static_cast<std::size_t>(constraint.location);
  std::size_t limit = std::string_view::npos;
  for (const PgQuery__Constraint* other : column_constraints(&column)) {
    if (other->location > constraint.location) {
      limit = std::min(limit, static_cast<std::size_t>(other->location));
    }
  }
  if (column.coll_clause != nullptr && column.coll_clause->location > constraint.location) {
    limit = std::min(limit, static_cast<std::size_t>(column.coll_clause->location));
  }
  const std::size_t start = after_word(sql, at, keyword);
  if (start == std::string_view::npos || start > limit) {
    return {};
  }
  std::string text = clause_text(sql, start, limit);
  if (keyword == "as" && text.size() >= 2 && text.front() == '(') {
    // GENERATED ALWAYS AS (expr) STORED: the expression is inside the parentheses.
    const std::size_t close = clause_end(text, 1);
    text = clause_text(text.substr(0, close), 1);
  }
  return text;
}

// The batched backfill every fix ends with, as PG302 writes it: a `transaction false` migration,
// one UPDATE per key range, so that no statement holds many row locks or one long transaction.
std::string backfill(const std::string& table, const std::string& column, const std::string& value,
                     const std::string& pending) {
  return fmt::format(
      "then fill the existing rows by key range in a `-- retort:transaction false` migration: "
      "one statement per range, each committed on its own, with a pause between them; the "
      "ledger records each, so a stopped run resumes at the next range (one UPDATE of the whole "
      "table is what PG302 reports; id stands for the table's key):\n"
      "    UPDATE {0} SET {1} = {2} WHERE id >= 1 AND id < 10001 AND {3};\n"
      "    SELECT pg_sleep(1);\n"
      "    UPDATE {0} SET {1} = {2} WHERE id >= 10001 AND id < 20001 AND {3};",
      table, column, value, pending);
}

void check(const Pass& pass, const Stmt& stmt, Report& report) {
  if (stmt.node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
      stmt.node->alter_table_stmt == nullptr) {
    return;
  }
  const PgQuery__AlterTableStmt& alter = *stmt.node->alter_table_stmt;
  const std::string table = relation_name(alter.relation);
  if (alter.objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || table.empty() ||
      pass.is_new(table, stmt.index)) {
    return;
  }
  const std::string_view sql = stmt.source->sql;
  const std::string t = quote_qualified(table);
  for (const PgQuery__AlterTableCmd* cmd : alter_commands(&alter)) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || cmd->def == nullptr ||
        cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF || cmd->def->column_def == nullptr) {
      continue;
    }
    const PgQuery__ColumnDef& column = *cmd->def->column_def;
    if (column.colname == nullptr || column.type_name == nullptr) {
      continue;
    }
    const std::string name = column.colname;
    const std::string c = quote_identifier(name);
    const std::string type = type_display(column.type_name);
    const std::string_view serial =
        is_array(column.type_name) ? std::string_view() : serial_base(type_name(column.type_name));
    const PgQuery__Constraint* identity =
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY);
    const PgQuery__Constraint* generated =
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED);
    const PgQuery__Constraint* default_constraint =
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
    const PgQuery__Node* default_expr = column_default(&column);

    Cause cause{};
    int location = column.location;
    if (!serial.empty()) {
      cause = Cause::serial;
      location = column.type_name->location;
    } else if (identity != nullptr) {
      cause = Cause::identity;
      location = identity->location;
    } else if (generated != nullptr) {
      cause = Cause::generated;
      location = generated->location;
    } else if (default_expr != nullptr && is_volatile(default_expr)) {
      cause = Cause::volatile_default;
    } else if (default_expr != nullptr && !is_null_constant(default_expr) &&
               pass.server_version() < 11) {
      cause = Cause::old_server_default;
    } else {
      continue;
    }
    if ((cause == Cause::volatile_default || cause == Cause::old_server_default) &&
        default_constraint != nullptr) {
      location = default_constraint->location;
    }

    // serial and identity columns are NOT NULL too.
    const bool not_null =
        cause == Cause::serial || cause == Cause::identity || column.is_not_null ||
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) != nullptr ||
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) != nullptr;
    std::vector<std::string> later;  // the column's constraints, each the way it goes on safely
    if (not_null) {
      later.emplace_back("NOT NULL through a validated CHECK (PG105)");
    }
    if (find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) != nullptr ||
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) != nullptr) {
      later.emplace_back("CHECK and REFERENCES as NOT VALID, then VALIDATE (PG106)");
    }
    if (find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) != nullptr ||
        find_constraint(column, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) != nullptr) {
      later.emplace_back("UNIQUE or PRIMARY KEY through an index built CONCURRENTLY (PG107)");
    }

    std::string message;
    const auto rewrite_why = [&table](std::string_view what) {
      return fmt::format(
          "{0}: PostgreSQL rewrites {1} and rebuilds its indexes while holding an ACCESS "
          "EXCLUSIVE lock, so every read and write of {1} waits for the whole rewrite (minutes to "
          "hours on a large table), and the rewrite needs disk for a second copy of the table",
          what, table);
    };
    std::string why;
    std::string fix;
    const std::string unqualified_table(unqualified(table));
    if (cause == Cause::volatile_default || cause == Cause::old_server_default) {
      const std::string value = default_constraint != nullptr
                                    ? expression_text(sql, column, *default_constraint, "default")
                                    : std::string();
      const std::string shown = value.empty() ? std::string("<the default>") : value;
      if (cause == Cause::volatile_default) {
        message = fmt::format(
            "ADD COLUMN {} to {}, a table that exists, with the volatile default {} rewrites the "
            "table",
            name, table, shown);
        why = rewrite_why("a volatile default is computed anew for each existing row");
      } else {
        message = fmt::format(
            "ADD COLUMN {} to {}, a table that exists, with DEFAULT {} rewrites the table on "
            "PostgreSQL {}",
            name, table, shown, pass.server_version());
        why =
            "before PostgreSQL 11, ADD COLUMN with a DEFAULT other than NULL writes it into every "
            "row: " +
            why;
      }
      fix = fmt::format(
          "add the column without a default (a change of the catalog only), then give new rows "
          "the default (SET DEFAULT does not touch existing rows):\n"
          "    ALTER TABLE {0} ADD COLUMN {1} {2};\n"
          "    ALTER TABLE {0} ALTER COLUMN {1} SET DEFAULT {3};\n",
          t, c, type, shown);
      fix += backfill(t, c, shown, c + " IS NULL");
    } else if (cause == Cause::serial || cause == Cause::identity) {
      const std::string base = cause == Cause::serial ? std::string(serial) : type;
      const std::string sequence =
          (table.find('.') == std::string::npos
               ? std::string()
               : quote_qualified(table.substr(0, table.rfind('.'))) + ".") +
          quote_identifier(unqualified_table + "_" + name + "_seq");
      std::string literal;
      for (const char ch : sequence) {
        literal += ch == '\'' ? std::string("''") : std::string(1, ch);
      }
      const std::string next = fmt::format("nextval('{}')", literal);
      message = cause == Cause::serial
                    ? fmt::format(
                          "ADD COLUMN {} {} to {}, a table that exists, rewrites the table to "
                          "number every row",
                          name, type_name(column.type_name), table)
                    : fmt::format(
                          "ADD COLUMN {} ... GENERATED AS IDENTITY to {}, a table that exists, "
                          "rewrites the table to number every row",
                          name, table);
      why = rewrite_why("each existing row takes its own nextval() of the column's sequence");
      fix = fmt::format(
          "create the sequence and add the column without a default, then number new rows from "
          "the sequence:\n"
          "    CREATE SEQUENCE {0} AS {1};\n"
          "    ALTER TABLE {2} ADD COLUMN {3} {1};\n"
          "    ALTER SEQUENCE {0} OWNED BY {2}.{3};\n"
          "    ALTER TABLE {2} ALTER COLUMN {3} SET DEFAULT {4};\n",
          sequence, base, t, c, next);
      fix += backfill(t, c, next, c + " IS NULL");
    } else {
      const std::string expression = expression_text(sql, column, *generated, "as");
      const std::string shown = expression.empty() ? std::string("<the expression>") : expression;
      message = fmt::format(
          "ADD COLUMN {} ... GENERATED ALWAYS AS ({}) STORED to {}, a table that exists, rewrites "
          "the table to compute it for every row",
          name, shown, table);
      why = rewrite_why("a stored generated column is computed and written for each existing row");
      const std::string function = quote_identifier(unqualified_table + "_" + name + "_compute");
      fix = fmt::format(
          "add a plain column, computed for new and changed rows by a trigger:\n"
          "    ALTER TABLE {0} ADD COLUMN {1} {2};\n"
          "    CREATE FUNCTION {3}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
          "    BEGIN\n"
          "        NEW.{1} := {4};  -- each column written NEW.column\n"
          "        RETURN NEW;\n"
          "    END $$;\n"
          "    CREATE TRIGGER {3} BEFORE INSERT OR UPDATE ON {0}\n"
          "        FOR EACH ROW EXECUTE FUNCTION {3}();\n",
          t, c, type, function, shown);
      fix += backfill(t, c, shown, fmt::format("{} IS DISTINCT FROM ({})", c, shown));
    }
    for (std::size_t later_idx = 0; later_idx < later.size(); ++later_idx) {
      fix += (later_idx == 0 ? "\nthen add its constraints without a long lock: " : "; ") +
             later[later_idx];
    }
    if (cause == Cause::identity) {
      fix +=
          "\nonce every row has its number and the column is NOT NULL, it can become an "
          "identity column without a rewrite: DROP DEFAULT, then ADD GENERATED BY DEFAULT AS "
          "IDENTITY (START WITH a value past the largest one), and drop the sequence";
    }
    report.add(stmt, location, std::move(message), std::move(why), std::move(fix));
  }
}

}  // namespace

const Rule k_add_column_rewrites{
    "PG103",
    "add-column-rewrites",
    Level::error,
    "ADD COLUMN whose default is volatile (or any default before PostgreSQL 11), GENERATED STORED, "
    "serial or identity: the table is rewritten under an exclusive lock",
    check,
    Runs::always,
    Weight::rows};

}  // namespace retort::lint
