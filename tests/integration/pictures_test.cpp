// `retort graph` and `retort report --html` through the binary on a real SQLite project: the SVG
// read back by libxml2's xmllint, the DOT by Graphviz's dot, and the report rendered by a real
// headless Chromium with no console error, its screenshot not blank and showing the failure.
// With RETORT_SCREENSHOTS set to a directory, the screenshots for docs/guide/pictures.md are
// written there (the guide's images come from this code).
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream out;
  out << stream.rdbuf();
  return out.str();
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A history that branches, merges and depends: a1 <- b2 <- d4 <- e5 (merge of d4 and c3) <- f6,
// a1 <- c3 (label feature) <- x9 (depends on b2), and a run g1..g5 on top of f6 to collapse.
const std::vector<std::string> k_revisions{
    "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3", "d4d4d4d4d4d4", "e5e5e5e5e5e5", "f6f6f6f6f6f6",
    "x9x9x9x9x9x9", "g1g1g1g1g1g1", "g2g2g2g2g2g2", "g3g3g3g3g3g3", "g4g4g4g4g4g4", "g5g5g5g5g5g5"};

void branchy(Project& project, bool failing) {
  const auto table = [](const std::string& name) {
    return "CREATE TABLE " + name + " (id INTEGER PRIMARY KEY);";
  };
  project.add({"a1a1a1a1a1a1", {}, table("accounts"), "DROP TABLE accounts;", {}, "accounts"});
  project.add({"b2b2b2b2b2b2", {"a1a1a1a1a1a1"}, table("users"), "DROP TABLE users;", {}, "users"});
  project.add({"c3c3c3c3c3c3",
               {"a1a1a1a1a1a1"},
               table("features"),
               "DROP TABLE features;",
               {"branch_labels feature"},
               "features"});
  project.add(
      {"d4d4d4d4d4d4", {"b2b2b2b2b2b2"}, table("orders"), "DROP TABLE orders;", {}, "orders"});
  project.add({"e5e5e5e5e5e5",
               {"d4d4d4d4d4d4", "c3c3c3c3c3c3"},
               table("merged"),
               "DROP TABLE merged;",
               {},
               "merge feature"});
  project.add({"f6f6f6f6f6f6",
               {"e5e5e5e5e5e5"},
               failing ? "CREATE TABLE audit (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere "
                         "VALUES (1);"
                       : table("audit"),
               "DROP TABLE audit;",
               {},
               "audit"});
  project.add({"x9x9x9x9x9x9",
               {"c3c3c3c3c3c3"},
               table("tweaks"),
               "DROP TABLE tweaks;",
               {"depends_on b2b2b2b2b2b2"},
               "feature tweak"});
  std::string parent = "f6f6f6f6f6f6";
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "g" + std::to_string(i) + "g" + std::to_string(i) + "g" +
                           std::to_string(i) + "g" + std::to_string(i) + "g" + std::to_string(i) +
                           "g" + std::to_string(i);
    project.add({id,
                 {parent},
                 table("t" + std::to_string(i)),
                 "DROP TABLE t" + std::to_string(i) + ";",
                 {},
                 "table " + std::to_string(i)});
    parent = id;
  }
  write_config(project);
}

TEST(PicturesCliTest, SvgAndDotParseWithTheirReferenceToolsAndNameEveryRevision) {
  Project project(Backend::sqlite, "graph");
  branchy(project, false);
  const ProcessResult svg = retort(project, {"graph", "--format", "svg", "--full"});
  ASSERT_EQ(svg.exit_code, 0) << shown(svg);
  write(project.dir() / "graph.svg", svg.out);
  const ProcessResult xml = run({"xmllint", "--noout", (project.dir() / "graph.svg").string()});
  EXPECT_EQ(xml.exit_code, 0) << xml.err;
  for (const std::string& revision : k_revisions) {
    EXPECT_TRUE(has(svg.out, "<title>" + revision + "</title>"));
  }
  EXPECT_TRUE(has(svg.out, "stroke-dasharray"));  // the depends_on edge
  EXPECT_TRUE(has(svg.out, "aria-label=\"Revision graph: 12 revisions"));

  // Collapsed, the run is one node that still names its ends.
  const ProcessResult collapsed = retort(project, {"graph", "--format", "svg"});
  ASSERT_EQ(collapsed.exit_code, 0) << shown(collapsed);
  EXPECT_TRUE(has(collapsed.out, "<title>5 revisions: f6f6f6f6f6f6 .. g4g4g4g4g4g4</title>"));

  const ProcessResult dot = retort(project, {"graph", "--format", "dot"});
  ASSERT_EQ(dot.exit_code, 0) << shown(dot);
  write(project.dir() / "graph.dot", dot.out);
  const ProcessResult parsed = run({"dot", "-Tplain", (project.dir() / "graph.dot").string()});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_TRUE(has(parsed.out, "node a1a1a1a1a1a1 "));

  const ProcessResult ranged =
      retort(project, {"graph", "-r", "e5e5e5e5e5e5:g5g5g5g5g5g5", "--full"});
  ASSERT_EQ(ranged.exit_code, 0) << shown(ranged);
  EXPECT_TRUE(has(ranged.out, "g5g5g5g5g5g5 (head"));
  EXPECT_TRUE(lacks(ranged.out, "a1a1a1a1a1a1"));
}

TEST(PicturesCliTest, GraphWithTheDatabaseMarksCurrentAndPending) {
  Project project(Backend::sqlite, "graph-db");
  branchy(project, false);
  ASSERT_EQ(retort(project, {"upgrade", "d4d4d4d4d4d4"}).exit_code, 0);
  const ProcessResult files = retort(project, {"graph"});
  EXPECT_TRUE(lacks(files.out, "current")) << "no database unless asked";
  const ProcessResult marked = retort(project, {"graph", "--db", "--full"});
  ASSERT_EQ(marked.exit_code, 0) << shown(marked);
  EXPECT_TRUE(has(marked.out, "d4d4d4d4d4d4 (current)"));
  EXPECT_TRUE(has(marked.out, "f6f6f6f6f6f6 (pending)"));
}

// The screenshot of a page, by Chromium headless; console messages on its stderr.
struct Rendered {
  ProcessResult browser;
  fs::path png;
};

Rendered render(const fs::path& html, const fs::path& png, int height) {
  const fs::path profile = html.parent_path() / "chromium-profile";
  Rendered out;
  out.png = png;
  SpawnOptions options;
  options.timeout = std::chrono::seconds(60);
  out.browser =
      run({"chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + profile.string(),
           "--enable-logging=stderr", "--v=0", "--window-size=1000," + std::to_string(height),
           "--screenshot=" + png.string(), "file://" + html.string()},
          options);
  return out;
}

// WIDTH HEIGHT COLOURS PIXELS_OF_COLOUR of a PNG, read by png_check.py.
std::vector<long> inspect(const fs::path& png, const std::string& colour) {
  const ProcessResult checked =
      run({"python3", std::string(RETORT_SOURCE_DIR) + "/tests/integration/png_check.py",
           png.string(), colour});
  std::istringstream words(checked.out);
  std::vector<long> out;
  for (long value = 0; words >> value;) {
    out.push_back(value);
  }
  return out;
}

TEST(PicturesCliTest, ReportRendersInChromiumAndShowsTheFailedStep) {
  Project project(Backend::sqlite, "report");
  branchy(project, true);
  const ProcessResult upgrade = retort(project, {"upgrade", "heads"});
  ASSERT_EQ(upgrade.exit_code, 1) << shown(upgrade);

  const fs::path html = project.dir() / "report.html";
  const ProcessResult report = retort(project, {"report", "--html", html.string()});
  EXPECT_EQ(report.exit_code, 1) << shown(report);  // a failure stands
  EXPECT_TRUE(has(report.out, "1 failure"));
  const std::string page = read(html);
  EXPECT_TRUE(has(page, "<h2 id=\"failures-h\">Failures</h2>"));
  EXPECT_TRUE(has(page, "no such table: nowhere"));
  EXPECT_TRUE(has(page, "<th scope=\"col\">Next command</th>"));
  EXPECT_TRUE(lacks(page, "<script"));
  for (const char* fetch : {"src=\"http", "href=\"http", "url(", "@import"}) {
    EXPECT_TRUE(lacks(page, fetch)) << "nothing to fetch";
  }

  const Rendered shot = render(html, project.dir() / "report.png", 1100);
  ASSERT_EQ(shot.browser.exit_code, 0) << shot.browser.err;
  EXPECT_TRUE(lacks(shot.browser.err, "CONSOLE(")) << "a console message";
  // #fff5f5 is the failure section's background: it is on screen, and the page is not blank.
  const std::vector<long> seen = inspect(shot.png, "fff5f5");
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_EQ(seen[0], 1000);
  EXPECT_GT(seen[2], 50) << "colours: a blank page has one";
  EXPECT_GT(seen[3], 10000) << "pixels of the failure section";

  if (const char* dir = std::getenv("RETORT_SCREENSHOTS")) {
    fs::copy_file(shot.png, fs::path(dir) / "report.png", fs::copy_options::overwrite_existing);
    const ProcessResult svg = retort(project, {"graph", "--format", "svg", "--db"});
    write(project.dir() / "graph.html",
          "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>graph</title>"
          "<link rel=\"icon\" href=\"data:,\"></head><body style=\"margin:8px\">" +
              svg.out + "</body></html>");
    const Rendered graph = render(project.dir() / "graph.html", project.dir() / "graph.png", 560);
    fs::copy_file(graph.png, fs::path(dir) / "graph.png", fs::copy_options::overwrite_existing);
  }
}

}  // namespace
}  // namespace retort::test
