// Integration tests of the API fields and calls the web UI (web/) relies on beyond the basics,
// one test per behaviour.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Api(const Project& p) { return Url() + "/api/v1/projects/" + p.name; }

TEST(ServerWebApiTest, AnEarlierAttemptReportsItsOwnStatusConclusionAndTimes) {
  User u = SignUp(Url(), Unique("attempts"));
  std::string flag = TempDir("attempt-flag") + "/ran-once";
  Project p = MakeProject(u, "attempts", {{".github/workflows/flaky.yml", R"(on: workflow_dispatch
jobs:
  flaky:
    runs-on: ubuntu-latest
    steps:
      - run: test -f )" + flag + " || { touch " + flag + R"(; exit 1; }
)"}});
  HttpReply d = Http("POST", Api(p) + "/workflows/flaky.yml/dispatches", "{}", u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  int64_t id = d.Json()["runs"][0];
  ASSERT_EQ(WaitRun(u, id).value("conclusion", ""), "failure");
  ASSERT_EQ(
      Http("POST", Url() + "/api/v1/runs/" + std::to_string(id) + "/rerun", "{}", u.Auth()).status,
      202);
  json latest = WaitRun(u, id);
  ASSERT_EQ(latest.value("conclusion", ""), "success") << latest.dump(2);
  std::string run_url = Url() + "/api/v1/runs/" + std::to_string(id);
  json first = Http("GET", run_url + "?attempt=1", "", u.Auth()).Json();
  EXPECT_EQ(first.value("attempt", 0), 2);  // the run's newest attempt, as before
  EXPECT_EQ(first.value("status", ""), "completed");
  EXPECT_EQ(first.value("conclusion", ""), "failure") << first.dump(2);
  ASSERT_TRUE(first["started_at"].is_string()) << first.dump(2);
  ASSERT_TRUE(first["completed_at"].is_string()) << first.dump(2);
  EXPECT_LE(first["completed_at"].get<std::string>(), latest["completed_at"].get<std::string>());
  json second = Http("GET", run_url + "?attempt=2", "", u.Auth()).Json();
  EXPECT_EQ(second.value("conclusion", ""), "success");
  EXPECT_EQ(second["completed_at"], latest["completed_at"]);
}

TEST(ServerWebApiTest, ADispatchNamesTheRunsItStartedWithTheirNumbers) {
  User u = SignUp(Url(), Unique("numbers"));
  Project p =
      MakeProject(u, "numbers",
                  {{".github/workflows/quick.yml",
                    "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                    "      - run: true\n"}});
  for (int i = 1; i <= 2; ++i) {
    HttpReply d = Http("POST", Api(p) + "/workflows/quick.yml/dispatches", "{}", u.Auth());
    ASSERT_EQ(d.status, 201) << d.body;
    // "runs" as before, and each run with its number: no GET per run needed.
    ASSERT_EQ(d.Json()["runs"].size(), 1u) << d.body;
    json list = d.Json()["run_list"];
    ASSERT_EQ(list.size(), 1u) << d.body;
    EXPECT_EQ(list[0]["id"], d.Json()["runs"][0]);
    EXPECT_EQ(list[0].value("run_number", 0), i);
    WaitRun(u, d.Json()["runs"][0]);
  }
}

TEST(ServerWebApiTest, RunsListCountsAndPagesTowardsNewerAndOlderRuns) {
  User u = SignUp(Url(), Unique("pages"));
  Project p =
      MakeProject(u, "pages",
                  {{".github/workflows/quick.yml",
                    "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                    "      - run: true\n"}});
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    HttpReply d = Http("POST", Api(p) + "/workflows/quick.yml/dispatches", "{}", u.Auth());
    ASSERT_EQ(d.status, 201) << d.body;
    ids.push_back(d.Json()["runs"][0]);
  }
  auto page = [&](const std::string& query) {
    return Http("GET", Api(p) + "/runs?limit=2&workflow=quick.yml" + query, "", u.Auth()).Json();
  };
  auto run_ids = [](const json& j) {
    std::vector<int64_t> out;
    for (const json& r : j["runs"]) out.push_back(r["id"]);
    return out;
  };
  using V = std::vector<int64_t>;
  json newest = page("");
  EXPECT_EQ(newest.value("total_count", 0), 5);
  EXPECT_EQ(run_ids(newest), (V{ids[4], ids[3]}));
  EXPECT_TRUE(newest["prev"].is_null());
  ASSERT_EQ(newest["next"], ids[3]);
  json middle = page("&before=" + std::to_string(ids[3]));
  EXPECT_EQ(run_ids(middle), (V{ids[2], ids[1]}));
  EXPECT_EQ(middle.value("total_count", 0), 5);
  ASSERT_EQ(middle["prev"], ids[2]);
  json oldest = page("&before=" + std::to_string(ids[1]));
  EXPECT_EQ(run_ids(oldest), (V{ids[0]}));
  EXPECT_TRUE(oldest["next"].is_null());
  // Newer from the oldest page, then again: back where the list starts.
  json back = page("&after=" + oldest["prev"].dump());
  EXPECT_EQ(run_ids(back), (V{ids[2], ids[1]}));
  EXPECT_EQ(back["next"], ids[1]);
  ASSERT_EQ(back["prev"], ids[2]);
  json top = page("&after=" + back["prev"].dump());
  EXPECT_EQ(run_ids(top), (V{ids[4], ids[3]}));
  EXPECT_TRUE(top["prev"].is_null()) << top.dump();
  EXPECT_EQ(top["next"], ids[3]);
  // The count follows the filters.
  json none = Http("GET", Api(p) + "/runs?event=push", "", u.Auth()).Json();
  EXPECT_EQ(none.value("total_count", -1), 0);
  HttpReply bad = Http("GET", Api(p) + "/runs?after=x", "", u.Auth());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["error"].value("field", ""), "after");
  HttpReply both = Http("GET", Api(p) + "/runs?after=1&before=9", "", u.Auth());
  EXPECT_EQ(both.status, 400);
  for (int64_t id : ids) WaitRun(u, id);
}

TEST(ServerWebApiTest, WorkflowsDescribeTheirDispatchInputsAsTheLoaderReadsThem) {
  User u = SignUp(Url(), Unique("inputs"));
  Project p = MakeProject(u, "inputs",
                          {{".github/workflows/deploy.yml", R"(name: Deploy
on:
  workflow_dispatch:
    inputs:
      env:
        description: Where to
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
      - run: echo "${{ inputs.env }}"
)"},
                           {".github/workflows/ci.yml", R"(on: push
# workflow_dispatch:
#   inputs:
#     fake: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo workflow_dispatch
)"}});
  json list = Http("GET", Api(p) + "/workflows", "", u.Auth()).Json();
  ASSERT_EQ(list["workflows"].size(), 2u) << list.dump(2);
  for (const json& w : list["workflows"]) {
    ASSERT_TRUE(w.contains("dispatch")) << w.dump();
    if (w.value("path", "") == ".github/workflows/ci.yml") {
      EXPECT_TRUE(w["dispatch"].is_null()) << w.dump();
    } else {
      EXPECT_EQ(w["dispatch"]["inputs"]["env"]["options"], json({"staging", "production"}));
    }
  }
  json deploy = Http("GET", Api(p) + "/workflows/deploy.yml", "", u.Auth()).Json();
  const json& env = deploy["dispatch"]["inputs"]["env"];
  EXPECT_EQ(env.value("description", ""), "Where to");
  EXPECT_EQ(env.value("type", ""), "choice");
  EXPECT_EQ(env.value("required", false), true);
  EXPECT_TRUE(env["default"].is_null());
  EXPECT_EQ(deploy["dispatch"]["inputs"]["dry"]["default"], true);
}

TEST(ServerWebApiTest, MaintainersEditSettingsAndRotateTheWebhookSecret) {
  User u = SignUp(Url(), Unique("settings"));
  std::string wf =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n";
  Project p = MakeProject(u, "settings", {{".github/workflows/ci.yml", wf}});
  User dev = SignUp(Url(), Unique("settingsdev"));
  ASSERT_EQ(
      Http("PUT", Api(p) + "/members/" + dev.name, R"({"role":"developer"})", u.Auth()).status,
      204);
  EXPECT_EQ(Http("PATCH", Api(p), R"({"poll_interval":5})", dev.Auth()).status, 403);
  EXPECT_EQ(Http("POST", Api(p) + "/webhook-secret", "", dev.Auth()).status, 403);

  HttpReply ok = Http("PATCH", Api(p), R"({"default_branch":"trunk","poll_interval":0})", u.Auth());
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json().value("default_branch", ""), "trunk");
  EXPECT_EQ(Http("GET", Api(p), "", u.Auth()).Json().value("default_branch", ""), "trunk");
  auto field = [&](const std::string& body) {
    HttpReply r = Http("PATCH", Api(p), body, u.Auth());
    return std::to_string(r.status) + " " + r.Json()["error"].value("field", "");
  };
  EXPECT_EQ(field(R"({"poll_interval":90000})"), "422 poll_interval");
  EXPECT_EQ(field(R"({"default_branch":""})"), "422 default_branch");
  EXPECT_EQ(field(R"({"repository":""})"), "422 repository");
  EXPECT_EQ(field(R"({"repository":"/no/such/repository.git"})"), "422 repository");
  EXPECT_EQ(field(R"({"poll_interval":"often"})"), "400 poll_interval");
  EXPECT_EQ(field(R"({"name":"x/y"})"), "400 name");

  // A new repository replaces the mirror: its workflows are the project's.
  GitRepo other(TempDir("settings-other"));
  other.Write(".github/workflows/release.yml", wf);
  other.Commit("other", "trunk");
  HttpReply moved = Http("PATCH", Api(p), json{{"repository", other.remote()}}.dump(), u.Auth());
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.Json().value("repository", ""), other.remote());
  json workflows = Http("GET", Api(p) + "/workflows", "", u.Auth()).Json();
  ASSERT_FALSE(workflows["workflows"].empty()) << workflows.dump();
  EXPECT_EQ(workflows["workflows"][0].value("path", ""), ".github/workflows/release.yml");

  HttpReply rotated = Http("POST", Api(p) + "/webhook-secret", "", u.Auth());
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string secret = rotated.Json().value("webhook_secret", "");
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_NE(secret, p.secret);
  EXPECT_EQ(rotated.Json().value("webhook_url", ""), Url() + "/api/v1/hooks/" + p.name);
  EXPECT_THAT(Http("GET", Api(p), "", u.Auth()).body, Not(HasSubstr(secret)));
  std::string sha = other.Commit("a change", "trunk");
  EXPECT_EQ(Push(p, sha, Unique("old-secret")).status, 401);  // the old secret no longer signs
  p.secret = secret;
  EXPECT_EQ(Push(p, sha, Unique("new-secret")).status, 202);
}

TEST(ServerWebApiTest, APullRequestRunCarriesItsNumber) {
  User u = SignUp(Url(), Unique("prnum"));
  Project p = MakeProject(u, "prnum",
                          {{".github/workflows/ci.yml",
                            "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                            "    steps:\n      - run: true\n"}});
  std::string sha = p.repo->Commit("feature", "feature");
  std::string body = json{{"action", "opened"},
                          {"number", 12},
                          {"pull_request",
                           {{"number", 12},
                            {"title", "A feature"},
                            {"head", {{"ref", "feature"}, {"sha", sha}}},
                            {"base", {{"ref", "main"}, {"sha", sha}}}}},
                          {"sender", {{"login", "octo"}}}}
                         .dump();
  HttpReply hook = Http("POST", Url() + "/api/v1/hooks/" + p.name, body,
                        {"X-GitHub-Event: pull_request", "X-GitHub-Delivery: " + Unique("pr"),
                         "X-Hub-Signature-256: " + Hmac(p.secret, body)});
  ASSERT_EQ(hook.status, 202) << hook.body;
  ASSERT_EQ(hook.Json()["runs"].size(), 1u) << hook.body;
  int64_t id = hook.Json()["runs"][0];
  json run = WaitRun(u, id);
  EXPECT_EQ(run["pull_request"], json({{"number", 12}})) << run.dump(2);
  json list = Http("GET", Api(p) + "/runs", "", u.Auth()).Json();
  EXPECT_EQ(list["runs"][0]["pull_request"]["number"], 12);
}

TEST(ServerWebApiTest, FollowedLogLinesHoldNoBareCarriageReturn) {
  User u = SignUp(Url(), Unique("cr"));
  Project p = MakeProject(u, "cr", {{".github/workflows/bar.yml", R"(on: workflow_dispatch
jobs:
  bar:
    runs-on: ubuntu-latest
    steps:
      - name: draw a progress bar
        run: printf 'progress 10%%\rprogress 50%%\rprogress 100%%\nafter the bar\n'
)"}});
  HttpReply d = Http("POST", Api(p) + "/workflows/bar.yml/dispatches", "{}", u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  json run = WaitRun(u, d.Json()["runs"][0]);
  ASSERT_FALSE(run["jobs"].empty());
  std::string plain = JobLog(u, run["jobs"][0]);
  ASSERT_THAT(plain, HasSubstr("progress 10%\rprogress 50%\rprogress 100%"));  // stored as is
  HttpReply sse =
      Http("GET", Url() + "/api/v1/jobs/" + run["jobs"][0]["id"].dump() + "/logs?follow=1", "",
           u.Auth(), 30000);
  EXPECT_EQ(sse.body.find('\r'), std::string::npos);
  EXPECT_THAT(sse.body, Not(HasSubstr("progress 50%")));
  EXPECT_THAT(sse.body, HasSubstr("Z progress 100%\n"));  // after the line's timestamp
  EXPECT_THAT(sse.body, HasSubstr("after the bar\n"));
  EXPECT_THAT(sse.body, HasSubstr("event: end"));
}

}  // namespace
}  // namespace gantry::testing
