#include "core/glob.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gantry::core {
namespace {

using Segments = std::vector<std::string>;

std::vector<GlobPattern> Parse(std::string_view text, const GlobOptions& options = {}) {
  std::vector<GlobPattern> out;
  Status status = ParseGlobPatterns(text, "/ws", options, &out);
  EXPECT_TRUE(status.ok()) << status.message();
  return out;
}

TEST(GlobTest, GlobSegmentsMatchLikeMinimatch) {
  EXPECT_TRUE(GlobSegmentMatches("*.txt", "a.txt"));
  EXPECT_TRUE(GlobSegmentMatches("*", ".hidden"));
  EXPECT_TRUE(GlobSegmentMatches("file-?.[ch]", "file-1.c"));
  EXPECT_FALSE(GlobSegmentMatches("file-[!0-9]", "file-7"));
  EXPECT_TRUE(GlobSegmentMatches("file-[^0-9]", "file-x"));
  EXPECT_TRUE(GlobSegmentMatches("\\*", "*"));
  EXPECT_FALSE(GlobSegmentMatches("\\*", "x"));
  EXPECT_FALSE(GlobSegmentMatches("*.txt", "a.txt.bak"));
}

TEST(GlobTest, QuestionMarkAndClassesMatchWholeUtf8Characters) {
  EXPECT_TRUE(GlobSegmentMatches("?", "\xC3\xA9"));  // é is two bytes, one character
  EXPECT_FALSE(GlobSegmentMatches("??", "\xC3\xA9"));
  EXPECT_TRUE(GlobSegmentMatches("[\xC3\xA0-\xC3\xBF]", "\xC3\xA9"));  // [à-ÿ]
  EXPECT_TRUE(GlobSegmentMatches("a[b", "a[b"));                       // an unclosed '[' is literal
  EXPECT_TRUE(GlobSegmentMatches("[]]", "]"));                         // ']' first is a member
}

TEST(GlobTest, ParseJoinsRelativePatternsToTheRootAndFindsTheSearchPath) {
  auto p = ParseGlobPattern("src/*/x.c", "/ws", {});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->negate);
  EXPECT_EQ(p->segments, (Segments{"ws", "src", "*", "x.c"}));
  EXPECT_EQ(p->search_path, "/ws/src");

  auto absolute = ParseGlobPattern("!! ! /a/b\\*c/", "/ws", {});
  ASSERT_TRUE(absolute.ok());
  EXPECT_TRUE(absolute->negate);  // three '!' toggle three times
  EXPECT_TRUE(absolute->trailing_separator);
  EXPECT_EQ(absolute->search_path, "/a");  // an escaped glob character still ends the literal

  auto top = ParseGlobPattern("/*", "/ws", {});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->search_path, "/");
}

TEST(GlobTest, TildeIsTheHomeDirectoryOnlyWhenAsked) {
  auto plain = ParseGlobPattern("~/x", "/ws", {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->segments, (Segments{"ws", "~", "x"}));

  GlobOptions options;
  options.home = "/home/me";
  auto home = ParseGlobPattern("~/x", "/ws", options);
  ASSERT_TRUE(home.ok());
  EXPECT_EQ(home->segments, (Segments{"home", "me", "x"}));
  auto bare = ParseGlobPattern("~", "/ws", options);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->search_path, "/home/me");
  auto other = ParseGlobPattern("~user/x", "/ws", options);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->segments, (Segments{"ws", "~user", "x"}));
}

TEST(GlobTest, ParseRejectsDotDotAndInnerDot) {
  EXPECT_TRUE(ParseGlobPattern("./a", "/ws", {}).ok());
  for (const char* bad : {"a/../b", "..", "a/./b"}) {
    auto p = ParseGlobPattern(bad, "/ws", {});
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(bad), std::string::npos);
  }
}

TEST(GlobTest, ParsePatternsSkipsCommentsAndAddsImplicitDescendants) {
  auto list = Parse("  a  \n# comment\n\r\nb/**\nc/\n");
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].segments, (Segments{"ws", "a"}));
  EXPECT_EQ(list[1].segments, (Segments{"ws", "a", "**"}));
  EXPECT_EQ(list[2].segments, (Segments{"ws", "b", "**"}));  // already ends in **
  EXPECT_TRUE(list[3].trailing_separator);
  EXPECT_FALSE(list[4].trailing_separator);
  EXPECT_EQ(list[4].segments, (Segments{"ws", "c", "**"}));

  std::vector<GlobPattern> out;
  EXPECT_FALSE(ParseGlobPatterns("ok\na/../b", "/ws", {}, &out).ok());
}

TEST(GlobTest, MatchAppliesNegationsInOrder) {
  auto list = Parse("**/*.txt\n!**/skip.txt");
  EXPECT_EQ(MatchGlobs(list, {"ws", "a", "b.txt"}), kGlobAll);
  EXPECT_EQ(MatchGlobs(list, {"ws", "a", "skip.txt"}), kGlobNone);
  EXPECT_EQ(MatchGlobs(list, {"ws", "a", "b.c"}), kGlobNone);

  auto reinclude = Parse("**/*.txt\n!**/skip.txt\n**/skip.txt");
  EXPECT_EQ(MatchGlobs(reinclude, {"ws", "skip.txt"}), kGlobAll);
}

TEST(GlobTest, TrailingSeparatorMatchesOnlyDirectories) {
  auto dir = ParseGlobPattern("out/", "/ws", {});
  ASSERT_TRUE(dir.ok());
  std::vector<GlobPattern> alone = {*dir};
  EXPECT_EQ(MatchGlobs(alone, {"ws", "out"}), kGlobDirectory);
  EXPECT_EQ(MatchGlobs(alone, {"ws", "out", "f"}), kGlobNone);
  // With its implicit descendants (`out/**` also matches `out` itself), as callers parse it.
  auto list = Parse("out/");
  EXPECT_EQ(MatchGlobs(list, {"ws", "out", "f"}), kGlobAll);
  EXPECT_EQ(MatchGlobs(list, {"ws", "other"}), kGlobNone);
}

TEST(GlobTest, PartialMatchTellsAWalkWhereToDescend) {
  auto list = Parse("src/*/lib/*.c\n!src");
  EXPECT_TRUE(PartialMatchGlobs(list, {"ws"}));
  EXPECT_TRUE(PartialMatchGlobs(list, {"ws", "src", "x"}));
  EXPECT_TRUE(PartialMatchGlobs(list, {"ws", "src", "x", "lib"}));
  EXPECT_FALSE(PartialMatchGlobs(list, {"ws", "docs"}));
  EXPECT_FALSE(PartialMatchGlobs(list, {"ws", "src", "x", "bin"}));
  EXPECT_TRUE(PartialMatchGlobs(Parse("**/x"), {"ws", "a", "b", "c"}));
}

TEST(GlobTest, SearchPathsDropDuplicatesDescendantsAndNegations) {
  auto list = Parse("a/b\na\nx/*\n!y\na");
  EXPECT_EQ(GlobSearchPaths(list, GlobAncestry::kPrefix), (Segments{"/ws/a", "/ws/x"}));
  EXPECT_EQ(GlobSearchPaths(list, GlobAncestry::kLexicallyNormal), (Segments{"/ws/a", "/ws/x"}));
  EXPECT_EQ(GlobSearchPaths(Parse("a\n/*"), GlobAncestry::kPrefix), (Segments{"/"}));
}

TEST(GlobTest, SearchPathAncestryDiffersOnlyForUnnormalisedLiterals) {
  // "\." unescapes to a "." segment: only the lexical comparison folds it.
  auto list = Parse("\\.\nx");
  EXPECT_EQ(GlobSearchPaths(list, GlobAncestry::kPrefix), (Segments{"/ws/.", "/ws/x"}));
  EXPECT_EQ(GlobSearchPaths(list, GlobAncestry::kLexicallyNormal), (Segments{"/ws/."}));
}

TEST(GlobTest, IsLexicallyWithinComparesWholeSegments) {
  EXPECT_TRUE(IsLexicallyWithin("/a/b", "/a"));
  EXPECT_TRUE(IsLexicallyWithin("/a/", "/a"));
  EXPECT_TRUE(IsLexicallyWithin("/a/./b", "/a/b/"));
  EXPECT_FALSE(IsLexicallyWithin("/ab", "/a"));
  EXPECT_TRUE(IsLexicallyWithin("/x", "/"));
  EXPECT_FALSE(IsLexicallyWithin("x", "/"));
}

TEST(GlobTest, SplitPathSegmentsDropsEmptySegments) {
  EXPECT_EQ(SplitPathSegments("/a//b/"), (Segments{"a", "b"}));
  EXPECT_TRUE(SplitPathSegments("/").empty());
  EXPECT_TRUE(HasGlobMagic("a[b"));
  EXPECT_FALSE(HasGlobMagic("plain"));
}

}  // namespace
}  // namespace gantry::core
