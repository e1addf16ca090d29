// The commit status and check-runs endpoints through the real `gh api` (GhTest's server: its
// push run of `CI` has a passing `build` and a failing `test` job; other GhTest cases add runs
// of other workflows on the same commit).

#include "server_gh_fixture.h"

namespace gantry::testing {
namespace {

TEST_F(GhTest, ChecksCombinedStatusThroughGhApi) {
  GhResult r = Gh("api repos/" + project_->name + "/commits/" + sha_ + "/status", false);
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  json j = json::parse(r.out);
  EXPECT_EQ(j.value("state", ""), "failure") << r.out;
  EXPECT_EQ(j.value("sha", ""), sha_);
  std::vector<std::string> contexts;
  for (const json& s : j["statuses"]) contexts.push_back(s.value("context", ""));
  EXPECT_THAT(contexts,
              ::testing::IsSupersetOf({"CI (push)", "CI / build (push)", "CI / test (push)"}));
  GhResult jq = Gh("api repos/" + project_->name + "/commits/" + sha_ +
                       "/status --jq '.statuses[] | select(.context | startswith(\"CI \")) | "
                       "select(.state == \"failure\") | .context'",
                   false);
  ASSERT_EQ(jq.code, 0) << jq.err;
  EXPECT_EQ(jq.out, "CI (push)\nCI / test (push)\n");
}

TEST_F(GhTest, ChecksCheckRunsThroughGhApi) {
  GhResult r = Gh("api repos/" + project_->name + "/commits/" + sha_ + "/check-runs", false);
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_GE(j.value("total_count", 0), 2) << r.out;
  GhResult names = Gh("api repos/" + project_->name + "/commits/" + sha_ +
                          "/check-runs?check_name=test --jq '.check_runs[] | "
                          "[.name, .status, .conclusion, .app.slug] | @tsv'",
                      false);
  ASSERT_EQ(names.code, 0) << names.err;
  EXPECT_EQ(names.out, "test\tcompleted\tfailure\tgantry\n");
  GhResult bad = Gh("api repos/" + project_->name + "/commits/nope/status", false);
  EXPECT_NE(bad.code, 0);
  EXPECT_THAT(bad.err, HasSubstr("No commit found for SHA: nope"));
}

}  // namespace
}  // namespace gantry::testing
