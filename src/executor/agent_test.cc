#include "executor/agent.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "executor/test_util.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::Body;
using testing::FakeTransport;
using testing::RecordingPolicy;

constexpr const char* kWorkflow =
    "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-agent-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  JobSpec Spec(int64_t id = 17) {
    JobSpec s;
    s.id = id;
    s.run_id = 5;
    s.workflow_file = ".github/workflows/ci.yml";
    s.workflow_yaml = kWorkflow;
    s.job_id = "test";
    s.display_name = "test";
    s.matrix = s.strategy = s.needs = s.inputs_context = expr::Value(expr::Object());
    expr::Object github;
    github.Set("run_id", expr::Value("5"));
    s.github = expr::Value(std::move(github));
    s.secrets = {{"TOKEN", "s3cret"}};
    return s;
  }
  Lease LeaseOf(const JobSpec& spec, int lease_seconds = 60) {
    Lease l;
    l.lease_id = "L" + std::to_string(spec.id);
    l.lease_seconds = lease_seconds;
    l.job_id = spec.id;
    l.spec = spec;
    l.spec_error.clear();
    return l;
  }
  AgentOptions Options() {
    AgentOptions o;
    o.server_url = "http://unused";
    o.token = "tok";
    o.work_dir = dir_ + "/work";
    o.retry = RecordingPolicy(nullptr, 2);
    o.logs.flush_after = milliseconds(20);
    o.logs.retry_wait = milliseconds(10);
    o.log_drain_timeout = milliseconds(5000);
    return o;
  }
  // An agent whose transport is `handler` and whose jobs run `run_job`.
  std::unique_ptr<Agent> MakeAgent(AgentOptions o, FakeTransport::Handler handler,
                                   RunJobFn run_job) {
    auto transport = std::make_unique<FakeTransport>(std::move(handler));
    transport_ = transport.get();
    AgentDeps deps;
    deps.transport = std::move(transport);
    deps.run_job = std::move(run_job);
    deps.backend = backend::MakeHostBackend();
    return std::make_unique<Agent>(std::move(o), std::move(deps));
  }
  // An agent over `transport` whose jobs run `run_job`.
  std::unique_ptr<Agent> MakeAgentOver(AgentOptions o, std::unique_ptr<FakeTransport> transport,
                                       RunJobFn run_job) {
    transport_ = transport.get();
    AgentDeps deps;
    deps.transport = std::move(transport);
    deps.run_job = std::move(run_job);
    deps.backend = backend::MakeHostBackend();
    return std::make_unique<Agent>(std::move(o), std::move(deps));
  }
  // A transport whose first `jobs` leases get a job each (ids 1, 2, ...) and whose later
  // leases are held like a server's 30 s long-poll until the lease is cancelled.
  std::unique_ptr<FakeTransport> LeasingThenHolding(int jobs) {
    auto leased = std::make_shared<std::atomic<int>>(0);
    JobSpec base = Spec();
    return FakeTransport::WithCancel(
        [leased, jobs, base](const HttpRequest& r,
                             const backend::CancelToken* cancel) -> core::Result<HttpReply> {
          if (r.path.find("/lease") == std::string::npos) return FakeTransport::Reply(200, "{}");
          int n = ++*leased;
          if (n <= jobs) {
            JobSpec s = base;
            s.id = n;
            nlohmann::ordered_json j = {{"lease_id", "L" + std::to_string(n)},
                                        {"lease_seconds", 60},
                                        {"job", JobSpecToJson(s)}};
            return FakeTransport::Reply(200, j.dump());
          }
          pollfd p{cancel != nullptr ? cancel->wait_fd() : -1, POLLIN, 0};
          (void)poll(&p, 1, 30000);
          if (cancel != nullptr && cancel->cancelled()) return core::Status::Cancelled("lease");
          return FakeTransport::Reply(204);
        });
  }
  std::vector<HttpRequest> Completes() const { return transport_->RequestsTo("/complete"); }

  std::string dir_;
  FakeTransport* transport_ = nullptr;
};

// A job that runs until it is cancelled (at most 10 s).
engine::JobReport WaitForCancel(const engine::OneJob& job, const engine::RunOptions& options) {
  for (int i = 0; i < 1000 && !options.cancel->cancelled(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  engine::JobReport r;
  r.key = {job.job_id, job.instance, job.display_name};
  r.conclusion =
      options.cancel->cancelled() ? engine::Conclusion::kCancelled : engine::Conclusion::kSuccess;
  return r;
}

TEST_F(AgentTest, HeartbeatCancelCancelsTheJobAndCompletesItCancelled) {
  auto agent = MakeAgent(
      Options(),
      [](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/heartbeat") != std::string::npos) {
          return FakeTransport::Reply(200, R"({"cancel":true,"lease_seconds":1})");
        }
        return FakeTransport::Reply(200, "{}");
      },
      [](const engine::Plan& plan, const engine::RunOptions& options, const engine::OneJob& job,
         backend::Backend&, engine::RunObserver& observer) {
        EXPECT_NE(plan.Find("test"), nullptr);
        observer.OnStepStarted({job.job_id, 0, job.display_name}, 0, "Run echo hi");
        observer.OnLogLine({job.job_id, 0, job.display_name}, 0, "hi");
        return WaitForCancel(job, options);
      });
  auto started = std::chrono::steady_clock::now();
  agent->RunLease(LeaseOf(Spec(), /*lease_seconds=*/1));
  // A heartbeat every lease_seconds/3.
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(3000));
  ASSERT_EQ(Completes().size(), 1u);
  nlohmann::json done = Body(Completes()[0]);
  EXPECT_EQ(done["conclusion"], "cancelled");
  EXPECT_EQ(done["lease_id"], "L17");
  // Every log was sent before the completion.
  std::vector<HttpRequest> all = transport_->requests();
  EXPECT_NE(all.back().path.find("/complete"), std::string::npos);
  EXPECT_FALSE(transport_->RequestsTo("/logs").empty());
  // The workspace is gone.
  EXPECT_TRUE(fs::is_empty(dir_ + "/work"));
}

TEST_F(AgentTest, ALostLeaseStopsTheJobAndSendsNothingMore) {
  auto agent = MakeAgent(
      Options(),
      [](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/heartbeat") != std::string::npos) {
          return FakeTransport::Reply(409, R"({"error":{"code":"lease_lost","message":"x"}})");
        }
        return FakeTransport::Reply(200, "{}");
      },
      [](const engine::Plan&, const engine::RunOptions& options, const engine::OneJob& job,
         backend::Backend&, engine::RunObserver&) { return WaitForCancel(job, options); });
  agent->RunLease(LeaseOf(Spec(), 1));
  EXPECT_TRUE(Completes().empty());
}

// A lease the server never saw acknowledged is queued again: a job that ran before its first
// heartbeat was answered could run twice.
TEST_F(AgentTest, NothingOfAJobRunsBeforeAHeartbeatAcknowledgedItsLease) {
  std::atomic<int> beats{0};
  std::atomic<bool> acknowledged{false};
  std::atomic<bool> ran{false};
  std::atomic<bool> ran_early{false};
  auto agent = MakeAgent(
      Options(),
      [&](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/heartbeat") != std::string::npos) {
          // The first heartbeats do not get through (a network fault, a server restarting).
          if (++beats <= 3) return core::Status::Unavailable("connection reset by peer");
          acknowledged = true;
        }
        return FakeTransport::Reply(200, "{}");
      },
      [&](const engine::Plan&, const engine::RunOptions&, const engine::OneJob& job,
          backend::Backend&, engine::RunObserver&) {
        ran = true;
        ran_early = !acknowledged;
        engine::JobReport r;
        r.key = {job.job_id, job.instance, job.display_name};
        return r;
      });
  agent->RunLease(LeaseOf(Spec(), /*lease_seconds=*/1));
  EXPECT_TRUE(ran);
  EXPECT_FALSE(ran_early);
  EXPECT_EQ(Completes().size(), 1u);
}

TEST_F(AgentTest, AJobWhoseLeaseIsLostBeforeItIsAcknowledgedDoesNotRun) {
  std::atomic<bool> ran{false};
  auto agent = MakeAgent(
      Options(),
      [](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/heartbeat") != std::string::npos) {
          return FakeTransport::Reply(409, R"({"error":{"code":"lease_lost","message":"x"}})");
        }
        return FakeTransport::Reply(200, "{}");
      },
      [&](const engine::Plan&, const engine::RunOptions& options, const engine::OneJob& job,
          backend::Backend&, engine::RunObserver&) {
        ran = true;
        return WaitForCancel(job, options);
      });
  agent->RunLease(LeaseOf(Spec(), 1));
  EXPECT_FALSE(ran);
  EXPECT_TRUE(Completes().empty());
  EXPECT_TRUE(transport_->RequestsTo("/logs").empty());
}

TEST_F(AgentTest, AMalformedSpecCompletesTheJobAsFailed) {
  auto agent = MakeAgent(Options(), nullptr, nullptr);
  Lease l;
  l.lease_id = "L9";
  l.job_id = 9;
  l.spec_error = "job.workflow.yaml: missing";
  agent->RunLease(l);
  ASSERT_EQ(Completes().size(), 1u);
  nlohmann::json done = Body(Completes()[0]);
  EXPECT_EQ(Completes()[0].path, "/api/v1/executor/jobs/9/complete");
  EXPECT_EQ(done["conclusion"], "failure");
  EXPECT_NE(done["error"].get<std::string>().find("job.workflow.yaml: missing"), std::string::npos);
}

TEST_F(AgentTest, AWorkflowThatDoesNotLoadFailsTheJobWithItsDiagnostics) {
  std::atomic<bool> ran{false};
  auto agent = MakeAgent(Options(), nullptr,
                         [&](const engine::Plan&, const engine::RunOptions&, const engine::OneJob&,
                             backend::Backend&, engine::RunObserver&) {
                           ran = true;
                           return engine::JobReport{};
                         });
  JobSpec spec = Spec();
  spec.workflow_yaml = "on: push\njobs:\n  test:\n    steps: 3\n";
  agent->RunLease(LeaseOf(spec));
  EXPECT_FALSE(ran);
  ASSERT_EQ(Completes().size(), 1u);
  nlohmann::json done = Body(Completes()[0]);
  EXPECT_EQ(done["conclusion"], "failure");
  EXPECT_NE(done["error"].get<std::string>().find(".github/workflows/ci.yml:"), std::string::npos)
      << done["error"];
}

// Runs `script` with sh in `dir`; true when it exits 0.
bool Shell(const std::string& dir, const std::string& script) {
  return std::system(("cd '" + dir + "' && (" + script + ") >/dev/null 2>&1").c_str()) == 0;
}

TEST_F(AgentTest, ClonesTheCommitRunsTheJobUploadsArtifactsAndCompletes) {
  std::string repo = dir_ + "/repo";
  fs::create_directories(repo);
  ASSERT_TRUE(Shell(repo,
                    "git init -q -b main . && git config user.email t@e && git config user.name t"
                    " && echo one > f.txt && git add f.txt && git commit -qm one"
                    " && echo two > f.txt && git commit -qam two"))
      << "git is needed";
  ASSERT_TRUE(Shell(dir_, "git clone -q --bare repo repo.git"));
  FILE* p = popen(("git -C '" + repo + "' rev-parse HEAD~1").c_str(), "r");
  char sha[64] = {0};
  ASSERT_NE(fgets(sha, sizeof(sha), p), nullptr);
  pclose(p);
  JobSpec spec = Spec();
  spec.workflow_yaml =
      "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
      "      - uses: actions/checkout@v4\n      - run: echo hi\n";
  spec.repository_url = dir_ + "/repo.git";
  spec.repository_sha = std::string(sha, 40);
  spec.repository_ref = "refs/heads/main";

  std::string seen_file;
  std::string seen_secret;
  auto agent = MakeAgent(Options(), nullptr,
                         [&](const engine::Plan&, const engine::RunOptions& options,
                             const engine::OneJob& job, backend::Backend&, engine::RunObserver&) {
                           std::ifstream in(options.repository_dir + "/f.txt");
                           std::getline(in, seen_file);
                           seen_secret = options.masker->Mask("it is s3cret");
                           fs::create_directories(options.artifact_dir + "/5/report/files/sub");
                           std::ofstream(options.artifact_dir + "/5/report/files/sub/a.txt")
                               << "artifact text";
                           engine::JobReport r;
                           r.key = {job.job_id, job.instance, job.display_name};
                           r.conclusion = engine::Conclusion::kSuccess;
                           r.outputs = {{"out", "value s3cret"}};
                           return r;
                         });
  agent->RunLease(LeaseOf(spec));
  EXPECT_EQ(seen_file, "one");  // the commit of the spec, not the branch head
  EXPECT_EQ(seen_secret, "it is ***");
  std::vector<HttpRequest> uploads = transport_->RequestsTo("/artifacts/");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].path, "/api/v1/executor/jobs/17/artifacts/report?lease_id=L17");
  EXPECT_EQ(uploads[0].body.rfind("PK", 0), 0u);
  EXPECT_NE(uploads[0].body.find("sub/a.txt"), std::string::npos);
  ASSERT_EQ(Completes().size(), 1u);
  nlohmann::json done = Body(Completes()[0]);
  EXPECT_EQ(done["conclusion"], "success");
  EXPECT_EQ(done["outputs"]["out"], "value ***");
  EXPECT_TRUE(fs::is_empty(dir_ + "/work"));
}

TEST_F(AgentTest, KeepFailedKeepsTheWorkspaceOfAFailedJob) {
  AgentOptions o = Options();
  o.keep_failed = true;
  auto agent = MakeAgent(o, nullptr,
                         [](const engine::Plan&, const engine::RunOptions&, const engine::OneJob&,
                            backend::Backend&, engine::RunObserver&) {
                           engine::JobReport r;
                           r.conclusion = engine::Conclusion::kFailure;
                           return r;
                         });
  agent->RunLease(LeaseOf(Spec()));
  EXPECT_FALSE(fs::is_empty(dir_ + "/work"));
}

TEST_F(AgentTest, TheContainerBackendGivesTheEngineItsImageForJobsWithoutContainer) {
  for (BackendKind kind : {BackendKind::kHost, BackendKind::kDocker}) {
    AgentOptions o = Options();
    o.backend = kind;
    o.default_container_image = "gantry/job:1";
    std::string seen = "<not run>";
    auto agent = MakeAgent(o, nullptr,
                           [&](const engine::Plan&, const engine::RunOptions& run,
                               const engine::OneJob&, backend::Backend&, engine::RunObserver&) {
                             seen = run.default_container_image;
                             return engine::JobReport{};
                           });
    agent->RunLease(LeaseOf(Spec()));
    EXPECT_EQ(seen, kind == BackendKind::kDocker ? "gantry/job:1" : "");
  }
}

TEST_F(AgentTest, LogsWaitOnDiskWhileTheServerIsAwayAndAllGoBeforeTheCompletion) {
  AgentOptions o = Options();
  o.logs.max_memory_bytes = size_t{16} * 1024;
  o.logs.batch_bytes = size_t{4} * 1024;
  o.logs.max_retry_wait = milliseconds(50);
  std::atomic<bool> away{true};
  std::mutex mu;
  std::set<int64_t> seqs;
  std::string stored;
  auto agent = MakeAgent(
      o,
      [&](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/logs") == std::string::npos) return FakeTransport::Reply(200, "{}");
        if (away) return core::Status::Unavailable("connection refused");
        std::lock_guard lock(mu);
        nlohmann::json body = Body(r);
        for (const auto& c : body["chunks"]) {
          if (seqs.insert(c["seq"].get<int64_t>()).second) stored += c["data"].get<std::string>();
        }
        return FakeTransport::Reply(200, "{}");
      },
      [&](const engine::Plan&, const engine::RunOptions& options, const engine::OneJob& job,
          backend::Backend&, engine::RunObserver& observer) {
        for (int i = 0; i < 3000; ++i) {
          observer.OnLogLine({job.job_id, 0, job.display_name}, 0, "line " + std::to_string(i));
        }
        // What the server could not take waits in the job's directory.
        std::string spool = fs::path(options.repository_dir).parent_path().string() + "/log.spool";
        EXPECT_TRUE(fs::exists(spool)) << spool;
        std::thread([&away] {
          std::this_thread::sleep_for(milliseconds(1000));
          away = false;
        }).detach();
        engine::JobReport r;
        r.key = {job.job_id, job.instance, job.display_name};
        r.conclusion = engine::Conclusion::kSuccess;
        return r;
      });
  agent->RunLease(LeaseOf(Spec()));
  ASSERT_EQ(Completes().size(), 1u);
  EXPECT_EQ(Body(Completes()[0])["error"], "");
  // The completion came after the last logs call, which the server took.
  std::vector<HttpRequest> all = transport_->requests();
  EXPECT_NE(all.back().path.find("/complete"), std::string::npos);
  std::lock_guard lock(mu);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_NE(stored.find(" line " + std::to_string(i) + "\n"), std::string::npos) << i;
  }
  EXPECT_EQ(std::count(stored.begin(), stored.end(), '\n'), 3000);  // each line once
  EXPECT_TRUE(fs::is_empty(dir_ + "/work"));
}

TEST_F(AgentTest, LogsThatCannotBeDeliveredInTheDrainTimeSayTheLogIsIncomplete) {
  AgentOptions o = Options();
  o.log_drain_timeout = milliseconds(500);
  std::vector<std::string> said;
  std::mutex said_mu;
  o.log = [&](std::string_view line) {
    std::lock_guard lock(said_mu);
    said.emplace_back(line);
  };
  auto agent = MakeAgent(
      o,
      [](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/logs") != std::string::npos) return FakeTransport::Reply(503);
        return FakeTransport::Reply(200, "{}");
      },
      [](const engine::Plan&, const engine::RunOptions&, const engine::OneJob& job,
         backend::Backend&, engine::RunObserver& observer) {
        observer.OnLogLine({job.job_id, 0, job.display_name}, 0, "never delivered");
        engine::JobReport r;
        r.key = {job.job_id, job.instance, job.display_name};
        r.conclusion = engine::Conclusion::kSuccess;
        return r;
      });
  auto started = std::chrono::steady_clock::now();
  agent->RunLease(LeaseOf(Spec()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_EQ(Completes().size(), 1u);
  nlohmann::json done = Body(Completes()[0]);
  EXPECT_EQ(done["conclusion"], "success");
  EXPECT_NE(done["error"].get<std::string>().find("the job's log is incomplete"), std::string::npos)
      << done;
}

TEST_F(AgentTest, RunLeasesUpToCapacityAndCancelsRunningJobsOnStop) {
  std::atomic<int> next_id{1};
  std::atomic<int> running{0}, most{0};
  AgentOptions o = Options();
  o.capacity = 2;
  JobSpec base = Spec();
  auto agent = MakeAgent(
      o,
      [&](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/lease") != std::string::npos) {
          JobSpec s = base;
          s.id = next_id++;
          nlohmann::ordered_json j = {{"lease_id", "L" + std::to_string(s.id)},
                                      {"lease_seconds", 60},
                                      {"job", JobSpecToJson(s)}};
          return FakeTransport::Reply(200, j.dump());
        }
        return FakeTransport::Reply(200, "{}");
      },
      [&](const engine::Plan&, const engine::RunOptions& options, const engine::OneJob& job,
          backend::Backend&, engine::RunObserver&) {
        int now = ++running;
        int prev = most.load();
        while (now > prev && !most.compare_exchange_weak(prev, now)) {
        }
        engine::JobReport r = WaitForCancel(job, options);
        --running;
        return r;
      });
  backend::CancelToken stop;
  core::Status result;
  std::thread runner([&] { result = agent->Run(stop); });
  ASSERT_TRUE(transport_->WaitFor(
      [](const auto& rs) {
        int leases = 0;
        for (const auto& r : rs) leases += r.path.find("/lease") != std::string::npos;
        return leases >= 2;
      },
      milliseconds(5000)));
  std::this_thread::sleep_for(milliseconds(300));
  stop.Cancel();
  runner.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(most.load(), 2);
  std::vector<HttpRequest> leases = transport_->RequestsTo("/lease");
  EXPECT_EQ(leases.size(), 2u);  // the third waits for a free slot
  EXPECT_EQ(Body(leases[0])["capacity"], 2);
  EXPECT_EQ(Body(leases[1])["capacity"], 1);
  ASSERT_EQ(Completes().size(), 2u);
  for (const HttpRequest& c : Completes()) {
    EXPECT_EQ(Body(c)["conclusion"], "cancelled");
    EXPECT_EQ(Body(c)["error"], "the executor was stopped while the job ran");
  }
}

TEST_F(AgentTest, AStoppingAgentBoundsItsLastCallsToAServerGoingAway) {
  AgentOptions o = Options();
  o.retry = RetryPolicy();  // real waits, many attempts: minutes without the stop budget
  o.retry.max_attempts = 1000;
  o.retry.initial_backoff = milliseconds(100);
  o.retry.max_backoff = milliseconds(500);
  std::atomic<bool> leased{false};
  auto agent = MakeAgent(
      o,
      [&](const HttpRequest& r) -> core::Result<HttpReply> {
        if (r.path.find("/lease") != std::string::npos) {
          if (leased.exchange(true)) return FakeTransport::Reply(204);
          nlohmann::ordered_json j = {{"lease_id", "L"}, {"job", JobSpecToJson(Spec())}};
          return FakeTransport::Reply(200, j.dump());
        }
        if (r.path.find("/complete") != std::string::npos) return FakeTransport::Reply(503);
        return FakeTransport::Reply(200, "{}");
      },
      [](const engine::Plan&, const engine::RunOptions& options, const engine::OneJob& job,
         backend::Backend&, engine::RunObserver&) { return WaitForCancel(job, options); });
  backend::CancelToken stop;
  std::thread runner([&] { (void)agent->Run(stop); });
  ASSERT_TRUE(transport_->WaitFor([](const auto& rs) { return !rs.empty(); }));
  std::this_thread::sleep_for(milliseconds(200));
  auto stopped = std::chrono::steady_clock::now();
  stop.Cancel();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(8));
  EXPECT_GE(Completes().size(), 2u);  // tried, within the budget
}

TEST_F(AgentTest, RunStopsOnARejectedToken) {
  auto agent = MakeAgent(
      Options(),
      [](const HttpRequest&) {
        return FakeTransport::Reply(401, R"({"error":{"message":"unknown executor token"}})");
      },
      nullptr);
  backend::CancelToken stop;
  core::Status st = agent->Run(stop);
  EXPECT_EQ(st.code(), core::StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("unknown executor token"), std::string::npos);
}

TEST_F(AgentTest, DrainStopsLeasingAndReturnsOnceTheRunningJobSucceeded) {
  std::atomic<bool> started{false}, finished{false};
  AgentOptions o = Options();
  o.capacity = 2;  // a free slot: the next lease is held while the job runs
  auto agent =
      MakeAgentOver(o, LeasingThenHolding(1),
                    [&](const engine::Plan&, const engine::RunOptions& options,
                        const engine::OneJob& job, backend::Backend&, engine::RunObserver&) {
                      started = true;
                      std::this_thread::sleep_for(milliseconds(300));
                      engine::JobReport r;
                      r.key = {job.job_id, job.instance, job.display_name};
                      r.conclusion = options.cancel->cancelled() ? engine::Conclusion::kCancelled
                                                                 : engine::Conclusion::kSuccess;
                      finished = true;
                      return r;
                    });
  backend::CancelToken stop;
  core::Status result;
  std::thread runner([&] { result = agent->Run(stop); });
  // The job runs and the next lease is being held.
  ASSERT_TRUE(transport_->WaitFor(
      [](const auto& rs) {
        return std::count_if(rs.begin(), rs.end(), [](const HttpRequest& r) {
                 return r.path.find("/lease") != std::string::npos;
               }) >= 2;
      },
      milliseconds(5000)));
  for (int i = 0; i < 500 && !started; ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(started);
  ASSERT_FALSE(finished);
  auto drained = std::chrono::steady_clock::now();
  agent->Drain();
  EXPECT_TRUE(agent->draining());
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - drained, milliseconds(5000));
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_TRUE(finished);
  EXPECT_EQ(transport_->RequestsTo("/lease").size(), 2u);  // none after the drain
  ASSERT_EQ(Completes().size(), 1u);
  EXPECT_EQ(Body(Completes()[0])["conclusion"], "success");
  EXPECT_EQ(Body(Completes()[0])["error"], "");
}

TEST_F(AgentTest, DrainWithoutJobsInterruptsTheLeaseLongPollAndReturnsAtOnce) {
  auto agent = MakeAgentOver(Options(), LeasingThenHolding(0), nullptr);
  backend::CancelToken stop;
  core::Status result;
  std::thread runner([&] { result = agent->Run(stop); });
  ASSERT_TRUE(transport_->WaitFor([](const auto& rs) { return !rs.empty(); }));
  auto drained = std::chrono::steady_clock::now();
  agent->Drain();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - drained, milliseconds(1000));
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(transport_->RequestsTo("/lease").size(), 1u);
}

TEST_F(AgentTest, DrainBeforeRunLeasesNothing) {
  auto agent = MakeAgentOver(Options(), LeasingThenHolding(1), nullptr);
  agent->Drain();
  backend::CancelToken stop;
  EXPECT_TRUE(agent->Run(stop).ok());
  EXPECT_TRUE(transport_->requests().empty());
}

TEST_F(AgentTest, StopDuringADrainCancelsTheRemainingJob) {
  std::atomic<bool> started{false};
  AgentOptions o = Options();
  o.capacity = 2;
  auto agent =
      MakeAgentOver(o, LeasingThenHolding(1),
                    [&](const engine::Plan&, const engine::RunOptions& options,
                        const engine::OneJob& job, backend::Backend&, engine::RunObserver&) {
                      started = true;
                      return WaitForCancel(job, options);
                    });
  backend::CancelToken stop;
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    (void)agent->Run(stop);
    returned = true;
  });
  ASSERT_TRUE(transport_->WaitFor(
      [](const auto& rs) {
        return std::count_if(rs.begin(), rs.end(), [](const HttpRequest& r) {
                 return r.path.find("/lease") != std::string::npos;
               }) >= 2;
      },
      milliseconds(5000)));
  for (int i = 0; i < 500 && !started; ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(started);
  agent->Drain();
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(returned);  // the drain waits for the job
  auto stopped = std::chrono::steady_clock::now();
  stop.Cancel();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, milliseconds(5000));
  ASSERT_EQ(Completes().size(), 1u);
  EXPECT_EQ(Body(Completes()[0])["conclusion"], "cancelled");
  EXPECT_EQ(Body(Completes()[0])["error"], "the executor was stopped while the job ran");
}

TEST(JobSetupTest, StepsDoNotInheritTheProcessSecrets) {
  setenv("GANTRY_TEST_DATABASE_URL", "postgres://u:pw@db/x", 1);
  setenv("LC_TEST_KEPT", "1", 1);
  auto env = BaseEnvironment();
  unsetenv("GANTRY_TEST_DATABASE_URL");
  unsetenv("LC_TEST_KEPT");
  auto has = [&](const std::string& name) {
    return std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; });
  };
  EXPECT_FALSE(has("GANTRY_TEST_DATABASE_URL"));
  EXPECT_TRUE(has("LC_TEST_KEPT"));
  EXPECT_EQ(has("PATH"), std::getenv("PATH") != nullptr);
}

TEST(JobNeedsRepositoryTest, OnlyJobsThatCheckOutOrCallWorkflowsNeedTheClone) {
  JobSpec spec;
  spec.workflow_file = ".github/workflows/ci.yml";
  spec.job_id = "a";
  auto needs = [&](const std::string& yaml) {
    spec.workflow_yaml = yaml;
    return JobNeedsRepository(spec);
  };
  std::string head = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n";
  EXPECT_FALSE(needs(head + "      - run: echo hi\n      - uses: actions/upload-artifact@v4\n"
                            "        with: {name: x, path: .}\n"));
  EXPECT_FALSE(needs(head + "      - run: echo hi\n      - uses: gantry/coverage@v1\n"
                            "        with: {files: lcov.info}\n"
                            "      - uses: github/codeql-action/upload-sarif@v3\n"
                            "        with: {sarif_file: r.sarif}\n"));
  EXPECT_TRUE(needs(head + "      - uses: actions/checkout@v4\n"));
  EXPECT_TRUE(needs(head + "      - uses: ./.github/actions/setup\n"));
  EXPECT_TRUE(needs(head + "      - uses: owner/action@v1\n"));
  EXPECT_TRUE(needs(head + "      - run: true\n  b:\n    uses: ./.github/workflows/c.yml\n"));
}

}  // namespace
}  // namespace gantry::executor
