// emit: --json prints the document alone, text otherwise, and -q silences only what it may.
#include "cli/emit.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace retort::cli {
namespace {

struct Built {
  int documents = 0;
  int texts = 0;
};

std::string emitted(OutputMode mode, OnQuiet on_quiet, Built& built) {
  std::ostringstream out;
  emit(
      out, mode,
      [&built] {
        ++built.documents;
        return nlohmann::json{{"ok", true}};
      },
      [&built] {
        ++built.texts;
        return std::string("No problems.\n");
      },
      on_quiet);
  return out.str();
}

TEST(Emit, JsonPrintsTheDocumentAloneAndBuildsNoText) {
  Built built;
  EXPECT_EQ(emitted({.json = true}, OnQuiet::print, built), "{\n  \"ok\": true\n}\n");
  EXPECT_EQ(built.documents, 1);
  EXPECT_EQ(built.texts, 0);
}

TEST(Emit, JsonIsPrintedUnderQuietToo) {
  Built built;
  EXPECT_EQ(emitted({.json = true, .quiet = true}, OnQuiet::hide, built), "{\n  \"ok\": true\n}\n");
}

TEST(Emit, TextIsPrintedAsWrittenAndBuildsNoDocument) {
  Built built;
  EXPECT_EQ(emitted({}, OnQuiet::hide, built), "No problems.\n");
  EXPECT_EQ(built.documents, 0);
  EXPECT_EQ(built.texts, 1);
}

TEST(Emit, QuietHidesOnlyTheTextThatConfirms) {
  Built hidden;
  EXPECT_EQ(emitted({.quiet = true}, OnQuiet::hide, hidden), "");
  EXPECT_EQ(hidden.texts, 0);
  Built printed;
  EXPECT_EQ(emitted({.quiet = true}, OnQuiet::print, printed), "No problems.\n");
}

TEST(Emit, WriteJsonIndentsByTwoWithOneNewline) {
  std::ostringstream out;
  write_json(out, nlohmann::json::array({1, 2}));
  EXPECT_EQ(out.str(), "[\n  1,\n  2\n]\n");
}

}  // namespace
}  // namespace retort::cli
