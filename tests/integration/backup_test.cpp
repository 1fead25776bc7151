// Backups through the retort binary, on a real SQLite file and (in the postgres build of this
// file) a real PostgreSQL 15: one backup per run, before the first step that drops or rewrites
// rows from before the run, none on a fresh install (each risky step saying why), the ledger
// rows naming it, --no-backup, when = "never" / "always", preflight's backup
// check, `retort backup` then `retort restore`, the refusals of restore, a failing backup
// command stopping the run before the risky step, a backup that wrote nothing refused, ten
// backups at once each in a file of its own, every file owner-only from its first byte, and
// passwords kept out of every output and out of the retort.toml that `init` writes, which also
// keeps the backups and the run lock out of git.
#include "base/url.hpp"
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fnmatch.h>
#include <fstream>
#include <map>
#include <memory>
#include <poll.h>
#include <regex>
#include <set>
#include <string>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;
using Json = nlohmann::json;

// The files of the project's backups/ directory, sorted; empty when it does not exist.
Strings backup_files(const Project& project) {
  Strings out;
  const fs::path dir = project.dir() / "backups";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return out;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The mode bits of a file, as `ls -l` shows them.
fs::perms mode_of(const fs::path& path) { return fs::status(path).permissions() & fs::perms::all; }

constexpr fs::perms k_owner_only = fs::perms::owner_read | fs::perms::owner_write;

// "20240501T101500Z" for now plus `ahead`, as backup names carry the time.
std::string stamp_in(std::chrono::seconds ahead) {
  const std::time_t when =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + ahead);
  std::tm utc{};
  gmtime_r(&when, &utc);
  std::array<char, 32> text{};
  return {text.data(), std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc)};
}

// "0644": a mode as chmod takes it.
std::string octal(unsigned mode) {
  std::array<char, 16> text{};
  const int size = std::snprintf(text.data(), text.size(), "%04o", mode);
  return {text.data(), static_cast<std::size_t>(size)};
}

// Watches a directory with inotify and stats every file the moment it is created (or renamed
// into it): the mode a file had from its first byte, before anyone could chmod it.
class CreatedFiles {
 public:
  explicit CreatedFiles(const fs::path& dir) : m_dir(dir), m_fd(inotify_init1(IN_CLOEXEC)) {
    EXPECT_GE(m_fd, 0) << "inotify_init1: " << std::strerror(errno);
    EXPECT_GE(inotify_add_watch(m_fd, dir.c_str(), IN_CREATE | IN_MOVED_TO), 0);
    m_thread = std::thread([this] { watch(); });
  }
  ~CreatedFiles() { stop(); }
  CreatedFiles(const CreatedFiles&) = delete;
  CreatedFiles& operator=(const CreatedFiles&) = delete;

  // Stops watching; then the names seen and the mode each had when first seen ("gone" when it
  // was renamed or removed before it could be stat'ed).
  std::map<std::string, std::string> stop() {
    if (m_thread.joinable()) {
      m_stop = true;
      m_thread.join();
      ::close(m_fd);
    }
    return m_seen;
  }

 private:
  void watch() {
    std::array<char, 8192> buffer{};
    while (!m_stop) {
      pollfd ready{m_fd, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) {
        continue;
      }
      const ssize_t got = ::read(m_fd, buffer.data(), buffer.size());
      for (ssize_t at = 0; at < got;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
        const std::string name = event->len > 0 ? std::string(event->name) : std::string();
        struct stat info {};
        if (!name.empty() && !m_seen.contains(name)) {
          m_seen[name] = ::stat((m_dir / name).c_str(), &info) == 0 ? octal(info.st_mode & 07777U)
                                                                    : std::string("gone");
        }
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
  }

  fs::path m_dir;
  int m_fd;
  std::atomic<bool> m_stop{false};
  std::map<std::string, std::string> m_seen;
  std::thread m_thread;
};

// The `backup` column of each ledger row: "revision direction backup", oldest first.
Strings ledger_backups(Project& project) {
  return project.query_rows(
      "SELECT revision || ' ' || direction || ' ' || coalesce(backup, '-') FROM retort_log ORDER "
      "BY id");
}

// The one document `retort ... --json` printed.
Json json_of(const ProcessResult& result) {
  try {
    return Json::parse(result.out);
  } catch (const Json::exception& error) {
    ADD_FAILURE() << "not one JSON document: " << error.what() << "\n" << shown(result);
    return Json::object();
  }
}

class BackupTest : public ::testing::TestWithParam<Backend> {
 protected:
  [[nodiscard]] bool postgres() const { return GetParam() == Backend::postgres; }

  // The name backups carry and restore asks for: the PostgreSQL database, or "app" for app.db.
  static std::string database_name(Project& project) {
    return project.backend() == Backend::postgres
               ? project.query_rows("SELECT current_database()").at(0)
               : "app";
  }

  [[nodiscard]] std::string extension() const { return postgres() ? ".dump" : ".sqlite3"; }

  // a1 makes items with a note on each row; b2 drops the note column (risky); c3 adds a
  // column (keeps the data).
  static void add_history(Project& project) {
    project.add({"a1",
                 {},
                 "CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT);\n"
                 "INSERT INTO items VALUES (1, 'one'), (2, 'two');",
                 "DROP TABLE items;",
                 {},
                 "items"});
    project.add({"b2",
                 {"a1"},
                 "ALTER TABLE items DROP COLUMN note;",
                 "ALTER TABLE items ADD COLUMN note TEXT;",
                 // The drop is what the backup is for: lint's PG204 is accepted.
                 {"lint-ignore PG204 -- the backup before it is what this test checks"},
                 "drop note"});
    project.add({"c3",
                 {"b2"},
                 "ALTER TABLE items ADD COLUMN added TEXT;",
                 "ALTER TABLE items DROP COLUMN added;",
                 {},
                 "add column"});
  }

  // The notes a backup file holds: pg_restore --list names the table and its data (PostgreSQL),
  // or the file is a database with the rows (SQLite).
  void expect_backup_holds_items(const fs::path& file) {
    if (postgres()) {
      const ProcessResult listed =
          run({(PostgresServer::instance().bin_dir() / "pg_restore").string(), "--list",
               file.string()});
      ASSERT_EQ(listed.exit_code, 0) << shown(listed);
      EXPECT_TRUE(std::regex_search(listed.out, std::regex(" TABLE public items "))) << listed.out;
      EXPECT_TRUE(std::regex_search(listed.out, std::regex(" TABLE DATA public items ")))
          << listed.out;
      return;
    }
    const auto url = base::parse_database_url("sqlite:///" + file.string());
    const auto copy = driver::connect(url.value());
    const driver::Rows rows = copy->query("SELECT id, note FROM items ORDER BY id");
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows.rows[0][1], std::optional<std::string>("one"));
    EXPECT_EQ(rows.rows[1][1], std::optional<std::string>("two"));
  }
};

// ---- 1. Which steps get a backup ----

TEST_P(BackupTest, ARiskyStepGetsABackupFirstAndItsLedgerRowNamesIt) {
  Project project(GetParam(), "bk_risky");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  EXPECT_EQ(backup_files(project), Strings{}) << "a1 drops nothing";

  const ProcessResult up = retort(project, {"upgrade", "b2"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  const Strings files = backup_files(project);
  ASSERT_EQ(files.size(), 1U) << shown(up);
  const std::string name = files.front();
  EXPECT_TRUE(std::regex_match(
      name, std::regex(database_name(project) + "-a1-[0-9]{8}T[0-9]{6}Z\\" + extension())))
      << name << ": database, the revision it holds, UTC time";
  const fs::path file = project.dir() / "backups" / name;
  EXPECT_TRUE(has(up.err, "backup before b2 (ALTER TABLE ... DROP COLUMN, line 7) into " +
                              (project.dir() / "backups").string() + "\n"));
  EXPECT_TRUE(has(up.err, "backup before b2: " + file.string() + " ("));
  EXPECT_EQ(ledger_backups(project), (Strings{"a1 upgrade -", "b2 upgrade " + file.string()}));
  expect_backup_holds_items(file);
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write)
      << "a backup holds every row: for its owner only";
  EXPECT_EQ(fs::status(project.dir() / "backups").permissions() & fs::perms::all,
            fs::perms::owner_all);

  const ProcessResult rest = retort(project, {"upgrade", "head"});
  ASSERT_EQ(rest.exit_code, 0) << shown(rest);
  EXPECT_EQ(backup_files(project).size(), 1U) << "c3 only adds a column\n" << shown(rest);
  EXPECT_TRUE(lacks(rest.err, "backup"));
  EXPECT_EQ(ledger_backups(project).back(), "c3 upgrade -");
}

TEST_P(BackupTest, ADowngradeIsJudgedByItsDowngradeStatements) {
  Project project(GetParam(), "bk_down");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "b2"}).exit_code, 0);
  const std::size_t before = backup_files(project).size();

  // b2's downgrade adds the column back (keeps the data); a1's drops the table.
  const ProcessResult down = retort(project, {"downgrade", "base"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_TRUE(has(down.err, "backup before a1 (DROP TABLE, line 9) into "));
  EXPECT_TRUE(lacks(down.err, "backup before b2"));
  const Strings files = backup_files(project);
  ASSERT_EQ(files.size(), before + 1) << shown(down);
  const Strings ledger = ledger_backups(project);
  ASSERT_EQ(ledger.size(), 4U);
  EXPECT_EQ(ledger[2], "b2 downgrade -");
  EXPECT_TRUE(std::regex_match(
      ledger[3], std::regex("a1 downgrade .*/backups/" + database_name(project) + "-a1-.*")))
      << ledger[3] << ": the backup holds the database at a1, before its downgrade";
}

TEST_P(BackupTest, WhenAlwaysTakesOneBeforeTheFirstStepOfARunOnly) {
  Project project(GetParam(), "bk_always");
  add_history(project);
  write_config(project, "[retort.backup]\nwhen = \"always\"\n");
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  const Strings files = backup_files(project);
  ASSERT_EQ(files.size(), 1U) << shown(up);
  EXPECT_TRUE(files.front().starts_with(database_name(project) + "-base-")) << files.front();
  EXPECT_TRUE(has(up.err, "backup before a1 (when = \"always\") into "));
  const std::string path = (project.dir() / "backups" / files.front()).string();
  EXPECT_EQ(ledger_backups(project),
            (Strings{"a1 upgrade " + path, "b2 upgrade " + path, "c3 upgrade -"}))
      << "one backup per run, before its first step; the risky b2 names it too";
}

TEST_P(BackupTest, InOneTransactionARiskyRunIsBackedUpBeforeItsFirstStep) {
  Project project(GetParam(), "bk_one_tx");
  add_history(project);
  project.add({"d4", {"c3"}, "ALTER TABLE items ADD COLUMN more TEXT;", "", {}, "add more"});
  write_config(project, "transaction_per_migration = false\n");
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_TRUE(has(up.err,
                  "backup before b2 (b2 does ALTER TABLE ... DROP COLUMN at line 7, and "
                  "the run is one transaction) into "));
  const Strings files = backup_files(project);
  ASSERT_EQ(files.size(), 1U) << shown(up);
  const std::string path = (project.dir() / "backups" / files.front()).string();
  EXPECT_EQ(ledger_backups(project),
            (Strings{"a1 upgrade -", "b2 upgrade " + path, "c3 upgrade -", "d4 upgrade -"}));
}

TEST_P(BackupTest, InOneTransactionAFreshInstallTakesNoBackup) {
  Project project(GetParam(), "bk_one_tx_fresh");
  add_history(project);
  write_config(project, "transaction_per_migration = false\n");
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(backup_files(project), Strings{}) << shown(up);
  EXPECT_TRUE(has(up.err,
                  "no backup before b2 (ALTER TABLE ... DROP COLUMN, line 7): the tables it "
                  "changes hold no rows from before this run\n"))
      << "items was created by a1, in this run";
  EXPECT_EQ(ledger_backups(project), (Strings{"a1 upgrade -", "b2 upgrade -", "c3 upgrade -"}));
}

// ---- 1b. One backup per run, and none where there is nothing to lose ----

// a1 makes items (with rows) and spare (empty); b2 drops a column of spare, c3 one of items,
// d4 adds a column, e5 updates items, f6 deletes from a table no step made.
void add_long_history(Project& project) {
  project.add({"a1",
               {},
               "CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT);\n"
               "INSERT INTO items VALUES (1, 'one'), (2, 'two');\n"
               "CREATE TABLE spare (id INTEGER PRIMARY KEY, note TEXT);",
               "DROP TABLE spare;\nDROP TABLE items;",
               {},
               "items"});
  // The risky steps accept lint's finding: the backup before them is what this test checks.
  const auto ignore = [](const std::string& code) {
    return Strings{"lint-ignore " + code + " -- the backup is what this test checks"};
  };
  project.add({"b2", {"a1"}, "ALTER TABLE spare DROP COLUMN note;", "", ignore("PG204"), "spare"});
  project.add({"c3", {"b2"}, "ALTER TABLE items DROP COLUMN note;", "", ignore("PG204"), "note"});
  project.add(
      {"d4", {"c3"}, "ALTER TABLE items ADD COLUMN added TEXT;", "", {"estimate 1s"}, "added"});
  project.add({"e5", {"d4"}, "UPDATE items SET added = 'x';", "", ignore("PG302"), "fill"});
  project.add({"f6", {"e5"}, "DROP TABLE IF EXISTS never_made;", "", ignore("PG203"), "tidy"});
}

TEST_P(BackupTest, AFreshInstallTakesNoBackupAndEachRiskyStepSaysWhy) {
  Project project(GetParam(), "bk_fresh");
  add_long_history(project);
  write_config(project);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(backup_files(project), Strings{}) << shown(up);
  EXPECT_EQ(ledger_backups(project), (Strings{"a1 upgrade -", "b2 upgrade -", "c3 upgrade -",
                                              "d4 upgrade -", "e5 upgrade -", "f6 upgrade -"}));
  for (const std::string& step : {std::string("b2 (ALTER TABLE ... DROP COLUMN"),
                                  std::string("c3 (ALTER TABLE ... DROP "
                                              "COLUMN"),
                                  std::string("e5 (UPDATE"), std::string("f6 (DROP TABLE")}) {
    EXPECT_TRUE(has(up.err, "no backup before " + step +
                                ", line 7): the tables it changes hold "
                                "no rows from before this run\n"));
  }
  EXPECT_TRUE(lacks(up.err, "backup before d4")) << "d4 only adds a column";
}

TEST_P(BackupTest, ARunOverRowsTakesOneBackupForAllItsRiskyStepsAndEachRowNamesIt) {
  Project project(GetParam(), "bk_one_per_run");
  add_long_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  const Strings files = backup_files(project);
  ASSERT_EQ(files.size(), 1U) << "one backup for the run\n" << shown(up);
  const std::string path = (project.dir() / "backups" / files.front()).string();
  EXPECT_TRUE(has(up.err,
                  "no backup before b2 (ALTER TABLE ... DROP COLUMN, line 7): the tables it "
                  "changes hold no rows from before this run\n"))
      << "spare is empty";
  EXPECT_TRUE(has(up.err, "backup before c3 (ALTER TABLE ... DROP COLUMN, line 7) into "));
  EXPECT_TRUE(files.front().starts_with(database_name(project) + "-b2-")) << files.front();
  EXPECT_TRUE(has(up.err,
                  "no backup before e5 (UPDATE, line 7): the backup taken before c3 "
                  "covers it\n"));
  EXPECT_TRUE(has(up.err,
                  "no backup before f6 (DROP TABLE, line 7): the backup taken before c3 "
                  "covers it\n"));
  EXPECT_EQ(ledger_backups(project),
            (Strings{"a1 upgrade -", "b2 upgrade -", "c3 upgrade " + path, "d4 upgrade -",
                     "e5 upgrade " + path, "f6 upgrade " + path}));
  expect_backup_holds_items(fs::path(path));
}

TEST_P(BackupTest, NoBackupTakesNoneAndSaysSo) {
  Project project(GetParam(), "bk_no_backup");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  const ProcessResult up = retort(project, {"upgrade", "head", "--no-backup"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(backup_files(project), Strings{});
  EXPECT_TRUE(has(up.err,
                  "no backup: --no-backup (this run drops or rewrites data in b2 (ALTER TABLE "
                  "... DROP COLUMN, line 7))\n"));
  EXPECT_EQ(ledger_backups(project), (Strings{"a1 upgrade -", "b2 upgrade -", "c3 upgrade -"}));

  const ProcessResult down = retort(project, {"downgrade", "base", "--no-backup"});
  ASSERT_EQ(down.exit_code, 0) << shown(down);
  EXPECT_EQ(backup_files(project), Strings{}) << "a1's downgrade drops items, with rows";
  EXPECT_TRUE(has(down.err,
                  "no backup: --no-backup (this run drops or rewrites data in c3 (ALTER TABLE "
                  "... DROP COLUMN, line 9), a1 (DROP TABLE, line 9))\n"));
  EXPECT_EQ(project.version_rows(), Strings{});
}

// ---- 2. when = "never", and preflight ----

TEST_P(BackupTest, WhenNeverTakesNoneAndPreflightWarnsNamingTheRiskySteps) {
  Project project(GetParam(), "bk_never");
  add_history(project);
  write_config(project, "[retort.backup]\nwhen = \"never\"\n");
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  const ProcessResult warned = retort(project, {"preflight", "--json"});
  EXPECT_EQ(warned.exit_code, 0) << "a warning is not a failure\n" << shown(warned);
  Json check;
  for (const Json& item : json_of(warned).value("checks", Json::array())) {
    if (item.value("code", "") == "backup") {
      check = item;
    }
  }
  EXPECT_EQ(check.value("status", ""), "warn") << warned.out;
  EXPECT_TRUE(has(check.value("message", ""),
                  "when = \"never\": no backup will be taken before the steps that drop or "
                  "rewrite data: b2 (ALTER TABLE ... DROP COLUMN, line 7); no backup of " +
                      database_name(project) + " in "));
  EXPECT_EQ(check.value("fix", ""),
            "run `retort backup` before the upgrade, or set [retort.backup] when = \"risky\"");

  // A backup by hand since the last migration is what the check asks for.
  const ProcessResult taken = retort(project, {"backup"});
  ASSERT_EQ(taken.exit_code, 0) << shown(taken);
  const ProcessResult passed = retort(project, {"preflight"});
  EXPECT_EQ(passed.exit_code, 0) << shown(passed);
  EXPECT_TRUE(has(passed.out, "\npass backup: " + (project.dir() / "backups").string() + "/" +
                                  database_name(project) + "-a1-"))
      << passed.out;
  EXPECT_TRUE(has(passed.out, "is newer than the last applied migration"));

  const std::size_t before = backup_files(project).size();
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(backup_files(project).size(), before) << "when = never takes none";
  EXPECT_TRUE(lacks(up.err, "backup"));
  EXPECT_EQ(ledger_backups(project)[1], "b2 upgrade -");
}

TEST_P(BackupTest, PreflightPassesWhenARiskyStepWillBeBackedUpAndFailsWhenItCannotBe) {
  Project project(GetParam(), "bk_preflight");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult ready = retort(project, {"preflight"});
  EXPECT_EQ(ready.exit_code, 0) << shown(ready);
  EXPECT_TRUE(has(ready.out, "\npass backup: a backup will be taken into " +
                                 (project.dir() / "backups").string() +
                                 " before b2 (ALTER TABLE ... DROP COLUMN, line 7)\n"));
  EXPECT_EQ(backup_files(project), Strings{}) << "preflight takes no backup";

  // A directory that is a file cannot hold backups: the run would stop before b2.
  std::ofstream(project.dir() / "not-a-dir") << "x";
  write_config(project, "[retort.backup]\ndirectory = \"not-a-dir/backups\"\n");
  const ProcessResult blocked = retort(project, {"preflight"});
  EXPECT_EQ(blocked.exit_code, 1) << shown(blocked);
  EXPECT_TRUE(has(blocked.out,
                  "\nfail backup: a backup is due before b2 (ALTER TABLE ... DROP "
                  "COLUMN, line 7), but the backup directory cannot be written: "));
  EXPECT_TRUE(has(blocked.out,
                  "  fix: set [retort.backup] directory to a directory this user "
                  "may write\n"));
}

// ---- 3. retort backup and retort restore ----

TEST_P(BackupTest, ABackupThenARestoreBringsTheDataBack) {
  Project project(GetParam(), "bk_restore");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  const ProcessResult taken = retort(project, {"backup", "--json"});
  ASSERT_EQ(taken.exit_code, 0) << shown(taken);
  const Json doc = json_of(taken);
  const std::string path = doc.value("path", "");
  EXPECT_TRUE(fs::exists(path)) << taken.out;
  EXPECT_EQ(doc.value("bytes", 0), static_cast<std::int64_t>(fs::file_size(path)));
  EXPECT_EQ(doc.value("revision", ""), "a1");
  EXPECT_EQ(doc.value("database", ""), project.config().redacted_url);
  EXPECT_EQ(doc.value("method", ""), postgres() ? "pg_dump" : "sqlite");
  if (postgres()) {
    EXPECT_GT(doc.value("entries", 0), 3) << "read back with pg_restore --list";
  }
  const ProcessResult text = retort(project, {"backup"});
  ASSERT_EQ(text.exit_code, 0) << shown(text);
  EXPECT_TRUE(has(text.out, "Backup of " + project.config().redacted_url +
                                " at a1: " + (project.dir() / "backups").string() + "/"));

  // Data and schema move on: rows change, b2 drops the column.
  (void)project.query_rows("DELETE FROM items WHERE id = 1 RETURNING id");
  (void)project.query_rows("UPDATE items SET note = 'changed' WHERE id = 2 RETURNING id");
  ASSERT_EQ(retort(project, {"upgrade", "b2"}).exit_code, 0);

  const ProcessResult restored =
      retort(project, {"restore", path, "--confirm", database_name(project)});
  ASSERT_EQ(restored.exit_code, 0) << shown(restored);
  EXPECT_TRUE(
      has(restored.out, "Restored " + path + " into " + project.config().redacted_url + " in "));
  EXPECT_TRUE(has(restored.out, "; the database is at a1.\nNext: retort current -v\n"));
  EXPECT_EQ(project.query_rows("SELECT id || ':' || note FROM items ORDER BY id"),
            (Strings{"1:one", "2:two"}));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  const ProcessResult current = retort(project, {"current", "--json"});
  EXPECT_EQ(json_of(current).value("pending", Json::array()), Json::array({"b2", "c3"}))
      << current.out;
}

TEST_P(BackupTest, ARestoreRefusesAWrongNameNoNameAndTheWrongKindOfFileAndChangesNothing) {
  Project project(GetParam(), "bk_refuse");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult taken = retort(project, {"backup", "--json"});
  ASSERT_EQ(taken.exit_code, 0) << shown(taken);
  const std::string path = json_of(taken).value("path", "");
  (void)project.query_rows("DELETE FROM items WHERE id = 1 RETURNING id");
  const Strings rows_before = project.query_rows("SELECT id FROM items ORDER BY id");

  const ProcessResult wrong = retort(project, {"restore", path, "--confirm", "production"});
  EXPECT_EQ(wrong.exit_code, 2) << shown(wrong);
  EXPECT_TRUE(has(wrong.err,
                  "error: refusing to restore: \"production\" is not the name of the "
                  "database at " +
                      project.config().redacted_url + "\n"));
  EXPECT_TRUE(has(wrong.err, "  database: nothing was changed\n"));

  // No terminal to ask on (the test's stdin is a pipe) and no --confirm.
  const ProcessResult unasked = retort(project, {"restore", path});
  EXPECT_EQ(unasked.exit_code, 2) << shown(unasked);
  EXPECT_TRUE(has(unasked.err,
                  "refusing to restore without the database's name: stdin is not a "
                  "terminal to ask on"));
  EXPECT_TRUE(has(unasked.err, "--confirm NAME"));

  const fs::path other = project.dir() / "notes.txt";
  std::ofstream(other) << "not a backup\n";
  const ProcessResult junk =
      retort(project, {"restore", other.string(), "--confirm", database_name(project)});
  EXPECT_EQ(junk.exit_code, 2) << shown(junk);
  EXPECT_TRUE(has(junk.err,
                  "is neither a pg_dump custom-format archive nor a SQLite database "
                  "file"));

  const ProcessResult missing =
      retort(project, {"restore", "backups/nothing.dump", "--confirm", database_name(project)});
  EXPECT_EQ(missing.exit_code, 2) << shown(missing);
  EXPECT_TRUE(has(missing.err, "error: no backup file backups/nothing.dump\n"));

  EXPECT_EQ(project.query_rows("SELECT id FROM items ORDER BY id"), rows_before)
      << "a refused restore changes nothing";
}

// ---- 4. A backup that fails ----

TEST_P(BackupTest, AFailingBackupCommandStopsTheRunBeforeTheRiskyStep) {
  Project project(GetParam(), "bk_fails");
  add_history(project);
  write_config(project,
               "[retort.backup]\ncommand = \"echo cannot reach the bucket >&2; exit 7\"\n");
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 1) << shown(up);
  EXPECT_TRUE(has(up.err,
                  "error: stopped before revision b2: the backup before it failed: the "
                  "backup command of [retort.backup] exited with 7\n"));
  EXPECT_TRUE(has(up.err, "\n  cannot reach the bucket\n"));
  EXPECT_TRUE(has(up.err, "\n  database: the steps before it are applied; nothing of it ran\n"));
  EXPECT_TRUE(has(up.err, "\n  next: fix the backup and run the same command again"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM items WHERE note IS NOT NULL"), Strings{"2"})
      << "nothing of b2 ran";
  EXPECT_EQ(ledger_backups(project), Strings{"a1 upgrade -"}) << "b2 never started";
  EXPECT_EQ(backup_files(project), Strings{}) << "nothing left that looks like a backup";

  // A command that succeeds is the backup: its file is named in the ledger. It writes into a
  // file that exists already, owner-only, and learns the name the backup will have.
  const std::string copy =
      postgres() ? (PostgresServer::instance().bin_dir() / "pg_dump").string() +
                       " -Fc -f \\\"$RETORT_BACKUP_FILE\\\" \\\"$RETORT_BACKUP_URL\\\""
                 : "cp '" + project.dir().string() + "/app.db' \\\"$RETORT_BACKUP_FILE\\\"";
  write_config(project,
               "[retort.backup]\ncommand = \"stat -c %a \\\"$RETORT_BACKUP_FILE\\\" > "
               "mode.txt && " +
                   copy + " && echo \\\"$RETORT_BACKUP_NAME\\\" > name.txt\"\n");
  const ProcessResult again = retort(project, {"upgrade", "head"});
  ASSERT_EQ(again.exit_code, 0) << shown(again);
  const Strings files = backup_files(project);
  ASSERT_EQ(files.size(), 1U) << shown(again);
  const fs::path file = project.dir() / "backups" / files.front();
  EXPECT_EQ(ledger_backups(project)[1], "b2 upgrade " + file.string());
  EXPECT_EQ(read_file(project.dir() / "mode.txt"), "600\n")
      << "the command writes into a file that is owner-only before its first byte";
  EXPECT_EQ(read_file(project.dir() / "name.txt"), files.front() + "\n");
  EXPECT_EQ(mode_of(file), k_owner_only);
  EXPECT_GT(fs::file_size(file), 0U);
}

TEST_P(BackupTest, ACommandThatWritesNothingIsNoBackupAndTheDropDoesNotRun) {
  Project project(GetParam(), "bk_empty");
  add_history(project);
  write_config(project, "[retort.backup]\ncommand = \"true\"\n");
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  const ProcessResult up = retort(project, {"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 1) << shown(up);
  EXPECT_TRUE(has(up.err,
                  "error: stopped before revision b2: the backup before it failed: the backup "
                  "command of [retort.backup] exited with 0 but wrote nothing: the backup file "
                  "is empty\n"));
  EXPECT_TRUE(has(up.err, "\n  the command: true\n"));
  EXPECT_TRUE(has(up.err,
                  "\n  the command must write the backup to the file named in "
                  "$RETORT_BACKUP_FILE; copy it elsewhere after that if you like\n"));
  EXPECT_TRUE(has(up.err, "\n  database: the steps before it are applied; nothing of it ran\n"));
  EXPECT_TRUE(has(up.err, "\n  next: fix the backup and run the same command again"));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM items WHERE note IS NOT NULL"), Strings{"2"})
      << "the DROP COLUMN of b2 did not run";
  EXPECT_EQ(ledger_backups(project), Strings{"a1 upgrade -"}) << "b2 never started";
  EXPECT_EQ(backup_files(project), Strings{}) << "no empty file left that looks like a backup";

  // A command that removes the file it was given leaves no backup either.
  write_config(project, "[retort.backup]\ncommand = \"rm -f \\\"$RETORT_BACKUP_FILE\\\"\"\n");
  const ProcessResult removed = retort(project, {"backup"});
  EXPECT_EQ(removed.exit_code, 1) << shown(removed);
  EXPECT_TRUE(has(removed.err,
                  "error: the backup command of [retort.backup] exited with 0 but left no "
                  "backup file: "));
  EXPECT_TRUE(has(removed.err,
                  "\n  database: unchanged: a backup only reads it; no backup file was kept\n"
                  "  next: fix what the message says, then run retort backup again\n"));
  EXPECT_EQ(backup_files(project), Strings{});
}

// ---- 5. Backups at once, and who may read them ----

TEST_P(BackupTest, TenBackupsStartedAtOnceEachGetAFileOfTheirOwn) {
  Project project(GetParam(), "bk_parallel");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);

  SpawnOptions options = in(project);
  options.env["NO_COLOR"] = "1";
  std::vector<std::unique_ptr<Process>> running;
  for (int backup_idx = 0; backup_idx < 10; ++backup_idx) {
    running.push_back(std::make_unique<Process>(
        std::vector<std::string>{retort_binary().string(), "backup", "--json"}, options));
  }
  std::set<std::string> paths;
  for (auto& process : running) {
    const ProcessResult result = process->wait();
    EXPECT_EQ(result.exit_code, 0) << shown(result);
    if (result.exit_code == 0) {
      paths.insert(json_of(result).value("path", ""));
    }
  }
  EXPECT_EQ(paths.size(), 10U) << "ten backups, ten files";
  const Strings files = backup_files(project);
  EXPECT_EQ(files.size(), 10U) << "and nothing else: no .partial left, no reserved name";
  for (const std::string& name : files) {
    const fs::path file = project.dir() / "backups" / name;
    EXPECT_TRUE(paths.contains(file.string())) << name;
    EXPECT_TRUE(std::regex_match(
        name,
        std::regex(database_name(project) + "-a1-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\\" + extension())))
        << name;
    EXPECT_EQ(mode_of(file), k_owner_only) << name;
    expect_backup_holds_items(file);
  }
}

TEST_P(BackupTest, EveryFileABackupCreatesIsOwnerOnlyFromItsFirstByte) {
  Project project(GetParam(), "bk_modes");
  add_history(project);
  write_config(project);
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  // Enough rows that the dump takes a while, for the watcher to see the file being written.
  project.db().execute(postgres()
                           ? "INSERT INTO items SELECT g, repeat('x', 200) FROM "
                             "generate_series(3, 40000) AS g"
                           : "WITH RECURSIVE g(n) AS (SELECT 3 UNION ALL SELECT n + 1 FROM g "
                             "WHERE n < 40000) INSERT INTO items SELECT n, printf('%.200c', "
                             "'x') FROM g");
  // The directory exists already, made by someone else with the usual umask.
  const fs::path dir = project.dir() / "backups";
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  const mode_t umask_before = ::umask(022);

  CreatedFiles watcher(dir);
  const ProcessResult taken = retort(project, {"backup"});
  const std::map<std::string, std::string> seen = watcher.stop();
  ::umask(umask_before);
  ASSERT_EQ(taken.exit_code, 0) << shown(taken);
  EXPECT_GE(seen.size(), 2U) << "the name the backup reserved and the file written under it";
  for (const auto& [name, mode] : seen) {
    EXPECT_TRUE(mode == "0600" || mode == "gone") << name << " was created mode " << mode;
  }
  EXPECT_TRUE(has(taken.out, "warning: the backup directory " + dir.string() +
                                 " is mode 0755: other users can list the backups in it; `chmod "
                                 "700 " +
                                 dir.string() + "` keeps it to its owner\n"));
  EXPECT_EQ(mode_of(dir), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec)
      << "the operator's directory keeps its mode";
}

TEST_P(BackupTest, PreflightCountsNoEmptyFileAsABackup) {
  Project project(GetParam(), "bk_preflight_empty");
  add_history(project);
  write_config(project, "[retort.backup]\nwhen = \"never\"\n");
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  // What a backup command that wrote nothing left, named like a backup and newer than a1.
  fs::create_directory(project.dir() / "backups");
  std::ofstream(
      project.dir() / "backups" /
      (database_name(project) + "-a1-" + stamp_in(std::chrono::seconds(60)) + extension()));

  const ProcessResult checked = retort(project, {"preflight"});
  EXPECT_EQ(checked.exit_code, 0) << shown(checked);
  EXPECT_TRUE(has(checked.out,
                  "\nwarn backup: when = \"never\": no backup will be taken before "
                  "the steps that drop or rewrite data: b2 (ALTER TABLE ... DROP "
                  "COLUMN, line 7); no backup of " +
                      database_name(project) + " in "))
      << "an empty file is no backup";
}

#if RETORT_TEST_POSTGRES

// ---- 6. PostgreSQL: what counts as holding rows ----

TEST_P(BackupTest, ATableWithRowsInAnySchemaAndADoBlockGetABackup) {
  Project project(GetParam(), "bk_schemas");
  // The migration sets its own search_path: items with rows is in app, not on the run's path.
  project.db().execute(
      "CREATE SCHEMA app; CREATE TABLE app.items (id int, note text); "
      "INSERT INTO app.items VALUES (1, 'kept');");
  project.add({"a1",
               {},
               "SET LOCAL search_path TO app, public;\nALTER TABLE items DROP COLUMN note;",
               "",
               {"lint-ignore PG204 -- the backup is what this test checks"},
               "app note"});
  project.add({"b2", {"a1"}, "DO $$ BEGIN PERFORM 1; END $$;", "", {}, "code"});
  write_config(project);
  const ProcessResult first = retort(project, {"upgrade", "a1"});
  ASSERT_EQ(first.exit_code, 0) << shown(first);
  EXPECT_EQ(backup_files(project).size(), 1U) << shown(first);
  EXPECT_TRUE(has(first.err, "backup before a1 (ALTER TABLE ... DROP COLUMN, line 7) into "));

  // Nothing can be said of what a DO block changes.
  const ProcessResult second = retort(project, {"upgrade", "b2"});
  ASSERT_EQ(second.exit_code, 0) << shown(second);
  EXPECT_EQ(backup_files(project).size(), 2U) << shown(second);
  EXPECT_TRUE(has(second.err, "backup before b2 (DO, line 6) into "));
}

// ---- 7. PostgreSQL: passwords ----

TEST_P(BackupTest, PasswordsNeverAppearInAnyOutput) {
  Project project(GetParam(), "bk_password");
  add_history(project);
  const std::string url = PostgresServer::instance().password_url(database_name(project));
  const std::string password(PostgresServer::k_password);
  write_config(project, "", url);
  const auto nowhere = [&password](const ProcessResult& result) {
    return lacks(result.out + result.err, password);
  };

  // pg_dump logs in with the password (scram-sha-256), which it never sees on its command line.
  ASSERT_EQ(retort(project, {"upgrade", "a1"}).exit_code, 0);
  const ProcessResult up = retort(project, {"upgrade", "b2"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_TRUE(nowhere(up));
  const Strings before_b2 = backup_files(project);
  ASSERT_EQ(before_b2.size(), 1U);
  const ProcessResult taken = retort(project, {"backup", "--json"});
  ASSERT_EQ(taken.exit_code, 0) << shown(taken);
  EXPECT_TRUE(nowhere(taken));
  EXPECT_EQ(json_of(taken).value("database", ""), base::redact_url(url));
  // Back to a1, from the backup taken before b2, so that b2 is pending again.
  const ProcessResult restored =
      retort(project, {"restore", (project.dir() / "backups" / before_b2.front()).string(),
                       "--confirm", database_name(project)});
  EXPECT_EQ(restored.exit_code, 0) << shown(restored);
  EXPECT_TRUE(nowhere(restored));
  EXPECT_EQ(project.version_rows(), Strings{"a1"});

  // A failing pg_dump, and a failing command that prints the URL it was given.
  write_config(project, "[retort.backup]\npg_dump = \"/no/such/pg_dump\"\n", url);
  const ProcessResult no_dump = retort(project, {"backup"});
  EXPECT_EQ(no_dump.exit_code, 1) << shown(no_dump);
  EXPECT_TRUE(has(no_dump.err, "error: cannot run /no/such/pg_dump: No such file or directory\n"));
  EXPECT_TRUE(nowhere(no_dump));
  write_config(project,
               "[retort.backup]\ncommand = \"echo \\\"to $RETORT_BACKUP_URL\\\" >&2; exit 1\"\n",
               url);
  const ProcessResult failed = retort(project, {"upgrade", "head"});
  EXPECT_EQ(failed.exit_code, 1) << shown(failed);
  EXPECT_TRUE(has(failed.err, "to " + base::redact_url(url)));
  EXPECT_TRUE(nowhere(failed));
  const ProcessResult json = retort(project, {"upgrade", "head", "--json"});
  EXPECT_EQ(json.exit_code, 1) << shown(json);
  EXPECT_TRUE(nowhere(json));
}

#endif

#if !RETORT_TEST_POSTGRES

// ---- 8. retort init keeps a password out of retort.toml ----

TEST(InitPasswordTest, AUrlWithAPasswordIsWrittenAsDatabaseUrlAndThePasswordNowhere) {
  const TempDir project;
  const std::string password = "s3cr3t-Pa55";
  const std::string url = "postgresql://app:" + password + "@db.example:5432/shop";
  SpawnOptions options;
  options.cwd = project.path();
  for (const Strings& how :
       {Strings{"init", "migrations", "--db", url}, Strings{"init", "other", "--url", url}}) {
    fs::remove(project.path() / "retort.toml");
    const ProcessResult init = run_retort(how, options);
    ASSERT_EQ(init.exit_code, 0) << shown(init);
    const std::string toml = read_file(project.path() / "retort.toml");
    EXPECT_TRUE(lacks(toml, password)) << how[3];
    EXPECT_TRUE(has(toml, "\nurl = \"${DATABASE_URL}\"")) << how[3];
    EXPECT_TRUE(lacks(init.out + init.err, password));
    EXPECT_TRUE(has(init.out,
                    "retort.toml reads the database URL from DATABASE_URL (url = "
                    "\"${DATABASE_URL}\"): the URL given has a password, which retort keeps out "
                    "of files.\nSet it where retort runs, e.g. export "
                    "DATABASE_URL='postgresql://app:***@db.example:5432/shop' with the real "
                    "password, or from your secret store.\n"));
  }

  // The project works with the variable set, and says which variable is missing without it.
  SpawnOptions with_url = options;
  with_url.env["DATABASE_URL"] = "sqlite:///app.db";
  EXPECT_EQ(run_retort({"heads"}, with_url).exit_code, 0);
  const ProcessResult unset = run_retort({"heads"}, options);
  EXPECT_EQ(unset.exit_code, 2) << shown(unset);
  EXPECT_TRUE(has(unset.err, "DATABASE_URL"));

  // A password that is itself ${NAME} is no secret: the URL is written as given.
  fs::remove(project.path() / "retort.toml");
  const std::string referenced = "postgresql://app:${DB_PASSWORD}@db.example/shop";
  const ProcessResult kept = run_retort({"init", "third", "--db", referenced}, options);
  ASSERT_EQ(kept.exit_code, 0) << shown(kept);
  EXPECT_TRUE(has(read_file(project.path() / "retort.toml"), "url = \"" + referenced + "\""));
  EXPECT_TRUE(lacks(kept.out, "DATABASE_URL"));
}

// ---- 9. retort init keeps backups and the lock file out of git ----

TEST(InitGitignoreTest, InitWritesAGitignoreForTheBackupsAndTheRunLock) {
  const TempDir project;
  SpawnOptions options;
  options.cwd = project.path();
  const ProcessResult init = run_retort({"init", "migrations"}, options);
  ASSERT_EQ(init.exit_code, 0) << shown(init);
  EXPECT_EQ(read_file(project.path() / ".gitignore"),
            "# retort: backups hold every row of the database; *.retort-lock is SQLite's run "
            "lock\n/backups/\n*.retort-lock\n");
  EXPECT_TRUE(has(init.out, "Created .gitignore\n"));
  EXPECT_TRUE(has(init.out,
                  ".gitignore now ignores /backups/ and *.retort-lock: backups hold every row of "
                  "the database, and the lock file is the run lock of a SQLite database.\n"));

  // The pattern is the name the run lock really has: a run leaves it beside the database.
  options.env["DATABASE_URL"] = "sqlite:///app.db";
  std::ofstream(project.path() / "migrations" / "versions" / "a1_first.sql")
      << "-- retort:revision a1\n-- retort:message first\n\n-- retort:upgrade\nCREATE TABLE t "
         "(id INTEGER);\n";
  const ProcessResult up = run_retort({"upgrade", "head"}, options);
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  Strings locks;
  for (const fs::directory_entry& entry : fs::directory_iterator(project.path())) {
    const std::string name = entry.path().filename().string();
    if (name.find("lock") != std::string::npos) {
      locks.push_back(name);
      EXPECT_EQ(::fnmatch("*.retort-lock", name.c_str(), 0), 0) << name;
    }
  }
  EXPECT_EQ(locks, Strings{"app.db.retort-lock"});

  // An existing .gitignore keeps its lines and gains only what it lacks, once.
  const TempDir other;
  std::ofstream(other.path() / ".gitignore") << "node_modules/\nbackups/";
  SpawnOptions in_other;
  in_other.cwd = other.path();
  const ProcessResult again = run_retort({"init", "migrations", "--json"}, in_other);
  ASSERT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_EQ(read_file(other.path() / ".gitignore"),
            "node_modules/\nbackups/\n\n# retort: backups hold every row of the database; "
            "*.retort-lock is SQLite's run lock\n*.retort-lock\n");
  const Json doc = json_of(again);
  EXPECT_EQ(doc.value("gitignore_added", Json::array()), Json::array({"*.retort-lock"}));
  EXPECT_TRUE(lacks(doc.dump(), "\".gitignore\"")) << "it was not created";
}

#endif

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

#if RETORT_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, BackupTest, ::testing::Values(Backend::postgres), name_of);
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, BackupTest, ::testing::Values(Backend::sqlite), name_of);
#endif

}  // namespace
}  // namespace retort::test
