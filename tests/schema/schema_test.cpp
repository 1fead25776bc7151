// The schema model read from real databases and its dump: dump, load into a fresh database,
// dump again gives the same bytes; what extensions made stays theirs; unsupported kinds are
// named; the catalog queries do not grow with the schema.
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "harness/postgres_server.hpp"
#include "schema/dump.hpp"
#include "schema/reader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace retort::schema {
namespace {

#if RETORT_TEST_POSTGRES

std::unique_ptr<driver::Connection> open(const std::string& url) {
  return driver::connect(base::parse_database_url(url).value());
}

std::string fixture() {
  std::ifstream in(std::filesystem::path(RETORT_SCHEMA_TESTDATA) / "fixture_postgres.sql");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string fresh_database(const std::string& hint) {
  return test::PostgresServer::instance().create_database(hint);
}

// Where `part` starts in `text`, failing the test when it is not there.
std::size_t position(const std::string& text, const std::string& part) {
  const std::size_t at = text.find(part);
  EXPECT_NE(at, std::string::npos) << "missing: " << part << "\nin:\n" << text;
  return at;
}

TEST(PostgresSchemaTest, DumpLoadedIntoAFreshDatabaseDumpsTheSameBytes) {
  const auto original = open(fresh_database("schema_original"));
  original->execute(fixture());
  const std::string first = dump_sql(read_postgres(*original));

  const auto copy = open(fresh_database("schema_copy"));
  copy->execute(first);
  const std::string second = dump_sql(read_postgres(*copy));
  EXPECT_EQ(first, second);
}

TEST(PostgresSchemaTest, DumpNamesEveryKindSchemaQualifiedAsTheServerRendersIt) {
  const auto connection = open(fresh_database("schema_kinds"));
  // A search_path on the session changes nothing: the reader empties it.
  connection->execute(fixture() + "; SET search_path = app, public");
  const Schema schema = read_postgres(*connection);
  const std::string dump = dump_sql(schema);

  position(dump, "CREATE SCHEMA IF NOT EXISTS app;");
  position(dump, "COMMENT ON SCHEMA app IS 'the application''s own';");
  position(dump, "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public VERSION");
  position(dump, "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public VERSION");
  // Enum labels in their order, not their sort numbers.
  position(dump, "CREATE TYPE app.mood AS ENUM (\n    'sad',\n    'ok',\n    'happy'\n);");
  position(dump,
           "CREATE DOMAIN app.positive AS integer DEFAULT 1 NOT NULL\n    CONSTRAINT "
           "positive_check CHECK ((VALUE > 0));");
  position(dump,
           "CREATE TYPE app.address AS (\n    street text,\n    city text COLLATE "
           "pg_catalog.\"C\"\n);");
  position(dump,
           "CREATE SEQUENCE app.invoice_numbers AS integer START WITH 1000 INCREMENT BY "
           "10");
  // Columns in order, the dropped one gone; identity, generated, collation, defaults.
  position(dump,
           "CREATE TABLE app.users (\n"
           "    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1 INCREMENT BY 1 MINVALUE 1 "
           "MAXVALUE 9223372036854775807 CACHE 1 NO CYCLE) NOT NULL,\n"
           "    email public.citext NOT NULL,\n"
           "    name text COLLATE pg_catalog.\"C\" DEFAULT ''::text NOT NULL,\n"
           "    created_at timestamp with time zone DEFAULT now() NOT NULL,\n"
           "    token uuid DEFAULT gen_random_uuid() NOT NULL,\n"
           "    mood app.mood,\n"
           "    score app.positive,\n"
           "    home app.address,\n"
           "    name_length integer GENERATED ALWAYS AS (length(name)) STORED\n"
           ");");
  position(dump, "ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;");
  position(dump, "ADD CONSTRAINT orders_amount_check CHECK ((amount >= (0)::numeric)) NOT VALID;");
  position(dump,
           "FOREIGN KEY (user_id) REFERENCES app.users(id) ON UPDATE RESTRICT ON DELETE "
           "CASCADE DEFERRABLE INITIALLY DEFERRED;");
  position(dump, "EXCLUDE USING gist (during WITH &&);");
  position(dump, "CREATE INDEX \"Orders By Amount\" ON public.orders USING brin (amount);");
  position(dump, "INCLUDE (amount) WHERE (amount > (100)::numeric);");
  position(dump,
           "CREATE TABLE public.events_2024 PARTITION OF public.events\nFOR VALUES FROM "
           "('2024-01-01') TO ('2025-01-01');");
  position(dump, "CREATE INDEX events_payload ON public.events USING gin (payload);");
  position(dump, "CREATE UNLOGGED TABLE public.scratch");
  // The default that calls a function of the user's is set once the function exists.
  EXPECT_LT(position(dump, "CREATE OR REPLACE FUNCTION app.next_code()"),
            position(dump,
                     "ALTER TABLE ONLY public.scratch ALTER COLUMN code SET DEFAULT "
                     "app.next_code();"));
  position(dump, "CREATE OR REPLACE FUNCTION app.add(a integer, b integer)");
  position(dump, "CREATE OR REPLACE FUNCTION app.add(a numeric, b numeric)");
  position(dump, "CREATE OR REPLACE PROCEDURE app.archive(IN days integer)");
  position(dump, "COMMENT ON FUNCTION app.add(integer,integer) IS 'integer addition';");
  position(dump, "ALTER TABLE app.users DISABLE TRIGGER users_touch_off;");
  position(dump, "COMMENT ON TRIGGER users_touch ON app.users IS 'keeps created_at';");
  // Views after what they read, whatever their names.
  EXPECT_LT(position(dump, "CREATE VIEW app.active_users AS"),
            position(dump, "CREATE VIEW public.big_spenders WITH (security_barrier=true) AS"));
  EXPECT_LT(position(dump, "CREATE VIEW public.big_spenders"),
            position(dump, "CREATE VIEW app.a_first AS"));
  // SELECT * is stored expanded, schema-qualified.
  position(dump, "users.name_length\n   FROM app.users");
  position(dump, "CREATE UNIQUE INDEX daily_totals_day ON public.daily_totals USING btree (day);");
  position(dump, "ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;");
  position(dump, "ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;");
  position(dump,
           "CREATE POLICY orders_insert ON public.orders AS RESTRICTIVE FOR INSERT TO "
           "PUBLIC WITH CHECK ((amount < (1000000)::numeric));");
  position(dump,
           "COMMENT ON CONSTRAINT orders_amount_check ON public.orders IS 'validated "
           "later';");

  // What the extensions made is theirs.
  EXPECT_EQ(dump.find("gen_random_bytes"), std::string::npos);
  EXPECT_EQ(dump.find("FUNCTION public.citext"), std::string::npos);
  EXPECT_TRUE(schema.unsupported.empty()) << schema.unsupported.front().kind;
}

TEST(PostgresSchemaTest, KindsTheModelDoesNotCoverAreNamed) {
  const auto connection = open(fresh_database("schema_unsupported"));
  connection->execute(
      "CREATE TABLE t (id int); "
      "CREATE RULE t_ignore AS ON DELETE TO t DO INSTEAD NOTHING; "
      "CREATE AGGREGATE public.total(int) (sfunc = int4pl, stype = int); "
      "CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS "
      "$$ BEGIN END $$; "
      "CREATE EVENT TRIGGER on_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl(); "
      "CREATE TABLE child (extra int) INHERITS (t); "
      "GRANT SELECT ON t TO PUBLIC;");
  const Schema schema = read_postgres(*connection);
  const std::vector<Unsupported> expected = {
      {"aggregate", "public.total(integer)"},
      {"event trigger", "on_ddl"},
      {"grant", "public.t"},
      {"inheritance", "public.child INHERITS public.t"},
      {"rule", "t_ignore ON public.t"},
  };
  EXPECT_EQ(schema.unsupported, expected);
}

TEST(PostgresSchemaTest, CatalogQueriesDoNotGrowWithTheSchema) {
  const auto empty = open(fresh_database("schema_empty"));
  const auto full = open(fresh_database("schema_full"));
  full->execute(fixture());
  std::string many;
  for (int i = 0; i < 50; ++i) {
    many += "CREATE TABLE public.t" + std::to_string(i) +
            " (id int PRIMARY KEY); CREATE VIEW "
            "public.v" +
            std::to_string(i) + " AS SELECT id FROM public.t" + std::to_string(i) + ";";
  }
  full->execute(many);
  const int queries = read_postgres(*empty).catalog_queries;
  EXPECT_EQ(read_postgres(*full).catalog_queries, queries);
  EXPECT_LE(queries, 20);
  // Read-only, and nothing left open.
  EXPECT_FALSE(full->in_transaction());
}

TEST(PostgresSchemaTest, RetortsOwnTablesAreLeftOut) {
  const auto connection = open(fresh_database("schema_own"));
  connection->execute(
      "CREATE TABLE retort_version (version_num varchar(64) PRIMARY KEY); "
      "CREATE TABLE retort_log (id bigserial PRIMARY KEY); CREATE TABLE users (id int);");
  ReadOptions options;
  options.exclude_tables = {"retort_version", "retort_log"};
  const std::string dump = dump_sql(read_postgres(*connection, options));
  EXPECT_EQ(dump.find("retort_"), std::string::npos) << dump;
  position(dump, "CREATE TABLE public.users");
}

// What lint weighs rewrites by: the statistics' estimate, and with look_for_rows whether a
// table they call empty has a row; a table another session holds locked is left unknown,
// quickly, and the rest of the read is unharmed.
TEST(PostgresSchemaTest, LooksForRowsWhereTheStatisticsSayNothingAndLeavesALockedTableUnknown) {
  const std::string url = fresh_database("schema_rows");
  const auto connection = open(url);
  connection->execute(
      "CREATE TABLE empty (id int); CREATE TABLE one (id int); INSERT INTO one VALUES (1);"
      "CREATE TABLE analyzed (id int); INSERT INTO analyzed SELECT generate_series(1, 500);"
      "ANALYZE analyzed; CREATE TABLE locked (id int); INSERT INTO locked VALUES (1);"
      "CREATE TABLE parent (id int) PARTITION BY RANGE (id);"
      "CREATE TABLE child PARTITION OF parent FOR VALUES FROM (1) TO (10);"
      "INSERT INTO parent VALUES (5)");
  const auto holder = open(url);
  holder->begin();
  holder->execute("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE");

  // Without look_for_rows, nothing of the rows: a throwaway database's say nothing of
  // production's.
  const Schema plain = read_postgres(*connection);
  EXPECT_FALSE(plain.tables.at("public.empty").has_rows.has_value());
  EXPECT_EQ(plain.tables.at("public.analyzed").row_estimate, -1);

  ReadOptions options;
  options.look_for_rows = true;
  const auto started = std::chrono::steady_clock::now();
  const Schema read = read_postgres(*connection, options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(read.tables.at("public.empty").has_rows, false);
  EXPECT_EQ(read.tables.at("public.one").has_rows, true);
  // Estimated by ANALYZE: no look needed.
  EXPECT_EQ(read.tables.at("public.analyzed").row_estimate, 500);
  EXPECT_FALSE(read.tables.at("public.analyzed").has_rows.has_value());
  // A partitioned table's rows are its partitions'.
  EXPECT_EQ(read.tables.at("public.parent").has_rows, true);
  EXPECT_FALSE(read.tables.at("public.locked").has_rows.has_value());
  EXPECT_EQ(read.tables.at("public.locked").columns.size(), 1U);
  EXPECT_FALSE(connection->in_transaction());
  holder->rollback();
}

#else

TEST(SqliteSchemaTest, DumpLoadedIntoAFreshDatabaseDumpsTheSameBytes) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("retort-schema-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto open_file = [&](const std::string& name) {
    return driver::connect(base::parse_database_url("sqlite:///" + (dir / name).string()).value());
  };
  const auto original = open_file("a.db");
  original->execute(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
      "  name TEXT DEFAULT 'x', legacy TEXT);"
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) "
      "  ON DELETE CASCADE, amount REAL CHECK (amount >= 0), "
      "  doubled REAL GENERATED ALWAYS AS (amount * 2) STORED);"
      "CREATE INDEX orders_user ON orders (user_id, amount);"
      "CREATE VIEW z_users AS SELECT id, email FROM users;"
      "CREATE VIEW a_emails AS SELECT email FROM z_users;"
      "CREATE TRIGGER users_audit AFTER UPDATE ON users BEGIN SELECT 1; END;"
      "CREATE TABLE retort_version (version_num VARCHAR(64) NOT NULL PRIMARY KEY);");
  ReadOptions options;
  options.exclude_tables = {"retort_version"};
  const Schema schema = read_sqlite(*original, options);
  const std::string first = dump_sql(schema);
  // Views after what they read, though a_emails sorts first.
  EXPECT_LT(first.find("CREATE VIEW z_users"), first.find("CREATE VIEW a_emails")) << first;
  EXPECT_EQ(first.find("retort_version"), std::string::npos);
  const Table& users = schema.tables.at("users");
  ASSERT_EQ(users.columns.size(), 4U);
  EXPECT_EQ(users.columns[1].name, "email");
  EXPECT_TRUE(users.columns[1].not_null);
  EXPECT_EQ(schema.tables.at("orders").constraints.at("fk0").definition,
            "FOREIGN KEY (user_id) REFERENCES users (id) ON UPDATE NO ACTION ON DELETE CASCADE");
  EXPECT_EQ(schema.tables.at("orders").columns.at(3).generated, "generated");
  EXPECT_EQ(schema.indexes.at("orders_user").columns,
            (std::vector<std::string>{"user_id", "amount"}));

  const auto copy = open_file("b.db");
  copy->execute(first);
  EXPECT_EQ(dump_sql(read_sqlite(*copy, options)), first);
  std::filesystem::remove_all(dir);
}

#endif

}  // namespace
}  // namespace retort::schema
