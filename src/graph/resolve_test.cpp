// Table-driven tests of every target form resolve() accepts, and of every error it gives.
#include "graph/graph_test_util.hpp"
#include "graph/revision_map.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

namespace retort::graph {
namespace {

using testing::join_ids;
using testing::must_build;
using testing::rev;
using Kind = TargetError::Kind;

// abcd01 -> abcd02 (alpha) -> abcd03
//        \-> bcde01 (beta) -> bcde02
RevisionMap two_branches() {
  return must_build({rev("abcd01"), rev("abcd02", {"abcd01"}, {}, {"alpha"}),
                     rev("abcd03", {"abcd02"}), rev("bcde01", {"abcd01"}, {}, {"beta"}),
                     rev("bcde02", {"bcde01"})});
}

struct ResolveCase {
  std::string target;
  std::vector<std::string> current;
  std::string expected;  // ids joined by spaces, when it resolves
  std::optional<Kind> error;
  std::string message;  // the exact message, when it fails
  std::vector<std::string> candidates = {};
};

void PrintTo(const ResolveCase& c, std::ostream* os) {
  *os << "'" << c.target << "' from [" << join_ids(c.current) << "]";
}

class ResolveTable : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveTable, Resolves) {
  static const RevisionMap map = two_branches();
  const ResolveCase& c = GetParam();
  auto resolved = map.resolve(c.target, c.current);
  if (!c.error) {
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(join_ids(*resolved), c.expected);
    return;
  }
  ASSERT_FALSE(resolved.ok()) << "resolved to " << join_ids(*resolved);
  EXPECT_EQ(resolved.error().kind, *c.error);
  EXPECT_EQ(resolved.error().message, c.message);
  if (!c.candidates.empty()) {
    EXPECT_EQ(resolved.error().candidates, c.candidates);
  }
}

const std::vector<std::string> k_none;
const std::vector<std::string> k_both = {"abcd03", "bcde02"};

INSTANTIATE_TEST_SUITE_P(
    Targets, ResolveTable,
    ::testing::Values(
        // Symbols.
        ResolveCase{"heads", k_none, "abcd03 bcde02", {}, ""},
        ResolveCase{"base", k_none, "", {}, ""},
        ResolveCase{"head", k_none, "", Kind::multiple_heads,
                    "Several heads are present for 'head': abcd03 and bcde02.", k_both},
        ResolveCase{"current", {"bcde02", "abcd03"}, "abcd03 bcde02", {}, ""},
        ResolveCase{"current", k_none, "", {}, ""},
        // Ids, prefixes and labels.
        ResolveCase{"abcd03", k_none, "abcd03", {}, ""},
        ResolveCase{"abcd0",
                    k_none,
                    "",
                    Kind::ambiguous,
                    "Several revisions start with 'abcd0': abcd01, abcd02 and abcd03.",
                    {"abcd01", "abcd02", "abcd03"}},
        ResolveCase{"bcde02", k_none, "bcde02", {}, ""},
        ResolveCase{"bcde0", k_none, "", Kind::ambiguous,
                    "Several revisions start with 'bcde0': bcde01 and bcde02."},
        // Alembic 1.8 matches a prefix of any length (the four characters are the stored
        // id's, not the prefix's).
        ResolveCase{"bcd", k_none, "", Kind::ambiguous,
                    "Several revisions start with 'bcd': bcde01 and bcde02."},
        ResolveCase{"b", k_none, "", Kind::ambiguous,
                    "Several revisions start with 'b': bcde01 and bcde02."},
        ResolveCase{"f", k_none, "", Kind::not_found, "No revision or branch label matches 'f'."},
        ResolveCase{"beta@a", k_none, "abcd01", {}, ""},
        ResolveCase{"ffff", k_none, "", Kind::not_found,
                    "No revision or branch label matches 'ffff'."},
        ResolveCase{"alpha", k_none, "abcd02", {}, ""},
        ResolveCase{"alph", k_none, "abcd02", {}, ""},
        // LABEL@ and REV@ forms.
        ResolveCase{"alpha@head", k_none, "abcd03", {}, ""},
        ResolveCase{"beta@head", k_none, "bcde02", {}, ""},
        ResolveCase{"alpha@heads", k_none, "abcd03", {}, ""},
        ResolveCase{"alpha@base", k_none, "", {}, ""},
        ResolveCase{"abcd02@head", k_none, "abcd03", {}, ""},
        ResolveCase{"abcd01@head", k_none, "", Kind::multiple_heads,
                    "Several heads are present for 'abcd01@head': abcd03 and bcde02.", k_both},
        ResolveCase{"alpha@abcd03", k_none, "abcd03", {}, ""},
        ResolveCase{"alpha@bcde01", k_none, "", Kind::not_found,
                    "Revision bcde01 is not on branch 'alpha'."},
        ResolveCase{"beta@abcd0", k_none, "abcd01", {}, ""},
        ResolveCase{"gamma@head", k_none, "", Kind::not_found,
                    "No branch label or revision matches 'gamma'."},
        // Relative to the current heads.
        ResolveCase{"+1", {"abcd02"}, "abcd03", {}, ""},
        ResolveCase{"+1", k_none, "abcd01", {}, ""},
        ResolveCase{"+2",
                    {"abcd02"},
                    "",
                    Kind::relative_range,
                    "Relative target '+2' walks past a head: fewer than 2 revisions are above "
                    "revision abcd02."},
        ResolveCase{"+2",
                    k_none,
                    "",
                    Kind::relative_range,
                    "Relative target '+2' is ambiguous: revision abcd01 has several children, "
                    "abcd02 and bcde01; name a branch, e.g. LABEL@+2.",
                    {"abcd02", "bcde01"}},
        ResolveCase{"+1", k_both, "", Kind::relative_range,
                    "Relative target '+1' is ambiguous with several current heads, abcd03 and "
                    "bcde02; name a branch, e.g. LABEL@+1 or REV@+1.",
                    k_both},
        ResolveCase{"beta@+2", k_none, "bcde01", {}, ""},
        ResolveCase{"alpha@+1", {"abcd02", "bcde02"}, "abcd03", {}, ""},
        ResolveCase{"beta@+1", {"abcd03"}, "bcde01", {}, ""},
        ResolveCase{"-1", {"abcd03"}, "abcd02", {}, ""}, ResolveCase{"-3", {"abcd03"}, "", {}, ""},
        ResolveCase{"-4",
                    {"abcd03"},
                    "",
                    Kind::relative_range,
                    "Relative target '-4' walks past base: fewer than 4 revisions are below "
                    "revision abcd03."},
        ResolveCase{"-1", k_none, "", Kind::relative_range,
                    "Relative target '-1' needs a current revision, and there is none."},
        ResolveCase{"-1", k_both, "", Kind::relative_range,
                    "Relative target '-1' is ambiguous with several current heads, abcd03 and "
                    "bcde02; name the branch, e.g. abcd03@-1.",
                    k_both},
        ResolveCase{"alpha@-1", k_both, "abcd02", {}, ""},
        ResolveCase{"bcde02@-2", k_both, "abcd01", {}, ""},
        ResolveCase{"+0",
                    {"abcd02"},
                    "",
                    Kind::not_an_upgrade,
                    "Relative target '+0' does not go up; run a downgrade to go down."},
        // Relative to a revision.
        ResolveCase{"abcd02+1", k_none, "abcd03", {}, ""},
        ResolveCase{"abcd03-2", k_none, "abcd01", {}, ""},
        ResolveCase{"bcde02-2", k_none, "abcd01", {}, ""},
        ResolveCase{"bcde02-3", k_none, "", {}, ""},
        ResolveCase{"abcd01+2", k_none, "", Kind::relative_range,
                    "Relative target 'abcd01+2' is ambiguous: revision abcd01 has several "
                    "children, abcd02 and bcde01; name a branch, e.g. LABEL@+2."},
        ResolveCase{"beta@abcd01+2", k_none, "bcde02", {}, ""},
        ResolveCase{"base+1", k_none, "abcd01", {}, ""},
        // Syntax and the database's state.
        ResolveCase{"", k_none, "", Kind::syntax, "The target is empty."},
        ResolveCase{"abcd 02", k_none, "", Kind::syntax,
                    "Target 'abcd 02' contains a space or control character."},
        ResolveCase{"@head", k_none, "", Kind::syntax,
                    "Target '@head' names no branch before '@'."},
        ResolveCase{"alpha@", k_none, "", Kind::syntax,
                    "Target 'alpha@' names nothing after '@'; try alpha@head."},
        ResolveCase{"+9999999999", k_none, "", Kind::syntax,
                    "Relative target '+9999999999' is too large."},
        ResolveCase{"heads",
                    {"zzzz99"},
                    "",
                    Kind::unknown_current,
                    "The version table names revision zzzz99, which is not in the script "
                    "directory.",
                    {"zzzz99"}}));

// As Alembic's _revision_for_ident: a prefix of any length matches the ids and labels of four
// or more characters; a shorter id is named in full only.
TEST(Resolve, APrefixMatchesOnlyIdsOfFourOrMoreCharacters) {
  const RevisionMap map =
      must_build({rev("a1"), rev("ab2", {"a1"}), rev("abcd", {"ab2"}, {}, {"api"})});
  auto one = map.resolve("a");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(join_ids(*one), "abcd");
  auto exact = map.resolve("a1");
  ASSERT_TRUE(exact.ok()) << exact.error().message;
  EXPECT_EQ(join_ids(*exact), "a1");
  auto short_prefix = map.resolve("ab");
  ASSERT_TRUE(short_prefix.ok()) << short_prefix.error().message;
  EXPECT_EQ(join_ids(*short_prefix), "abcd");
  auto none = map.resolve("ab2x");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "No revision or branch label matches 'ab2x'.");
  auto named = map.resolve("b");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().message, "No revision or branch label matches 'b'.");
}

TEST(Resolve, AShortIdThatAPrefixStartsIsNamedInTheError) {
  const RevisionMap map = must_build({rev("a1"), rev("b22", {"a1"})});
  auto found = map.resolve("b");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().kind, Kind::not_found);
  EXPECT_EQ(found.error().message,
            "No revision or branch label matches 'b'; b22 is a revision id shorter than four "
            "characters, which only the full id names.");
}

TEST(Resolve, MergeMakesHeadUnique) {
  RevisionMap map =
      must_build({rev("a1"), rev("b1", {"a1"}), rev("c1", {"a1"}), rev("m1", {"b1", "c1"})});
  auto head = map.resolve("head");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(join_ids(*head), "m1");
  auto down = map.resolve("-1", std::vector<std::string>{"m1"});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, Kind::relative_range);
  EXPECT_EQ(down.error().message,
            "Relative target '-1' is ambiguous: revision m1 is a merge of b1 and c1; name the "
            "revision to go to instead.");
}

TEST(Resolve, EmptyGraph) {
  RevisionMap map = must_build({});
  auto head = map.resolve("head");
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->empty());
  auto heads = map.resolve("heads");
  ASSERT_TRUE(heads.ok());
  EXPECT_TRUE(heads->empty());
}

}  // namespace
}  // namespace retort::graph
