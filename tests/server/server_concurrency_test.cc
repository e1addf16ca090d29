// `concurrency:` groups across runs of a project on the shared server (docs/server.md,
// "Concurrency"). Each job of a group takes a directory lock with mkdir while it sleeps, so two
// members of a group running at once make one of them fail.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

// A workflow whose one job holds `lock` (a directory) for two seconds; `concurrency` is the
// workflow-level block ("" = none), `job_concurrency` the job-level one.
std::string Workflow(const std::string& concurrency, const std::string& job_concurrency,
                     const std::string& lock) {
  return "name: Deploy\non: push\n" + concurrency +
         "jobs:\n  deploy:\n    runs-on: ubuntu-latest\n" + job_concurrency +
         "    steps:\n      - run: mkdir " + lock + " && sleep 2 && rmdir " + lock + "\n";
}

int64_t PushCommit(const Project& p, const std::string& message) {
  std::string sha = p.repo->Commit(message);
  HttpReply hook = Push(p, sha, Unique("push"));
  EXPECT_EQ(hook.status, 202) << hook.body;
  json runs = hook.Json()["runs"];
  return runs.empty() ? 0 : runs[0].get<int64_t>();
}

json GetRun(const User& u, int64_t id) {
  return Http("GET", Url() + "/api/v1/runs/" + std::to_string(id), "", u.Auth()).Json();
}

// Waits up to 10 s for run `id` to reach `status`.
bool WaitStatus(const User& u, int64_t id, const std::string& status) {
  for (int i = 0; i < 500; ++i) {
    if (GetRun(u, id).value("status", "") == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string LockDir(const std::string& name) { return TempDir(name) + "/lock"; }

TEST(ServerConcurrencyTest, SecondRunOfAGroupWaitsPendingUntilTheFirstCompletes) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy",
      {{".github/workflows/d.yml", Workflow("concurrency: deploy-prod\n", "", LockDir("c1"))}});
  int64_t first = PushCommit(p, "one");
  ASSERT_TRUE(WaitStatus(u, first, "in_progress"));
  int64_t second = PushCommit(p, "two");
  ASSERT_TRUE(WaitStatus(u, second, "pending")) << GetRun(u, second).dump(2);
  // GitHub's shape shows the wait the same way (gh run list / view).
  json gh =
      Http("GET", Url() + "/api/v3/repos/" + p.name + "/actions/runs/" + std::to_string(second), "",
           u.Auth())
          .Json();
  EXPECT_EQ(gh.value("status", ""), "pending") << gh.dump(2);
  EXPECT_EQ(WaitRun(u, first).value("conclusion", ""), "success");
  json done = WaitRun(u, second);
  EXPECT_EQ(done.value("conclusion", ""), "success") << done.dump(2);
}

TEST(ServerConcurrencyTest, CancelInProgressCancelsTheRunningRun) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(u, "deploy",
                          {{".github/workflows/d.yml",
                            Workflow("concurrency:\n  group: prod\n  cancel-in-progress: true\n",
                                     "", LockDir("c2") + "-$GITHUB_RUN_ID")}});
  int64_t first = PushCommit(p, "one");
  ASSERT_TRUE(WaitStatus(u, first, "in_progress"));
  int64_t second = PushCommit(p, "two");
  EXPECT_EQ(WaitRun(u, first).value("conclusion", ""), "cancelled");
  EXPECT_EQ(WaitRun(u, second).value("conclusion", ""), "success");
}

TEST(ServerConcurrencyTest, NewerPendingRunCancelsTheOlderPendingOne) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy", {{".github/workflows/d.yml", Workflow("concurrency: q\n", "", LockDir("c3"))}});
  int64_t first = PushCommit(p, "one");
  ASSERT_TRUE(WaitStatus(u, first, "in_progress"));
  int64_t second = PushCommit(p, "two");
  ASSERT_TRUE(WaitStatus(u, second, "pending"));
  int64_t third = PushCommit(p, "three");
  json middle = WaitRun(u, second);
  EXPECT_EQ(middle.value("conclusion", ""), "cancelled");
  EXPECT_THAT(middle.value("error", ""), HasSubstr("higher priority waiting request for 'q'"));
  EXPECT_EQ(WaitRun(u, first).value("conclusion", ""), "success");
  EXPECT_EQ(WaitRun(u, third).value("conclusion", ""), "success");
}

TEST(ServerConcurrencyTest, CancellingAPendingRunEndsItWithoutRunningAJob) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy", {{".github/workflows/d.yml", Workflow("concurrency: c\n", "", LockDir("c6"))}});
  int64_t first = PushCommit(p, "one");
  ASSERT_TRUE(WaitStatus(u, first, "in_progress"));
  int64_t second = PushCommit(p, "two");
  ASSERT_TRUE(WaitStatus(u, second, "pending"));
  HttpReply cancel =
      Http("POST", Url() + "/api/v1/runs/" + std::to_string(second) + "/cancel", "", u.Auth());
  EXPECT_LT(cancel.status, 300) << cancel.body;
  json cancelled = WaitRun(u, second, 10);
  EXPECT_EQ(cancelled.value("conclusion", ""), "cancelled");
  EXPECT_TRUE(cancelled["jobs"].empty()) << cancelled.dump(2);
  EXPECT_EQ(WaitRun(u, first).value("conclusion", ""), "success");
}

TEST(ServerConcurrencyTest, JobLevelGroupSerializesJobsAcrossRuns) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy",
      {{".github/workflows/d.yml",
        Workflow("", "    concurrency: deploy-${{ matrix.none || 'all' }}\n", LockDir("c4"))}});
  int64_t first = PushCommit(p, "one");
  int64_t second = PushCommit(p, "two");
  // The job held back names the one holding its group.
  std::string why;
  for (int i = 0; i < 500 && why.empty(); ++i) {
    for (int64_t id : {first, second}) {
      json run = GetRun(u, id);
      for (const json& j : run["jobs"]) {
        if (j.value("status", "") == "queued") why = j.value("waiting_reason", "");
      }
    }
    if (why.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(why, HasSubstr("of concurrency group 'deploy-all' to finish"));
  json a = WaitRun(u, first);
  json b = WaitRun(u, second);
  // With both jobs holding the lock at once, one of them would fail.
  EXPECT_EQ(a.value("conclusion", ""), "success") << a.dump(2);
  EXPECT_EQ(b.value("conclusion", ""), "success") << b.dump(2);
}

TEST(ServerConcurrencyTest, JobLevelCancelInProgressStopsTheRunningJobOfAnotherRun) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy",
      {{".github/workflows/d.yml",
        Workflow("", "    concurrency:\n      group: jl\n      cancel-in-progress: true\n",
                 LockDir("c7") + "-$GITHUB_RUN_ID")}});
  int64_t first = PushCommit(p, "one");
  ASSERT_TRUE(WaitStatus(u, first, "in_progress"));
  int64_t second = PushCommit(p, "two");
  json stopped = WaitRun(u, first);
  ASSERT_EQ(stopped["jobs"].size(), 1u) << stopped.dump(2);
  EXPECT_EQ(stopped["jobs"][0].value("conclusion", ""), "cancelled") << stopped.dump(2);
  // No job failed: the run is cancelled, as on GitHub.
  EXPECT_EQ(stopped.value("conclusion", ""), "cancelled") << stopped.dump(2);
  EXPECT_EQ(WaitRun(u, second).value("conclusion", ""), "success");
}

TEST(ServerConcurrencyTest, ARerunWaitsForItsGroup) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy", {{".github/workflows/d.yml", Workflow("concurrency: rr\n", "", LockDir("c9"))}});
  int64_t first = PushCommit(p, "one");
  ASSERT_EQ(WaitRun(u, first).value("conclusion", ""), "success");
  int64_t second = PushCommit(p, "two");
  ASSERT_TRUE(WaitStatus(u, second, "in_progress"));
  HttpReply rerun =
      Http("POST", Url() + "/api/v1/runs/" + std::to_string(first) + "/rerun", "{}", u.Auth());
  ASSERT_LT(rerun.status, 300) << rerun.body;
  EXPECT_TRUE(WaitStatus(u, first, "pending")) << GetRun(u, first).dump(2);
  EXPECT_EQ(WaitRun(u, second).value("conclusion", ""), "success");
  json again = WaitRun(u, first);
  EXPECT_EQ(again.value("conclusion", ""), "success") << again.dump(2);
  EXPECT_EQ(again.value("attempt", 0), 2);
}

TEST(ServerConcurrencyTest, MatrixInstancesOfOneJobGroupRunFirstAndLast) {
  User u = SignUp(Url(), Unique("conc"));
  std::string lock = LockDir("c8");
  Project p = MakeProject(u, "deploy",
                          {{".github/workflows/d.yml",
                            "on: push\njobs:\n  deploy:\n    strategy:\n      matrix:\n"
                            "        n: [1, 2, 3]\n    runs-on: ubuntu-latest\n"
                            "    concurrency: m\n    steps:\n      - run: mkdir " +
                                lock + " && sleep 1 && rmdir " + lock + "\n"}});
  json run = WaitRun(u, PushCommit(p, "one"));
  std::map<std::string, int> conclusions;
  for (const json& j : run["jobs"]) ++conclusions[j.value("conclusion", "")];
  EXPECT_EQ(conclusions["success"], 2) << run.dump(2);
  EXPECT_EQ(conclusions["cancelled"], 1) << run.dump(2);
  EXPECT_EQ(run.value("conclusion", ""), "cancelled") << run.dump(2);
}

TEST(ServerConcurrencyTest, GroupIsAnExpressionOfWorkflowAndRef) {
  User u = SignUp(Url(), Unique("conc"));
  Project p = MakeProject(
      u, "deploy",
      {{".github/workflows/d.yml",
        Workflow("concurrency: ${{ github.workflow }}-${{ github.ref }}\n", "", LockDir("c5"))}});
  int64_t first = PushCommit(p, "one");
  ASSERT_TRUE(WaitStatus(u, first, "in_progress"));
  int64_t second = PushCommit(p, "two");
  ASSERT_TRUE(WaitStatus(u, second, "pending"));
  EXPECT_EQ(WaitRun(u, first).value("conclusion", ""), "success");
  EXPECT_EQ(WaitRun(u, second).value("conclusion", ""), "success");
}

// Two replicas on one PostgreSQL database, without Redis (a replica hears of the other's
// completions through its once-a-second check): a run dispatched on each, in one group.
TEST(ServerConcurrencyTest, GroupHoldsAcrossTwoReplicas) {
  const char* which = std::getenv("GANTRY_TEST_DATABASE");
  if (which == nullptr || std::string(which) != "postgres") {
    GTEST_SKIP() << "replicas share a PostgreSQL database";
  }
  std::string dir = TempDir("conc-replicas");
  std::string db = TestDatabase("gantry_conc_replicas_test");
  // One executor per replica: the embedded ones would share one registration.
  std::vector<std::string> shared = {"--embedded-executor=false", "--key-file", dir + "/server.key",
                                     "--storage-dir", dir + "/storage"};
  ServerProcess a, b;
  a.Start(dir + "/a", db, shared);
  b.Start(dir + "/b", db, shared);
  User admin = SignUp(a.url(), "replicas");
  std::string lock = dir + "/lock";
  Project p = MakeProject(admin, "fleet",
                          {{".github/workflows/d.yml",
                            "on: workflow_dispatch\nconcurrency: fleet\njobs:\n  deploy:\n"
                            "    runs-on: self-hosted\n    steps:\n      - run: mkdir " +
                                lock + " && sleep 2 && rmdir " + lock + "\n"}},
                          a.url());
  ExecutorProcess ea, eb;
  ea.Start(dir + "/ea", a.url(), admin, "exec-a");
  eb.Start(dir + "/eb", b.url(), admin, "exec-b");
  auto dispatch = [&](const std::string& url) {
    HttpReply d = Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/d.yml/dispatches",
                       "{}", admin.Auth());
    EXPECT_EQ(d.status, 201) << d.body;
    return d.Json()["runs"][0].get<int64_t>();
  };
  int64_t first = dispatch(a.url());
  int64_t second = dispatch(b.url());
  std::string seen;
  for (int i = 0; i < 250 && seen != "pending"; ++i) {
    seen = Http("GET", b.url() + "/api/v1/runs/" + std::to_string(second), "", admin.Auth())
               .Json()
               .value("status", "");
    if (seen != "pending") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, "pending");
  json one = WaitRun(admin, first, 60, a.url());
  json two = WaitRun(admin, second, 60, b.url());
  EXPECT_EQ(one.value("conclusion", ""), "success") << one.dump(2) << a.Log();
  EXPECT_EQ(two.value("conclusion", ""), "success") << two.dump(2) << b.Log();
  ea.Stop();
  eb.Stop();
  a.Stop();
  b.Stop();
}

}  // namespace
}  // namespace gantry::testing
