// `retort schema dump` through the binary, on a database a migration built: the dump on
// stdout, one file per object with --split, unsupported kinds named on stderr.
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace retort::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void build(Project& project) {
  project.add({"a1",
               {},
               "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, "
               "updated_at timestamptz);\n"
               "CREATE VIEW active_users AS SELECT id, email FROM users;\n"
               "CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\n"
               "BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n"
               "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE "
               "FUNCTION touch_updated_at();\n"
               "CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$\n"
               "BEGIN END $$;\n"
               "CREATE EVENT TRIGGER on_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl();",
               "",
               {},
               "users"});
  write_config(project);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
}

TEST(SchemaDumpCliTest, PrintsTheSchemaAndNamesWhatItLeavesOut) {
  Project project(Backend::postgres, "schema_cli_dump");
  build(project);
  const ProcessResult dump = retort(project, {"schema", "dump"});
  ASSERT_EQ(dump.exit_code, 0) << shown(dump);
  EXPECT_TRUE(has(dump.out, "CREATE TABLE public.users (\n    id bigint NOT NULL,"));
  EXPECT_TRUE(has(dump.out, "CREATE VIEW public.active_users AS"));
  EXPECT_TRUE(has(dump.out, "CREATE OR REPLACE FUNCTION public.touch_updated_at()"));
  EXPECT_TRUE(has(dump.out, "CREATE TRIGGER users_touch BEFORE UPDATE ON public.users"));
  // retort's own tables are bookkeeping, not the schema.
  EXPECT_TRUE(lacks(dump.out, "retort_version"));
  EXPECT_TRUE(lacks(dump.out, "retort_log"));
  EXPECT_TRUE(lacks(dump.out, "on_ddl"));
  EXPECT_TRUE(has(dump.err,
                  "warning: not in the dump, a kind retort does not model yet: event "
                  "trigger on_ddl"));
}

TEST(SchemaDumpCliTest, SplitWritesOneFilePerObjectIntoAnEmptyDirectory) {
  Project project(Backend::postgres, "schema_cli_split");
  build(project);
  const ProcessResult split = retort(project, {"schema", "dump", "--split", "schema"});
  ASSERT_EQ(split.exit_code, 0) << shown(split);
  const fs::path dir = project.dir() / "schema";
  EXPECT_TRUE(has(read_file(dir / "tables" / "public.users.sql"),
                  "ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);"));
  EXPECT_TRUE(has(read_file(dir / "views" / "public.active_users.sql"),
                  "CREATE VIEW public.active_users AS"));
  EXPECT_TRUE(
      has(read_file(dir / "functions" / "public.touch_updated_at().sql"), "RETURNS trigger"));
  EXPECT_TRUE(has(read_file(dir / "triggers" / "public.users.users_touch.sql"),
                  "CREATE TRIGGER users_touch"));
  EXPECT_TRUE(has(split.out, "Wrote"));

  const ProcessResult again = retort(project, {"schema", "dump", "--split", "schema"});
  EXPECT_EQ(again.exit_code, 2) << shown(again);
  EXPECT_TRUE(has(again.err, "is not empty"));
}

}  // namespace
}  // namespace retort::test
