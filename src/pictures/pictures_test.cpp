// The drawings of in-memory histories: the ASCII lanes of a branchy history against a golden
// text, linear runs collapsed (and not with --full), DOT and Mermaid structure.
#include "retort/pictures.hpp"

#include "pictures/model.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace retort::pictures {
namespace {

RevisionInfo rev(std::string id, std::vector<std::string> parents, std::string message = "") {
  RevisionInfo info;
  info.revision = std::move(id);
  info.down_revisions = std::move(parents);
  info.message = std::move(message);
  info.is_base = info.down_revisions.empty();
  info.is_merge_point = info.down_revisions.size() > 1;
  return info;
}

// Newest first, as history() lists them; heads and branch points marked as it marks them.
std::vector<RevisionInfo> branchy() {
  std::vector<RevisionInfo> out{
      rev("f6", {"e5"}, "add audit"),     rev("e5", {"d4", "c3"}, "merge"),
      rev("x9", {"c3"}, "feature tweak"), rev("d4", {"b2"}, "add orders"),
      rev("c3", {"a1"}, "feature table"), rev("b2", {"a1"}, "add users"),
      rev("a1", {}, "create schema"),
  };
  out[0].is_head = true;
  out[2].is_head = true;
  out[2].depends_on = {"b2"};
  out[4].is_branch_point = true;
  out[6].is_branch_point = true;
  out[4].branch_labels = {"feature"};
  out[2].branch_labels = {"feature"};
  return out;
}

TEST(PicturesTest, AsciiDrawsBranchesAndMergesAsGitLogGraph) {
  GraphOptions options;
  options.format = GraphFormat::ascii;
  const std::string drawn = draw_graph(branchy(), options, {"f6"});
  EXPECT_EQ(drawn,
            "*  f6 (head, pending)  add audit\n"
            "*  e5 (merge)  merge\n"
            "|\\\n"
            "| | *  x9 (head, label feature)  feature tweak  [depends on b2]\n"
            "* | |  d4  add orders\n"
            "| |/\n"
            "| *  c3 (branch point, label feature)  feature table\n"
            "* |  b2  add users\n"
            "|/\n"
            "*  a1 (base, branch point)  create schema\n")
      << drawn;
}

std::vector<RevisionInfo> linear(int count) {
  std::vector<RevisionInfo> out;
  for (int i = count - 1; i >= 0; --i) {
    out.push_back(rev("r" + std::to_string(i),
                      i == 0 ? std::vector<std::string>{}
                             : std::vector<std::string>{"r" + std::to_string(i - 1)}));
  }
  out.front().is_head = true;
  return out;
}

TEST(PicturesTest, LinearRunCollapsesToOneNodeWithItsCountUnlessFull) {
  const Drawing collapsed = build(linear(10), {}, false);
  ASSERT_EQ(collapsed.nodes.size(), 3U);
  EXPECT_EQ(collapsed.nodes[0].name(), "r9");
  EXPECT_EQ(collapsed.nodes[1].name(), "8 revisions: r1 .. r8");
  EXPECT_EQ(collapsed.nodes[2].name(), "r0");
  EXPECT_TRUE(collapsed.nodes[2].base);
  EXPECT_EQ(build(linear(10), {}, true).nodes.size(), 10U);
  // The pending ones are a run of their own.
  const Drawing marked = build(linear(10), {"r5", "r6", "r7", "r8", "r9"}, false);
  ASSERT_EQ(marked.nodes.size(), 4U);
  EXPECT_EQ(marked.nodes[1].name(), "4 revisions: r5 .. r8");
  EXPECT_EQ(marked.nodes[1].mark, Mark::pending);
  EXPECT_EQ(marked.nodes[2].name(), "4 revisions: r1 .. r4");
}

TEST(PicturesTest, MermaidHasOneNodePerRevisionAndDashedDependsOn) {
  GraphOptions options;
  options.format = GraphFormat::mermaid;
  const std::string drawn = draw_graph(branchy(), options, {"f6"});
  EXPECT_EQ(drawn.rfind("flowchart TB\n", 0), 0U);
  const std::regex node(R"(^  n\d+\["[^"\n]*"\]$)");
  const std::regex edge(R"(^  n\d+ --> n\d+$)");
  const std::regex dashed(R"(^  n\d+ -\.->\|depends on\| n\d+$)");
  int nodes = 0;
  int edges = 0;
  int dashes = 0;
  std::istringstream lines(drawn);
  for (std::string line; std::getline(lines, line);) {
    nodes += std::regex_match(line, node) ? 1 : 0;
    edges += std::regex_match(line, edge) ? 1 : 0;
    dashes += std::regex_match(line, dashed) ? 1 : 0;
  }
  EXPECT_EQ(nodes, 7);
  EXPECT_EQ(edges, 7);
  EXPECT_EQ(dashes, 1);
  EXPECT_NE(drawn.find("class n0 pending"), std::string::npos) << drawn;
}

TEST(PicturesTest, DotNamesEveryRevisionAndDashesDependsOn) {
  GraphOptions options;
  options.format = GraphFormat::dot;
  const std::string drawn = draw_graph(branchy(), options);
  for (const RevisionInfo& info : branchy()) {
    EXPECT_NE(drawn.find("label=\"" + info.revision), std::string::npos) << info.revision;
  }
  EXPECT_NE(drawn.find("style=dashed"), std::string::npos);
}

TEST(PicturesTest, HtmlEscapesWhatTheFilesSay) {
  Report report;
  report.database = "sqlite:///<app>.db";
  LedgerEntry failed;
  failed.revision = "b2";
  failed.status = LedgerStatus::failed;
  failed.error = "near \"<\": syntax error";
  failed.next_command = "retort upgrade heads";
  report.failures.push_back(failed);
  const std::string page = report_html(report);
  EXPECT_NE(page.find("&lt;app&gt;"), std::string::npos);
  EXPECT_NE(page.find("id=\"failures\""), std::string::npos);
  EXPECT_NE(page.find("near &quot;&lt;&quot;: syntax error"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace retort::pictures
