// Integration tests of DockerContainerHost against a real engine: DOCKER_HOST must name one
// (scripts/docker-up.sh starts a private one with the debian, redis and postgres images);
// otherwise they are skipped. Every test ends by checking that nothing carrying its run token
// is left in the engine.

#include "actions/docker_host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
namespace docker = backend::docker;
using std::chrono::milliseconds;

const char* const kImage = "debian:bookworm-slim";
const char* const kRedis = "redis:7";
const char* const kPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

class DockerHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* host = std::getenv("DOCKER_HOST");
    if (host == nullptr || *host == '\0') GTEST_SKIP() << "DOCKER_HOST is not set";
    auto c = docker::DockerClient::Connect(host);
    if (!c.ok()) GTEST_SKIP() << c.status().ToString();
    client_ = std::move(*c);
    for (const char* image : {kImage, kRedis}) {
      auto has = client_->ImageExists(image);
      ASSERT_TRUE(has.ok()) << has.status().ToString();
      if (!*has) GTEST_SKIP() << image << " is not in the engine (run scripts/docker-up.sh)";
    }
    static std::atomic<int> counter{0};
    token_ = "dhtest-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    host_ = std::make_unique<DockerContainerHost>("", PullPolicy::kNever, token_);
    std::string templ = (fs::temp_directory_path() / "gantry-dhost-XXXXXX").string();
    dir_ = mkdtemp(templ.data());
  }

  void TearDown() override {
    if (!client_) return;
    host_->Sweep([](std::string_view) {});
    ExpectNothingLeft();
    for (const std::string& image : images_) (void)client_->RemoveImage(image, true);
    fs::remove_all(dir_);
  }

  // No container, network or volume of this run's token is left in the engine.
  void ExpectNothingLeft() {
    const std::string label = "gantry.exec=" + token_;
    auto cs = client_->ListContainers(label);
    auto ns = client_->ListNetworks(label);
    auto vs = client_->ListVolumes(label);
    ASSERT_TRUE(cs.ok() && ns.ok() && vs.ok());
    EXPECT_TRUE(cs->empty()) << cs->size() << " containers left";
    EXPECT_TRUE(ns->empty()) << ns->size() << " networks left";
    EXPECT_TRUE(vs->empty()) << vs->size() << " volumes left";
  }

  engine::ServiceLog Log() {
    return [this](std::string_view l) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(l);
    };
  }
  bool Logged(const std::string& part) {
    std::lock_guard lock(log_mu_);
    return std::any_of(log_.begin(), log_.end(),
                       [&](const std::string& l) { return l.find(part) != std::string::npos; });
  }

  engine::JobContainerSpec JobContainer() {
    engine::JobContainerSpec job;
    job.container.image = kImage;
    job.container.env = {{"FOO", "from the job container"}};
    job.mounts = {dir_ + ":/__w/ws"};
    job.working_dir = "/__w/ws";
    return job;
  }

  engine::ServiceSpec Redis() {
    engine::ServiceSpec s;
    s.id = "redis";
    s.image = kRedis;
    return s;
  }

  // An unstarted service whose container just sleeps, with `options`.
  engine::ServiceSpec Sleeper(const std::string& id, const std::string& options) {
    engine::ServiceSpec s;
    s.id = id;
    s.image = kImage;
    s.command = "sleep infinity";
    s.options = options;
    return s;
  }

  struct Ran {
    backend::ProcessResult result;
    std::string output;
  };
  // Runs `script` with sh in the job container of `started`.
  Ran InJob(const engine::StartedServices& started, const std::string& script) {
    auto backend = host_->JobBackend(started);
    backend::ProcessSpec spec;
    spec.argv = {"sh", "-c", script};
    spec.env = {{"PATH", kPath}};
    Ran ran;
    auto r = backend->Run(
        spec, [&](std::string_view c) { ran.output.append(c); }, backend::CancelToken());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) ran.result = *r;
    return ran;
  }

  engine::ActionContainerSpec Action(std::vector<std::string> script_and_args) {
    engine::ActionContainerSpec spec;
    spec.image = kImage;
    spec.entrypoint = {"sh", "-c"};
    spec.args = std::move(script_and_args);
    return spec;
  }
  /// Runs `spec`; `on_output` sees the output so far after each chunk.
  core::Result<Ran> RunAction(const engine::ActionContainerSpec& spec,
                              const backend::CancelToken& cancel,
                              const std::function<void(const std::string&)>& on_output = nullptr) {
    Ran ran;
    std::mutex mu;
    auto r = host_->RunContainer(
        spec, milliseconds(500),
        [&](std::string_view c) {
          std::lock_guard lock(mu);
          ran.output.append(c);
          if (on_output) on_output(ran.output);
        },
        cancel);
    if (!r.ok()) return r.status();
    ran.result = *r;
    return ran;
  }

  std::string WriteContext(const std::string& name, const std::string& dockerfile,
                           const std::string& hello) {
    std::string ctx = dir_ + "/" + name;
    fs::create_directories(ctx);
    std::ofstream(ctx + "/Dockerfile") << dockerfile;
    std::ofstream(ctx + "/hello.txt") << hello;
    return ctx;
  }

  std::unique_ptr<docker::DockerClient> client_;
  std::unique_ptr<DockerContainerHost> host_;
  std::string token_;
  std::string dir_;
  std::vector<std::string> images_;  // built by the test; removed at the end
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(DockerHostTest, JobContainerAndServiceShareANetwork) {
  std::ofstream(dir_ + "/hello.txt") << "from the host\n";
  engine::JobContainerSpec job = JobContainer();
  job.container.ports = {"8080"};
  engine::StartedServices started;
  core::Status st = host_->Start(&job, {Redis()}, "job", {{"gantry.job", "build"}}, Log(),
                                 backend::CancelToken(), started);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_FALSE(started.container_id.empty());
  ASSERT_EQ(started.container_ids.size(), 2u);
  EXPECT_EQ(started.container_ids[0], started.container_id);  // created before the service
  ASSERT_EQ(started.services.size(), 1u);
  EXPECT_EQ(started.services[0].id, "redis");
  EXPECT_FALSE(started.network_id.empty());
  auto jobs = client_->ListContainers("gantry.container=job");
  ASSERT_TRUE(jobs.ok());
  EXPECT_NE(std::find(jobs->begin(), jobs->end(), started.container_id), jobs->end());

  auto state = client_->InspectContainer(started.services[0].container_id);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  Ran getent = InJob(started, "getent hosts redis");
  EXPECT_EQ(getent.result.exit_code, 0);
  EXPECT_EQ(getent.output.rfind(state->ip + " ", 0), 0u) << getent.output << " vs " << state->ip;

  // The engine's mount, the working directory, the container's env, the engine socket.
  Ran ran = InJob(started,
                  "cat hello.txt; pwd; echo \"$FOO\"; test -S /var/run/docker.sock && echo sock; "
                  "echo written > /__w/ws/out.txt; exit 3");
  EXPECT_EQ(ran.result.exit_code, 3);
  EXPECT_EQ(ran.output, "from the host\n/__w/ws\nfrom the job container\nsock\n");
  std::string written;
  std::getline(std::ifstream(dir_ + "/out.txt"), written);
  EXPECT_EQ(written, "written");

  auto job_state = client_->InspectContainer(started.container_id);
  ASSERT_TRUE(job_state.ok());
  ASSERT_EQ(job_state->ports.count("8080/tcp"), 1u);
  EXPECT_EQ(job_state->ports.at("8080/tcp").rfind("127.0.0.1:", 0), 0u);

  // A Docker action on the job's network reaches the service by name too.
  engine::ActionContainerSpec action = Action({"getent hosts redis >/dev/null && echo found"});
  action.network = started.network_id;
  auto r = RunAction(action, backend::CancelToken());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output, "found\n");

  host_->Stop(started, Log());
  ExpectNothingLeft();
  EXPECT_EQ(client_->InspectContainer(started.container_id).status().code(),
            core::StatusCode::kNotFound);
}

TEST_F(DockerHostTest, NamedVolumesAreCreatedOnceAndRemovedByStop) {
  const std::string name = "gantry-test-vol-" + token_;
  const std::string theirs = "gantry-test-theirs-" + token_;
  ASSERT_TRUE(client_->CreateVolume(theirs, {}).ok());
  engine::JobContainerSpec job = JobContainer();
  job.container.volumes = {name + ":/data", theirs + ":/theirs", dir_ + ":/hostdir"};
  engine::ServiceSpec svc = Sleeper("svc", "");
  svc.volumes = {name + ":/shared"};
  engine::StartedServices started;
  core::Status st = host_->Start(&job, {svc}, "job", {}, Log(), backend::CancelToken(), started);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(started.volume_names, std::vector<std::string>{name});
  EXPECT_TRUE(*client_->VolumeExists(name));
  Ran ran = InJob(started, "echo kept > /data/f && cat /data/f && test -d /hostdir");
  EXPECT_EQ(ran.result.exit_code, 0);
  EXPECT_EQ(ran.output, "kept\n");

  host_->Stop(started, Log());
  EXPECT_FALSE(*client_->VolumeExists(name));
  EXPECT_TRUE(*client_->VolumeExists(theirs));  // it existed before: not the job's
  EXPECT_TRUE(client_->RemoveVolume(theirs, false).ok());
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, NothingIsLeftAfterAnUnhealthyService) {
  engine::JobContainerSpec job = JobContainer();
  job.container.volumes = {"gantry-test-vol-" + token_ + ":/data"};
  engine::StartedServices started;
  core::Status st = host_->Start(
      &job, {Sleeper("sick", "--health-cmd false --health-interval 200ms --health-retries 1")},
      "job", {}, Log(), backend::CancelToken(), started);
  EXPECT_EQ(st.code(), core::StatusCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("service 'sick' is unhealthy"), std::string::npos) << st.message();
  EXPECT_EQ(started.container_ids.size(), 2u);
  EXPECT_EQ(started.volume_names.size(), 1u);
  host_->Stop(started, Log());
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, NothingIsCreatedWhenAnImageIsMissingAndPullIsNever) {
  engine::JobContainerSpec job = JobContainer();
  engine::ServiceSpec missing = Redis();
  missing.image = "gantry-test/no-such-image:" + token_;
  engine::StartedServices started;
  core::Status st =
      host_->Start(&job, {missing}, "job", {}, Log(), backend::CancelToken(), started);
  EXPECT_EQ(st.code(), core::StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("image '" + missing.image + "' of service 'redis' is not present"),
            std::string::npos)
      << st.message();
  EXPECT_TRUE(started.container_ids.empty());
  EXPECT_TRUE(started.network_id.empty());
  host_->Stop(started, Log());
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, NothingIsLeftAfterACancelledStart) {
  engine::JobContainerSpec job = JobContainer();
  backend::CancelToken cancel;
  // Cancels once both containers exist (the service then waits for its first check), however
  // slowly a loaded engine creates them.
  std::thread canceller([&] {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      auto cs = client_->ListContainers("gantry.exec=" + token_);
      if (cs.ok() && cs->size() >= 2) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
    std::this_thread::sleep_for(milliseconds(300));
    cancel.Cancel();
  });
  // Its first check takes a minute: the service stays "starting" until the cancellation.
  engine::StartedServices started;
  core::Status st = host_->Start(
      &job, {Sleeper("slow", "--health-cmd 'sleep 60' --health-interval 1s --health-timeout 90s")},
      "job", {}, Log(), cancel, started);
  canceller.join();
  EXPECT_EQ(st.code(), core::StatusCode::kCancelled) << st.ToString();
  EXPECT_EQ(started.container_ids.size(), 2u);
  host_->Stop(started, Log());
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, RunContainerStreamsOutputAndReportsTheExitCode) {
  fs::create_directories(dir_ + "/m");
  std::ofstream(dir_ + "/m/hello.txt") << "mounted\n";
  // stdout and stderr are separate pipes in the engine: the sleep orders them.
  engine::ActionContainerSpec spec =
      Action({"echo \"$1 $2\"; echo \"$FOO\"; pwd; cat /m/hello.txt; sleep 0.2; echo err >&2; "
              "exit 4",
              "gantry-action", "first", "second arg"});
  spec.env = {{"FOO", "bar baz"}};
  spec.working_dir = "/tmp";
  spec.mounts = {dir_ + "/m:/m:ro"};
  spec.labels = {{"gantry.step", "1"}};
  auto r = RunAction(spec, backend::CancelToken());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result.exit_code, 4);
  EXPECT_FALSE(r->result.ok());
  EXPECT_EQ(r->output, "first second arg\nbar baz\n/tmp\nmounted\nerr\n");
  ExpectNothingLeft();  // removed after it ran

  auto ok = RunAction(Action({"true"}), backend::CancelToken());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->result.ok());
}

TEST_F(DockerHostTest, RunContainerTimeoutKillsAContainerThatIgnoresSigterm) {
  engine::ActionContainerSpec spec = Action({"trap '' TERM; echo started; sleep 4247 & wait"});
  spec.timeout = milliseconds(1500);
  auto r = RunAction(spec, backend::CancelToken());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->result.timed_out);
  EXPECT_FALSE(r->result.cancelled);
  EXPECT_EQ(r->result.signal, 9);
  EXPECT_EQ(r->output, "started\n");
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, RunContainerCancelStopsIt) {
  // Cancelled once the container has shown it runs, however long its start took.
  backend::CancelToken cancel;
  auto r = RunAction(Action({"echo started; sleep 4248"}), cancel, [&](const std::string& out) {
    if (out.find("started\n") != std::string::npos) cancel.Cancel();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->result.cancelled);
  EXPECT_FALSE(r->result.timed_out);
  EXPECT_FALSE(r->result.ok());
  EXPECT_EQ(r->output, "started\n");
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, RunContainerNeedsThePreparedImage) {
  engine::ActionContainerSpec spec = Action({"true"});
  spec.image = "gantry-test/no-such-image:" + token_;
  auto r = RunAction(spec, backend::CancelToken());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound) << r.status().ToString();
  EXPECT_TRUE(host_->PrepareImage(kImage, Log(), backend::CancelToken()).ok());
  core::Status st = host_->PrepareImage(spec.image, Log(), backend::CancelToken());
  EXPECT_EQ(st.code(), core::StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find(spec.image), std::string::npos) << st.message();
}

TEST_F(DockerHostTest, BuildImageTagsByContentAndReusesAnUnchangedBuild) {
  const std::string dockerfile = std::string("FROM ") + kImage + "\nCOPY hello.txt /hello.txt\n";
  std::string ctx = WriteContext("action", dockerfile, "built\n");
  auto tag = host_->BuildImage(ctx, "", Log(), backend::CancelToken());
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  images_.push_back(*tag);
  EXPECT_EQ(tag->rfind("gantry-action:", 0), 0u) << *tag;
  EXPECT_EQ(tag->size(), std::string("gantry-action:").size() + 16);
  EXPECT_TRUE(Logged("Building the Docker action in " + ctx));

  engine::ActionContainerSpec spec = Action({"cat /hello.txt"});
  spec.image = *tag;
  auto r = RunAction(spec, backend::CancelToken());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output, "built\n");

  log_.clear();
  auto again = host_->BuildImage(ctx, "", Log(), backend::CancelToken());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *tag);
  EXPECT_FALSE(Logged("Building"));
  EXPECT_TRUE(Logged("Using image " + *tag));

  std::ofstream(ctx + "/hello.txt") << "changed\n";
  auto changed = host_->BuildImage(ctx, "", Log(), backend::CancelToken());
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  images_.push_back(*changed);
  EXPECT_NE(*changed, *tag);
}

TEST_F(DockerHostTest, BuildImageFailureNamesTheActionAndTheEnginesMessage) {
  std::string ctx = WriteContext("broken", std::string("FROM ") + kImage + "\nRUN exit 7\n", "");
  auto tag = host_->BuildImage(ctx, "", Log(), backend::CancelToken());
  ASSERT_FALSE(tag.ok());
  const std::string prefix = "cannot build the Docker action in " + ctx + ": ";
  EXPECT_EQ(tag.status().message().rfind(prefix, 0), 0u) << tag.status().message();
  EXPECT_EQ(tag.status().message().find("cannot build image"), std::string::npos)
      << tag.status().message();
  EXPECT_EQ(host_->BuildImage(dir_ + "/none", "", Log(), backend::CancelToken()).status().code(),
            core::StatusCode::kNotFound);
}

TEST_F(DockerHostTest, JobContainerWithoutTailFailsWithTheEnginesMessage) {
  std::string ctx =
      WriteContext("notail", std::string("FROM ") + kImage + "\nRUN rm /usr/bin/tail\n", "");
  auto tag = host_->BuildImage(ctx, "", Log(), backend::CancelToken());
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  images_.push_back(*tag);
  engine::JobContainerSpec job = JobContainer();
  job.container.image = *tag;
  engine::StartedServices started;
  core::Status st = host_->Start(&job, {}, "job", {}, Log(), backend::CancelToken(), started);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("cannot start the job container: ", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("tail"), std::string::npos) << st.message();
  EXPECT_EQ(started.container_ids.size(), 1u);
  host_->Stop(started, Log());
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, JobContainerThatExitsIsReportedWithItsLogs) {
  // A `tail` that fails at once; the service's first health check comes a second later.
  std::string ctx = WriteContext("badtail",
                                 std::string("FROM ") + kImage +
                                     "\nRUN printf '#!/bin/sh\\necho broken tail >&2\\nexit 2\\n'"
                                     " > /usr/bin/tail\n",
                                 "");
  auto tag = host_->BuildImage(ctx, "", Log(), backend::CancelToken());
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  images_.push_back(*tag);
  engine::JobContainerSpec job = JobContainer();
  job.container.image = *tag;
  engine::StartedServices started;
  core::Status st = host_->Start(&job, {Sleeper("svc", "--health-cmd true --health-interval 1s")},
                                 "job", {}, Log(), backend::CancelToken(), started);
  EXPECT_EQ(st.code(), core::StatusCode::kUnavailable) << st.ToString();
  EXPECT_EQ(st.message(),
            "the job container (" + *tag + ") exited with code 2 right after it started");
  EXPECT_TRUE(Logged("Last logs of the job container:"));
  EXPECT_TRUE(Logged("  broken tail"));
  host_->Stop(started, Log());
  ExpectNothingLeft();
}

TEST_F(DockerHostTest, RunContainerWithAMissingEntrypointFailsAndIsRemoved) {
  engine::ActionContainerSpec spec = Action({});
  spec.entrypoint = {"/no/such/entrypoint"};
  auto r = RunAction(spec, backend::CancelToken());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/no/such/entrypoint"), std::string::npos)
      << r.status().message();
  ExpectNothingLeft();
}

}  // namespace
}  // namespace gantry::actions
