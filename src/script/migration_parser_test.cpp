// Tests of the migration file parser: every problem with its exact words and line, and what a
// valid file parses to.
#include "script/migration_parser.hpp"

#include "base/duration.hpp"
#include "base/text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::script {
namespace {

constexpr const char* k_path = "migrations/versions/abc123_add_users.sql";

std::string render(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& problem : problems) {
    out += problem.where.file + ":" + std::to_string(problem.where.line) + ": " + problem.message +
           " | " + problem.fix + "\n";
  }
  return out;
}

TEST(ParseMigration, ValidFileParsesEveryDirective) {
  const std::string text =
      "-- retort:revision abc123\n"
      "-- retort:revises p1 p2\n"
      "-- retort:message add users table\n"
      "-- retort:branch_labels auth core\n"
      "-- retort:depends_on 1a2b auth@head\n"
      "--retort:transaction false\n"
      "-- retort:estimate 40m\n"
      "-- retort:lock_timeout 500ms\n"
      "-- retort:statement_timeout 2h\n"
      "-- retort:lint-ignore PG101 PG102 -- the table is empty at this point\n"
      "-- An ordinary comment.\n"
      "\n"
      "-- retort:upgrade\n"
      "CREATE TABLE users (id bigint);\n"
      "\n"
      "-- retort:downgrade\n"
      "DROP TABLE users;\n";
  const ParsedMigration parsed = parse_migration_text(k_path, text);
  EXPECT_EQ(render(parsed.problems), "");
  const Migration& m = parsed.migration;
  EXPECT_EQ(m.display_path, k_path);
  EXPECT_EQ(m.revision, "abc123");
  EXPECT_EQ(m.slug, "add_users");
  EXPECT_EQ(m.revises, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(m.message, "add users table");
  EXPECT_EQ(m.branch_labels, (std::vector<std::string>{"auth", "core"}));
  EXPECT_EQ(m.depends_on, (std::vector<std::string>{"1a2b", "auth@head"}));
  EXPECT_FALSE(m.transactional);
  EXPECT_EQ(m.estimate, base::Millis(40 * 60 * 1000));
  EXPECT_EQ(m.lock_timeout, base::Millis(500));
  EXPECT_EQ(m.statement_timeout, base::Millis(2 * 3600 * 1000));
  ASSERT_EQ(m.lint_ignores.size(), 1U);
  EXPECT_EQ(m.lint_ignores[0].codes, (std::vector<std::string>{"PG101", "PG102"}));
  EXPECT_EQ(m.lint_ignores[0].reason, "the table is empty at this point");
  EXPECT_EQ(m.lint_ignores[0].line, 10);
  EXPECT_EQ(m.upgrade.marker_line, 13);
  EXPECT_EQ(m.upgrade.text, "CREATE TABLE users (id bigint);\n\n");
  EXPECT_EQ(text.substr(m.upgrade.offset, 12), "CREATE TABLE");
  ASSERT_TRUE(m.downgrade.has_value());
  EXPECT_EQ(m.downgrade->marker_line, 16);
  EXPECT_EQ(m.downgrade->text, "DROP TABLE users;\n");
  EXPECT_EQ(parsed.lines.revision, 1);
  EXPECT_EQ(parsed.lines.revises, 2);
  EXPECT_EQ(parsed.lines.branch_labels, 4);
  EXPECT_EQ(parsed.lines.depends_on, 5);
  EXPECT_EQ(m.checksum().size(), 64U);
}

TEST(ParseMigration, ReplacesAccumulatesOverLinesInOrder) {
  const ParsedMigration parsed = parse_migration_text(
      k_path,
      "-- retort:revision abc123\n-- retort:message squash\n-- retort:replaces a1 b2\n"
      "-- retort:replaces c3\n\n-- retort:upgrade\nSELECT 1;\n");
  EXPECT_EQ(render(parsed.problems), "");
  EXPECT_EQ(parsed.migration.replaces, (std::vector<std::string>{"a1", "b2", "c3"}));
  EXPECT_EQ(parsed.lines.replaces, 3);
}

TEST(ParseMigration, DefaultsWithoutOptionalDirectives) {
  const ParsedMigration parsed = parse_migration_text(
      "versions/abc123.sql", "-- retort:revision abc123\n-- retort:upgrade\nSELECT 1\n");
  EXPECT_EQ(render(parsed.problems), "");
  EXPECT_TRUE(parsed.migration.transactional);
  EXPECT_TRUE(parsed.migration.revises.empty());
  EXPECT_EQ(parsed.migration.slug, "");
  EXPECT_FALSE(parsed.migration.downgrade.has_value());
  EXPECT_FALSE(parsed.migration.estimate.has_value());
  EXPECT_FALSE(parsed.migration.maintenance_window);
}

TEST(ParseMigration, MaintenanceWindowTakesTrueOrFalse) {
  const auto marked = [](const char* value) {
    const ParsedMigration parsed = parse_migration_text(
        k_path, std::string("-- retort:revision abc123\n-- retort:estimate 4h\n"
                            "-- retort:maintenance_window ") +
                    value + "\n-- retort:upgrade\nALTER TABLE t ALTER COLUMN c TYPE bigint;\n");
    EXPECT_EQ(render(parsed.problems), "") << value;
    return parsed.migration.maintenance_window;
  };
  EXPECT_TRUE(marked("true"));
  EXPECT_FALSE(marked("false"));
  EXPECT_TRUE(marked("true  ")) << "trailing blanks are not part of the value";
}

TEST(ParseMigration, CrlfLineEndingsAndByteOrderMark) {
  const ParsedMigration parsed = parse_migration_text(
      k_path, "\xEF\xBB\xBF-- retort:revision abc123\r\n-- retort:upgrade\r\nSELECT 1;\r\n");
  EXPECT_EQ(render(parsed.problems), "");
  EXPECT_EQ(parsed.migration.revision, "abc123");
  EXPECT_EQ(parsed.migration.upgrade.text, "SELECT 1;\r\n");
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* expected;  // every problem, "file:line: message | fix", one per line
};

// Each case is a whole file; `P` stands for the file name in the expected output.
const ErrorCase k_error_cases[] = {
    {"replaces with no id",
     "-- retort:revision abc123\n-- retort:replaces\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:replaces` names no revision | list the ids of the revisions this squash "
     "replaces, separated by spaces, or remove the line\n"},
    {"replaces lists an id twice",
     "-- retort:revision abc123\n-- retort:replaces a1 b2\n-- retort:replaces b2\n"
     "-- retort:upgrade\nS;\n",
     "P:3: `b2` is listed twice in `-- retort:replaces` | list each replaced revision once\n"},
    {"unknown key with a hint",
     "-- retort:revison abc123\n-- retort:revision abc123\n-- retort:upgrade\nSELECT 1;\n",
     "P:1: unknown directive `-- retort:revison` | did you mean `-- retort:revision`?\n"},
    {"unknown key without a hint",
     "-- retort:revision abc123\n-- retort:colour blue\n-- retort:upgrade\nSELECT 1;\n",
     "P:2: unknown directive `-- retort:colour` | the directives are revision, revises, message, "
     "branch_labels, depends_on, transaction, estimate, maintenance_window, lock_timeout, "
     "statement_timeout, lint-ignore, empty, replaces, backfill, phase, upgrade, downgrade\n"},
    {"missing revision", "-- retort:message x\n-- retort:upgrade\nSELECT 1;\n",
     "P:1: no `-- retort:revision` line | add `-- retort:revision abc123` to the header\n"},
    {"empty revision", "-- retort:revision\n-- retort:upgrade\nSELECT 1;\n",
     "P:1: `-- retort:revision` has no value | write the revision id after it, e.g. "
     "`-- retort:revision 3f2a9c1b7d4e`\n"},
    {"bad revision id", "-- retort:revision abc-123\n-- retort:upgrade\nSELECT 1;\n",
     "P:1: `abc-123` is not a valid revision id | use 1 to 64 letters, digits or underscores; "
     "`retort revision` makes new ids\n"},
    {"revision id too long",
     "-- retort:revision "
     "a123456789012345678901234567890123456789012345678901234567890123456789\n"
     "-- retort:upgrade\nSELECT 1;\n",
     "P:1: `a123456789012345678901234567890123456789012345678901234567890123456789` is not a "
     "valid revision id | use 1 to 64 letters, digits or underscores; `retort revision` makes "
     "new ids\n"},
    {"bad parent id",
     "-- retort:revision abc123\n-- retort:revises p1 p-2\n-- retort:upgrade\nS;\n",
     "P:2: `p-2` in `-- retort:revises` is not a revision id | list the parent revision ids "
     "separated by spaces\n"},
    {"file name does not match", "-- retort:revision def456\n-- retort:upgrade\nSELECT 1;\n",
     "P:1: the file name `abc123_add_users.sql` does not match its revision `def456` | rename "
     "the file to `def456_add_users.sql`, or correct the revision\n"},
    {"missing upgrade marker", "-- retort:revision abc123\nSELECT 1;\n",
     "P:1: no `-- retort:upgrade` line, so there is no upgrade section | add `-- retort:upgrade` "
     "and the upgrade SQL below it\n"
     "P:2: SQL before `-- retort:upgrade`: the header holds only comments | put the statements "
     "below `-- retort:upgrade`\n"},
    {"two upgrade markers",
     "-- retort:revision abc123\n-- retort:upgrade\nSELECT 1;\n-- retort:upgrade\nSELECT 2;\n",
     "P:4: a second `-- retort:upgrade` (the first is at line 2) | keep one upgrade section: "
     "remove one of the markers\n"},
    {"two downgrade markers",
     "-- retort:revision abc123\n-- retort:upgrade\nS;\n-- retort:downgrade\nD;\n"
     "-- retort:downgrade\nD;\n",
     "P:6: a second `-- retort:downgrade` (the first is at line 4) | keep one downgrade "
     "section: remove one of the markers\n"},
    {"downgrade before upgrade",
     "-- retort:revision abc123\n-- retort:downgrade\nDROP TABLE t;\n-- retort:upgrade\n"
     "CREATE TABLE t (id int);\n",
     "P:2: `-- retort:downgrade` comes before `-- retort:upgrade` (line 4) | move the downgrade "
     "section below the upgrade section\n"},
    {"marker with a value", "-- retort:revision abc123\n-- retort:upgrade SELECT 1;\nSELECT 1;\n",
     "P:2: `-- retort:upgrade` takes no value | put the SQL on the lines below "
     "`-- retort:upgrade`\n"},
    {"lint-ignore without a reason",
     "-- retort:revision abc123\n-- retort:lint-ignore PG101\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:lint-ignore` has no reason | say why it is safe after `--`: "
     "`-- retort:lint-ignore PG101 -- the table is empty`\n"},
    {"lint-ignore with an empty reason",
     "-- retort:revision abc123\n-- retort:lint-ignore PG101 --   \n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:lint-ignore` has no reason | say why it is safe after `--`: "
     "`-- retort:lint-ignore PG101 -- the table is empty`\n"},
    {"lint-ignore without codes",
     "-- retort:revision abc123\n-- retort:lint-ignore -- because\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:lint-ignore` names no lint code | name the codes to accept, then the "
     "reason: `-- retort:lint-ignore PG101 -- the table is empty`\n"},
    {"bad duration",
     "-- retort:revision abc123\n-- retort:estimate 5 minutes\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:estimate` is `5 minutes`, which is not a duration | write a whole number "
     "and a unit (ms, s, m, h, d), e.g. `500ms`, `90s`, `40m`\n"},
    {"bad lock_timeout",
     "-- retort:revision abc123\n-- retort:lock_timeout 1.5s\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:lock_timeout` is `1.5s`, which is not a duration | write a whole number "
     "and a unit (ms, s, m, h, d), e.g. `500ms`, `90s`, `40m`\n"},
    {"transaction not a boolean",
     "-- retort:revision abc123\n-- retort:transaction no\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:transaction` is `no`; it takes true or false | write "
     "`-- retort:transaction false` to run each statement on its own, or remove the line for "
     "one transaction\n"},
    {"maintenance_window not a boolean",
     "-- retort:revision abc123\n-- retort:maintenance_window yes\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:maintenance_window` is `yes`; it takes true or false | write "
     "`-- retort:maintenance_window true` when the step is to run in a maintenance window, or "
     "remove the line\n"},
    {"maintenance_window without a value",
     "-- retort:revision abc123\n-- retort:maintenance_window\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:maintenance_window` is ``; it takes true or false | write "
     "`-- retort:maintenance_window true` when the step is to run in a maintenance window, or "
     "remove the line\n"},
    {"maintenance_window in capitals",
     "-- retort:revision abc123\n-- retort:maintenance_window TRUE\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:maintenance_window` is `TRUE`; it takes true or false | write "
     "`-- retort:maintenance_window true` when the step is to run in a maintenance window, or "
     "remove the line\n"},
    {"maintenance_window twice",
     "-- retort:revision abc123\n-- retort:maintenance_window true\n"
     "-- retort:maintenance_window false\n-- retort:upgrade\nS;\n",
     "P:3: `-- retort:maintenance_window` appears twice (first at line 2) | keep one of the two "
     "lines\n"},
    {"maintenance_window misspelt",
     "-- retort:revision abc123\n-- retort:maintenance_windw true\n-- retort:upgrade\nS;\n",
     "P:2: unknown directive `-- retort:maintenance_windw` | did you mean "
     "`-- retort:maintenance_window`?\n"},
    {"maintenance_window in a section",
     "-- retort:revision abc123\n-- retort:upgrade\nS;\n-- retort:maintenance_window true\n",
     "P:4: `-- retort:maintenance_window` is in a section, not in the header | move it above "
     "`-- retort:upgrade`\n"},
    {"duplicate key",
     "-- retort:revision abc123\n-- retort:message a\n-- retort:message b\n-- retort:upgrade\nS;\n",
     "P:3: `-- retort:message` appears twice (first at line 2) | keep one of the two lines\n"},
    {"duplicate list key",
     "-- retort:revision abc123\n-- retort:revises a\n-- retort:revises b\n-- retort:upgrade\nS;\n",
     "P:3: `-- retort:revises` appears twice (first at line 2) | keep one line and list the "
     "values on it, separated by spaces\n"},
    {"header directive inside a section",
     "-- retort:revision abc123\n-- retort:upgrade\nS;\n-- retort:transaction false\n",
     "P:4: `-- retort:transaction` is in a section, not in the header | move it above "
     "`-- retort:upgrade`\n"},
    {"empty key", "-- retort:revision abc123\n-- retort:\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:` names no directive | the directives are revision, revises, message, "
     "branch_labels, depends_on, transaction, estimate, maintenance_window, lock_timeout, "
     "statement_timeout, lint-ignore, empty, replaces, backfill, phase, upgrade, downgrade\n"},
    {"empty file", "",
     "P:1: no `-- retort:revision` line | add `-- retort:revision abc123` to the header\n"
     "P:1: no `-- retort:upgrade` line, so there is no upgrade section | add `-- retort:upgrade` "
     "and the upgrade SQL below it\n"},
    {"empty names no section", "-- retort:revision abc123\n-- retort:empty\n-- retort:upgrade\n",
     "P:2: `-- retort:empty` names no section | write `-- retort:empty upgrade`, "
     "`-- retort:empty downgrade` or both, or remove the line\n"},
    {"empty names a misspelt section",
     "-- retort:revision abc123\n-- retort:empty downgarde\n-- retort:upgrade\nS;\n"
     "-- retort:downgrade\n",
     "P:2: `downgarde` in `-- retort:empty` is not a section | did you mean `downgrade`?\n"},
    {"empty downgrade without a downgrade section",
     "-- retort:revision abc123\n-- retort:empty downgrade\n-- retort:upgrade\nS;\n",
     "P:2: `-- retort:empty downgrade`, but the file has no `-- retort:downgrade` section | add "
     "`-- retort:downgrade` below the upgrade SQL, or remove `downgrade` from the line if the "
     "revision cannot be downgraded\n"},
    {"empty on a section that holds statements",
     "-- retort:revision abc123\n-- retort:empty upgrade downgrade\n-- retort:upgrade\n"
     "-- nothing here\n;\n-- retort:downgrade\nDELETE FROM t; -- cleanup\n",
     "P:2: `-- retort:empty downgrade`, but the downgrade section (line 6) holds statements | "
     "remove `downgrade` from `-- retort:empty` to run them, or remove the statements\n"},
    {"empty twice",
     "-- retort:revision abc123\n-- retort:empty upgrade\n-- retort:empty downgrade\n"
     "-- retort:upgrade\n-- retort:downgrade\n",
     "P:3: `-- retort:empty` appears twice (first at line 2) | keep one line and list the "
     "values on it, separated by spaces\n"},
    {"a byte that is not UTF-8 in the header",
     "-- retort:revision abc123\n-- retort:message caf\xE9 menu\n-- retort:upgrade\nS;\n",
     "P:2: a byte that is not UTF-8 (\\xE9) at column 22: `-- retort:message caf\\xE9 menu` | "
     "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)\n"},
    {"a byte that is not UTF-8 in a statement",
     "-- retort:revision abc123\n-- retort:upgrade\nINSERT INTO t VALUES ('\xC3\xA9t\xE9');\r\n",
     "P:3: a byte that is not UTF-8 (\\xE9) at column 26: `INSERT INTO t VALUES "
     "('\xC3\xA9t\\xE9');` | save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)\n"},
    {"several problems in one file",
     "-- retort:revision abc123\n-- retort:estimat 4h\n-- retort:transaction maybe\n"
     "-- retort:upgrade\n",
     "P:2: unknown directive `-- retort:estimat` | did you mean `-- retort:estimate`?\n"
     "P:3: `-- retort:transaction` is `maybe`; it takes true or false | write "
     "`-- retort:transaction false` to run each statement on its own, or remove the line for "
     "one transaction\n"},
};

TEST(ParseMigration, EmptyMarksTheSectionsThatDeliberatelyDoNothing) {
  const ParsedMigration both = parse_migration_text(
      k_path,
      "-- retort:revision abc123\n-- retort:empty upgrade downgrade\n-- retort:upgrade\n"
      "-- kept from the old tool's history\n\n-- retort:downgrade\n/* nothing */\n");
  EXPECT_EQ(render(both.problems), "");
  EXPECT_TRUE(both.migration.empty_upgrade);
  EXPECT_TRUE(both.migration.empty_downgrade);

  const ParsedMigration down = parse_migration_text(
      k_path,
      "-- retort:revision abc123\n-- retort:empty downgrade\n-- retort:upgrade\n"
      "INSERT INTO settings VALUES ('theme', 'dark');\n-- retort:downgrade\n");
  EXPECT_EQ(render(down.problems), "");
  EXPECT_FALSE(down.migration.empty_upgrade);
  EXPECT_TRUE(down.migration.empty_downgrade);
}

TEST(ParseMigration, ANulByteIsShownEscapedWithItsLine) {
  using namespace std::string_literals;
  const ParsedMigration parsed = parse_migration_text(
      k_path, "-- retort:revision abc123\n-- retort:message add\0users\n-- retort:upgrade\nS;\n"s);
  ASSERT_EQ(parsed.problems.size(), 1U) << render(parsed.problems);
  const Problem& problem = parsed.problems.front();
  EXPECT_EQ(problem.where.line, 2);
  EXPECT_EQ(problem.where.column, 22);
  EXPECT_EQ(problem.message, "a NUL byte (\\x00) at column 22: `-- retort:message add\\x00users`");
  EXPECT_EQ(problem.fix, "remove the NUL byte");
}

TEST(ParseMigration, EveryProblemWithItsWordsAndLine) {
  for (const ErrorCase& c : k_error_cases) {
    std::string expected;
    for (std::string_view rest = c.expected; !rest.empty();) {
      const std::size_t newline = rest.find('\n');
      const std::string_view line = rest.substr(0, newline + 1);
      expected += line.starts_with("P:") ? std::string(k_path) + std::string(line.substr(1))
                                         : std::string(line);
      rest.remove_prefix(line.size());
    }
    EXPECT_EQ(render(parse_migration_text(k_path, c.text).problems), expected) << c.name;
  }
}

TEST(ParseMigration, ChecksumIgnoresCommentsAndLayoutOnly) {
  const auto checksum = [](const char* body) {
    return parse_migration_text("v/r1.sql", std::string("-- retort:revision r1\n") + body)
        .migration.checksum();
  };
  const std::string base = checksum("-- retort:upgrade\nCREATE TABLE t (id int);\n");
  EXPECT_EQ(base, checksum("-- retort:message edited\n-- retort:upgrade\n-- why\n"
                           "CREATE TABLE t (\n  id int\n) ;\n"));
  EXPECT_NE(base, checksum("-- retort:upgrade\nCREATE TABLE t (id bigint);\n"));
  EXPECT_NE(base, checksum("-- retort:upgrade\nCREATE TABLE t (id int);\n-- retort:downgrade\n"));
}

TEST(Slugify, WordsLowerCasedJoinedAndCut) {
  EXPECT_EQ(slugify("Add users table"), "add_users_table");
  EXPECT_EQ(slugify("  fix: e-mail (again)!  "), "fix_e_mail_again");
  EXPECT_EQ(slugify(""), "");
  EXPECT_EQ(slugify("one two three four five six seven eight nine ten"),
            "one_two_three_four_five_six_seven_eight");
  EXPECT_EQ(slugify(std::string(50, 'x')), std::string(40, 'x'));
}

TEST(RevisionId, Validity) {
  EXPECT_TRUE(is_valid_revision_id("3f2a9c1b7d4e"));
  EXPECT_TRUE(is_valid_revision_id("Release_1"));
  EXPECT_TRUE(is_valid_revision_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_revision_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_revision_id(""));
  EXPECT_FALSE(is_valid_revision_id("a-b"));
  EXPECT_FALSE(is_valid_revision_id("a b"));
}

// Golden files in tests/testdata/scripts: each <name>.sql is parsed as versions/<name>.sql and
// rendered as below into <name>.expected.
std::string describe(const ParsedMigration& parsed) {
  const Migration& m = parsed.migration;
  const auto duration = [](const std::optional<base::Millis>& value) {
    return value ? base::format_duration(*value) : std::string("-");
  };
  std::string out;
  out += "revision: " + m.revision + "\n";
  out += "slug: " + m.slug + "\n";
  out += "revises: " + base::join(m.revises, " ") + "\n";
  out += "message: " + m.message + "\n";
  out += "branch_labels: " + base::join(m.branch_labels, " ") + "\n";
  out += "depends_on: " + base::join(m.depends_on, " ") + "\n";
  out += std::string("transaction: ") + (m.transactional ? "true" : "false") + "\n";
  out += "estimate: " + duration(m.estimate) + "\n";
  out += "lock_timeout: " + duration(m.lock_timeout) + "\n";
  out += "statement_timeout: " + duration(m.statement_timeout) + "\n";
  for (const LintIgnore& ignore : m.lint_ignores) {
    out += "lint-ignore at line " + std::to_string(ignore.line) + ": " +
           base::join(ignore.codes, " ") + " -- " + ignore.reason + "\n";
  }
  out += "upgrade at line " + std::to_string(m.upgrade.marker_line) + ":\n" + m.upgrade.text;
  if (m.downgrade) {
    out +=
        "downgrade at line " + std::to_string(m.downgrade->marker_line) + ":\n" + m.downgrade->text;
  } else {
    out += "no downgrade\n";
  }
  out += "problems:\n" + render(parsed.problems);
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(ParseMigrationGolden, EveryScriptParsesAsExpected) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(fs::path(RETORT_TESTDATA_DIR) / "scripts")) {
    if (entry.path().extension() == ".sql") {
      inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_GE(inputs.size(), 4U) << "the golden inputs are missing";
  // RETORT_UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing.
  const bool update = std::getenv("RETORT_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& input : inputs) {
    const std::string actual =
        describe(parse_migration_text("versions/" + input.filename().string(), read_file(input)));
    fs::path expected_path = input;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path.filename();
    EXPECT_EQ(actual, read_file(expected_path)) << "golden file " << input.filename();
  }
}

}  // namespace
}  // namespace retort::script
