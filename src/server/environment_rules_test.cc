// The pure decisions of environment protection rules.

#include "server/environment_rules.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

TEST(EnvironmentRulesTest, NoPatternAllowsEveryRef) {
  EXPECT_TRUE(RefAllowed({}, "refs/heads/anything"));
  EXPECT_TRUE(RefAllowed({}, "refs/tags/v1"));
}

TEST(EnvironmentRulesTest, PatternsMatchBranchAndTagShortNames) {
  const std::vector<std::string> patterns = {"main", "release/*", "v*"};
  EXPECT_TRUE(RefAllowed(patterns, "refs/heads/main"));
  EXPECT_TRUE(RefAllowed(patterns, "refs/heads/release/1.2"));
  EXPECT_FALSE(RefAllowed(patterns, "refs/heads/release/1/x"));  // * stops at '/'
  EXPECT_TRUE(RefAllowed(patterns, "refs/tags/v1.0"));
  EXPECT_FALSE(RefAllowed(patterns, "refs/heads/feature"));
  EXPECT_FALSE(RefAllowed(patterns, "refs/pull/3/merge"));
}

TEST(EnvironmentRulesTest, FullRefPatternsTellTagsFromBranches) {
  const std::vector<std::string> patterns = {"refs/tags/v*"};
  EXPECT_TRUE(RefAllowed(patterns, "refs/tags/v2"));
  EXPECT_FALSE(RefAllowed(patterns, "refs/heads/v2"));
}

TEST(EnvironmentRulesTest, RefusalNamesEnvironmentAndRef) {
  std::string m = RefNotAllowedMessage("production", "refs/heads/feature");
  EXPECT_NE(m.find("production"), std::string::npos);
  EXPECT_NE(m.find("refs/heads/feature"), std::string::npos);
}

TEST(EnvironmentRulesTest, ReviewersInAnyCaseAndAdminsMayDecide) {
  EXPECT_TRUE(MayDecide({"Alice"}, "alice", false));
  EXPECT_FALSE(MayDecide({"alice"}, "bob", false));
  EXPECT_TRUE(MayDecide({"alice"}, "root", true));
  EXPECT_FALSE(MayDecide({}, "bob", false));
}

TEST(EnvironmentRulesTest, ReviewTimesOutAfterTheTimeout) {
  EXPECT_FALSE(ReviewTimedOut(1000, 1000 + 5000, 5000));
  EXPECT_TRUE(ReviewTimedOut(1000, 1000 + 5001, 5000));
  EXPECT_FALSE(ReviewTimedOut(0, int64_t{1} << 50, 0));  // 0 = never
}

TEST(EnvironmentRulesTest, DurationsParse) {
  EXPECT_EQ(ParseDurationSeconds("90").value(), 90);
  EXPECT_EQ(ParseDurationSeconds("90s").value(), 90);
  EXPECT_EQ(ParseDurationSeconds("15m").value(), 900);
  EXPECT_EQ(ParseDurationSeconds("12h").value(), 43200);
  EXPECT_EQ(ParseDurationSeconds("30d").value(), 2592000);
  EXPECT_EQ(ParseDurationSeconds("0").value(), 0);
  EXPECT_FALSE(ParseDurationSeconds("").ok());
  EXPECT_FALSE(ParseDurationSeconds("d").ok());
  EXPECT_FALSE(ParseDurationSeconds("1w").ok());
  EXPECT_FALSE(ParseDurationSeconds("-1s").ok());
}

TEST(EnvironmentRulesTest, EnvironmentNamesAreChecked) {
  EXPECT_TRUE(ValidateEnvironmentName("production").ok());
  EXPECT_FALSE(ValidateEnvironmentName("").ok());
  EXPECT_FALSE(ValidateEnvironmentName("a/b").ok());
  EXPECT_FALSE(ValidateEnvironmentName(std::string(256, 'a')).ok());
}

}  // namespace
}  // namespace gantry::server
