// Tests of ScriptDirectory::load over real directories, and of writing new revisions.
#include "script/script_directory.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace retort::script {
namespace {

namespace fs = std::filesystem;

// A project directory under the system temporary directory, removed at the end of the test.
class Project {
 public:
  Project() {
    static std::atomic<int> counter{0};
    m_root = fs::temp_directory_path() /
             ("retort-script-test-" + std::to_string(std::random_device{}()) + "-" +
              std::to_string(counter++));
    fs::create_directories(m_root / "migrations" / "versions");
  }
  ~Project() {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }
  Project(const Project&) = delete;
  Project& operator=(const Project&) = delete;

  [[nodiscard]] const fs::path& root() const { return m_root; }
  [[nodiscard]] fs::path location() const { return m_root / "migrations"; }

  void write(const std::string& relative, const std::string& text) const {
    const fs::path path = m_root / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  // A valid migration file for revision `id`.
  void migration(const std::string& id, const std::string& revises = "",
                 const std::string& extra = "") const {
    std::string text = "-- retort:revision " + id + "\n";
    if (!revises.empty()) {
      text += "-- retort:revises " + revises + "\n";
    }
    text += "-- retort:message create " + id + "\n" + extra +
            "\n-- retort:upgrade\nCREATE TABLE t_" + id +
            " (id int);\n\n-- retort:downgrade\nDROP TABLE t_" + id + ";\n";
    write("migrations/versions/" + id + "_create_" + id + ".sql", text);
  }

 private:
  fs::path m_root;
};

std::string render(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& problem : problems) {
    out += problem.where.file + ":" + std::to_string(problem.where.line) + ": " + problem.message +
           " | " + problem.fix + "\n";
  }
  return out;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The file names are kept in one buffer that the loader views; with a single short name that
// buffer once fit in std::string's inline storage, moved with it, and the views read garbage.
TEST(ScriptDirectory, LoadsADirectoryWithOneShortFileName) {
  const Project project;
  project.write("migrations/versions/a1.sql",
                "-- retort:revision a1\n\n-- retort:upgrade\nCREATE TABLE t (id int);\n");
  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_TRUE(loaded.ok()) << loaded.error().front().message;
  const Migration* migration = loaded->find("a1");
  ASSERT_NE(migration, nullptr);
  EXPECT_EQ(migration->display_path, "migrations/versions/a1.sql");
  EXPECT_EQ(migration->path, (project.location() / "versions" / "a1.sql").string());
}

TEST(ScriptDirectory, LoadsATenFileGraphAndIgnoresWhatIsNotAMigration) {
  Project project;
  // base -> a1 -> a2 -> a3 -> merge <- b1 <- (a1); c1 -> c2 -> c3 on its own branch.
  project.migration("base01");
  project.migration("a1", "base01");
  project.migration("a2", "a1");
  project.migration("a3", "a2");
  project.migration("b1", "a1");
  project.migration("merge1", "a3 b1");
  project.migration("c1", "base01", "-- retort:branch_labels reports");
  project.migration("c2", "c1", "-- retort:transaction false\n-- retort:estimate 40m");
  project.migration("c3", "c2", "-- retort:depends_on a2");
  project.migration("tail", "merge1");
  project.write("migrations/versions/README.md", "not a migration");
  project.write("migrations/versions/.hidden_x.sql", "-- retort:revision nope\n");
  project.write("migrations/versions/a1_backup.sql~", "garbage");
  project.write("migrations/versions/__pycache__/x.sql", "garbage");

  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_TRUE(loaded.ok()) << render(loaded.error());
  const ScriptDirectory& dir = loaded.value();
  EXPECT_EQ(dir.migrations().size(), 10U);
  EXPECT_EQ(dir.location(), project.location());
  EXPECT_EQ(dir.map().size(), 10U);
  EXPECT_EQ(dir.map().heads(), (std::vector<std::string>{"c3", "tail"}));

  const Migration* c2 = dir.find("c2");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->display_path, "migrations/versions/c2_create_c2.sql");
  EXPECT_EQ(c2->path, project.location() / "versions" / "c2_create_c2.sql");
  EXPECT_EQ(c2->slug, "create_c2");
  EXPECT_EQ(c2->revises, (std::vector<std::string>{"c1"}));
  EXPECT_FALSE(c2->transactional);
  EXPECT_EQ(c2->estimate, base::Millis(40 * 60 * 1000));
  EXPECT_EQ(c2->checksum().size(), 64U);
  EXPECT_EQ(dir.find("merge1")->revises, (std::vector<std::string>{"a3", "b1"}));
  EXPECT_EQ(dir.find("nope"), nullptr);
  EXPECT_EQ(dir.find("c"), nullptr) << "find takes exact ids only";
}

TEST(ScriptDirectory, MissingVersionsDirectorySaysToRunInit) {
  Project project;
  fs::remove(project.location() / "versions");
  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(render(loaded.error()),
            "migrations/versions:0: the script directory has no versions/ directory | run "
            "`retort init migrations` to create it, or point script_location in retort.toml at "
            "the right directory\n");
}

TEST(ScriptDirectory, EmptyVersionsDirectoryLoads) {
  Project project;
  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_TRUE(loaded.ok()) << render(loaded.error());
  EXPECT_TRUE(loaded->migrations().empty());
}

TEST(ScriptDirectory, ReportsEveryProblemOfTheDirectoryAtOnce) {
  Project project;
  project.migration("r1");
  project.migration("r2", "r1", "-- retort:depends_on nothere");
  project.migration("r3", "gone");
  project.write("migrations/versions/r1_again.sql",
                "-- retort:revision r1\n-- retort:upgrade\nSELECT 1;\n");
  project.write("migrations/versions/r4_wrong_name.sql",
                "-- retort:revision r5\n-- retort:upgrade\nSELECT 1;\n");
  project.write("migrations/versions/r6_bad.sql",
                "-- retort:revision r6\n-- retort:revises r1\n-- retort:estimate soon\n"
                "-- retort:upgrade\n");
  project.migration("x1", "x2");
  project.migration("x2", "x1");

  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_FALSE(loaded.ok());
  const std::string v = "migrations/versions/";
  EXPECT_EQ(render(loaded.error()),
            v + "r1_create_r1.sql:1: revision r1 is also declared in " + v +
                "r1_again.sql:1 | give one of the two files a new revision id (`retort "
                "revision` makes one) and update the `-- retort:revises` lines that should point "
                "to it\n" +
                v +
                "r2_create_r2.sql:4: Revision r2 depends on nothere, which is neither a "
                "revision nor a branch label. | correct `-- retort:depends_on`: it takes "
                "revision ids, unique prefixes of them, or branch labels\n" +
                v +
                "r3_create_r3.sql:2: Revision r3 revises gone, which is not a known revision. "
                "| correct the id in `-- retort:revises`, or restore the file that declares "
                "it\n" +
                v +
                "r4_wrong_name.sql:1: the file name `r4_wrong_name.sql` does not match its "
                "revision `r5` | rename the file to `r5_wrong_name.sql`, or correct the "
                "revision\n" +
                v +
                "r6_bad.sql:3: `-- retort:estimate` is `soon`, which is not a duration | "
                "write a whole number and a unit (ms, s, m, h, d), e.g. `500ms`, `90s`, "
                "`40m`\n" +

                v +
                "x1_create_x1.sql:2: Revisions x1 and x2 form a cycle: x1 revises x2 and x2 "
                "revises x1. | a revision cannot come after itself: remove one of the "
                "`revises` or `depends_on` links of the cycle\n");
}

TEST(WriteRevision, WritesTheDefaultTemplateAndLoadsBack) {
  Project project;
  const NewRevision first{"aaa111", "Create users table", {}, {}, {}, {}, {}};
  const fs::path first_path = write_revision(project.location(), first);
  EXPECT_EQ(first_path, project.location() / "versions" / "aaa111_create_users_table.sql");
  EXPECT_EQ(read(first_path),
            "-- retort:revision aaa111\n"
            "-- retort:message Create users table\n"
            "\n"
            "-- retort:upgrade\n"
            "-- Write the SQL that applies this revision here. retort will not run it empty.\n"
            "\n"
            "-- retort:downgrade\n"
            "-- Write the SQL that reverts the upgrade here; retort will not run it empty\n"
            "-- either. If there is nothing to revert, add `-- retort:empty downgrade` to the\n"
            "-- header; if it cannot be reverted, remove this section: retort then refuses to\n"
            "-- downgrade past this revision.\n");

  const NewRevision second{"bbb222", "add\nemail", {"aaa111"}, {"auth"}, {"aaa111"}, {}, {}};
  const fs::path second_path = write_revision(project.location(), second);

  // As written, the upgrade sections hold no statement yet: the directory still loads, so
  // the next `retort revision` works; the runner refuses to run them.
  auto untouched = ScriptDirectory::load(project.location(), project.root());
  ASSERT_TRUE(untouched.ok()) << render(untouched.error());
  const Migration* fresh = untouched->find("aaa111");
  ASSERT_NE(fresh, nullptr);
  auto none = statements(*fresh, Which::upgrade, base::Dialect::postgres);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  for (const fs::path& path : {first_path, second_path}) {
    std::string text = read(path);
    const std::string placeholder =
        "-- Write the SQL that applies this revision here. retort will not run it empty.\n";
    text.replace(text.find(placeholder), placeholder.size(), "CREATE TABLE x (id int);\n");
    std::ofstream(path, std::ios::binary) << text;
  }
  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_TRUE(loaded.ok()) << render(loaded.error());
  const Migration* written = loaded->find("bbb222");
  ASSERT_NE(written, nullptr);
  EXPECT_EQ(written->message, "add email");
  EXPECT_EQ(written->slug, "add_email");
  EXPECT_EQ(written->revises, second.revises);
  EXPECT_EQ(written->branch_labels, second.branch_labels);
  EXPECT_EQ(written->depends_on, second.depends_on);
  ASSERT_TRUE(written->downgrade.has_value());
  EXPECT_EQ(loaded->map().heads(), (std::vector<std::string>{"bbb222"}));
}

TEST(WriteRevision, UsesTheDirectoryTemplate) {
  Project project;
  project.write("migrations/script.sql.tmpl",
                "-- ${message} (parents: ${revises})\n${header}\n-- retort:upgrade\n"
                "DO $$ BEGIN PERFORM 1; END $$;\n");
  const fs::path path = write_revision(project.location(),
                                       NewRevision{"c0ffee", "seed", {"p1", "p2"}, {}, {}, {}, {}});
  EXPECT_EQ(read(path),
            "-- seed (parents: p1 p2)\n-- retort:revision c0ffee\n-- retort:revises p1 p2\n"
            "-- retort:message seed\n-- retort:upgrade\nDO $$ BEGIN PERFORM 1; END $$;\n");
}

TEST(WriteRevision, RefusesUnknownTemplateVariablesAndExistingRevisions) {
  Project project;
  project.write("migrations/script.sql.tmpl", "${header}\n-- ${create_date}\n");
  try {
    (void)write_revision(project.location(), NewRevision{"r1", "m", {}, {}, {}, {}, {}});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_STREQ(error.what(),
                 "the template uses ${create_date}, which is not a template variable");
    ASSERT_TRUE(error.where.has_value());
    EXPECT_EQ(error.where->line, 2);
  }
  EXPECT_FALSE(fs::exists(project.location() / "versions" / "r1_m.sql"));

  fs::remove(project.location() / "script.sql.tmpl");
  (void)write_revision(project.location(), NewRevision{"r1", "first", {}, {}, {}, {}, {}});
  try {
    (void)write_revision(project.location(), NewRevision{"r1", "other slug", {}, {}, {}, {}, {}});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_STREQ(error.what(), "revision r1 already exists");
  }
  EXPECT_THROW(
      (void)write_revision(project.location(), NewRevision{"bad id", "m", {}, {}, {}, {}, {}}),
      Error);

  try {
    (void)write_revision(project.location(), NewRevision{"r2", "caf\xE9", {}, {}, {}, {}, {}});
    FAIL() << "a message that is not UTF-8 would write a file that does not load";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_STREQ(error.what(), "the message `caf\\xE9` is not UTF-8");
  }
  EXPECT_FALSE(fs::exists(project.location() / "versions" / "r2_caf.sql"));
}

TEST(WriteRevision, AGeneratedBodyBypassesTheTemplateAndLoadsBack) {
  const Project project;
  project.write("migrations/script.sql.tmpl", "${header}\n-- template text\n");
  NewRevision revision{"g1", "generated", {}, {}, {}, {}, {}};
  revision.header_lines = {"-- retort:transaction false", "-- a comment of the generator"};
  revision.body =
      "-- retort:upgrade\nCREATE INDEX CONCURRENTLY i ON t (c);\n\n"
      "-- retort:downgrade\nDROP INDEX CONCURRENTLY IF EXISTS i;\n";
  EXPECT_EQ(generated_revision_text(revision),
            "-- retort:revision g1\n-- retort:message generated\n-- retort:transaction false\n"
            "-- a comment of the generator\n\n" +
                *revision.body);
  const fs::path path = write_revision(project.location(), revision);
  EXPECT_EQ(path.filename(), revision_file_name(revision));
  auto loaded = ScriptDirectory::load(project.location(), project.root());
  ASSERT_TRUE(loaded) << loaded.error().front().message;
  const Migration* migration = loaded.value().find("g1");
  ASSERT_NE(migration, nullptr);
  EXPECT_FALSE(migration->transactional);
  EXPECT_EQ(migration->upgrade.text.find("template text"), std::string::npos);
}

TEST(NewRevisionId, TwelveLowercaseHexDigitsAndDistinct) {
  const std::string a = new_revision_id();
  const std::string b = new_revision_id();
  EXPECT_EQ(a.size(), 12U);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace retort::script
