#include "server/merge_gate.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

Check Job(const std::string& job, CheckState state, const std::string& event = "pull_request",
          int64_t run = 1, int attempt = 1, int64_t id = 1) {
  Check c;
  c.context = "CI / " + job + " (" + event + ")";
  c.name = job;
  c.event = event;
  c.state = state;
  c.target_url = "http://ci/" + job + "/" + std::to_string(run) + "/" + std::to_string(attempt);
  c.run_id = run;
  c.attempt = attempt;
  c.id = id;
  return c;
}

TEST(MergeGateTest, StateOfJobFollowsGitHub) {
  EXPECT_EQ(CheckStateOf("queued", ""), CheckState::kPending);
  EXPECT_EQ(CheckStateOf("in_progress", ""), CheckState::kPending);
  EXPECT_EQ(CheckStateOf("completed", "success"), CheckState::kSuccess);
  EXPECT_EQ(CheckStateOf("completed", "skipped"), CheckState::kSuccess);
  EXPECT_EQ(CheckStateOf("completed", "failure"), CheckState::kFailure);
  EXPECT_EQ(CheckStateOf("completed", "cancelled"), CheckState::kFailure);
  EXPECT_EQ(CheckStateOf("completed", "timed_out"), CheckState::kFailure);
}

TEST(MergeGateTest, CombinedStateFailureWinsThenPending) {
  EXPECT_EQ(CombinedState({}), CheckState::kPending);
  EXPECT_EQ(CombinedState({Job("a", CheckState::kSuccess)}), CheckState::kSuccess);
  EXPECT_EQ(CombinedState({Job("a", CheckState::kSuccess), Job("b", CheckState::kPending)}),
            CheckState::kPending);
  EXPECT_EQ(CombinedState({Job("a", CheckState::kPending), Job("b", CheckState::kFailure)}),
            CheckState::kFailure);
}

TEST(MergeGateTest, LatestAttemptOfEachContextWins) {
  std::vector<Check> all = {Job("test", CheckState::kFailure, "push", 5, 1, 10),
                            Job("build", CheckState::kSuccess, "push", 5, 1, 11),
                            Job("test", CheckState::kSuccess, "push", 5, 2, 12),
                            Job("test", CheckState::kPending, "push", 3, 1, 4)};
  std::vector<Check> latest = LatestPerContext(all);
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].context, "CI / test (push)");
  EXPECT_EQ(latest[0].id, 12);
  EXPECT_EQ(latest[0].state, CheckState::kSuccess);
  EXPECT_EQ(latest[1].context, "CI / build (push)");
}

TEST(MergeGateTest, RequiredNameMatchesContextWithOrWithoutEventOrJobName) {
  Check c = Job("test", CheckState::kSuccess, "push");
  EXPECT_TRUE(RequiredMatches("CI / test (push)", c));
  EXPECT_TRUE(RequiredMatches("CI / test", c));
  EXPECT_TRUE(RequiredMatches("test", c));
  EXPECT_FALSE(RequiredMatches("CI / test (pull_request)", c));
  EXPECT_FALSE(RequiredMatches("CI / tes", c));
}

TEST(MergeGateTest, RulesMatchingTheBaseBranchCombine) {
  std::vector<ProtectionRule> rules = {{"main", {"CI / lint", "CI / test"}},
                                       {"release/*", {"CI / build"}},
                                       {"**", {"CI / test", "CI / docs"}}};
  bool matched = false;
  EXPECT_EQ(RequiredChecksFor(rules, "main", &matched),
            (std::vector<std::string>{"CI / lint", "CI / test", "CI / docs"}));
  EXPECT_TRUE(matched);
  EXPECT_EQ(RequiredChecksFor(rules, "release/2", &matched),
            (std::vector<std::string>{"CI / build", "CI / test", "CI / docs"}));
  EXPECT_TRUE(RequiredChecksFor({{"main", {"x"}}}, "dev", &matched).empty());
  EXPECT_FALSE(matched);
}

TEST(MergeGateTest, PassingRequiredCheckIsReady) {
  std::vector<Check> latest = {Job("build", CheckState::kSuccess),
                               Job("test", CheckState::kFailure)};
  MergeDecision d = DecideMerge(latest, {"CI / build"}, true, false);
  EXPECT_TRUE(d.mergeable);
  EXPECT_EQ(d.state, "ready");
  EXPECT_EQ(d.message, "ready to merge");
  ASSERT_EQ(d.required.size(), 1u);
  EXPECT_EQ(d.required[0].state, "success");
  EXPECT_EQ(d.required[0].target_url, "http://ci/build/1/1");
}

TEST(MergeGateTest, FailedAndMissingRequiredChecksBlockAndAreNamed) {
  std::vector<Check> latest = {Job("build", CheckState::kSuccess),
                               Job("test", CheckState::kFailure)};
  MergeDecision d = DecideMerge(latest, {"CI / lint", "CI / test", "deploy"}, true, false);
  EXPECT_FALSE(d.mergeable);
  EXPECT_EQ(d.state, "blocked");
  EXPECT_EQ(d.message, "2 required checks missing: CI / lint, deploy; 1 failed: CI / test");
  ASSERT_EQ(d.required.size(), 3u);
  EXPECT_EQ(d.required[0].state, "missing");
  EXPECT_EQ(d.required[0].target_url, "");
  EXPECT_EQ(d.required[1].state, "failure");
  d = DecideMerge(latest, {"CI / lint"}, true, false);
  EXPECT_EQ(d.message, "1 required check missing: CI / lint");
}

TEST(MergeGateTest, PendingWhileRequiredCheckRunsOrMayStillReport) {
  std::vector<Check> latest = {Job("build", CheckState::kPending)};
  MergeDecision d = DecideMerge(latest, {"build"}, true, true);
  EXPECT_EQ(d.state, "pending");
  EXPECT_FALSE(d.mergeable);
  EXPECT_EQ(d.message, "1 pending: build");
  d = DecideMerge({}, {"test"}, true, true);
  EXPECT_EQ(d.state, "pending");
  EXPECT_EQ(d.required[0].state, "pending");
  d = DecideMerge({}, {"test"}, true, false);
  EXPECT_EQ(d.state, "blocked");
}

TEST(MergeGateTest, SeveralMatchingChecksCombineFailureFirst) {
  std::vector<Check> latest = {Job("test", CheckState::kSuccess, "push"),
                               Job("test", CheckState::kFailure, "pull_request")};
  MergeDecision d = DecideMerge(latest, {"CI / test"}, true, false);
  EXPECT_EQ(d.state, "blocked");
  EXPECT_EQ(d.required[0].state, "failure");
  EXPECT_EQ(d.required[0].target_url, latest[1].target_url);
}

TEST(MergeGateTest, WithoutRuleAnyFailedCheckBlocks) {
  EXPECT_EQ(DecideMerge({}, {}, false, false).state, "ready");
  EXPECT_EQ(DecideMerge({Job("a", CheckState::kSuccess)}, {}, false, false).message,
            "ready to merge");
  MergeDecision d = DecideMerge({Job("a", CheckState::kSuccess), Job("b", CheckState::kFailure)},
                                {}, false, false);
  EXPECT_EQ(d.state, "blocked");
  EXPECT_EQ(d.message, "1 failed: CI / b (pull_request)");
  EXPECT_TRUE(d.required.empty());
}

}  // namespace
}  // namespace gantry::server
