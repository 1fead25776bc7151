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

}  // namespace
}  // namespace retort::lint
