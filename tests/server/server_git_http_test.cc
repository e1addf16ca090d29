// A job's repository over git's smart HTTP: an executor other than the embedded one gets an
// http URL in its lease and clones from the server with its token, only while it holds the
// job's lease; the mirror is read-only. A real `gantry executor` checks a job's code out so.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Registers an executor with `labels` on the server at `url`; its token.
std::string RegisterExecutor(const std::string& url, const User& admin, const std::string& name,
                             const json& labels) {
  HttpReply rt = Http("POST", url + "/api/v1/executors/registration-tokens", "{}", admin.Auth());
  EXPECT_EQ(rt.status, 201) << rt.body;
  HttpReply reg = Http(
      "POST", url + "/api/v1/executor/register",
      json{{"token", rt.Json().value("token", "")}, {"name", name}, {"labels", labels}}.dump());
  EXPECT_EQ(reg.status, 201) << reg.body;
  return reg.Json().value("token", "");
}

std::vector<std::string> Bearer(const std::string& token) {
  return {"Authorization: Bearer " + token};
}

// `git` with the executor token as a header (a test may put it on the command line).
std::string Git(const std::string& token, const std::string& args) {
  return Sh("GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 git -c " +
            Quote("http.extraHeader=Authorization: Bearer " + token) + " " + args);
}

// The count of answers with `code` on `route` in the server's /metrics.
int64_t Answered(const std::string& url, const std::string& route, const std::string& method,
                 const std::string& code) {
  std::string metrics = Http("GET", url + "/metrics").body;
  std::string key = "gantry_http_requests_total{route=\"" + route + "\",method=\"" + method +
                    "\",code=\"" + code + "\"} ";
  size_t at = metrics.find(key);
  return at == std::string::npos ? 0 : std::stoll(metrics.substr(at + key.size()));
}

TEST(ServerGitHttpTest, OnlyTheLeaseHolderReadsTheJobsRepositoryAndOnlyWithUploadPack) {
  User u = SignUp(Url(), Unique("gitter"));
  std::string label = Unique("githttp");
  Project p = MakeProject(
      u, "githttp", {{"data.txt", "served over http\n"}, {".github/workflows/ci.yml", R"(on: push
jobs:
  read:
    runs-on: [self-hosted, )" + label + R"(]
    steps:
      - run: cat data.txt
)"}});
  std::string sha = p.repo->Commit("second");
  HttpReply hook = Push(p, sha, Unique("push"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  std::string holder =
      RegisterExecutor(Url(), g_env->admin, Unique("holder"), {"self-hosted", "linux", label});
  std::string other = RegisterExecutor(Url(), g_env->admin, Unique("other"), {"self-hosted"});
  HttpReply lease =
      Http("POST", Url() + "/api/v1/executor/lease",
           json{{"labels", {"self-hosted", "linux", label}}, {"wait_seconds", 10}}.dump(),
           Bearer(holder));
  ASSERT_EQ(lease.status, 200) << lease.body;
  json spec = lease.Json()["job"];
  std::string job = std::to_string(spec.value("id", 0));
  std::string git_url = Url() + "/api/v1/executor/jobs/" + job + "/git";
  // Not the mirror's path on the server's disk: the URL of the server's smart HTTP.
  EXPECT_EQ(spec["repository"].value("url", ""), git_url) << spec.dump(2);
  EXPECT_EQ(spec["repository"].value("sha", ""), sha);

  std::string refs = git_url + "/info/refs?service=git-upload-pack";
  EXPECT_EQ(Http("GET", refs).status, 401);
  EXPECT_EQ(Http("GET", refs, "", Bearer("gne_unknown")).status, 401);
  HttpReply stranger = Http("GET", refs, "", Bearer(other));
  EXPECT_EQ(stranger.status, 403) << stranger.body;
  EXPECT_THAT(stranger.Json()["error"].value("message", ""), HasSubstr("holds no lease"));
  EXPECT_EQ(
      Http("GET", Url() + "/api/v1/executor/jobs/999999/git/info/refs?service=git-upload-pack", "",
           Bearer(holder))
          .status,
      404);
  for (const auto& [service, status] :
       std::vector<std::pair<std::string, long>>{{"git-receive-pack", 403}, {"git-nope", 400}}) {
    HttpReply bad = Http("GET", git_url + "/info/refs?service=" + service, "", Bearer(holder));
    EXPECT_EQ(bad.status, status) << bad.body;
    EXPECT_EQ(bad.Json()["error"].value("field", ""), "service") << bad.body;
    EXPECT_THAT(bad.Json()["error"].value("message", ""), HasSubstr("'" + service + "'"));
  }
  HttpReply dumb = Http("GET", git_url + "/info/refs", "", Bearer(holder));
  EXPECT_EQ(dumb.status, 400);
  EXPECT_EQ(dumb.Json()["error"].value("field", ""), "service");
  HttpReply push =
      Http("POST", git_url + "/git-receive-pack", "0000",
           {Bearer(holder)[0], "Content-Type: application/x-git-receive-pack-request"});
  EXPECT_EQ(push.status, 403) << push.body;
  EXPECT_THAT(push.Json()["error"].value("message", ""), HasSubstr("read-only"));

  HttpReply adv = Http("GET", refs, "", Bearer(holder));
  ASSERT_EQ(adv.status, 200) << adv.body;
  EXPECT_EQ(adv.headers["content-type"], "application/x-git-upload-pack-advertisement");
  EXPECT_THAT(adv.body, StartsWith("001e# service=git-upload-pack\n0000"));
  EXPECT_THAT(adv.body, HasSubstr(sha + " refs/heads/main"));

  // Real clones: protocol v2 (git's default) and v0, whole and the job's commit alone.
  std::string dir = TempDir("githttp-clones");
  Git(holder, "clone -q " + Quote(git_url) + " " + dir + "/full");
  EXPECT_EQ(Sh("cat " + dir + "/full/data.txt"), "served over http\n");
  Git(holder, "-c protocol.version=0 clone -q " + Quote(git_url) + " " + dir + "/v0");
  EXPECT_EQ(Sh("git -C " + dir + "/v0 rev-parse HEAD"), sha + "\n");
  for (std::string version : {"0", "2"}) {
    std::string d = dir + "/one-" + version;
    Sh("git init -q " + d);
    Git(holder, "-C " + d + " -c protocol.version=" + version + " fetch -q --depth=1 " +
                    Quote(git_url) + " " + sha);
    EXPECT_EQ(Sh("git -C " + d + " rev-list --count FETCH_HEAD"), "1\n");
  }
  EXPECT_EQ(Http("POST", git_url + "/git-upload-pack", "0000", Bearer(holder)).status, 415);

  // Once the job is over, its repository is not served any more.
  HttpReply done =
      Http("POST", Url() + "/api/v1/executor/jobs/" + job + "/complete",
           json{{"lease_id", lease.Json().value("lease_id", "")}, {"conclusion", "success"}}.dump(),
           Bearer(holder));
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(Http("GET", refs, "", Bearer(holder)).status, 403);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(ServerGitHttpTest, GantryExecutorChecksTheCodeOutOverHttp) {
  std::string dir = TempDir("gitremote");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_githttp_test"), {"--embedded-executor=false"});
  std::string url = server.url();
  User admin = SignUp(url, "githttp");
  Project p = MakeProject(
      admin, "checkout",
      {{"data.txt", "the pushed file\n"}, {".github/workflows/read.yml", R"Y(on: workflow_dispatch
jobs:
  read:
    runs-on: [self-hosted, linux]
    steps:
      - uses: actions/checkout@v4
      - run: echo "read $(cat data.txt) at depth $(git rev-list --count HEAD)"
  history:
    runs-on: [self-hosted, linux]
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - run: echo "history of $(git rev-list --count HEAD) commits"
)Y"}},
      url);
  p.repo->Write("data.txt", "the pushed file\n");
  p.repo->Commit("second");
  std::string token = RegisterExecutor(url, admin, "far-away", {"self-hosted", "linux", "x64"});
  std::string config = dir + "/executor.yml";
  {
    std::ofstream out(config);
    out << "url: " << url << "\nname: far-away\ntoken: " << token << "\n";
  }
  fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
  const std::string route = "/api/v1/executor/jobs/{id}/git/{service}";
  int64_t packs_before = Answered(url, route, "POST", "200");

  // Its work dir is elsewhere than the server's data dir.
  ExecutorProcess executor;
  executor.RunWith(dir, config, dir + "/elsewhere/work");
  HttpReply d = Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/read.yml/dispatches",
                     "{}", admin.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  json run = WaitRun(admin, d.Json()["runs"][0].get<int64_t>(), 60, url);
  executor.Stop();
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << "\n"
                                                    << executor.Log() << server.Log();
  const json* read = JobNamed(run, "read");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->value("executor", ""), "far-away");
  std::string log = JobLog(admin, *read, url);
  // The default checkout needs the commit alone; fetch-depth: 0 gets the whole history.
  EXPECT_THAT(log, HasSubstr("read the pushed file at depth 1"));
  const json* history = JobNamed(run, "history");
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(history->value("conclusion", ""), "success");
  EXPECT_THAT(JobLog(admin, *history, url), HasSubstr("history of 2 commits"));
  // Cloned from the server's smart HTTP, and the token is nowhere in the log.
  EXPECT_THAT(log, HasSubstr("Cloning " + url + "/api/v1/executor/jobs/" +
                             std::to_string(read->value("id", 0)) + "/git at "));
  EXPECT_THAT(log, Not(HasSubstr(token)));
  EXPECT_THAT(log, Not(HasSubstr("/data/git/")));
  EXPECT_GT(Answered(url, route, "POST", "200"), packs_before);
  EXPECT_GT(Answered(url, "/api/v1/executor/jobs/{id}/git/info/refs", "GET", "200"), 0);
  server.Stop();
  std::error_code ec;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace gantry::testing
