// Integration tests of `gantry server`: the real binary on port 0, driven over HTTP, against
// SQLite (default) or PostgreSQL (GANTRY_TEST_DATABASE=postgres). One server serves the whole
// binary; tests that kill or restart a server start their own.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char kPipeline[] = R"(name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
      - run: echo "token is ${{ secrets.DEPLOY_TOKEN }}"
      - run: echo "::warning file=src/app.c,line=7::check this"
      - run: echo "## Built 1.2.3" >> "$GITHUB_STEP_SUMMARY"
      - run: mkdir -p out && echo hello > out/a.txt
      - uses: actions/upload-artifact@v4
        with:
          name: bundle
          path: out/
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ needs.build.outputs.version }}" = 1.2.3
      - run: echo "tested ${{ needs.build.outputs.version }} with ${{ vars.LEVEL }}"
)";

TEST(ServerTest, HealthReadyAndMetrics) {
  HttpReply h = Http("GET", Url() + "/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Json().value("status", ""), "ok");
  EXPECT_FALSE(h.Json().value("version", "").empty());
  EXPECT_EQ(Http("GET", Url() + "/ready").status, 200);
  HttpReply m = Http("GET", Url() + "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_THAT(m.body, HasSubstr("gantry_http_requests_total"));
  EXPECT_THAT(m.body, HasSubstr("gantry_queue_depth"));
}

TEST(ServerTest, SignupLoginTokensAndLogout) {
  std::string name = Unique("bob");
  HttpReply s =
      Http("POST", Url() + "/api/v1/auth/signup",
           json{{"username", name}, {"password", "a long password"}, {"email", "b@x.org"}}.dump());
  ASSERT_EQ(s.status, 201) << s.body;
  EXPECT_EQ(s.Json()["user"].value("username", ""), name);
  EXPECT_GT(s.Json()["user"].value("id", 0), 0);
  EXPECT_FALSE(s.Json()["user"].value("is_admin", true));  // only the first user is admin
  HttpReply dup = Http("POST", Url() + "/api/v1/auth/signup",
                       json{{"username", name}, {"password", "a long password"}}.dump());
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.Json()["error"].value("field", ""), "username");
  EXPECT_EQ(Http("POST", Url() + "/api/v1/auth/login",
                 json{{"username", name}, {"password", "wrong password"}}.dump())
                .status,
            401);
  HttpReply l = Http("POST", Url() + "/api/v1/auth/login",
                     json{{"username", name}, {"password", "a long password"}}.dump());
  ASSERT_EQ(l.status, 200) << l.body;
  std::string token = l.Json().value("token", "");
  User u{name, token};
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", u.Auth()).Json().value("username", ""), name);
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user").status, 401);
  // A personal access token works with both schemes, is listed without its value, and dies
  // when deleted.
  HttpReply pat =
      Http("POST", Url() + "/api/v1/user/tokens",
           json{{"name", "ci"}, {"scopes", {"repo"}}, {"expires_in_days", 30}}.dump(), u.Auth());
  ASSERT_EQ(pat.status, 201) << pat.body;
  std::string pat_token = pat.Json().value("token", "");
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", {"Authorization: token " + pat_token}).status,
            200);
  HttpReply list = Http("GET", Url() + "/api/v1/user/tokens", "", u.Auth());
  EXPECT_THAT(list.body, HasSubstr("\"ci\""));
  EXPECT_THAT(list.body, Not(HasSubstr(pat_token)));
  // A read-only token reads but cannot write.
  HttpReply ro = Http("POST", Url() + "/api/v1/user/tokens",
                      json{{"name", "ro"}, {"scopes", {"read"}}}.dump(), u.Auth());
  ASSERT_EQ(ro.status, 201) << ro.body;
  User ro_user{name, ro.Json().value("token", "")};
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", ro_user.Auth()).status, 200);
  HttpReply denied =
      Http("POST", Url() + "/api/v1/user/tokens", json{{"name", "x"}}.dump(), ro_user.Auth());
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.body, HasSubstr("read"));
  int64_t id = pat.Json().value("id", int64_t{0});
  EXPECT_EQ(
      Http("DELETE", Url() + "/api/v1/user/tokens/" + std::to_string(id), "", u.Auth()).status,
      204);
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", {"Authorization: Bearer " + pat_token}).status,
            401);
  EXPECT_EQ(Http("POST", Url() + "/api/v1/auth/logout", "", u.Auth()).status, 204);
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", u.Auth()).status, 401);
}

TEST(ServerTest, BadRequestsGetPreciseJsonErrors) {
  auto err = [](const HttpReply& r) { return r.Json()["error"]; };
  HttpReply bad = Http("POST", Url() + "/api/v1/auth/signup", "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(err(bad).value("code", ""), "invalid_json");
  HttpReply unknown =
      Http("POST", Url() + "/api/v1/auth/signup",
           json{{"username", "x"}, {"password", "12345678"}, {"admin", true}}.dump());
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(err(unknown).value("field", ""), "admin");
  HttpReply type =
      Http("POST", Url() + "/api/v1/auth/login", json{{"username", 5}, {"password", "x"}}.dump());
  EXPECT_EQ(type.status, 400);
  EXPECT_EQ(err(type).value("field", ""), "username");
  HttpReply missing = Http("POST", Url() + "/api/v1/auth/login", json{{"username", "x"}}.dump());
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(err(missing).value("field", ""), "password");
  HttpReply big =
      Http("POST", Url() + "/api/v1/auth/login", std::string(size_t{2} * 1024 * 1024, 'x'));
  EXPECT_EQ(big.status, 413);
  HttpReply nowhere = Http("GET", Url() + "/api/v1/nowhere");
  EXPECT_EQ(nowhere.status, 404);
  EXPECT_FALSE(err(nowhere).value("message", "").empty());
  EXPECT_EQ(Http("DELETE", Url() + "/health").status, 405);
}

TEST(ServerTest, RolesAreCheckedOnEveryEndpointClass) {
  User owner = SignUp(Url(), Unique("owner"));
  Project p = MakeProject(owner, "roles",
                          {{".github/workflows/ci.yml",
                            "on: [push, workflow_dispatch]\njobs:\n  a:\n    runs-on: "
                            "ubuntu-latest\n    steps:\n      - run: true\n"}});
  std::map<std::string, User> users;
  for (std::string role : {"viewer", "developer", "maintainer"}) {
    users[role] = SignUp(Url(), Unique(role));
    EXPECT_EQ(Http("PUT", Url() + "/api/v1/projects/" + p.name + "/members/" + users[role].name,
                   json{{"role", role}}.dump(), owner.Auth())
                  .status,
              204);
  }
  users["stranger"] = SignUp(Url(), Unique("stranger"));
  users["owner"] = owner;
  struct Call {
    std::string method, path, body;
    std::string min_role;
    int ok_status;
  };
  std::string base = "/api/v1/projects/" + p.name;
  std::vector<Call> calls = {
      {"GET", base, "", "viewer", 200},
      {"GET", base + "/runs", "", "viewer", 200},
      {"GET", base + "/variables", "", "viewer", 200},
      {"GET", base + "/secrets", "", "developer", 200},
      {"POST", base + "/workflows/ci.yml/dispatches", R"({"ref":"main"})", "developer", 201},
      {"PUT", base + "/secrets/TOKEN", R"({"value":"s3cret-value"})", "maintainer", 204},
      {"PUT", base + "/variables/LEVEL", R"({"value":"3"})", "maintainer", 204},
      {"GET", base + "/members", "", "viewer", 200},
      {"PATCH", base, R"({"poll_interval":0})", "maintainer", 200},
      {"POST", base + "/webhook-secret", "", "maintainer", 200},
  };
  auto rank = [](const std::string& r) {
    return r == "viewer" ? 1 : r == "developer" ? 2 : r == "maintainer" ? 3 : r == "owner" ? 4 : 0;
  };
  for (const auto& [role, user] : users) {
    for (const Call& c : calls) {
      HttpReply r = Http(c.method, Url() + c.path, c.body, user.Auth());
      int want = rank(role) >= rank(c.min_role) ? c.ok_status : role == "stranger" ? 404 : 403;
      EXPECT_EQ(r.status, want) << role << " " << c.method << " " << c.path << ": " << r.body;
    }
  }
  // A stranger cannot tell a project exists from one that does not.
  HttpReply none = Http("GET", Url() + "/api/v1/projects/" + owner.name + "/nothing", "",
                        users["stranger"].Auth());
  HttpReply hidden = Http("GET", Url() + base, "", users["stranger"].Auth());
  EXPECT_EQ(none.status, hidden.status);
  // Run-level endpoints follow the project's roles too.
  json runs = Http("GET", Url() + base + "/runs", "", owner.Auth()).Json();
  ASSERT_FALSE(runs["runs"].empty()) << runs.dump();
  std::string run = "/api/v1/runs/" + std::to_string(runs["runs"][0]["id"].get<int64_t>());
  EXPECT_EQ(Http("GET", Url() + run, "", users["stranger"].Auth()).status, 404);
  EXPECT_EQ(Http("GET", Url() + run, "", users["viewer"].Auth()).status, 200);
  EXPECT_EQ(Http("POST", Url() + run + "/rerun", "{}", users["viewer"].Auth()).status, 403);
}

TEST(ServerTest, WebhookSignaturesReplayAndMalformedPayloads) {
  User u = SignUp(Url(), Unique("hooks"));
  Project p = MakeProject(
      u, "hooks",
      {{".github/workflows/ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n"}});
  std::string sha = p.repo->Commit("second");
  std::string body = json{{"ref", "refs/heads/main"}, {"after", sha}}.dump();
  HttpReply forged = Http("POST", Url() + "/api/v1/hooks/" + p.name, body,
                          {"X-GitHub-Event: push", "X-GitHub-Delivery: d1",
                           "X-Hub-Signature-256: " + Hmac("wrong secret", body)});
  EXPECT_EQ(forged.status, 401);
  HttpReply unsigned_ =
      Http("POST", Url() + "/api/v1/hooks/" + p.name, body, {"X-GitHub-Event: push"});
  EXPECT_EQ(unsigned_.status, 401);
  HttpReply ok = Push(p, sha, "delivery-1");
  ASSERT_EQ(ok.status, 202) << ok.body;
  ASSERT_EQ(ok.Json()["runs"].size(), 1u);
  HttpReply replay = Push(p, sha, "delivery-1");
  EXPECT_LT(replay.status, 300);
  EXPECT_TRUE(replay.Json()["runs"].empty()) << replay.body;
  std::string garbage = "{\"ref\": ";
  HttpReply malformed = Http("POST", Url() + "/api/v1/hooks/" + p.name, garbage,
                             {"X-GitHub-Event: push", "X-GitHub-Delivery: d2",
                              "X-Hub-Signature-256: " + Hmac(p.secret, garbage)});
  EXPECT_EQ(malformed.status, 400);
  // Gitea's header names work too.
  std::string sha2 = p.repo->Commit("third");
  std::string gbody = json{{"ref", "refs/heads/main"}, {"after", sha2}}.dump();
  std::string gsig = Hmac(p.secret, gbody).substr(7);
  HttpReply gitea =
      Http("POST", Url() + "/api/v1/hooks/" + p.name, gbody,
           {"X-Gitea-Event: push", "X-Gitea-Delivery: g1", "X-Gitea-Signature: " + gsig});
  EXPECT_EQ(gitea.status, 202) << gitea.body;
  json run = WaitRun(u, ok.Json()["runs"][0].get<int64_t>());
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  // A payload without head_commit (as `gantry hook post-receive` sends) takes the commit's
  // subject as the run's title.
  json gitea_run = WaitRun(u, gitea.Json()["runs"][0].get<int64_t>());
  EXPECT_EQ(gitea_run.value("display_title", ""), "third");
}

TEST(ServerTest, PushRunsToCompletionWithLogsSummariesAnnotationsArtifacts) {
  User u = SignUp(Url(), Unique("alice"));
  Project p = MakeProject(u, "shop", {{".github/workflows/ci.yml", kPipeline}});
  std::string base = "/api/v1/projects/" + p.name;
  ASSERT_EQ(
      Http("PUT", Url() + base + "/secrets/DEPLOY_TOKEN", R"({"value":"hunter2-secret"})", u.Auth())
          .status,
      204);
  ASSERT_EQ(Http("PUT", Url() + base + "/variables/LEVEL", R"({"value":"three"})", u.Auth()).status,
            204);
  std::string sha = p.repo->Commit("feature");
  HttpReply hook = Push(p, sha, Unique("push"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  int64_t id = hook.Json()["runs"][0];
  json run = WaitRun(u, id);
  ASSERT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  EXPECT_EQ(run.value("head_sha", ""), sha);
  EXPECT_EQ(run.value("event", ""), "push");
  EXPECT_EQ(run.value("display_title", ""), "a change");
  const json* build = JobNamed(run, "build");
  const json* test = JobNamed(run, "test");
  ASSERT_TRUE(build && test) << run.dump(2);
  EXPECT_EQ((*build)["outputs"].value("version", ""), "1.2.3");
  EXPECT_GE((*build)["steps"].size(), 6u);
  std::string log = JobLog(u, *build);
  EXPECT_THAT(log, HasSubstr("token is ***"));
  EXPECT_THAT(log, Not(HasSubstr("hunter2-secret")));
  EXPECT_THAT(JobLog(u, *test), HasSubstr("tested 1.2.3 with three"));
  json job = Http("GET", Url() + "/api/v1/jobs/" + std::to_string((*build)["id"].get<int64_t>()),
                  "", u.Auth())
                 .Json();
  EXPECT_THAT(job.value("summary", ""), HasSubstr("## Built 1.2.3"));
  ASSERT_FALSE(job["annotations"].empty()) << job.dump(2);
  EXPECT_EQ(job["annotations"][0].value("file", ""), "src/app.c");
  EXPECT_EQ(job["annotations"][0].value("line", 0), 7);
  json arts =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "/artifacts", "", u.Auth()).Json();
  ASSERT_EQ(arts["artifacts"].size(), 1u) << arts.dump();
  EXPECT_EQ(arts["artifacts"][0].value("name", ""), "bundle");
  HttpReply zip = Http("GET", arts["artifacts"][0].value("archive_download_url", ""), "", u.Auth());
  EXPECT_EQ(zip.status, 200);
  EXPECT_EQ(zip.body.substr(0, 2), "PK");
  // The runs list, filtered.
  json list =
      Http("GET", Url() + base + "/runs?status=success&branch=main&event=push", "", u.Auth())
          .Json();
  ASSERT_FALSE(list["runs"].empty());
  EXPECT_EQ(list["runs"][0].value("id", 0), id);
  EXPECT_TRUE(
      Http("GET", Url() + base + "/runs?event=pull_request", "", u.Auth()).Json()["runs"].empty());
}

TEST(ServerTest, PollingStartsRunsForProjectsWithoutWebhooks) {
  User u = SignUp(Url(), Unique("poll"));
  auto repo = std::make_unique<GitRepo>(TempDir("poll"));
  repo->Write(
      ".github/workflows/ci.yml",
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo polled\n");
  repo->Commit("initial");
  std::string name = u.name + "/polled";
  HttpReply r = Http(
      "POST", Url() + "/api/v1/projects",
      json{{"name", name}, {"repository", repo->remote()}, {"poll_interval", 1}}.dump(), u.Auth());
  ASSERT_EQ(r.status, 201) << r.body;
  // What was there when the project was created starts nothing; a new commit does.
  std::string sha = repo->Commit("polled change");
  json runs;
  for (int i = 0; i < 200; ++i) {
    runs = Http("GET", Url() + "/api/v1/projects/" + name + "/runs", "", u.Auth()).Json();
    if (!runs["runs"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(runs["runs"].size(), 1u) << runs.dump(2);
  EXPECT_EQ(runs["runs"][0].value("head_sha", ""), sha);
  EXPECT_EQ(runs["runs"][0].value("display_title", ""), "polled change");
  json run = WaitRun(u, runs["runs"][0]["id"].get<int64_t>());
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
}

TEST(ServerTest, DispatchValidatesInputsFieldByField) {
  User u = SignUp(Url(), Unique("carol"));
  Project p = MakeProject(u, "dispatch", {{".github/workflows/deploy.yml", R"(on:
  workflow_dispatch:
    inputs:
      env:
        type: choice
        options: [staging, production]
        required: true
      dry:
        type: boolean
        default: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying to ${{ inputs.env }} dry=${{ inputs.dry }}"
)"}});
  std::string url = Url() + "/api/v1/projects/" + p.name + "/workflows/deploy.yml/dispatches";
  HttpReply missing = Http("POST", url, R"({"ref":"main","inputs":{}})", u.Auth());
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.Json()["error"].value("field", ""), "inputs.env");
  HttpReply bad = Http("POST", url, R"({"ref":"main","inputs":{"env":"moon"}})", u.Auth());
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.body, HasSubstr("staging"));
  HttpReply unknown =
      Http("POST", url, R"({"ref":"main","inputs":{"env":"staging","x":"1"}})", u.Auth());
  EXPECT_EQ(unknown.Json()["error"].value("field", ""), "inputs.x");
  EXPECT_EQ(Http("POST", url, R"({"ref":"nope","inputs":{"env":"staging"}})", u.Auth()).status,
            422);
  HttpReply ok =
      Http("POST", url, R"({"ref":"main","inputs":{"env":"staging","dry":false}})", u.Auth());
  ASSERT_EQ(ok.status, 201) << ok.body;
  json run = WaitRun(u, ok.Json()["runs"][0].get<int64_t>());
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  EXPECT_EQ(run.value("event", ""), "workflow_dispatch");
  EXPECT_THAT(JobLog(u, run["jobs"][0]), HasSubstr("deploying to staging dry=false"));
}

TEST(ServerTest, CancelStopsARunningJobAndConcludesCancelled) {
  User u = SignUp(Url(), Unique("dave"));
  Project p = MakeProject(u, "cancel", {{".github/workflows/long.yml", R"(on: workflow_dispatch
jobs:
  long:
    runs-on: ubuntu-latest
    steps:
      - run: echo started; sleep 120
      - if: always()
        run: echo cleanup ran
  after:
    needs: long
    runs-on: ubuntu-latest
    steps:
      - run: echo never
)"}});
  HttpReply d =
      Http("POST", Url() + "/api/v1/projects/" + p.name + "/workflows/long.yml/dispatches", "{}",
           u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  int64_t id = d.Json()["runs"][0];
  std::string run_url = Url() + "/api/v1/runs/" + std::to_string(id);
  // Wait until the step runs, then cancel.
  for (int i = 0; i < 400; ++i) {
    json r = Http("GET", run_url, "", u.Auth()).Json();
    if (!r["jobs"].empty() && JobLog(u, r["jobs"][0]).find("started") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Http("POST", run_url + "/cancel", "", u.Auth()).status, 202);
  json run = WaitRun(u, id, 30);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(run.value("conclusion", ""), "cancelled") << run.dump(2);
  const json* long_job = JobNamed(run, "long");
  ASSERT_TRUE(long_job);
  EXPECT_EQ(long_job->value("conclusion", ""), "cancelled");
  EXPECT_THAT(JobLog(u, *long_job), HasSubstr("cleanup ran"));
  const json* after = JobNamed(run, "after");
  ASSERT_TRUE(after);
  EXPECT_NE(after->value("conclusion", ""), "success");
}

TEST(ServerTest, RerunFailedJobsKeepsSuccessfulOnesAsANewAttempt) {
  User u = SignUp(Url(), Unique("erin"));
  std::string flag = TempDir("flag") + "/ran-once";
  Project p =
      MakeProject(u, "rerun", {{".github/workflows/flaky.yml", std::string(R"Y(on: workflow_dispatch
jobs:
  stable:
    runs-on: ubuntu-latest
    outputs:
      stamp: ${{ steps.s.outputs.stamp }}
    steps:
      - id: s
        run: echo "stamp=$(date +%s%N)" >> "$GITHUB_OUTPUT"
  flaky:
    needs: stable
    runs-on: ubuntu-latest
    steps:
      - run: test -f )Y") + flag + " || { touch " + flag + R"(; exit 1; }
)"}});
  HttpReply d =
      Http("POST", Url() + "/api/v1/projects/" + p.name + "/workflows/flaky.yml/dispatches", "{}",
           u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  int64_t id = d.Json()["runs"][0];
  json first = WaitRun(u, id);
  ASSERT_EQ(first.value("conclusion", ""), "failure") << first.dump(2);
  std::string stamp = (*JobNamed(first, "stable"))["outputs"].value("stamp", "");
  HttpReply re = Http("POST", Url() + "/api/v1/runs/" + std::to_string(id) + "/rerun",
                      R"({"failed_only":true})", u.Auth());
  ASSERT_EQ(re.status, 202) << re.body;
  EXPECT_EQ(re.Json().value("attempt", 0), 2);
  json second = WaitRun(u, id);
  EXPECT_EQ(second.value("attempt", 0), 2);
  EXPECT_EQ(second.value("conclusion", ""), "success") << second.dump(2);
  // The successful job was carried over, not run again.
  EXPECT_EQ((*JobNamed(second, "stable"))["outputs"].value("stamp", ""), stamp);
  // The first attempt stays readable.
  json old =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "?attempt=1", "", u.Auth()).Json();
  EXPECT_EQ((*JobNamed(old, "flaky")).value("conclusion", ""), "failure");
}

TEST(ServerTest, ALaterJobDownloadsTheArtifactsOfEarlierJobs) {
  User u = SignUp(Url(), Unique("frank"));
  Project p = MakeProject(u, "artifacts", {{".github/workflows/pass.yml", R"Y(on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out/sub && echo "image v7" > out/image.txt && echo deep > out/sub/d.txt
      - uses: actions/upload-artifact@v4
        with:
          name: image
          path: out
  use:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: image
          path: got
      - run: test "$(cat got/image.txt)" = "image v7" && test "$(cat got/sub/d.txt)" = deep
      - run: echo ok > report.txt
      - uses: actions/upload-artifact@v4
        with:
          name: report
          path: report.txt
)Y"}});
  HttpReply d =
      Http("POST", Url() + "/api/v1/projects/" + p.name + "/workflows/pass.yml/dispatches", "{}",
           u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  int64_t id = d.Json()["runs"][0];
  json run = WaitRun(u, id);
  ASSERT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  const json* build = JobNamed(run, "build");
  const json* use = JobNamed(run, "use");
  ASSERT_TRUE(build && use) << run.dump(2);
  EXPECT_THAT(JobLog(u, *use), HasSubstr("Fetched 1 artifact(s) of this run from the server"));
  json arts =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "/artifacts", "", u.Auth()).Json();
  ASSERT_EQ(arts["artifacts"].size(), 2u) << arts.dump();
  // `use` uploaded only what it made: the image is still the one `build` uploaded.
  EXPECT_EQ(arts["artifacts"][0].value("name", ""), "image");
  EXPECT_EQ(arts["artifacts"][0].value("job_id", int64_t{0}), (*build)["id"].get<int64_t>());
  EXPECT_EQ(arts["artifacts"][1].value("name", ""), "report");
  EXPECT_EQ(arts["artifacts"][1].value("job_id", int64_t{0}), (*use)["id"].get<int64_t>());
}

TEST(ServerTest, ARerunAttemptDownloadsTheArtifactsOfEarlierAttempts) {
  User u = SignUp(Url(), Unique("gina"));
  std::string flag = TempDir("flag") + "/ran-once";
  Project p = MakeProject(u, "artifacts-rerun",
                          {{".github/workflows/flaky.yml", std::string(R"Y(on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built > image.txt
      - uses: actions/upload-artifact@v4
        with:
          name: image
          path: image.txt
  use:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: test -f )Y") + flag + " || { touch " + flag + R"Y(; exit 1; }
      - uses: actions/download-artifact@v4
        with:
          name: image
      - run: test "$(cat image.txt)" = built
)Y"}});
  HttpReply d =
      Http("POST", Url() + "/api/v1/projects/" + p.name + "/workflows/flaky.yml/dispatches", "{}",
           u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  int64_t id = d.Json()["runs"][0];
  ASSERT_EQ(WaitRun(u, id).value("conclusion", ""), "failure");
  HttpReply re = Http("POST", Url() + "/api/v1/runs/" + std::to_string(id) + "/rerun",
                      R"({"failed_only":true})", u.Auth());
  ASSERT_EQ(re.status, 202) << re.body;
  json second = WaitRun(u, id);
  EXPECT_EQ(second.value("attempt", 0), 2);
  // `build` was carried over: `use` found the image its first attempt uploaded.
  EXPECT_EQ(second.value("conclusion", ""), "success") << second.dump(2);
}

TEST(ServerTest, FollowedLogsStreamLiveAndEnd) {
  User u = SignUp(Url(), Unique("frank"));
  Project p = MakeProject(u, "follow", {{".github/workflows/slow.yml", R"(on: workflow_dispatch
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: for i in 1 2 3; do echo "line $i"; sleep 0.3; done
)"}});
  HttpReply d =
      Http("POST", Url() + "/api/v1/projects/" + p.name + "/workflows/slow.yml/dispatches", "{}",
           u.Auth());
  ASSERT_EQ(d.status, 201);
  int64_t id = d.Json()["runs"][0];
  json run;
  for (int i = 0; i < 200 && (run["jobs"].is_null() || run["jobs"].empty()); ++i) {
    run = Http("GET", Url() + "/api/v1/runs/" + std::to_string(id), "", u.Auth()).Json();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(run["jobs"].empty());
  std::string job = std::to_string(run["jobs"][0]["id"].get<int64_t>());
  HttpReply sse =
      Http("GET", Url() + "/api/v1/jobs/" + job + "/logs?follow=1", "", u.Auth(), 30000);
  EXPECT_EQ(sse.status, 200);
  EXPECT_THAT(sse.headers["content-type"], HasSubstr("text/event-stream"));
  EXPECT_THAT(sse.body, HasSubstr("line 1"));
  EXPECT_THAT(sse.body, HasSubstr("line 3"));
  EXPECT_THAT(sse.body, HasSubstr("event: end"));
  HttpReply events =
      Http("GET", Url() + "/api/v1/runs/" + std::to_string(id) + "/events", "", u.Auth(), 30000);
  EXPECT_THAT(events.body, HasSubstr("event: run"));
  EXPECT_THAT(events.body, HasSubstr("event: end"));
}

TEST(ServerTest, PatternsAreSeeded) {
  HttpReply list = Http("GET", Url() + "/api/v1/patterns", "", g_env->admin.Auth());
  ASSERT_EQ(list.status, 200);
  std::set<std::string> names;
  json patterns = list.Json()["patterns"];
  for (const json& p : patterns) {
    names.insert(p.value("name", ""));
    EXPECT_FALSE(p.value("description", "").empty());
    EXPECT_THAT(p.value("workflow", ""), HasSubstr("jobs:"));
  }
  for (const char* n : {"pr-validation", "full-cicd"}) EXPECT_TRUE(names.count(n)) << n;
  EXPECT_EQ(Http("GET", Url() + "/api/v1/patterns/full-cicd", "", g_env->admin.Auth()).status, 200);
  EXPECT_EQ(Http("GET", Url() + "/api/v1/patterns/nope", "", g_env->admin.Auth()).status, 404);
}

}  // namespace
}  // namespace gantry::testing

int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  ::testing::InitGoogleTest(&argc, argv);
  curl_global_init(CURL_GLOBAL_ALL);
  gantry::testing::g_env = new gantry::testing::Env();
  ::testing::AddGlobalTestEnvironment(gantry::testing::g_env);
  return RUN_ALL_TESTS();
}
