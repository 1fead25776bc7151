// The lint pass: splits each migration's upgrade section, parses every statement once, runs
// every rule over every statement with the migration's context, then applies the file's
// lint-ignores (suppress.cpp).
#include "lint/analyzer.hpp"

#include "base/text.hpp"
#include "lint/locks.hpp"
#include "lint/schema_facts.hpp"
#include "lint/suppress.hpp"
#include "lint/tree_reading.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <tuple>
#include <utility>

namespace retort::lint {
namespace {

// The table a statement creates, qualified as written; empty when it creates none.
std::string created_table(const PgQuery__Node* node) {
  if (node == nullptr) {
    return {};
  }
  switch (node->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      return node->create_stmt ? relation_name(node->create_stmt->relation) : std::string();
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      return node->create_table_as_stmt && node->create_table_as_stmt->into
                 ? relation_name(node->create_table_as_stmt->into->rel)
                 : std::string();
    case PG_QUERY__NODE__NODE_SELECT_STMT:
      return node->select_stmt && node->select_stmt->into_clause
                 ? relation_name(node->select_stmt->into_clause->rel)
                 : std::string();
    default:
      return {};
  }
}

// A PostgreSQL duration setting's value: a bare number is milliseconds.
std::optional<base::Millis> setting_millis(std::string_view text) {
  text = base::trim(text);
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc()) {
    return std::nullopt;
  }
  std::string unit(base::trim(text.substr(static_cast<std::size_t>(end - text.data()))));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  double factor = 1;
  if (unit == "us") {
    factor = 0.001;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "min") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit == "d") {
    factor = 86'400'000;
  } else if (!unit.empty() && unit != "ms") {
    return std::nullopt;
  }
  return base::Millis(static_cast<base::Millis::rep>(number * factor));
}

// Characters (not bytes) from the start of the line holding byte `offset` of `text`.
int column_of(std::string_view text, std::size_t offset) {
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t from = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  int column = 1;
  for (std::size_t at = from; at < offset && at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0U) != 0x80U) {
      ++column;
    }
  }
  return column;
}

// The lock_timeout a SET or RESET of it leaves in force; nullopt for any other statement.
std::optional<base::Millis> lock_timeout_set(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_VARIABLE_SET_STMT ||
      node->variable_set_stmt == nullptr || node->variable_set_stmt->name == nullptr ||
      std::string_view(node->variable_set_stmt->name) != "lock_timeout") {
    return std::nullopt;
  }
  const PgQuery__VariableSetStmt& set = *node->variable_set_stmt;
  if (set.kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE && set.n_args > 0) {
    const std::optional<std::string> value = constant_text(set.args[0]);
    return value ? setting_millis(*value).value_or(base::Millis(0)) : base::Millis(0);
  }
  // RESET and DEFAULT return to the server's default, which retort does not know: often 0.
  return base::Millis(0);
}

// The tables whose rows make `statement` long: those it rewrites or scans (qualified as
// written). None: what the rule reports is not a matter of rows (a NOT VALID foreign key a
// partitioned table refuses), and the rows weigh nothing.
std::vector<std::string> weighed_tables(const PgQuery__Node* statement) {
  std::vector<std::string> out;
  for (const TableLock& lock : table_locks(statement)) {
    if ((lock.rewrites || lock.scans) &&
        std::find(out.begin(), out.end(), lock.table) == out.end()) {
      out.push_back(lock.table);
    }
  }
  return out;
}

// Lowers the findings from `first` on of rules that weigh rows, when the schema read from the
// database shows every table the statement rewrites or scans empty (a note) or small (at most a
// warning), and names the evidence in each. Not without a lock_timeout: then the wait for the
// lock, not the rows, is the danger, and every query of the table queues behind it.
void weigh_by_rows(const Pass& pass, const schema::Schema& schema, const Stmt& stmt,
                   std::vector<Finding>& found, std::size_t first) {
  if (pass.lock_timeout_at(stmt.index).count() == 0) {
    return;
  }
  std::optional<std::vector<std::string>> tables;  // read once, when a finding asks
  for (std::size_t at = first; at < found.size(); ++at) {
    Finding& finding = found[at];
    const Rule* rule = find_rule(finding.code);
    if (rule == nullptr || rule->weight != Weight::rows || finding.level == Level::note) {
      continue;
    }
    if (!tables) {
      tables = weighed_tables(stmt.node);
    }
    if (tables->empty()) {
      return;
    }
    bool empty = true;
    std::string evidence;
    for (const std::string& name : *tables) {
      const schema::Table* table = find_table(schema, name);
      const std::optional<RowEvidence> rows =
          table != nullptr ? row_evidence(*table) : std::nullopt;
      if (!rows) {
        return;  // one table of unknown size keeps the statement's weight
      }
      empty = empty && rows->empty;
      evidence += (evidence.empty() ? "" : "; ") + rows->evidence;
    }
    const Level at_most = empty ? Level::note : Level::warning;
    if (finding.level > at_most) {
      finding.level = at_most;
      finding.evidence = evidence;
    }
  }
}

}  // namespace

Pass::Pass(const script::Migration& migration, std::span<const Stmt> statements,
           const Context& context, std::vector<std::string> new_tables,
           const schema::Schema* schema)
    : m_migration(migration),
      m_statements(statements),
      m_context(context),
      m_new_before(std::move(new_tables)),
      m_schema(schema) {
  for (const Stmt& stmt : m_statements) {
    if (std::string created = created_table(stmt.node); !created.empty()) {
      m_created.emplace_back(stmt.index, std::move(created));
    }
    if (const std::optional<base::Millis> set = lock_timeout_set(stmt.node)) {
      m_lock_timeouts.emplace_back(stmt.index, *set);
    }
  }
}

bool Pass::is_new(std::string_view table, std::size_t index) const {
  const auto matches = [&](std::string_view known) { return same_relation(known, table); };
  if (std::any_of(m_new_before.begin(), m_new_before.end(), matches)) {
    return true;
  }
  return std::any_of(m_created.begin(), m_created.end(), [&](const auto& created) {
    return created.first < index && matches(created.second);
  });
}

base::Millis Pass::lock_timeout_at(std::size_t index) const {
  base::Millis in_force = m_migration.lock_timeout.value_or(m_context.lock_timeout);
  for (const auto& [set_index, value] : m_lock_timeouts) {
    if (set_index >= index) {
      break;
    }
    in_force = value;
  }
  return in_force;
}

void Report::add(const Stmt& stmt, int location, std::string message, std::string why,
                 std::string fix) {
  add(stmt, location, m_rule->level, std::move(message), std::move(why), std::move(fix));
}

void Report::add(const Stmt& stmt, int location, Level level, std::string message, std::string why,
                 std::string fix) {
  const script::Statement& source = *stmt.source;
  const script::Section& section = m_migration.upgrade;
  const std::size_t within = location < 0 || static_cast<std::size_t>(location) > source.sql.size()
                                 ? 0
                                 : static_cast<std::size_t>(location);
  const std::size_t in_section = source.offset - section.offset + within;
  Finding finding;
  finding.code = std::string(m_rule->code);
  finding.name = std::string(m_rule->name);
  finding.level = level;
  finding.revision = m_migration.revision;
  finding.file = m_migration.display_path;
  finding.path = m_migration.path;
  // From the statement's own line: counting the section's lines up to each finding made a
  // migration of 100,000 statements quadratic.
  finding.line = source.line + base::line_of_offset(source.sql, within) - 1;
  finding.column = column_of(section.text, in_section);
  finding.statement = source.sql;
  finding.message = std::move(message);
  finding.why = std::move(why);
  finding.fix = std::move(fix);
  m_out.push_back(std::move(finding));
}

int server_major(std::string_view version) {
  const std::size_t digit = version.find_first_of("0123456789");
  int major = 0;
  if (digit != std::string_view::npos) {
    std::from_chars(version.data() + digit, version.data() + version.size(), major);
  }
  return major > 0 ? major : k_default_server_version;
}

const Rule* find_rule(std::string_view code) {
  for (const Rule* rule : all_rules()) {
    if (rule->code == code) {
      return rule;
    }
  }
  return nullptr;
}

std::size_t Outcome::errors() const {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(),
                    [](const Finding& f) { return f.level == Level::error && f.ignored.empty(); }));
}

Outcome Analyzer::run(std::span<const script::Migration* const> migrations) const {
  Outcome outcome;
  std::vector<std::string> new_tables = m_context.new_tables;
  // The schema each statement runs on: the one given, as the statements before it leave it.
  std::optional<schema::Schema> schema;
  if (m_context.schema != nullptr) {
    schema = *m_context.schema;
  }
  for (const script::Migration* migration : migrations) {
    auto split = script::statements(*migration, script::Which::upgrade, base::Dialect::postgres,
                                    script::Placement::ignore);
    if (!split) {
      outcome.problems.push_back(std::move(split).error());
      continue;
    }
    const std::vector<script::Statement>& sources = split.value();
    std::vector<sql::Tree> trees;
    std::vector<Stmt> stmts;
    trees.reserve(sources.size());
    stmts.reserve(sources.size());
    for (std::size_t stmt_idx = 0; stmt_idx < sources.size(); ++stmt_idx) {
      trees.push_back(sql::parse_tree(sources[stmt_idx].sql));
      const PgQuery__ParseResult* tree = trees.back().get();
      const PgQuery__Node* node = tree != nullptr && tree->n_stmts > 0 && tree->stmts[0] != nullptr
                                      ? tree->stmts[0]->stmt
                                      : nullptr;
      stmts.push_back(Stmt{&sources[stmt_idx], node, stmt_idx});
    }
    outcome.statements += stmts.size();

    std::vector<Finding> found;
    Report report(*migration, found);
    const Pass pass(*migration, stmts, m_context, new_tables, schema ? &*schema : nullptr);
    for (const Stmt& stmt : stmts) {
      if (stmt.node == nullptr) {
        continue;
      }
      const std::size_t before = found.size();
      for (const Rule* rule : all_rules()) {
        if (rule->runs == Runs::always) {
          report.m_rule = rule;
          rule->check(pass, stmt, report);
        }
      }
      // A statement one rule reported is said once; the rules that judge what is left see the
      // rest.
      for (const Rule* rule : all_rules()) {
        if (rule->runs == Runs::when_unreported && found.size() == before) {
          report.m_rule = rule;
          rule->check(pass, stmt, report);
        }
      }
      if (schema) {
        weigh_by_rows(pass, *schema, stmt, found, before);
        advance(*schema, stmt.node);
      }
    }
    std::stable_sort(found.begin(), found.end(), [](const Finding& a, const Finding& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    apply_ignores(*migration, found, outcome);
    for (Finding& finding : found) {
      outcome.findings.push_back(std::move(finding));
    }
    if (m_context.one_run) {
      for (const Stmt& stmt : stmts) {
        if (std::string created = created_table(stmt.node); !created.empty()) {
          new_tables.push_back(std::move(created));
        }
      }
    }
  }
  return outcome;
}

}  // namespace retort::lint
