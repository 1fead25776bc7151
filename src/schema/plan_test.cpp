// The PostgreSQL planner on models built by hand: the order of its steps, their phase, the
// hazards it refuses, renames, and that the same models give the same plan.
#include "schema/plan.hpp"

#include "retort/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
  i.definition = "CREATE INDEX " + name + " ON public." + table_name + " USING btree " + body;
}

View& view(Schema& schema, const std::string& name, const std::string& definition,
           std::vector<std::string> depends_on = {}) {
  View& v = schema.views["public." + name];
  v.schema = "public";
  v.name = name;
  v.ident = "public." + name;
  v.definition = definition;
  v.depends_on = std::move(depends_on);
  return v;
}

Function& function(Schema& schema, const std::string& name, const std::string& arguments,
                   const std::string& returns, const std::string& body) {
  Function& f = schema.functions["public." + name + "(" + arguments + ")"];
  f.schema = "public";
  f.name = name;
  f.arguments = arguments;
  f.argument_types = arguments;
  f.ident = "public." + name + "(" + arguments + ")";
  f.definition = "CREATE OR REPLACE FUNCTION public." + name + "(" + arguments + ")\n RETURNS " +
                 returns + "\n LANGUAGE sql\nAS $function$" + body + "$function$\n";
  return f;
}

Schema base() {
  Schema s;
  s.schemas["public"] = "public";
  table(s, "users", {column("id", "bigint", true), column("email", "text")});
  constraint(s.tables.at("public.users"), "users_pkey", 'p', "PRIMARY KEY (id)");
  return s;
}

std::vector<std::string> summaries(const Plan& plan) {
  std::vector<std::string> out;
  for (const Step& step : plan.steps) {
    out.push_back(step.summary);
  }
  return out;
}

std::vector<std::string> ups(const Plan& plan) {
  std::vector<std::string> out;
  for (const Step& step : plan.steps) {
    out.insert(out.end(), step.up.begin(), step.up.end());
  }
  return out;
}

// Where a step whose summary starts with `prefix` stands; fails the test when none does.
std::ptrdiff_t position(const Plan& plan, const std::string& prefix) {
  const std::vector<std::string> all = summaries(plan);
  const auto found = std::find_if(all.begin(), all.end(),
                                  [&](const std::string& s) { return s.starts_with(prefix); });
  EXPECT_NE(found, all.end()) << prefix << " in " << ::testing::PrintToString(all);
  return found - all.begin();
}

const Step& step_of(const Plan& plan, const std::string& prefix) {
  return plan.steps.at(static_cast<std::size_t>(position(plan, prefix)));
}

PlanOptions allow_all() {
  PlanOptions options;
  options.allow_hazards = {"PG105", "PG108", "PG203", "PG204", "PG206"};
  return options;
}

TEST(SchemaPlanTest, EqualModelsGiveAnEmptyPlan) { EXPECT_TRUE(plan(base(), base()).empty()); }

TEST(SchemaPlanTest, AViewOverAViewIsCreatedAfterItAndDroppedBeforeIt) {
  Schema to = base();
  view(to, "a", " SELECT users.id FROM public.users");
  view(to, "b", " SELECT a.id FROM public.a", {"public.a"});
  view(to, "c", " SELECT b.id FROM public.b", {"public.b"});
  const Plan up = plan(base(), to);
  EXPECT_EQ(summaries(up), (std::vector<std::string>{"create view public.a", "create view public.b",
                                                     "create view public.c"}));
  const Plan down = plan(to, base());
  EXPECT_EQ(summaries(down), (std::vector<std::string>{"drop view public.c", "drop view public.b",
                                                       "drop view public.a"}));
  // Each step undoes itself: the view's drop restores it.
  EXPECT_EQ(down.steps[0].down,
            std::vector<std::string>{"CREATE VIEW public.c AS\n SELECT b.id FROM public.b;"});
}

TEST(SchemaPlanTest, ANewTableIsCreatedBeforeTheForeignKeyToItAndItsPlainIndex) {
  Schema to = base();
  Table& orders = table(to, "orders", {column("id", "bigint", true), column("user_id", "bigint")});
  constraint(orders, "orders_pkey", 'p', "PRIMARY KEY (id)");
  constraint(orders, "orders_user_fk", 'f', "FOREIGN KEY (user_id) REFERENCES public.users(id)");
  index(to, "orders", "orders_user", "(user_id)");
  const Plan p = plan(base(), to);
  EXPECT_LT(position(p, "create table public.orders"),
            position(p, "add constraint public.orders.orders_pkey"));
  EXPECT_LT(position(p, "add constraint public.orders.orders_pkey"),
            position(p, "add constraint public.orders.orders_user_fk"));
  // A new table's statements are plain and run in the transaction.
  for (const Step& step : p.steps) {
    EXPECT_EQ(step.phase, Phase::transactional) << step.summary;
  }
  EXPECT_EQ(
      step_of(p, "create index public.orders_user").up,
      std::vector<std::string>{"CREATE INDEX orders_user ON public.orders USING btree (user_id);"});
  // Dropped again: the foreign key before the tables.
  const Plan back = plan(to, base(), allow_all());
  EXPECT_LT(position(back, "drop constraint public.orders.orders_user_fk"),
            position(back, "drop table public.orders"));
}

TEST(SchemaPlanTest, OnAnExistingTableAnIndexIsBuiltConcurrentlyAndAForeignKeyValidatedOnline) {
  Schema from = base();
  table(from, "orders", {column("id", "bigint", true), column("user_id", "bigint")});
  Schema to = from;
  constraint(to.tables.at("public.orders"), "orders_user_fk", 'f',
             "FOREIGN KEY (user_id) REFERENCES public.users(id)");
  index(to, "orders", "orders_user", "(user_id)");
  const Plan p = plan(from, to);
  const Step& add = step_of(p, "add constraint public.orders.orders_user_fk");
  EXPECT_EQ(add.phase, Phase::transactional);
  EXPECT_EQ(add.up, std::vector<std::string>{
                        "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY "
                        "(user_id) REFERENCES public.users(id) NOT VALID;"});
  const Step& validate = step_of(p, "validate constraint public.orders.orders_user_fk");
  EXPECT_EQ(validate.phase, Phase::online);
  const Step& build = step_of(p, "create index public.orders_user");
  EXPECT_EQ(build.phase, Phase::online);
  EXPECT_EQ(build.up, std::vector<std::string>{"CREATE INDEX CONCURRENTLY orders_user ON "
                                               "public.orders USING btree (user_id);"});
  EXPECT_EQ(build.down,
            std::vector<std::string>{"DROP INDEX CONCURRENTLY IF EXISTS public.orders_user;"});
  // Online steps come after every transactional one.
  bool online = false;
  for (const Step& step : p.steps) {
    EXPECT_FALSE(online && step.phase == Phase::transactional) << step.summary;
    online = online || step.phase == Phase::online;
  }
  // And a dropped index on a table that stays goes concurrently.
  const Plan back = plan(to, from);
  const Step& drop = step_of(back, "drop index public.orders_user");
  EXPECT_EQ(drop.phase, Phase::online);
  EXPECT_EQ(drop.up,
            std::vector<std::string>{"DROP INDEX CONCURRENTLY IF EXISTS public.orders_user;"});
}

TEST(SchemaPlanTest, AUniqueKeyOnAnExistingTableIsMadeFromAnIndexBuiltConcurrently) {
  Schema to = base();
  constraint(to.tables.at("public.users"), "users_email_key", 'u', "UNIQUE (email)");
  const Plan p = plan(base(), to);
  EXPECT_EQ(ups(p), (std::vector<std::string>{
                        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON public.users (email);",
                        "ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE USING "
                        "INDEX users_email_key;"}));
  for (const Step& step : p.steps) {
    EXPECT_EQ(step.phase, Phase::online);
  }
}

TEST(SchemaPlanTest, DroppingATableOrAColumnIsRefusedUnlessAllowed) {
  Schema from = base();
  table(from, "old", {column("id", "integer")});
  Schema to = base();
  to.tables.at("public.users").columns.pop_back();
  const Plan refused = plan(from, to);
  ASSERT_EQ(refused.refused.size(), 2U);
  EXPECT_EQ(refused.refused[0].code, "PG203");
  EXPECT_EQ(refused.refused[0].object, "table public.old");
  EXPECT_EQ(refused.refused[1].code, "PG204");
  EXPECT_EQ(refused.refused[1].object, "column public.users.email");
  // The plan still holds the steps, each accepting its lint finding.
  const Step& drop = step_of(refused, "drop table public.old");
  ASSERT_EQ(drop.accepted.size(), 1U);
  EXPECT_EQ(drop.accepted[0].code, "PG203");
  EXPECT_EQ(drop.down, std::vector<std::string>{"CREATE TABLE public.old (\n    id integer\n);"});
  PlanOptions options;
  options.allow_hazards = {"PG203"};
  const Plan partly = plan(from, to, options);
  ASSERT_EQ(partly.refused.size(), 1U);
  EXPECT_EQ(partly.refused[0].code, "PG204");
  EXPECT_EQ(partly.hazards.size(), 2U);
  EXPECT_TRUE(plan(from, to, allow_all()).refused.empty());
}

TEST(SchemaPlanTest, ANarrowingTypeChangeIsAHazardAndAWideningOneIsNot) {
  Schema from = base();
  from.tables.at("public.users").columns.push_back(column("name", "character varying(20)"));
  from.tables.at("public.users").columns.push_back(column("n", "integer"));
  Schema to = base();
  to.tables.at("public.users").columns.push_back(column("name", "character varying(10)"));
  to.tables.at("public.users").columns.push_back(column("n", "bigint"));
  const Plan p = plan(from, to);
  ASSERT_EQ(p.refused.size(), 1U);
  EXPECT_EQ(p.refused[0].code, "PG108");
  EXPECT_EQ(p.refused[0].object, "column public.users.name");
  EXPECT_EQ(step_of(p, "change type of column public.users.n from").up,
            std::vector<std::string>{
                "ALTER TABLE public.users ALTER COLUMN n TYPE bigint USING n::bigint;"});
  EXPECT_TRUE(plan(to, from).refused.size() == 1U &&
              plan(to, from).refused[0].object == "column public.users.n");
}

TEST(SchemaPlanTest, NotNullOnAnExistingColumnIsProvedOnlineAndIsAHazard) {
  Schema to = base();
  to.tables.at("public.users").columns[1].not_null = true;
  const Plan p = plan(base(), to);
  ASSERT_EQ(p.refused.size(), 1U);
  EXPECT_EQ(p.refused[0].code, "PG105");
  EXPECT_NE(p.refused[0].why.find("backfill"), std::string::npos);
  EXPECT_EQ(ups(p), (std::vector<std::string>{
                        "ALTER TABLE public.users ADD CONSTRAINT \"users_email_not_null\" CHECK "
                        "(email IS NOT NULL) NOT VALID;",
                        "ALTER TABLE public.users VALIDATE CONSTRAINT \"users_email_not_null\";",
                        "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;",
                        "ALTER TABLE public.users DROP CONSTRAINT \"users_email_not_null\";"}));
  EXPECT_EQ(p.steps[0].phase, Phase::transactional);
  EXPECT_EQ(p.steps[1].phase, Phase::online);
  EXPECT_EQ(p.steps[2].phase, Phase::online);
}

TEST(SchemaPlanTest, RenamesAreOnlyWhatIsAsked) {
  Schema to = base();
  to.tables.at("public.users").columns[1].name = "mail";
  to.tables.at("public.users").columns[1].ident = "mail";
  const Plan guessed = plan(base(), to, allow_all());
  EXPECT_EQ(summaries(guessed), (std::vector<std::string>{"drop column public.users.email",
                                                          "add column public.users.mail"}));
  ASSERT_EQ(guessed.notes.size(), 1U);
  EXPECT_NE(guessed.notes[0].find("--rename"), std::string::npos);

  PlanOptions options;
  options.renames = {{"public.users.email", "public.users.mail"}};
  const Plan renamed = plan(base(), to, options);
  EXPECT_EQ(ups(renamed),
            std::vector<std::string>{"ALTER TABLE public.users RENAME COLUMN email TO mail;"});
  EXPECT_EQ(renamed.steps[0].down,
            std::vector<std::string>{"ALTER TABLE public.users RENAME COLUMN mail TO email;"});
  EXPECT_TRUE(renamed.hazards.empty());

  options.renames = {{"public.users.nope", "public.users.mail"}};
  EXPECT_THROW((void)plan(base(), to, options), Error);
  options.renames = {{"public.users", "public.nobody"}};
  EXPECT_THROW((void)plan(base(), to, options), Error);
}

TEST(SchemaPlanTest, ABodyChangeReplacesTheFunctionInPlaceAndASignatureChangeRebuildsItsViews) {
  Schema from = base();
  function(from, "f", "a integer", "integer", " SELECT a ");
  view(from, "v", " SELECT public.f(1) AS f", {"public.f(a integer)"});
  Schema body = from;
  function(body, "f", "a integer", "integer", " SELECT a + 1 ");
  const Plan replaced = plan(from, body);
  EXPECT_EQ(summaries(replaced),
            std::vector<std::string>{"replace the body of function public.f(a integer)"});
  EXPECT_EQ(replaced.steps[0].down,
            std::vector<std::string>{from.functions.at("public.f(a integer)").definition + ";"});

  Schema returns = from;
  function(returns, "f", "a integer", "bigint", " SELECT a ");
  const Plan rebuilt = plan(from, returns);
  EXPECT_EQ(
      summaries(rebuilt),
      (std::vector<std::string>{"drop view public.v", "drop function public.f(a integer)",
                                "create function public.f(a integer)", "create view public.v"}));
}

TEST(SchemaPlanTest, AViewGainingColumnsAtItsEndIsReplacedInPlaceKeepingItsReaders) {
  Schema from = base();
  view(from, "v", " SELECT users.id\n   FROM public.users");
  view(from, "reader", " SELECT v.id\n   FROM public.v", {"public.v"});
  Schema to = base();
  view(to, "v", " SELECT users.id,\n    users.email\n   FROM public.users");
  view(to, "reader", " SELECT v.id\n   FROM public.v", {"public.v"});
  const Plan p = plan(from, to);
  EXPECT_EQ(summaries(p), std::vector<std::string>{"add columns to view public.v"});
  EXPECT_EQ(ups(p), std::vector<std::string>{"CREATE OR REPLACE VIEW public.v AS\n SELECT "
                                             "users.id,\n    users.email\n   FROM public.users;"});
  // Its undo takes the reader off and puts it back around the narrower view.
  EXPECT_EQ(p.steps[0].down, (std::vector<std::string>{
                                 "DROP VIEW public.reader;", "DROP VIEW public.v;",
                                 "CREATE VIEW public.v AS\n SELECT users.id\n   FROM public.users;",
                                 "CREATE VIEW public.reader AS\n SELECT v.id\n   FROM public.v;"}));
  // A column taken off is a drop and a create, the reader's too.
  EXPECT_EQ(summaries(plan(to, from)),
            (std::vector<std::string>{"drop view public.reader", "drop view public.v",
                                      "create view public.v", "create view public.reader"}));
}

TEST(SchemaPlanTest, ALabelAddedToAnEnumIsUsedOnlyAfterItsTransaction) {
  Schema from = base();
  EnumType& mood = from.enums["public.mood"];
  mood.schema = "public";
  mood.name = "mood";
  mood.ident = "public.mood";
  mood.labels = {"'sad'", "'happy'"};
  from.tables.at("public.users").columns.push_back(column("mood", "public.mood"));
  Schema to = from;
  to.enums.at("public.mood").labels = {"'sad'", "'meh'", "'happy'"};
  to.tables.at("public.users").columns.back().default_expr = "'meh'::public.mood";
  const Plan p = plan(from, to);
  const Step& add = step_of(p, "add labels to type public.mood");
  EXPECT_EQ(add.up,
            std::vector<std::string>{"ALTER TYPE public.mood ADD VALUE 'meh' AFTER 'sad';"});
  EXPECT_EQ(add.phase, Phase::transactional);
  EXPECT_EQ(step_of(p, "set default of public.users.mood").phase, Phase::online);
  // No label comes off in place: the undo rebuilds the type.
  EXPECT_EQ(add.down.front(), "ALTER TYPE public.mood RENAME TO \"mood__retort_old\";");
  // Before PostgreSQL 12 ADD VALUE runs outside any transaction.
  from.server_version = "PostgreSQL 11.22";
  to.server_version = "PostgreSQL 11.22";
  EXPECT_EQ(step_of(plan(from, to), "add labels to type public.mood").phase, Phase::online);
}

TEST(SchemaPlanTest, IgnoredObjectsAreLeftAsTheyAre) {
  Schema from = base();
  table(from, "spatial_ref_sys", {column("srid", "integer")});
  from.comments["TABLE public.spatial_ref_sys"] = "'theirs'";
  Schema to = base();
  table(to, "spatial_ref_sys", {column("srid", "integer"), column("extra", "text")});
  Sequence& sequence = to.sequences["public.their_seq"];
  sequence.ident = "public.their_seq";
  PlanOptions options;
  options.ignore = {"public.spatial_ref_sys", "sequence public.their_*"};
  EXPECT_TRUE(plan(from, to, options).empty()) << summaries(plan(from, to, options)).size();
  EXPECT_FALSE(plan(from, to).empty());
}

TEST(SchemaPlanTest, TheSameModelsGiveTheSameSteps) {
  Schema from = base();
  table(from, "gone", {column("id", "integer")});
  Schema to = base();
  table(to, "a", {column("id", "integer")});
  table(to, "b", {column("id", "integer")});
  view(to, "v", " SELECT a.id FROM public.a");
  to.comments["TABLE public.a"] = "'first'";
  const Plan first = plan(from, to, allow_all());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(plan(from, to, allow_all()).steps, first.steps);
  }
  EXPECT_EQ(summaries(first).back(), "comment on TABLE public.a");
}

}  // namespace
}  // namespace retort::schema
