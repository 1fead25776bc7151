#include "lint/schema_facts.hpp"

#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

schema::Table table(std::string name, std::vector<std::pair<std::string, std::string>> columns) {
  schema::Table out;
  out.schema = "public";
  out.name = std::move(name);
  out.ident = out.name;
  for (auto& [column, type] : columns) {
    schema::Column each;
    each.name = column;
    each.ident = column;
    each.type = type;
    out.columns.push_back(std::move(each));
  }
  return out;
}

TEST(SchemaFacts, ReadsTheCatalogsTypesAsTheTreeNamesThem) {
  EXPECT_EQ(catalog_type_facts("character varying(255)"), (TypeFacts{"varchar", {255}, false}));
  EXPECT_EQ(catalog_type_facts("character varying"), (TypeFacts{"varchar", {}, false}));
  EXPECT_EQ(catalog_type_facts("numeric(10,2)"), (TypeFacts{"numeric", {10, 2}, false}));
  EXPECT_EQ(catalog_type_facts("timestamp(3) with time zone"),
            (TypeFacts{"timestamptz", {3}, false}));
  EXPECT_EQ(catalog_type_facts("integer[]"), (TypeFacts{"int4", {}, true}));
  EXPECT_EQ(catalog_type_facts("public.mood"), (TypeFacts{"mood", {}, false}));
}

TEST(SchemaFacts, FindsATableAsWrittenAndAmbiguityFindsNone) {
  schema::Schema known;
  known.tables["public.users"] = table("users", {{"id", "bigint"}});
  schema::Table other = table("events", {});
  other.schema = "audit";
  known.tables["audit.events"] = other;
  EXPECT_NE(find_table(known, "users"), nullptr);
  EXPECT_NE(find_table(known, "public.users"), nullptr);
  EXPECT_NE(find_table(known, "events"), nullptr);  // the only one of that name
  EXPECT_EQ(find_table(known, "audit.users"), nullptr);
  other.schema = "archive";
  known.tables["archive.events"] = other;
  EXPECT_EQ(find_table(known, "events"), nullptr);
}

TEST(SchemaFacts, ValidatedNotNullCheckIsReadBackFromTheCatalogsDefinition) {
  schema::Table users = table("users", {{"email", "text"}, {"Name", "text"}});
  users.constraints["users_email_check"] = {"users_email_check", "users_email_check", 'c',
                                            "CHECK ((email IS NOT NULL))", true};
  users.constraints["users_Name_check"] = {"users_Name_check", "\"users_Name_check\"", 'c',
                                           "CHECK ((\"Name\" IS NOT NULL)) NOT VALID", false};
  EXPECT_TRUE(validated_not_null_check(users, "email"));
  EXPECT_FALSE(validated_not_null_check(users, "Name"));  // NOT VALID proves nothing yet
  users.constraints["users_Name_check"].validated = true;
  EXPECT_TRUE(validated_not_null_check(users, "Name"));
}

// The schema as a statement leaves it, applied through the parser as the analyzer does.
void apply(schema::Schema& known, const std::string& sql) {
  const sql::Tree tree = sql::parse_tree(sql);
  ASSERT_NE(tree.get(), nullptr) << sql;
  for (std::size_t stmt_idx = 0; stmt_idx < tree->n_stmts; ++stmt_idx) {
    advance(known, tree->stmts[stmt_idx]->stmt);
  }
}

TEST(SchemaFacts, AdvancesByWhatTheStatementsChange) {
  schema::Schema known;
  apply(known,
        "CREATE TABLE app.orders (id serial PRIMARY KEY, note varchar(40), total numeric(10,2), "
        "CONSTRAINT total_known CHECK (total IS NOT NULL)) PARTITION BY RANGE (id);"
        "CREATE TABLE app.orders_1 PARTITION OF app.orders FOR VALUES FROM (1) TO (100);"
        "ALTER TABLE app.orders ALTER COLUMN note TYPE text, ADD COLUMN placed timestamptz;"
        "ALTER TABLE app.orders ADD CONSTRAINT placed_known CHECK (placed IS NOT NULL) NOT VALID;");
  const schema::Table* orders = find_table(known, "app.orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_TRUE(orders->partitioned);
  ASSERT_EQ(orders->columns.size(), 4U);
  EXPECT_EQ(orders->columns[0].type, "integer");
  EXPECT_TRUE(orders->columns[0].not_null);
  EXPECT_EQ(orders->columns[1].type, "text");
  EXPECT_EQ(orders->columns[2].type, "numeric(10,2)");
  EXPECT_EQ(orders->columns[3].type, "timestamp with time zone");
  EXPECT_TRUE(validated_not_null_check(*orders, "total"));
  EXPECT_FALSE(validated_not_null_check(*orders, "placed"));
  const schema::Table* partition = find_table(known, "app.orders_1");
  ASSERT_NE(partition, nullptr);
  EXPECT_EQ(partition->partition_of, "app.orders");
  EXPECT_EQ(partition->columns.size(), 3U);  // the parent's columns when it was created

  apply(known,
        "ALTER TABLE app.orders VALIDATE CONSTRAINT placed_known;"
        "ALTER TABLE app.orders RENAME COLUMN note TO remark;"
        "ALTER TABLE app.orders RENAME TO purchases;"
        "DROP TABLE app.orders_1;");
  EXPECT_EQ(find_table(known, "app.orders"), nullptr);
  EXPECT_EQ(find_table(known, "app.orders_1"), nullptr);
  const schema::Table* purchases = find_table(known, "app.purchases");
  ASSERT_NE(purchases, nullptr);
  EXPECT_TRUE(validated_not_null_check(*purchases, "placed"));
  EXPECT_NE(find_column(*purchases, "remark"), nullptr);
}

// The schema `lint --schema database` reads: users empty (SELECT EXISTS found no row), events
// small by its statistics, orders large, audit never analyzed and not looked at.
schema::Schema sized() {
  schema::Schema known;
  schema::Table users = table("users", {{"id", "bigint"}, {"email", "text"}});
  users.has_rows = false;
  users.row_estimate = 0;
  known.tables["public.users"] = users;
  schema::Table events = table("events", {{"id", "bigint"}, {"kind", "integer"}});
  events.row_estimate = 420;
  events.has_rows = true;
  known.tables["public.events"] = events;
  schema::Table orders = table("orders", {{"id", "bigint"}, {"user_id", "bigint"}});
  orders.row_estimate = 2.5e6;
  known.tables["public.orders"] = orders;
  known.tables["public.audit"] = table("audit", {{"id", "bigint"}});
  return known;
}

test::Options on(const schema::Schema& known) {
  test::Options options;
  options.context.schema = &known;
  return options;
}

TEST(SchemaFacts, ARewriteOrScanOfATableTheDatabaseShowsEmptyIsANoteNamingTheEvidence) {
  const schema::Schema known = sized();
  const Outcome outcome = test::lint(
      "CREATE INDEX users_email_idx ON users (email);\n"
      "ALTER TABLE users ALTER COLUMN id TYPE text;\n"
      "ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '');",
      on(known));
  ASSERT_EQ(outcome.findings.size(), 3U);
  for (const Finding& finding : outcome.findings) {
    EXPECT_EQ(finding.level, Level::note) << finding.code;
    EXPECT_EQ(finding.evidence,
              "the database has no row in users: SELECT EXISTS found none when lint read it")
        << finding.code;
  }
  EXPECT_EQ(outcome.findings[0].code, "PG101");
  EXPECT_EQ(outcome.findings[1].code, "PG108");
  EXPECT_EQ(outcome.findings[2].code, "PG106");
  EXPECT_EQ(outcome.errors(), 0U);
}

TEST(SchemaFacts, ASmallTableByItsStatisticsIsAWarningAndALargeOneStaysAnError) {
  const schema::Schema known = sized();
  const auto small = test::findings("PG101", "CREATE INDEX ON events (kind);", on(known));
  ASSERT_EQ(small.size(), 1U);
  EXPECT_EQ(small[0].level, Level::warning);
  EXPECT_EQ(small[0].evidence,
            "the database's statistics estimate 420 rows in events (pg_class.reltuples, as of its "
            "last VACUUM or ANALYZE)");
  const auto large = test::findings("PG101", "CREATE INDEX ON orders (user_id);", on(known));
  ASSERT_EQ(large.size(), 1U);
  EXPECT_EQ(large[0].level, Level::error);
  EXPECT_EQ(large[0].evidence, "");
  // Never analyzed and not looked at: nothing known, nothing lowered.
  EXPECT_EQ(test::findings("PG109", "VACUUM FULL audit;", on(known))[0].level, Level::error);
  // Without the database's schema (none, or the history's), the rows are not known.
  EXPECT_EQ(test::findings("PG101", "CREATE INDEX ON users (email);")[0].level, Level::error);
  // Without a lock_timeout the wait for the lock is the danger, however few the rows.
  test::Options untimed = on(known);
  untimed.header = "-- retort:lock_timeout 0\n";
  const auto waited =
      test::findings("PG108", "ALTER TABLE users ALTER COLUMN id TYPE text;", untimed);
  ASSERT_EQ(waited.size(), 1U);
  EXPECT_EQ(waited[0].level, Level::error);
  EXPECT_EQ(waited[0].evidence, "");
}

TEST(SchemaFacts, AForeignKeyIsWeighedByTheTableItChecksAndEveryTableMustBeKnown) {
  const schema::Schema known = sized();
  // The rows of users are checked against orders: users is empty, so nothing is checked.
  const auto checked = test::findings(
      "PG106", "ALTER TABLE users ADD FOREIGN KEY (id) REFERENCES orders (id);", on(known));
  ASSERT_EQ(checked.size(), 1U);
  EXPECT_EQ(checked[0].level, Level::note);
  // The other way round, the rows of orders are checked: an error.
  const auto large = test::findings(
      "PG106", "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);", on(known));
  ASSERT_EQ(large.size(), 1U);
  EXPECT_EQ(large[0].level, Level::error);
  // A statement that rewrites two tables weighs as the one least known: users is empty, but
  // nothing is known of audit.
  const auto both = test::findings("PG109", "VACUUM FULL users, audit;", on(known));
  ASSERT_FALSE(both.empty());
  for (const Finding& finding : both) {
    EXPECT_EQ(finding.level, Level::error);
    EXPECT_EQ(finding.evidence, "");
  }
  // Empty and small: a warning, naming both.
  const auto two = test::findings("PG109", "VACUUM FULL users, events;", on(known));
  ASSERT_FALSE(two.empty());
  EXPECT_EQ(two[0].level, Level::warning);
  EXPECT_NE(two[0].evidence.find("no row in users"), std::string::npos);
  EXPECT_NE(two[0].evidence.find("420 rows in events"), std::string::npos);
}

TEST(SchemaFacts, RowsWrittenEarlierInTheRunMakeAnEmptyTableUnknownAgain) {
  const schema::Schema known = sized();
  const Outcome outcome = test::lint(
      "INSERT INTO users (id, email) SELECT id, 'x' FROM orders;\n"
      "CREATE INDEX users_email_idx ON users (email);",
      on(known));
  bool found = false;
  for (const Finding& finding : outcome.findings) {
    if (finding.code == "PG101") {
      found = true;
      EXPECT_EQ(finding.level, Level::error);
      EXPECT_EQ(finding.evidence, "");
    }
  }
  EXPECT_TRUE(found);
  schema::Schema advanced = sized();
  apply(advanced, "COPY users FROM STDIN;");
  EXPECT_FALSE(find_table(advanced, "users")->has_rows.has_value());
  apply(advanced, "DELETE FROM events;");
  EXPECT_EQ(find_table(advanced, "events")->row_estimate, 420);  // fewer rows: still small
}

}  // namespace
}  // namespace retort::lint
