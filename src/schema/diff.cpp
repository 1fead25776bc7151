// Comparing two schema models object by object: what was added, removed or changed, in a
// stable order, without the differences the server makes up (generated names, column order).
#include "schema/diff.hpp"

#include "schema/dump.hpp"

#include <algorithm>
#include <array>
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

// The order changes are listed in: the order of kinds in diff.hpp.
constexpr std::array<std::string_view, 16> k_kinds = {
    "schema",    "extension",  "type",   "domain", "sequence",          "table",
    "column",    "constraint", "index",  "view",   "materialized view", "function",
    "procedure", "trigger",    "policy", "comment"};

std::size_t kind_rank(const std::string& object) {
  const auto* found = std::find(k_kinds.begin(), k_kinds.end(), object);
  return static_cast<std::size_t>(found - k_kinds.begin());
}

// `*` matches any run of characters, everything else itself.
bool glob(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::optional<std::size_t> star;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star) {
      p = *star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string trigger_state(char enabled) {
  switch (enabled) {
    case 'D':
      return "no";
    case 'R':
      return "replica";
    case 'A':
      return "always";
    default:
      return "yes";
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

// The name of an index without its own name: "ON public.t USING btree (a)" and the rest, so
// that two indexes under different names compare by what they index.
std::string index_body(const Index& index) {
  const std::size_t name = index.definition.find("INDEX ");
  const std::size_t on =
      name == std::string::npos ? std::string::npos : index.definition.find(" ON ", name);
  if (on == std::string::npos) {
    return index.definition;
  }
  return index.definition.substr(0, name) + "INDEX" + index.definition.substr(on);
}

// Whether `name` is how PostgreSQL names a constraint or index it was not given a name for on
// `table`: the table's name (possibly shortened to fit 63 bytes), the columns, a suffix, and a
// number when the name was taken ("t_a_key", "t_a_key1", "t_pkey", "t_lower_idx").
bool generated_name(const std::string& name, const std::string& table) {
  static const std::array<std::string_view, 6> k_suffixes = {"_pkey",  "_key",  "_fkey",
                                                             "_check", "_excl", "_idx"};
  std::string_view stem = name;
  while (!stem.empty() && stem.back() >= '0' && stem.back() <= '9') {
    stem.remove_suffix(1);
  }
  const bool suffixed =
      std::any_of(k_suffixes.begin(), k_suffixes.end(),
                  [&](std::string_view suffix) { return stem.ends_with(suffix); });
  if (!suffixed) {
    return false;
  }
  // makeObjectName shortens the longer of the table's and the columns' parts first; the
  // table's first characters survive unless both are long.
  const std::size_t keep = std::min<std::size_t>(table.size(), 8);
  return !table.empty() && name.starts_with(std::string_view(table).substr(0, keep));
}

// Definitions of whole objects, for the changes that add or remove one: the canonical dump's
// pieces, without comments (those are changes of their own). A table's definition is its
// CREATE TABLE with its constraints, deferred defaults and row level security.
class Definitions {
 public:
  explicit Definitions(const Schema& schema) : m_schema(schema) {}

  std::string get(const std::string& object, const std::string& name) {
    if (!m_built) {
      build();
    }
    const auto found = m_sql.find(object + '\x1f' + name);
    return found == m_sql.end() ? std::string() : found->second;
  }

 private:
  void build() {
    m_built = true;
    Schema bare = m_schema;
    bare.comments.clear();
    for (const Piece& piece : dump_pieces(bare)) {
      std::string key;
      if (piece.kind == "table" || piece.kind == "constraint" || piece.kind == "default" ||
          piece.kind == "row level security") {
        key = "table\x1f" + piece.file;
      } else if (piece.kind == "sequence ownership") {
        key = "sequence\x1f" + piece.name;
      } else if (piece.kind == "composite type") {
        key = "type\x1f" + piece.name;
      } else {
        key = piece.kind + '\x1f' + piece.name;
      }
      m_sql[key] += piece.sql;
    }
  }

  const Schema& m_schema;
  bool m_built = false;
  std::map<std::string, std::string> m_sql;
};

std::string table_file(const std::string& key) { return "tables/" + file_stem(key) + ".sql"; }

class Differ {
 public:
  Differ(const Schema& from, const Schema& to, const DiffOptions& options)
      : m_from(from), m_to(to), m_options(options), m_from_sql(from), m_to_sql(to) {}

  Diff run() {
    schemas();
    extensions();
    types();
    domains();
    sequences();
    tables();
    indexes();
    views();
    functions();
    triggers();
    policies();
    comments();
    std::stable_sort(m_diff.changes.begin(), m_diff.changes.end(),
                     [](const Change& a, const Change& b) {
                       const std::size_t ra = kind_rank(a.object);
                       const std::size_t rb = kind_rank(b.object);
                       if (ra != rb) {
                         return ra < rb;
                       }
                       if (a.name != b.name) {
                         return a.name < b.name;
                       }
                       if (a.attribute != b.attribute) {
                         return a.attribute < b.attribute;
                       }
                       // A replaced object (a view become materialized) goes before it comes.
                       return static_cast<int>(a.kind) > static_cast<int>(b.kind);
                     });
    uncompared();
    return std::move(m_diff);
  }

 private:
  bool ignored(const std::string& object, const std::string& name) const {
    return schema::ignored(m_options.ignore, object, name);
  }
  bool table_ignored(const std::string& table_key) const { return ignored("table", table_key); }

  void added(const std::string& object, const std::string& name, std::string sql) {
    if (!ignored(object, name)) {
      m_diff.changes.push_back({ChangeKind::added, object, name, {}, {}, std::move(sql)});
    }
  }
  void removed(const std::string& object, const std::string& name, std::string sql) {
    if (!ignored(object, name)) {
      m_diff.changes.push_back({ChangeKind::removed, object, name, {}, std::move(sql), {}});
    }
  }
  void changed(const std::string& object, const std::string& name, const std::string& attribute,
               const std::string& before, const std::string& after) {
    if (before != after && !ignored(object, name)) {
      m_diff.changes.push_back({ChangeKind::changed, object, name, attribute, before, after});
    }
  }

  // Walks two maps by key: `both` for keys on both sides, added/removed for the others.
  template <typename Map, typename Both>
  void walk(const Map& from, const Map& to, const std::string& object,
            const std::function<std::string(const Schema&, const std::string&)>& sql, Both both) {
    for (const auto& [key, value] : from) {
      const auto other = to.find(key);
      if (other == to.end()) {
        removed(object, key, sql(m_from, key));
      } else {
        both(key, value, other->second);
      }
    }
    for (const auto& [key, value] : to) {
      if (!from.contains(key)) {
        added(object, key, sql(m_to, key));
      }
    }
  }

  // The definition of one object by its kind and the ident its dump piece is named by.
  std::string definition(const Schema& schema, const std::string& object, const std::string& name) {
    return (&schema == &m_from ? m_from_sql : m_to_sql).get(object, name);
  }

  void schemas() {
    walk(
        m_from.schemas, m_to.schemas, "schema",
        [&](const Schema& s, const std::string& key) {
          return definition(s, "schema", s.schemas.at(key));
        },
        [](const std::string&, const std::string&, const std::string&) {});
  }

  void extensions() {
    walk(
        m_from.extensions, m_to.extensions, "extension",
        [&](const Schema& s, const std::string& key) {
          return definition(s, "extension", s.extensions.at(key).ident);
        },
        [&](const std::string& key, const Extension& a, const Extension& b) {
          changed("extension", key, "schema", a.schema, b.schema);
          changed("extension", key, "version", a.version, b.version);
        });
  }

  static std::string composite_attributes(const CompositeType& type) {
    std::vector<std::string> parts;
    for (const Column& attribute : type.attributes) {
      parts.push_back(attribute.ident + " " + attribute.type +
                      (attribute.collation.empty() ? "" : " COLLATE " + attribute.collation));
    }
    return join(parts, ", ");
  }

  // Enums and composite types are both "type": one name, either kind.
  void types() {
    auto sql = [&](const Schema& s, const std::string& key) {
      const auto e = s.enums.find(key);
      return definition(s, "type",
                        e != s.enums.end() ? e->second.ident : s.composites.at(key).ident);
    };
    std::set<std::string> keys;
    for (const Schema* side : {&m_from, &m_to}) {
      for (const auto& [key, type] : side->enums) {
        keys.insert(key);
      }
      for (const auto& [key, type] : side->composites) {
        keys.insert(key);
      }
    }
    for (const std::string& key : keys) {
      const auto from_enum = m_from.enums.find(key);
      const auto to_enum = m_to.enums.find(key);
      const auto from_composite = m_from.composites.find(key);
      const auto to_composite = m_to.composites.find(key);
      const bool in_from =
          from_enum != m_from.enums.end() || from_composite != m_from.composites.end();
      const bool in_to = to_enum != m_to.enums.end() || to_composite != m_to.composites.end();
      const bool same_kind = (from_enum != m_from.enums.end()) == (to_enum != m_to.enums.end());
      if (in_from && in_to && same_kind) {
        if (from_enum != m_from.enums.end()) {
          changed("type", key, "labels", join(from_enum->second.labels, ", "),
                  join(to_enum->second.labels, ", "));
        } else {
          changed("type", key, "attributes", composite_attributes(from_composite->second),
                  composite_attributes(to_composite->second));
        }
        continue;
      }
      if (in_from) {
        removed("type", key, sql(m_from, key));
      }
      if (in_to) {
        added("type", key, sql(m_to, key));
      }
    }
  }

  void domains() {
    walk(
        m_from.domains, m_to.domains, "domain",
        [&](const Schema& s, const std::string& key) {
          return definition(s, "domain", s.domains.at(key).ident);
        },
        [&](const std::string& key, const Domain& a, const Domain& b) {
          changed("domain", key, "type", a.base_type, b.base_type);
          changed("domain", key, "collation", a.collation, b.collation);
          changed("domain", key, "default", a.default_expr, b.default_expr);
          changed("domain", key, "not null", yes_no(a.not_null), yes_no(b.not_null));
          std::set<std::string> names;
          for (const auto& [name, check] : a.checks) {
            names.insert(name);
          }
          for (const auto& [name, check] : b.checks) {
            names.insert(name);
          }
          for (const std::string& name : names) {
            const auto before = a.checks.find(name);
            const auto after = b.checks.find(name);
            changed("domain", key, "check " + name,
                    before == a.checks.end() ? std::string() : before->second,
                    after == b.checks.end() ? std::string() : after->second);
          }
        });
  }

  // The definition of a sequence, not its state: where it stands is data.
  void sequences() {
    walk(
        m_from.sequences, m_to.sequences, "sequence",
        [&](const Schema& s, const std::string& key) {
          return definition(s, "sequence", s.sequences.at(key).ident);
        },
        [&](const std::string& key, const Sequence& a, const Sequence& b) {
          changed("sequence", key, "type", a.type, b.type);
          changed("sequence", key, "start", a.start, b.start);
          changed("sequence", key, "increment", a.increment, b.increment);
          changed("sequence", key, "min", a.min, b.min);
          changed("sequence", key, "max", a.max, b.max);
          changed("sequence", key, "cache", a.cache, b.cache);
          changed("sequence", key, "cycle", yes_no(a.cycle), yes_no(b.cycle));
          changed("sequence", key, "owned by", a.owned_by, b.owned_by);
        });
  }

  void tables() {
    walk(
        m_from.tables, m_to.tables, "table",
        [&](const Schema& s, const std::string& key) {
          return (&s == &m_from ? m_from_sql : m_to_sql).get("table", table_file(key));
        },
        [&](const std::string& key, const Table& a, const Table& b) {
          if (table_ignored(key)) {
            return;
          }
          changed("table", key, "unlogged", yes_no(a.unlogged), yes_no(b.unlogged));
          changed("table", key, "partition key", a.partition_key, b.partition_key);
          changed("table", key, "partition of", a.partition_of, b.partition_of);
          changed("table", key, "partition bound", a.partition_bound, b.partition_bound);
          changed("table", key, "options", a.options, b.options);
          changed("table", key, "row security", yes_no(a.row_security), yes_no(b.row_security));
          changed("table", key, "force row security", yes_no(a.force_row_security),
                  yes_no(b.force_row_security));
          const std::size_t before = m_diff.changes.size();
          columns(key, a, b);
          constraints(key, a, b);
          // SQLite keeps only the CREATE TABLE text for what its PRAGMAs do not show (a
          // CHECK, a table UNIQUE): compared when nothing else about the table differs and
          // the columns stand in the same order, since reordered columns are no change.
          if (m_from.flavor == Flavor::sqlite && m_diff.changes.size() == before &&
              same_column_order(a, b)) {
            changed("table", key, "definition", a.sql, b.sql);
          }
        });
  }

  static bool same_column_order(const Table& a, const Table& b) {
    if (a.columns.size() != b.columns.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.columns.size(); ++i) {
      if (a.columns[i].name != b.columns[i].name) {
        return false;
      }
    }
    return true;
  }

  static std::string add_column_sql(const Table& table, const Column& column) {
    return "ALTER TABLE " + table.ident + " ADD COLUMN " + column_sql(column) + ";\n";
  }

  // Columns by name: their order is no change.
  void columns(const std::string& key, const Table& a, const Table& b) {
    std::map<std::string, const Column*> before;
    std::map<std::string, const Column*> after;
    for (const Column& column : a.columns) {
      before.emplace(column.name, &column);
    }
    for (const Column& column : b.columns) {
      after.emplace(column.name, &column);
    }
    for (const auto& [name, column] : before) {
      const std::string qualified = key + "." + name;
      const auto other = after.find(name);
      if (other == after.end()) {
        removed("column", qualified, add_column_sql(a, *column));
        continue;
      }
      const Column& x = *column;
      const Column& y = *other->second;
      changed("column", qualified, "type", x.type, y.type);
      changed("column", qualified, "collation", x.collation, y.collation);
      changed("column", qualified, "not null", yes_no(x.not_null), yes_no(y.not_null));
      changed("column", qualified, "default", x.default_expr, y.default_expr);
      changed("column", qualified, "generated", x.generated, y.generated);
      changed("column", qualified, "identity", x.identity, y.identity);
      changed("column", qualified, "identity options", x.identity_options, y.identity_options);
    }
    for (const auto& [name, column] : after) {
      if (!before.contains(name)) {
        added("column", key + "." + name, add_column_sql(b, *column));
      }
    }
  }

  static std::string add_constraint_sql(const Table& table, const Constraint& constraint) {
    return "ALTER TABLE " + table.ident + " ADD CONSTRAINT " + constraint.ident + " " +
           constraint.definition + ";\n";
  }

  // Constraints by name, except that a name the server generated on both sides for the same
  // definition is the same constraint whatever number it ended in.
  void constraints(const std::string& key, const Table& a, const Table& b) {
    auto identity = [&](const Table& table) {
      return [&table](const Constraint& constraint) {
        return generated_name(constraint.name, table.name)
                   ? std::string(1, constraint.type) + '\x1f' + constraint.definition
                   : std::string();
      };
    };
    // Both sides' identities must agree, so the function looks at each side's own table.
    std::map<std::string, std::vector<std::string>> unmatched_to;
    for (const auto& [name, constraint] : b.constraints) {
      if (!a.constraints.contains(name)) {
        const std::string what = identity(b)(constraint);
        if (!what.empty()) {
          unmatched_to[what].push_back(name);
        }
      }
    }
    std::set<std::string> paired_to;
    for (const auto& [name, constraint] : a.constraints) {
      const std::string qualified = key + "." + name;
      const auto other = b.constraints.find(name);
      if (other != b.constraints.end()) {
        changed("constraint", qualified, "definition", constraint.definition,
                other->second.definition);
        continue;
      }
      const std::string what = identity(a)(constraint);
      const auto candidates = unmatched_to.find(what);
      if (!what.empty() && candidates != unmatched_to.end() && !candidates->second.empty()) {
        paired_to.insert(candidates->second.front());
        candidates->second.erase(candidates->second.begin());
        continue;
      }
      removed("constraint", qualified, add_constraint_sql(a, constraint));
    }
    for (const auto& [name, constraint] : b.constraints) {
      if (!a.constraints.contains(name) && !paired_to.contains(name)) {
        added("constraint", key + "." + name, add_constraint_sql(b, constraint));
      }
    }
  }

  bool owner_ignored(const std::string& table_key) const { return table_ignored(table_key); }

  void indexes() {
    auto identity = [&](const Schema& side) {
      return [&side](const Index& index) {
        std::string table_name;
        const auto table = side.tables.find(index.table_key);
        if (table != side.tables.end()) {
          table_name = table->second.name;
        } else if (const auto view = side.views.find(index.table_key); view != side.views.end()) {
          table_name = view->second.name;
        }
        if (!generated_name(index.name, table_name)) {
          return std::string();
        }
        return index.table_key + '\x1f' + index_body(index);
      };
    };
    // The generated names on each side, paired when they index the same thing the same way.
    std::map<std::string, std::vector<std::string>> unmatched_to;
    for (const auto& [key, index] : m_to.indexes) {
      if (!m_from.indexes.contains(key)) {
        const std::string what = identity(m_to)(index);
        if (!what.empty()) {
          unmatched_to[what].push_back(key);
        }
      }
    }
    std::set<std::string> paired_to;
    for (const auto& [key, index] : m_from.indexes) {
      if (owner_ignored(index.table_key)) {
        continue;
      }
      const auto other = m_to.indexes.find(key);
      if (other != m_to.indexes.end()) {
        changed("index", key, "definition", index.definition, other->second.definition);
        changed("index", key, "valid", yes_no(index.valid), yes_no(other->second.valid));
        continue;
      }
      const std::string what = identity(m_from)(index);
      const auto candidates = unmatched_to.find(what);
      if (!what.empty() && candidates != unmatched_to.end() && !candidates->second.empty()) {
        const Index& twin = m_to.indexes.at(candidates->second.front());
        changed("index", key, "valid", yes_no(index.valid), yes_no(twin.valid));
        paired_to.insert(candidates->second.front());
        candidates->second.erase(candidates->second.begin());
        continue;
      }
      removed("index", key, definition(m_from, "index", index.ident));
    }
    for (const auto& [key, index] : m_to.indexes) {
      if (!owner_ignored(index.table_key) && !m_from.indexes.contains(key) &&
          !paired_to.contains(key)) {
        added("index", key, definition(m_to, "index", index.ident));
      }
    }
  }

  void views() {
    auto object = [](const View& view) {
      return std::string(view.materialized ? "materialized view" : "view");
    };
    for (const auto& [key, view] : m_from.views) {
      const auto other = m_to.views.find(key);
      if (other == m_to.views.end() || other->second.materialized != view.materialized) {
        removed(object(view), key, definition(m_from, object(view), view.ident));
        continue;
      }
      changed(object(view), key, "options", view.options, other->second.options);
      changed(object(view), key, "definition", view.definition, other->second.definition);
    }
    for (const auto& [key, view] : m_to.views) {
      const auto other = m_from.views.find(key);
      if (other == m_from.views.end() || other->second.materialized != view.materialized) {
        added(object(view), key, definition(m_to, object(view), view.ident));
      }
    }
  }

  // Functions and procedures by signature: an overload is an object of its own.
  void functions() {
    auto object = [](const Function& function) {
      return std::string(function.procedure ? "procedure" : "function");
    };
    for (const auto& [key, function] : m_from.functions) {
      const auto other = m_to.functions.find(key);
      if (other == m_to.functions.end() || other->second.procedure != function.procedure) {
        removed(object(function), key, definition(m_from, object(function), function.ident));
        continue;
      }
      changed(object(function), key, "definition", function.definition, other->second.definition);
    }
    for (const auto& [key, function] : m_to.functions) {
      const auto other = m_from.functions.find(key);
      if (other == m_from.functions.end() || other->second.procedure != function.procedure) {
        added(object(function), key, definition(m_to, object(function), function.ident));
      }
    }
  }

  void triggers() {
    auto sql = [&](const Schema& s, const std::string& key) {
      const Trigger& trigger = s.triggers.at(key);
      return definition(s, "trigger", trigger.ident + " ON " + trigger.table);
    };
    for (const auto& [key, trigger] : m_from.triggers) {
      if (owner_ignored(trigger.table_key)) {
        continue;
      }
      const auto other = m_to.triggers.find(key);
      if (other == m_to.triggers.end()) {
        removed("trigger", key, sql(m_from, key));
        continue;
      }
      changed("trigger", key, "definition", trigger.definition, other->second.definition);
      changed("trigger", key, "enabled", trigger_state(trigger.enabled),
              trigger_state(other->second.enabled));
    }
    for (const auto& [key, trigger] : m_to.triggers) {
      if (!owner_ignored(trigger.table_key) && !m_from.triggers.contains(key)) {
        added("trigger", key, sql(m_to, key));
      }
    }
  }

  void policies() {
    auto sql = [&](const Schema& s, const std::string& key) {
      const Policy& policy = s.policies.at(key);
      return definition(s, "policy", policy.ident + " ON " + policy.table);
    };
    for (const auto& [key, policy] : m_from.policies) {
      if (owner_ignored(policy.table_key)) {
        continue;
      }
      const auto other = m_to.policies.find(key);
      if (other == m_to.policies.end()) {
        removed("policy", key, sql(m_from, key));
        continue;
      }
      const Policy& b = other->second;
      changed("policy", key, "permissive", yes_no(policy.permissive), yes_no(b.permissive));
      changed("policy", key, "command", policy.command, b.command);
      changed("policy", key, "roles", policy.roles, b.roles);
      changed("policy", key, "using", policy.using_expr, b.using_expr);
      changed("policy", key, "with check", policy.check_expr, b.check_expr);
    }
    for (const auto& [key, policy] : m_to.policies) {
      if (!owner_ignored(policy.table_key) && !m_from.policies.contains(key)) {
        added("policy", key, sql(m_to, key));
      }
    }
  }

  // Whether a comment's target is, or belongs to, one of these tables (quoted idents).
  static bool on_table(const std::string& target, const std::set<std::string>& tables) {
    for (const std::string& ident : tables) {
      if (target == "TABLE " + ident || target.starts_with("COLUMN " + ident + ".") ||
          target.ends_with(" ON " + ident)) {
        return true;
      }
    }
    return false;
  }

  void comments() {
    std::set<std::string> ignored_tables;
    if (!m_options.ignore.empty()) {
      for (const Schema* side : {&m_from, &m_to}) {
        for (const auto& [key, table] : side->tables) {
          if (table_ignored(key)) {
            ignored_tables.insert(table.ident);
          }
        }
      }
    }
    // CREATE EXTENSION comments on the extension from its control file: that comment comes
    // and goes with the extension.
    std::set<std::string> extension_comments;
    for (const auto& [a, b] : {std::pair{&m_from, &m_to}, std::pair{&m_to, &m_from}}) {
      for (const auto& [key, extension] : a->extensions) {
        if (!b->extensions.contains(key)) {
          extension_comments.insert("EXTENSION " + extension.ident);
        }
      }
    }
    auto skip = [&](const std::string& target) {
      return extension_comments.contains(target) ||
             (!ignored_tables.empty() && on_table(target, ignored_tables));
    };
    for (const auto& [target, text] : m_from.comments) {
      if (skip(target)) {
        continue;
      }
      const auto other = m_to.comments.find(target);
      if (other == m_to.comments.end()) {
        removed("comment", target, "COMMENT ON " + target + " IS " + text + ";\n");
      } else {
        changed("comment", target, "text", text, other->second);
      }
    }
    for (const auto& [target, text] : m_to.comments) {
      if (!skip(target) && !m_from.comments.contains(target)) {
        added("comment", target, "COMMENT ON " + target + " IS " + text + ";\n");
      }
    }
  }

  void uncompared() {
    std::set<Unsupported> all(m_from.unsupported.begin(), m_from.unsupported.end());
    all.insert(m_to.unsupported.begin(), m_to.unsupported.end());
    for (const Unsupported& item : all) {
      if (!ignored(item.kind, item.name)) {
        m_diff.uncompared.push_back(item);
      }
    }
  }

  const Schema& m_from;
  const Schema& m_to;
  const DiffOptions& m_options;
  Definitions m_from_sql;
  Definitions m_to_sql;
  Diff m_diff;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// "@@ -a,b +c,d @@" as diff -u writes it: an empty range starts at the line before it.
std::string hunk_range(std::size_t start, std::size_t count) {
  return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

}  // namespace

bool ignored(const std::vector<std::string>& ignore, std::string_view kind, std::string_view name) {
  const std::string qualified = std::string(kind) + " " + std::string(name);
  return std::any_of(ignore.begin(), ignore.end(), [&](const std::string& pattern) {
    return glob(pattern, name) || glob(pattern, qualified);
  });
}

Diff diff(const Schema& from, const Schema& to, const DiffOptions& options) {
  return Differ(from, to, options).run();
}

std::string change_line(const Change& change) {
  switch (change.kind) {
    case ChangeKind::added:
      return "+ " + change.object + " " + change.name;
    case ChangeKind::removed:
      return "- " + change.object + " " + change.name;
    case ChangeKind::changed:
      break;
  }
  std::string line = "~ " + change.object + " " + change.name + ": " + change.attribute;
  if (multi_line(change)) {
    return line;
  }
  auto shown = [](const std::string& value) {
    return value.empty() ? std::string("(none)") : value;
  };
  return line + " " + shown(change.before) + " -> " + shown(change.after);
}

bool multi_line(const Change& change) {
  return change.before.find('\n') != std::string::npos ||
         change.after.find('\n') != std::string::npos;
}

std::string unified_diff(const std::string& before, const std::string& after, int context) {
  if (before == after) {
    return {};
  }
  const std::vector<std::string> a = lines_of(before);
  const std::vector<std::string> b = lines_of(after);
  // The lines both share at the start and the end stay out of the table.
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) {
    ++head;
  }
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  const std::size_t n = a.size() - head - tail;
  const std::size_t m = b.size() - head - tail;
  // Longest common subsequence of the middles, by the classic table: definitions are short.
  std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[head + i] == b[head + j] ? lcs[i + 1][j + 1] + 1
                                             : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  // The edit script over the whole texts: ' ' kept, '-' removed, '+' added, with each line's
  // position on both sides.
  struct Op {
    char tag;
    std::size_t a_line;
    std::size_t b_line;
  };
  std::vector<Op> ops;
  for (std::size_t k = 0; k < head; ++k) {
    ops.push_back({' ', k, k});
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] == b[head + j]) {
      ops.push_back({' ', head + i++, head + j++});
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      ops.push_back({'+', head + i, head + j++});
    } else {
      ops.push_back({'-', head + i++, head + j});
    }
  }
  for (std::size_t k = 0; k < tail; ++k) {
    ops.push_back({' ', head + n + k, head + m + k});
  }
  // Removed lines before added ones within each run of changes, as diff -u shows them.
  for (std::size_t k = 0; k < ops.size();) {
    std::size_t end = k;
    while (end < ops.size() && ops[end].tag != ' ') {
      ++end;
    }
    std::stable_partition(ops.begin() + static_cast<std::ptrdiff_t>(k),
                          ops.begin() + static_cast<std::ptrdiff_t>(end),
                          [](const Op& op) { return op.tag == '-'; });
    k = end == k ? k + 1 : end;
  }

  const auto reach = static_cast<std::size_t>(std::max(context, 0));
  std::string out = "--- before\n+++ after\n";
  std::size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].tag == ' ') {
      ++k;
    }
    if (k == ops.size()) {
      break;
    }
    // A hunk: from `reach` lines before the first change to `reach` after the last change that
    // is not more than 2 * reach kept lines from the next.
    const std::size_t first = k >= reach ? k - reach : 0;
    std::size_t last = k;
    std::size_t scan = k;
    while (scan < ops.size()) {
      if (ops[scan].tag != ' ') {
        last = scan;
        ++scan;
        continue;
      }
      std::size_t run = scan;
      while (run < ops.size() && ops[run].tag == ' ') {
        ++run;
      }
      if (run == ops.size() || run - scan > 2 * reach) {
        break;
      }
      scan = run;
    }
    const std::size_t end = std::min(ops.size(), last + 1 + reach);
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    std::string body;
    for (std::size_t x = first; x < end; ++x) {
      const Op& op = ops[x];
      if (op.tag != '+') {
        ++a_count;
      }
      if (op.tag != '-') {
        ++b_count;
      }
      body += op.tag;
      body += op.tag == '+' ? b[op.b_line] : a[op.a_line];
      body += '\n';
    }
    out += "@@ -" + hunk_range(ops[first].a_line, a_count) + " +" +
           hunk_range(ops[first].b_line, b_count) + " @@\n" + body;
    k = end;
  }
  return out;
}

}  // namespace retort::schema
