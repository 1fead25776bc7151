// SQLite's planner: ALTER TABLE where SQLite can, else the table rebuild.
//
// SQLite has no server renderer: the model keeps each object's CREATE text as the user wrote
// it, and diff() compares a table's text when nothing else about it differs. So a table
// change converges only when the database ends up holding the declared text itself. Two
// recipes do that: ALTER TABLE ADD COLUMN, when the text SQLite splices in is exactly the
// declared one, and the rebuild, which creates the table from the declared text verbatim.
//
// The rebuild is not the rename-based 12 steps of lang_altertable.html: those need
// PRAGMA foreign_keys=OFF, which is a no-op inside the revision's transaction, and retort
// connects with foreign keys on. There, dropping a table that other tables reference deletes
// its rows first, firing their ON DELETE actions and counting a violation for every row that
// referenced it. So the rows wait in a temporary table while the old table is dropped and the
// new one created under its own name; copying them back into it takes those violations off
// the count again (PRAGMA defer_foreign_keys keeps them from failing before), and no RENAME
// rewrites other tables, views or triggers on the way. A table whose foreign key acts on
// deletes (CASCADE, SET NULL, SET DEFAULT) is rebuilt along, as it is, and dropped first, so
// that no action changes its rows.
#include "base/identifier.hpp"
#include "retort/error.hpp"
#include "schema/diff.hpp"
#include "schema/plan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retort::schema {

namespace {

std::string quote(std::string_view name) {
  return base::quote_identifier(name, base::Dialect::sqlite);
}

std::string literal(std::string_view text) { return base::quote_literal(text); }

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool same_name(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

// One token of SQLite text: a word or quoted name (`ident`, unquoted in `name`), or any other
// character; whitespace and comments are skipped.
struct Token {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool ident = false;
  bool quoted = false;
  std::string name;  // an identifier's name; for anything else its text
};

std::vector<Token> tokens(std::string_view sql) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      const std::size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '"' || c == '`' || c == '\'' || c == '[') {
      const char close = c == '[' ? ']' : c;
      Token token{i, i, c != '\'', true, {}};
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == close) {
          if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
            token.name += close;
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        token.name += sql[j++];
      }
      token.end = j;
      if (!token.ident) {
        token.name = std::string(sql.substr(i, j - i));
      }
      out.push_back(std::move(token));
      i = j;
    } else if (is_word(c)) {
      std::size_t j = i;
      while (j < sql.size() && is_word(sql[j])) {
        ++j;
      }
      out.push_back({i, j, true, false, std::string(sql.substr(i, j - i))});
      i = j;
    } else {
      out.push_back({i, i + 1, false, false, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

// The parts of a CREATE TABLE text: its top-level items (column definitions and table
// constraints, each a [begin, end) span) and where SQLite's ALTER TABLE ADD COLUMN splices a
// new column in (the comma before the first table constraint, else the closing parenthesis:
// Table.addColOffset in SQLite's build.c).
struct TableText {
  std::vector<std::pair<std::size_t, std::size_t>> items;
  std::vector<std::string> item_names;  // the first word of each item
  std::size_t add_offset = std::string::npos;
  bool without_rowid = false;
  bool autoincrement = false;
};

bool constraint_word(const std::string& word) {
  const std::string w = upper(word);
  return w == "CONSTRAINT" || w == "PRIMARY" || w == "UNIQUE" || w == "CHECK" || w == "FOREIGN";
}

TableText table_text(std::string_view sql) {
  TableText out;
  const std::vector<Token> all = tokens(sql);
  std::size_t k = 0;
  // CREATE [TEMP] TABLE [IF NOT EXISTS] [schema.]name (
  while (k < all.size() && (all[k].quoted || all[k].name != "(")) {
    ++k;
  }
  int depth = 0;
  std::size_t item_begin = k < all.size() ? all[k].end : sql.size();
  std::optional<std::string> first_word;
  auto close_item = [&](std::size_t end) {
    out.items.emplace_back(item_begin, end);
    out.item_names.push_back(first_word.value_or(std::string()));
    first_word.reset();
  };
  for (; k < all.size(); ++k) {
    const Token& token = all[k];
    if (token.name == "(" && !token.quoted) {
      ++depth;
      continue;
    }
    if (token.name == ")" && !token.quoted) {
      if (--depth == 0) {
        close_item(token.begin);
        if (out.add_offset == std::string::npos) {
          out.add_offset = token.begin;
        }
        ++k;
        break;
      }
      continue;
    }
    if (depth != 1) {
      continue;
    }
    if (token.name == "," && !token.quoted) {
      close_item(token.begin);
      item_begin = token.end;
      continue;
    }
    if (!first_word) {
      first_word = token.name;
      if (!token.quoted && constraint_word(token.name) && out.add_offset == std::string::npos &&
          !out.items.empty()) {
        // The comma that ended the previous item.
        out.add_offset = out.items.back().second;
      }
    }
  }
  for (; k < all.size(); ++k) {
    if (all[k].ident && !all[k].quoted && upper(all[k].name) == "WITHOUT") {
      out.without_rowid = true;
    }
  }
  for (const Token& token : all) {
    if (token.ident && !token.quoted && upper(token.name) == "AUTOINCREMENT") {
      out.autoincrement = true;
    }
  }
  return out;
}

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])) != 0) {
    ++begin;
  }
  while (end > begin &&
         (std::isspace(static_cast<unsigned char>(text[end - 1])) != 0 || text[end - 1] == ';')) {
    --end;
  }
  return std::string(text.substr(begin, end - begin));
}

// The declared text of column `name` in a CREATE TABLE text; empty when not found.
std::string column_definition(const std::string& sql, const std::string& name) {
  const TableText parsed = table_text(sql);
  for (std::size_t i = 0; i < parsed.items.size(); ++i) {
    if (same_name(parsed.item_names[i], name)) {
      const auto [begin, end] = parsed.items[i];
      return trim(std::string_view(sql).substr(begin, end - begin));
    }
  }
  return {};
}

// What SQLite's ALTER TABLE ADD COLUMN leaves in sqlite_schema: the definition spliced in
// with ", " at the add offset (alter.c, sqlite3AlterFinishAddColumn).
std::optional<std::string> after_add_column(const std::string& sql, const std::string& definition) {
  const TableText parsed = table_text(sql);
  if (parsed.add_offset == std::string::npos) {
    return std::nullopt;
  }
  return sql.substr(0, parsed.add_offset) + ", " + definition + sql.substr(parsed.add_offset);
}

// Whether ALTER TABLE ADD COLUMN takes this column (lang_altertable.html#altertabaddcol), and
// ALTER TABLE DROP COLUMN takes it back (no key, index, foreign key or generated use of it).
bool addable(const Column& column, const std::string& definition) {
  if (!column.generated.empty()) {
    return false;
  }
  for (const Token& token : tokens(definition)) {
    if (token.quoted) {
      continue;
    }
    const std::string word = upper(token.name);
    if (word == "PRIMARY" || word == "UNIQUE" || word == "REFERENCES" || word == "GENERATED" ||
        word == "AS") {
      return false;
    }
  }
  const std::string default_word = upper(column.default_expr);
  if (default_word.starts_with("(") || default_word.starts_with("CURRENT_")) {
    return false;
  }
  if (column.not_null && (column.default_expr.empty() || default_word == "NULL")) {
    return false;
  }
  return true;
}

// SQLite's type affinity of a declared type (datatype3.html, 3.1).
std::string affinity(const std::string& type) {
  const std::string t = upper(type);
  if (t.find("INT") != std::string::npos) {
    return "INTEGER";
  }
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos) {
    return "TEXT";
  }
  if (t.empty() || t.find("BLOB") != std::string::npos) {
    return "BLOB";
  }
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos) {
    return "REAL";
  }
  return "NUMERIC";
}

// The name of a table a foreign key definition references and its ON DELETE action, as the
// reader builds the definition: FOREIGN KEY (..) REFERENCES "p" (..) ON UPDATE x ON DELETE y.
std::pair<std::string, std::string> reference(const std::string& definition) {
  const std::vector<Token> all = tokens(definition);
  std::string table;
  std::string on_delete;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!all[i].quoted && upper(all[i].name) == "REFERENCES" && i + 1 < all.size()) {
      table = all[i + 1].name;
    }
    if (!all[i].quoted && upper(all[i].name) == "DELETE") {
      for (std::size_t j = i + 1; j < all.size(); ++j) {
        on_delete += (on_delete.empty() ? "" : " ") + upper(all[j].name);
      }
      break;
    }
  }
  return {table, on_delete};
}

// Whether `sql` names `name` as a word or quoted name.
bool mentions(const std::string& sql, const std::string& name) {
  const std::vector<Token> all = tokens(sql);
  return std::any_of(all.begin(), all.end(), [&](const Token& token) {
    return token.ident && same_name(token.name, name);
  });
}

// `sql` with every word or quoted name equal to `from` written as `to`, as SQLite's RENAME
// rewrites references: a bare word stays bare when the new name may be, a quoted one is
// quoted with double quotes (alter.c, renameEditSql).
std::string rename_in(const std::string& sql, const std::string& from, const std::string& to) {
  std::string out;
  std::size_t at = 0;
  for (const Token& token : tokens(sql)) {
    if (!token.ident || !same_name(token.name, from)) {
      continue;
    }
    out += sql.substr(at, token.begin - at);
    out += token.quoted ? base::delimited_identifier(to) : quote(to);
    at = token.end;
  }
  return out + sql.substr(at);
}

std::string with_semicolon(const std::string& sql) {
  const std::string text = trim(sql);
  return text + ";";
}

class Planner {
 public:
  Planner(const Schema& from, const Schema& to, const PlanOptions& options)
      : m_cur(from), m_to(to), m_options(options) {}

  Plan run() {
    renames();
    classify();
    drop_dependents();
    table_renames();
    create_tables();
    change_tables();
    drop_tables();
    create_views();
    create_indexes();
    create_triggers();
    for (const Hazard& hazard : m_plan.hazards) {
      if (!m_options.allow_hazards.contains(hazard.code)) {
        m_plan.refused.push_back(hazard);
      }
    }
    return std::move(m_plan);
  }

 private:
  // --- ignore -------------------------------------------------------------------------------

  bool ignored(const std::string& object, const std::string& key) const {
    // As diff() names SQLite objects, or with the "main." a user may write.
    return schema::ignored(m_options.ignore, object, key) ||
           schema::ignored(m_options.ignore, object, "main." + key);
  }
  bool table_ignored(const std::string& key) const { return ignored("table", key); }

  // --- renames ------------------------------------------------------------------------------

  // A name as the user may give it: "main.users" or "users".
  static std::string bare(const std::string& name) {
    return name.starts_with("main.") ? name.substr(5) : name;
  }

  // Table renames first, so that a column's rename may name its table by either name.
  void renames() {
    std::vector<std::pair<std::string, std::string>> columns;
    for (const auto& [old_name, new_name] : m_options.renames) {
      const std::string a = bare(old_name);
      const std::string b = bare(new_name);
      if (m_cur.tables.contains(a) && !m_cur.tables.contains(b) && m_to.tables.contains(b) &&
          !m_to.tables.contains(a)) {
        m_table_renames.emplace_back(a, b);
      } else {
        columns.emplace_back(old_name, new_name);
      }
    }
    const auto has_column = [](const Schema& schema, const std::string& table,
                               const std::string& column) {
      const auto found = schema.tables.find(table);
      return found != schema.tables.end() &&
             std::any_of(found->second.columns.begin(), found->second.columns.end(),
                         [&](const Column& c) { return c.name == column; });
    };
    for (const auto& [old_name, new_name] : columns) {
      const std::string a = bare(old_name);
      const std::string b = bare(new_name);
      const std::size_t dot_a = a.rfind('.');
      const std::size_t dot_b = b.rfind('.');
      if (dot_a != std::string::npos && dot_b != std::string::npos) {
        const std::string table_a = a.substr(0, dot_a);
        const std::string table_b = b.substr(0, dot_b);
        // The column's table under its name after the table renames.
        std::string table_now = table_a;
        for (const auto& [x, y] : m_table_renames) {
          if (x == table_a) {
            table_now = y;
          }
        }
        if (has_column(m_cur, table_a, a.substr(dot_a + 1)) && table_now == table_b &&
            has_column(m_to, table_b, b.substr(dot_b + 1))) {
          m_column_renames.push_back({table_a, a.substr(dot_a + 1), b.substr(dot_b + 1)});
          continue;
        }
      }
      throw Error(ExitCode::input,
                  "--rename " + old_name + "=" + new_name +
                      ": no such table or column to rename (SQLite names tables as "
                      "main.table or table, columns as main.table.column)");
    }
  }

  // --- what changes -------------------------------------------------------------------------

  // Which views, indexes and triggers go (removed or changed) and come (added or changed).
  void classify() {
    for (const auto& [key, view] : m_cur.views) {
      const auto other = m_to.views.find(key);
      if (ignored("view", key)) {
        continue;
      }
      if (other == m_to.views.end() || other->second.definition != view.definition) {
        m_views_out.insert(key);
      }
    }
    for (const auto& [key, view] : m_to.views) {
      const auto other = m_cur.views.find(key);
      if (!ignored("view", key) &&
          (other == m_cur.views.end() || other->second.definition != view.definition)) {
        m_views_in.insert(key);
      }
    }
    // A view that reads a replaced view goes and comes with it: SQLite re-reads every view
    // on ALTER TABLE and fails on one naming a view that is gone.
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [key, view] : m_cur.views) {
        if (m_views_out.contains(key) || ignored("view", key)) {
          continue;
        }
        for (const std::string& gone : std::set<std::string>(m_views_out)) {
          if (mentions(view.definition, gone)) {
            m_views_out.insert(key);
            if (m_to.views.contains(key)) {
              m_views_in.insert(key);
            }
            grew = true;
            break;
          }
        }
      }
    }
    for (const auto& [key, index] : m_cur.indexes) {
      if (table_ignored(index.table_key) || ignored("index", key)) {
        continue;
      }
      const auto other = m_to.indexes.find(key);
      if (other == m_to.indexes.end() || other->second.definition != index.definition) {
        m_indexes_out.insert(key);
      }
    }
    for (const auto& [key, index] : m_to.indexes) {
      if (table_ignored(index.table_key) || ignored("index", key)) {
        continue;
      }
      const auto other = m_cur.indexes.find(key);
      if (other == m_cur.indexes.end() || other->second.definition != index.definition) {
        m_indexes_in.insert(key);
      }
    }
    for (const auto& [key, trigger] : m_cur.triggers) {
      if (table_ignored(trigger.table_key) || ignored("trigger", key)) {
        continue;
      }
      const auto other = m_to.triggers.find(key);
      // A trigger on a replaced view goes with it.
      if (other == m_to.triggers.end() || other->second.definition != trigger.definition ||
          m_views_out.contains(trigger.table_key)) {
        m_triggers_out.insert(key);
      }
    }
    for (const auto& [key, trigger] : m_to.triggers) {
      if (table_ignored(trigger.table_key) || ignored("trigger", key)) {
        continue;
      }
      const auto other = m_cur.triggers.find(key);
      if (other == m_cur.triggers.end() || other->second.definition != trigger.definition ||
          m_views_in.contains(trigger.table_key)) {
        m_triggers_in.insert(key);
      }
    }
    std::set<std::string> renamed_from;
    for (const auto& [a, b] : m_table_renames) {
      renamed_from.insert(a);
    }
    for (const auto& [key, table] : m_cur.tables) {
      if (!m_to.tables.contains(key) && !renamed_from.contains(key) && !table_ignored(key)) {
        m_tables_out.insert(key);
      }
    }
  }

  // --- steps --------------------------------------------------------------------------------

  void add(Step step) { m_plan.steps.push_back(std::move(step)); }

  void hazard(std::string code, std::string object, std::string why) {
    Hazard found{std::move(code), std::move(object), std::move(why)};
    if (std::find(m_plan.hazards.begin(), m_plan.hazards.end(), found) == m_plan.hazards.end()) {
      m_plan.hazards.push_back(std::move(found));
    }
  }

  // Views in the order they can be created: one after the views it names.
  std::vector<std::string> view_order(const Schema& schema, const std::set<std::string>& keys) {
    std::vector<std::string> order;
    std::set<std::string> placed;
    std::function<void(const std::string&, int)> place = [&](const std::string& key, int depth) {
      if (placed.contains(key) || depth > 64) {
        return;
      }
      const View& view = schema.views.at(key);
      for (const std::string& other : keys) {
        if (other != key && mentions(view.definition, other)) {
          place(other, depth + 1);
        }
      }
      if (placed.insert(key).second) {
        order.push_back(key);
      }
    };
    for (const std::string& key : keys) {
      place(key, 0);
    }
    return order;
  }

  Step drop_view(const View& view) {
    return {Phase::transactional,
            "drop view " + view.name,
            {"DROP VIEW " + quote(view.name) + ";"},
            {with_semicolon(view.definition)},
            {}};
  }
  Step create_view(const View& view) {
    return {Phase::transactional,
            "create view " + view.name,
            {with_semicolon(view.definition)},
            {"DROP VIEW " + quote(view.name) + ";"},
            {}};
  }

  // Views, triggers and indexes that go, before any table changes: ALTER TABLE re-reads the
  // schema and fails on a view or trigger naming what is no longer there.
  void drop_dependents() {
    std::vector<std::string> views = view_order(m_cur, m_views_out);
    std::reverse(views.begin(), views.end());
    for (const std::string& key : m_triggers_out) {
      const Trigger& trigger = m_cur.triggers.at(key);
      if (m_tables_out.contains(trigger.table_key)) {
        continue;  // goes with its table
      }
      add({Phase::transactional,
           "drop trigger " + trigger.name + " on " + trigger.table_key,
           {"DROP TRIGGER " + quote(trigger.name) + ";"},
           {with_semicolon(trigger.definition)},
           {}});
    }
    for (const std::string& key : views) {
      add(drop_view(m_cur.views.at(key)));
    }
    for (const std::string& key : m_indexes_out) {
      const Index& index = m_cur.indexes.at(key);
      if (m_tables_out.contains(index.table_key)) {
        continue;
      }
      add({Phase::transactional,
           "drop index " + index.name,
           {"DROP INDEX " + quote(index.name) + ";"},
           {with_semicolon(index.definition)},
           {}});
    }
    // What is left in the database, for the steps that follow; a dropped table's indexes and
    // triggers stay until its own step, whose undo puts them back.
    for (const std::string& key : m_views_out) {
      m_cur.views.erase(key);
    }
    for (const std::string& key : m_indexes_out) {
      if (!m_tables_out.contains(m_cur.indexes.at(key).table_key)) {
        m_cur.indexes.erase(key);
      }
    }
    for (const std::string& key : m_triggers_out) {
      if (!m_tables_out.contains(m_cur.triggers.at(key).table_key)) {
        m_cur.triggers.erase(key);
      }
    }
  }

  // A renamed table is rebuilt under its new name: SQLite's RENAME TO writes the new name in
  // double quotes into the table's text and into every reference to it, which is not the text
  // declared, and its undo would not give back the text it started from. Its columns renamed
  // too are copied into their new names.
  void table_renames() {
    for (const auto& table_rename : m_table_renames) {
      const std::string& a = table_rename.first;
      const std::string& b = table_rename.second;
      std::map<std::string, std::string> columns;  // new name -> old name
      for (const ColumnRename& rename : m_column_renames) {
        if (rename.table == a) {
          columns[rename.to] = rename.from;
        }
      }
      std::vector<Part> parts{{a, m_cur.tables.at(a), b, m_to.tables.at(b), columns, {}, {}}};
      // The tables whose foreign keys name it are rebuilt with it, to name its new name.
      for (const auto& [key, table] : m_cur.tables) {
        const auto target = m_to.tables.find(key);
        if (key == a || target == m_to.tables.end() || table_ignored(key)) {
          continue;
        }
        const bool refers =
            std::any_of(table.constraints.begin(), table.constraints.end(), [&](const auto& entry) {
              return entry.second.type == 'f' &&
                     same_name(reference(entry.second.definition).first, a);
            });
        if (refers) {
          std::map<std::string, std::string> child_columns;
          for (const ColumnRename& rename : m_column_renames) {
            if (rename.table == key) {
              child_columns[rename.to] = rename.from;
            }
          }
          parts.push_back({key, table, key, target->second, child_columns, {}, {}});
        }
      }
      rebuild(parts);
      for (const Part& part : parts) {
        m_cur.tables.erase(part.before_key);
        m_cur.tables[part.key] = part.after;
        m_rebuilt.insert(part.before_key);
      }
    }
    for (const ColumnRename& rename : m_column_renames) {
      if (m_rebuilt.contains(rename.table)) {
        continue;  // copied into its new name by the rebuild
      }
      Table& table = m_cur.tables.at(rename.table);
      const std::string key = rename.table;
      add({Phase::transactional,
           "rename column " + key + "." + rename.from + " to " + rename.to,
           {"ALTER TABLE " + quote(key) + " RENAME COLUMN " + quote(rename.from) + " TO " +
            quote(rename.to) + ";"},
           {"ALTER TABLE " + quote(key) + " RENAME COLUMN " + quote(rename.to) + " TO " +
            quote(rename.from) + ";"},
           {{"PG202", "the rename was asked for (--rename)"}}});
      // SQLite rewrites the column's name wherever the table's text names it.
      table.sql = rename_in(table.sql, rename.from, rename.to);
      for (Column& column : table.columns) {
        if (column.name == rename.from) {
          column.name = rename.to;
          column.ident = quote(rename.to);
        }
      }
    }
  }

  void create_tables() {
    for (const auto& [key, table] : m_to.tables) {
      if (m_cur.tables.contains(key) || table_ignored(key)) {
        continue;
      }
      add({Phase::transactional,
           "create table " + key,
           {with_semicolon(table.sql)},
           {"DROP TABLE " + quote(key) + ";"},
           {}});
      m_cur.tables[key] = table;
    }
  }

  static Schema only(const Table& table, const std::string& key) {
    Schema schema;
    schema.flavor = Flavor::sqlite;
    schema.tables.emplace(key, table);
    return schema;
  }

  void change_tables() {
    for (const auto& [key, after] : m_to.tables) {
      const auto found = m_cur.tables.find(key);
      if (found == m_cur.tables.end() || table_ignored(key)) {
        continue;
      }
      const Table& before = found->second;
      if (diff(only(before, key), only(after, key)).empty()) {
        continue;
      }
      if (!add_columns(key, before, after)) {
        rebuild({{key, before, key, after, {}, {}, {}}});
      }
      m_cur.tables[key] = after;
    }
  }

  // ALTER TABLE ADD COLUMN for each new column, when the columns are only added and the text
  // SQLite leaves is the declared one.
  bool add_columns(const std::string& key, const Table& before, const Table& after) {
    std::set<std::string> had;
    for (const Column& column : before.columns) {
      had.insert(column.name);
    }
    std::vector<std::pair<const Column*, std::string>> added;
    std::string text = before.sql;
    for (const Column& column : after.columns) {
      if (had.contains(column.name)) {
        continue;
      }
      const std::string definition = column_definition(after.sql, column.name);
      if (definition.empty() || !addable(column, definition)) {
        return false;
      }
      const std::optional<std::string> next = after_add_column(text, definition);
      if (!next) {
        return false;
      }
      text = *next;
      added.emplace_back(&column, definition);
    }
    if (added.empty() || text != after.sql) {
      // Said only when added columns are all that differs.
      Table without = after;
      std::erase_if(without.columns,
                    [&](const Column& column) { return !had.contains(column.name); });
      without.sql = before.sql;
      if (!added.empty() && added.size() + before.columns.size() == after.columns.size() &&
          diff(only(before, key), only(without, key)).empty()) {
        m_plan.notes.push_back(key +
                               ": the declared CREATE TABLE text is not the one ALTER TABLE ADD "
                               "COLUMN leaves, so the table is rebuilt (its rows copied); "
                               "declare the new columns last, each after \", \" before the "
                               "closing parenthesis, to add them in place");
      }
      return false;
    }
    for (const auto& [column, definition] : added) {
      add({Phase::transactional,
           "add column " + key + "." + column->name,
           {"ALTER TABLE " + quote(key) + " ADD COLUMN " + definition + ";"},
           {"ALTER TABLE " + quote(key) + " DROP COLUMN " + quote(column->name) + ";"},
           {}});
    }
    return true;
  }

  // One table of a rebuild: `before_key` holding `before` becomes `key` holding `after` (the
  // same table, or its new name), columns `renamed` (new name -> old name) copied across, and
  // the indexes and triggers the drop takes put back.
  struct Part {
    std::string before_key;
    Table before;
    std::string key;
    Table after;
    std::map<std::string, std::string> renamed;
    std::vector<std::string> indexes;
    std::vector<std::string> triggers;

    [[nodiscard]] Part reversed() const {
      std::map<std::string, std::string> back;
      for (const auto& [new_name, old_name] : renamed) {
        back[old_name] = new_name;
      }
      return {key, after, before_key, before, back, indexes, triggers};
    }
  };

  // The statements of a rebuild: every table's rows into a temporary table, the tables
  // dropped and created from their texts, the rows back, then their indexes and triggers.
  // Tables that reference each other go in one rebuild, so that a table is never written
  // while the table its foreign key names is missing (SQLite refuses that).
  static std::vector<std::string> rebuild_sql(const std::vector<Part>& parts) {
    struct Copy {
      std::string hold;
      std::string hold_sequence;
      std::string read;  // from the old table into the temporary one
      std::string held;  // from the temporary table
      std::string into;  // into the new table
      bool sequence = false;
    };
    std::vector<Copy> copies;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const Part& part = parts[i];
      Copy copy;
      const std::string suffix = i == 0 ? "" : "_" + std::to_string(i + 1);
      copy.hold = "temp.\"retort_rebuild" + suffix + "\"";
      copy.hold_sequence = "temp.\"retort_rebuild_sequence" + suffix + "\"";
      const TableText before_text = table_text(part.before.sql);
      const TableText after_text = table_text(part.after.sql);
      std::vector<std::string> copied;   // the columns read, as the old table names them
      std::vector<std::string> written;  // where they go
      for (const Column& column : part.after.columns) {
        const auto source = part.renamed.find(column.name);
        const std::string old_name = source == part.renamed.end() ? column.name : source->second;
        const auto same = std::find_if(part.before.columns.begin(), part.before.columns.end(),
                                       [&](const Column& c) { return c.name == old_name; });
        if (same != part.before.columns.end() && column.generated.empty() &&
            same->generated.empty()) {
          copied.push_back(quote(old_name));
          written.push_back(quote(column.name));
        }
      }
      auto names_rowid = [](const Table& t) {
        return std::any_of(t.columns.begin(), t.columns.end(), [](const Column& c) {
          const std::string name = upper(c.name);
          return name == "ROWID" || name == "_ROWID_" || name == "OID";
        });
      };
      // The rowid carries over too, as the application may keep it; where a column is the
      // rowid (INTEGER PRIMARY KEY), the column's own value, listed after it, wins.
      const bool rowid = !before_text.without_rowid && !after_text.without_rowid &&
                         !names_rowid(part.before) && !names_rowid(part.after);
      if (rowid) {
        copy.read = "rowid AS \"retort_rowid\"";
        copy.held = "\"retort_rowid\"";
        copy.into = "rowid";
      }
      for (std::size_t c = 0; c < copied.size(); ++c) {
        const std::string separator = copy.read.empty() ? "" : ", ";
        copy.read += separator + copied[c];
        copy.held += separator + copied[c];
        copy.into += separator + written[c];
      }
      copy.sequence = before_text.autoincrement && after_text.autoincrement;
      copies.push_back(std::move(copy));
    }
    std::vector<std::string> sql;
    // Counted, not failed, until COMMIT: the drop deletes the rows other tables reference
    // and copying them back takes those violations off the count.
    sql.emplace_back("PRAGMA defer_foreign_keys = ON;");
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const Copy& copy = copies[i];
      if (!copy.read.empty()) {
        sql.push_back("CREATE TEMP TABLE " + copy.hold + " AS SELECT " + copy.read + " FROM " +
                      quote(parts[i].before_key) + ";");
      }
      if (copy.sequence) {
        // AUTOINCREMENT's high-water mark goes with the dropped table.
        sql.push_back("CREATE TEMP TABLE " + copy.hold_sequence +
                      " AS SELECT seq FROM main.sqlite_sequence WHERE name = " +
                      literal(parts[i].before_key) + ";");
      }
    }
    // A table whose foreign key acts on deletes goes before the table it references, so that
    // the drop of that one finds no rows to act on (its rows wait in their temporary table).
    for (auto part = parts.rbegin(); part != parts.rend(); ++part) {
      sql.push_back("DROP TABLE " + quote(part->before_key) + ";");
    }
    for (const Part& part : parts) {
      sql.push_back(with_semicolon(part.after.sql));
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const Copy& copy = copies[i];
      const std::string key = parts[i].key;
      if (!copy.read.empty()) {
        sql.push_back("INSERT INTO " + quote(key) + " (" + copy.into + ") SELECT " + copy.held +
                      " FROM " + copy.hold + ";");
        sql.push_back("DROP TABLE " + copy.hold + ";");
      }
      if (copy.sequence) {
        sql.push_back("DELETE FROM main.sqlite_sequence WHERE name = " + literal(key) + ";");
        sql.push_back("INSERT INTO main.sqlite_sequence (name, seq) SELECT " + literal(key) +
                      ", seq FROM " + copy.hold_sequence + ";");
        sql.push_back("DROP TABLE " + copy.hold_sequence + ";");
      }
    }
    for (const Part& part : parts) {
      for (const std::string& definition : part.indexes) {
        sql.push_back(with_semicolon(definition));
      }
      for (const std::string& definition : part.triggers) {
        sql.push_back(with_semicolon(definition));
      }
    }
    for (const Part& part : parts) {
      sql.push_back("PRAGMA foreign_key_check(" + quote(part.key) + ");");
    }
    return sql;
  }

  // The indexes and triggers on a table that stay as they are: the drop takes them, the
  // rebuild puts them back, both ways. The others have steps of their own (a renamed table's
  // all do, as their text names it).
  void keep_dependents(Part& part) const {
    if (part.before_key != part.key) {
      return;
    }
    for (const auto& [name, index] : m_cur.indexes) {
      if (index.table_key == part.key) {
        part.indexes.push_back(index.definition);
      }
    }
    for (const auto& [name, trigger] : m_cur.triggers) {
      if (trigger.table_key == part.key) {
        part.triggers.push_back(trigger.definition);
      }
    }
  }

  // The ON DELETE action of `constraint` when it is a foreign key to `table` whose action
  // changes the rows holding it (CASCADE, SET NULL, SET DEFAULT); empty otherwise.
  static std::string delete_action(const Constraint& constraint, const std::string& table) {
    if (constraint.type != 'f') {
      return {};
    }
    const auto [target, on_delete] = reference(constraint.definition);
    if (!same_name(target, table) || on_delete == "NO ACTION" || on_delete == "RESTRICT") {
      return {};
    }
    return on_delete;
  }

  void rebuild(std::vector<Part> parts) {
    // Dropping a table deletes its rows first when foreign keys are on, and an ON DELETE
    // action of another table's foreign key then changes that table's rows: such a table is
    // rebuilt along, as it is, its rows kept aside before anything is dropped.
    std::set<std::string> group;
    for (const Part& part : parts) {
      group.insert(part.before_key);
    }
    std::map<std::string, std::string> along;  // table -> the reason it comes along
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::string target = parts[i].before_key;
      for (const auto& [key, table] : m_cur.tables) {
        if (group.contains(key) || table_ignored(key)) {
          continue;
        }
        for (const auto& [name, constraint] : table.constraints) {
          const std::string action = delete_action(constraint, target);
          if (!action.empty()) {
            group.insert(key);
            along[key] = "its foreign key to " + target + " is ON DELETE " + action;
            parts.push_back({key, table, key, table, {}, {}, {}});
            break;
          }
        }
      }
    }
    for (const Part& part : parts) {
      foreign_key_actions(part.before_key, group);
    }
    std::string summary;
    std::vector<Accepted> accepted{
        {"PG203", "the table rebuild: its rows are copied into the new table first"}};
    for (Part& part : parts) {
      keep_dependents(part);
      const std::string what = analyse(part, accepted);
      const auto reason = along.find(part.key);
      summary += (summary.empty() ? "" : "; ") +
                 (reason == along.end()
                      ? what
                      : "rebuild table " + part.key + " as it is (" + reason->second + ")");
      const Accepted counter{"PG301",
                             "the rebuild carries AUTOINCREMENT's counter over in sqlite_sequence: "
                             "one row"};
      if (table_text(part.before.sql).autoincrement && table_text(part.after.sql).autoincrement &&
          std::find(accepted.begin(), accepted.end(), counter) == accepted.end()) {
        accepted.push_back(counter);
      }
    }
    std::vector<Part> back;
    for (const Part& part : parts) {
      back.push_back(part.reversed());
    }
    add({Phase::transactional, summary, rebuild_sql(parts), rebuild_sql(back), accepted});
  }

  // The hazards and notes of one table's rebuild; its summary.
  std::string analyse(const Part& part, std::vector<Accepted>& accepted) {
    const std::string& before_key = part.before_key;
    const std::string& key = part.key;
    const Table& before = part.before;
    const Table& after = part.after;
    const std::map<std::string, std::string>& renamed = part.renamed;
    std::vector<std::string> what;
    std::vector<std::string> dropped;
    std::map<std::string, const Column*> old_columns;
    for (const Column& column : before.columns) {
      old_columns.emplace(column.name, &column);
    }
    std::set<std::string> new_names;
    std::vector<const Column*> new_columns;
    for (const Column& column : after.columns) {
      const auto source = renamed.find(column.name);
      const std::string old_name = source == renamed.end() ? column.name : source->second;
      new_names.insert(old_name);
      const auto old = old_columns.find(old_name);
      const std::string qualified = key + "." + column.name;
      if (old_name != column.name) {
        what.push_back(old_name + " to " + column.name);
      }
      if (old == old_columns.end()) {
        what.push_back("add " + column.name);
        new_columns.push_back(&column);
        if (column.not_null && column.default_expr.empty() && column.generated.empty()) {
          hazard("PG105", "column " + qualified,
                 "the rebuild copies the table's rows into it without a value for this NOT "
                 "NULL column, which fails when the table has rows; give it a DEFAULT, or add "
                 "it NULL, fill it, then make it NOT NULL");
        }
        continue;
      }
      const Column& was = *old->second;
      if (was.type != column.type) {
        what.push_back(column.name + " type");
        if (affinity(was.type) != affinity(column.type)) {
          m_plan.notes.push_back(
              qualified + ": declared " + (was.type.empty() ? "without a type" : was.type) +
              ", now " + (column.type.empty() ? "without a type" : column.type) +
              "; the rebuild copies each value as it is, and the " + affinity(column.type) +
              " affinity converts only what it can convert without loss (datatype3.html)");
        }
      }
      if (column.not_null && !was.not_null) {
        what.push_back(column.name + " not null");
        hazard("PG105", "column " + qualified,
               "the rebuild copies the table's rows into a NOT NULL column, which fails on a "
               "row holding NULL there; fill those rows first");
      }
    }
    for (const Column& column : before.columns) {
      if (!new_names.contains(column.name)) {
        dropped.push_back(column.name);
        what.push_back("drop " + column.name);
        hazard("PG204", "column " + before_key + "." + column.name,
               "the rebuild leaves the column out and its values are lost; stop using it in "
               "one revision and drop it in a later one, or keep it");
        for (const Column* added : new_columns) {
          if (added->type == column.type) {
            m_plan.notes.push_back(key + "." + column.name + ": dropped, and " + key + "." +
                                   added->name +
                                   " added with the same type; if it is a rename, say "
                                   "--rename " +
                                   key + "." + column.name + "=" + key + "." + added->name);
          }
        }
      }
    }
    std::string summary = before_key == key
                              ? "rebuild table " + key
                              : "rename table " + before_key + " to " + key + " by a rebuild";
    std::string detail;
    for (const std::string& part_of : what) {
      detail += (detail.empty() ? "" : ", ") + part_of;
    }
    summary += detail.empty() ? " (its definition changes)" : " (" + detail + ")";
    const Accepted drop_column{"PG204", "the table rebuild drops the column (an allowed hazard)"};
    if (!dropped.empty() &&
        std::find(accepted.begin(), accepted.end(), drop_column) == accepted.end()) {
      accepted.push_back(drop_column);
    }
    return summary;
  }

  // An ON DELETE action on a table outside the rebuild (one the plan ignores) would change
  // its rows when the rebuild drops `key`, and no copy brings them back.
  void foreign_key_actions(const std::string& key, const std::set<std::string>& group) {
    for (const auto& [name, table] : m_cur.tables) {
      if (group.contains(name)) {
        continue;  // its rows are all copied back
      }
      for (const auto& [constraint_name, constraint] : table.constraints) {
        const std::string on_delete = delete_action(constraint, key);
        if (on_delete.empty()) {
          continue;
        }
        hazard("PG203", "table " + key,
               "the rebuild drops " + key +
                   ", and with foreign keys on SQLite first "
                   "deletes its rows: ON DELETE " +
                   on_delete + " of " + name + "'s foreign key then changes or deletes " + name +
                   "'s rows that reference it; make this change by hand with PRAGMA "
                   "foreign_keys = OFF outside a transaction (lang_altertable.html#otheralter)");
      }
    }
  }

  void drop_tables() {
    for (const std::string& key : m_tables_out) {
      const Table& table = m_cur.tables.at(key);
      std::vector<std::string> down{with_semicolon(table.sql)};
      for (const auto& [name, index] : m_cur.indexes) {
        if (index.table_key == key) {
          down.push_back(with_semicolon(index.definition));
        }
      }
      for (const auto& [name, trigger] : m_cur.triggers) {
        if (trigger.table_key == key) {
          down.push_back(with_semicolon(trigger.definition));
        }
      }
      hazard("PG203", "table " + key,
             "the table and every row in it are dropped; rename it and drop it in a later "
             "revision once nothing reads it, or keep it");
      add({Phase::transactional,
           "drop table " + key,
           {"DROP TABLE " + quote(key) + ";"},
           down,
           {{"PG203", "the table is not in the declared schema (an allowed hazard)"}}});
    }
  }

  void create_views() {
    for (const std::string& key : view_order(m_to, m_views_in)) {
      add(create_view(m_to.views.at(key)));
    }
  }

  void create_indexes() {
    for (const std::string& key : m_indexes_in) {
      const Index& index = m_to.indexes.at(key);
      add({Phase::transactional,
           "create index " + index.name + " on " + index.table_key,
           {with_semicolon(index.definition)},
           {"DROP INDEX " + quote(index.name) + ";"},
           {}});
    }
  }

  void create_triggers() {
    for (const std::string& key : m_triggers_in) {
      const Trigger& trigger = m_to.triggers.at(key);
      add({Phase::transactional,
           "create trigger " + trigger.name + " on " + trigger.table_key,
           {with_semicolon(trigger.definition)},
           {"DROP TRIGGER " + quote(trigger.name) + ";"},
           {}});
    }
  }

  struct ColumnRename {
    std::string table;
    std::string from;
    std::string to;
  };

  Schema m_cur;  // the database as the steps so far leave it
  const Schema& m_to;
  const PlanOptions& m_options;
  Plan m_plan;
  std::vector<std::pair<std::string, std::string>> m_table_renames;
  std::vector<ColumnRename> m_column_renames;
  std::set<std::string> m_views_out, m_views_in;
  std::set<std::string> m_indexes_out, m_indexes_in;
  std::set<std::string> m_triggers_out, m_triggers_in;
  std::set<std::string> m_tables_out;
  std::set<std::string> m_rebuilt;  // tables rebuilt with a renamed one
};

}  // namespace

Plan plan_sqlite(const Schema& from, const Schema& to, const PlanOptions& options) {
  return Planner(from, to, options).run();
}

}  // namespace retort::schema
