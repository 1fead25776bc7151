// Tests of the `backfill` and `phase` directives (SPEC §2): what a valid header parses to, and
// every malformed one as an input problem with its words and line, before anything runs.
#include "script/migration_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace retort::script {
namespace {

constexpr const char* k_path = "migrations/versions/b1_fill.sql";

std::string render(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& problem : problems) {
    out += std::to_string(problem.where.line) + ": " + problem.message + " | " + problem.fix + "\n";
  }
  return out;
}

// A backfill revision with `header` as its backfill line and `upgrade` as its section.
ParsedMigration parse(const std::string& header, const std::string& upgrade) {
  const std::string text =
      "-- retort:revision b1\n"   // line 1
      "-- retort:revises a1\n" +  // line 2
      header +
      "\n" +                   // line 3
      "-- retort:upgrade\n" +  // line 4
      upgrade;                 // from line 5
  return parse_migration_text(k_path, text);
}

constexpr const char* k_update = "UPDATE t SET c = a * 2 WHERE {batch} AND c IS NULL;\n";

TEST(ParseBackfill, EveryOptionIsRead) {
  const ParsedMigration parsed = parse(
      "-- retort:backfill table=app.orders key=tenant_id,id batch_size=5000 pause=50ms", k_update);
  EXPECT_EQ(render(parsed.problems), "");
  ASSERT_TRUE(parsed.migration.backfill.has_value());
  const Backfill& backfill = *parsed.migration.backfill;
  EXPECT_EQ(backfill.table, "app.orders");
  EXPECT_EQ(backfill.key, (std::vector<std::string>{"tenant_id", "id"}));
  EXPECT_EQ(backfill.batch_size, 5000);
  EXPECT_FALSE(backfill.batch_time.has_value());
  EXPECT_EQ(backfill.pause, base::Millis(50));
  EXPECT_EQ(backfill.line, 3);

  const ParsedMigration timed = parse("-- retort:backfill table=t key=id batch_time=2s", k_update);
  EXPECT_EQ(render(timed.problems), "");
  ASSERT_TRUE(timed.migration.backfill.has_value());
  EXPECT_EQ(timed.migration.backfill->batch_time, base::Millis(2000));
}

TEST(ParseBackfill, MalformedHeadersAreProblemsAtTheirLine) {
  struct Case {
    std::string header;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"-- retort:backfill key=id",
       "3: `-- retort:backfill` names no table | add `table=NAME`: `-- retort:backfill "
       "table=accounts key=id batch_time=300ms`\n"},
      {"-- retort:backfill table=t",
       "3: `-- retort:backfill` names no key | add `key=COLUMNS`, the columns the batches are "
       "cut on (a primary key or a unique index), e.g. `key=id`: `-- retort:backfill "
       "table=accounts key=id batch_time=300ms`\n"},
      {"-- retort:backfill table=t key=id batch_tme=1s",
       "3: unknown option `batch_tme` in `-- retort:backfill` | did you mean `batch_time`?\n"},
      {"-- retort:backfill table=t key=id batch_size=ten",
       "3: `batch_size=ten` is not a positive whole number | write the number of keys per batch, "
       "e.g. `batch_size=10000`\n"},
      {"-- retort:backfill table=t key=id batch_size=0",
       "3: `batch_size=0` is not a positive whole number | write the number of keys per batch, "
       "e.g. `batch_size=10000`\n"},
      {"-- retort:backfill table=t key=id batch_time=fast",
       "3: `batch_time=fast` is not a duration above zero | write a whole number and a unit (ms, "
       "s, m), e.g. `300ms`, `2s`\n"},
      {"-- retort:backfill table=t key=id pause",
       "3: `pause` in `-- retort:backfill` has no value | write it as `pause=VALUE`, without "
       "spaces: `-- retort:backfill table=accounts key=id batch_time=300ms`\n"},
      {"-- retort:backfill table=a.b.c key=id",
       "3: `a.b.c` in `-- retort:backfill` is not a table name | name the table as `table` or "
       "`schema.table`, letters, digits and underscores\n"},
      {"-- retort:backfill table=t key=id,,x",
       "3: `id,,x` in `-- retort:backfill` is not a list of columns | name the key columns "
       "separated by commas without spaces, e.g. `key=id` or `key=tenant_id,id`\n"},
      {"-- retort:backfill table=t key=id batch_size=10 batch_time=1s",
       "3: `-- retort:backfill` gives both batch_size and batch_time | keep batch_size for a "
       "fixed number of keys per batch, or batch_time for batches sized to take that long\n"},
  };
  for (const Case& c : cases) {
    const ParsedMigration parsed = parse(c.header, k_update);
    EXPECT_EQ(render(parsed.problems), c.expected) << c.header;
    EXPECT_FALSE(parsed.migration.backfill.has_value()) << c.header;
  }
}

TEST(ParseBackfill, ThePlaceholderBelongsToABackfillOnly) {
  const ParsedMigration missing =
      parse("-- retort:backfill table=t key=id", "UPDATE t SET c = a * 2 WHERE c IS NULL;\n");
  EXPECT_EQ(render(missing.problems),
            "3: `-- retort:backfill`, but the upgrade section (line 4) has no `{batch}` | put "
            "`{batch}` where the key-range predicate goes, e.g. `UPDATE t SET c = a * 2 WHERE "
            "{batch} AND c IS NULL`\n");

  const ParsedMigration stray =
      parse("-- retort:message no backfill", "SELECT 1;\n" + std::string(k_update));
  EXPECT_EQ(render(stray.problems),
            "6: `{batch}` in a revision without `-- retort:backfill` | add `-- retort:backfill "
            "table=T key=COLS` to the header to run the statement in batches, or replace "
            "`{batch}` with a condition\n");
}

TEST(ParseBackfill, PhaseTakesItsThreeWords) {
  EXPECT_EQ(parse("-- retort:phase contract", k_update).migration.phase, Phase::contract);
  const ParsedMigration expand =
      parse_migration_text(k_path,
                           "-- retort:revision b1\n-- retort:phase expand\n-- retort:upgrade\n"
                           "ALTER TABLE t ADD COLUMN c int;\n");
  EXPECT_EQ(render(expand.problems), "");
  EXPECT_EQ(expand.migration.phase, Phase::expand);
  const ParsedMigration typo = parse_migration_text(
      k_path, "-- retort:revision b1\n-- retort:phase contrat\n-- retort:upgrade\nSELECT 1;\n");
  EXPECT_EQ(render(typo.problems),
            "2: `-- retort:phase` is `contrat`; it takes expand, backfill or contract | did you "
            "mean `contract`?\n");
}

TEST(BackfillStatements, ExactlyOneDataStatementWithThePlaceholder) {
  const std::string header = "-- retort:backfill table=t key=id";
  {
    const ParsedMigration parsed = parse(header, "-- the one statement\n" + std::string(k_update));
    ASSERT_EQ(render(parsed.problems), "");
    auto split = statements(parsed.migration, Which::upgrade, base::Dialect::postgres);
    ASSERT_TRUE(split) << split.error().message;
    ASSERT_EQ(split->size(), 1U);
    EXPECT_EQ(split->front().line, 6);
    // Parseable for lint and fingerprints; the template keeps the placeholder.
    EXPECT_EQ(split->front().sql, "UPDATE t SET c = a * 2 WHERE  (true) AND c IS NULL");
    EXPECT_EQ(backfill_template(parsed.migration, split->front()),
              "UPDATE t SET c = a * 2 WHERE {batch} AND c IS NULL");
  }
  {
    const ParsedMigration parsed =
        parse(header, "ALTER TABLE t ADD COLUMN c int;\n" + std::string(k_update));
    auto split = statements(parsed.migration, Which::upgrade, base::Dialect::postgres);
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().where.line, 6);
    EXPECT_EQ(split.error().message,
              "the upgrade section of backfill revision b1 holds 2 statements; a backfill (line "
              "3) runs exactly one");
  }
  {
    const ParsedMigration parsed = parse(header, "SELECT * FROM t WHERE {batch};\n");
    auto split = statements(parsed.migration, Which::upgrade, base::Dialect::postgres);
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().where.line, 5);
    EXPECT_EQ(split.error().message,
              "the statement of backfill revision b1 is not an UPDATE, DELETE, INSERT or MERGE "
              "(SELECT)");
  }
  {
    // A statement that ends at the placeholder keeps it whole.
    const ParsedMigration parsed = parse(header, "DELETE FROM t WHERE {batch};\n");
    auto split = statements(parsed.migration, Which::upgrade, base::Dialect::postgres);
    ASSERT_TRUE(split) << split.error().message;
    EXPECT_EQ(backfill_template(parsed.migration, split->front()), "DELETE FROM t WHERE {batch}");
  }
  {
    // In a comment the placeholder is not in the statement.
    const ParsedMigration parsed = parse(header, "-- {batch}\nUPDATE t SET c = 1;\n");
    auto split = statements(parsed.migration, Which::upgrade, base::Dialect::postgres);
    ASSERT_FALSE(split);
    EXPECT_EQ(split.error().message, "the statement of backfill revision b1 has no `{batch}`");
  }
}

}  // namespace
}  // namespace retort::script
