// Every fixture pair (fixtures/ and fixtures_plan/), both ways, through the whole of
// `revision --autogenerate` as a user meets it: a history whose one revision builds the old
// schema, applied to a real PostgreSQL database; the declared schema the new one; the revision
// autogenerate writes (after its own proof) applied there with `upgrade`, after which the
// database equals the declared schema, and reverted with `downgrade`, after which it equals the
// history's. The planner's own test applies the plans' statements directly; this one goes
// through the files, the runner and its transactions.
// RETORT_AUTOGENERATE_FIXTURE_STRIDE=N takes every Nth pair (CI's sanitizer build), and
// RETORT_SCHEMA_FIXTURE=PART those whose name holds PART.
#include "fixture_pairs.hpp"
#include "harness/postgres_server.hpp"
#include "integration/project.hpp"
#include "retort/commands.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> pairs() {
  const char* stride_text = std::getenv("RETORT_AUTOGENERATE_FIXTURE_STRIDE");
  const int stride = stride_text != nullptr ? std::max(1, std::atoi(stride_text)) : 1;
  std::vector<fs::path> found = fixture_pairs(RETORT_SCHEMA_TESTDATA, "fixtures");
  for (const fs::path& own : fixture_pairs(RETORT_SCHEMA_TESTDATA, "fixtures_plan")) {
    found.push_back(own);
  }
  std::vector<fs::path> taken;
  for (std::size_t i = 0; i < found.size(); i += static_cast<std::size_t>(stride)) {
    taken.push_back(found[i]);
  }
  return taken;
}

std::string lines(const DiffResult& diff) {
  std::string out;
  for (const SchemaChange& change : diff.changes) {
    out += "\n  " + change.line;
  }
  return out;
}

// One direction of one pair; returns whether a revision was written.
bool through_autogenerate(const fs::path& pair, const std::string& from_file,
                          const std::string& to_file) {
  const std::string label = pair.filename().string() + " (" + from_file + " -> " + to_file + ")";
  Project project(Backend::postgres, "autogen_fixture");
  Config& config = project.config();
  config.schema.dev_url = PostgresServer::instance().url("postgres");
  config.schema.dir = project.dir() / "declared";
  fs::create_directories(config.schema.dir);
  fs::copy_file(pair / to_file, config.schema.dir / "schema.sql");
  // The old schema as the history's one revision. A fixture may set search_path: it is reset
  // before the revision's version row is written. An empty schema is one statement that does
  // nothing.
  project.add({"r0",
               {},
               "SELECT 1;\n" + read_text(pair / from_file) + "\nRESET search_path;\n",
               "",
               {},
               "start"});
  EXPECT_NO_THROW((void)upgrade(config, RunOptions{})) << label;

  RevisionOptions options;
  options.message = "next";
  options.rev_id = "r1";
  options.allow_hazards = {"PG203,PG204,PG206,PG108,PG105"};
  AutogenerateResult result;
  try {
    result = autogenerate(config, options);
  } catch (const Error& error) {
    ADD_FAILURE() << label << ": autogenerate failed: " << error.what() << "\n"
                  << error.explanation;
    return false;
  }
  if (result.written.empty()) {
    return false;
  }
  try {
    (void)upgrade(config, RunOptions{});
  } catch (const Error& error) {
    ADD_FAILURE() << label << ": upgrade failed: " << error.what();
    return true;
  }
  const DiffResult up = diff(config, DiffOptions{});
  EXPECT_TRUE(up.changes.empty()) << label << ": after upgrade, left over:" << lines(up);
  RunOptions back;
  back.target = "r0";
  try {
    (void)downgrade(config, back);
  } catch (const Error& error) {
    ADD_FAILURE() << label << ": downgrade failed: " << error.what();
    return true;
  }
  DiffOptions history;
  history.to = "r0";
  const DiffResult down = diff(config, history);
  EXPECT_TRUE(down.changes.empty()) << label << ": after downgrade, left over:" << lines(down);
  return true;
}

TEST(AutogenerateFixturesTest, EveryPairBothWaysUpgradesToTheDeclaredSchemaAndDowngradesBack) {
  const std::vector<fs::path> found = pairs();
  ASSERT_FALSE(found.empty());
  int written = 0;
  for (const fs::path& pair : found) {
    written += through_autogenerate(pair, "old.sql", "new.sql") ? 1 : 0;
    written += through_autogenerate(pair, "new.sql", "old.sql") ? 1 : 0;
  }
  // Pairs named *_no_change write nothing; every other pair writes a revision each way.
  EXPECT_GT(written, static_cast<int>(found.size()));
}

}  // namespace
}  // namespace retort::test
