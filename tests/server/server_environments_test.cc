// Environments and approvals through the shared server: a job naming a protected environment
// waits (run and job "waiting", in /api/v1 and gh's /api/v3) until a reviewer approves it
// through the API or `gantry run approve`, then runs with the environment's secrets and vars;
// a rejection fails it and skips what needs it; a ref the environment does not allow fails it;
// a wait timer holds it back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_client_util.h"
#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Workflow(const std::string& env) {
  return "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
         "      - run: echo built\n"
         "  deploy:\n    needs: build\n    runs-on: ubuntu-latest\n    environment:\n"
         "      name: " +
         env +
         "\n      url: https://shop.example/${{ github.ref_name }}/${{ vars.WHERE }}\n"
         "    steps:\n"
         "      - run: echo \"token=${{ secrets.DEPLOY_TOKEN }} where=${{ vars.WHERE }}\"\n"
         "  after:\n    needs: deploy\n    runs-on: ubuntu-latest\n    steps:\n"
         "      - run: echo after\n";
}

class EnvironmentsTest : public ::testing::Test {
 protected:
  void SetUp() override { user_ = SignUp(Url(), Unique("envuser")); }
  // A project whose deploy job names `env`, with `rules` PUT on that environment.
  void Make(const std::string& env, const json& rules) {
    project_ = MakeProject(user_, Unique("envs"), {{".github/workflows/cd.yml", Workflow(env)}});
    HttpReply put = Http("PUT", Api("/environments/" + env), rules.dump(), user_.Auth());
    ASSERT_EQ(put.status, 200) << put.body;
  }
  std::string Api(const std::string& path) const {
    return Url() + "/api/v1/projects/" + project_.name + path;
  }
  int64_t PushRun() {
    HttpReply hook = Push(project_, project_.repo->Commit(Unique("change")), Unique("env-push"));
    EXPECT_EQ(hook.status, 202) << hook.body;
    return hook.Json()["runs"][0].get<int64_t>();
  }
  json Run(int64_t id) {
    return Http("GET", Url() + "/api/v1/runs/" + std::to_string(id), "", user_.Auth()).Json();
  }
  json WaitWaiting(int64_t id) {
    json run;
    bool waiting = Eventually(
        [&] {
          run = Run(id);
          return run.value("status", "") == "waiting";
        },
        30);
    EXPECT_TRUE(waiting) << run.dump(2);
    return run;
  }
  HttpReply Decide(int64_t id, const json& body) {
    return Http("POST", Url() + "/api/v1/runs/" + std::to_string(id) + "/approvals", body.dump(),
                user_.Auth());
  }
  User user_;
  Project project_;
};

TEST_F(EnvironmentsTest, ApprovedJobRunsWithTheEnvironmentsSecretsAndVars) {
  Make("production", {{"reviewers", {user_.name}}, {"branches", {"main"}}});
  ASSERT_EQ(Http("PUT", Api("/environments/production/secrets/DEPLOY_TOKEN"),
                 json{{"value", "s3cr3t-prod"}}.dump(), user_.Auth())
                .status,
            204);
  ASSERT_EQ(Http("PUT", Api("/secrets/DEPLOY_TOKEN"), json{{"value", "project-value"}}.dump(),
                 user_.Auth())
                .status,
            204);
  ASSERT_EQ(Http("PUT", Api("/environments/production/variables/WHERE"),
                 json{{"value", "eu"}}.dump(), user_.Auth())
                .status,
            204);
  json names = Http("GET", Api("/environments/production/secrets"), "", user_.Auth()).Json();
  EXPECT_EQ(names["secrets"][0].value("name", ""), "DEPLOY_TOKEN");
  EXPECT_FALSE(names["secrets"][0].contains("value"));

  int64_t id = PushRun();
  json run = WaitWaiting(id);
  const json* deploy = JobNamed(run, "deploy");
  ASSERT_NE(deploy, nullptr) << run.dump(2);
  EXPECT_EQ(deploy->value("status", ""), "waiting");
  EXPECT_EQ(deploy->value("environment", ""), "production");
  // The url sees the environment's own vars.
  EXPECT_EQ(deploy->value("environment_url", ""), "https://shop.example/main/eu");
  EXPECT_THAT(deploy->value("waiting_reason", ""), HasSubstr("approval of production"));

  // gh sees it waiting too.
  const std::string v3 =
      Url() + "/api/v3/repos/" + project_.name + "/actions/runs/" + std::to_string(id);
  json gh_run = Http("GET", v3, "", {"Authorization: token " + user_.token}).Json();
  EXPECT_EQ(gh_run.value("status", ""), "waiting") << gh_run.dump(2);
  json gh_jobs = Http("GET", v3 + "/jobs", "", {"Authorization: token " + user_.token}).Json();
  bool job_waiting = false;
  for (const json& j : gh_jobs["jobs"]) {
    job_waiting = job_waiting || j.value("status", "") == "waiting";
  }
  EXPECT_TRUE(job_waiting) << gh_jobs.dump(2);
  // Its check is pending ("Waiting") and its deployment waits, as on GitHub.
  json statuses = Http("GET",
                       Url() + "/api/v3/repos/" + project_.name + "/commits/" +
                           run.value("head_sha", "") + "/statuses",
                       "", {"Authorization: token " + user_.token})
                      .Json();
  bool pending_check = false;
  for (const json& st : statuses) {
    pending_check = pending_check || (st.value("state", "") == "pending" &&
                                      st.value("description", "") == "Waiting");
  }
  EXPECT_TRUE(pending_check) << statuses.dump(2);
  json deployments =
      Http("GET", Api("/deployments?environment=production"), "", user_.Auth()).Json();
  ASSERT_EQ(deployments["deployments"].size(), 1u) << deployments.dump(2);
  EXPECT_EQ(deployments["deployments"][0].value("status", ""), "waiting");

  json pending =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "/approvals", "", user_.Auth())
          .Json();
  ASSERT_EQ(pending["pending"].size(), 1u) << pending.dump(2);
  EXPECT_EQ(pending["pending"][0].value("environment", ""), "production");
  EXPECT_EQ(pending["pending"][0]["reviewers"][0], user_.name);

  // Bad input names the field.
  HttpReply missing = Decide(id, {{"environment", "production"}});
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_THAT(missing.body, HasSubstr("approve"));
  HttpReply unknown = Decide(id, {{"environment", "nowhere"}, {"approve", true}});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_THAT(unknown.body, HasSubstr("environment"));

  HttpReply ok = Decide(id, {{"environment", "production"}, {"approve", true}, {"comment", "go"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  run = WaitRun(user_, id);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  deploy = JobNamed(run, "deploy");
  ASSERT_NE(deploy, nullptr);
  std::string log = JobLog(user_, *deploy);
  EXPECT_THAT(log, HasSubstr("token=*** where=eu"));
  EXPECT_THAT(log, Not(HasSubstr("s3cr3t-prod")));
  EXPECT_THAT(log, Not(HasSubstr("project-value")));
  json decided =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "/approvals", "", user_.Auth())
          .Json();
  ASSERT_EQ(decided["approvals"].size(), 1u) << decided.dump(2);
  EXPECT_EQ(decided["approvals"][0].value("user", ""), user_.name);
  EXPECT_TRUE(decided["approvals"][0].value("approve", false));
  EXPECT_TRUE(decided["pending"].empty());
  // Decided already: nothing waits any more.
  EXPECT_EQ(Decide(id, {{"environment", "production"}, {"approve", true}}).status, 409);
  // The decision and the rules are in the project's audit log, with who made them.
  json audit = Http("GET", Api("/audit"), "", user_.Auth()).Json();
  std::map<std::string, std::string> by_action;
  for (const json& e : audit["events"]) {
    by_action[e.value("action", "")] = e["user"].is_string() ? e["user"].get<std::string>() : "";
  }
  EXPECT_EQ(by_action["environment.approve"], user_.name) << audit.dump(2);
  EXPECT_EQ(by_action["environment.put"], user_.name) << audit.dump(2);
  EXPECT_EQ(Http("GET", Api("/audit?limit=0"), "", user_.Auth()).status, 400);
  deployments = Http("GET", Api("/deployments?environment=production"), "", user_.Auth()).Json();
  EXPECT_EQ(deployments["deployments"][0].value("status", ""), "success") << deployments.dump(2);
}

TEST_F(EnvironmentsTest, RejectedJobFailsAndItsDependentsAreSkipped) {
  Make("production", {{"reviewers", {user_.name}}});
  int64_t id = PushRun();
  WaitWaiting(id);
  HttpReply no = Decide(
      id,
      {{"environment", "production"}, {"approve", false}, {"comment", "not during the freeze"}});
  ASSERT_EQ(no.status, 200) << no.body;
  json run = WaitRun(user_, id);
  EXPECT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
  const json* deploy = JobNamed(run, "deploy");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->value("conclusion", ""), "failure");
  EXPECT_THAT(deploy->value("error", ""),
              HasSubstr("rejected by " + user_.name + ": not during the freeze"));
  const json* after = JobNamed(run, "after");
  ASSERT_NE(after, nullptr) << run.dump(2);
  EXPECT_EQ(after->value("conclusion", ""), "skipped");
}

TEST_F(EnvironmentsTest, RefNotAllowedFailsTheJobNamingEnvironmentAndRef) {
  Make("prod-tags", {{"branches", {"refs/tags/v*"}}});
  int64_t id = PushRun();
  json run = WaitRun(user_, id);
  EXPECT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
  const json* deploy = JobNamed(run, "deploy");
  ASSERT_NE(deploy, nullptr) << run.dump(2);
  EXPECT_THAT(deploy->value("error", ""), HasSubstr("refs/heads/main"));
  EXPECT_THAT(deploy->value("error", ""), HasSubstr("prod-tags"));
}

TEST_F(EnvironmentsTest, CliApprovalThenWaitTimer) {
  Make("staging", {{"reviewers", {user_.name}}, {"wait_timer", 2}});
  int64_t id = PushRun();
  WaitWaiting(id);
  CliResult view = Gantry(user_, "run view " + std::to_string(id));
  EXPECT_THAT(view.out, HasSubstr("waiting for approval of staging")) << view.out << view.err;
  EXPECT_THAT(view.out, HasSubstr("gantry run approve " + std::to_string(id) + " --env staging"));
  CliResult list = Gantry(user_, "run list -p " + project_.name);
  EXPECT_THAT(list.out, HasSubstr("waiting for approval of staging")) << list.out << list.err;
  auto approved_at = std::chrono::steady_clock::now();
  CliResult cli = Gantry(user_, "run approve " + std::to_string(id) + " --env staging -m ok");
  ASSERT_EQ(cli.code, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("Approved staging"));
  json run = WaitRun(user_, id);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  EXPECT_GE(std::chrono::steady_clock::now() - approved_at, std::chrono::seconds(2));
}

TEST_F(EnvironmentsTest, BadEnvironmentRulesNameTheField) {
  project_ = MakeProject(user_, Unique("envbad"), {{"README", "x"}});
  HttpReply stranger = Http("PUT", Api("/environments/production"),
                            json{{"reviewers", {"nobody-here"}}}.dump(), user_.Auth());
  EXPECT_EQ(stranger.status, 422) << stranger.body;
  EXPECT_THAT(stranger.body, HasSubstr("reviewers[0]"));
  HttpReply timer =
      Http("PUT", Api("/environments/production"), json{{"wait_timer", -1}}.dump(), user_.Auth());
  EXPECT_EQ(timer.status, 422) << timer.body;
  EXPECT_THAT(timer.body, HasSubstr("wait_timer"));
  HttpReply ok =
      Http("PUT", Api("/environments/production"), json{{"wait_timer", 5}}.dump(), user_.Auth());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Http("GET", Api("/environments"), "", user_.Auth()).Json()["environments"].size(), 1u);
  EXPECT_EQ(Http("DELETE", Api("/environments/production"), "", user_.Auth()).status, 204);
  EXPECT_EQ(Http("GET", Api("/environments/production"), "", user_.Auth()).status, 404);
}

// A review nobody answers within --approval-timeout rejects the job (a server of its own: the
// shared one waits 30 days).
TEST(EnvironmentsTimeoutTest, AnUnansweredReviewTimesOutAndFailsTheJob) {
  std::string dir = TempDir("env-timeout");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_env_timeout_test"),
               {"--approval-timeout", "2s", "--executor-capacity", "2"});
  User user = SignUp(server.url(), "timeouts");
  Project project =
      MakeProject(user, "shop", {{".github/workflows/cd.yml", Workflow("prod")}}, server.url());
  const std::string api = server.url() + "/api/v1/projects/" + project.name;
  ASSERT_EQ(
      Http("PUT", api + "/environments/prod", json{{"reviewers", {user.name}}}.dump(), user.Auth())
          .status,
      200);
  const std::string sha = project.repo->Commit("change");
  const std::string body = json{{"ref", "refs/heads/main"},
                                {"before", std::string(40, '0')},
                                {"after", sha},
                                {"head_commit", {{"id", sha}, {"message", "change"}}}}
                               .dump();
  HttpReply hook = Http(
      "POST", server.url() + "/api/v1/hooks/" + project.name, body,
      {"X-GitHub-Event: push", "X-GitHub-Delivery: timeout-1",
       "X-Hub-Signature-256: " + Hmac(project.secret, body), "Content-Type: application/json"});
  ASSERT_EQ(hook.status, 202) << hook.body;
  const int64_t id = hook.Json()["runs"][0].get<int64_t>();
  json run = WaitRun(user, id, 60, server.url());
  EXPECT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
  const json* deploy = JobNamed(run, "deploy");
  ASSERT_NE(deploy, nullptr) << run.dump(2);
  EXPECT_THAT(deploy->value("error", ""), HasSubstr("the review of environment prod timed out"));
  const json* after = JobNamed(run, "after");
  ASSERT_NE(after, nullptr) << run.dump(2);
  EXPECT_EQ(after->value("conclusion", ""), "skipped");
  json audit = Http("GET", api + "/audit", "", user.Auth()).Json();
  bool timed_out = false;
  for (const json& e : audit["events"]) {
    timed_out =
        timed_out || (e.value("action", "") == "environment.timeout" && e["user"].is_null());
  }
  EXPECT_TRUE(timed_out) << audit.dump(2);
  server.Stop();
}

}  // namespace
}  // namespace gantry::testing
