// Debian's real `gh` (2.23) against `gantry server` over HTTPS: the GitHub-compatible REST API
// under /api/v3 and POST /api/graphql (docs/gh.md). Every command's output is checked, not
// only its exit code.

#include "server_gh_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(GhTest, AuthStatusAcceptsAGantryToken) {
  GhResult r = Gh("auth status --hostname " + host_, false);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // gh prints its status on standard error.
  EXPECT_THAT(r.out + r.err, HasSubstr("Logged in to " + host_ + " as octo"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("missing required scope")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(pat_)));
  // gh masks what follows a token's last '_': Gantry's tokens have none after their prefix.
  EXPECT_THAT(r.out + r.err, HasSubstr("Token: gnt_" + std::string(pat_.size() - 4, '*')));

  GhResult wrong = Gh("run list", true, "", "GH_ENTERPRISE_TOKEN=gnt_wrong");
  EXPECT_EQ(wrong.code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("HTTP 401: Bad credentials"));
}

TEST_F(GhTest, AReadOnlyTokenViewsButCannotCancel) {
  HttpReply pat = Http("POST", url_ + "/api/v1/user/tokens",
                       json{{"name", "gh-read"}, {"scopes", {"read"}}}.dump(), user_.Auth());
  ASSERT_EQ(pat.status, 201) << pat.body;
  const std::string env = "GH_ENTERPRISE_TOKEN=" + pat.Json().value("token", "");
  GhResult view = Gh("run view " + R(ci_run_), true, "", env);
  EXPECT_EQ(view.code, 0) << view.err;
  ExpectCleanErr(view);
  EXPECT_THAT(view.out, HasSubstr("X main CI · " + R(ci_run_)));
  int64_t id = Dispatch("slow.yml");
  GhResult cancel = Gh("run cancel " + R(id), true, "", env);
  EXPECT_EQ(cancel.code, 1);
  EXPECT_THAT(cancel.err, HasSubstr("HTTP 403: this token's scopes (read) do not allow this "
                                    "request: use a token with the repo scope"));
  EXPECT_EQ(Http("POST", url_ + "/api/v1/runs/" + R(id) + "/cancel", "", user_.Auth()).status, 202);
  EXPECT_EQ(WaitRun(user_, id, 30, url_).value("conclusion", ""), "cancelled");
}

TEST_F(GhTest, RunListShowsRunsAsGitHubDoes) {
  GhResult r = Gh("run list");
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  EXPECT_THAT(r.out, HasSubstr("completed\tfailure\tadd the shop\tCI\tmain\tpush\t" + R(ci_run_)));

  GhResult j = Gh("run list --json databaseId,status,conclusion,headBranch,workflowName,event");
  EXPECT_EQ(j.code, 0) << j.err;
  ExpectCleanErr(j);
  json runs = json::parse(j.out, nullptr, false);
  ASSERT_TRUE(runs.is_array()) << j.out;
  const json* ci = nullptr;
  for (const json& run : runs) {
    if (run.value("databaseId", int64_t{0}) == ci_run_) ci = &run;
  }
  ASSERT_NE(ci, nullptr) << j.out;
  EXPECT_EQ(ci->value("status", ""), "completed");
  EXPECT_EQ(ci->value("conclusion", ""), "failure");
  EXPECT_EQ(ci->value("headBranch", ""), "main");
  EXPECT_EQ(ci->value("workflowName", ""), "CI");
  EXPECT_EQ(ci->value("event", ""), "push");

  GhResult filtered = Gh("run list --workflow ci.yml --branch main --user octo");
  EXPECT_EQ(filtered.code, 0) << filtered.err;
  ExpectCleanErr(filtered);
  EXPECT_THAT(filtered.out, HasSubstr("\tCI\tmain\tpush\t" + R(ci_run_)));
  EXPECT_THAT(filtered.out, Not(HasSubstr("Deploy")));
}

TEST_F(GhTest, RunViewShowsJobsStepsAnnotationsAndArtifacts) {
  GhResult r = Gh("run view " + R(ci_run_));
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  EXPECT_THAT(r.out, HasSubstr("X main CI · " + R(ci_run_)));
  EXPECT_THAT(r.out, HasSubstr("Triggered via push"));
  EXPECT_THAT(r.out, HasSubstr("✓ build in "));
  EXPECT_THAT(r.out, HasSubstr("(ID " + R(job_ids_["build"]) + ")"));
  EXPECT_THAT(r.out, HasSubstr("X test in "));
  // The failed job's steps are listed; the successful job's only with --verbose.
  EXPECT_THAT(r.out, HasSubstr("  ✓ Prepare\n  X Run tests\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("building the app")));
  EXPECT_THAT(r.out, HasSubstr("ANNOTATIONS\nX the test failed here\ntest: src/app.c#3\n"));
  EXPECT_THAT(r.out, HasSubstr("ARTIFACTS\nbundle\n"));
  EXPECT_THAT(r.out,
              HasSubstr("To see what failed, try: gh run view " + R(ci_run_) + " --log-failed"));
  EXPECT_THAT(r.out, HasSubstr(url_ + "/octo/shop/runs/" + R(ci_run_)));

  GhResult v = Gh("run view " + R(ci_run_) + " --verbose");
  EXPECT_EQ(v.code, 0) << v.err;
  ExpectCleanErr(v);
  EXPECT_THAT(v.out, HasSubstr("  ✓ Run echo \"building the app\"\n"));
  EXPECT_THAT(v.out, HasSubstr("  ✓ Run actions/upload-artifact@v4\n"));

  GhResult e = Gh("run view " + R(ci_run_) + " --exit-status");
  EXPECT_EQ(e.code, 1) << e.out << e.err;
  EXPECT_THAT(e.out, HasSubstr("X main CI · " + R(ci_run_)));
  ExpectCleanErr(e);

  GhResult json_view = Gh("run view " + R(ci_run_) + " --json jobs,status,conclusion");
  EXPECT_EQ(json_view.code, 0) << json_view.err;
  ExpectCleanErr(json_view);
  json j = json::parse(json_view.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json_view.out;
  EXPECT_EQ(j.value("status", ""), "completed");
  EXPECT_EQ(j.value("conclusion", ""), "failure");
  ASSERT_EQ(j["jobs"].size(), 2u) << json_view.out;
  const json& test = j["jobs"][1];
  EXPECT_EQ(test.value("name", ""), "test");
  EXPECT_EQ(test.value("conclusion", ""), "failure");
  EXPECT_EQ(test.value("databaseId", int64_t{0}), job_ids_["test"]);
  ASSERT_EQ(test["steps"].size(), 2u);
  EXPECT_EQ(test["steps"][1].value("name", ""), "Run tests");
  EXPECT_EQ(test["steps"][1].value("number", 0), 2);
  EXPECT_EQ(test["steps"][1].value("conclusion", ""), "failure");
}

TEST_F(GhTest, RunViewLogShowsEveryStepsLinesWithGitHubTimestamps) {
  GhResult r = Gh("run view " + R(ci_run_) + " --log");
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  // gtest's regular expressions are POSIX ones: no \d.
  const std::string stamp = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{7}Z";
  EXPECT_THAT(r.out, ContainsRegex("build\tRun echo \"building the app\"\t" + stamp +
                                   " building the app\n"));
  EXPECT_THAT(r.out, ContainsRegex("test\tPrepare\t" + stamp + " preparing tests\n"));
  EXPECT_THAT(r.out, ContainsRegex("test\tRun tests\t" + stamp + " assertion failed\n"));

  GhResult failed = Gh("run view " + R(ci_run_) + " --log-failed");
  EXPECT_EQ(failed.code, 0) << failed.err;
  ExpectCleanErr(failed);
  EXPECT_THAT(failed.out, ContainsRegex("test\tRun tests\t" + stamp + " assertion failed\n"));
  EXPECT_THAT(failed.out, Not(HasSubstr("preparing tests")));
  EXPECT_THAT(failed.out, Not(HasSubstr("building the app")));
}

TEST_F(GhTest, RunViewJobShowsOneJobAndItsLog) {
  const std::string job = R(job_ids_["test"]);
  GhResult r = Gh("run view --job " + job);
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  EXPECT_THAT(r.out, HasSubstr("X test in "));
  EXPECT_THAT(r.out, HasSubstr("  ✓ Prepare\n  X Run tests\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("build in")));
  EXPECT_THAT(r.out, HasSubstr("gh run view --log-failed --job=" + job));

  GhResult log = Gh("run view --job " + job + " --log");
  EXPECT_EQ(log.code, 0) << log.err;
  ExpectCleanErr(log);
  EXPECT_THAT(log.out, HasSubstr("test\tPrepare\t"));
  EXPECT_THAT(log.out, HasSubstr(" preparing tests\n"));
  EXPECT_THAT(log.out, Not(HasSubstr("building the app")));
}

TEST_F(GhTest, RunDownloadWritesTheArtifactsFiles) {
  std::string into = home_ + "/download";
  fs::create_directories(into);
  GhResult r = Gh("run download " + R(ci_run_), true, into);
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  // One artifact: its files land in a folder named after it (gh's layout for a whole run).
  std::string base = fs::exists(into + "/bundle/bundle.txt") ? into + "/bundle" : into;
  EXPECT_EQ(read(base + "/bundle.txt"), "bundle content\n");
  EXPECT_EQ(read(base + "/sub/d.txt"), "deep\n");

  GhResult named = Gh("run download " + R(ci_run_) + " -n bundle -D " + Quote(home_ + "/named"));
  EXPECT_EQ(named.code, 0) << named.err;
  ExpectCleanErr(named);
  EXPECT_EQ(read(home_ + "/named/bundle.txt"), "bundle content\n");
}

TEST_F(GhTest, WorkflowListAndViewShowTheProjectsWorkflows) {
  GhResult list = Gh("workflow list");
  EXPECT_EQ(list.code, 0) << list.err;
  ExpectCleanErr(list);
  json workflows = V3("/repos/" + project_->name + "/actions/workflows")["workflows"];
  ASSERT_EQ(workflows.size(), 6u) << workflows.dump();
  for (const json& w : workflows) {
    EXPECT_THAT(list.out, HasSubstr(w.value("name", "") + "\tactive\t" +
                                    std::to_string(w["id"].get<int64_t>()) + "\n"));
  }
  EXPECT_THAT(list.out, HasSubstr("CI\tactive\t"));
  EXPECT_THAT(list.out, HasSubstr("Late failure\tactive\t"));

  GhResult view = Gh("workflow view CI");
  EXPECT_EQ(view.code, 0) << view.err;
  ExpectCleanErr(view);
  EXPECT_THAT(view.out, HasSubstr("CI - ci.yml\nID: "));
  EXPECT_THAT(view.out, HasSubstr("Total runs "));
  EXPECT_THAT(view.out, HasSubstr("completed\tfailure\tadd the shop\tCI\tmain\tpush\t"));

  GhResult by_file = Gh("workflow view deploy.yml --yaml");
  EXPECT_EQ(by_file.code, 0) << by_file.err;
  ExpectCleanErr(by_file);
  EXPECT_EQ(by_file.out, kDeploy);

  GhResult missing = Gh("workflow view nope.yml");
  EXPECT_EQ(missing.code, 1);
  // What gh says for a file GitHub does not have either.
  EXPECT_THAT(missing.err, HasSubstr("HTTP 404: Not Found"));
  EXPECT_THAT(missing.err, HasSubstr("/actions/workflows/nope.yml"));
}

TEST_F(GhTest, WorkflowRunDispatchesWithInputs) {
  HttpReply before;
  int64_t total = V3("/repos/" + project_->name + "/actions/runs?event=workflow_dispatch", &before)
                      .value("total_count", int64_t{0});
  GhResult r = Gh("workflow run Deploy -f environment=production");
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectCleanErr(r);
  json runs = V3("/repos/" + project_->name + "/actions/runs?event=workflow_dispatch&per_page=1");
  ASSERT_EQ(runs.value("total_count", int64_t{0}), total + 1) << runs.dump();
  const json& run = runs["workflow_runs"][0];
  EXPECT_EQ(run.value("name", ""), "Deploy");
  EXPECT_EQ(run.value("head_branch", ""), "main");
  int64_t id = run["id"].get<int64_t>();
  json done = WaitRun(user_, id, 60, url_);
  EXPECT_EQ(done.value("conclusion", ""), "success") << done.dump(2);
  EXPECT_EQ(done["inputs"].value("environment", ""), "production");
  GhResult log = Gh("run view " + R(id) + " --log");
  EXPECT_EQ(log.code, 0) << log.err;
  ExpectCleanErr(log);
  EXPECT_THAT(log.out, HasSubstr(" deploying to production\n"));

  GhResult by_file = Gh("workflow run deploy.yml --ref main");
  EXPECT_EQ(by_file.code, 0) << by_file.err;
  ExpectCleanErr(by_file);
  json next = V3("/repos/" + project_->name + "/actions/workflows/deploy.yml/runs?per_page=1");
  EXPECT_EQ(next.value("total_count", int64_t{0}), 2) << next.dump();
}

TEST_F(GhTest, RunWatchExitsNonZeroForAFailingRun) {
  int64_t id = Dispatch("late-fail.yaml");
  GhResult r = Gh("run watch " + R(id) + " --exit-status --interval 1");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  ExpectCleanErr(r);
  EXPECT_THAT(r.out, HasSubstr("Late failure · " + R(id))) << r.out;
  EXPECT_THAT(r.out, HasSubstr("X late in ")) << r.out;
  json run = V3("/repos/" + project_->name + "/actions/runs/" + R(id));
  EXPECT_EQ(run.value("status", ""), "completed");
  EXPECT_EQ(run.value("conclusion", ""), "failure");

  GhResult again = Gh("run watch " + R(id) + " --exit-status");
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.out,
              HasSubstr("Run Late failure (" + R(id) + ") has already completed with 'failure'"));
}

TEST_F(GhTest, RunCancelStopsALongRun) {
  int64_t id = Dispatch("slow.yml");
  for (int i = 0; i < 200; ++i) {
    if (V3("/repos/" + project_->name + "/actions/runs/" + R(id)).value("status", "") ==
        "in_progress") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  GhResult r = Gh("run cancel " + R(id), true, "", "GH_FORCE_TTY=1");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  ExpectCleanErr(r);
  EXPECT_THAT(r.out, HasSubstr("Request to cancel workflow submitted."));
  json done = WaitRun(user_, id, 30, url_);
  EXPECT_EQ(done.value("conclusion", ""), "cancelled");
  GhResult view = Gh("run view " + R(id));
  EXPECT_THAT(view.out, HasSubstr("X main Slow · " + R(id)));

  GhResult twice = Gh("run cancel " + R(id));
  EXPECT_EQ(twice.code, 1);
  EXPECT_THAT(twice.err, HasSubstr("Cannot cancel a workflow run that is completed"));
}

TEST_F(GhTest, RunRerunStartsNewAttempts) {
  int64_t id = Dispatch("quick-fail.yml");
  json first = WaitRun(user_, id, 60, url_);
  ASSERT_EQ(first.value("conclusion", ""), "failure");

  GhResult failed = Gh("run rerun " + R(id) + " --failed", true, "", "GH_FORCE_TTY=1");
  EXPECT_EQ(failed.code, 0) << failed.out << failed.err;
  ExpectCleanErr(failed);
  EXPECT_THAT(failed.out, HasSubstr("Requested rerun (failed jobs) of run " + R(id)));
  json second = WaitRun(user_, id, 60, url_);
  EXPECT_EQ(second.value("attempt", 0), 2);
  json jobs = V3("/repos/" + project_->name + "/actions/runs/" + R(id) + "/jobs");
  EXPECT_EQ(jobs.value("total_count", 0), 2) << jobs.dump();

  GhResult all = Gh("run rerun " + R(id));
  EXPECT_EQ(all.code, 0) << all.err;
  ExpectCleanErr(all);
  EXPECT_EQ(all.out, "");  // not a terminal: gh says nothing on success
  json third = WaitRun(user_, id, 60, url_);
  EXPECT_EQ(third.value("attempt", 0), 3);
  const json* bad = JobNamed(third, "bad");
  ASSERT_NE(bad, nullptr) << third.dump(2);
  GhResult job = Gh("run rerun --job " + R((*bad)["id"].get<int64_t>()));
  EXPECT_EQ(job.code, 0) << job.err;
  ExpectCleanErr(job);
  EXPECT_EQ(WaitRun(user_, id, 60, url_).value("attempt", 0), 4);
  GhResult view = Gh("run view " + R(id) + " --json attempt,conclusion", true);
  // gh 2.23 has no `attempt` field: it names the fields it knows.
  EXPECT_THAT(view.err, HasSubstr("Unknown JSON field: \"attempt\""));
}

}  // namespace
}  // namespace gantry::testing
