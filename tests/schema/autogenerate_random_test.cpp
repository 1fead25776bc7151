// Seeded random schema mutations, each through `revision --autogenerate` (the library call the
// CLI makes, with its proof on throwaway databases) and `upgrade` on a real PostgreSQL database:
// every mutation must give a revision that applies, after which the database and the declared
// schema are equal. The mutations cover the kinds and the dependencies the planner orders:
// tables, columns (type, default, NOT NULL), indexes, foreign keys, checks, enums, views over
// tables and over functions, functions and their signatures, triggers, comments.
// RETORT_AUTOGENERATE_MUTATIONS sets the count (100 by default; CI's sanitizer build runs fewer),
// RETORT_AUTOGENERATE_SEED the seed.
#include "harness/postgres_server.hpp"
#include "integration/project.hpp"
#include "retort/commands.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;

struct Column {
  std::string name;
  std::string type;
  bool not_null = false;
  std::string default_expr;
};

Column column_of(std::string name, std::string type) {
  Column column;
  column.name = std::move(name);
  column.type = std::move(type);
  return column;
}

struct Table {
  std::string name;
  std::vector<Column> columns;                      // after id bigint PRIMARY KEY
  std::vector<std::string> indexes;                 // column names, one index each
  std::map<std::string, std::string> foreign_keys;  // column -> referenced table
  std::vector<std::string> checks;                  // integer columns checked >= 0
  std::string comment;
};

Table table_of(std::string name, std::vector<Column> columns) {
  Table table;
  table.name = std::move(name);
  table.columns = std::move(columns);
  return table;
}

struct View {
  std::string name;
  std::string table;
  std::vector<std::string> columns;
  std::string function;  // a function it calls on id, or empty
  bool filtered = false;
};

struct Function {
  std::string name;
  std::string argument = "integer";
  int body = 1;
};

struct Trigger {
  std::string table;
  std::string name;
};

// The declared schema as a team would write it, and the moves that change it.
class Generator {
 public:
  explicit Generator(unsigned seed) : m_random(seed) {
    m_tables.push_back(table_of("t1", {column_of("a", "integer"), column_of("b", "text")}));
    m_tables.push_back(
        table_of("t2", {column_of("t1_id", "bigint"), column_of("c", "varchar(20)")}));
    m_tables[1].foreign_keys["t1_id"] = "t1";
    m_views.push_back({"v1", "t1", {"id", "a"}, "", false});
    m_functions.push_back({"f1"});
  }

  // One random move; returns what it did, for the failure message.
  std::string mutate() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::string done;
      switch (pick(17)) {
        case 0:
          done = add_table();
          break;
        case 1:
          done = drop_table();
          break;
        case 2:
          done = add_column();
          break;
        case 3:
          done = drop_column();
          break;
        case 4:
          done = widen_column();
          break;
        case 5:
          done = toggle_not_null();
          break;
        case 6:
          done = toggle_default();
          break;
        case 7:
          done = toggle_index();
          break;
        case 8:
          done = toggle_foreign_key();
          break;
        case 9:
          done = toggle_check();
          break;
        case 10:
          done = add_or_drop_view();
          break;
        case 11:
          done = change_view();
          break;
        case 12:
          done = change_function();
          break;
        case 13:
          done = toggle_trigger();
          break;
        case 14:
          done = add_enum_label();
          break;
        case 15:
          done = toggle_comment();
          break;
        default:
          done = view_over_function();
          break;
      }
      if (!done.empty()) {
        return done;
      }
    }
    return "nothing";
  }

  [[nodiscard]] std::string sql() const {
    std::string out = "CREATE TYPE public.mood AS ENUM (";
    for (std::size_t i = 0; i < m_labels.size(); ++i) {
      out += (i == 0 ? "'" : ", '") + m_labels[i] + "'";
    }
    out += ");\n";
    for (const Function& function : m_functions) {
      out += fmt::format(
          "CREATE FUNCTION public.{}(x {}) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT "
          "x::bigint + {} $$;\n",
          function.name, function.argument, function.body);
    }
    out +=
        "CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN "
        "NEW; END $$;\n";
    for (const Table& table : m_tables) {
      out += "CREATE TABLE public." + table.name + " (id bigint PRIMARY KEY";
      for (const Column& column : table.columns) {
        out += ", " + column.name + " " + column.type;
        if (!column.default_expr.empty()) {
          out += " DEFAULT " + column.default_expr;
        }
        if (column.not_null) {
          out += " NOT NULL";
        }
      }
      for (const std::string& checked : table.checks) {
        out += fmt::format(", CONSTRAINT {}_{}_positive CHECK ({} >= 0)", table.name, checked,
                           checked);
      }
      out += ");\n";
      if (!table.comment.empty()) {
        out += "COMMENT ON TABLE public." + table.name + " IS '" + table.comment + "';\n";
      }
    }
    for (const Table& table : m_tables) {
      for (const auto& [column, parent] : table.foreign_keys) {
        out += fmt::format(
            "ALTER TABLE public.{0} ADD CONSTRAINT {0}_{1}_fkey FOREIGN KEY ({1}) REFERENCES "
            "public.{2} (id);\n",
            table.name, column, parent);
      }
      for (const std::string& column : table.indexes) {
        out += fmt::format("CREATE INDEX {0}_{1}_idx ON public.{0} ({1});\n", table.name, column);
      }
    }
    for (const View& view : m_views) {
      std::string columns;
      for (const std::string& column : view.columns) {
        columns += (columns.empty() ? "" : ", ") + column;
      }
      if (!view.function.empty()) {
        columns += ", public." + view.function + "(id::integer) AS f";
      }
      out += fmt::format("CREATE VIEW public.{} AS SELECT {} FROM public.{}{};\n", view.name,
                         columns, view.table, view.filtered ? " WHERE id > 0" : "");
    }
    for (const Trigger& trigger : m_triggers) {
      out += fmt::format(
          "CREATE TRIGGER {} BEFORE UPDATE ON public.{} FOR EACH ROW EXECUTE FUNCTION "
          "public.touch();\n",
          trigger.name, trigger.table);
    }
    return out;
  }

 private:
  std::size_t pick(std::size_t count) {
    return std::uniform_int_distribution<std::size_t>(0, count - 1)(m_random);
  }
  Table& any_table() { return m_tables[pick(m_tables.size())]; }
  bool used(const Table& table, const std::string& column) const {
    for (const View& view : m_views) {
      if (view.table == table.name &&
          std::find(view.columns.begin(), view.columns.end(), column) != view.columns.end()) {
        return true;
      }
    }
    return std::find(table.indexes.begin(), table.indexes.end(), column) != table.indexes.end() ||
           table.foreign_keys.count(column) != 0 ||
           std::find(table.checks.begin(), table.checks.end(), column) != table.checks.end();
  }
  Column* find_column(Table& table, const std::string& type_prefix) {
    std::vector<Column*> found;
    for (Column& column : table.columns) {
      if (column.type.starts_with(type_prefix)) {
        found.push_back(&column);
      }
    }
    return found.empty() ? nullptr : found[pick(found.size())];
  }

  std::string add_table() {
    if (m_tables.size() >= 6) {
      return "";
    }
    Table table = table_of(fmt::format("t{}", ++m_counter + 10), {column_of("a", "integer")});
    if (pick(2) == 0) {
      const Table& parent = any_table();
      table.columns.push_back(column_of(parent.name + "_id", "bigint"));
      table.foreign_keys[parent.name + "_id"] = parent.name;
    }
    m_tables.push_back(table);
    return "add table " + table.name;
  }
  std::string drop_table() {
    if (m_tables.size() <= 2) {
      return "";
    }
    const std::string name = m_tables.back().name;
    for (const Table& table : m_tables) {
      for (const auto& fk : table.foreign_keys) {
        if (fk.second == name) {
          return "";
        }
      }
    }
    std::erase_if(m_views, [&](const View& view) { return view.table == name; });
    std::erase_if(m_triggers, [&](const Trigger& trigger) { return trigger.table == name; });
    m_tables.pop_back();
    return "drop table " + name;
  }
  std::string add_column() {
    static const std::vector<std::string> types = {
        "integer", "text", "bigint", "boolean", "timestamptz", "public.mood", "varchar(20)"};
    Table& table = any_table();
    if (table.columns.size() >= 6) {
      return "";
    }
    Column column = column_of(fmt::format("c{}", ++m_counter), types[pick(types.size())]);
    if (column.type == "integer" && pick(2) == 0) {
      column.default_expr = "0";
    }
    table.columns.push_back(column);
    return "add column " + table.name + "." + column.name + " " + column.type;
  }
  std::string drop_column() {
    Table& table = any_table();
    if (table.columns.size() <= 1) {
      return "";
    }
    const Column& column = table.columns.back();
    if (used(table, column.name)) {
      return "";
    }
    const std::string done = "drop column " + table.name + "." + column.name;
    table.columns.pop_back();
    return done;
  }
  std::string widen_column() {
    Table& table = any_table();
    if (Column* column = find_column(table, "integer"); column != nullptr && pick(2) == 0) {
      if (!table.checks.empty() || table.foreign_keys.count(column->name) != 0) {
        return "";
      }
      column->type = "bigint";
      return "widen " + table.name + "." + column->name + " to bigint (a view may read it)";
    }
    if (Column* column = find_column(table, "varchar(20)"); column != nullptr) {
      column->type = pick(2) == 0 ? "varchar(50)" : "text";
      return "widen " + table.name + "." + column->name + " to " + column->type;
    }
    return "";
  }
  std::string toggle_not_null() {
    Table& table = any_table();
    if (table.columns.empty()) {
      return "";
    }
    Column& column = table.columns[pick(table.columns.size())];
    column.not_null = !column.not_null;
    return (column.not_null ? "set not null " : "drop not null ") + table.name + "." + column.name;
  }
  std::string toggle_default() {
    Table& table = any_table();
    Column* column = find_column(table, "text");
    if (column == nullptr) {
      return "";
    }
    column->default_expr = column->default_expr.empty() ? "'none'::text" : "";
    return "default of " + table.name + "." + column->name;
  }
  std::string toggle_index() {
    Table& table = any_table();
    if (!table.indexes.empty() && pick(2) == 0) {
      const std::string column = table.indexes.back();
      table.indexes.pop_back();
      return "drop index on " + table.name + "." + column;
    }
    for (const Column& column : table.columns) {
      if (std::find(table.indexes.begin(), table.indexes.end(), column.name) ==
          table.indexes.end()) {
        table.indexes.push_back(column.name);
        return "add index on " + table.name + "." + column.name;
      }
    }
    return "";
  }
  std::string toggle_foreign_key() {
    Table& table = any_table();
    if (!table.foreign_keys.empty() && pick(2) == 0) {
      const auto last = std::prev(table.foreign_keys.end());
      const std::string done = "drop foreign key " + table.name + "." + last->first;
      table.foreign_keys.erase(last);
      return done;
    }
    if (Column* column = find_column(table, "bigint");
        column != nullptr && table.foreign_keys.count(column->name) == 0) {
      const Table& parent = any_table();
      table.foreign_keys[column->name] = parent.name;
      return "add foreign key " + table.name + "." + column->name + " -> " + parent.name;
    }
    return "";
  }
  std::string toggle_check() {
    Table& table = any_table();
    if (!table.checks.empty()) {
      const std::string done = "drop check on " + table.name + "." + table.checks.back();
      table.checks.pop_back();
      return done;
    }
    if (Column* column = find_column(table, "integer")) {
      table.checks.push_back(column->name);
      return "add check on " + table.name + "." + column->name;
    }
    return "";
  }
  std::string add_or_drop_view() {
    if (m_views.size() > 1 && pick(2) == 0) {
      const std::string name = m_views.back().name;
      m_views.pop_back();
      return "drop view " + name;
    }
    Table& table = any_table();
    View view{fmt::format("v{}", ++m_counter), table.name, {"id"}, "", false};
    if (!table.columns.empty()) {
      view.columns.push_back(table.columns.front().name);
    }
    m_views.push_back(view);
    return "add view " + view.name + " over " + table.name;
  }
  std::string change_view() {
    View& view = m_views[pick(m_views.size())];
    Table* table = nullptr;
    for (Table& candidate : m_tables) {
      table = candidate.name == view.table ? &candidate : table;
    }
    if (pick(2) == 0) {
      view.filtered = !view.filtered;
      return "change the filter of view " + view.name;
    }
    if (view.columns.size() > 1) {
      view.columns.pop_back();
      return "drop a column of view " + view.name + " (recreated)";
    }
    for (const Column& column : table->columns) {
      if (std::find(view.columns.begin(), view.columns.end(), column.name) == view.columns.end()) {
        view.columns.insert(view.columns.begin(), column.name);
        return "insert a column in view " + view.name + " (recreated)";
      }
    }
    return "";
  }
  std::string change_function() {
    Function& function = m_functions[pick(m_functions.size())];
    if (pick(3) == 0) {
      function.argument = function.argument == "integer" ? "bigint" : "integer";
      // A view calling it casts to integer: with bigint it still resolves.
      return "change the signature of " + function.name + " to (" + function.argument + ")";
    }
    ++function.body;
    return "change the body of " + function.name;
  }
  std::string view_over_function() {
    View& view = m_views[pick(m_views.size())];
    if (!view.function.empty()) {
      view.function.clear();
      return "view " + view.name + " no longer calls a function";
    }
    if (m_functions.size() < 3 && pick(2) == 0) {
      m_functions.push_back({fmt::format("f{}", ++m_counter)});
    }
    view.function = m_functions[pick(m_functions.size())].name;
    return "view " + view.name + " calls " + view.function;
  }
  std::string toggle_trigger() {
    if (!m_triggers.empty() && pick(2) == 0) {
      const std::string name = m_triggers.back().name;
      m_triggers.pop_back();
      return "drop trigger " + name;
    }
    const Table& table = any_table();
    m_triggers.push_back({table.name, fmt::format("tr{}", ++m_counter)});
    return "add trigger on " + table.name;
  }
  std::string add_enum_label() {
    if (m_labels.size() >= 6) {
      return "";
    }
    const std::string label = fmt::format("l{}", ++m_counter);
    const std::size_t at = pick(m_labels.size() + 1);
    m_labels.insert(m_labels.begin() + static_cast<std::ptrdiff_t>(at), label);
    return "add enum label " + label;
  }
  std::string toggle_comment() {
    Table& table = any_table();
    table.comment = table.comment.empty() ? fmt::format("note {}", ++m_counter) : "";
    return "comment on " + table.name;
  }

  std::mt19937 m_random;
  int m_counter = 0;
  std::vector<std::string> m_labels = {"sad", "happy"};
  std::vector<Table> m_tables;
  std::vector<View> m_views;
  std::vector<Function> m_functions;
  std::vector<Trigger> m_triggers;
};

int from_env(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

TEST(AutogenerateRandomTest, EverySeededMutationGivesARevisionThatReachesTheDeclaredSchema) {
  const int mutations = from_env("RETORT_AUTOGENERATE_MUTATIONS", 100);
  const auto seed = static_cast<unsigned>(from_env("RETORT_AUTOGENERATE_SEED", 20261207));
  Project project(Backend::postgres, "autogen_random");
  Config& config = project.config();
  config.schema.dir = project.dir() / "schema";
  config.schema.dev_url = PostgresServer::instance().url("postgres");
  fs::create_directories(config.schema.dir);
  Generator generator(seed);
  const auto declare = [&] {
    std::ofstream(config.schema.dir / "schema.sql", std::ios::trunc) << generator.sql();
  };

  // The first revision builds the starting schema from nothing.
  declare();
  RevisionOptions options;
  options.message = "start";
  options.rev_id = "m000";
  options.allow_hazards = {"PG203,PG204,PG206,PG108,PG105"};
  ASSERT_EQ(autogenerate(config, options).written.size(), 1U);
  ASSERT_NO_THROW((void)upgrade(config, RunOptions{}));

  int written = 0;
  for (int step = 1; step <= mutations; ++step) {
    const std::string what = generator.mutate();
    declare();
    options.message = what;
    options.rev_id = fmt::format("m{:03}", step);
    const std::string context = fmt::format("seed {} mutation {}: {}\ndeclared schema:\n{}", seed,
                                            step, what, generator.sql());
    AutogenerateResult result;
    try {
      result = autogenerate(config, options);
    } catch (const Error& error) {
      FAIL() << context << "\nautogenerate failed: " << error.what() << "\n" << error.explanation;
    }
    written += result.written.empty() ? 0 : 1;
    try {
      (void)upgrade(config, RunOptions{});
    } catch (const Error& error) {
      FAIL() << context << "\nupgrade failed: " << error.what();
    }
    // The database the revision ran on (not a throwaway one) now is the declared schema.
    const DiffResult left = diff(config, DiffOptions{});
    ASSERT_TRUE(left.changes.empty()) << context << "\nleft over: " << left.changes.front().line;
  }
  // Most moves change something; a run where none wrote a file would test nothing.
  EXPECT_GT(written, mutations / 2);
}

}  // namespace
}  // namespace retort::test
