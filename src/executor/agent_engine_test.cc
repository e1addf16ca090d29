// The agent with the real engine (engine::RunOneJob on the host backend) and a fake server.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "executor/agent.h"
#include "executor/artifact_zip.h"
#include "executor/test_util.h"

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::Body;
using testing::FakeTransport;
using testing::RecordingPolicy;

class AgentEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-agent-engine-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `yaml`'s job "test" as a leased job; `handler` answers the calls.
  void RunJob(const std::string& yaml, FakeTransport::Handler handler, int lease_seconds = 60) {
    auto transport = std::make_unique<FakeTransport>(std::move(handler));
    transport_ = transport.get();
    AgentOptions o;
    o.server_url = "http://unused";
    o.work_dir = dir_ + "/work";
    o.retry = RecordingPolicy(nullptr, 2);
    o.logs.flush_after = milliseconds(20);
    AgentDeps deps;
    deps.transport = std::move(transport);
    deps.run_job = engine::RunOneJob;
    deps.backend = backend::MakeHostBackend();
    // The agent owns the transport the test inspects afterwards.
    agent_ = std::make_unique<Agent>(std::move(o), std::move(deps));
    JobSpec s;
    s.id = 3;
    s.run_id = 8;
    s.workflow_file = ".github/workflows/ci.yml";
    s.workflow_yaml = yaml;
    s.job_id = "test";
    s.display_name = "test";
    s.matrix = s.strategy = s.needs = s.inputs_context = expr::Value(expr::Object());
    expr::Object github;
    github.Set("run_id", expr::Value("8"));
    github.Set("event_name", expr::Value("push"));
    github.Set("repository", expr::Value("alice/shop"));
    s.github = expr::Value(std::move(github));
    s.secrets = {{"TOKEN", "s3cret"}};
    Lease l;
    l.lease_id = "L";
    l.lease_seconds = lease_seconds;
    l.job_id = s.id;
    l.spec = s;
    l.spec_error.clear();
    agent_->RunLease(l);
  }
  std::string Logs() const {
    std::string text;
    for (const HttpRequest& r : transport_->RequestsTo("/logs")) {
      nlohmann::json body = Body(r);
      for (const auto& c : body["chunks"]) text += c["data"].get<std::string>();
    }
    return text;
  }

  std::string dir_;
  std::unique_ptr<Agent> agent_;
  FakeTransport* transport_ = nullptr;
};

TEST_F(AgentEngineTest, AJobStreamsItsLogsStepsAnnotationsAndOutputs) {
  RunJob(R"(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    outputs:
      v: ${{ steps.o.outputs.out }}
    steps:
      - run: echo "hello from $GITHUB_JOB"; echo "token ${{ secrets.TOKEN }}"
      - run: echo "::error file=a.txt,line=2::broken"; exit 3
        continue-on-error: true
      - id: o
        run: echo "out=v1" >> "$GITHUB_OUTPUT"
)",
         nullptr);
  std::string logs = Logs();
  EXPECT_NE(logs.find(" hello from test\n"), std::string::npos) << logs;
  EXPECT_NE(logs.find(" token ***\n"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("s3cret"), std::string::npos) << logs;
  EXPECT_NE(logs.find(" ##[step] 0 "), std::string::npos) << logs;
  EXPECT_NE(logs.find(" ##[error]broken\n"), std::string::npos) << logs;

  bool annotated = false;
  for (const HttpRequest& r : transport_->RequestsTo("/logs")) {
    nlohmann::json body = Body(r);
    for (const auto& a : body["annotations"]) {
      annotated |= a["file"] == "a.txt" && a["line"] == 2 && a["step"] == 1;
    }
  }
  EXPECT_TRUE(annotated);
  std::vector<nlohmann::json> completed;
  for (const HttpRequest& r : transport_->RequestsTo("/steps")) {
    nlohmann::json body = Body(r);
    for (const auto& s : body["steps"]) {
      if (s["status"] == "completed") completed.push_back(s);
    }
  }
  ASSERT_EQ(completed.size(), 3u);
  EXPECT_EQ(completed[1]["outcome"], "failure");
  EXPECT_EQ(completed[1]["conclusion"], "success");
  ASSERT_EQ(transport_->RequestsTo("/complete").size(), 1u);
  nlohmann::json done = Body(transport_->RequestsTo("/complete")[0]);
  EXPECT_EQ(done["conclusion"], "success");
  EXPECT_EQ(done["outputs"]["v"], "v1");
  EXPECT_NE(transport_->requests().back().path.find("/complete"), std::string::npos);
}

TEST_F(AgentEngineTest, AHeartbeatCancelEndsARunningStep) {
  auto started = std::chrono::steady_clock::now();
  RunJob(R"(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 30
      - if: always()
        run: echo cleanup
)",
         [](const HttpRequest& r) -> core::Result<HttpReply> {
           if (r.path.find("/heartbeat") != std::string::npos) {
             return FakeTransport::Reply(200, R"({"cancel":true,"lease_seconds":1})");
           }
           return FakeTransport::Reply(200, "{}");
         },
         /*lease_seconds=*/1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  ASSERT_EQ(transport_->RequestsTo("/complete").size(), 1u);
  EXPECT_EQ(Body(transport_->RequestsTo("/complete")[0])["conclusion"], "cancelled");
  EXPECT_NE(Logs().find(" cleanup\n"), std::string::npos) << Logs();  // always() still ran
}

TEST_F(AgentEngineTest, DownloadArtifactFetchesTheRunsArtifactsAndOnlyNewOnesAreUploaded) {
  fs::create_directories(dir_ + "/tree");
  { std::ofstream(dir_ + "/tree/image.txt") << "image v7\n"; }
  ASSERT_TRUE(ZipDirectory(dir_ + "/tree", dir_ + "/image.zip").ok());
  std::ifstream in(dir_ + "/image.zip", std::ios::binary);
  const std::string zip((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  RunJob(R"Y(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: image
          path: got
      - run: test "$(cat got/image.txt)" = "image v7"
      - run: echo ok > report.txt
      - uses: actions/upload-artifact@v4
        with:
          name: report
          path: report.txt
)Y",
         [zip](const HttpRequest& r) -> core::Result<HttpReply> {
           if (r.method == "GET" && r.path.find("/artifacts?") != std::string::npos) {
             return FakeTransport::Reply(200, R"({"artifacts":[{"name":"image","size":1}]})");
           }
           if (r.method == "GET" && r.path.find("/artifacts/image?") != std::string::npos) {
             return FakeTransport::Reply(200, zip);
           }
           if (r.method == "PUT") return FakeTransport::Reply(201, "{}");
           return FakeTransport::Reply(200, "{}");
         });
  ASSERT_EQ(transport_->RequestsTo("/complete").size(), 1u);
  EXPECT_EQ(Body(transport_->RequestsTo("/complete")[0])["conclusion"], "success") << Logs();
  std::vector<HttpRequest> puts;
  for (const HttpRequest& r : transport_->RequestsTo("/artifacts/")) {
    if (r.method == "PUT") puts.push_back(r);
  }
  ASSERT_EQ(puts.size(), 1u);  // the downloaded image is not sent back
  EXPECT_NE(puts[0].path.find("/artifacts/report?"), std::string::npos);
}

TEST_F(AgentEngineTest, AJobThatDownloadsNothingFetchesNothing) {
  RunJob(R"(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
)",
         nullptr);
  EXPECT_TRUE(transport_->RequestsTo("/artifacts").empty());
  ASSERT_EQ(transport_->RequestsTo("/complete").size(), 1u);
}

}  // namespace
}  // namespace gantry::executor
