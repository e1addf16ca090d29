// Reports through the shared server: a test executor leases jobs of its own label and posts
// coverage, test and security reports with the executor protocol; the API then answers with
// coverage deltas, flaky tests, findings open → fixed, trends and the pull-request comment.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

// A project whose one job runs on a label only this test's executor has.
class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    label_ = Unique("reports-label-");
    std::string workflow = "on: [push, pull_request]\njobs:\n  test:\n    runs-on: [self-hosted, " +
                           label_ + "]\n    steps:\n      - run: echo tested\n";
    project_ =
        MakeProject(g_env->admin, Unique("reports"), {{".github/workflows/ci.yml", workflow}});
    HttpReply token = Http("POST", Url() + "/api/v1/executors/registration-tokens",
                           json{{"uses", 1}}.dump(), g_env->admin.Auth());
    ASSERT_EQ(token.status, 201) << token.body;
    HttpReply reg = Http("POST", Url() + "/api/v1/executor/register",
                         json{{"token", token.Json().value("token", "")},
                              {"name", Unique("reports-box-")},
                              {"labels", {"self-hosted", label_}},
                              {"capacity", 1},
                              {"version", "test"}}
                             .dump());
    ASSERT_EQ(reg.status, 201) << reg.body;
    auth_ = {"Authorization: Bearer " + reg.Json().value("token", "")};
  }

  struct Leased {
    int64_t job = 0;
    int64_t run = 0;
    std::string lease;
  };
  Leased Lease() {
    HttpReply r = Http(
        "POST", Url() + "/api/v1/executor/lease",
        json{{"capacity", 1}, {"labels", {"self-hosted", label_}}, {"wait_seconds", 20}}.dump(),
        auth_);
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.Json();
    return {j["job"].value("id", int64_t{0}), j["job"].value("run_id", int64_t{0}),
            j.value("lease_id", "")};
  }
  HttpReply PostReport(const Leased& l, const std::string& kind, const json& report) {
    return Http("POST", Url() + "/api/v1/executor/jobs/" + std::to_string(l.job) + "/reports",
                json{{"lease_id", l.lease}, {"kind", kind}, {"step", 0}, {"report", report}}.dump(),
                auth_);
  }
  void Complete(const Leased& l, const std::string& conclusion) {
    HttpReply r =
        Http("POST", Url() + "/api/v1/executor/jobs/" + std::to_string(l.job) + "/complete",
             json{{"lease_id", l.lease}, {"conclusion", conclusion}}.dump(), auth_);
    EXPECT_EQ(r.status, 200) << r.body;
    WaitRun(g_env->admin, l.run);
  }
  // A push to main; the leased job of its run.
  Leased PushRun() {
    HttpReply hook = Push(project_, project_.repo->Commit(Unique("change")), Unique("rep-push"));
    EXPECT_EQ(hook.status, 202) << hook.body;
    return Lease();
  }
  json Get(const std::string& path) {
    HttpReply r = Http("GET", Url() + path, "", g_env->admin.Auth());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.Json();
  }
  static json Coverage(int covered) {
    return {{"format", "lcov"},
            {"lines_total", 200},
            {"lines_covered", covered + 50},
            {"percent", (covered + 50) / 2.0},
            {"files",
             {{{"path", "src/a.cc"}, {"lines_total", 100}, {"lines_covered", covered}},
              {{"path", "src/b.cc"}, {"lines_total", 100}, {"lines_covered", 50}}}}};
  }
  static json Finding(const std::string& fp, const std::string& severity) {
    return {{"tool", "semgrep"},      {"rule_id", "rule-" + fp}, {"severity", severity},
            {"message", "bad " + fp}, {"file", "src/a.cc"},      {"line", 4},
            {"fingerprint", fp}};
  }

  std::string label_;
  Project project_;
  std::vector<std::string> auth_;
};

TEST_F(ReportsTest, TheProtocolEndpointValidatesItsBody) {
  Leased l = PushRun();
  HttpReply bad_kind = PostReport(l, "lint", json::object());
  EXPECT_EQ(bad_kind.status, 422) << bad_kind.body;
  EXPECT_EQ(bad_kind.Json()["error"].value("field", ""), "kind");
  HttpReply bad_report = PostReport(l, "coverage", {{"lines_total", "many"}});
  EXPECT_EQ(bad_report.status, 400) << bad_report.body;
  EXPECT_EQ(bad_report.Json()["error"].value("field", ""), "report");
  EXPECT_THAT(bad_report.body, HasSubstr("lines_total"));
  HttpReply no_step = Http(
      "POST", Url() + "/api/v1/executor/jobs/" + std::to_string(l.job) + "/reports",
      json{{"lease_id", l.lease}, {"kind", "tests"}, {"report", json::object()}}.dump(), auth_);
  EXPECT_EQ(no_step.status, 422) << no_step.body;
  EXPECT_EQ(no_step.Json()["error"].value("field", ""), "step");
  Leased stale = l;
  stale.lease = "not-the-lease";
  EXPECT_EQ(PostReport(stale, "coverage", Coverage(50)).status, 409);
  EXPECT_EQ(
      Http("POST", Url() + "/api/v1/executor/jobs/" + std::to_string(l.job) + "/reports", "{}")
          .status,
      401);
  // Sent twice (a lost answer): stored once.
  EXPECT_EQ(PostReport(l, "coverage", Coverage(50)).status, 201);
  EXPECT_EQ(PostReport(l, "coverage", Coverage(50)).status, 201);
  Complete(l, "success");
  json reports = Get("/api/v1/runs/" + std::to_string(l.run) + "/reports");
  EXPECT_EQ(reports["coverage"].value("lines_total", 0), 200) << reports.dump();
  // Someone who cannot read the project does not learn the run exists.
  User outsider = SignUp(Url(), Unique("reports-outsider"));
  EXPECT_EQ(
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(l.run) + "/reports", "", outsider.Auth())
          .status,
      404);
  EXPECT_EQ(
      Http("GET", Url() + "/api/v1/projects/" + project_.name + "/security", "", outsider.Auth())
          .status,
      404);
  EXPECT_EQ(Http("GET", Url() + "/api/v1/runs/" + std::to_string(l.run) + "/reports?attempt=x", "",
                 g_env->admin.Auth())
                .Json()["error"]
                .value("field", ""),
            "attempt");
}

TEST_F(ReportsTest, CoverageDeltaIsAgainstThePreviousRunOnMainAndTrends) {
  Leased first = PushRun();
  ASSERT_EQ(PostReport(first, "coverage", Coverage(50)).status, 201);
  Complete(first, "success");
  Leased second = PushRun();
  ASSERT_EQ(PostReport(second, "coverage", Coverage(70)).status, 201);
  Complete(second, "success");
  json cov = Get("/api/v1/runs/" + std::to_string(second.run) + "/reports")["coverage"];
  EXPECT_DOUBLE_EQ(cov.value("percent", 0.0), 60.0) << cov.dump();
  EXPECT_EQ(cov["base"].value("run_id", int64_t{0}), first.run) << cov.dump();
  EXPECT_EQ(cov["base"].value("branch", ""), "main");
  EXPECT_DOUBLE_EQ(cov.value("delta", 0.0), 10.0);
  EXPECT_DOUBLE_EQ(cov["files"][0].value("delta", 0.0), 20.0);
  json trend = Get("/api/v1/projects/" + project_.name + "/coverage?limit=10");
  EXPECT_EQ(trend.value("branch", ""), "main");
  ASSERT_EQ(trend["points"].size(), 2u) << trend.dump();
  EXPECT_EQ(trend["points"][0].value("run_id", int64_t{0}), first.run);  // oldest first
  EXPECT_DOUBLE_EQ(trend["points"][1].value("percent", 0.0), 60.0);
  HttpReply bad = Http("GET", Url() + "/api/v1/projects/" + project_.name + "/coverage?limit=0", "",
                       g_env->admin.Auth());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["error"].value("field", ""), "limit");
}

TEST_F(ReportsTest, APullRequestRunsCommentHasCoverageTestsAndNewFindings) {
  Leased base = PushRun();
  ASSERT_EQ(PostReport(base, "coverage", Coverage(50)).status, 201);
  ASSERT_EQ(PostReport(base, "security", {{"findings", {Finding("old", "low")}}}).status, 201);
  Complete(base, "success");
  std::string sha = project_.repo->Commit("feature", "feature");
  std::string body = json{{"action", "opened"},
                          {"number", 7},
                          {"pull_request",
                           {{"number", 7},
                            {"title", "Add a feature"},
                            {"head", {{"ref", "feature"}, {"sha", sha}}},
                            {"base", {{"ref", "main"}, {"sha", sha}}}}},
                          {"sender", {{"login", "alice"}}}}
                         .dump();
  HttpReply hook = Http("POST", Url() + "/api/v1/hooks/" + project_.name, body,
                        {"X-GitHub-Event: pull_request", "X-GitHub-Delivery: " + Unique("pr"),
                         "X-Hub-Signature-256: " + Hmac(project_.secret, body)});
  ASSERT_EQ(hook.status, 202) << hook.body;
  Leased pr = Lease();
  ASSERT_EQ(PostReport(pr, "coverage", Coverage(40)).status, 201);
  json tests = {{"passed", 3},
                {"failed", 1},
                {"skipped", 0},
                {"seconds", 1.5},
                {"cases",
                 {{{"suite", "s"},
                   {"classname", "Cart"},
                   {"name", "adds"},
                   {"file", ""},
                   {"seconds", 0.1},
                   {"status", "failed"},
                   {"message", "expected 2"},
                   {"details", ""}}}}};
  ASSERT_EQ(PostReport(pr, "tests", tests).status, 201);
  ASSERT_EQ(PostReport(pr, "security",
                       {{"findings", {Finding("old", "low"), Finding("sqli", "critical")}}})
                .status,
            201);
  Complete(pr, "failure");
  json comment = Get("/api/v1/runs/" + std::to_string(pr.run) + "/comment");
  std::string md = comment.value("body", "");
  EXPECT_THAT(md, HasSubstr("### Gantry: "));
  EXPECT_THAT(
      md, HasSubstr("(" + Url() + "/" + project_.name + "/runs/" + std::to_string(pr.run) + ")"));
  EXPECT_THAT(md, HasSubstr("**Coverage** 45.0% (-5.0 vs main #"));
  EXPECT_THAT(md, HasSubstr("| `src/a.cc` | 40.0% | -10.0 |"));
  EXPECT_THAT(md, HasSubstr("**Tests** 3 passed, 1 failed, 0 skipped"));
  EXPECT_THAT(md, HasSubstr("`Cart.adds` (test): expected 2"));
  EXPECT_THAT(md, HasSubstr("**Security** 2 findings, 1 new"));
  EXPECT_THAT(md, HasSubstr("**critical** rule-sqli"));
  // `gantry run view` shows the reports block.
  std::string view =
      Sh("NO_COLOR=1 GANTRY_CONFIG_DIR=" + Quote(TempDir("reports-cli")) +
         " GANTRY_URL=" + Quote(Url()) + " GANTRY_TOKEN=" + g_env->admin.token + " " +
         GANTRY_BINARY + " run view " + std::to_string(pr.run) + " -p " + project_.name + " 2>&1");
  EXPECT_THAT(view, HasSubstr("Coverage 45.0% (-5.0 vs main #")) << view;
  EXPECT_THAT(view, HasSubstr("Tests 3 passed, 1 failed, 0 skipped")) << view;
  EXPECT_THAT(view, HasSubstr("Security 2 open (1 new: critical rule-sqli)")) << view;
}

TEST_F(ReportsTest, FindingsAreOpenThenFixedAcrossTwoRuns) {
  Leased first = PushRun();
  ASSERT_EQ(
      PostReport(first, "security", {{"findings", {Finding("a", "high"), Finding("b", "medium")}}})
          .status,
      201);
  Complete(first, "success");
  Leased second = PushRun();
  ASSERT_EQ(PostReport(second, "security",
                       {{"findings", {Finding("b", "medium"), Finding("c", "critical")}}})
                .status,
            201);
  Complete(second, "success");
  std::string base = "/api/v1/projects/" + project_.name + "/security";
  json open = Get(base);
  EXPECT_EQ(open.value("branch", ""), "main");
  ASSERT_EQ(open["findings"].size(), 2u) << open.dump();
  EXPECT_EQ(open["findings"][0].value("rule_id", ""), "rule-c");  // by severity
  EXPECT_EQ(open["counts"].value("critical", 0), 1);
  EXPECT_EQ(open["findings"][1].value("first_seen_run_id", int64_t{0}), first.run);
  json fixed = Get(base + "?state=fixed");
  ASSERT_EQ(fixed["findings"].size(), 1u) << fixed.dump();
  EXPECT_EQ(fixed["findings"][0].value("rule_id", ""), "rule-a");
  EXPECT_EQ(fixed["findings"][0].value("fixed_run_id", int64_t{0}), second.run);
  EXPECT_EQ(Get(base + "?state=all")["findings"].size(), 3u);
  json run = Get("/api/v1/runs/" + std::to_string(second.run) + "/reports")["security"];
  EXPECT_EQ(run.value("total", 0), 2);
  ASSERT_EQ(run["new"].size(), 1u) << run.dump();
  EXPECT_EQ(run["new"][0].value("rule_id", ""), "rule-c");
  json trend = Get(base + "/trend?limit=5");
  ASSERT_EQ(trend["points"].size(), 2u) << trend.dump();
  EXPECT_EQ(trend["points"][0]["open"].value("high", 0), 1);
  EXPECT_EQ(trend["points"][1]["open"].value("critical", 0), 1);
  EXPECT_EQ(trend["points"][1]["open"].value("high", 0), 0);
  HttpReply bad = Http("GET", Url() + base + "?state=closed", "", g_env->admin.Auth());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["error"].value("field", ""), "state");
}

TEST_F(ReportsTest, ATestThatFailedThenPassedInTheReRunIsFlaky) {
  Leased first = PushRun();
  auto tests = [](const std::string& status) {
    return json{{"passed", status == "passed" ? 1 : 0},
                {"failed", status == "failed" ? 1 : 0},
                {"skipped", 0},
                {"seconds", 0.5},
                {"cases",
                 {{{"suite", "s"},
                   {"classname", "Net"},
                   {"name", "retries"},
                   {"file", ""},
                   {"seconds", 0.5},
                   {"status", status},
                   {"message", ""},
                   {"details", ""}}}}};
  };
  ASSERT_EQ(PostReport(first, "tests", tests("failed")).status, 201);
  Complete(first, "failure");
  HttpReply re = Http("POST", Url() + "/api/v1/runs/" + std::to_string(first.run) + "/rerun",
                      R"({"failed_only":true})", g_env->admin.Auth());
  ASSERT_EQ(re.status, 202) << re.body;
  Leased again = Lease();
  EXPECT_EQ(again.run, first.run);
  ASSERT_EQ(PostReport(again, "tests", tests("passed")).status, 201);
  Complete(again, "success");
  std::string path = "/api/v1/runs/" + std::to_string(first.run) + "/reports";
  json latest = Get(path)["tests"];
  EXPECT_EQ(latest.value("failed", -1), 0) << latest.dump();
  ASSERT_EQ(latest["flaky"].size(), 1u) << latest.dump();
  EXPECT_EQ(latest["flaky"][0].value("name", ""), "retries");
  json earlier = Get(path + "?attempt=1")["tests"];
  EXPECT_EQ(earlier.value("failed", 0), 1) << earlier.dump();
  EXPECT_TRUE(earlier["flaky"].empty());
}

// The built-in report actions through the embedded executor. Until gantry/coverage@v1 is built
// in (another branch), its step fails as an action that does not resolve and the test skips;
// it needs no change to run once the action exists.
TEST_F(ReportsTest, ReportActionsOfAWorkflowReachTheServer) {
  Project p =
      MakeProject(g_env->admin, Unique("reports-actions"), {{".github/workflows/ci.yml", R"(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: |
          printf 'SF:src/a.c\nDA:1,1\nDA:2,0\nend_of_record\n' > lcov.info
      - uses: gantry/coverage@v1
        with:
          files: lcov.info
)"}});
  HttpReply hook = Push(p, p.repo->Commit("go"), Unique("rep-actions"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  int64_t run_id = hook.Json()["runs"][0].get<int64_t>();
  json run = WaitRun(g_env->admin, run_id);
  const json* job = JobNamed(run, "test");
  ASSERT_NE(job, nullptr) << run.dump(2);
  std::string log = JobLog(g_env->admin, *job);
  // Only an action that does not resolve skips: once it is built in, any failure is one.
  if (log.find("Unable to resolve action `gantry/coverage@v1`") != std::string::npos ||
      log.find("not a built-in") != std::string::npos) {
    GTEST_SKIP() << "gantry/coverage@v1 is not built in yet: " << log.substr(0, 2000);
  }
  EXPECT_EQ(run.value("conclusion", ""), "success") << log;
  json cov = Get("/api/v1/runs/" + std::to_string(run_id) + "/reports")["coverage"];
  EXPECT_DOUBLE_EQ(cov.value("percent", 0.0), 50.0) << cov.dump();
}

}  // namespace
}  // namespace gantry::testing
