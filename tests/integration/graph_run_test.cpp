// Runs across a branched graph on real databases: branch points, a merge, depends_on, labels
// and a second base. Every expectation below is what Alembic 1.8 did with the same graph and
// the same commands (its version table and the migrations it ran, in order).
#include "integration/project.hpp"
#include "retort/commands.hpp"
#include "retort/error.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

//   a ── b1 (left) ── b2 ──┐
//   └─── c1 (right) ── c2 ─┴── m        c2 depends_on b1
//   x1 (extra) ── x2 ── x3              a second base
// Each revision creates the table t_<revision>.
void add_graph(Project& project) {
  const auto add = [&project](const std::string& rev, Strings revises, Strings headers) {
    (void)project.add({rev, std::move(revises), fmt::format("CREATE TABLE t_{} (id INTEGER);", rev),
                       fmt::format("DROP TABLE t_{};", rev), std::move(headers),
                       "revision " + rev});
  };
  add("a", {}, {});
  add("b1", {"a"}, {"branch_labels left"});
  add("b2", {"b1"}, {});
  add("c1", {"a"}, {"branch_labels right"});
  add("c2", {"c1"}, {"depends_on b1"});
  add("m", {"b2", "c2"}, {});
  add("x1", {}, {"branch_labels extra"});
  add("x2", {"x1"}, {});
  add("x3", {"x2"}, {});
}

enum class Command { upgrade, downgrade, stamp, stamp_purge };

struct Expectation {
  Command command;
  std::string target;
  std::string ran;     // the revisions run, in order, space separated
  std::string rows;    // the version table after, sorted
  std::string tables;  // the tables after, sorted
};

std::string joined(const Strings& words) {
  std::string out;
  for (const std::string& word : words) {
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

std::string describe(const Expectation& step) {
  static const char* const k_names[] = {"upgrade", "downgrade", "stamp", "stamp --purge"};
  return fmt::format("retort {} {}", k_names[static_cast<int>(step.command)], step.target);
}

class GraphRunTest : public ::testing::TestWithParam<Backend> {
 protected:
  // Runs each command in turn on one database and checks it against Alembic's outcome.
  void run_all(const std::string& hint, const std::vector<Expectation>& steps) {
    Project project(GetParam(), hint);
    add_graph(project);
    for (const Expectation& step : steps) {
      SCOPED_TRACE(describe(step));
      RunOptions options;
      options.target = step.target;
      options.purge = step.command == Command::stamp_purge;
      RunResult result;
      try {
        switch (step.command) {
          case Command::upgrade:
            result = upgrade(project.config(), options);
            break;
          case Command::downgrade:
            result = downgrade(project.config(), options);
            break;
          case Command::stamp:
          case Command::stamp_purge:
            result = stamp(project.config(), options);
            break;
        }
      } catch (const Error& error) {
        FAIL() << error.what() << "\n" << error.explanation;
      }
      if (step.command == Command::upgrade || step.command == Command::downgrade) {
        Strings ran;
        for (const StepResult& done : result.steps) {
          ran.push_back(done.revision);
        }
        EXPECT_EQ(joined(ran), step.ran);
      }
      EXPECT_EQ(joined(project.version_rows()), step.rows);
      Strings tables = project.tables();
      EXPECT_EQ(joined(tables), step.tables);
      Strings heads_after = result.heads_after;
      std::sort(heads_after.begin(), heads_after.end());
      EXPECT_EQ(joined(heads_after), step.rows) << "the result's heads_after";
    }
  }
};

TEST_P(GraphRunTest, DependsOnPullsInTheOtherBranchAndLabelsSelectABranch) {
  run_all(
      "graph_labels",
      {
          {Command::upgrade, "c2", "a b1 c1 c2", "c2", "t_a t_b1 t_c1 t_c2"},
          {Command::upgrade, "extra@head", "x1 x2 x3", "c2 x3",
           "t_a t_b1 t_c1 t_c2 t_x1 t_x2 t_x3"},
          {Command::upgrade, "heads", "b2 m", "m x3", "t_a t_b1 t_b2 t_c1 t_c2 t_m t_x1 t_x2 t_x3"},
          {Command::downgrade, "extra@base", "x3 x2 x1", "m", "t_a t_b1 t_b2 t_c1 t_c2 t_m"},
          {Command::downgrade, "b1", "m b2", "c2", "t_a t_b1 t_c1 t_c2"},
          {Command::downgrade, "left@base", "c2 c1 b1 a", "", ""},
      });
}

TEST_P(GraphRunTest, RelativeTargetsAndStampAcrossBranches) {
  run_all(
      "graph_relative",
      {
          {Command::upgrade, "extra@+1", "x1", "x1", "t_x1"},
          {Command::upgrade, "+2", "x2 x3", "x3", "t_x1 t_x2 t_x3"},
          {Command::upgrade, "c1", "a c1", "c1 x3", "t_a t_c1 t_x1 t_x2 t_x3"},
          {Command::upgrade, "b1", "b1", "b1 c1 x3", "t_a t_b1 t_c1 t_x1 t_x2 t_x3"},
          {Command::downgrade, "extra@-1", "x3", "b1 c1 x2", "t_a t_b1 t_c1 t_x1 t_x2"},
          // c2 depends on b1, which is already applied: one row replaces both.
          {Command::upgrade, "right@+1", "c2", "c2 x2", "t_a t_b1 t_c1 t_c2 t_x1 t_x2"},
          {Command::upgrade, "left@head", "b2 m", "m x2", "t_a t_b1 t_b2 t_c1 t_c2 t_m t_x1 t_x2"},
          {Command::downgrade, "c1", "m c2", "b2 c1 x2", "t_a t_b1 t_b2 t_c1 t_x1 t_x2"},
          {Command::stamp, "c2", "", "b2 c2 x2", "t_a t_b1 t_b2 t_c1 t_x1 t_x2"},
          {Command::stamp, "x1", "", "b2 c2 x1", "t_a t_b1 t_b2 t_c1 t_x1 t_x2"},
          {Command::stamp, "m", "", "m x1", "t_a t_b1 t_b2 t_c1 t_x1 t_x2"},
          {Command::stamp_purge, "b2", "", "b2", "t_a t_b1 t_b2 t_c1 t_x1 t_x2"},
      });
}

TEST_P(GraphRunTest, RelativeTargetsThatAlembicRefusesAreRefusedWithoutRunning) {
  Project project(GetParam(), "graph_refused");
  add_graph(project);
  RunOptions options;
  options.target = "b2";
  (void)upgrade(project.config(), options);

  // From b2 only m is left on that line, and m needs c2: +2 is not two steps of one line.
  options.target = "+2";
  try {
    (void)upgrade(project.config(), options);
    FAIL() << "+2 from b2 must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_EQ(std::string(error.what()),
              "Relative target '+2' walks past a head: fewer than 2 revisions are above "
              "revision b2.");
  }
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
  EXPECT_EQ(project.tables(), (Strings{"t_a", "t_b1", "t_b2"}));

  // Several heads make `head` ambiguous: the error names them.
  options.target = "head";
  try {
    (void)upgrade(project.config(), options);
    FAIL() << "upgrade head with two heads must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::input);
    EXPECT_EQ(std::string(error.what()), "Several heads are present for 'head': m and x3.");
    EXPECT_NE(error.next_command.find("retort upgrade heads"), std::string::npos)
        << error.next_command;
  }
  EXPECT_EQ(project.version_rows(), Strings{"b2"});
}

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(GraphRun, GraphRunTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), name_of);

}  // namespace
}  // namespace retort::test
