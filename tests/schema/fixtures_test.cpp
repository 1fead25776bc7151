// The schema diff over fixture pairs (fixtures/NAME/old.sql, new.sql, expected.txt): each pair
// loaded into real databases, diffed both ways, against itself, and dumped and reloaded; on
// PostgreSQL also read back from its own pg_dump. One test case loops over every pair, so that
// one cluster serves them all.
#include "base/url.hpp"
#include "driver/driver.hpp"
#include "fixture_pairs.hpp"
#include "harness/postgres_server.hpp"
#include "harness/process.hpp"
#include "schema/diff.hpp"
#include "schema/dump.hpp"
#include "schema/reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace retort::schema {
namespace {

using test::fixture_pairs;
using test::read_text;

namespace fs = std::filesystem;

std::vector<std::string> read_lines(const fs::path& path) {
  std::istringstream in(read_text(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

std::vector<std::string> change_lines(const Diff& diff) {
  std::vector<std::string> lines;
  for (const Change& change : diff.changes) {
    lines.push_back(change_line(change));
  }
  for (const Unsupported& item : diff.uncompared) {
    lines.push_back("? " + item.kind + " " + item.name);
  }
  return lines;
}

// What diff(new, old) must be: each change of diff(old, new) the other way round.
void expect_mirror(const Diff& forth, const Diff& back) {
  ASSERT_EQ(forth.changes.size(), back.changes.size())
      << ::testing::PrintToString(change_lines(back));
  std::vector<Change> mirrored;
  for (const Change& change : forth.changes) {
    Change other = change;
    other.kind = change.kind == ChangeKind::added     ? ChangeKind::removed
                 : change.kind == ChangeKind::removed ? ChangeKind::added
                                                      : ChangeKind::changed;
    std::swap(other.before, other.after);
    mirrored.push_back(other);
  }
  // Same kind, name and attribute sort alike both ways; only a replaced object's removal and
  // addition (one name) trade places.
  auto order = [](const Change& a, const Change& b) {
    return std::tie(a.object, a.name, a.attribute, a.kind) <
           std::tie(b.object, b.name, b.attribute, b.kind);
  };
  std::vector<Change> reversed = back.changes;
  std::sort(mirrored.begin(), mirrored.end(), order);
  std::sort(reversed.begin(), reversed.end(), order);
  for (std::size_t i = 0; i < mirrored.size(); ++i) {
    EXPECT_EQ(change_line(mirrored[i]), change_line(reversed[i]));
    EXPECT_EQ(mirrored[i].before, reversed[i].before) << change_line(mirrored[i]);
    EXPECT_EQ(mirrored[i].after, reversed[i].after) << change_line(mirrored[i]);
  }
}

#if RETORT_TEST_POSTGRES

std::unique_ptr<driver::Connection> open(const std::string& url) {
  return driver::connect(base::parse_database_url(url).value());
}

std::string fresh(const std::string& hint) {
  return test::PostgresServer::instance().create_database(hint);
}

// The databases of one pair, dropped when it is done: a few hundred copies of template0 left
// on disk would cost more than making them.
class Databases {
 public:
  Databases() = default;
  Databases(const Databases&) = delete;
  Databases& operator=(const Databases&) = delete;
  ~Databases() {
    try {
      const auto admin = open(test::PostgresServer::instance().admin_url());
      for (const std::string& url : m_urls) {
        admin->execute("DROP DATABASE IF EXISTS \"" + url.substr(url.rfind('/') + 1) +
                       "\" WITH (FORCE)");
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "dropping a fixture's databases: " << error.what();
    }
  }

  // A fresh database loaded with `sql`, and its model.
  Schema load(const std::string& sql, const std::string& hint, std::string* url_out = nullptr) {
    m_urls.push_back(fresh(hint));
    const auto connection = open(m_urls.back());
    connection->execute(sql);
    if (url_out != nullptr) {
      *url_out = m_urls.back();
    }
    return read_postgres(*connection);
  }

 private:
  std::vector<std::string> m_urls;
};

// `pg_dump --schema-only`, without the \restrict lines newer releases add (psql commands).
std::string pg_dump(const std::string& url) {
  test::SpawnOptions options;
  options.timeout = std::chrono::seconds(60);
  const test::ProcessResult dump =
      test::run({(test::PostgresServer::instance().bin_dir() / "pg_dump").string(), "--schema-only",
                 "--no-owner", "-d", url},
                options);
  EXPECT_EQ(dump.exit_code, 0) << "pg_dump failed: " << dump.err;
  std::istringstream in(dump.out);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")) {
      out += line + "\n";
    }
  }
  return out;
}

// One pair: the diff both ways and against itself, dump and reload of either side, and the old
// side read back from its own pg_dump.
void check_pair(const fs::path& dir, const std::string& name) {
  Databases databases;
  auto load = [&](const std::string& sql, const std::string& hint, std::string* url_out = nullptr) {
    return databases.load(sql, hint, url_out);
  };
  std::string old_url;
  const Schema before = load(read_text(dir / "old.sql"), name + "_old", &old_url);
  const Schema after = load(read_text(dir / "new.sql"), name + "_new");

  const Diff forth = diff(before, after);
  EXPECT_EQ(change_lines(forth), read_lines(dir / "expected.txt"));
  expect_mirror(forth, diff(after, before));
  // Read again, the same database is the same schema.
  EXPECT_EQ(change_lines(diff(before, read_postgres(*open(old_url)))), std::vector<std::string>{});

  for (const Schema* side : {&before, &after}) {
    const std::string first = dump_sql(*side);
    const Schema copy = load(first, name + "_copy");
    EXPECT_EQ(dump_sql(copy), first);
    EXPECT_EQ(change_lines(diff(*side, copy)), std::vector<std::string>{});
  }

  const Schema restored = load(pg_dump(old_url), name + "_pgdump");
  EXPECT_EQ(change_lines(diff(before, restored)), std::vector<std::string>{});
}

TEST(PostgresSchemaFixturesTest, EveryPairDiffsAsExpectedBothWaysAndSurvivesDumpAndReload) {
  const std::vector<fs::path> pairs = fixture_pairs(RETORT_SCHEMA_TESTDATA, "fixtures");
  EXPECT_GE(pairs.size(), std::getenv("RETORT_SCHEMA_FIXTURE") == nullptr ? 40U : 1U);
  // Pairs are independent, and most of the time goes to CREATE DATABASE and loading: a few at
  // once on the one cluster.
  (void)test::PostgresServer::instance();
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < pairs.size(); i = next++) {
      const std::string name = pairs[i].filename().string();
      SCOPED_TRACE("fixture " + name);
      try {
        check_pair(pairs[i], name);
      } catch (const std::exception& error) {
        ADD_FAILURE() << "fixture " << name << ": " << error.what();
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back(work);
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
}

#else

TEST(SqliteSchemaFixturesTest, EveryPairDiffsAsExpectedBothWaysAndSurvivesDumpAndReload) {
  const fs::path dir_root =
      fs::temp_directory_path() / ("retort-schema-fixtures-" + std::to_string(::getpid()));
  fs::create_directories(dir_root);
  int counter = 0;
  auto load = [&](const std::string& sql) {
    const fs::path file = dir_root / (std::to_string(++counter) + ".db");
    const auto connection =
        driver::connect(base::parse_database_url("sqlite:///" + file.string()).value());
    connection->execute(sql);
    return read_sqlite(*connection);
  };
  const std::vector<fs::path> pairs = fixture_pairs(RETORT_SCHEMA_TESTDATA, "fixtures_sqlite");
  EXPECT_GE(pairs.size(), std::getenv("RETORT_SCHEMA_FIXTURE") == nullptr ? 10U : 1U);
  for (const fs::path& dir : pairs) {
    SCOPED_TRACE("fixture " + dir.filename().string());
    const Schema before = load(read_text(dir / "old.sql"));
    const Schema after = load(read_text(dir / "new.sql"));
    const Diff forth = diff(before, after);
    EXPECT_EQ(change_lines(forth), read_lines(dir / "expected.txt"));
    expect_mirror(forth, diff(after, before));
    EXPECT_TRUE(diff(before, before).empty());
    for (const Schema* side : {&before, &after}) {
      const std::string first = dump_sql(*side);
      const Schema copy = load(first);
      EXPECT_EQ(dump_sql(copy), first);
      EXPECT_EQ(change_lines(diff(*side, copy)), std::vector<std::string>{});
    }
  }
  fs::remove_all(dir_root);
}

#endif

}  // namespace
}  // namespace retort::schema
