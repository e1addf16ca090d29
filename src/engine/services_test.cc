#include "engine/services.h"

#include <gtest/gtest.h>

#include <mutex>

#include "engine/runner_test_util.h"

namespace gantry::engine {
namespace {

using testing::FakeBackend;
using testing::FindJob;
using testing::RecordingObserver;
using testing::RunWorkflow;

// Records what the engine asked for; publishes container port P on host port 40000 + P.
class FakeServiceHost : public ContainerHost {
 public:
  core::Status Start(const JobContainerSpec* /*job_container*/,
                     const std::vector<ServiceSpec>& services, const std::string& network_name,
                     const EnvList& labels, const ServiceLog& log,
                     const backend::CancelToken& /*cancel*/, StartedServices& started) override {
    std::lock_guard<std::mutex> lock(mu_);
    specs_ = services;
    network_name_ = network_name;
    labels_ = labels;
    started.network_id = "net-1";
    for (const ServiceSpec& s : services) {
      started.container_ids.push_back("c-" + s.id);
      if (s.image == fail_image_) {
        log("last logs of " + s.id);
        return core::Status::Unavailable("service '" + s.id + "' did not become healthy");
      }
      StartedService out{s.id, "c-" + s.id, {}};
      for (const std::string& p : s.ports) {
        std::string container = p.substr(p.find(':') + 1);
        container = container.substr(0, container.find('/'));
        out.ports[container] = std::to_string(40000 + std::stoi(container));
      }
      started.services.push_back(std::move(out));
    }
    return core::Status::Ok();
  }
  void Stop(const StartedServices& started, const ServiceLog& /*log*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_.insert(stopped_.end(), started.container_ids.begin(), started.container_ids.end());
    stopped_.push_back(started.network_id);
  }
  std::unique_ptr<backend::Backend> JobBackend(const StartedServices& /*started*/) override {
    return nullptr;
  }
  core::Status PrepareImage(const std::string& /*image*/, const ServiceLog& /*log*/,
                            const backend::CancelToken& /*cancel*/) override {
    return core::Status::Unavailable("no images here");
  }
  core::Result<std::string> BuildImage(const std::string& /*context_dir*/,
                                       const std::string& /*dockerfile*/, const ServiceLog& /*log*/,
                                       const backend::CancelToken& /*cancel*/) override {
    return core::Status::Unavailable("no images here");
  }
  core::Result<backend::ProcessResult> RunContainer(
      const ActionContainerSpec& /*spec*/, std::chrono::milliseconds /*kill_grace*/,
      const backend::OutputSink& /*output*/, const backend::CancelToken& /*cancel*/) override {
    return core::Status::Unavailable("no containers here");
  }

  std::string fail_image_;
  std::mutex mu_;
  std::vector<ServiceSpec> specs_;
  std::string network_name_;
  EnvList labels_;
  std::vector<std::string> stopped_;
};

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
  FakeServiceHost host;
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
  FakeServiceHost host;
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
  FakeServiceHost host;
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
  FakeServiceHost host;
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
  FakeServiceHost host;
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

}  // namespace
}  // namespace gantry::engine
