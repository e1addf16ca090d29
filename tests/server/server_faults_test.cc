// Past one machine, under faults, with real processes: `gantry executor` agents killed with
// SIGKILL mid-job, a lossy network between an executor and the server, a server killed and
// started again mid-job, and (on PostgreSQL) two `gantry server` replicas on one database, one
// of them killed mid-run. docs/scale-out.md describes what these tests hold the system to.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "lossy_proxy.h"
#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

bool OnPostgres() {
  const char* which = std::getenv("GANTRY_TEST_DATABASE");
  return which != nullptr && std::string(which) == "postgres";
}

int64_t Dispatch(const std::string& url, const User& u, const Project& p, const std::string& file) {
  HttpReply d =
      Http("POST", url + "/api/v1/projects/" + p.name + "/workflows/" + file + "/dispatches", "{}",
           u.Auth());
  EXPECT_EQ(d.status, 201) << d.body;
  return d.Json()["runs"][0].get<int64_t>();
}

bool Alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// Lines "<timestamp> <prefix><i>" for i in 1..n are all in `log`, in order, each once.
void ExpectEveryLineOnceInOrder(const std::string& log, const std::string& prefix, int n) {
  size_t at = 0;
  for (int i = 1; i <= n; ++i) {
    const std::string line = " " + prefix + std::to_string(i) + "\n";
    size_t found = log.find(line, at);
    ASSERT_NE(found, std::string::npos) << "'" << prefix << i << "' missing or out of order in:\n"
                                        << log;
    ASSERT_EQ(log.rfind(line), found) << "'" << prefix << i << "' twice in:\n" << log;
    at = found + line.size();
  }
}

TEST(ServerFaultsTest, AnExecutorKilledMidJobIsLostItsLinesKeptOrItsJobQueuedAgain) {
  std::string dir = TempDir("lost");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_lost_test"),
               {"--embedded-executor=false", "--lease-seconds", "5", "--requeue-labels", "spot"});
  std::string url = server.url();
  User admin = SignUp(url, "lost");
  Project p = MakeProject(admin, "lost", {{".github/workflows/lost.yml", R"(on: workflow_dispatch
jobs:
  doomed:
    runs-on: [self-hosted, solid]
    environment: lost-env
    steps:
      - run: echo "doomed wrote this"; echo $$ > )" + dir + R"(/doomed.pid; sleep 300
  spot:
    runs-on: [self-hosted, spot]
    steps:
      - run: |
          if [ ! -e )" + dir + R"(/spot-once ]; then
            touch )" + dir + R"(/spot-once
            echo "first try"
            sleep 300
          fi
          echo "second try finished"
  after:
    needs: [doomed]
    if: always()
    runs-on: [self-hosted, solid]
    steps:
      - run: echo "after ran"
)"}},
                          url);
  ExecutorProcess first;
  first.Start(dir + "/e1", url, admin, "first", "solid,spot");
  int64_t id = Dispatch(url, admin, p, "lost.yml");
  ASSERT_TRUE(WaitForFile(dir + "/doomed.pid")) << first.Log();
  ASSERT_TRUE(WaitForFile(dir + "/spot-once")) << first.Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the lines reach the server
  int step_pid = 0;
  std::ifstream(dir + "/doomed.pid") >> step_pid;
  first.Kill9();
  ExecutorProcess second;
  second.Start(dir + "/e2", url, admin, "second", "solid,spot");

  json run = WaitRun(admin, id, 60, url);
  EXPECT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
  const json* doomed = JobNamed(run, "doomed");
  const json* spot = JobNamed(run, "spot");
  const json* after = JobNamed(run, "after");
  ASSERT_TRUE(doomed && spot && after) << run.dump(2);
  // Not re-queued: it fails as lost, keeping what it had sent; the run goes on.
  EXPECT_EQ(doomed->value("conclusion", ""), "failure");
  EXPECT_THAT(doomed->value("error", ""), HasSubstr("Executor lost: 'first'"));
  EXPECT_THAT(JobLog(admin, *doomed, url), HasSubstr("doomed wrote this"));
  EXPECT_EQ(after->value("conclusion", ""), "success");
  // Its deployment (environment: lost-env) ends failed too.
  json deployments =
      Http("GET", url + "/api/v1/projects/" + p.name + "/deployments", "", admin.Auth())
          .Json()["deployments"];
  ASSERT_EQ(deployments.size(), 1u) << deployments.dump(2);
  EXPECT_EQ(deployments[0].value("status", ""), "failure");
  EXPECT_EQ(deployments[0].value("environment", ""), "lost-env");
  // runs-on spot: queued again and finished by the other executor, both tries in its log.
  EXPECT_EQ(spot->value("conclusion", ""), "success") << run.dump(2);
  EXPECT_EQ(spot->value("executor", ""), "second");
  std::string log = JobLog(admin, *spot, url);
  EXPECT_THAT(log, HasSubstr("first try"));
  EXPECT_THAT(log, HasSubstr("Executor lost: 'first' stopped answering"));
  EXPECT_THAT(log, HasSubstr("second try finished"));
  EXPECT_LT(log.find("first try"), log.find("second try finished"));
  // The killed executor's step died with it.
  for (int i = 0; i < 100 && Alive(step_pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(Alive(step_pid)) << "step " << step_pid << " outlived its executor";
  second.Stop();
  server.Stop();
}

TEST(ServerFaultsTest, ADaemonThatIgnoresSigtermDoesNotOutliveItsJob) {
  std::string dir = TempDir("daemon");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_daemon_test"), {"--embedded-executor=false"});
  std::string url = server.url();
  User admin = SignUp(url, "daemon");
  Project p = MakeProject(admin, "daemon", {{".github/workflows/d.yml", R"(on: workflow_dispatch
jobs:
  d:
    runs-on: self-hosted
    steps:
      - run: |
          setsid sh -c 'trap "" TERM HUP; echo $$ > )" + dir + R"(/daemon.pid; exec sleep 1000' \
            </dev/null >/dev/null 2>&1 &
          sleep 1
          echo "left a daemon behind"
)"}},
                          url);
  ExecutorProcess executor;
  executor.Start(dir + "/e", url, admin, "keeper");
  json run = WaitRun(admin, Dispatch(url, admin, p, "d.yml"), 60, url);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << executor.Log();
  int daemon = 0;
  std::ifstream(dir + "/daemon.pid") >> daemon;
  ASSERT_GT(daemon, 0);
  for (int i = 0; i < 100 && Alive(daemon); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(Alive(daemon)) << "the job's daemon " << daemon << " survived it";
  executor.Stop();
  server.Stop();
}

// The seed of the lossy proxy's faults: GANTRY_FAULT_SEED, or a fixed one.
uint32_t FaultSeed() {
  const char* seed = std::getenv("GANTRY_FAULT_SEED");
  return seed != nullptr ? static_cast<uint32_t>(std::strtoul(seed, nullptr, 10)) : 11;
}

// An executor that reaches the server through a proxy that resets, cuts and delays its
// connections and refuses new ones for a while (its clones of the job's code go through it
// too): every run ends as it should, every job ran once, every log is whole and in order, and
// the outputs passed through `needs` arrive.
TEST(ServerFaultsTest, ALossyNetworkBetweenExecutorAndServerLosesAndRepeatsNothing) {
  FaultPlan plan;
  plan.seed = FaultSeed();
  SCOPED_TRACE("GANTRY_FAULT_SEED=" + std::to_string(plan.seed));
  std::string dir = TempDir("lossy");
  LossyProxy proxy(plan);
  ServerProcess server;
  // Executors are told to clone from the proxy; a lease whose answer was lost is queued again
  // after 3 s.
  server.Start(
      dir + "/data", TestDatabase("gantry_lossy_test"),
      {"--embedded-executor=false", "--external-url", proxy.url(), "--lease-ack-seconds", "3"});
  proxy.SetTarget(server.port());
  const std::string url = server.url();
  User admin = SignUp(url, "lossy");
  const std::string ran = dir + "/ran";
  // Every job checks the code out (through the proxy) and prints its lines in bursts, so that
  // they go in many batches.
  const std::string lines = R"(for i in $(seq 1 400); do
  echo "$1 line $i"
  if [ $((i % 50)) = 0 ]; then sleep 0.1; fi
done
)";
  const std::string workflow = R"Y(on: workflow_dispatch
env:
  RAN: )Y" + ran + R"Y(
jobs:
  build:
    runs-on: self-hosted
    outputs:
      stamp: ${{ steps.stamp.outputs.stamp }}
    steps:
      - uses: actions/checkout@v4
      - id: stamp
        run: |
          echo "${{ github.run_id }} build" >> "$RAN"
          sh lines.sh build
          echo "stamp=$(cat stamp.txt)-${{ github.run_id }}" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    strategy:
      matrix:
        n: [1, 2]
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "${{ github.run_id }} test ${{ matrix.n }}" >> "$RAN"
          sh lines.sh "test ${{ matrix.n }}"
          echo "test got ${{ needs.build.outputs.stamp }}"
  report:
    needs: [build, test]
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "${{ github.run_id }} report" >> "$RAN"
          sh lines.sh report
          echo "report got ${{ needs.build.outputs.stamp }} and $(cat stamp.txt)"
)Y";
  Project p = MakeProject(admin, "lossy",
                          {{"stamp.txt", "from-the-repository\n"},
                           {"lines.sh", lines},
                           {".github/workflows/pipeline.yml", workflow}},
                          proxy.url());
  ExecutorProcess executor;
  executor.Start(dir + "/e", proxy.url(), admin, "far-away");
  proxy.SetFaulty(true);

  constexpr int kRuns = 2;
  std::vector<int64_t> ids;
  ids.reserve(kRuns);
  for (int i = 0; i < kRuns; ++i) ids.push_back(Dispatch(url, admin, p, "pipeline.yml"));
  for (int64_t id : ids) {
    json run = WaitRun(admin, id, 60, url);
    if (run.value("conclusion", "") != "success") {
      for (const json& job : run["jobs"]) {
        if (job.value("conclusion", "") != "failure") continue;
        ADD_FAILURE() << job.value("name", "") << " failed:\n" << JobLog(admin, job, url);
      }
    }
    ASSERT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << executor.Log();
    ASSERT_EQ(run["jobs"].size(), 4u) << run.dump(2);
    const std::string stamp = "from-the-repository-" + std::to_string(id);
    for (const json& job : run["jobs"]) {
      const std::string name = job.value("name", "");
      std::string log = JobLog(admin, job, url);
      EXPECT_EQ(job.value("executor", ""), "far-away");
      if (name == "build") {
        ExpectEveryLineOnceInOrder(log, "build line ", 400);
        EXPECT_EQ(job["outputs"].value("stamp", ""), stamp) << job.dump(2);
      } else if (name == "report") {
        ExpectEveryLineOnceInOrder(log, "report line ", 400);
        EXPECT_THAT(log, HasSubstr(" report got " + stamp + " and from-the-repository\n"));
      } else {
        ASSERT_EQ(name.rfind("test", 0), 0u) << name;
        const std::string n = log.find(" test 1 line 1\n") != std::string::npos ? "1" : "2";
        ExpectEveryLineOnceInOrder(log, "test " + n + " line ", 400);
        EXPECT_THAT(log, HasSubstr(" test got " + stamp + "\n"));
      }
    }
  }
  proxy.SetFaulty(false);
  // Every job ran exactly once: no lease whose answer was lost ran twice.
  std::map<std::string, int> times;
  std::ifstream in(ran);
  for (std::string line; std::getline(in, line);) ++times[line];
  EXPECT_EQ(times.size(), static_cast<size_t>(kRuns * 4));
  for (const auto& [job, n] : times) EXPECT_EQ(n, 1) << job << " ran " << n << " times";
  // The network did misbehave.
  FaultStats stats = proxy.stats();
  std::cerr << "lossy proxy (seed " << plan.seed << "): " << stats.connections << " connections, "
            << stats.refused << " refused, " << stats.cut_requests << " cut mid-request, "
            << stats.cut_responses << " cut mid-answer, " << stats.delays << " delays\n";
  EXPECT_GT(stats.cut_requests + stats.cut_responses, 0);
  EXPECT_GT(stats.delays, 0);
  executor.Stop();
  server.Stop();
  std::error_code ec;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir, ec);
}

// A server killed with SIGKILL while a registered executor runs a job, and started again on
// the same port a moment later: the job goes on and ends there, its log whole and in order,
// and the run continues after it.
TEST(ServerFaultsTest, AServerKilledAndRestartedMidJobLosesNoLineOfARegisteredExecutor) {
  std::string dir = TempDir("restart");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_restart_test"), {"--embedded-executor=false"});
  const std::string url = server.url();
  User admin = SignUp(url, "restart");
  Project p = MakeProject(admin, "restart", {{".github/workflows/long.yml", R"(on: workflow_dispatch
jobs:
  long:
    runs-on: self-hosted
    outputs:
      last: ${{ steps.count.outputs.last }}
    steps:
      - id: count
        run: |
          touch )" + dir + R"(/long-started
          for i in $(seq 1 120); do echo "tick $i"; sleep 0.05; done
          echo "last=120" >> "$GITHUB_OUTPUT"
  after:
    needs: long
    runs-on: self-hosted
    steps:
      - run: echo "after saw ${{ needs.long.outputs.last }}"
)"}},
                          url);
  ExecutorProcess executor;
  executor.Start(dir + "/e", url, admin, "steady");
  int64_t id = Dispatch(url, admin, p, "long.yml");
  ASSERT_TRUE(WaitForFile(dir + "/long-started")) << executor.Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // some lines reach the server
  json before = Http("GET", url + "/api/v1/runs/" + std::to_string(id), "", admin.Auth()).Json();
  ASSERT_EQ(before.value("status", ""), "in_progress") << before.dump(2);
  server.Kill9();
  // The job prints on while no server answers.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server.Restart();
  ASSERT_EQ(server.url(), url);

  json run = WaitRun(admin, id, 60, url);
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << executor.Log();
  const json* long_job = JobNamed(run, "long");
  const json* after = JobNamed(run, "after");
  ASSERT_TRUE(long_job && after) << run.dump(2);
  EXPECT_EQ(long_job->value("conclusion", ""), "success") << long_job->dump(2);
  EXPECT_EQ(long_job->value("executor", ""), "steady");
  ExpectEveryLineOnceInOrder(JobLog(admin, *long_job, url), "tick ", 120);
  EXPECT_THAT(JobLog(admin, *after, url), HasSubstr(" after saw 120\n"));
  executor.Stop();
  server.Stop();
  std::error_code ec;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir, ec);
}

// Two replicas on one PostgreSQL and Redis: runs launched on either, executors on either,
// every job run exactly once and every log complete and in order, a log followed live (SSE)
// on the replica that did not receive it; then one replica is killed mid-run and the other
// takes its runs over. GANTRY_FAULT_RUNS sets the number of matrix runs (default 8;
// bench/scale-out-soak.sh runs 200).
TEST(ServerFaultsTest, TwoReplicasRunOneSystemAndSurviveTheDeathOfOne) {
  if (!OnPostgres()) GTEST_SKIP() << "replicas share a PostgreSQL database";
  std::string dir = TempDir("replicas");
  std::string db = TestDatabase("gantry_replicas_test");
  const std::string redis_port = "GANTRY_REDIS_PORT=" + std::to_string(56400 + getpid() % 500);
  std::string redis =
      Sh(redis_port + " " + std::string(GANTRY_SOURCE_DIR) + "/scripts/redis-up.sh");
  while (!redis.empty() && redis.back() == '\n') redis.pop_back();
  redis = redis.substr(redis.rfind('\n') + 1);
  ASSERT_EQ(redis.rfind("redis://", 0), 0u) << redis;
  struct RedisDown {
    std::string env;
    ~RedisDown() { Sh(env + " " + std::string(GANTRY_SOURCE_DIR) + "/scripts/redis-down.sh"); }
  } redis_down{redis_port};
  std::vector<std::string> shared = {"--embedded-executor=false",
                                     "--redis",
                                     redis,
                                     "--key-file",
                                     dir + "/server.key",
                                     "--storage-dir",
                                     dir + "/storage",
                                     "--replica-claim-seconds",
                                     "3",
                                     "--lease-seconds",
                                     "10"};
  ServerProcess a, b;
  a.Start(dir + "/a", db, shared);
  b.Start(dir + "/b", db, shared);
  User admin = SignUp(a.url(), "replicas");
  std::string ran = dir + "/ran";
  Project p = MakeProject(admin, "fleet",
                          {{".github/workflows/matrix.yml", R"(on: workflow_dispatch
jobs:
  build:
    strategy:
      matrix:
        n: [1, 2, 3]
    runs-on: self-hosted
    steps:
      - run: |
          echo "${{ github.run_id }} build ${{ matrix.n }}" >> )" +
                                                                ran +
                                                                R"(
          for i in $(seq 1 40); do echo "line $i"; done
  test:
    needs: build
    runs-on: self-hosted
    steps:
      - run: echo "${{ github.run_id }} test" >> )" + ran + R"(; echo tested
)"},
                           {".github/workflows/slow.yml", R"(on: workflow_dispatch
jobs:
  slow:
    runs-on: [self-hosted, b-side]
    steps:
      - run: |
          touch )" + dir + R"(/slow-started
          for i in $(seq 1 30); do echo "slow $i"; sleep 0.1; done
          echo "slow finished"
  then:
    needs: slow
    runs-on: [self-hosted, b-side]
    steps:
      - run: echo "then ran"
)"}},
                          a.url());
  ExecutorProcess ea, eb;
  ea.Start(dir + "/ea", a.url(), admin, "exec-a");
  eb.Start(dir + "/eb", b.url(), admin, "exec-b", "b-side");

  const char* runs_env = std::getenv("GANTRY_FAULT_RUNS");
  const int kRuns = runs_env != nullptr ? std::atoi(runs_env) : 8;
  std::vector<int64_t> ids;
  ids.reserve(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    ids.push_back(Dispatch(i % 2 == 0 ? a.url() : b.url(), admin, p, "matrix.yml"));
  }
  std::set<std::string> executors;
  for (size_t n = 0; n < ids.size(); ++n) {
    // Watched and read through the replica the run was not launched on.
    const std::string& other = n % 2 == 0 ? b.url() : a.url();
    json run = WaitRun(admin, ids[n], 120, other);
    ASSERT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << a.Log() << b.Log();
    ASSERT_EQ(run["jobs"].size(), 4u);
    for (const json& job : run["jobs"]) {
      executors.insert(job.value("executor", ""));
      if (job.value("name", "").rfind("build", 0) != 0) continue;
      std::string log = JobLog(admin, job, other);
      size_t at = 0;
      for (int i = 1; i <= 40; ++i) {
        size_t next = log.find("line " + std::to_string(i) + "\n", at);
        ASSERT_NE(next, std::string::npos) << "line " << i << " of " << log;
        at = next;
      }
    }
  }
  EXPECT_EQ(executors.size(), 2u) << "both executors took jobs";
  std::map<std::string, int> times;
  std::ifstream in(ran);
  for (std::string line; std::getline(in, line);) ++times[line];
  EXPECT_EQ(times.size(), static_cast<size_t>(kRuns * 4));
  for (const auto& [job, n] : times) EXPECT_EQ(n, 1) << job << " ran " << n << " times";

  // A run launched on a, its job running on b's executor; a dies; b finishes the run.
  int64_t slow = Dispatch(a.url(), admin, p, "slow.yml");
  // Its log followed live on b while a received it... until a dies: the follower on b goes on.
  json queued;
  for (int i = 0; i < 500; ++i) {
    queued = Http("GET", b.url() + "/api/v1/runs/" + std::to_string(slow), "", admin.Auth()).Json();
    if (queued.contains("jobs") && !queued["jobs"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(queued["jobs"].empty()) << queued.dump(2);
  std::string follow_url = b.url() + "/api/v1/jobs/" +
                           std::to_string(queued["jobs"][0]["id"].get<int64_t>()) +
                           "/logs?follow=1";
  std::string followed;
  std::thread follower([&] { followed = Http("GET", follow_url, "", admin.Auth(), 60000).body; });
  ASSERT_TRUE(WaitForFile(dir + "/slow-started")) << eb.Log();
  a.Kill9();
  json run = WaitRun(admin, slow, 60, b.url());
  EXPECT_EQ(run.value("conclusion", ""), "success") << run.dump(2) << b.Log();
  const json* then = JobNamed(run, "then");
  ASSERT_NE(then, nullptr) << run.dump(2);
  EXPECT_THAT(JobLog(admin, *then, b.url()), HasSubstr("then ran"));
  EXPECT_THAT(b.Log(), HasSubstr("takes it over"));
  follower.join();
  size_t at = 0;
  for (int i = 1; i <= 30; ++i) {
    size_t next = followed.find("slow " + std::to_string(i) + "\n", at);
    ASSERT_NE(next, std::string::npos) << "line " << i << " of the followed log:\n" << followed;
    at = next;
  }
  EXPECT_THAT(followed, HasSubstr("event: end"));
  ea.Kill9();
  eb.Stop();
  b.Stop();
}

}  // namespace
}  // namespace gantry::testing
