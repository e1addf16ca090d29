// Deployments against the shared server: pushes running a job with `environment: staging`
// record deployments (older successful ones become inactive), a failed deployment is rolled
// back to the previous good commit by a new run, `gantry deployment list|rollback`, bad input;
// and a cancelled run still runs its `if: always()` teardown job.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

std::string DeployWorkflow(const std::string& deploy_step) {
  return R"(name: Deploy
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: ${{ 'staging' }}
      url: https://staging.example/${{ github.sha }}
    steps:
      - run: )" +
         deploy_step + "\n";
}

std::string V1(const Project& p, const std::string& path) {
  return Url() + "/api/v1/projects/" + p.name + path;
}

int64_t PushRun(const Project& p, const std::string& sha) {
  HttpReply push = Push(p, sha, Unique("dep-push"));
  EXPECT_EQ(push.status, 202) << push.body;
  return push.Json()["runs"][0].get<int64_t>();
}

json Deployments(const User& u, const Project& p, const std::string& query) {
  HttpReply r = Http("GET", V1(p, "/deployments" + query), "", u.Auth());
  EXPECT_EQ(r.status, 200) << r.body;
  return r.Json()["deployments"];
}

TEST(DeploymentsTest, RecordedPerEnvironmentAndRolledBackToThePreviousGoodCommit) {
  User u = SignUp(Url(), Unique("dep"));
  Project p = MakeProject(u, "deploy", {{".github/workflows/deploy.yml", DeployWorkflow("true")}});
  const std::string sha1 = p.repo->Commit("first");
  EXPECT_EQ(WaitRun(u, PushRun(p, sha1))["conclusion"], "success");
  const std::string sha2 = p.repo->Commit("second");
  const int64_t run2 = PushRun(p, sha2);
  EXPECT_EQ(WaitRun(u, run2)["conclusion"], "success");

  json list = Deployments(u, p, "?environment=staging");
  ASSERT_EQ(list.size(), 2u) << list.dump(2);
  EXPECT_EQ(list[0]["sha"], sha2);
  EXPECT_EQ(list[0]["status"], "success");
  EXPECT_EQ(list[0]["run_id"], run2);
  EXPECT_EQ(list[0]["job_id"], "deploy");
  EXPECT_EQ(list[0]["ref"], "refs/heads/main");
  EXPECT_EQ(list[0]["environment"], "staging");
  EXPECT_EQ(list[0]["url"], "https://staging.example/" + sha2);
  EXPECT_TRUE(list[0]["created_at"].is_string());
  EXPECT_TRUE(list[0]["updated_at"].is_string());
  EXPECT_EQ(list[1]["sha"], sha1);
  EXPECT_EQ(list[1]["status"], "inactive");

  // A failing third deployment: the rollback goes back to the second's commit.
  p.repo->Write(".github/workflows/deploy.yml", DeployWorkflow("exit 1"));
  const std::string sha3 = p.repo->Commit("third");
  EXPECT_EQ(WaitRun(u, PushRun(p, sha3))["conclusion"], "failure");
  list = Deployments(u, p, "");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["status"], "failure");
  EXPECT_EQ(list[1]["status"], "success");
  EXPECT_EQ(Deployments(u, p, "?environment=production").size(), 0u);
  EXPECT_EQ(Deployments(u, p, "?limit=1").size(), 1u);

  HttpReply rb = Http("POST", V1(p, "/deployments/rollback"),
                      json{{"environment", "staging"}}.dump(), u.Auth());
  ASSERT_EQ(rb.status, 201) << rb.body;
  json run = rb.Json()["run"];
  EXPECT_EQ(run["event"], "workflow_dispatch");
  EXPECT_EQ(run["head_sha"], sha2) << run.dump(2);
  EXPECT_EQ(rb.Json()["target"]["run_id"], run2);
  json done = WaitRun(u, run["id"].get<int64_t>());
  EXPECT_EQ(done["conclusion"], "success");
  list = Deployments(u, p, "?environment=staging");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0]["sha"], sha2);
  EXPECT_EQ(list[0]["status"], "success");
  EXPECT_EQ(list[0]["run_id"], run["id"]);
  EXPECT_EQ(list[2]["status"], "inactive");  // the second, live until the rollback's deploy

  // A rollback now goes back past the live commit to the first.
  rb = Http("POST", V1(p, "/deployments/rollback"), json{{"environment", "staging"}}.dump(),
            u.Auth());
  ASSERT_EQ(rb.status, 201) << rb.body;
  EXPECT_EQ(rb.Json()["target"]["sha"], sha1);
  WaitRun(u, rb.Json()["run"]["id"].get<int64_t>());

  // GitHub's shape.
  HttpReply gh = Http("GET", Url() + "/api/v3/repos/" + p.name + "/deployments?environment=staging",
                      "", u.Auth());
  ASSERT_EQ(gh.status, 200) << gh.body;
  ASSERT_TRUE(gh.Json().is_array());
  EXPECT_EQ(gh.Json()[0]["sha"], sha1);
  EXPECT_EQ(gh.Json()[0]["ref"], "main");
  std::string id = std::to_string(gh.Json()[0]["id"].get<int64_t>());
  HttpReply st = Http("GET", Url() + "/api/v3/repos/" + p.name + "/deployments/" + id + "/statuses",
                      "", u.Auth());
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(st.Json()[0]["state"], "success");
  EXPECT_EQ(st.Json()[0]["environment_url"], "https://staging.example/" + sha1);

  // The CLI.
  std::string home = TempDir("dep-cli");
  std::string env = "env NO_COLOR=1 HOME=" + Quote(home) +
                    " GANTRY_CONFIG_DIR=" + Quote(home + "/cfg") + " GANTRY_URL=" + Quote(Url()) +
                    " GANTRY_TOKEN=" + Quote(u.token) + " " + GANTRY_BINARY + " ";
  auto cli = [&](const std::string& args, int* code) {
    std::string out = home + "/out";
    int status = std::system((env + args + " >" + Quote(out) + " 2>&1").c_str());
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  int code = -1;
  std::string out = cli("deployment list staging -L 2 -p " + p.name, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\tstaging\tsuccess\t" + sha1.substr(0, 7) + "\t"));
  EXPECT_THAT(out, HasSubstr("\tstaging\tinactive\t" + sha2.substr(0, 7) + "\t"));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  out = cli("deployment list -p " + p.name + " --json sha,status -L 1", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(json::parse(out), json::array({{{"sha", sha1}, {"status", "success"}}}));
  out = cli("deployment list production -p " + p.name, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("No deployments to production"));
  out = cli("deployment rollback staging -p " + p.name, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("✓ Rolling staging back to " + sha2.substr(0, 7)));
  EXPECT_THAT(out, HasSubstr("gantry run watch "));
  out = cli("deployment rollback nowhere -p " + p.name, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("nowhere"));
  out = cli("deployment --help", &code);
  EXPECT_THAT(out, HasSubstr("Examples:"));
  for (const json& d : Deployments(u, p, "?limit=1")) {
    WaitRun(u, d["run_id"].get<int64_t>());
  }
}

TEST(DeploymentsTest, BadInputIsAJsonErrorNamingTheField) {
  User u = SignUp(Url(), Unique("depbad"));
  Project p =
      MakeProject(u, "deploybad", {{".github/workflows/deploy.yml", DeployWorkflow("true")}});
  auto error = [](const HttpReply& r) { return r.Json()["error"]; };
  HttpReply r = Http("POST", V1(p, "/deployments/rollback"), "{}", u.Auth());
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(error(r)["field"], "environment");
  r = Http("POST", V1(p, "/deployments/rollback"), R"({"environment": 5})", u.Auth());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error(r)["field"], "environment");
  r = Http("POST", V1(p, "/deployments/rollback"), R"({"environment": "staging"})", u.Auth());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(error(r)["field"], "environment");
  EXPECT_THAT(error(r)["message"].get<std::string>(), HasSubstr("staging"));
  r = Http("GET", V1(p, "/deployments?limit=0"), "", u.Auth());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error(r)["field"], "limit");
  // Only one successful deployment: nothing to roll back to.
  EXPECT_EQ(WaitRun(u, PushRun(p, p.repo->Commit("one")))["conclusion"], "success");
  r = Http("POST", V1(p, "/deployments/rollback"), R"({"environment": "staging"})", u.Auth());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(error(r)["code"], "nothing_to_roll_back");
  // Another user neither sees nor rolls back the project's deployments.
  User other = SignUp(Url(), Unique("depother"));
  EXPECT_EQ(Http("GET", V1(p, "/deployments"), "", other.Auth()).status, 404);
  EXPECT_EQ(
      Http("POST", V1(p, "/deployments/rollback"), R"({"environment": "staging"})", other.Auth())
          .status,
      404);
}

TEST(DeploymentsTest, CancelledRunStillRunsItsAlwaysTeardown) {
  User u = SignUp(Url(), Unique("teardown"));
  Project p = MakeProject(u, "ephemeral", {{".github/workflows/env.yml", R"(name: Ephemeral
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: pr-preview
    steps:
      - run: sleep 30
  teardown:
    needs: deploy
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "tearing down after ${{ needs.deploy.result }}"
  report:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: echo never
)"}});
  const int64_t run = PushRun(p, p.repo->Commit("go"));
  // Cancel while deploy runs.
  json j;
  for (int i = 0; i < 400; ++i) {
    j = Http("GET", Url() + "/api/v1/runs/" + std::to_string(run), "", u.Auth()).Json();
    const json* deploy = JobNamed(j, "deploy");
    if (deploy != nullptr && deploy->value("status", "") == "in_progress") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  HttpReply cancel =
      Http("POST", Url() + "/api/v1/runs/" + std::to_string(run) + "/cancel", "", u.Auth());
  EXPECT_EQ(cancel.status / 100, 2) << cancel.body;
  j = WaitRun(u, run, 30);
  EXPECT_EQ(j["conclusion"], "cancelled");
  const json* deploy = JobNamed(j, "deploy");
  const json* teardown = JobNamed(j, "teardown");
  ASSERT_TRUE(deploy != nullptr && teardown != nullptr) << j.dump(2);
  EXPECT_EQ((*deploy)["conclusion"], "cancelled");
  EXPECT_EQ((*teardown)["conclusion"], "success") << j.dump(2);
  EXPECT_THAT(JobLog(u, *teardown), HasSubstr("tearing down after cancelled"));
  const json* report = JobNamed(j, "report");
  if (report != nullptr) {
    EXPECT_NE((*report)["conclusion"], "success");
  }
  json list = Deployments(u, p, "?environment=pr-preview");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "cancelled");
}

}  // namespace
}  // namespace gantry::testing
