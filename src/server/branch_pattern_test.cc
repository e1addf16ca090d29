#include "server/branch_pattern.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

TEST(BranchPatternTest, LiteralMatchesOnlyItself) {
  EXPECT_TRUE(BranchPatternMatches("main", "main"));
  EXPECT_FALSE(BranchPatternMatches("main", "main2"));
  EXPECT_FALSE(BranchPatternMatches("main", "mai"));
}

TEST(BranchPatternTest, StarStopsAtSlash) {
  EXPECT_TRUE(BranchPatternMatches("release/*", "release/1.2"));
  EXPECT_FALSE(BranchPatternMatches("release/*", "release/1/hotfix"));
  EXPECT_FALSE(BranchPatternMatches("release/*", "release"));
  EXPECT_TRUE(BranchPatternMatches("*", "main"));
  EXPECT_FALSE(BranchPatternMatches("*", "feature/x"));
  EXPECT_TRUE(BranchPatternMatches("v*-rc", "v1.2-rc"));
}

TEST(BranchPatternTest, DoubleStarCrossesSlashes) {
  EXPECT_TRUE(BranchPatternMatches("**", "main"));
  EXPECT_TRUE(BranchPatternMatches("**", "feature/a/b"));
  EXPECT_TRUE(BranchPatternMatches("release/**", "release/1/hotfix"));
  EXPECT_TRUE(BranchPatternMatches("a/**/b", "a/b"));
  EXPECT_TRUE(BranchPatternMatches("a/**/b", "a/x/y/b"));
  EXPECT_FALSE(BranchPatternMatches("a/**/b", "a/x/c"));
}

TEST(BranchPatternTest, QuestionMarkAndSets) {
  EXPECT_TRUE(BranchPatternMatches("v?", "v1"));
  EXPECT_FALSE(BranchPatternMatches("v?", "v12"));
  EXPECT_FALSE(BranchPatternMatches("a?b", "a/b"));
  EXPECT_TRUE(BranchPatternMatches("v[0-9]", "v7"));
  EXPECT_FALSE(BranchPatternMatches("v[0-9]", "vx"));
  EXPECT_TRUE(BranchPatternMatches("v[!0-9]", "vx"));
  EXPECT_TRUE(BranchPatternMatches("v[^0-9]", "vx"));
  EXPECT_TRUE(BranchPatternMatches("[ab]c", "bc"));
  EXPECT_TRUE(BranchPatternMatches("a\\*", "a*"));
  EXPECT_FALSE(BranchPatternMatches("a\\*", "ab"));
}

TEST(BranchPatternTest, ValidationNamesTheProblem) {
  EXPECT_TRUE(ValidateBranchPattern("release/*").ok());
  EXPECT_FALSE(ValidateBranchPattern("").ok());
  EXPECT_FALSE(ValidateBranchPattern(std::string(256, 'a')).ok());
  EXPECT_FALSE(ValidateBranchPattern("a\nb").ok());
  core::Status open = ValidateBranchPattern("v[0-9");
  EXPECT_FALSE(open.ok());
  EXPECT_NE(open.message().find("'['"), std::string::npos);
}

}  // namespace
}  // namespace gantry::server
