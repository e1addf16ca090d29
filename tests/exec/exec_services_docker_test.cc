// Integration tests of `gantry exec` with `services:` on a real Docker engine ($DOCKER_HOST,
// e.g. from scripts/docker-up.sh, with its local postgres:15 and redis:7 images). They skip
// when DOCKER_HOST is unset or nothing answers there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <random>

#include "backend/docker/docker_client.h"
#include "docker_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
namespace docker = backend::docker;

class ExecServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    client_ = ConnectWithImages({"postgres:15", "redis:7"}, why);
    if (!client_) GTEST_SKIP() << why;
    // A job id of its own: the job label then tells this test's containers from others'.
    job_ = "svc" + std::to_string(std::random_device()() % 1000000);
  }

  // Containers and networks still carrying this test's job label.
  size_t LeftBehind() {
    auto containers = client_->ListContainers("gantry.job=" + job_ + "-0");
    auto networks = client_->ListNetworks("gantry.job=" + job_ + "-0");
    EXPECT_TRUE(containers.ok() && networks.ok());
    return (containers.ok() ? containers->size() : 0) + (networks.ok() ? networks->size() : 0);
  }

  std::string Workflow(const std::string& steps, const std::string& redis_options = "") {
    return "on: push\njobs:\n  " + job_ + R"(:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:15
        env:
          POSTGRES_PASSWORD: pw
        ports: ['5432']
        options: >-
          --health-cmd pg_isready --health-interval 1s --health-timeout 5s
          --health-retries 30
      redis:
        image: redis:7
        ports: ['6379/tcp']
        options: ")" +
           redis_options + R"("
    steps:
)" + steps;
  }

  std::unique_ptr<docker::DockerClient> client_;
  std::string job_;
};

TEST_F(ExecServicesTest, StepsReachPostgresAndRedisOnTheirPublishedPortsAndNothingIsLeft) {
  Project p;
  p.Workflow("ci.yml", Workflow(R"(      - run: |
          echo "pg=${{ job.services.postgres.ports['5432'] }}"
          echo "id=${{ job.services.postgres.id }}"
          PGPASSWORD=pw psql -h 127.0.0.1 -p ${{ job.services.postgres.ports['5432'] }} \
            -U postgres -tAc 'select 40+2'
          exec 3<>/dev/tcp/127.0.0.1/${{ job.services.redis.ports['6379'] }}
          printf 'PING\r\n' >&3
          head -c 5 <&3; echo
)"));
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("] 42\n"));
  EXPECT_THAT(f.out, HasSubstr("+PONG"));
  size_t at = f.out.find("pg=");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(f.out.substr(at + 3, 5), "5432\n") << "a random host port was expected";
  at = f.out.find("id=");
  ASSERT_NE(at, std::string::npos);
  std::string id = f.out.substr(at + 3, f.out.find('\n', at) - at - 3);
  EXPECT_EQ(client_->InspectContainer(id).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(LeftBehind(), 0u);
}

TEST_F(ExecServicesTest, AFailingStepFailsTheRunAndTheServicesAreRemoved) {
  Project p;
  p.Workflow("ci.yml", Workflow("      - run: exit 7\n"));
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_EQ(LeftBehind(), 0u);
}

TEST_F(ExecServicesTest, AnUnhealthyServiceFailsTheJobWithItsLastLogs) {
  Project p;
  p.Workflow("ci.yml", Workflow("      - run: echo never-runs\n",
                                "--health-cmd false --health-interval 1s --health-retries 2"));
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("service 'redis' is unhealthy"));
  EXPECT_THAT(f.out, HasSubstr("Last logs of service 'redis'"));
  EXPECT_THAT(f.out, Not(HasSubstr("never-runs")));
  EXPECT_EQ(LeftBehind(), 0u);
}

TEST_F(ExecServicesTest, PullNeverFailsOnAMissingImage) {
  Project p;
  p.Workflow("ci.yml", "on: push\njobs:\n  " + job_ + R"(:
    runs-on: ubuntu-latest
    services:
      absent:
        image: gantry-test-absent-image:1
    steps: [{run: echo never-runs}]
)");
  Finished f = p.Run({"exec", "--pull", "never"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("image 'gantry-test-absent-image:1' of service 'absent' is not "
                               "present and --pull is never"));
  EXPECT_EQ(LeftBehind(), 0u);
}

TEST_F(ExecServicesTest, CtrlCDuringAStepRemovesTheServices) {
  Project p;
  fs::path started = p.base() / "started";
  p.Workflow("ci.yml", Workflow("      - run: touch '" + started.string() + "'; sleep 300\n"));
  Process gantry({"exec"}, p.root(), p.base());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(started) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(fs::exists(started));
  EXPECT_GT(LeftBehind(), 0u);
  ASSERT_EQ(kill(gantry.pid(), SIGINT), 0);
  Finished f = gantry.Wait(std::chrono::seconds(60));
  EXPECT_EQ(f.exit_code, 130) << f.out << f.err;
  EXPECT_EQ(LeftBehind(), 0u);
}

// Needs no engine: a run whose jobs have no services never connects to one.
TEST(ExecServicesNoEngineTest, ServicesWithoutAnEngineFailOnlyTheirJob) {
  Project p;
  p.Workflow("ci.yml", R"(on: push
jobs:
  db:
    runs-on: ubuntu-latest
    services:
      redis: redis:7
    steps: [{run: echo never-runs}]
  plain:
    runs-on: ubuntu-latest
    steps: [{run: echo plain-ran}]
)");
  std::string sock = (p.base() / "no-engine.sock").string();
  // The child takes this process's environment: point DOCKER_HOST at nothing for the run.
  const char* old = std::getenv("DOCKER_HOST");
  std::string saved = old == nullptr ? "" : old;
  setenv("DOCKER_HOST", ("unix://" + sock).c_str(), 1);
  Finished f = p.Run({"exec"});
  if (old == nullptr) {
    unsetenv("DOCKER_HOST");
  } else {
    setenv("DOCKER_HOST", saved.c_str(), 1);
  }
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("no Docker engine at " + sock));
  EXPECT_THAT(f.out, HasSubstr("plain-ran"));
  EXPECT_THAT(f.out, Not(HasSubstr("never-runs")));
}

}  // namespace
}  // namespace gantry::exec_test

namespace gantry::exec_test {
namespace {

// Background steps of a container job run as further execs in the job's container, each with
// file-command files of its own that the container sees.
TEST(ExecContainerBackgroundTest, BackgroundAndParallelStepsRunInTheJobContainer) {
  std::string why;
  auto client = ConnectWithImages({"debian:bookworm"}, why);
  if (!client) GTEST_SKIP() << why;
  Project p;
  p.Workflow("c.yml", R"yml(on: push
jobs:
  c:
    runs-on: ubuntu-latest
    container: debian:bookworm
    steps:
      - id: bg
        background: true
        run: |
          sleep 0.3
          echo "major=$(cut -d. -f1 /etc/debian_version)" >> "$GITHUB_OUTPUT"
      - parallel:
          - run: test -f /.dockerenv && echo "one in the container"
          - id: two
            run: echo "v=2" >> "$GITHUB_OUTPUT"
      - wait: bg
      - run: echo "bg said ${{ steps.bg.outputs.major }}, two said ${{ steps.two.outputs.v }}"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("one in the container"));
  EXPECT_THAT(f.out, HasSubstr("bg said 12, two said 2"));
}

}  // namespace
}  // namespace gantry::exec_test
