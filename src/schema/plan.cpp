// PostgreSQL's planner: the steps that turn one schema model into another, ordered by the
// objects' dependencies, in their online form where a table exists before the revision.
//
// The plan runs in tiers: first what depends on something that goes away or is rebuilt
// (policies, triggers, views, constraints, indexes, functions) is dropped, dependants first;
// then tables and columns are dropped; types and sequences created; tables created and
// altered; what is no longer declared among types, sequences, extensions and schemas dropped;
// then functions, defaults, constraints, indexes, views, triggers, policies and comments
// created, what they need first. Undoing the steps in reverse order walks the same tiers back.
#include "schema/plan.hpp"

#include "base/identifier.hpp"
#include "retort/error.hpp"
#include "schema/diff.hpp"
#include "schema/dump.hpp"
#include "sql/volatility.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace retort::schema {

namespace {

using Strings = std::vector<std::string>;

std::string literal(std::string_view text) { return base::quote_literal(text); }

// Whether `word` appears in `text` as a whole identifier: a view names the tables it reads
// only in its text, a trigger its function.
bool mentions(const std::string& text, const std::string& word) {
  if (word.empty()) {
    return false;
  }
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !is_word(text[at - 1]);
    const std::size_t end = at + word.size();
    const bool ends = end >= text.size() || !is_word(text[end]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

// The statements of a piece of the dump, one per element: the dump ends each with ";\n".
Strings statements(const std::string& sql) {
  Strings out;
  std::size_t start = 0;
  while (start < sql.size()) {
    std::size_t end = sql.find(";\n", start);
    // A function's body holds ";\n" of its own: a dump piece of a function is one statement.
    if (sql.compare(start, 26, "CREATE OR REPLACE FUNCTION") == 0 ||
        sql.compare(start, 27, "CREATE OR REPLACE PROCEDURE") == 0) {
      end = sql.rfind(";\n");
    }
    if (end == std::string::npos) {
      out.push_back(sql.substr(start));
      break;
    }
    std::string statement = sql.substr(start, end + 1 - start);
    if (!statement.starts_with("--")) {
      out.push_back(std::move(statement));
    } else {
      // The dump's remark on an invalid index: the statement follows it on the next line.
      const std::size_t line = statement.find('\n');
      out.push_back(line == std::string::npos ? statement : statement.substr(line + 1));
    }
    start = end + 2;
  }
  return out;
}

void append(Strings& to, const Strings& more) { to.insert(to.end(), more.begin(), more.end()); }

// The number in "name(12)" or "name(12,3)": what a type allows.
std::optional<std::pair<long, long>> modifiers(const std::string& type, const std::string& base) {
  if (!type.starts_with(base + "(")) {
    return std::nullopt;
  }
  const std::size_t close = type.find(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  const std::string inside = type.substr(base.size() + 1, close - base.size() - 1);
  const std::size_t comma = inside.find(',');
  try {
    return std::pair{std::stol(inside.substr(0, comma)),
                     comma == std::string::npos ? 0L : std::stol(inside.substr(comma + 1))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Whether a column's new type holds every value of its old one: no value can fail to cast or
// lose precision.
bool widens(const std::string& before, const std::string& after) {
  static const Strings k_integers = {"smallint", "integer", "bigint"};
  const auto small = std::find(k_integers.begin(), k_integers.end(), before);
  const auto large = std::find(k_integers.begin(), k_integers.end(), after);
  if (small != k_integers.end() && large != k_integers.end()) {
    return small <= large;
  }
  const std::string varchar = "character varying";
  if (before.starts_with(varchar) && (after == "text" || after == varchar)) {
    return true;
  }
  if (before == "text" && after == varchar) {
    return true;
  }
  if (const auto a = modifiers(before, varchar)) {
    const auto b = modifiers(after, varchar);
    return b && b->first >= a->first;
  }
  if (const auto a = modifiers(before, "numeric")) {
    if (after == "numeric") {
      return true;
    }
    const auto b = modifiers(after, "numeric");
    return b && b->second == a->second && b->first >= a->first;
  }
  for (const std::string zone : {" without time zone", " with time zone"}) {
    for (const std::string base : {"timestamp", "time"}) {
      if (!before.starts_with(base) || !before.ends_with(zone) || !after.starts_with(base) ||
          !after.ends_with(zone)) {
        continue;
      }
      const auto precision = [&](const std::string& type) -> long {
        const auto found = modifiers(type, base);
        return found ? found->first : (type == base + zone ? 6 : -1);
      };
      const long a = precision(before);
      const long b = precision(after);
      return a >= 0 && b >= a;
    }
  }
  return false;
}

// The sequence options of an identity as ALTER COLUMN takes them: "SET START WITH 1 SET ...".
std::string identity_set(const std::string& options) {
  std::string out;
  std::string previous;
  std::size_t start = 0;
  while (start < options.size()) {
    std::size_t end = options.find(' ', start);
    if (end == std::string::npos) {
      end = options.size();
    }
    const std::string word = options.substr(start, end - start);
    const bool opens = word == "START" || word == "INCREMENT" || word == "MINVALUE" ||
                       word == "MAXVALUE" || word == "CACHE" || word == "NO" ||
                       (word == "CYCLE" && previous != "NO");
    out += std::string(out.empty() ? "" : " ") + (opens ? "SET " : "") + word;
    previous = word;
    start = end + 1;
  }
  return out;
}

// "a=1, b=2" -> {"a", "b"}.
Strings option_names(const std::string& options) {
  Strings names;
  std::size_t start = 0;
  while (start < options.size()) {
    std::size_t end = options.find(", ", start);
    if (end == std::string::npos) {
      end = options.size();
    }
    const std::string option = options.substr(start, end - start);
    names.push_back(option.substr(0, option.find('=')));
    start = end + 2;
  }
  return names;
}

// The first line of a definition, and the second: a function's signature and its RETURNS.
std::string head_lines(const std::string& definition, int lines) {
  std::size_t at = 0;
  for (int i = 0; i < lines && at != std::string::npos; ++i) {
    at = definition.find('\n', at == 0 ? 0 : at + 1);
  }
  return definition.substr(0, at);
}

constexpr char k_sep = '\x1f';

class Planner {
 public:
  Planner(const Schema& from, const Schema& to, const PlanOptions& options)
      : m_from(from), m_to(to), m_options(options) {}

  Plan run() {
    renames();
    index_pieces(m_from_ref(), m_from_sql);
    index_pieces(m_to, m_to_sql);
    m_diff = diff(m_from_ref(), m_to, DiffOptions{m_options.ignore});
    for (const Change& change : m_diff.changes) {
      const std::string key = change.object + k_sep + change.name;
      if (change.kind == ChangeKind::added) {
        m_added.insert(key);
      } else if (change.kind == ChangeKind::removed) {
        m_removed.insert(key);
      } else {
        m_attrs[key].insert(change.attribute);
      }
    }
    decide();
    drop_dependants();
    drop_tables_and_columns();
    create_types();
    create_and_alter_tables();
    drop_types();
    create_functions();
    set_defaults();
    create_constraints();
    create_indexes(false);
    create_views();
    create_indexes(true);
    create_triggers();
    create_policies();
    comments();
    m_plan.steps = std::move(m_tx);
    append_steps(m_plan.steps, m_online);
    return std::move(m_plan);
  }

 private:
  static void append_steps(std::vector<Step>& to, std::vector<Step>& more) {
    for (Step& step : more) {
      to.push_back(std::move(step));
    }
  }

  // The dump's pieces of a model by kind and name, without comments: the SQL that creates
  // each object.
  static void index_pieces(const Schema& schema, std::map<std::string, std::string>& out) {
    Schema bare = schema;
    bare.comments.clear();
    for (const Piece& piece : dump_pieces(bare)) {
      out[piece.kind + k_sep + piece.name] += piece.sql;
    }
  }
  static Strings piece(const std::map<std::string, std::string>& pieces, const std::string& kind,
                       const std::string& name) {
    const auto found = pieces.find(kind + k_sep + name);
    return found == pieces.end() ? Strings{} : statements(found->second);
  }

  bool added(const std::string& object, const std::string& name) const {
    return m_added.contains(object + k_sep + name);
  }
  bool removed(const std::string& object, const std::string& name) const {
    return m_removed.contains(object + k_sep + name);
  }
  const std::set<std::string>* attrs(const std::string& object, const std::string& name) const {
    const auto found = m_attrs.find(object + k_sep + name);
    return found == m_attrs.end() ? nullptr : &found->second;
  }
  bool changed(const std::string& object, const std::string& name) const {
    return attrs(object, name) != nullptr;
  }

  void step(Phase phase, std::string summary, Strings up, Strings down,
            std::vector<Accepted> accepted = {}) {
    if (up.empty()) {
      return;
    }
    Step s{phase, std::move(summary), std::move(up), std::move(down), std::move(accepted)};
    if (m_all_online || phase == Phase::online) {
      s.phase = Phase::online;
      m_online.push_back(std::move(s));
    } else {
      m_tx.push_back(std::move(s));
    }
  }
  void tx(std::string summary, Strings up, Strings down, std::vector<Accepted> accepted = {}) {
    step(Phase::transactional, std::move(summary), std::move(up), std::move(down),
         std::move(accepted));
  }

  // Records a hazard; returns the reason that goes with the lint finding it raises.
  std::string hazard(const std::string& code, const std::string& object, const std::string& why) {
    Hazard found{code, object, why};
    m_plan.hazards.push_back(found);
    if (!m_options.allow_hazards.contains(code)) {
      m_plan.refused.push_back(std::move(found));
    }
    return code + " allowed with --allow-hazards " + code;
  }

  // ---- renames ----------------------------------------------------------------------------

  // The idents of a table renamed as asked, applied to a copy of `from`, so that what follows
  // plans from the renamed tables and columns; the renames themselves are the first steps.
  void renames() {
    if (m_options.renames.empty()) {
      return;
    }
    m_renamed = m_from;
    for (const auto& [old_name, new_name] : m_options.renames) {
      if (m_renamed.tables.contains(old_name)) {
        if (!m_to.tables.contains(new_name)) {
          throw Error(ExitCode::input, "--rename " + old_name + "=" + new_name + ": no table " +
                                           new_name + " in the declared schema");
        }
        rename_table(old_name, new_name);
        continue;
      }
      rename_column(old_name, new_name);
    }
    m_from_storage = std::move(m_renamed);
    m_from_ptr = &m_from_storage;
  }

  static void replace_all(std::string& text, const std::string& what, const std::string& with) {
    for (std::size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + with.size())) {
      text.replace(at, what.size(), with);
    }
  }

  void rename_table(const std::string& old_key, const std::string& new_key) {
    Table table = m_renamed.tables.at(old_key);
    const Table& target = m_to.tables.at(new_key);
    const std::string old_ident = table.ident;
    const std::string old_quoted = old_ident.substr(old_ident.find('.') + 1);
    const std::string new_quoted = target.ident.substr(target.ident.find('.') + 1);
    const std::string old_schema = old_ident.substr(0, old_ident.find('.'));
    const std::string new_schema = target.ident.substr(0, target.ident.find('.'));
    Strings up;
    Strings down;
    if (old_schema != new_schema) {
      up.push_back("ALTER TABLE " + old_ident + " SET SCHEMA " + new_schema + ";");
    }
    if (old_quoted != new_quoted) {
      up.push_back("ALTER TABLE " + new_schema + "." + old_quoted + " RENAME TO " + new_quoted +
                   ";");
      down.push_back("ALTER TABLE " + target.ident + " RENAME TO " + old_quoted + ";");
    }
    if (old_schema != new_schema) {
      down.push_back("ALTER TABLE " + new_schema + "." + old_quoted + " SET SCHEMA " + old_schema +
                     ";");
    }
    tx("rename table " + old_key + " to " + new_key, up, down,
       {{"PG201", "renamed as --rename " + old_key + "=" + new_key + " asks"}});

    table.schema = target.schema;
    table.name = target.name;
    table.ident = target.ident;
    m_renamed.tables.erase(old_key);
    for (auto& [key, other] : m_renamed.tables) {
      if (other.partition_of == old_ident) {
        other.partition_of = target.ident;
      }
      for (auto& [name, constraint] : other.constraints) {
        replace_all(constraint.definition, "REFERENCES " + old_ident + "(",
                    "REFERENCES " + target.ident + "(");
      }
    }
    m_renamed.tables.emplace(new_key, std::move(table));
    for (auto& [key, index] : m_renamed.indexes) {
      if (index.table_key == old_key) {
        index.table_key = new_key;
        index.table = target.ident;
        replace_all(index.definition, " ON " + old_ident + " ", " ON " + target.ident + " ");
        replace_all(index.definition, " ON ONLY " + old_ident + " ",
                    " ON ONLY " + target.ident + " ");
      }
    }
    std::map<std::string, Trigger> triggers;
    for (auto& [key, trigger] : m_renamed.triggers) {
      if (trigger.table_key == old_key) {
        trigger.table_key = new_key;
        trigger.table = target.ident;
        replace_all(trigger.definition, " ON " + old_ident + " ", " ON " + target.ident + " ");
        triggers.emplace(new_key + "." + trigger.name, trigger);
      } else {
        triggers.emplace(key, trigger);
      }
    }
    m_renamed.triggers = std::move(triggers);
    std::map<std::string, Policy> policies;
    for (auto& [key, policy] : m_renamed.policies) {
      if (policy.table_key == old_key) {
        policy.table_key = new_key;
        policy.table = target.ident;
        policies.emplace(new_key + "." + policy.name, policy);
      } else {
        policies.emplace(key, policy);
      }
    }
    m_renamed.policies = std::move(policies);
    for (auto& [key, sequence] : m_renamed.sequences) {
      if (sequence.owner_table_key == old_key) {
        sequence.owner_table_key = new_key;
        replace_all(sequence.owned_by, old_ident + ".", target.ident + ".");
      }
    }
    std::map<std::string, std::string> comments;
    for (const auto& [target_name, text] : m_renamed.comments) {
      std::string renamed = target_name;
      if (renamed == "TABLE " + old_ident) {
        renamed = "TABLE " + target.ident;
      } else if (renamed.starts_with("COLUMN " + old_ident + ".")) {
        renamed = "COLUMN " + target.ident + renamed.substr(7 + old_ident.size());
      } else if (renamed.ends_with(" ON " + old_ident)) {
        renamed = renamed.substr(0, renamed.size() - old_ident.size()) + target.ident;
      }
      comments.emplace(renamed, text);
    }
    m_renamed.comments = std::move(comments);
  }

  void rename_column(const std::string& asked_old, const std::string& new_name) {
    // A column of a renamed table may be named by the table's old name.
    std::string old_name = asked_old;
    for (const auto& [old_table, new_table] : m_options.renames) {
      if (old_name.starts_with(old_table + ".") && m_to.tables.contains(new_table) &&
          !m_renamed.tables.contains(old_table)) {
        old_name = new_table + old_name.substr(old_table.size());
      }
    }
    // "schema.table.column": the table is the longest key that prefixes it.
    Table* table = nullptr;
    std::string table_key;
    for (auto& [key, candidate] : m_renamed.tables) {
      if (old_name.starts_with(key + ".") && key.size() > table_key.size()) {
        table = &candidate;
        table_key = key;
      }
    }
    const std::string old_column = table == nullptr ? "" : old_name.substr(table_key.size() + 1);
    const auto column = table == nullptr
                            ? std::vector<Column>::iterator{}
                            : std::find_if(table->columns.begin(), table->columns.end(),
                                           [&](const Column& c) { return c.name == old_column; });
    if (table == nullptr || column == table->columns.end()) {
      throw Error(ExitCode::input, "--rename " + asked_old + "=" + new_name +
                                       ": no table or column " + asked_old +
                                       " in the schema the revisions build");
    }
    const auto to_table = m_to.tables.find(table_key);
    if (!new_name.starts_with(table_key + ".") || to_table == m_to.tables.end()) {
      throw Error(ExitCode::input, "--rename " + asked_old + "=" + new_name + ": no column " +
                                       new_name + " in the declared table " + table_key);
    }
    const std::string new_column = new_name.substr(table_key.size() + 1);
    const auto target =
        std::find_if(to_table->second.columns.begin(), to_table->second.columns.end(),
                     [&](const Column& c) { return c.name == new_column; });
    if (target == to_table->second.columns.end()) {
      throw Error(ExitCode::input, "--rename " + asked_old + "=" + new_name + ": no column " +
                                       new_name + " in the declared table " + table_key);
    }
    tx("rename column " + asked_old + " to " + new_name,
       {"ALTER TABLE " + table->ident + " RENAME COLUMN " + column->ident + " TO " + target->ident +
        ";"},
       {"ALTER TABLE " + table->ident + " RENAME COLUMN " + target->ident + " TO " + column->ident +
        ";"},
       {{"PG202", "renamed as --rename " + asked_old + "=" + new_name + " asks"}});
    const std::string old_target = "COLUMN " + table->ident + "." + column->ident;
    const auto comment = m_renamed.comments.find(old_target);
    if (comment != m_renamed.comments.end()) {
      const std::string text = comment->second;
      m_renamed.comments.erase(comment);
      m_renamed.comments["COLUMN " + table->ident + "." + target->ident] = text;
    }
    // The server renames the column in what refers to it on the table.
    for (auto& [name, constraint] : table->constraints) {
      replace_word(constraint.definition, column->ident, target->ident);
    }
    for (auto& [key, index] : m_renamed.indexes) {
      if (index.table_key == table_key) {
        replace_word(index.definition, column->ident, target->ident);
      }
    }
    column->name = target->name;
    column->ident = target->ident;
  }

  // Replaces `word` where it stands as a whole identifier.
  static void replace_word(std::string& text, const std::string& word, const std::string& with) {
    auto is_word = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '"';
    };
    for (std::size_t at = text.find(word); at != std::string::npos;) {
      const std::size_t end = at + word.size();
      if ((at == 0 || !is_word(text[at - 1])) && (end >= text.size() || !is_word(text[end]))) {
        text.replace(at, word.size(), with);
        at = text.find(word, at + with.size());
      } else {
        at = text.find(word, at + 1);
      }
    }
  }

  // ---- what goes and what comes ------------------------------------------------------------

  static const Table* table_by_ident(const Schema& schema, const std::string& ident) {
    for (const auto& [key, table] : schema.tables) {
      if (table.ident == ident) {
        return &table;
      }
    }
    return nullptr;
  }

  // The table a foreign key references: "FOREIGN KEY (a) REFERENCES public.t(id) ...".
  static std::string referenced(const Constraint& constraint) {
    const std::size_t at = constraint.definition.find("REFERENCES ");
    if (constraint.type != 'f' || at == std::string::npos) {
      return {};
    }
    const std::size_t start = at + 11;
    return constraint.definition.substr(start, constraint.definition.find('(', start) - start);
  }

  // A function's name as SQL spells it outside its signature: "public.touch".
  static std::string function_name(const Function& function) {
    return function.ident.substr(0, function.ident.size() - function.arguments.size() - 2);
  }
  static std::string function_comment_target(const Function& function) {
    std::string types;
    for (std::size_t i = 0; i < function.argument_types.size(); ++i) {
      const char c = function.argument_types[i];
      if (!(c == ' ' && i > 0 && function.argument_types[i - 1] == ',')) {
        types += c;
      }
    }
    return std::string(function.procedure ? "PROCEDURE " : "FUNCTION ") + function_name(function) +
           "(" + types + ")";
  }

  // Whether a column of a table, by name, changes in a way that views and policies over it
  // must be rebuilt for: its type, or it goes (generated columns are dropped and added again).
  bool reshaped(const std::string& table_key, const std::string& column) const {
    const std::string name = table_key + "." + column;
    if (removed("column", name) || m_enum_recast_columns.contains(name)) {
      return true;
    }
    const auto* changes = attrs("column", name);
    return changes != nullptr && (changes->contains("type") || changes->contains("collation") ||
                                  changes->contains("generated"));
  }

  void decide() {
    const Schema& from = m_from_ref();
    // Tables: gone when removed or rebuilt (a changed partitioning), with their partitions.
    for (const auto& [key, table] : from.tables) {
      const auto other = m_to.tables.find(key);
      if (other == m_to.tables.end()) {
        if (removed("table", key)) {
          m_gone_tables.insert(key);
        }
        continue;
      }
      if (table.partitioned != other->second.partitioned ||
          table.partition_key != other->second.partition_key) {
        m_gone_tables.insert(key);
        m_new_tables.insert(key);
      }
    }
    for (const auto& [key, table] : m_to.tables) {
      if (!from.tables.contains(key) && added("table", key)) {
        m_new_tables.insert(key);
      }
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [key, table] : from.tables) {
        if (m_gone_tables.contains(key) || table.partition_of.empty()) {
          continue;
        }
        const Table* parent = table_by_ident(from, table.partition_of);
        if (parent != nullptr && m_gone_tables.contains(parent->schema + "." + parent->name)) {
          m_gone_tables.insert(key);
          if (m_to.tables.contains(key)) {
            m_new_tables.insert(key);
          }
          grew = true;
        }
      }
    }

    // Enums that lose a label are rebuilt, their columns cast through text.
    for (const auto& [key, type] : from.enums) {
      const auto other = m_to.enums.find(key);
      if (other == m_to.enums.end()) {
        continue;
      }
      const bool loses = std::any_of(type.labels.begin(), type.labels.end(), [&](const auto& l) {
        return std::find(other->second.labels.begin(), other->second.labels.end(), l) ==
               other->second.labels.end();
      });
      if (type.labels == other->second.labels) {
        continue;
      }
      // A label added cannot be taken off in place: the undo rebuilds the type, which the
      // views over its columns would block, so they are dropped and created again either way.
      if (loses) {
        m_rebuilt_enums.insert(key);
      }
      for (const auto& [table_key, table] : from.tables) {
        if (m_gone_tables.contains(table_key)) {
          continue;
        }
        for (const Column& column : table.columns) {
          if (column.type == type.ident || column.type == type.ident + "[]") {
            m_enum_recast_columns.insert(table_key + "." + column.name);
            if (loses) {
              m_rebuilt_columns.insert(table_key + "." + column.name);
            }
          }
        }
      }
    }

    // Constraints, indexes, triggers, policies by the diff, and all of those of a table that
    // comes or goes as a whole.
    for (const auto& [key, table] : from.tables) {
      for (const auto& [name, constraint] : table.constraints) {
        const std::string qualified = key + "." + name;
        const bool table_gone = m_gone_tables.contains(key);
        // A foreign key of a dropped table goes on its own (before the table it references
        // does); the rest of its constraints go with it.
        if ((table_gone && constraint.type == 'f') ||
            (!table_gone &&
             (removed("constraint", qualified) || changed("constraint", qualified)))) {
          m_gone_constraints.insert(qualified);
        }
      }
    }
    for (const auto& [key, table] : m_to.tables) {
      for (const auto& [name, constraint] : table.constraints) {
        const std::string qualified = key + "." + name;
        if (m_new_tables.contains(key) || added("constraint", qualified) ||
            changed("constraint", qualified)) {
          m_new_constraints.insert(qualified);
        }
      }
    }
    for (const auto& [key, index] : from.indexes) {
      if ((removed("index", key) || changed("index", key)) &&
          !m_gone_tables.contains(index.table_key)) {
        m_gone_indexes.insert(key);
      }
    }
    for (const auto& [key, index] : m_to.indexes) {
      if (added("index", key) || changed("index", key) || m_new_tables.contains(index.table_key)) {
        m_new_indexes.insert(key);
      }
    }
    for (const auto& [key, view] : from.views) {
      const std::string object = view.materialized ? "materialized view" : "view";
      if (changed(object, key) && appends_columns(view, m_to.views.at(key))) {
        m_replaced_views.insert(key);
      } else if (removed(object, key) || changed(object, key)) {
        m_gone_views.insert(key);
      }
    }
    for (const auto& [key, view] : m_to.views) {
      const std::string object = view.materialized ? "materialized view" : "view";
      if (added(object, key) || (changed(object, key) && !m_replaced_views.contains(key))) {
        m_new_views.insert(key);
      }
    }
    for (const auto& [key, function] : from.functions) {
      const std::string object = function.procedure ? "procedure" : "function";
      if (removed(object, key)) {
        m_gone_functions.insert(key);
      } else if (changed(object, key)) {
        const Function& other = m_to.functions.at(key);
        const int lines = function.procedure ? 1 : 2;
        if (head_lines(function.definition, lines) == head_lines(other.definition, lines)) {
          m_replaced_functions.insert(key);
        } else {
          m_gone_functions.insert(key);
          m_new_functions.insert(key);
        }
      }
    }
    for (const auto& [key, function] : m_to.functions) {
      const std::string object = function.procedure ? "procedure" : "function";
      if (added(object, key)) {
        m_new_functions.insert(key);
      }
    }
    for (const auto& [key, trigger] : from.triggers) {
      if (m_gone_tables.contains(trigger.table_key) || removed("trigger", key) ||
          (changed("trigger", key) && attrs("trigger", key)->contains("definition"))) {
        m_gone_triggers.insert(key);
      }
    }
    for (const auto& [key, trigger] : m_to.triggers) {
      if (m_new_tables.contains(trigger.table_key) || added("trigger", key) ||
          (changed("trigger", key) && attrs("trigger", key)->contains("definition"))) {
        m_new_triggers.insert(key);
      }
    }
    for (const auto& [key, policy] : from.policies) {
      if (m_gone_tables.contains(policy.table_key) || removed("policy", key) ||
          changed("policy", key)) {
        m_gone_policies.insert(key);
      }
    }
    for (const auto& [key, policy] : m_to.policies) {
      if (m_new_tables.contains(policy.table_key) || added("policy", key) ||
          changed("policy", key)) {
        m_new_policies.insert(key);
      }
    }
    for (const auto& [key, table] : from.tables) {
      for (const Column& column : table.columns) {
        if (column.default_calls_function && !column.default_expr.empty() &&
            (m_gone_tables.contains(key) || removed("column", key + "." + column.name) ||
             changed("column", key + "." + column.name))) {
          m_gone_defaults.insert(key + k_sep + column.name);
        }
      }
    }
    for (const auto& [key, table] : m_to.tables) {
      for (const Column& column : table.columns) {
        if (column.default_calls_function && !column.default_expr.empty() &&
            (m_new_tables.contains(key) || added("column", key + "." + column.name) ||
             changed("column", key + "." + column.name))) {
          m_new_defaults.insert(key + k_sep + column.name);
        }
      }
    }
    closure();
  }

  // What depends on something dropped or rebuilt is dropped before it and created again
  // after it: views over views and tables, functions reading views, indexes of materialized
  // views, triggers calling functions, foreign keys to rebuilt tables.
  void closure() {
    const Schema& from = m_from_ref();
    auto mark = [&](std::set<std::string>& gone, std::set<std::string>& fresh,
                    const std::string& key, bool in_to) {
      bool grew = gone.insert(key).second;
      if (in_to) {
        grew = fresh.insert(key).second || grew;
      }
      return grew;
    };
    // Tables whose columns change shape under the views and policies that read them.
    std::set<std::string> reshaped_tables = m_gone_tables;
    std::map<std::string, Strings> reshaped_columns;
    for (const auto& [key, table] : from.tables) {
      for (const Column& column : table.columns) {
        if (reshaped(key, column.name)) {
          reshaped_tables.insert(key);
          reshaped_columns[key].push_back(column.name);
        }
      }
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [key, view] : from.views) {
        if (m_gone_views.contains(key)) {
          continue;
        }
        bool needs = false;
        for (const std::string& dep : view.depends_on) {
          needs = needs || m_gone_views.contains(dep) || m_gone_functions.contains(dep);
        }
        for (const std::string& table_key : reshaped_tables) {
          const auto table = from.tables.find(table_key);
          needs = needs ||
                  (table != from.tables.end() && mentions(view.definition, table->second.name));
        }
        if (needs) {
          m_replaced_views.erase(key);
          grew = mark(m_gone_views, m_new_views, key, m_to.views.contains(key)) || grew;
        }
      }
      for (const auto& [key, function] : from.functions) {
        if (m_gone_functions.contains(key)) {
          continue;
        }
        for (const std::string& dep : function.depends_on) {
          if (m_gone_views.contains(dep) || m_gone_functions.contains(dep)) {
            m_replaced_functions.erase(key);
            grew =
                mark(m_gone_functions, m_new_functions, key, m_to.functions.contains(key)) || grew;
            break;
          }
        }
      }
    }
    for (const auto& [key, index] : from.indexes) {
      if (m_gone_views.contains(index.table_key)) {
        m_gone_indexes.insert(key);
        if (m_to.indexes.contains(key)) {
          m_new_indexes.insert(key);
        }
      }
    }
    for (const auto& [key, index] : m_to.indexes) {
      if (m_new_views.contains(index.table_key)) {
        m_new_indexes.insert(key);
      }
    }
    for (const auto& [key, trigger] : from.triggers) {
      bool needs = m_gone_views.contains(trigger.table_key);
      for (const std::string& function_key : m_gone_functions) {
        const Function& function = from.functions.at(function_key);
        needs = needs || trigger.definition.find("FUNCTION " + function_name(function) + "(") !=
                             std::string::npos;
      }
      for (const std::string& column : reshaped_columns[trigger.table_key]) {
        needs = needs || mentions(trigger.definition, column);
      }
      if (needs) {
        mark(m_gone_triggers, m_new_triggers, key, m_to.triggers.contains(key));
      }
    }
    for (const auto& [key, policy] : from.policies) {
      bool needs = false;
      for (const std::string& column : reshaped_columns[policy.table_key]) {
        needs = needs || mentions(policy.using_expr + " " + policy.check_expr, column);
      }
      for (const std::string& function_key : m_gone_functions) {
        needs = needs || mentions(policy.using_expr + " " + policy.check_expr,
                                  from.functions.at(function_key).name);
      }
      if (needs) {
        mark(m_gone_policies, m_new_policies, key, m_to.policies.contains(key));
      }
    }
    for (const auto& [key, table] : from.tables) {
      if (m_gone_tables.contains(key)) {
        continue;
      }
      for (const Column& column : table.columns) {
        if (!column.default_calls_function || column.default_expr.empty()) {
          continue;
        }
        for (const std::string& function_key : m_gone_functions) {
          if (mentions(column.default_expr, from.functions.at(function_key).name)) {
            m_gone_defaults.insert(key + k_sep + column.name);
            if (const auto to_table = m_to.tables.find(key); to_table != m_to.tables.end()) {
              for (const Column& other : to_table->second.columns) {
                if (other.name == column.name && other.default_calls_function) {
                  m_new_defaults.insert(key + k_sep + column.name);
                }
              }
            }
          }
        }
      }
      // Checks and indexes that call a function rebuilt go before it and come back after it.
      for (const auto& [name, constraint] : table.constraints) {
        for (const std::string& function_key : m_gone_functions) {
          if (mentions(constraint.definition, from.functions.at(function_key).name)) {
            m_gone_constraints.insert(key + "." + name);
            const auto to_table = m_to.tables.find(key);
            if (to_table != m_to.tables.end() && to_table->second.constraints.contains(name)) {
              m_new_constraints.insert(key + "." + name);
            }
          }
        }
      }
      for (const auto& [index_key, index] : from.indexes) {
        if (index.table_key != key) {
          continue;
        }
        for (const std::string& function_key : m_gone_functions) {
          if (mentions(index.definition, from.functions.at(function_key).name)) {
            m_gone_indexes.insert(index_key);
            m_indexes_in_transaction.insert(index_key);
            if (m_to.indexes.contains(index_key)) {
              m_new_indexes.insert(index_key);
            }
          }
        }
      }
      // Foreign keys to a table that is rebuilt, or whose key is, go before it and come back
      // after it.
      for (const auto& [name, constraint] : table.constraints) {
        const Table* target = table_by_ident(from, referenced(constraint));
        if (target == nullptr) {
          continue;
        }
        const std::string target_key = target->schema + "." + target->name;
        bool key_gone = false;
        for (const auto& [other_name, other] : target->constraints) {
          key_gone = key_gone || ((other.type == 'p' || other.type == 'u') &&
                                  m_gone_constraints.contains(target_key + "." + other_name));
        }
        if (m_gone_tables.contains(target_key) || key_gone) {
          m_gone_constraints.insert(key + "." + name);
          const auto to_table = m_to.tables.find(key);
          if (to_table != m_to.tables.end() && to_table->second.constraints.contains(name)) {
            m_new_constraints.insert(key + "." + name);
          }
        }
      }
    }
  }

  // ---- tier 1: dependants dropped ----------------------------------------------------------

  // Statements that restore the comments `from` holds on an object.
  Strings comments_on(const Strings& targets, const std::string& column_prefix = {}) const {
    Strings out;
    for (const auto& [target, text] : m_from_ref().comments) {
      const bool on = std::find(targets.begin(), targets.end(), target) != targets.end() ||
                      (!column_prefix.empty() && target.starts_with(column_prefix));
      if (on) {
        out.push_back("COMMENT ON " + target + " IS " + text + ";");
      }
    }
    return out;
  }

  void drop_dependants() {
    const Schema& from = m_from_ref();
    for (const std::string& key : m_gone_policies) {
      const Policy& policy = from.policies.at(key);
      const std::string name = policy.ident + " ON " + policy.table;
      Strings down = piece(m_from_sql, "policy", name);
      append(down, comments_on({"POLICY " + name}));
      tx("drop policy " + key, {"DROP POLICY " + name + ";"}, down);
    }
    for (const std::string& key : m_gone_triggers) {
      const Trigger& trigger = from.triggers.at(key);
      const std::string name = trigger.ident + " ON " + trigger.table;
      Strings down = piece(m_from_sql, "trigger", name);
      append(down, comments_on({"TRIGGER " + name}));
      tx("drop trigger " + key, {"DROP TRIGGER " + name + ";"}, down);
    }
    drop_indexes(true);
    // Views, and functions that read them, dependants first.
    std::map<std::string, Strings> edges;
    for (const std::string& key : m_gone_views) {
      edges[key] = from.views.at(key).depends_on;
    }
    for (const std::string& key : m_gone_functions) {
      edges[key] = from.functions.at(key).depends_on;
    }
    Strings order = dependency_order(edges);
    std::reverse(order.begin(), order.end());
    // A function that reads a view goes among the views; the others after them all.
    const std::set<std::string> late = functions_after_views(from);
    for (const std::string& key : order) {
      if (late.contains(key)) {
        drop_function(key);
        continue;
      }
      if (const auto view = from.views.find(key); view != from.views.end()) {
        const std::string kind = view->second.materialized ? "MATERIALIZED VIEW" : "VIEW";
        Strings down = piece(m_from_sql, view->second.materialized ? "materialized view" : "view",
                             view->second.ident);
        append(down, comments_on({kind + " " + view->second.ident},
                                 "COLUMN " + view->second.ident + "."));
        tx("drop " + std::string(view->second.materialized ? "materialized view " : "view ") + key,
           {"DROP " + kind + " " + view->second.ident + ";"}, down);
        continue;
      }
      m_function_drop_order.push_back(key);
    }
    for (const bool foreign : {true, false}) {
      for (const std::string& qualified : m_gone_constraints) {
        const auto [table, constraint] = constraint_at(from, qualified);
        if ((constraint->type == 'f') != foreign) {
          continue;
        }
        const std::string name = constraint->ident + " ON " + table->ident;
        Strings down = {"ALTER TABLE " + std::string(table->partitioned ? "" : "ONLY ") +
                        table->ident + " ADD CONSTRAINT " + constraint->ident + " " +
                        constraint->definition + ";"};
        append(down, comments_on({"CONSTRAINT " + name}));
        tx("drop constraint " + qualified,
           {"ALTER TABLE " + table->ident + " DROP CONSTRAINT " + constraint->ident + ";"}, down);
      }
    }
    drop_indexes(false);
    for (const std::string& key : m_gone_defaults) {
      const std::size_t sep = key.find(k_sep);
      const Table& table = from.tables.at(key.substr(0, sep));
      const auto column =
          std::find_if(table.columns.begin(), table.columns.end(),
                       [&](const Column& c) { return c.name == key.substr(sep + 1); });
      const std::string alter = "ALTER TABLE " + table.ident + " ALTER COLUMN " + column->ident;
      tx("drop default of " + table.schema + "." + table.name + "." + column->name,
         {alter + " DROP DEFAULT;"}, {alter + " SET DEFAULT " + column->default_expr + ";"});
    }
    // Functions not reading views, after those that do (already ordered above).
    for (const std::string& key : m_function_drop_order) {
      drop_function(key);
    }
  }

  void drop_function(const std::string& key) {
    const Function& function = m_from_ref().functions.at(key);
    const std::string kind = function.procedure ? "PROCEDURE" : "FUNCTION";
    Strings down = {function.definition + ";"};
    append(down, comments_on({function_comment_target(function)}));
    tx("drop " + std::string(function.procedure ? "procedure " : "function ") + key,
       {"DROP " + kind + " " + function.ident + ";"}, down);
  }

  static std::pair<const Table*, const Constraint*> constraint_at(const Schema& schema,
                                                                  const std::string& qualified) {
    for (const auto& [key, table] : schema.tables) {
      if (qualified.starts_with(key + ".")) {
        const auto found = table.constraints.find(qualified.substr(key.size() + 1));
        if (found != table.constraints.end()) {
          return {&table, &found->second};
        }
      }
    }
    return {nullptr, nullptr};
  }

  // A table that exists before the revision and after it: its changes take their online form.
  bool existing(const std::string& table_key) const {
    return m_from_ref().tables.contains(table_key) && !m_gone_tables.contains(table_key) &&
           m_to.tables.contains(table_key);
  }

  void drop_indexes(bool of_views) {
    const Schema& from = m_from_ref();
    for (const std::string& key : m_gone_indexes) {
      const Index& index = from.indexes.at(key);
      if (from.views.contains(index.table_key) != of_views) {
        continue;
      }
      Strings down = piece(m_from_sql, "index", index.ident);
      append(down, comments_on({"INDEX " + index.ident}));
      const auto table = from.tables.find(index.table_key);
      // A dropped column takes its indexes with it in the transaction: the index goes there
      // too. Otherwise it goes without blocking the table's reads and writes.
      bool loses_column = false;
      if (table != from.tables.end()) {
        for (const Column& column : table->second.columns) {
          loses_column = loses_column || removed("column", index.table_key + "." + column.name) ||
                         reshaped(index.table_key, column.name);
        }
      }
      if (!of_views && existing(index.table_key) && !table->second.partitioned && !loses_column &&
          !m_indexes_in_transaction.contains(key)) {
        Strings online_down = down;
        for (std::string& statement : online_down) {
          replace_all(statement, "CREATE INDEX ", "CREATE INDEX CONCURRENTLY ");
          replace_all(statement, "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX CONCURRENTLY ");
        }
        step(Phase::online, "drop index " + key,
             {"DROP INDEX CONCURRENTLY IF EXISTS " + index.ident + ";"}, online_down);
        continue;
      }
      tx("drop index " + key, {"DROP INDEX " + index.ident + ";"}, down,
         {{"PG102", "the index goes in the same transaction as what it depends on"}});
    }
  }

  // ---- tier 2: tables and columns dropped --------------------------------------------------

  // Gone tables, those referencing others (and partitions) before what they reference.
  Strings table_drop_order() const {
    const Schema& from = m_from_ref();
    std::map<std::string, Strings> edges;  // table -> tables that must be dropped before it
    for (const std::string& key : m_gone_tables) {
      edges[key];
    }
    for (const std::string& key : m_gone_tables) {
      const Table& table = from.tables.at(key);
      if (const Table* parent = table_by_ident(from, table.partition_of)) {
        const std::string parent_key = parent->schema + "." + parent->name;
        if (edges.contains(parent_key)) {
          edges[parent_key].push_back(key);
        }
      }
      for (const auto& [name, constraint] : table.constraints) {
        if (const Table* target = table_by_ident(from, referenced(constraint))) {
          const std::string target_key = target->schema + "." + target->name;
          if (target_key != key && edges.contains(target_key)) {
            edges[target_key].push_back(key);
          }
        }
      }
    }
    return dependency_order(edges);
  }

  void drop_tables_and_columns() {
    const Schema& from = m_from_ref();
    for (const std::string& key : table_drop_order()) {
      const Table& table = from.tables.at(key);
      Strings up;
      Strings down = piece(m_from_sql, "table", table.ident);
      // Sequences a serial column owns would go with the table.
      for (const auto& [sequence_key, sequence] : from.sequences) {
        if (sequence.owner_table_key == key) {
          up.push_back("ALTER SEQUENCE " + sequence.ident + " OWNED BY NONE;");
        }
      }
      up.push_back("DROP TABLE " + table.ident + ";");
      for (const auto& [name, constraint] : table.constraints) {
        if (constraint.type != 'f') {
          down.push_back("ALTER TABLE " + std::string(table.partitioned ? "" : "ONLY ") +
                         table.ident + " ADD CONSTRAINT " + constraint.ident + " " +
                         constraint.definition + ";");
        }
      }
      Strings targets = {"TABLE " + table.ident};
      for (const auto& [name, constraint] : table.constraints) {
        if (constraint.type != 'f') {
          targets.push_back("CONSTRAINT " + constraint.ident + " ON " + table.ident);
        }
      }
      for (const auto& [index_key, index] : from.indexes) {
        if (index.table_key == key) {
          append(down, piece(m_from_sql, "index", index.ident));
          targets.push_back("INDEX " + index.ident);
        }
      }
      if (table.row_security) {
        down.push_back("ALTER TABLE " + table.ident + " ENABLE ROW LEVEL SECURITY;");
      }
      if (table.force_row_security) {
        down.push_back("ALTER TABLE " + table.ident + " FORCE ROW LEVEL SECURITY;");
      }
      for (const auto& [sequence_key, sequence] : from.sequences) {
        if (sequence.owner_table_key == key) {
          down.push_back("ALTER SEQUENCE " + sequence.ident + " OWNED BY " + sequence.owned_by +
                         ";");
        }
      }
      append(down, comments_on(targets, "COLUMN " + table.ident + "."));
      const bool rebuilt = m_to.tables.contains(key);
      const std::string reason = hazard(
          "PG203", "table " + key,
          rebuilt ? "its partitioning changes: the table is dropped and created again, its rows "
                    "lost; move them to a new table by hand instead"
                  : "its rows are lost; keep the table, or back it up first");
      tx(std::string(rebuilt ? "drop table " + key + " (its partitioning changes)"
                             : "drop table " + key),
         up, down, {{"PG203", reason}});
    }
    for (const auto& entry : from.tables) {
      const std::string& key = entry.first;
      const Table& table = entry.second;
      if (!existing(key)) {
        continue;
      }
      const Table& target = m_to.tables.at(key);
      for (const Column& column : table.columns) {
        const std::string name = key + "." + column.name;
        const auto* changes = attrs("column", name);
        const bool regenerated = changes != nullptr && changes->contains("generated");
        if ((!removed("column", name) && !regenerated) || inherited(key, column.name)) {
          continue;
        }
        Strings up;
        Strings down = {"ALTER TABLE " + table.ident + " ADD COLUMN " + column_sql(column) + ";"};
        for (const auto& [sequence_key, sequence] : from.sequences) {
          if (sequence.owned_by == table.ident + "." + column.ident) {
            up.push_back("ALTER SEQUENCE " + sequence.ident + " OWNED BY NONE;");
            down.push_back("ALTER SEQUENCE " + sequence.ident + " OWNED BY " + sequence.owned_by +
                           ";");
          }
        }
        up.push_back("ALTER TABLE " + table.ident + " DROP COLUMN " + column.ident + ";");
        append(down, comments_on({"COLUMN " + table.ident + "." + column.ident}));
        // The partitions' own defaults and NOT NULL on the column come back with it.
        for (const auto& [partition_key, partition] : from.tables) {
          if (partition.partition_of != table.ident || m_gone_tables.contains(partition_key)) {
            continue;
          }
          for (const Column& own : partition.columns) {
            if (own.name != column.name) {
              continue;
            }
            const std::string alter =
                "ALTER TABLE ONLY " + partition.ident + " ALTER COLUMN " + own.ident;
            if (own.default_expr != column.default_expr && !own.default_expr.empty() &&
                !own.default_calls_function) {
              down.push_back(alter + " SET DEFAULT " + own.default_expr + ";");
            }
            if (own.not_null && !column.not_null) {
              down.push_back(alter + " SET NOT NULL;");
            }
            append(down, comments_on({"COLUMN " + partition.ident + "." + own.ident}));
          }
        }
        std::string reason;
        if (regenerated) {
          reason = "a generated column is dropped and added again: its values are computed anew";
        } else {
          reason = hazard("PG204", "column " + name,
                          "its values are lost; keep the column, or copy them elsewhere first");
          if (std::any_of(target.columns.begin(), target.columns.end(), [&](const Column& c) {
                return c.type == column.type && !table_has(table, c.name);
              })) {
            m_plan.notes.push_back(name +
                                   ": a drop and an add of a column of the same type; if it is a "
                                   "rename, say --rename " +
                                   name + "=" + key + ".NEW_NAME");
          }
        }
        tx(std::string(regenerated ? "drop generated column " : "drop column ") + name, up, down,
           {{"PG204", reason}});
      }
    }
  }

  // Whether a column of a partition is its parent's: what happens to the parent's column
  // happens to it, only its default and NOT NULL may be its own.
  bool inherited(const std::string& key, const std::string& column) const {
    const Schema& from = m_from_ref();
    const auto a = from.tables.find(key);
    const auto b = m_to.tables.find(key);
    if (a == from.tables.end() || a->second.partition_of.empty()) {
      return false;
    }
    if (b != m_to.tables.end() && b->second.partition_of != a->second.partition_of) {
      return false;
    }
    const Table* parent = table_by_ident(from, a->second.partition_of);
    const Table* next = table_by_ident(m_to, a->second.partition_of);
    return (parent != nullptr && table_has(*parent, column)) ||
           (next != nullptr && table_has(*next, column));
  }

  // The parent's column of an inherited column on one side.
  static const Column* parent_column(const Schema& schema, const Table& partition,
                                     const std::string& column) {
    const Table* parent = table_by_ident(schema, partition.partition_of);
    if (parent == nullptr) {
      return nullptr;
    }
    for (const Column& c : parent->columns) {
      if (c.name == column) {
        return &c;
      }
    }
    return nullptr;
  }

  static bool table_has(const Table& table, const std::string& column) {
    return std::any_of(table.columns.begin(), table.columns.end(),
                       [&](const Column& c) { return c.name == column; });
  }

  // ---- tier 3: schemas, extensions, types, sequences -------------------------------------

  void create_types() {
    const Schema& from = m_from_ref();
    for (const auto& [name, ident] : m_to.schemas) {
      if (added("schema", name)) {
        tx("create schema " + name, {"CREATE SCHEMA " + ident + ";"},
           {"DROP SCHEMA " + ident + ";"});
      }
    }
    for (const auto& [key, extension] : m_to.extensions) {
      if (added("extension", key)) {
        tx("create extension " + key,
           {"CREATE EXTENSION " + extension.ident + " WITH SCHEMA " + extension.schema +
            " VERSION " + literal(extension.version) + ";"},
           {"DROP EXTENSION " + extension.ident + ";"});
        continue;
      }
      const auto* changes = attrs("extension", key);
      if (changes == nullptr) {
        continue;
      }
      const Extension& before = from.extensions.at(key);
      if (changes->contains("schema")) {
        tx("move extension " + key,
           {"ALTER EXTENSION " + extension.ident + " SET SCHEMA " + extension.schema + ";"},
           {"ALTER EXTENSION " + extension.ident + " SET SCHEMA " + before.schema + ";"});
      }
      if (changes->contains("version")) {
        tx("update extension " + key,
           {"ALTER EXTENSION " + extension.ident + " UPDATE TO " + literal(extension.version) +
            ";"},
           {"ALTER EXTENSION " + extension.ident + " UPDATE TO " + literal(before.version) + ";"});
      }
    }
    for (const auto& [key, type] : m_to.enums) {
      const auto before = from.enums.find(key);
      if (before == from.enums.end()) {
        if (added("type", key)) {
          tx("create type " + key, piece(m_to_sql, "type", type.ident),
             {"DROP TYPE " + type.ident + ";"});
        }
        continue;
      }
      if (!changed("type", key) || before->second.labels == type.labels) {
        continue;
      }
      if (m_rebuilt_enums.contains(key)) {
        rebuild_enum(before->second, type);
        continue;
      }
      // Labels added where they stand: after the label before them, or before the first.
      Strings current = before->second.labels;
      Strings up;
      for (std::size_t i = 0; i < type.labels.size(); ++i) {
        const std::string& label = type.labels[i];
        if (std::find(current.begin(), current.end(), label) != current.end()) {
          continue;
        }
        std::string where;
        if (i > 0) {
          where = " AFTER " + type.labels[i - 1];
        } else if (type.labels.size() > 1) {
          where = " BEFORE " + type.labels[1];
        }
        up.push_back("ALTER TYPE " + type.ident + " ADD VALUE " + label + where + ";");
        m_new_labels.push_back(label + "::" + type.ident);
      }
      // No label comes off an enum in place: undoing rebuilds it. Before PostgreSQL 12 ADD
      // VALUE cannot run in a transaction block at all.
      step(server_major() < 12 ? Phase::online : Phase::transactional, "add labels to type " + key,
           up, rebuild_enum_sql(type, before->second, m_from_ref()));
    }
    for (const auto& [key, domain] : m_to.domains) {
      const auto before = from.domains.find(key);
      if (before == from.domains.end()) {
        if (added("domain", key)) {
          tx("create domain " + key, piece(m_to_sql, "domain", domain.ident),
             {"DROP DOMAIN " + domain.ident + ";"});
        }
        continue;
      }
      if (changed("domain", key)) {
        alter_domain(key, before->second, domain);
      }
    }
    for (const auto& [key, type] : m_to.composites) {
      const auto before = from.composites.find(key);
      if (before == from.composites.end()) {
        if (added("type", key)) {
          tx("create type " + key, piece(m_to_sql, "composite type", type.ident),
             {"DROP TYPE " + type.ident + ";"});
        }
        continue;
      }
      if (changed("type", key)) {
        alter_composite(key, before->second, type);
      }
    }
    for (const auto& [key, sequence] : m_to.sequences) {
      const auto before = from.sequences.find(key);
      if (before == from.sequences.end()) {
        if (!added("sequence", key)) {
          continue;
        }
        tx("create sequence " + key, piece(m_to_sql, "sequence", sequence.ident),
           {"DROP SEQUENCE " + sequence.ident + ";"});
        continue;
      }
      const Sequence& a = before->second;
      const Sequence& b = sequence;
      auto options = [](const Sequence& s) {
        return " AS " + s.type + " INCREMENT BY " + s.increment + " MINVALUE " + s.min +
               " MAXVALUE " + s.max + " START WITH " + s.start + " CACHE " + s.cache +
               (s.cycle ? " CYCLE" : " NO CYCLE");
      };
      if (changed("sequence", key) && options(a) != options(b)) {
        tx("alter sequence " + key, {"ALTER SEQUENCE " + b.ident + options(b) + ";"},
           {"ALTER SEQUENCE " + a.ident + options(a) + ";"});
      }
    }
  }

  // The major version of the server the models were read from ("PostgreSQL 15.4" -> 15);
  // a recent one when it does not say.
  int server_major() const {
    const std::string& version = m_to.server_version;
    const std::size_t digit = version.find_first_of("0123456789");
    if (digit == std::string::npos) {
      return 99;
    }
    int major = 0;
    for (std::size_t i = digit;
         i < version.size() && std::isdigit(static_cast<unsigned char>(version[i])) != 0; ++i) {
      major = major * 10 + (version[i] - '0');
    }
    return major;
  }

  // The statements that turn enum `from` into `to` by rebuilding it: the old type renamed,
  // the new one created, each column using it cast through text, the old one dropped.
  // Each column's default is dropped for the cast and set again as `target` has it.
  Strings rebuild_enum_sql(const EnumType& before, const EnumType& after,
                           const Schema& target) const {
    const std::string schema_ident =
        after.ident.substr(0, after.ident.size() - quoted_name(after).size() - 1);
    const std::string old_name = "\"" + after.name + "__retort_old\"";
    Strings sql = {"ALTER TYPE " + before.ident + " RENAME TO " + old_name + ";"};
    std::string create = "CREATE TYPE " + after.ident + " AS ENUM (";
    for (std::size_t i = 0; i < after.labels.size(); ++i) {
      create += (i == 0 ? "" : ", ") + after.labels[i];
    }
    sql.push_back(create + ");");
    for (const auto& [table_key, table] : m_from_ref().tables) {
      if (m_gone_tables.contains(table_key)) {
        continue;
      }
      for (const Column& column : table.columns) {
        // Columns dropped earlier in the plan are gone by then; a partition's follow its parent.
        const auto* changes = attrs("column", table_key + "." + column.name);
        if ((column.type != before.ident && column.type != before.ident + "[]") ||
            inherited(table_key, column.name) || removed("column", table_key + "." + column.name) ||
            (changes != nullptr && changes->contains("generated"))) {
          continue;
        }
        const std::string alter = "ALTER TABLE " + table.ident + " ALTER COLUMN " + column.ident;
        const std::string type = column.type == before.ident ? after.ident : after.ident + "[]";
        sql.push_back(alter + " DROP DEFAULT;");
        sql.push_back(alter + " TYPE " + type + " USING " + column.ident + "::text" +
                      (type == after.ident ? "" : "[]") + "::" + type + ";");
        std::string value;
        if (const auto other = target.tables.find(table_key); other != target.tables.end()) {
          for (const Column& wanted : other->second.columns) {
            if (wanted.name == column.name && !wanted.default_calls_function) {
              value = wanted.default_expr;
            }
          }
        }
        if (!value.empty()) {
          sql.push_back(alter + " SET DEFAULT " + value + ";");
        }
      }
    }
    sql.push_back("DROP TYPE " + schema_ident + "." + old_name + ";");
    return sql;
  }

  static std::string quoted_name(const EnumType& type) {
    // The ident is "schema.name" quoted as needed; the name's part is what follows the dot
    // that ends the schema's part.
    const bool quoted = type.ident.ends_with("\"");
    if (!quoted) {
      return type.ident.substr(type.ident.rfind('.') + 1);
    }
    const std::size_t open = type.ident.rfind("\".\"");
    const std::size_t plain = type.ident.rfind(".\"");
    return type.ident.substr((open != std::string::npos ? open + 2 : plain + 1));
  }

  void rebuild_enum(const EnumType& before, const EnumType& after) {
    std::string lost;
    for (const std::string& label : before.labels) {
      if (std::find(after.labels.begin(), after.labels.end(), label) == after.labels.end()) {
        lost += (lost.empty() ? "" : ", ") + label;
      }
    }
    const std::string reason =
        hazard("PG108", "type " + before.schema + "." + before.name,
               "labels " + lost +
                   " are removed: the type is rebuilt and each column using it cast through "
                   "text, which fails on rows holding them; update those rows first");
    const Strings up = rebuild_enum_sql(before, after, m_to);
    std::vector<Accepted> accepted;
    if (std::any_of(up.begin(), up.end(), [](const std::string& statement) {
          return statement.starts_with("ALTER TABLE ") &&
                 statement.find(" TYPE ") != std::string::npos;
        })) {
      accepted.push_back({"PG108", reason});
    }
    tx("rebuild type " + before.schema + "." + before.name + " without " + lost, up,
       rebuild_enum_sql(after, before, m_from_ref()), accepted);
  }

  void alter_domain(const std::string& key, const Domain& a, const Domain& b) {
    const std::string alter = "ALTER DOMAIN " + b.ident;
    if (a.base_type != b.base_type || a.collation != b.collation) {
      tx("recreate domain " + key,
         {"DROP DOMAIN " + a.ident + ";", piece(m_to_sql, "domain", b.ident).front()},
         {"DROP DOMAIN " + b.ident + ";", piece(m_from_sql, "domain", a.ident).front()});
      return;
    }
    if (a.default_expr != b.default_expr) {
      auto set = [&](const Domain& d) {
        return alter +
               (d.default_expr.empty() ? " DROP DEFAULT;" : " SET DEFAULT " + d.default_expr + ";");
      };
      tx("alter default of domain " + key, {set(b)}, {set(a)});
    }
    if (a.not_null != b.not_null) {
      auto set = [&](const Domain& d) {
        return alter + (d.not_null ? " SET NOT NULL;" : " DROP NOT NULL;");
      };
      tx("alter not null of domain " + key, {set(b)}, {set(a)});
    }
    for (const auto& [name, check] : a.checks) {
      const auto other = b.checks.find(name);
      if (other == b.checks.end() || other->second != check) {
        tx("drop check " + name + " of domain " + key, {alter + " DROP CONSTRAINT " + name + ";"},
           {alter + " ADD CONSTRAINT " + name + " " + check + ";"});
      }
    }
    for (const auto& [name, check] : b.checks) {
      const auto other = a.checks.find(name);
      if (other == a.checks.end() || other->second != check) {
        tx("add check " + name + " to domain " + key,
           {alter + " ADD CONSTRAINT " + name + " " + check + ";"},
           {alter + " DROP CONSTRAINT " + name + ";"},
           {{"PG106", "a domain's check is proved on the columns using it"}});
      }
    }
  }

  void alter_composite(const std::string& key, const CompositeType& a, const CompositeType& b) {
    const std::string alter = "ALTER TYPE " + b.ident;
    auto spell = [](const Column& attribute) {
      return attribute.ident + " " + attribute.type +
             (attribute.collation.empty() ? "" : " COLLATE " + attribute.collation);
    };
    for (const Column& attribute : a.attributes) {
      const auto other = std::find_if(b.attributes.begin(), b.attributes.end(),
                                      [&](const Column& c) { return c.name == attribute.name; });
      if (other == b.attributes.end()) {
        tx("drop attribute " + attribute.name + " of type " + key,
           {alter + " DROP ATTRIBUTE " + attribute.ident + ";"},
           {alter + " ADD ATTRIBUTE " + spell(attribute) + ";"},
           {{"PG204", "a composite type's attribute holds no rows of its own"}});
      } else if (spell(*other) != spell(attribute)) {
        auto set = [&](const Column& c) {
          return alter + " ALTER ATTRIBUTE " + c.ident + " TYPE " + c.type +
                 (c.collation.empty() ? "" : " COLLATE " + c.collation) + ";";
        };
        tx("alter attribute " + attribute.name + " of type " + key, {set(*other)}, {set(attribute)},
           {{"PG108", "a composite type's attribute holds no rows of its own"}});
      }
    }
    for (const Column& attribute : b.attributes) {
      if (std::none_of(a.attributes.begin(), a.attributes.end(),
                       [&](const Column& c) { return c.name == attribute.name; })) {
        tx("add attribute " + attribute.name + " to type " + key,
           {alter + " ADD ATTRIBUTE " + spell(attribute) + ";"},
           {alter + " DROP ATTRIBUTE " + attribute.ident + ";"});
      }
    }
  }

  // ---- tier 4: tables created and altered --------------------------------------------------

  int partition_depth(const Schema& schema, const Table& table) const {
    int depth = 0;
    const Table* current = &table;
    while (current != nullptr && !current->partition_of.empty() && depth < 64) {
      current = table_by_ident(schema, current->partition_of);
      ++depth;
    }
    return depth;
  }

  void create_and_alter_tables() {
    std::vector<std::pair<int, std::string>> order;
    for (const auto& [key, table] : m_to.tables) {
      order.emplace_back(partition_depth(m_to, table), key);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [depth, key] : order) {
      const Table& table = m_to.tables.at(key);
      if (m_new_tables.contains(key)) {
        Strings up = piece(m_to_sql, "table", table.ident);
        std::vector<Accepted> accepted;
        if (table.row_security) {
          up.push_back("ALTER TABLE " + table.ident + " ENABLE ROW LEVEL SECURITY;");
        }
        if (table.force_row_security) {
          up.push_back("ALTER TABLE " + table.ident + " FORCE ROW LEVEL SECURITY;");
        }
        tx("create table " + key, up, {"DROP TABLE " + table.ident + ";"});
        continue;
      }
      if (existing(key)) {
        alter_table(key, m_from_ref().tables.at(key), table);
      }
    }
  }

  void alter_table(const std::string& key, const Table& a, const Table& b) {
    const std::string alter = "ALTER TABLE " + b.ident;
    const std::set<std::string> none;
    const std::set<std::string>& changes =
        attrs("table", key) == nullptr ? none : *attrs("table", key);
    if (changes.contains("partition of") || changes.contains("partition bound")) {
      Strings up;
      Strings down;
      if (!a.partition_of.empty()) {
        up.push_back("ALTER TABLE " + a.partition_of + " DETACH PARTITION " + a.ident + ";");
        down.push_back("ALTER TABLE " + a.partition_of + " ATTACH PARTITION " + a.ident + " " +
                       a.partition_bound + ";");
      }
      if (!b.partition_of.empty()) {
        up.push_back("ALTER TABLE " + b.partition_of + " ATTACH PARTITION " + b.ident + " " +
                     b.partition_bound + ";");
        down.insert(down.begin(),
                    "ALTER TABLE " + b.partition_of + " DETACH PARTITION " + b.ident + ";");
      }
      tx("move partition " + key, up, down);
    }
    if (changes.contains("unlogged")) {
      auto set = [&](const Table& t) {
        return alter + (t.unlogged ? " SET UNLOGGED;" : " SET LOGGED;");
      };
      tx("make table " + key + (b.unlogged ? " unlogged" : " logged"), {set(b)}, {set(a)});
    }
    if (changes.contains("options")) {
      auto set = [&](const Table& from_side, const Table& to_side) {
        Strings sql;
        Strings gone;
        const Strings wanted = option_names(to_side.options);
        for (const std::string& name : option_names(from_side.options)) {
          if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
            gone.push_back(name);
          }
        }
        if (!gone.empty()) {
          std::string list;
          for (const std::string& name : gone) {
            list += (list.empty() ? "" : ", ") + name;
          }
          sql.push_back(alter + " RESET (" + list + ");");
        }
        if (!to_side.options.empty()) {
          sql.push_back(alter + " SET (" + to_side.options + ");");
        }
        return sql;
      };
      tx("alter options of table " + key, set(a, b), set(b, a));
    }
    if (changes.contains("row security")) {
      auto set = [&](const Table& t) {
        return alter + (t.row_security ? " ENABLE" : " DISABLE") + " ROW LEVEL SECURITY;";
      };
      tx("row level security of table " + key, {set(b)}, {set(a)});
    }
    if (changes.contains("force row security")) {
      auto set = [&](const Table& t) {
        return alter + (t.force_row_security ? " FORCE" : " NO FORCE") + " ROW LEVEL SECURITY;";
      };
      tx("forced row level security of table " + key, {set(b)}, {set(a)});
    }
    for (const Column& after : b.columns) {
      const std::string name = key + "." + after.name;
      const auto before = std::find_if(a.columns.begin(), a.columns.end(),
                                       [&](const Column& c) { return c.name == after.name; });
      const auto* column_changes = attrs("column", name);
      if (before == a.columns.end() ||
          (column_changes != nullptr && column_changes->contains("generated"))) {
        if ((before != a.columns.end() || added("column", name)) && !inherited(key, after.name)) {
          add_column(key, b, after);
        } else if (before == a.columns.end() && added("column", name)) {
          own_attributes(key, b, after);
        }
        continue;
      }
      if (column_changes != nullptr || m_enum_recast_columns.contains(name)) {
        alter_column(key, b, *before, after);
      }
    }
  }

  // What a partition sets on a column its parent just gained: a default, NOT NULL.
  void own_attributes(const std::string& key, const Table& table, const Column& column) {
    const Column* parent = parent_column(m_to, table, column.name);
    if (parent == nullptr) {
      return;
    }
    const std::string alter = "ALTER TABLE ONLY " + table.ident + " ALTER COLUMN " + column.ident;
    if (column.default_expr != parent->default_expr && !column.default_calls_function &&
        column.generated.empty()) {
      tx("set default of " + key + "." + column.name,
         {alter + (column.default_expr.empty() ? " DROP DEFAULT;"
                                               : " SET DEFAULT " + column.default_expr + ";")},
         {alter + (parent->default_expr.empty() ? " DROP DEFAULT;"
                                                : " SET DEFAULT " + parent->default_expr + ";")});
    }
    if (column.not_null && !parent->not_null) {
      tx("set not null on column " + key + "." + column.name, {alter + " SET NOT NULL;"},
         {alter + " DROP NOT NULL;"},
         {{"PG105", "the column is new: its rows hold what its default gives"}});
    }
  }

  // Whether a default may give each row its own value, as lint judges it: a call of a function
  // other than the stable ones it knows.
  static bool volatile_default(const std::string& expression) {
    bool quoted = false;
    for (std::size_t i = 0; i < expression.size(); ++i) {
      const char c = expression[i];
      if (c == '\'') {
        quoted = !quoted;
      }
      if (quoted || c != '(' || i == 0) {
        continue;
      }
      std::size_t start = i;
      while (start > 0 && (std::isalnum(static_cast<unsigned char>(expression[start - 1])) != 0 ||
                           expression[start - 1] == '_')) {
        --start;
      }
      const std::string name = expression.substr(start, i - start);
      if (!name.empty() && !sql::not_volatile(name)) {
        return true;
      }
    }
    return false;
  }

  // Whether SQL uses a label this plan adds to an enum: the label cannot be used in the
  // transaction that adds it.
  bool uses_new_label(const std::string& sql) const {
    return std::any_of(m_new_labels.begin(), m_new_labels.end(), [&](const std::string& label) {
      return sql.find(label) != std::string::npos;
    });
  }

  void add_column(const std::string& key, const Table& table, const Column& column) {
    const std::string sql =
        "ALTER TABLE " + table.ident + " ADD COLUMN " + column_sql(column) + ";";
    if (uses_new_label(sql)) {
      m_all_online = true;
    }
    std::vector<Accepted> accepted;
    if (column.not_null && column.default_expr.empty() && column.identity.empty() &&
        column.generated.empty()) {
      accepted.push_back({"PG104",
                          "the declared schema has the column NOT NULL without a "
                          "default: rows the table holds make it fail"});
    }
    if (!column.generated.empty() || !column.identity.empty() ||
        volatile_default(column.default_expr)) {
      accepted.push_back({"PG103", "the declared column computes its value for every row"});
    }
    tx("add column " + key + "." + column.name, {sql},
       {"ALTER TABLE " + table.ident + " DROP COLUMN " + column.ident + ";"}, accepted);
  }

  void alter_column(const std::string& key, const Table& table, const Column& a, const Column& b) {
    const std::string name = key + "." + a.name;
    const std::string alter = "ALTER TABLE " + table.ident + " ALTER COLUMN " + b.ident;
    const bool own = !inherited(key, a.name);
    const bool retype = (a.type != b.type || a.collation != b.collation) &&
                        !m_enum_recast_columns.contains(name) && own;
    bool default_dropped = false;
    if (retype && !a.default_expr.empty() && !a.default_calls_function) {
      tx("drop default of " + name + " before its type changes", {alter + " DROP DEFAULT;"},
         {alter + " SET DEFAULT " + a.default_expr + ";"});
      default_dropped = true;
    }
    if (retype) {
      auto set = [&](const Column& c) {
        return alter + " TYPE " + c.type + (c.collation.empty() ? "" : " COLLATE " + c.collation) +
               " USING " + b.ident + "::" + c.type + ";";
      };
      std::string reason;
      if (a.type != b.type && !widens(a.type, b.type)) {
        reason = hazard("PG108", "column " + name,
                        "its type changes from " + a.type + " to " + b.type +
                            ", which rewrites the table under its lock and fails on values the "
                            "new type does not hold; add a new column and backfill it instead");
      } else {
        reason = "the declared schema widens the column's type";
      }
      tx("change type of column " + name + " from " + a.type + " to " + b.type, {set(b)}, {set(a)},
         {{"PG108", reason}});
    }
    const std::string before_default = default_dropped ? std::string() : a.default_expr;
    if (!m_rebuilt_columns.contains(name) && before_default != b.default_expr &&
        !b.default_calls_function &&
        !(a.default_calls_function && b.default_expr.empty() && !default_dropped)) {
      auto set = [&](const std::string& value) {
        return alter + (value.empty() ? " DROP DEFAULT;" : " SET DEFAULT " + value + ";");
      };
      const std::string sql = set(b.default_expr);
      if (uses_new_label(sql)) {
        m_all_online = true;
      }
      tx("set default of " + name, {sql}, {set(before_default)});
    }
    bool not_null_done = false;
    if (own && a.identity.empty() && !b.identity.empty() && !a.not_null) {
      // An identity needs NOT NULL first: there is no online form before it.
      const std::string reason =
          hazard("PG105", "column " + name,
                 "SET NOT NULL fails while a row holds NULL in it: backfill those rows first");
      tx("set not null on column " + name + " for its identity", {alter + " SET NOT NULL;"},
         {alter + " DROP NOT NULL;"}, {{"PG105", reason}});
      not_null_done = true;
    }
    if (own && a.identity != b.identity) {
      Strings up;
      Strings down;
      if (a.identity.empty()) {
        up.push_back(alter + " ADD GENERATED " + b.identity + " AS IDENTITY" +
                     (b.identity_options.empty() ? "" : " (" + b.identity_options + ")") + ";");
        down.push_back(alter + " DROP IDENTITY;");
      } else if (b.identity.empty()) {
        up.push_back(alter + " DROP IDENTITY;");
        down.push_back(alter + " ADD GENERATED " + a.identity + " AS IDENTITY" +
                       (a.identity_options.empty() ? "" : " (" + a.identity_options + ")") + ";");
      } else {
        up.push_back(alter + " SET GENERATED " + b.identity + ";");
        down.push_back(alter + " SET GENERATED " + a.identity + ";");
      }
      tx("identity of column " + name, up, down);
    }
    if (own && !a.identity.empty() && !b.identity.empty() &&
        a.identity_options != b.identity_options) {
      tx("identity options of column " + name,
         {alter + " " + identity_set(b.identity_options) + ";"},
         {alter + " " + identity_set(a.identity_options) + ";"});
    }
    if (not_null_done) {
      return;
    }
    if (!own) {
      // The parent's NOT NULL reaches its partitions: only a partition's own one is set here.
      const Column* before = parent_column(m_from_ref(), m_from_ref().tables.at(key), a.name);
      const Column* after = parent_column(m_to, m_to.tables.at(key), a.name);
      if (before != nullptr && after != nullptr && before->not_null == a.not_null &&
          after->not_null == b.not_null) {
        return;
      }
    }
    if (a.not_null && !b.not_null) {
      tx("drop not null of column " + name, {alter + " DROP NOT NULL;"},
         {alter + " SET NOT NULL;"});
    } else if (!a.not_null && b.not_null) {
      set_not_null(key, table, b);
    }
  }

  // NOT NULL on a column that exists: proved by a CHECK validated without blocking writes,
  // which then lets SET NOT NULL skip its scan.
  void set_not_null(const std::string& key, const Table& table, const Column& column) {
    const std::string name = key + "." + column.name;
    const std::string reason = hazard(
        "PG105", "column " + name,
        "SET NOT NULL fails while a row holds NULL in it: backfill those rows first (the plan "
        "proves it with a CHECK validated online, then sets NOT NULL)");
    std::string check = table.name + "_" + column.name + "_not_null";
    if (check.size() > 63) {
      check.resize(63);
    }
    const std::string check_ident = "\"" + check + "\"";
    const std::string alter = "ALTER TABLE " + table.ident;
    if (table.partitioned) {
      tx("set not null on column " + name,
         {alter + " ALTER COLUMN " + column.ident + " SET NOT NULL;"},
         {alter + " ALTER COLUMN " + column.ident + " DROP NOT NULL;"}, {{"PG105", reason}});
      return;
    }
    tx("prove column " + name + " NOT NULL: add a CHECK without validating it",
       {alter + " ADD CONSTRAINT " + check_ident + " CHECK (" + column.ident +
        " IS NOT NULL) NOT VALID;"},
       {alter + " DROP CONSTRAINT " + check_ident + ";"});
    step(Phase::online, "validate the CHECK proving column " + name + " NOT NULL",
         {alter + " VALIDATE CONSTRAINT " + check_ident + ";"}, {});
    step(Phase::online, "set not null on column " + name,
         {alter + " ALTER COLUMN " + column.ident + " SET NOT NULL;",
          alter + " DROP CONSTRAINT " + check_ident + ";"},
         {alter + " ADD CONSTRAINT " + check_ident + " CHECK (" + column.ident +
              " IS NOT NULL) NOT VALID;",
          alter + " ALTER COLUMN " + column.ident + " DROP NOT NULL;"},
         {{"PG105", reason}});
  }

  // ---- tier 5: what is no longer declared among types, sequences, extensions, schemas ----

  void drop_types() {
    const Schema& from = m_from_ref();
    for (const auto& [key, sequence] : from.sequences) {
      if (removed("sequence", key)) {
        Strings down = piece(m_from_sql, "sequence", sequence.ident);
        append(down, comments_on({"SEQUENCE " + sequence.ident}));
        tx("drop sequence " + key, {"DROP SEQUENCE " + sequence.ident + ";"}, down);
      }
    }
    for (const auto& [key, type] : from.composites) {
      if (removed("type", key) || (!m_to.composites.contains(key) && m_to.enums.contains(key))) {
        Strings down = piece(m_from_sql, "composite type", type.ident);
        append(down, comments_on({"TYPE " + type.ident}, "COLUMN " + type.ident + "."));
        tx("drop type " + key, {"DROP TYPE " + type.ident + ";"}, down);
      }
    }
    for (const auto& [key, domain] : from.domains) {
      if (removed("domain", key)) {
        Strings down = piece(m_from_sql, "domain", domain.ident);
        append(down, comments_on({"DOMAIN " + domain.ident}));
        tx("drop domain " + key, {"DROP DOMAIN " + domain.ident + ";"}, down);
      }
    }
    for (const auto& [key, type] : from.enums) {
      if (removed("type", key) || (!m_to.enums.contains(key) && m_to.composites.contains(key))) {
        Strings down = piece(m_from_sql, "type", type.ident);
        append(down, comments_on({"TYPE " + type.ident}));
        tx("drop type " + key, {"DROP TYPE " + type.ident + ";"}, down);
      }
    }
    for (const auto& [key, extension] : from.extensions) {
      if (removed("extension", key)) {
        tx("drop extension " + key, {"DROP EXTENSION " + extension.ident + ";"},
           piece(m_from_sql, "extension", extension.ident));
      }
    }
    for (const auto& [name, ident] : from.schemas) {
      if (removed("schema", name)) {
        (void)hazard("PG206", "schema " + name,
                     "the schema is dropped; what it holds must be gone, or be dropped with it");
        Strings down = {"CREATE SCHEMA " + ident + ";"};
        append(down, comments_on({"SCHEMA " + ident}));
        tx("drop schema " + name, {"DROP SCHEMA " + ident + ";"}, down);
      }
    }
  }

  // ---- tier 6: functions, defaults, sequence ownership -------------------------------------

  // The functions that need a view to exist when they are created, as the dump places them.
  static std::set<std::string> functions_after_views(const Schema& schema) {
    std::set<std::string> late;
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [key, function] : schema.functions) {
        if (late.contains(key)) {
          continue;
        }
        for (const std::string& dep : function.depends_on) {
          if (schema.views.contains(dep) || late.contains(dep)) {
            late.insert(key);
            grew = true;
            break;
          }
        }
      }
    }
    return late;
  }

  void create_function(const std::string& key, Phase phase = Phase::transactional) {
    const Function& function = m_to.functions.at(key);
    const std::string kind = function.procedure ? "PROCEDURE" : "FUNCTION";
    // A body is checked as the function is created: one using a label added in the same
    // transaction fails, and what follows may call it.
    if (uses_new_label(function.definition)) {
      m_all_online = true;
    }
    step(phase, "create " + std::string(function.procedure ? "procedure " : "function ") + key,
         {function.definition + ";"}, {"DROP " + kind + " " + function.ident + ";"});
  }

  // Whether what `depends_on` names is created in the online revision, or `sql` uses a label
  // added to an enum in the transactional one: then it waits for them, online too.
  bool waits_online(const Strings& depends_on, const std::string& sql) const {
    return uses_new_label(sql) ||
           std::any_of(depends_on.begin(), depends_on.end(),
                       [&](const std::string& dep) { return m_online_objects.contains(dep); });
  }

  void create_functions() {
    const std::set<std::string> late = functions_after_views(m_to);
    for (const std::string& key : m_replaced_functions) {
      const Function& function = m_to.functions.at(key);
      tx("replace the body of " + std::string(function.procedure ? "procedure " : "function ") +
             key,
         {function.definition + ";"}, {m_from_ref().functions.at(key).definition + ";"});
    }
    std::map<std::string, Strings> edges;
    for (const std::string& key : m_new_functions) {
      if (!late.contains(key)) {
        edges[key] = m_to.functions.at(key).depends_on;
      }
    }
    for (const std::string& key : dependency_order(edges)) {
      create_function(key);
    }
  }

  void set_defaults() {
    for (const std::string& key : m_new_defaults) {
      const std::size_t sep = key.find(k_sep);
      const Table& table = m_to.tables.at(key.substr(0, sep));
      const auto column =
          std::find_if(table.columns.begin(), table.columns.end(),
                       [&](const Column& c) { return c.name == key.substr(sep + 1); });
      const std::string alter = "ALTER TABLE " + table.ident + " ALTER COLUMN " + column->ident;
      tx("set default of " + table.schema + "." + table.name + "." + column->name,
         {alter + " SET DEFAULT " + column->default_expr + ";"}, {alter + " DROP DEFAULT;"});
    }
    const Schema& from = m_from_ref();
    for (const auto& entry : m_to.sequences) {
      const std::string& key = entry.first;
      const Sequence& sequence = entry.second;
      const auto before = from.sequences.find(key);
      const std::string was = before == from.sequences.end() ? "" : before->second.owned_by;
      if (sequence.owned_by == was || (!added("sequence", key) && !changed("sequence", key))) {
        continue;
      }
      auto set = [&](const std::string& owner) {
        return "ALTER SEQUENCE " + sequence.ident + " OWNED BY " +
               (owner.empty() ? std::string("NONE") : owner) + ";";
      };
      tx("ownership of sequence " + key, {set(sequence.owned_by)}, {set(was)});
    }
  }

  // ---- tier 8: constraints -----------------------------------------------------------------

  void create_constraints() {
    std::set<std::string> online_keys;  // tables that get a unique key online
    for (const bool foreign : {false, true}) {
      for (const std::string& qualified : m_new_constraints) {
        const auto [table, constraint] = constraint_at(m_to, qualified);
        if ((constraint->type == 'f') != foreign) {
          continue;
        }
        const std::string table_key = table->schema + "." + table->name;
        const std::string add = "ALTER TABLE " + std::string(table->partitioned ? "" : "ONLY ") +
                                table->ident + " ADD CONSTRAINT " + constraint->ident + " ";
        const Strings down = {"ALTER TABLE " + table->ident + " DROP CONSTRAINT " +
                              constraint->ident + ";"};
        const std::string summary = "add constraint " + qualified;
        // A check naming a label added in the transaction waits for it to commit.
        const bool label = uses_new_label(constraint->definition);
        if (label) {
          m_online_targets.insert("CONSTRAINT " + constraint->ident + " ON " + table->ident);
        }
        if (!existing(table_key) || table->partitioned) {
          std::vector<Accepted> accepted;
          if (existing(table_key)) {
            if (constraint->type == 'f') {
              accepted = {{"PG106", "a partitioned table takes no NOT VALID foreign key"}};
            } else if (constraint->type != 'c') {
              accepted = {{"PG107", "a partitioned table's key cannot be built concurrently"}};
            }
          }
          const bool waits =
              label || (foreign && online_keys.contains(referenced_key(*constraint)));
          step(waits ? Phase::online : Phase::transactional, summary,
               {add + constraint->definition + ";"}, down, accepted);
          continue;
        }
        if (constraint->type == 'p' || constraint->type == 'u') {
          if (add_key_online(*table, *constraint)) {
            online_keys.insert(table_key);
            m_online_targets.insert("CONSTRAINT " + constraint->ident + " ON " + table->ident);
            continue;
          }
          tx(summary, {add + constraint->definition + ";"}, down,
             {{"PG107", "the declared key cannot be built from an index made concurrently"}});
          continue;
        }
        if ((constraint->type == 'f' || constraint->type == 'c') && constraint->validated &&
            constraint->definition.find("NOT VALID") == std::string::npos) {
          const bool waits =
              label || (foreign && online_keys.contains(referenced_key(*constraint)));
          step(waits ? Phase::online : Phase::transactional, summary + " without validating it",
               {add + constraint->definition + " NOT VALID;"}, down);
          step(Phase::online, "validate constraint " + qualified,
               {"ALTER TABLE " + table->ident + " VALIDATE CONSTRAINT " + constraint->ident + ";"},
               {});
          continue;
        }
        std::vector<Accepted> accepted;
        if (constraint->type == 'x') {
          accepted.push_back(
              {"PG107", "an exclusion constraint cannot be made from an index built concurrently"});
        }
        step(label ? Phase::online : Phase::transactional, summary,
             {add + constraint->definition + ";"}, down, accepted);
      }
    }
  }

  std::string referenced_key(const Constraint& constraint) const {
    const Table* target = table_by_ident(m_to, referenced(constraint));
    return target == nullptr ? std::string() : target->schema + "." + target->name;
  }

  // PRIMARY KEY (a, b) / UNIQUE (a): the index built concurrently, then the constraint made
  // from it. False when the definition has more than the index can carry.
  bool add_key_online(const Table& table, const Constraint& constraint) {
    const std::string& definition = constraint.definition;
    const std::string opener = constraint.type == 'p' ? "PRIMARY KEY (" : "UNIQUE (";
    if (!definition.starts_with(opener)) {
      return false;
    }
    const std::size_t close = definition.find(')');
    std::string rest = definition.substr(close + 1);
    std::string index_tail;
    std::string constraint_tail;
    if (rest.starts_with(" INCLUDE (")) {
      const std::size_t end = rest.find(')');
      index_tail = rest.substr(0, end + 1);
      rest = rest.substr(end + 1);
    }
    if (!rest.empty() && !rest.starts_with(" DEFERRABLE") && !rest.starts_with(" NOT DEFERRABLE")) {
      return false;
    }
    constraint_tail = rest;
    const std::string columns = definition.substr(opener.size() - 1, close - opener.size() + 2);
    const std::string schema_part =
        table.ident.substr(0, table.ident.size() - (table.ident.size() - table.ident.find('.')));
    const std::string index_ident = schema_part + "." + constraint.ident;
    const std::string qualified = table.schema + "." + table.name + "." + constraint.name;
    step(Phase::online, "build the index of constraint " + qualified + " concurrently",
         {"CREATE UNIQUE INDEX CONCURRENTLY " + constraint.ident + " ON " + table.ident + " " +
          columns + index_tail + ";"},
         {"DROP INDEX CONCURRENTLY IF EXISTS " + index_ident + ";"});
    step(Phase::online, "add constraint " + qualified + " from its index",
         {"ALTER TABLE " + table.ident + " ADD CONSTRAINT " + constraint.ident +
          (constraint.type == 'p' ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
          constraint.ident + constraint_tail + ";"},
         {"ALTER TABLE " + table.ident + " DROP CONSTRAINT " + constraint.ident + ";",
          "CREATE UNIQUE INDEX CONCURRENTLY " + constraint.ident + " ON " + table.ident + " " +
              columns + index_tail + ";"});
    return true;
  }

  // ---- tier 9, 11: indexes -----------------------------------------------------------------

  void create_indexes(bool of_views) {
    for (const std::string& key : m_new_indexes) {
      const Index& index = m_to.indexes.at(key);
      if (m_to.views.contains(index.table_key) != of_views) {
        continue;
      }
      Strings up = piece(m_to_sql, "index", index.ident);
      const auto table = m_to.tables.find(index.table_key);
      if (!of_views && existing(index.table_key) && !table->second.partitioned) {
        for (std::string& statement : up) {
          replace_all(statement, "CREATE INDEX ", "CREATE INDEX CONCURRENTLY ");
          replace_all(statement, "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX CONCURRENTLY ");
        }
        m_online_targets.insert("INDEX " + index.ident);
        step(Phase::online, "create index " + key + " concurrently", up,
             {"DROP INDEX CONCURRENTLY IF EXISTS " + index.ident + ";"});
        continue;
      }
      std::vector<Accepted> accepted;
      if (!of_views && existing(index.table_key)) {
        accepted.push_back({"PG101", "a partitioned table's index cannot be built concurrently"});
      }
      const bool online = m_online_objects.contains(index.table_key);
      if (online) {
        m_online_targets.insert("INDEX " + index.ident);
      }
      step(online ? Phase::online : Phase::transactional, "create index " + key, up,
           {"DROP INDEX " + index.ident + ";"}, accepted);
    }
  }

  // ---- tier 10: views and the functions that read them -------------------------------------

  void create_views() {
    const std::set<std::string> late = functions_after_views(m_to);
    std::map<std::string, Strings> edges;
    for (const std::string& key : m_new_views) {
      edges[key] = m_to.views.at(key).depends_on;
    }
    for (const std::string& key : m_replaced_views) {
      edges[key] = m_to.views.at(key).depends_on;
    }
    for (const std::string& key : late) {
      if (m_new_functions.contains(key)) {
        edges[key] = m_to.functions.at(key).depends_on;
      }
    }
    for (const std::string& key : dependency_order(edges)) {
      if (!m_to.views.contains(key)) {
        const Function& function = m_to.functions.at(key);
        const bool online = waits_online(function.depends_on, function.definition);
        if (online) {
          m_online_objects.insert(key);
          m_online_targets.insert(function_comment_target(function));
        }
        create_function(key, online ? Phase::online : Phase::transactional);
        continue;
      }
      const View& view = m_to.views.at(key);
      Strings up = piece(m_to_sql, view.materialized ? "materialized view" : "view", view.ident);
      const bool online = waits_online(view.depends_on, view.definition);
      if (online) {
        m_online_objects.insert(key);
        m_online_targets.insert((view.materialized ? "MATERIALIZED VIEW " : "VIEW ") + view.ident);
        m_online_prefixes.push_back("COLUMN " + view.ident + ".");
      }
      const Phase phase = online ? Phase::online : Phase::transactional;
      if (m_replaced_views.contains(key)) {
        replace_view(key, up, phase);
        continue;
      }
      step(phase, "create " + std::string(view.materialized ? "materialized view " : "view ") + key,
           up,
           {"DROP " + std::string(view.materialized ? "MATERIALIZED VIEW " : "VIEW ") + view.ident +
            ";"});
    }
  }

  // Whether a view's new definition only appends columns to its old one, the rest the same:
  // what CREATE OR REPLACE VIEW can do, keeping the views over it.
  static bool appends_columns(const View& a, const View& b) {
    if (a.materialized || b.materialized || a.options != b.options) {
      return false;
    }
    const std::string& old = a.definition;
    const std::string& now = b.definition;
    const std::size_t from = old.find("\n   FROM ");
    const std::string head = old.substr(0, from);
    const std::string rest = from == std::string::npos ? std::string() : old.substr(from);
    const std::string joint = ",\n    ";
    if (!now.starts_with(head + joint) || !now.ends_with(rest) ||
        now.size() <= head.size() + joint.size() + rest.size()) {
      return false;
    }
    const std::string added_part = now.substr(
        head.size() + joint.size(), now.size() - head.size() - joint.size() - rest.size());
    return added_part.find("\n   FROM ") == std::string::npos &&
           added_part.find("\nUNION") == std::string::npos;
  }

  // The views (and functions reading views) that depend on `key` in `from`, transitively, in
  // the order they are created, without those the plan drops anyway.
  Strings dependants_in_from(const std::string& key) const {
    const Schema& from = m_from_ref();
    std::set<std::string> found = {key};
    for (bool grew = true; grew;) {
      grew = false;
      auto visit = [&](const std::string& candidate, const Strings& depends_on) {
        if (found.contains(candidate) || m_gone_views.contains(candidate) ||
            m_gone_functions.contains(candidate)) {
          return;
        }
        for (const std::string& dep : depends_on) {
          if (found.contains(dep)) {
            found.insert(candidate);
            grew = true;
            return;
          }
        }
      };
      for (const auto& [candidate, view] : from.views) {
        visit(candidate, view.depends_on);
      }
      for (const auto& [candidate, function] : from.functions) {
        visit(candidate, function.depends_on);
      }
    }
    found.erase(key);
    std::map<std::string, Strings> edges;
    for (const std::string& candidate : found) {
      const auto view = from.views.find(candidate);
      edges[candidate] = view != from.views.end() ? view->second.depends_on
                                                  : from.functions.at(candidate).depends_on;
    }
    return dependency_order(edges);
  }

  // CREATE OR REPLACE VIEW for a view that gains columns at its end. No column comes off a
  // view in place: the undo drops it with what reads it and creates them again as they were.
  void replace_view(const std::string& key, Strings up, Phase phase) {
    const Schema& from = m_from_ref();
    for (std::string& statement : up) {
      if (statement.starts_with("CREATE VIEW ")) {
        statement.replace(0, 11, "CREATE OR REPLACE VIEW");
      }
    }
    const View& before = from.views.at(key);
    const Strings readers = dependants_in_from(key);
    Strings down;
    for (auto it = readers.rbegin(); it != readers.rend(); ++it) {
      if (const auto view = from.views.find(*it); view != from.views.end()) {
        down.push_back(std::string("DROP ") +
                       (view->second.materialized ? "MATERIALIZED VIEW " : "VIEW ") +
                       view->second.ident + ";");
      } else {
        const Function& function = from.functions.at(*it);
        down.push_back(std::string("DROP ") + (function.procedure ? "PROCEDURE " : "FUNCTION ") +
                       function.ident + ";");
      }
    }
    down.push_back("DROP VIEW " + before.ident + ";");
    Strings recreate = {key};
    recreate.insert(recreate.end(), readers.begin(), readers.end());
    for (const std::string& name : recreate) {
      if (const auto view = from.views.find(name); view != from.views.end()) {
        const View& v = view->second;
        const std::string kind = v.materialized ? "MATERIALIZED VIEW" : "VIEW";
        append(down, piece(m_from_sql, v.materialized ? "materialized view" : "view", v.ident));
        append(down, comments_on({kind + " " + v.ident}, "COLUMN " + v.ident + "."));
        for (const auto& [index_key, index] : from.indexes) {
          if (index.table_key == name && !m_gone_indexes.contains(index_key)) {
            append(down, piece(m_from_sql, "index", index.ident));
            append(down, comments_on({"INDEX " + index.ident}));
          }
        }
        for (const auto& [trigger_key, trigger] : from.triggers) {
          if (trigger.table_key == name && !m_gone_triggers.contains(trigger_key)) {
            const std::string trigger_name = trigger.ident + " ON " + trigger.table;
            append(down, piece(m_from_sql, "trigger", trigger_name));
            append(down, comments_on({"TRIGGER " + trigger_name}));
          }
        }
      } else {
        const Function& function = from.functions.at(name);
        down.push_back(function.definition + ";");
        append(down, comments_on({function_comment_target(function)}));
      }
    }
    step(phase, "add columns to view " + key, up, down);
  }

  // ---- tier 12, 13: triggers, policies -----------------------------------------------------

  static std::string trigger_state(char enabled) {
    return enabled == 'D'   ? "DISABLE"
           : enabled == 'R' ? "ENABLE REPLICA"
           : enabled == 'A' ? "ENABLE ALWAYS"
                            : "ENABLE";
  }

  void create_triggers() {
    for (const std::string& key : m_new_triggers) {
      const Trigger& trigger = m_to.triggers.at(key);
      const std::string name = trigger.ident + " ON " + trigger.table;
      const bool online = waits_online({trigger.table_key}, trigger.definition);
      if (online) {
        m_online_targets.insert("TRIGGER " + name);
      }
      step(online ? Phase::online : Phase::transactional, "create trigger " + key,
           piece(m_to_sql, "trigger", name), {"DROP TRIGGER " + name + ";"});
    }
    for (const auto& entry : m_to.triggers) {
      const std::string& key = entry.first;
      const Trigger& trigger = entry.second;
      const auto* changes = attrs("trigger", key);
      if (m_new_triggers.contains(key) || changes == nullptr || !changes->contains("enabled")) {
        continue;
      }
      const Trigger& before = m_from_ref().triggers.at(key);
      auto set = [&](char enabled) {
        return "ALTER TABLE " + trigger.table + " " + trigger_state(enabled) + " TRIGGER " +
               trigger.ident + ";";
      };
      tx("trigger " + key + " " + trigger_state(trigger.enabled), {set(trigger.enabled)},
         {set(before.enabled)});
    }
  }

  void create_policies() {
    for (const std::string& key : m_new_policies) {
      const Policy& policy = m_to.policies.at(key);
      const std::string name = policy.ident + " ON " + policy.table;
      const bool online = waits_online({}, policy.using_expr + " " + policy.check_expr);
      if (online) {
        m_online_targets.insert("POLICY " + name);
      }
      step(online ? Phase::online : Phase::transactional, "create policy " + key,
           piece(m_to_sql, "policy", name), {"DROP POLICY " + name + ";"});
    }
  }

  // ---- tier 14: comments -------------------------------------------------------------------

  // Whether a comment's target is on an object this plan creates (or creates again): its
  // comment comes with it.
  bool on_new_object(const std::string& target) const {
    for (const std::string& key : m_new_tables) {
      const std::string& ident = m_to.tables.at(key).ident;
      if (target == "TABLE " + ident || target.starts_with("COLUMN " + ident + ".") ||
          target.ends_with(" ON " + ident)) {
        return true;
      }
    }
    for (const std::string& key : m_new_views) {
      const View& view = m_to.views.at(key);
      if (target == (view.materialized ? "MATERIALIZED VIEW " : "VIEW ") + view.ident ||
          target.starts_with("COLUMN " + view.ident + ".") ||
          target.ends_with(" ON " + view.ident)) {
        return true;
      }
    }
    for (const std::string& key : m_new_functions) {
      if (target == function_comment_target(m_to.functions.at(key))) {
        return true;
      }
    }
    for (const std::string& key : m_new_indexes) {
      if (target == "INDEX " + m_to.indexes.at(key).ident) {
        return true;
      }
    }
    for (const std::string& key : m_new_triggers) {
      const Trigger& trigger = m_to.triggers.at(key);
      if (target == "TRIGGER " + trigger.ident + " ON " + trigger.table) {
        return true;
      }
    }
    for (const std::string& key : m_new_policies) {
      const Policy& policy = m_to.policies.at(key);
      if (target == "POLICY " + policy.ident + " ON " + policy.table) {
        return true;
      }
    }
    for (const std::string& qualified : m_new_constraints) {
      const auto [table, constraint] = constraint_at(m_to, qualified);
      if (target == "CONSTRAINT " + constraint->ident + " ON " + table->ident) {
        return true;
      }
    }
    return false;
  }

  // Whether a comment's target is on an object the plan drops and does not create again: it
  // goes with it, and comes back with the object's undo.
  bool on_gone_object(const std::string& target) const {
    const Schema& from = m_from_ref();
    for (const std::string& key : m_gone_tables) {
      const std::string& ident = from.tables.at(key).ident;
      if (target == "TABLE " + ident || target.starts_with("COLUMN " + ident + ".") ||
          target.ends_with(" ON " + ident)) {
        return true;
      }
    }
    for (const std::string& key : m_gone_views) {
      const View& view = from.views.at(key);
      if (target == (view.materialized ? "MATERIALIZED VIEW " : "VIEW ") + view.ident ||
          target.starts_with("COLUMN " + view.ident + ".") ||
          target.ends_with(" ON " + view.ident)) {
        return true;
      }
    }
    for (const std::string& key : m_gone_functions) {
      if (target == function_comment_target(from.functions.at(key))) {
        return true;
      }
    }
    for (const std::string& key : m_gone_indexes) {
      if (target == "INDEX " + from.indexes.at(key).ident) {
        return true;
      }
    }
    for (const std::string& key : m_gone_triggers) {
      const Trigger& trigger = from.triggers.at(key);
      if (target == "TRIGGER " + trigger.ident + " ON " + trigger.table) {
        return true;
      }
    }
    for (const std::string& key : m_gone_policies) {
      const Policy& policy = from.policies.at(key);
      if (target == "POLICY " + policy.ident + " ON " + policy.table) {
        return true;
      }
    }
    for (const std::string& qualified : m_gone_constraints) {
      const auto [table, constraint] = constraint_at(from, qualified);
      if (target == "CONSTRAINT " + constraint->ident + " ON " + table->ident) {
        return true;
      }
    }
    // What a removed object of another kind had: schemas, types, sequences, columns, ...
    // those drops restore their comments themselves.
    for (const Change& change : m_diff.changes) {
      if (change.kind == ChangeKind::removed && change.object == "column") {
        const std::string& name = change.name;
        for (const auto& [key, table] : from.tables) {
          if (name.starts_with(key + ".")) {
            for (const Column& column : table.columns) {
              if (key + "." + column.name == name &&
                  target == "COLUMN " + table.ident + "." + column.ident) {
                return true;
              }
            }
          }
        }
      }
    }
    return removed_target(target);
  }

  bool removed_target(const std::string& target) const {
    const Schema& from = m_from_ref();
    for (const auto& [name, ident] : from.schemas) {
      if (target == "SCHEMA " + ident && removed("schema", name)) {
        return true;
      }
    }
    for (const auto& [key, sequence] : from.sequences) {
      if (target == "SEQUENCE " + sequence.ident && !m_to.sequences.contains(key)) {
        return true;
      }
    }
    for (const auto& [key, type] : from.enums) {
      if (target == "TYPE " + type.ident && !m_to.enums.contains(key)) {
        return true;
      }
    }
    for (const auto& [key, type] : from.composites) {
      if ((target == "TYPE " + type.ident || target.starts_with("COLUMN " + type.ident + ".")) &&
          !m_to.composites.contains(key)) {
        return true;
      }
    }
    for (const auto& [key, domain] : from.domains) {
      if (target == "DOMAIN " + domain.ident && removed("domain", key)) {
        return true;
      }
    }
    for (const auto& [key, extension] : from.extensions) {
      if (target == "EXTENSION " + extension.ident && removed("extension", key)) {
        return true;
      }
    }
    return false;
  }

  void comments() {
    const Schema& from = m_from_ref();
    std::set<std::string> targets;
    for (const auto& [target, text] : from.comments) {
      targets.insert(target);
    }
    for (const auto& [target, text] : m_to.comments) {
      targets.insert(target);
    }
    for (const std::string& target : targets) {
      const auto before = from.comments.find(target);
      const auto after = m_to.comments.find(target);
      const std::string was = before == from.comments.end() ? "NULL" : before->second;
      const std::string wanted = after == m_to.comments.end() ? "NULL" : after->second;
      if (target.starts_with("EXTENSION ") &&
          (before == from.comments.end() || after == m_to.comments.end())) {
        continue;
      }
      if (on_new_object(target)) {
        // An object made online takes its comment after it, online too.
        if (after != m_to.comments.end()) {
          const bool online =
              m_online_targets.contains(target) ||
              std::any_of(m_online_prefixes.begin(), m_online_prefixes.end(),
                          [&](const std::string& prefix) { return target.starts_with(prefix); });
          step(online ? Phase::online : Phase::transactional, "comment on " + target,
               {"COMMENT ON " + target + " IS " + wanted + ";"}, {});
        }
        continue;
      }
      if (after == m_to.comments.end() && on_gone_object(target)) {
        continue;
      }
      const bool differs =
          changed("comment", target) || added("comment", target) || removed("comment", target);
      if (differs && was != wanted) {
        tx("comment on " + target, {"COMMENT ON " + target + " IS " + wanted + ";"},
           {"COMMENT ON " + target + " IS " + was + ";"});
      }
    }
  }

  const Schema& m_from_ref() const { return m_from_ptr != nullptr ? *m_from_ptr : m_from; }

  const Schema& m_from;
  const Schema& m_to;
  const PlanOptions& m_options;
  Schema m_renamed;
  Schema m_from_storage;
  const Schema* m_from_ptr = nullptr;
  std::map<std::string, std::string> m_from_sql;
  std::map<std::string, std::string> m_to_sql;
  Diff m_diff;
  std::set<std::string> m_added;
  std::set<std::string> m_removed;
  std::map<std::string, std::set<std::string>> m_attrs;

  std::set<std::string> m_gone_tables, m_new_tables;
  std::set<std::string> m_gone_constraints, m_new_constraints;
  std::set<std::string> m_gone_indexes, m_new_indexes;
  // Indexes that must go before a function they call does, in the transaction.
  std::set<std::string> m_indexes_in_transaction;
  std::set<std::string> m_gone_views, m_new_views;
  std::set<std::string> m_replaced_views;  // CREATE OR REPLACE: columns appended
  std::set<std::string> m_gone_functions, m_new_functions, m_replaced_functions;
  std::set<std::string> m_gone_triggers, m_new_triggers;
  std::set<std::string> m_gone_policies, m_new_policies;
  std::set<std::string> m_gone_defaults, m_new_defaults;
  std::set<std::string> m_rebuilt_enums;
  std::set<std::string> m_enum_recast_columns;
  std::set<std::string> m_rebuilt_columns;  // their defaults set by the type's rebuild
  Strings m_new_labels;                     // "'label'::type" as defaults and views spell a use
  Strings m_function_drop_order;
  bool m_all_online = false;
  std::set<std::string> m_online_targets;  // comment targets of objects made online
  Strings m_online_prefixes;               // "COLUMN view." of views made online
  std::set<std::string> m_online_objects;  // views and functions made online

  std::vector<Step> m_tx;
  std::vector<Step> m_online;
  Plan m_plan;
};

}  // namespace

Plan plan(const Schema& from, const Schema& to, const PlanOptions& options) {
  if (from.flavor == Flavor::sqlite) {
    return plan_sqlite(from, to, options);
  }
  return Planner(from, to, options).run();
}

}  // namespace retort::schema
