// The GitHub-compatible REST API's shapes beyond what gh prints: pagination (per_page, page,
// Link), filters, errors in GitHub's shape, job logs, annotations, the user and GraphQL; and
// Gantry's own workflows endpoints. Same suite and server as server_gh_test.cc.

#include <regex>

#include "server_gh_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(GhTest, RunsPageWithLinkHeadersAndFilter) {
  const std::string runs = "/repos/" + project_->name + "/actions/runs";
  for (int i = 0; i < 2; ++i) WaitRun(user_, Dispatch("deploy.yml"), 60, url_);
  HttpReply all;
  int64_t total = V3(runs, &all).value("total_count", int64_t{0});
  ASSERT_GE(total, 3);

  HttpReply page2;
  json p = V3(runs + "?per_page=1&page=2", &page2);
  EXPECT_EQ(page2.status, 200) << page2.body;
  EXPECT_EQ(p.value("total_count", int64_t{0}), total);
  ASSERT_EQ(p["workflow_runs"].size(), 1u);
  const std::string link = page2.headers["link"];
  const std::string base = url_ + "/api/v3" + runs + "?per_page=1&page=";
  EXPECT_THAT(link, HasSubstr("<" + base + "3>; rel=\"next\""));
  EXPECT_THAT(link, HasSubstr("<" + base + std::to_string(total) + ">; rel=\"last\""));
  EXPECT_THAT(link, HasSubstr("<" + base + "1>; rel=\"prev\""));
  EXPECT_THAT(link, HasSubstr("<" + base + "1>; rel=\"first\""));
  HttpReply last;
  V3(runs + "?per_page=1&page=" + std::to_string(total), &last);
  EXPECT_THAT(last.headers["link"], Not(HasSubstr("rel=\"next\"")));
  // Newest first: the last page holds the first run, the push.
  EXPECT_EQ(last.Json()["workflow_runs"][0].value("id", int64_t{0}), ci_run_);
  HttpReply big;
  EXPECT_EQ(V3(runs + "?per_page=500", &big)["workflow_runs"].size(),
            static_cast<size_t>(std::min<int64_t>(total, 100)));
  EXPECT_EQ(big.headers.count("link"), 0u);

  json failures = V3(runs + "?status=failure&event=push&branch=main&actor=octo");
  ASSERT_EQ(failures.value("total_count", 0), 1) << failures.dump();
  const json& run = failures["workflow_runs"][0];
  EXPECT_EQ(run.value("id", int64_t{0}), ci_run_);
  EXPECT_EQ(run.value("status", ""), "completed");
  EXPECT_EQ(run.value("conclusion", ""), "failure");
  EXPECT_EQ(run.value("display_title", ""), "add the shop");
  EXPECT_EQ(run.value("run_number", 0), 1);
  EXPECT_EQ(run.value("run_attempt", 0), 1);
  EXPECT_EQ(run.value("path", ""), ".github/workflows/ci.yml");
  EXPECT_EQ(run["actor"].value("login", ""), "octo");
  EXPECT_EQ(run.value("jobs_url", ""),
            url_ + "/api/v3" + runs + "/" + std::to_string(ci_run_) + "/jobs");
  EXPECT_EQ(run.value("html_url", ""), url_ + "/octo/shop/runs/" + std::to_string(ci_run_));
  EXPECT_EQ(V3(runs + "?status=in_progress&event=push").value("total_count", -1), 0);
  // A status filter matches a status or a conclusion.
  for (const char* word : {"success", "completed", "failure"}) {
    json matching = V3(runs + "?per_page=100&status=" + word);
    EXPECT_GT(matching.value("total_count", 0), 0) << word;
    for (const json& r : matching["workflow_runs"]) {
      EXPECT_TRUE(r.value("status", "") == word || r.value("conclusion", "") == word) << r.dump();
    }
  }

  EXPECT_EQ(V3(runs + "?created=%3E%3D2020-01-01").value("total_count", int64_t{0}), total);
  EXPECT_EQ(V3(runs + "?created=2020-01-01..2020-12-31").value("total_count", int64_t{-1}), 0);
  EXPECT_EQ(V3(runs + "?created=%3C2020-01-01").value("total_count", int64_t{-1}), 0);
  HttpReply bad;
  json error = V3(runs + "?created=yesterday", &bad);
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(error.value("message", ""), HasSubstr("created must be a date"));
  EXPECT_TRUE(error.contains("documentation_url"));
}

TEST_F(GhTest, ErrorsHaveGitHubsShape) {
  HttpReply missing;
  json j = V3("/repos/" + project_->name + "/actions/runs/999999", &missing);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(j.value("message", ""), "Not Found");
  EXPECT_TRUE(j.contains("documentation_url"));
  HttpReply other;
  EXPECT_EQ(V3("/repos/octo/nothing/actions/runs", &other).value("message", ""), "Not Found");
  EXPECT_EQ(other.status, 404);
  HttpReply unknown;
  EXPECT_EQ(V3("/repos/" + project_->name + "/pulls", &unknown).value("message", ""), "Not Found");
  EXPECT_EQ(unknown.status, 404);
  HttpReply anonymous = Http("GET", url_ + "/api/v3/user");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Json().value("message", ""), "Bad credentials");
  HttpReply wrong = Http("GET", url_ + "/api/v3/user", "", {"Authorization: token nope"});
  EXPECT_EQ(wrong.status, 401);
  HttpReply no_ref = Http(
      "POST", url_ + "/api/v3/repos/" + project_->name + "/actions/workflows/deploy.yml/dispatches",
      "{}", {"Authorization: Bearer " + pat_});
  EXPECT_EQ(no_ref.status, 422);
  EXPECT_THAT(no_ref.Json().value("message", ""), HasSubstr("\"ref\" wasn't supplied"));
  HttpReply disable =
      Http("PUT", url_ + "/api/v3/repos/" + project_->name + "/actions/workflows/ci.yml/disable",
           "", {"Authorization: Bearer " + pat_});
  EXPECT_EQ(disable.status, 422);
  EXPECT_THAT(disable.Json().value("message", ""),
              HasSubstr("Gantry cannot enable or disable a workflow"));
  HttpReply not_dispatchable = Http(
      "POST", url_ + "/api/v3/repos/" + project_->name + "/actions/workflows/ci.yml/dispatches",
      R"({"ref":"main"})", {"Authorization: Bearer " + pat_});
  EXPECT_EQ(not_dispatchable.status, 422);
  EXPECT_THAT(not_dispatchable.Json().value("message", ""), HasSubstr("workflow_dispatch"));
}

TEST_F(GhTest, UserRootAndGraphQLAnswerGh) {
  HttpReply user;
  json u = V3("/user", &user);
  EXPECT_EQ(user.status, 200);
  EXPECT_EQ(u.value("login", ""), "octo");
  EXPECT_GT(u.value("id", int64_t{0}), 0);
  EXPECT_THAT(user.headers["x-oauth-scopes"], HasSubstr("repo"));
  HttpReply root;
  EXPECT_EQ(V3("/", &root).value("current_user_url", ""), url_ + "/api/v3/user");

  const std::string query =
      "query PullRequestForRun($owner: String!, $repo: String!, $headRefName: String!) {"
      " repository(owner: $owner, name: $repo) { pullRequests(headRefName: $headRefName, first: 1,"
      " orderBy: { field: CREATED_AT, direction: DESC }) { nodes { number headRepository {"
      " owner { login } name } } } } }";
  HttpReply pr =
      Http("POST", url_ + "/api/graphql",
           json{{"query", query},
                {"variables", {{"owner", "octo"}, {"repo", "shop"}, {"headRefName", "main"}}}}
               .dump(),
           {"Authorization: bearer " + pat_});
  EXPECT_EQ(pr.status, 200);
  EXPECT_EQ(pr.Json(), json::parse(R"({"data":{"repository":{"pullRequests":{"nodes":[]}}}})"))
      << pr.body;
  HttpReply info = Http(
      "POST", url_ + "/api/graphql",
      json{{"query",
            "query RepositoryInfo($owner: String!, $name: String!) { repository(owner: $owner, "
            "name: $name) { id name owner { login } viewerPermission defaultBranchRef { name } "
            "... on Repository { isPrivate } } viewer { login } }"},
           {"variables", {{"owner", "octo"}, {"name", "shop"}}}}
          .dump(),
      {"Authorization: bearer " + pat_});
  json data = info.Json()["data"];
  EXPECT_EQ(data["repository"]["defaultBranchRef"].value("name", ""), "main") << info.body;
  EXPECT_EQ(data["repository"]["owner"].value("login", ""), "octo");
  EXPECT_EQ(data["repository"].value("viewerPermission", ""), "ADMIN");
  EXPECT_EQ(data["repository"].value("isPrivate", false), true);
  EXPECT_EQ(data["viewer"].value("login", ""), "octo");
  HttpReply nothing =
      Http("POST", url_ + "/api/graphql",
           json{{"query", "{ repository(owner: \"octo\", name: \"none\") { id } }"}}.dump(),
           {"Authorization: bearer " + pat_});
  EXPECT_TRUE(nothing.Json()["data"]["repository"].is_null()) << nothing.body;
  EXPECT_THAT(nothing.Json()["errors"][0].value("message", ""),
              HasSubstr("Could not resolve to a Repository with the name 'octo/none'"));
}

TEST_F(GhTest, APullRequestRunNamesItsPullRequest) {
  std::string body = json{{"action", "opened"},
                          {"number", 7},
                          {"pull_request",
                           {{"number", 7},
                            {"title", "Add a feature"},
                            {"head", {{"ref", "feature-x"}, {"sha", sha_}}},
                            {"base", {{"ref", "main"}, {"sha", sha_}}}}},
                          {"sender", {{"login", "octo"}}}}
                         .dump();
  HttpReply hook = Http("POST", url_ + "/api/v1/hooks/" + project_->name, body,
                        {"X-GitHub-Event: pull_request", "X-GitHub-Delivery: gh-pr-7",
                         "X-Hub-Signature-256: " + Hmac(project_->secret, body)});
  ASSERT_EQ(hook.status, 202) << hook.body;
  ASSERT_EQ(hook.Json()["runs"].size(), 1u) << hook.body;
  int64_t id = hook.Json()["runs"][0].get<int64_t>();
  WaitRun(user_, id, 60, url_);
  json run = V3("/repos/" + project_->name + "/actions/runs/" + std::to_string(id));
  EXPECT_EQ(run.value("head_branch", ""), "feature-x");
  EXPECT_EQ(run.value("event", ""), "pull_request");
  EXPECT_EQ(run.value("display_title", ""), "Add a feature");
  GhResult view = Gh("run view " + std::to_string(id));
  EXPECT_EQ(view.code, 0) << view.err;
  ExpectCleanErr(view);
  EXPECT_THAT(view.out, HasSubstr("✓ feature-x PR checks #7 · " + std::to_string(id) + "\n"));
}

TEST_F(GhTest, JobsLogsAndAnnotationsHaveGitHubsShape) {
  const std::string repo = "/repos/" + project_->name;
  json jobs = V3(repo + "/actions/runs/" + std::to_string(ci_run_) + "/jobs");
  ASSERT_EQ(jobs.value("total_count", 0), 2) << jobs.dump();
  const json& test = jobs["jobs"][1];
  EXPECT_EQ(test.value("name", ""), "test");
  EXPECT_EQ(test.value("status", ""), "completed");
  EXPECT_EQ(test.value("conclusion", ""), "failure");
  EXPECT_EQ(test.value("run_id", int64_t{0}), ci_run_);
  ASSERT_EQ(test["steps"].size(), 2u);
  EXPECT_EQ(test["steps"][0].value("number", 0), 1);
  EXPECT_EQ(test["steps"][0].value("name", ""), "Prepare");
  EXPECT_EQ(test["steps"][0].value("conclusion", ""), "success");
  EXPECT_TRUE(test["steps"][0]["started_at"].is_string());
  EXPECT_TRUE(test["steps"][0]["completed_at"].is_string());
  const std::string job = std::to_string(job_ids_["test"]);
  EXPECT_EQ(V3(repo + "/actions/jobs/" + job).value("name", ""), "test");

  HttpReply log = Http("GET", url_ + "/api/v3" + repo + "/actions/jobs/" + job + "/logs", "",
                       {"Authorization: token " + pat_});
  EXPECT_EQ(log.status, 200);
  EXPECT_THAT(log.headers["content-type"], HasSubstr("text/plain"));
  EXPECT_TRUE(std::regex_search(
      log.body, std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z assertion failed\n)")))
      << log.body;

  json annotations = V3(repo + "/check-runs/" + job + "/annotations");
  ASSERT_TRUE(annotations.is_array()) << annotations.dump();
  ASSERT_GE(annotations.size(), 1u);
  const json& a = annotations[0];
  EXPECT_EQ(a.value("path", ""), "src/app.c");
  EXPECT_EQ(a.value("start_line", 0), 3);
  EXPECT_EQ(a.value("end_line", 0), 3);
  EXPECT_EQ(a.value("start_column", 0), 2);
  EXPECT_EQ(a.value("annotation_level", ""), "failure");
  EXPECT_EQ(a.value("title", ""), "Broken");
  EXPECT_EQ(a.value("message", ""), "the test failed here");

  json artifacts = V3(repo + "/actions/runs/" + std::to_string(ci_run_) + "/artifacts");
  ASSERT_EQ(artifacts.value("total_count", 0), 1) << artifacts.dump();
  const std::string zip_url = artifacts["artifacts"][0].value("archive_download_url", "");
  EXPECT_EQ(zip_url.rfind(url_ + "/api/v3" + repo + "/actions/artifacts/", 0), 0u) << zip_url;
  HttpReply zip = Http("GET", zip_url, "", {"Authorization: token " + pat_});
  EXPECT_EQ(zip.status, 200);
  EXPECT_EQ(zip.body.substr(0, 2), "PK");
  EXPECT_EQ(Http("GET", zip_url).status, 401);  // the token check
}

TEST_F(GhTest, GantryListsAndShowsWorkflowsByFileOrId) {
  const std::string base = url_ + "/api/v1/projects/" + project_->name + "/workflows";
  HttpReply list = Http("GET", base, "", user_.Auth());
  ASSERT_EQ(list.status, 200) << list.body;
  json workflows = list.Json()["workflows"];
  ASSERT_EQ(workflows.size(), 6u) << list.body;
  const json* ci = nullptr;
  for (const json& w : workflows) {
    if (w.value("path", "") == ".github/workflows/ci.yml") ci = &w;
  }
  ASSERT_NE(ci, nullptr) << list.body;
  EXPECT_EQ(ci->value("name", ""), "CI");
  EXPECT_EQ(ci->value("state", ""), "active");
  int64_t id = (*ci)["id"].get<int64_t>();
  EXPECT_LT(id, int64_t{1} << 53);

  HttpReply by_file = Http("GET", base + "/ci.yml", "", user_.Auth());
  ASSERT_EQ(by_file.status, 200) << by_file.body;
  EXPECT_EQ(by_file.Json().value("yaml", ""), kCi);
  EXPECT_EQ(by_file.Json().value("id", int64_t{0}), id);
  HttpReply by_id = Http("GET", base + "/" + std::to_string(id), "", user_.Auth());
  EXPECT_EQ(by_id.Json().value("path", ""), ".github/workflows/ci.yml");
  EXPECT_EQ(
      V3("/repos/" + project_->name + "/actions/workflows/" + std::to_string(id)).value("name", ""),
      "CI");
  HttpReply missing = Http("GET", base + "/nope.yml", "", user_.Auth());
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.Json()["error"].value("message", ""), HasSubstr("no workflow 'nope.yml'"));
}

TEST_F(GhTest, AWorkflowOnlyRunsRememberIsDeleted) {
  Project p = MakeProject(user_, "legacy", {{".github/workflows/old.yml", R"(name: Old CI
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo old
)"}},
                          url_);
  std::string first = Sh("git --git-dir=" + Quote(p.repo->remote()) + " rev-parse main");
  first.pop_back();
  HttpReply push = PushHook(p, first, "the old workflow");
  ASSERT_EQ(push.status, 202) << push.body;
  WaitRun(user_, push.Json()["runs"][0].get<int64_t>(), 60, url_);
  fs::remove(fs::path(p.repo->remote()).parent_path() / "work/.github/workflows/old.yml");
  p.repo->Write(".github/workflows/new.yaml",
                "on: workflow_dispatch\njobs:\n  b:\n    "
                "runs-on: ubuntu-latest\n    steps:\n      - run: "
                "echo new\n");
  std::string second = p.repo->Commit("replace the workflow");
  ASSERT_EQ(PushHook(p, second, "replace the workflow").status, 202);

  HttpReply list =
      Http("GET", url_ + "/api/v1/projects/" + p.name + "/workflows", "", user_.Auth());
  json expected = json::parse(
      R"([{"name":".github/workflows/new.yaml","path":".github/workflows/new.yaml","state":"active",
           "dispatch":{"inputs":{}}},
          {"name":"Old CI","path":".github/workflows/old.yml","state":"deleted","dispatch":null}])");
  json got = list.Json()["workflows"];
  ASSERT_EQ(got.size(), 2u) << list.body;
  for (json& w : got) w.erase("id");
  EXPECT_EQ(got, expected) << list.body;
  HttpReply old =
      Http("GET", url_ + "/api/v1/projects/" + p.name + "/workflows/old.yml", "", user_.Auth());
  EXPECT_EQ(old.Json().value("state", ""), "deleted");
  EXPECT_EQ(old.Json().value("yaml", "x"), "");

  GhResult gh = Gh("workflow list --all -R " + Quote(host_ + "/" + p.name), false);
  EXPECT_EQ(gh.code, 0) << gh.err;
  ExpectCleanErr(gh);
  EXPECT_THAT(gh.out, HasSubstr("Old CI\tdeleted\t"));
  EXPECT_THAT(gh.out, HasSubstr(".github/workflows/new.yaml\tactive\t"));
}

}  // namespace
}  // namespace gantry::testing
