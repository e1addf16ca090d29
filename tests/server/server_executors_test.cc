// Executors through the API of the shared server: registration tokens, registering, the list,
// disable/enable/remove, who may do what, and runs-on labels deciding which executor leases
// which job (a job no executor can take says why on the run).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

std::string RegistrationToken(int uses = 1) {
  HttpReply r = Http("POST", Url() + "/api/v1/executors/registration-tokens",
                     json{{"uses", uses}}.dump(), g_env->admin.Auth());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json().value("token", "");
}

HttpReply Register(const std::string& token, const std::string& name, const json& labels) {
  return Http("POST", Url() + "/api/v1/executor/register",
              json{{"token", token},
                   {"name", name},
                   {"labels", labels},
                   {"capacity", 2},
                   {"version", "test"}}
                  .dump());
}

// The executor called `name` in the list (null when there is none).
json ExecutorNamed(const std::string& name) {
  json list = Http("GET", Url() + "/api/v1/executors", "", g_env->admin.Auth()).Json();
  for (const json& e : list["executors"]) {
    if (e.value("name", "") == name) return e;
  }
  return nullptr;
}

TEST(ServerExecutorsTest, RegistrationTokensAreForAdminsAndRunOut) {
  User bob = SignUp(Url(), Unique("bob"));
  HttpReply denied =
      Http("POST", Url() + "/api/v1/executors/registration-tokens", "{}", bob.Auth());
  EXPECT_EQ(denied.status, 403) << denied.body;
  HttpReply bad = Http("POST", Url() + "/api/v1/executors/registration-tokens",
                       R"({"expires_in":5})", g_env->admin.Auth());
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.Json()["error"].value("field", ""), "expires_in");

  std::string token = RegistrationToken();
  EXPECT_THAT(token, ::testing::StartsWith("gnr_"));
  std::string name = Unique("builder");
  HttpReply ok = Register(token, name, {"self-hosted", "linux", "x64"});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_THAT(ok.Json().value("token", ""), ::testing::StartsWith("gne_"));
  // Used up, unknown, a taken name, a bad name.
  HttpReply again = Register(token, Unique("other"), json::array());
  EXPECT_EQ(again.status, 401);
  EXPECT_THAT(again.Json()["error"].value("message", ""), HasSubstr("used up"));
  EXPECT_EQ(Register("gnr_nope", Unique("x"), json::array()).status, 401);
  EXPECT_EQ(Register(RegistrationToken(), name, json::array()).status, 409);
  HttpReply named = Register(RegistrationToken(), "embedded", json::array());
  EXPECT_EQ(named.status, 422);
  EXPECT_EQ(named.Json()["error"].value("field", ""), "name");
  EXPECT_EQ(Http("POST", Url() + "/api/v1/executor/register", R"({"name":"x"})")
                .Json()["error"]
                .value("field", ""),
            "token");

  json e = ExecutorNamed(name);
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e["labels"], json({"self-hosted", "linux", "x64"}));
  EXPECT_EQ(e.value("state", ""), "online");
  EXPECT_EQ(e.value("capacity", 0), 2);
  EXPECT_TRUE(ExecutorNamed("embedded").is_object());
  std::string path = "/api/v1/executors/" + std::to_string(e.value("id", 0));
  EXPECT_EQ(Http("POST", Url() + path + "/disable", "", bob.Auth()).status, 403);
  HttpReply off = Http("POST", Url() + path + "/disable", "", g_env->admin.Auth());
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.Json().value("state", ""), "disabled");
  EXPECT_EQ(
      Http("POST", Url() + path + "/enable", "", g_env->admin.Auth()).Json().value("state", ""),
      "online");
  EXPECT_EQ(Http("DELETE", Url() + path, "", bob.Auth()).status, 403);
  EXPECT_EQ(Http("DELETE", Url() + path, "", g_env->admin.Auth()).status, 204);
  EXPECT_TRUE(ExecutorNamed(name).is_null());
  EXPECT_EQ(Http("DELETE", Url() + path, "", g_env->admin.Auth()).status, 404);
  // Its token is gone with it.
  HttpReply gone = Http("POST", Url() + "/api/v1/executor/lease", R"({"wait_seconds":0})",
                        {"Authorization: Bearer " + ok.Json().value("token", "")});
  EXPECT_EQ(gone.status, 401);
}

TEST(ServerExecutorsTest, RunsOnLabelsChooseTheExecutorAndAWaitingJobSaysWhy) {
  User u = SignUp(Url(), Unique("carol"));
  std::string gpu = Unique("gpu");
  Project p = MakeProject(u, "labels", {{".github/workflows/ci.yml", R"(on: push
jobs:
  train:
    runs-on: [self-hosted, )" + gpu + R"(]
    steps:
      - run: echo trained
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: echo linted
)"}});
  HttpReply hook = Push(p, p.repo->Commit("labels"), Unique("push"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  std::string run_url =
      Url() + "/api/v1/runs/" + std::to_string(hook.Json()["runs"][0].get<int64_t>());
  // The embedded executor runs `lint` (ubuntu-latest) but never `train`.
  json run;
  for (int i = 0; i < 300; ++i) {
    run = Http("GET", run_url, "", u.Auth()).Json();
    const json* lint = JobNamed(run, "lint");
    if (lint && lint->value("status", "") == "completed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(JobNamed(run, "train") && JobNamed(run, "lint")) << run.dump(2);
  const json train = *JobNamed(run, "train");
  EXPECT_EQ(JobNamed(run, "lint")->value("conclusion", ""), "success") << run.dump(2);
  EXPECT_EQ(train.value("status", ""), "queued");
  EXPECT_EQ(train["labels"], json({"self-hosted", gpu}));
  EXPECT_THAT(train.value("waiting_reason", ""),
              HasSubstr("no executor has the labels [self-hosted, " + gpu + "]"));

  // An executor with that label: the reason goes, and its lease gets the job.
  HttpReply reg = Register(RegistrationToken(), Unique("gpu-box"), {"self-hosted", "linux", gpu});
  ASSERT_EQ(reg.status, 201) << reg.body;
  std::vector<std::string> auth = {"Authorization: Bearer " + reg.Json().value("token", "")};
  run = Http("GET", run_url, "", u.Auth()).Json();
  EXPECT_FALSE(JobNamed(run, "train")->contains("waiting_reason")) << run.dump(2);
  HttpReply lease = Http(
      "POST", Url() + "/api/v1/executor/lease",
      json{{"capacity", 1}, {"labels", {"self-hosted", "linux", gpu}}, {"wait_seconds", 5}}.dump(),
      auth);
  ASSERT_EQ(lease.status, 200) << lease.body;
  json job = lease.Json()["job"];
  EXPECT_EQ(job.value("id", 0), train.value("id", 0)) << lease.body;
  std::string lease_id = lease.Json().value("lease_id", "");
  HttpReply done = Http(
      "POST", Url() + "/api/v1/executor/jobs/" + std::to_string(job.value("id", 0)) + "/complete",
      json{{"lease_id", lease_id}, {"conclusion", "success"}}.dump(), auth);
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(WaitRun(u, run["id"].get<int64_t>()).value("conclusion", ""), "success");
}

TEST(ServerExecutorsTest, ALeaseNeverAcknowledgedIsQueuedAgain) {
  std::string dir = TempDir("ack");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_ack_test"),
               {"--embedded-executor=false", "--lease-ack-seconds", "2"});
  std::string url = server.url();
  User admin = SignUp(url, "ack");  // the first user: an admin
  Project p = MakeProject(admin, "ack", {{".github/workflows/one.yml", R"(on: workflow_dispatch
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - run: echo one
)"}},
                          url);
  HttpReply d = Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/one.yml/dispatches",
                     "{}", admin.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  HttpReply rt = Http("POST", url + "/api/v1/executors/registration-tokens", "{}", admin.Auth());
  HttpReply reg = Http("POST", url + "/api/v1/executor/register",
                       json{{"token", rt.Json().value("token", "")},
                            {"name", "away"},
                            {"labels", {"self-hosted", "linux", "x64"}}}
                           .dump());
  ASSERT_EQ(reg.status, 201) << reg.body;
  std::vector<std::string> auth = {"Authorization: Bearer " + reg.Json().value("token", "")};
  std::string ask = json{{"capacity", 1}, {"wait_seconds", 5}}.dump();
  HttpReply first = Http("POST", url + "/api/v1/executor/lease", ask, auth);
  ASSERT_EQ(first.status, 200) << first.body;
  int64_t job = first.Json()["job"].value("id", 0);
  // No heartbeat: the executor went away. The job is queued again, not failed...
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  HttpReply second = Http("POST", url + "/api/v1/executor/lease", ask, auth);
  ASSERT_EQ(second.status, 200) << second.body << "\n" << Sh("cat " + dir + "/data/server.log");
  EXPECT_EQ(second.Json()["job"].value("id", 0), job);
  std::string lease = second.Json().value("lease_id", "");
  EXPECT_NE(lease, first.Json().value("lease_id", ""));
  // ...and the old lease is no longer good, the new one is.
  std::string jobs = url + "/api/v1/executor/jobs/" + std::to_string(job);
  EXPECT_EQ(Http("POST", jobs + "/heartbeat",
                 json{{"lease_id", first.Json().value("lease_id", "")}}.dump(), auth)
                .status,
            409);
  EXPECT_EQ(Http("POST", jobs + "/heartbeat", json{{"lease_id", lease}}.dump(), auth).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // acknowledged: it stays leased
  EXPECT_EQ(Http("POST", jobs + "/complete",
                 json{{"lease_id", lease}, {"conclusion", "success"}}.dump(), auth)
                .status,
            200);
  EXPECT_EQ(WaitRun(admin, d.Json()["runs"][0].get<int64_t>(), 30, url).value("conclusion", ""),
            "success");
  server.Stop();
}

TEST(ServerExecutorsTest, GantryExecutorRegistersRunsLabelledJobsAndDrainsOnSigterm) {
  std::string dir = TempDir("remote");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_remote_test"), {"--embedded-executor=false"});
  std::string url = server.url();
  User admin = SignUp(url, "remote");
  std::string marker = dir + "/started";
  Project p = MakeProject(admin, "remote", {{".github/workflows/gpu.yml", R"(on: workflow_dispatch
jobs:
  train:
    runs-on: [self-hosted, gpu]
    steps:
      - run: touch )" + marker + R"(; sleep 2; echo "trained on $RUNNER_OS"
)"}},
                          url);
  std::string token =
      Http("POST", url + "/api/v1/executors/registration-tokens", "{}", admin.Auth())
          .Json()
          .value("token", "");
  std::string config = dir + "/executor.yml";
  std::string registered =
      Sh(std::string(GANTRY_BINARY) + " executor register --url " + url + " --token " + token +
         " --name box-1 --labels gpu --config " + config + " 2>&1");
  EXPECT_THAT(registered, HasSubstr("box-1"));
  EXPECT_THAT(registered, ::testing::Not(HasSubstr("gne_")));  // the token is never printed
  ASSERT_TRUE(fs::exists(config)) << registered;
  EXPECT_EQ(fs::status(config).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  ExecutorProcess executor;
  executor.RunWith(dir, config, dir + "/work");
  HttpReply d = Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/gpu.yml/dispatches",
                     "{}", admin.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  for (int i = 0; i < 600 && !fs::exists(marker); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(marker)) << executor.Log();
  // The list shows it online with its job; SIGTERM lets the job finish, then it exits 0.
  json list = Http("GET", url + "/api/v1/executors", "", admin.Auth()).Json();
  ASSERT_EQ(list["executors"].size(), 1u) << list.dump();
  EXPECT_EQ(list["executors"][0].value("state", ""), "online");
  EXPECT_EQ(list["executors"][0]["jobs"].size(), 1u) << list.dump();
  int status = executor.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << executor.Log();
  json run = WaitRun(admin, d.Json()["runs"][0].get<int64_t>(), 30, url);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  const json* train = JobNamed(run, "train");
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(train->value("executor", ""), "box-1");
  EXPECT_THAT(JobLog(admin, *train, url), HasSubstr("trained on Linux"));
  server.Stop();
}

TEST(ServerExecutorsTest, ALogChunkSentAgainIsStoredOnce) {
  User u = SignUp(Url(), Unique("dave"));
  std::string label = Unique("dedupe");
  Project p = MakeProject(u, "dedupe", {{".github/workflows/ci.yml", R"(on: push
jobs:
  one:
    runs-on: [self-hosted, )" + label + R"(]
    steps:
      - run: echo one
)"}});
  HttpReply hook = Push(p, p.repo->Commit("dedupe"), Unique("push"));
  ASSERT_EQ(hook.status, 202) << hook.body;
  HttpReply reg = Register(RegistrationToken(), Unique("dedupe-box"), {"self-hosted", label});
  ASSERT_EQ(reg.status, 201) << reg.body;
  std::vector<std::string> auth = {"Authorization: Bearer " + reg.Json().value("token", "")};
  HttpReply lease = Http(
      "POST", Url() + "/api/v1/executor/lease",
      json{{"capacity", 1}, {"labels", {"self-hosted", label}}, {"wait_seconds", 5}}.dump(), auth);
  ASSERT_EQ(lease.status, 200) << lease.body;
  int64_t job = lease.Json()["job"].value("id", 0);
  std::string lease_id = lease.Json().value("lease_id", "");
  std::string jobs = Url() + "/api/v1/executor/jobs/" + std::to_string(job);
  auto send = [&](const json& chunks) {
    return Http("POST", jobs + "/logs", json{{"lease_id", lease_id}, {"chunks", chunks}}.dump(),
                auth);
  };
  json one = {{"seq", 1}, {"step", 0}, {"data", "2026-01-01T00:00:00.000Z first\n"}};
  json two = {{"seq", 2}, {"step", 0}, {"data", "2026-01-01T00:00:00.001Z second\n"}};
  json three = {{"seq", 3}, {"step", 0}, {"data", "2026-01-01T00:00:00.002Z third\n"}};
  ASSERT_EQ(send({one, two}).status, 200);
  // The executor did not get the answer and sends the batch again, with the next chunk.
  HttpReply again = send({one, two, three});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(send(json::array({two})).status, 200);
  ASSERT_EQ(Http("POST", jobs + "/complete",
                 json{{"lease_id", lease_id}, {"conclusion", "success"}}.dump(), auth)
                .status,
            200);
  json run = WaitRun(u, hook.Json()["runs"][0].get<int64_t>());
  const json* j = JobNamed(run, "one");
  ASSERT_NE(j, nullptr);
  std::string log = JobLog(u, *j);
  EXPECT_EQ(log.find("first"), log.rfind("first")) << log;
  EXPECT_EQ(log.find("second"), log.rfind("second")) << log;
  EXPECT_LT(log.find("first"), log.find("second"));
  EXPECT_LT(log.find("second"), log.find("third"));
}

TEST(ServerExecutorsTest, AServerThatStopsAnsweringMidJobLosesNoLineOfARemoteExecutor) {
  std::string dir = TempDir("spool");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_spool_test"), {"--embedded-executor=false"});
  std::string url = server.url();
  User admin = SignUp(url, "spool");
  std::string marker = dir + "/started";
  constexpr int kLines = 20000;
  Project p = MakeProject(admin, "spool", {{".github/workflows/loud.yml", R"(on: workflow_dispatch
jobs:
  loud:
    runs-on: self-hosted
    steps:
      - run: |
          touch )" + marker + R"(
          sleep 1
          seq 1 )" + std::to_string(kLines) + R"( | sed 's/^/output line /'
)"}},
                          url);
  ExecutorProcess executor;
  executor.Start(dir, url, admin, "spool-box");
  const std::string work = dir + "/work";
  HttpReply d = Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/loud.yml/dispatches",
                     "{}", admin.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  for (int i = 0; i < 600 && !fs::exists(marker); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(marker)) << executor.Log();
  // The server stops answering while the step prints; what the executor cannot send waits in
  // the job's directory.
  ::kill(server.pid(), SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  std::string spools = Sh("ls " + work + "/job-*/log.spool 2>/dev/null | wc -l");
  ::kill(server.pid(), SIGCONT);
  EXPECT_EQ(spools, "1\n");
  json run = WaitRun(admin, d.Json()["runs"][0].get<int64_t>(), 60, url);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2);
  const json* loud = JobNamed(run, "loud");
  ASSERT_NE(loud, nullptr);
  std::string log = JobLog(admin, *loud, url);
  // Every line, once, in order.
  size_t at = 0;
  for (int i = 1; i <= kLines; ++i) {
    std::string line = " output line " + std::to_string(i) + "\n";
    size_t found = log.find(line, at);
    ASSERT_NE(found, std::string::npos) << "line " << i << " missing or out of order";
    at = found + line.size();
  }
  EXPECT_EQ(log.find(" output line 1\n", log.find(" output line 1\n") + 1), std::string::npos);
  int status = executor.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << executor.Log();
  EXPECT_EQ(Sh("find " + work + " -maxdepth 1 -name 'job-*' | wc -l"),
            "0\n");  // the job's directory is gone
  server.Stop();
}

}  // namespace
}  // namespace gantry::testing
