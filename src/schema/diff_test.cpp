// The schema diff on models built by hand: what is a change, how it reads, in what order, and
// what the server makes up that is not one.
#include "schema/diff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace retort::schema {
namespace {

Column column(const std::string& name, const std::string& type, bool not_null = false) {
  Column c;
  c.name = name;
  c.ident = name;
  c.type = type;
  c.not_null = not_null;
  return c;
}

Table& table(Schema& schema, const std::string& name, std::vector<Column> columns) {
  Table& t = schema.tables["public." + name];
  t.schema = "public";
  t.name = name;
  t.ident = "public." + name;
  t.columns = std::move(columns);
  return t;
}

void constraint(Table& t, const std::string& name, char type, const std::string& definition) {
  t.constraints[name] = Constraint{name, name, type, definition, true};
}

void index(Schema& schema, const std::string& table_name, const std::string& name,
           const std::string& body) {
  Index& i = schema.indexes["public." + name];
  i.schema = "public";
  i.name = name;
  i.ident = "public." + name;
  i.table = "public." + table_name;
  i.table_key = "public." + table_name;
  i.definition = "CREATE INDEX " + name + " ON public." + table_name + " " + body;
}

std::vector<std::string> lines(const Diff& d) {
  std::vector<std::string> out;
  for (const Change& change : d.changes) {
    out.push_back(change_line(change));
  }
  return out;
}

using Lines = std::vector<std::string>;

Schema users() {
  Schema s;
  s.schemas["public"] = "public";
  table(s, "users", {column("id", "bigint", true), column("email", "text", true)});
  return s;
}

TEST(SchemaDiffTest, EqualModelsGiveNoChange) {
  EXPECT_TRUE(diff(users(), users()).empty());
  EXPECT_TRUE(diff(Schema{}, Schema{}).empty());
}

TEST(SchemaDiffTest, ColumnOrderIsNoChange) {
  Schema a = users();
  Schema b = users();
  std::swap(b.tables.at("public.users").columns[0], b.tables.at("public.users").columns[1]);
  EXPECT_TRUE(diff(a, b).empty());
}

TEST(SchemaDiffTest, EachColumnAttributeIsALineOfItsOwn) {
  Schema a = users();
  Schema b = users();
  Column& email = b.tables.at("public.users").columns[1];
  email.type = "public.citext";
  email.not_null = false;
  email.default_expr = "''::text";
  b.tables.at("public.users").columns.push_back(column("name", "text"));
  a.tables.at("public.users").columns.push_back(column("legacy", "text"));
  // By name, then by attribute: not by the order the columns stand in.
  EXPECT_EQ(lines(diff(a, b)), (Lines{
                                   "~ column public.users.email: default (none) -> ''::text",
                                   "~ column public.users.email: not null yes -> no",
                                   "~ column public.users.email: type text -> public.citext",
                                   "- column public.users.legacy",
                                   "+ column public.users.name",
                               }));
  const Diff d = diff(a, b);
  EXPECT_EQ(d.changes[3].before, "ALTER TABLE public.users ADD COLUMN legacy text;\n");
  EXPECT_EQ(d.changes[4].after, "ALTER TABLE public.users ADD COLUMN name text;\n");
}

TEST(SchemaDiffTest, ChangesComeInTheOrderOfKindsThenNames) {
  Schema a;
  Schema b;
  b.schemas["app"] = "app";
  table(b, "b_table", {column("id", "integer")});
  table(b, "a_table", {column("id", "integer")});
  View& view = b.views["public.v"];
  view.schema = "public";
  view.name = "v";
  view.ident = "public.v";
  view.definition = " SELECT 1";
  b.comments["TABLE public.a_table"] = "'first'";
  EnumType& mood = b.enums["public.mood"];
  mood.schema = "public";
  mood.name = "mood";
  mood.ident = "public.mood";
  mood.labels = {"'sad'", "'happy'"};
  EXPECT_EQ(lines(diff(a, b)), (Lines{
                                   "+ schema app",
                                   "+ type public.mood",
                                   "+ table public.a_table",
                                   "+ table public.b_table",
                                   "+ view public.v",
                                   "+ comment TABLE public.a_table",
                               }));
  const Diff d = diff(a, b);
  // An added object carries its SQL, as the dump writes it.
  EXPECT_EQ(d.changes[2].after, "CREATE TABLE public.a_table (\n    id integer\n);\n");
  EXPECT_EQ(d.changes[4].after, "CREATE VIEW public.v AS\n SELECT 1;\n");
  EXPECT_EQ(d.changes[2].before, "");
}

TEST(SchemaDiffTest, GeneratedConstraintNamesForTheSameDefinitionAreNoChange) {
  Schema a = users();
  Schema b = users();
  constraint(a.tables.at("public.users"), "users_pkey", 'p', "PRIMARY KEY (id)");
  constraint(b.tables.at("public.users"), "users_pkey", 'p', "PRIMARY KEY (id)");
  // The same unique constraint, numbered apart because another took the name first once.
  constraint(a.tables.at("public.users"), "users_email_key", 'u', "UNIQUE (email)");
  constraint(b.tables.at("public.users"), "users_email_key1", 'u', "UNIQUE (email)");
  constraint(a.tables.at("public.users"), "users_id_check", 'c', "CHECK ((id > 0))");
  constraint(b.tables.at("public.users"), "users_id_check1", 'c', "CHECK ((id > 0))");
  EXPECT_TRUE(diff(a, b).empty()) << lines(diff(a, b)).front();

  // Under a name the user chose, a new name is a different constraint.
  constraint(b.tables.at("public.users"), "email_unique", 'u', "UNIQUE (email)");
  constraint(a.tables.at("public.users"), "ids_positive", 'c', "CHECK ((id > 0))");
  EXPECT_EQ(lines(diff(a, b)), (Lines{
                                   "+ constraint public.users.email_unique",
                                   "- constraint public.users.ids_positive",
                               }));
}

TEST(SchemaDiffTest, GeneratedNamesOfDifferentDefinitionsAreChanges) {
  Schema a = users();
  Schema b = users();
  constraint(a.tables.at("public.users"), "users_id_check", 'c', "CHECK ((id > 0))");
  constraint(b.tables.at("public.users"), "users_id_check1", 'c', "CHECK ((id > 1))");
  EXPECT_EQ(lines(diff(a, b)), (Lines{
                                   "- constraint public.users.users_id_check",
                                   "+ constraint public.users.users_id_check1",
                               }));
  // The same name with another definition is one constraint changed.
  b.tables.at("public.users").constraints.clear();
  constraint(b.tables.at("public.users"), "users_id_check", 'c', "CHECK ((id > 1))");
  EXPECT_EQ(lines(diff(a, b)),
            (Lines{"~ constraint public.users.users_id_check: definition CHECK ((id > 0)) -> "
                   "CHECK ((id > 1))"}));
}

TEST(SchemaDiffTest, GeneratedIndexNamesForTheSameIndexAreNoChange) {
  Schema a = users();
  Schema b = users();
  index(a, "users", "users_email_idx", "USING btree (email)");
  index(b, "users", "users_email_idx1", "USING btree (email)");
  EXPECT_TRUE(diff(a, b).empty());
  // A name the user gave is the user's: renaming is a change.
  index(a, "users", "by_id", "USING btree (id)");
  index(b, "users", "users_by_id", "USING btree (id)");
  EXPECT_EQ(lines(diff(a, b)), (Lines{"- index public.by_id", "+ index public.users_by_id"}));
  // Another column under the generated name is a change.
  b.indexes.erase("public.users_email_idx1");
  index(b, "users", "users_email_idx1", "USING hash (email)");
  EXPECT_EQ(diff(a, b).changes.size(), 4U);
}

TEST(SchemaDiffTest, ADefinitionSpanningLinesIsNamedOnItsLine) {
  Schema a;
  Schema b;
  Function f;
  f.schema = "public";
  f.name = "add";
  f.arguments = "a integer, b integer";
  f.ident = "public.add(a integer, b integer)";
  f.definition =
      "CREATE OR REPLACE FUNCTION public.add(a integer, b integer)\n RETURNS integer\n"
      "AS $function$ SELECT a + b $function$";
  a.functions["public.add(a integer, b integer)"] = f;
  f.definition =
      "CREATE OR REPLACE FUNCTION public.add(a integer, b integer)\n RETURNS integer\n"
      "AS $function$ SELECT b + a $function$";
  b.functions["public.add(a integer, b integer)"] = f;
  // An overload is another function.
  Function g = f;
  g.arguments = "a numeric, b numeric";
  g.ident = "public.add(a numeric, b numeric)";
  b.functions["public.add(a numeric, b numeric)"] = g;
  const Diff d = diff(a, b);
  ASSERT_EQ(lines(d), (Lines{"~ function public.add(a integer, b integer): definition",
                             "+ function public.add(a numeric, b numeric)"}));
  EXPECT_TRUE(multi_line(d.changes[0]));
  EXPECT_FALSE(multi_line(Change{ChangeKind::changed, "column", "t.a", "type", "a", "b"}));
  EXPECT_EQ(unified_diff(d.changes[0].before, d.changes[0].after),
            "--- before\n+++ after\n@@ -1,3 +1,3 @@\n"
            " CREATE OR REPLACE FUNCTION public.add(a integer, b integer)\n"
            "  RETURNS integer\n"
            "-AS $function$ SELECT a + b $function$\n"
            "+AS $function$ SELECT b + a $function$\n");
}

TEST(SchemaDiffTest, UnifiedDiffShowsContextAroundEachChange) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n"), "");
  std::string before;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
  }
  std::string after = before;
  after.replace(after.find("2\n"), 2, "two\n");
  after.replace(after.find("\n18\n"), 4, "\n18\neighteen and a half\n");
  EXPECT_EQ(unified_diff(before, after, 1),
            "--- before\n+++ after\n"
            "@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n"
            "@@ -18,2 +18,3 @@\n 18\n+eighteen and a half\n 19\n");
  // Everything new: the old range is empty and starts at line 0.
  EXPECT_EQ(unified_diff("", "x\ny\n"), "--- before\n+++ after\n@@ -0,0 +1,2 @@\n+x\n+y\n");
}

TEST(SchemaDiffTest, TriggerStatesAndViewsBecomeMaterializedAreChanges) {
  Schema a = users();
  Trigger t;
  t.name = "touch";
  t.ident = "touch";
  t.table = "public.users";
  t.table_key = "public.users";
  t.definition =
      "CREATE TRIGGER touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE "
      "FUNCTION public.touch()";
  a.triggers["public.users.touch"] = t;
  View v;
  v.schema = "public";
  v.name = "v";
  v.ident = "public.v";
  v.definition = " SELECT 1";
  a.views["public.v"] = v;
  Schema b = a;
  b.triggers.at("public.users.touch").enabled = 'D';
  b.views.at("public.v").materialized = true;
  EXPECT_EQ(lines(diff(a, b)), (Lines{
                                   "- view public.v",
                                   "+ materialized view public.v",
                                   "~ trigger public.users.touch: enabled yes -> no",
                               }));
}

TEST(SchemaDiffTest, TheMirrorOfADiffIsTheDiffBack) {
  Schema a = users();
  Schema b = users();
  b.tables.at("public.users").columns[1].type = "varchar(10)";
  table(b, "orders", {column("id", "integer")});
  b.comments["COLUMN public.users.email"] = "'where we write'";
  const Diff forth = diff(a, b);
  const Diff back = diff(b, a);
  ASSERT_EQ(forth.changes.size(), back.changes.size());
  for (std::size_t i = 0; i < forth.changes.size(); ++i) {
    const Change& f = forth.changes[i];
    const Change& r = back.changes[i];
    EXPECT_EQ(f.object, r.object);
    EXPECT_EQ(f.name, r.name);
    EXPECT_EQ(f.before, r.after);
    EXPECT_EQ(f.after, r.before);
    EXPECT_EQ(f.kind == ChangeKind::changed, r.kind == ChangeKind::changed);
  }
}

TEST(SchemaDiffTest, IgnoredTablesTakeWhatBelongsToThem) {
  Schema a = users();
  Schema b = users();
  table(b, "spatial_ref_sys", {column("srid", "integer")});
  index(b, "spatial_ref_sys", "spatial_srid", "USING btree (srid)");
  b.comments["TABLE public.spatial_ref_sys"] = "'from PostGIS'";
  b.comments["COLUMN public.spatial_ref_sys.srid"] = "'an id'";
  b.unsupported.push_back({"event trigger", "on_ddl"});
  b.unsupported.push_back({"rule", "r ON public.users"});
  DiffOptions options;
  options.ignore = {"public.spatial_*", "event trigger on_ddl"};
  const Diff d = diff(a, b, options);
  EXPECT_TRUE(d.changes.empty()) << change_line(d.changes.front());
  ASSERT_EQ(d.uncompared.size(), 1U);
  EXPECT_EQ(d.uncompared[0].kind, "rule");
  EXPECT_FALSE(d.empty());
  // Without the ignore list everything is there.
  EXPECT_EQ(diff(a, b).changes.size(), 4U);
  EXPECT_EQ(diff(a, b).uncompared.size(), 2U);
}

TEST(SchemaDiffTest, EnumLabelsAndSequenceDefinitionsAreCompared) {
  Schema a;
  EnumType mood;
  mood.schema = "public";
  mood.name = "mood";
  mood.ident = "public.mood";
  mood.labels = {"'sad'", "'happy'"};
  a.enums["public.mood"] = mood;
  Sequence seq;
  seq.schema = "public";
  seq.name = "n";
  seq.ident = "public.n";
  seq.increment = "1";
  a.sequences["public.n"] = seq;
  Schema b = a;
  b.enums.at("public.mood").labels = {"'sad'", "'ok'", "'happy'"};
  b.sequences.at("public.n").increment = "10";
  EXPECT_EQ(lines(diff(a, b)),
            (Lines{"~ type public.mood: labels 'sad', 'happy' -> 'sad', 'ok', 'happy'",
                   "~ sequence public.n: increment 1 -> 10"}));
}

}  // namespace
}  // namespace retort::schema
