#include "engine/services.h"

#include <gtest/gtest.h>

#include "engine/container_test_util.h"

namespace gantry::engine {
namespace {

using testing::FakeBackend;
using testing::FakeContainerHost;
using testing::FindJob;
using testing::RecordingObserver;
using testing::RunWorkflow;

constexpr const char* kWorkflow = R"y(on: push
jobs:
  db:
    runs-on: x
    env:
      PW: secret-pw
    services:
      postgres:
        image: postgres:15
        env:
          POSTGRES_PASSWORD: ${{ env.PW }}
        ports: ['5432/tcp']
        options: --health-cmd pg_isready
      redis:
        image: redis:7
        ports: ['16379:6379']
    steps:
      - run: |
          echo pg=${{ job.services.postgres.ports['5432'] }}
          echo redis=${{ job.services.redis.ports['6379'] }}
          echo id=${{ job.services.postgres.id }} net=${{ job.services.redis.network }}
)y";

TEST(ServicesTest, ServicesStartBeforeStepsFillJobServicesAndStopAtJobEnd) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(kWorkflow, backend, observer, options);
  const JobReport* job = FindJob(r, "db");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kSuccess) << job->error;
  std::string text = observer.AllText();
  EXPECT_NE(text.find("pg=45432"), std::string::npos) << text;
  EXPECT_NE(text.find("redis=46379"), std::string::npos) << text;
  EXPECT_NE(text.find("id=c-postgres net=net-1"), std::string::npos) << text;

  ASSERT_EQ(host.specs_.size(), 2u);
  EXPECT_EQ(host.specs_[0].id, "postgres");
  EXPECT_EQ(host.specs_[0].image, "postgres:15");
  EXPECT_EQ(host.specs_[0].env, (EnvList{{"POSTGRES_PASSWORD", "secret-pw"}}));
  EXPECT_EQ(host.specs_[0].options, "--health-cmd pg_isready");
  EXPECT_EQ(host.specs_[1].ports, (std::vector<std::string>{"16379:6379"}));
  EXPECT_EQ(host.network_name_, "gantry-db-0");
  ASSERT_EQ(host.labels_.size(), 2u);
  EXPECT_EQ(host.labels_[1], (std::pair<std::string, std::string>{"gantry.job", "db-0"}));
  EXPECT_EQ(host.stopped_, (std::vector<std::string>{"c-postgres", "c-redis", "net-1"}));
}

TEST(ServicesTest, AFailedServiceFailsTheJobBeforeItsStepsAndIsStillRemoved) {
  FakeContainerHost host;
  host.fail_image_ = "redis:7";
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(kWorkflow, backend, observer, options);
  const JobReport* job = FindJob(r, "db");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kFailure);
  EXPECT_NE(job->error.find("services: service 'redis' did not become healthy"), std::string::npos)
      << job->error;
  EXPECT_TRUE(backend.events().empty());
  EXPECT_NE(observer.AllText().find("last logs of redis"), std::string::npos);
  EXPECT_EQ(host.stopped_, (std::vector<std::string>{"c-postgres", "c-redis", "net-1"}));
}

TEST(ServicesTest, AFailingStepStillRemovesTheServices) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  db:
    runs-on: x
    services:
      redis: redis:7
    steps:
      - run: exit 3
)y",
                            backend, observer, options);
  const JobReport* job = FindJob(r, "db");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kFailure);
  EXPECT_EQ(host.stopped_, (std::vector<std::string>{"c-redis", "net-1"}));
}

TEST(ServicesTest, WithoutAServiceHostAJobWithServicesFailsWithAClearMessage) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  db:
    runs-on: x
    services:
      redis:
        image: redis:7
    steps: [{run: echo hi}]
  plain:
    runs-on: x
    steps: [{run: echo hi}]
)y",
                            backend, observer);
  const JobReport* job = FindJob(r, "db");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kFailure);
  EXPECT_NE(job->error.find("services need a Docker engine"), std::string::npos) << job->error;
  const JobReport* plain = FindJob(r, "plain");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->conclusion, Conclusion::kSuccess);
}

TEST(ServicesTest, ServicesWithAnEmptyImageAreLeftOut) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  db:
    runs-on: x
    strategy:
      matrix:
        img: ['', 'redis:7']
    services:
      cache:
        image: ${{ matrix.img }}
    steps: [{run: echo hi}]
)y",
                            backend, observer, options);
  ASSERT_EQ(r.jobs.size(), 2u);
  for (const JobReport& j : r.jobs) EXPECT_EQ(j.conclusion, Conclusion::kSuccess) << j.error;
  // Only the second instance asked for a service; the first never reached the host.
  EXPECT_EQ(host.stopped_, (std::vector<std::string>{"c-cache", "net-1"}));
}

TEST(ServicesTest, AWholeMapExpressionGivesTheServices) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  db:
    runs-on: x
    services: ${{ fromJSON('{"pg":{"image":"postgres:15","ports":["5432"],"env":{"A":"1"}},"r":"redis:7"}') }}
    steps:
      - run: echo pg=${{ job.services.pg.ports['5432'] }}
)y",
                            backend, observer, options);
  const JobReport* job = FindJob(r, "db");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kSuccess) << job->error;
  ASSERT_EQ(host.specs_.size(), 2u);
  EXPECT_EQ(host.specs_[0].env, (EnvList{{"A", "1"}}));
  EXPECT_EQ(host.specs_[1].image, "redis:7");
  EXPECT_NE(observer.AllText().find("pg=45432"), std::string::npos);
}

TEST(ServicesTest, TheJobTimeoutBoundsTheStartOfItsServices) {
  FakeContainerHost host;
  host.block_start_ = true;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  db:
    runs-on: x
    timeout-minutes: 0.005
    services:
      redis: redis:7
    steps: [{run: echo never}]
)y",
                            backend, observer, options);
  const JobReport* job = FindJob(r, "db");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kFailure);
  EXPECT_NE(job->error.find("has exceeded the maximum execution time of 0.005 minutes"),
            std::string::npos)
      << job->error;
  EXPECT_TRUE(host.start_cancelled_) << "the start must be cancelled at the deadline";
  EXPECT_TRUE(backend.events().empty());
  EXPECT_EQ(host.stopped_, (std::vector<std::string>{"c-redis", "net-1"}));
}

}  // namespace
}  // namespace gantry::engine
