// Checks, commit statuses and the merge gate against the shared server: a push and a pull
// request run a workflow whose `test` job fails and `build` job passes; the /api/v3 commit
// status and check-runs, branch protection rules and the merge status of the pull request.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

const char kChecksCi[] = R"(name: CI
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo "tests failed" && exit 1
)";

// One project per test binary run: a push run of main's head and a pull request #5 run of a
// feature branch (both completed).
struct Checked {
  User user;
  Project project;
  std::string push_sha, pr_sha;
  int64_t push_run = 0, pr_run = 0;
};

Checked& Fixture() {
  static Checked* c = [] {
    auto* f = new Checked();
    f->user = SignUp(Url(), Unique("chk"));
    f->project = MakeProject(f->user, "gate", {{".github/workflows/ci.yml", kChecksCi}});
    f->push_sha = f->project.repo->Commit("a change");
    HttpReply push = Push(f->project, f->push_sha, Unique("chk-push"));
    EXPECT_EQ(push.status, 202) << push.body;
    f->push_run = push.Json()["runs"][0].get<int64_t>();
    f->pr_sha = f->project.repo->Commit("a feature", "feature");
    // A branch with a slash at the same commit (the pull request's webhook fetches it).
    Sh("git --git-dir=" + Quote(f->project.repo->remote()) + " update-ref refs/heads/release/1.0 " +
       f->pr_sha);
    std::string body = json{{"action", "opened"},
                            {"number", 5},
                            {"pull_request",
                             {{"number", 5},
                              {"title", "A feature"},
                              {"head", {{"ref", "feature"}, {"sha", f->pr_sha}}},
                              {"base", {{"ref", "main"}, {"sha", f->push_sha}}}}},
                            {"sender", {{"login", f->user.name}}}}
                           .dump();
    HttpReply pr = Http("POST", Url() + "/api/v1/hooks/" + f->project.name, body,
                        {"X-GitHub-Event: pull_request", "X-GitHub-Delivery: " + Unique("chk-pr"),
                         "X-Hub-Signature-256: " + Hmac(f->project.secret, body)});
    EXPECT_EQ(pr.status, 202) << pr.body;
    f->pr_run = pr.Json()["runs"][0].get<int64_t>();
    WaitRun(f->user, f->push_run);
    WaitRun(f->user, f->pr_run);
    return f;
  }();
  return *c;
}

std::string V3(const Checked& c, const std::string& path) {
  return Url() + "/api/v3/repos/" + c.project.name + path;
}
std::string V1(const Checked& c, const std::string& path) {
  return Url() + "/api/v1/projects/" + c.project.name + path;
}

std::vector<std::string> Contexts(const json& statuses) {
  std::vector<std::string> out;
  for (const json& s : statuses) out.push_back(s.value("context", ""));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ChecksTest, CombinedStatusOfAPushIsFailureWithEveryContext) {
  Checked& c = Fixture();
  HttpReply r = Http("GET", V3(c, "/commits/" + c.push_sha + "/status"), "", c.user.Auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.Json();
  EXPECT_EQ(j.value("state", ""), "failure") << j.dump(2);
  EXPECT_EQ(j.value("sha", ""), c.push_sha);
  EXPECT_EQ(j.value("total_count", 0), 3);
  EXPECT_EQ(Contexts(j["statuses"]),
            (std::vector<std::string>{"CI (push)", "CI / build (push)", "CI / test (push)"}));
  for (const json& s : j["statuses"]) {
    if (s.value("context", "") == "CI / test (push)") {
      EXPECT_EQ(s.value("state", ""), "failure");
      EXPECT_THAT(s.value("description", ""), HasSubstr("Failing after"));
      EXPECT_THAT(s.value("target_url", ""), HasSubstr("/runs/" + std::to_string(c.push_run)));
      EXPECT_TRUE(s["id"].is_number());
      EXPECT_TRUE(s["created_at"].is_string());
      EXPECT_TRUE(s["updated_at"].is_string());
    }
    if (s.value("context", "") == "CI / build (push)") {
      EXPECT_EQ(s.value("state", ""), "success");
      EXPECT_THAT(s.value("description", ""), HasSubstr("Successful in"));
    }
  }
  EXPECT_EQ(j["repository"].value("full_name", ""), c.project.name);

  // The same commit by branch, by a unique prefix; the pull request's head by its branch.
  json by_branch = Http("GET", V3(c, "/commits/main/status"), "", c.user.Auth()).Json();
  EXPECT_EQ(by_branch.value("sha", ""), c.push_sha) << by_branch.dump();
  json by_prefix =
      Http("GET", V3(c, "/commits/" + c.push_sha.substr(0, 10) + "/status"), "", c.user.Auth())
          .Json();
  EXPECT_EQ(by_prefix.value("sha", ""), c.push_sha) << by_prefix.dump();
  json pr = Http("GET", V3(c, "/commits/feature/status"), "", c.user.Auth()).Json();
  EXPECT_EQ(pr.value("sha", ""), c.pr_sha);
  json slashed = Http("GET", V3(c, "/commits/release/1.0/status"), "", c.user.Auth()).Json();
  EXPECT_EQ(slashed.value("sha", ""), c.pr_sha) << slashed.dump();
  json encoded = Http("GET", V3(c, "/commits/release%2F1.0/status"), "", c.user.Auth()).Json();
  EXPECT_EQ(encoded.value("sha", ""), c.pr_sha) << encoded.dump();
  EXPECT_EQ(Contexts(pr["statuses"]),
            (std::vector<std::string>{"CI (pull_request)", "CI / build (pull_request)",
                                      "CI / test (pull_request)"}));

  json statuses =
      Http("GET", V3(c, "/commits/" + c.push_sha + "/statuses"), "", c.user.Auth()).Json();
  ASSERT_TRUE(statuses.is_array()) << statuses.dump();
  EXPECT_EQ(statuses.size(), 3u);
}

TEST(ChecksTest, CheckRunsListJobsWithFilters) {
  Checked& c = Fixture();
  const std::string base = V3(c, "/commits/" + c.push_sha + "/check-runs");
  HttpReply r = Http("GET", base, "", c.user.Auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.Json();
  ASSERT_EQ(j.value("total_count", 0), 2) << j.dump(2);
  std::map<std::string, json> by_name;
  for (const json& run : j["check_runs"]) by_name[run.value("name", "")] = run;
  ASSERT_EQ(by_name.count("build"), 1u);
  ASSERT_EQ(by_name.count("test"), 1u);
  const json& test = by_name["test"];
  EXPECT_EQ(test.value("head_sha", ""), c.push_sha);
  EXPECT_EQ(test.value("status", ""), "completed");
  EXPECT_EQ(test.value("conclusion", ""), "failure");
  EXPECT_EQ(test["app"].value("slug", ""), "gantry");
  EXPECT_TRUE(test["started_at"].is_string());
  EXPECT_TRUE(test["completed_at"].is_string());
  EXPECT_THAT(test.value("html_url", ""), HasSubstr("/jobs/"));
  EXPECT_EQ(test.value("details_url", ""), test.value("html_url", ""));
  EXPECT_TRUE(test["output"]["annotations_count"].is_number());
  EXPECT_EQ(by_name["build"].value("conclusion", ""), "success");

  json one = Http("GET", base + "?check_name=test", "", c.user.Auth()).Json();
  ASSERT_EQ(one.value("total_count", 0), 1);
  EXPECT_EQ(one["check_runs"][0].value("name", ""), "test");
  EXPECT_EQ(Http("GET", base + "?status=queued", "", c.user.Auth()).Json().value("total_count", -1),
            0);
  EXPECT_EQ(Http("GET", base + "?status=completed&filter=all", "", c.user.Auth())
                .Json()
                .value("total_count", -1),
            2);
  HttpReply bad = Http("GET", base + "?filter=newest", "", c.user.Auth());
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.Json().value("message", ""), HasSubstr("filter"));
  HttpReply bad_status = Http("GET", base + "?status=done", "", c.user.Auth());
  EXPECT_EQ(bad_status.status, 422);
  EXPECT_THAT(bad_status.Json().value("message", ""), HasSubstr("status"));
  HttpReply unknown = Http("GET", V3(c, "/commits/no-such-branch/status"), "", c.user.Auth());
  EXPECT_EQ(unknown.status, 422);
  EXPECT_THAT(unknown.Json().value("message", ""), HasSubstr("No commit found for SHA"));
  EXPECT_EQ(Http("GET", V3(c, "/commits/main~1/status"), "", c.user.Auth()).status, 422);
  EXPECT_EQ(Http("GET", V3(c, "/commits/" + c.push_sha + "/status")).status, 401);
}

TEST(ChecksTest, MergeStatusFollowsBranchProtection) {
  Checked& c = Fixture();
  const std::string merge = V1(c, "/pulls/5/merge-status");
  // No rule: every check counts, and the failed job (and its workflow) block.
  json none = Http("GET", merge, "", c.user.Auth()).Json();
  EXPECT_EQ(none.value("number", 0), 5) << none.dump(2);
  EXPECT_EQ(none.value("head_sha", ""), c.pr_sha);
  EXPECT_EQ(none.value("base_branch", ""), "main");
  EXPECT_EQ(none.value("state", ""), "blocked");
  EXPECT_FALSE(none.value("mergeable", true));
  EXPECT_THAT(none.value("message", ""), HasSubstr("CI / test (pull_request)"));

  auto put = [&](const std::string& pattern, const json& checks) {
    return Http("PUT", V1(c, "/branch-protection/" + pattern),
                json{{"required_checks", checks}}.dump(), c.user.Auth());
  };
  HttpReply set = put("main", {"CI / build"});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.Json().value("pattern", ""), "main");
  json ready = Http("GET", merge, "", c.user.Auth()).Json();
  EXPECT_EQ(ready.value("state", ""), "ready") << ready.dump(2);
  EXPECT_TRUE(ready.value("mergeable", false));
  EXPECT_EQ(ready.value("message", ""), "ready to merge");
  ASSERT_EQ(ready["required"].size(), 1u);
  EXPECT_EQ(ready["required"][0].value("context", ""), "CI / build");
  EXPECT_EQ(ready["required"][0].value("state", ""), "success");
  EXPECT_THAT(ready["required"][0].value("target_url", ""), HasSubstr("/jobs/"));

  ASSERT_EQ(put("main", {"CI / test (pull_request)"}).status, 200);
  json blocked = Http("GET", merge, "", c.user.Auth()).Json();
  EXPECT_EQ(blocked.value("state", ""), "blocked") << blocked.dump(2);
  EXPECT_EQ(blocked.value("message", ""), "1 failed: CI / test (pull_request)");

  // Rules of every matching pattern combine; a check no run reports is named missing.
  ASSERT_EQ(put("%2A%2A", {"CI / lint"}).status, 200);  // "**", encoded
  ASSERT_EQ(put("release%2F%2A", {"CI / release"}).status, 200);
  json missing = Http("GET", merge, "", c.user.Auth()).Json();
  EXPECT_EQ(missing.value("message", ""),
            "1 required check missing: CI / lint; 1 failed: CI / test (pull_request)")
      << missing.dump(2);
  EXPECT_EQ(missing["required"].size(), 2u);
  EXPECT_TRUE(missing["required"][0]["target_url"].is_null());  // "**" sorts first
  EXPECT_EQ(missing["required"][0].value("state", ""), "missing");
  EXPECT_EQ(missing["required"][1].value("state", ""), "failure");

  json rules = Http("GET", V1(c, "/branch-protection"), "", c.user.Auth()).Json();
  ASSERT_EQ(rules["rules"].size(), 3u) << rules.dump(2);
  EXPECT_EQ(rules["rules"][0].value("pattern", ""), "**");
  EXPECT_EQ(rules["rules"][2].value("pattern", ""), "release/*");
  EXPECT_EQ(rules["rules"][1]["required_checks"], json({"CI / test (pull_request)"}));

  EXPECT_EQ(Http("DELETE", V1(c, "/branch-protection/%2A%2A"), "", c.user.Auth()).status, 204);
  HttpReply again = Http("DELETE", V1(c, "/branch-protection/%2A%2A"), "", c.user.Auth());
  EXPECT_EQ(again.status, 404);
  EXPECT_THAT(again.body, HasSubstr("'**'"));
  ASSERT_EQ(put("main", {"build"}).status, 200);  // a check-run (job) name matches too
  EXPECT_EQ(Http("GET", merge, "", c.user.Auth()).Json().value("state", ""), "ready");
  EXPECT_EQ(Http("DELETE", V1(c, "/branch-protection/main"), "", c.user.Auth()).status, 204);
  EXPECT_EQ(Http("DELETE", V1(c, "/branch-protection/release%2F%2A"), "", c.user.Auth()).status,
            204);
}

TEST(ChecksTest, BadInputIsAJsonErrorNamingTheField) {
  Checked& c = Fixture();
  auto put = [&](const std::string& pattern, const std::string& body) {
    return Http("PUT", V1(c, "/branch-protection/" + pattern), body, c.user.Auth());
  };
  auto field = [](const HttpReply& r) { return r.Json()["error"].value("field", ""); };
  HttpReply r = put("main", R"({"required_checks":"CI / test"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(field(r), "required_checks");
  r = put("main", R"({"required_checks":["ok", 3]})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(field(r), "required_checks[1]");
  r = put("main", R"({"required_checks":[""]})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(field(r), "required_checks[0]");
  r = put("main", "{}");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(field(r), "required_checks");
  r = put("main", R"({"required_checks":[],"strict":true,"x":1})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = put("v%5B0-9", R"({"required_checks":["CI / test"]})");  // "v[0-9"
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(field(r), "pattern");
  r = Http("GET", V1(c, "/pulls/abc/merge-status"), "", c.user.Auth());
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(field(r), "number");
  r = Http("GET", V1(c, "/pulls/999/merge-status"), "", c.user.Auth());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(field(r), "number");
  EXPECT_THAT(r.Json()["error"].value("message", ""), HasSubstr("pull request #999"));
  EXPECT_TRUE(Http("GET", V1(c, "/branch-protection"), "", c.user.Auth()).Json()["rules"].empty());

  // Another user may not see the project, nor a viewer change its rules.
  User other = SignUp(Url(), Unique("chk-other"));
  EXPECT_EQ(Http("GET", V1(c, "/branch-protection"), "", other.Auth()).status, 404);
  ASSERT_EQ(
      Http("PUT", V1(c, "/members/" + other.name), json{{"role", "viewer"}}.dump(), c.user.Auth())
          .status,
      204);
  EXPECT_EQ(Http("GET", V1(c, "/pulls/5/merge-status"), "", other.Auth()).status, 200);
  EXPECT_EQ(Http("PUT", V1(c, "/branch-protection/main"),
                 json{{"required_checks", {"CI / test"}}}.dump(), other.Auth())
                .status,
            403);
}

TEST(ChecksTest, CliShowsMergeStatusAndManagesRules) {
  Checked& c = Fixture();
  std::string home = TempDir("chk-cli");
  std::string env = "env NO_COLOR=1 HOME=" + Quote(home) +
                    " GANTRY_CONFIG_DIR=" + Quote(home + "/cfg") + " GANTRY_URL=" + Quote(Url()) +
                    " GANTRY_TOKEN=" + Quote(c.user.token) + " " + GANTRY_BINARY + " ";
  auto run = [&](const std::string& args, int* code) {
    std::string out = home + "/out";
    int status = std::system((env + args + " >" + Quote(out) + " 2>&1").c_str());
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  int code = -1;
  std::string out = run("protect set main --require 'CI / build' -p " + c.project.name, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("✓ Protected main in " + c.project.name + ": requires CI / build"));
  out = run("protect list -p " + c.project.name, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "main\tCI / build\n");
  out = run("pr status 5 -R " + c.project.name + " --exit-status", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("✓ #5 into main: ready to merge"));
  EXPECT_THAT(out, HasSubstr("✓  CI / build  success"));
  out = run("protect set main -r 'CI / test' -r 'CI / docs' -p " + c.project.name, &code);
  EXPECT_EQ(code, 0) << out;
  out = run("pr status 5 -R " + c.project.name + " --exit-status", &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("X #5 into main: 1 required check missing: CI / docs; 1 failed: "
                             "CI / test"));
  out = run("pr status 5 -R " + c.project.name, &code);
  EXPECT_EQ(code, 0) << out;  // without --exit-status
  out = run("pr status 5 -R " + c.project.name + " --json state,mergeable", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(json::parse(out), json({{"state", "blocked"}, {"mergeable", false}}));
  out = run("pr status 77 -R " + c.project.name, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("gantry: "));
  out = run("protect remove main -p " + c.project.name, &code);
  EXPECT_EQ(code, 0) << out;
  out = run("protect remove main -p " + c.project.name, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("main"));
  out = run("completion bash", &code);
  EXPECT_THAT(out, HasSubstr("protect"));
  std::error_code ec;
  if (!HasFailure()) fs::remove_all(home, ec);
}

// Last: it re-runs the push run's failing job, a new attempt of the run.
TEST(ChecksTest, LatestAttemptWinsAndFilterAllListsEveryAttempt) {
  Checked& c = Fixture();
  const std::string runs = V3(c, "/commits/" + c.push_sha + "/check-runs");
  json before = Http("GET", runs + "?check_name=test", "", c.user.Auth()).Json();
  ASSERT_EQ(before.value("total_count", 0), 1) << before.dump(2);
  int64_t first = before["check_runs"][0].value("id", int64_t{0});
  HttpReply rerun =
      Http("POST", Url() + "/api/v1/jobs/" + std::to_string(first) + "/rerun", "", c.user.Auth());
  ASSERT_EQ(rerun.status, 202) << rerun.body;
  WaitRun(c.user, c.push_run);
  json latest = Http("GET", runs, "", c.user.Auth()).Json();
  EXPECT_EQ(latest.value("total_count", 0), 2) << latest.dump(2);
  json test = Http("GET", runs + "?check_name=test", "", c.user.Auth()).Json();
  ASSERT_EQ(test.value("total_count", 0), 1);
  EXPECT_NE(test["check_runs"][0].value("id", int64_t{0}), first);  // the new attempt's job
  EXPECT_EQ(test["check_runs"][0].value("conclusion", ""), "failure");
  json all = Http("GET", runs + "?filter=all&check_name=test", "", c.user.Auth()).Json();
  EXPECT_EQ(all.value("total_count", 0), 2) << all.dump(2);
  json combined =
      Http("GET", V3(c, "/commits/" + c.push_sha + "/status"), "", c.user.Auth()).Json();
  EXPECT_EQ(combined.value("total_count", 0), 3);  // one status per context
  json statuses =
      Http("GET", V3(c, "/commits/" + c.push_sha + "/statuses"), "", c.user.Auth()).Json();
  EXPECT_GE(statuses.size(), 4u);  // every attempt's
  // Newest first: the run's own status (of its newest attempt), then that attempt's jobs.
  EXPECT_EQ(statuses[0].value("context", ""), "CI (push)");
  EXPECT_EQ(statuses[1].value("id", int64_t{0}), test["check_runs"][0].value("id", int64_t{0}));
}

}  // namespace
}  // namespace gantry::testing
