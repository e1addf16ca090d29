// Job containers and Docker actions as the engine drives them, against the FakeContainerHost.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "engine/container_test_util.h"

namespace gantry::engine {
namespace {

using testing::FakeBackend;
using testing::FakeContainerHost;
using testing::FindJob;
using testing::RecordingObserver;
using testing::RunWorkflow;

std::string EnvOf(const backend::ProcessSpec& spec, const std::string& name) {
  return FakeBackend::Env(spec, name);
}

TEST(JobContainerTest, StepsRunInTheContainerWithGithubsContainerPaths) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  options.github = expr::Value(expr::Object());
  FakeBackend host_backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  build:
    runs-on: x
    container:
      image: debian:bookworm
      env: {IN_CONTAINER: "1"}
      options: --cpus 1
    services:
      redis: {image: 'redis:7'}
    steps:
      - run: |
          echo ws=${{ github.workspace }} temp=${{ runner.temp }} rw=${{ runner.workspace }}
          echo id=${{ job.container.id }} net=${{ job.container.network }}
          getenv HOME
          getenv GITHUB_WORKSPACE
          output answer=42
          path /opt/tool/bin
        id: one
      - run: echo answer=${{ steps.one.outputs.answer }}
        working-directory: sub
)y",
                            host_backend, observer, options);
  const JobReport* job = FindJob(r, "build");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kSuccess) << job->error << observer.AllText();
  EXPECT_TRUE(host_backend.events().empty()) << "no step may run on the host";

  EXPECT_EQ(host.job_.container.image, "debian:bookworm");
  EXPECT_EQ(host.job_.container.env, (EnvList{{"IN_CONTAINER", "1"}}));
  EXPECT_EQ(host.job_.container.options, "--cpus 1");
  EXPECT_EQ(host.job_.working_dir, "/__w/workspace/workspace");
  auto mounted = [&](const std::string& container) {
    for (const std::string& m : host.job_.mounts) {
      if (m.ends_with(":" + container)) return true;
    }
    return false;
  };
  for (const char* dir : {"/__w/workspace", "/__w/_temp", "/__w/_temp/_runner_file_commands",
                          "/__w/_actions", "/github/home", "/github/workflow"}) {
    EXPECT_TRUE(mounted(dir)) << dir;
  }

  std::string text = observer.AllText();
  EXPECT_NE(text.find("ws=/__w/workspace/workspace temp=/__w/_temp rw=/__w/workspace"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("id=job-c net=net-1"), std::string::npos) << text;
  EXPECT_NE(text.find("answer=42"), std::string::npos) << text;

  // The probe, then the two steps: sh (the image has no bash), container paths throughout.
  ASSERT_EQ(host.seen_.size(), 3u);
  const backend::ProcessSpec& first = host.seen_[1];
  EXPECT_EQ(first.argv.front(), "/bin/sh");
  EXPECT_TRUE(first.argv.back().starts_with("/__w/_temp/_runner_file_commands/"))
      << first.argv.back();
  EXPECT_EQ(first.cwd, "/__w/workspace/workspace");
  EXPECT_EQ(EnvOf(first, "HOME"), "/github/home");
  EXPECT_EQ(EnvOf(first, "GITHUB_WORKSPACE"), "/__w/workspace/workspace");
  EXPECT_TRUE(EnvOf(first, "GITHUB_OUTPUT").starts_with("/__w/_temp/_runner_file_commands/"));
  EXPECT_EQ(EnvOf(first, "GITHUB_EVENT_PATH"), "/github/workflow/event.json");
  EXPECT_EQ(EnvOf(first, "PATH"), "") << "the container's own PATH applies";
  EXPECT_TRUE(EnvOf(first, "IN_CONTAINER").empty()) << "container env is the container's";
  const backend::ProcessSpec& second = host.seen_[2];
  EXPECT_EQ(second.cwd, "/__w/workspace/workspace/sub");
  EXPECT_EQ(EnvOf(second, "PATH"), "/opt/tool/bin:/usr/local/bin:/usr/bin:/bin");
  EXPECT_EQ(host.stopped_, (std::vector<std::string>{"job-c", "c-redis", "net-1"}));
}

TEST(JobContainerTest, AnEmptyImageRunsTheJobOnTheHost) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  build:
    runs-on: x
    container: ${{ '' }}
    steps: [{run: echo on-host}]
)y",
                            backend, observer, options);
  ASSERT_NE(FindJob(r, "build"), nullptr);
  EXPECT_EQ(FindJob(r, "build")->conclusion, Conclusion::kSuccess);
  EXPECT_EQ(backend.events().size(), 2u);
  EXPECT_TRUE(host.seen_.empty());
}

// Runs `yaml` (one job, "build", or a call of one) with RunOptions::default_container_image
// debian:bookworm; the image of the job container it ran in ("" = none: on the host).
std::string ImageWithDefault(const std::string& yaml,
                             const std::map<std::string, std::string>& files = {}) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  options.default_container_image = "debian:bookworm";
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(yaml, backend, observer, options, files);
  EXPECT_TRUE(r.success()) << observer.AllText();
  EXPECT_NE(observer.AllText().find("ran"), std::string::npos) << observer.AllText();
  if (host.job_.container.image.empty()) return "";
  EXPECT_TRUE(backend.events().empty()) << "no step may run on the host";
  EXPECT_EQ(host.job_.working_dir, "/__w/workspace/workspace");
  return host.job_.container.image;
}

TEST(JobContainerTest, TheDefaultImageRunsAJobWithoutContainerInAContainer) {
  EXPECT_EQ(ImageWithDefault(R"y(on: push
jobs:
  build:
    runs-on: x
    steps: [{run: echo ran}]
)y"),
            "debian:bookworm");
}

TEST(JobContainerTest, TheDefaultImageReplacesAnEmptyContainer) {
  for (const char* container : {"''", "${{ '' }}", "{image: \"${{ '' }}\"}"}) {
    EXPECT_EQ(ImageWithDefault(std::string(R"y(on: push
jobs:
  build:
    runs-on: x
    container: )y") + container +
                               R"y(
    steps: [{run: echo ran}]
)y"),
              "debian:bookworm")
        << container;
  }
}

TEST(JobContainerTest, AJobKeepsItsOwnContainerOverTheDefaultImage) {
  EXPECT_EQ(ImageWithDefault(R"y(on: push
jobs:
  build:
    runs-on: x
    container: ${{ 'redis:7' }}
    steps: [{run: echo ran}]
)y"),
            "redis:7");
}

TEST(JobContainerTest, TheDefaultImageReachesTheJobsOfACalledWorkflow) {
  EXPECT_EQ(ImageWithDefault(R"y(on: push
jobs:
  call:
    uses: ./.github/workflows/called.yml
)y",
                             {{".github/workflows/called.yml", R"y(on: workflow_call
jobs:
  inner:
    runs-on: x
    steps: [{run: echo ran}]
)y"}}),
            "debian:bookworm");
}

TEST(JobContainerTest, DockerUrlStepsRunAsContainersWithGithubMountsInputsAndArgs) {
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  build:
    runs-on: x
    env: {JOB_VAR: j}
    steps:
      - id: d
        uses: docker://alpine:3
        with:
          args: echo "hello world"
          who-am-i: me
      - run: echo got=${{ steps.d.outputs.greeting }}
)y",
                            backend, observer, options);
  const JobReport* job = FindJob(r, "build");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kSuccess) << job->error << observer.AllText();
  EXPECT_EQ(host.prepared_, (std::vector<std::string>{"alpine:3"}));
  ASSERT_EQ(host.actions_.size(), 1u);
  const ActionContainerSpec& a = host.actions_[0];
  EXPECT_EQ(a.image, "alpine:3");
  EXPECT_EQ(a.args, (std::vector<std::string>{"echo", "hello world"}));
  EXPECT_EQ(a.working_dir, "/github/workspace");
  auto env = [&](const std::string& k) {
    for (const auto& [key, v] : a.env) {
      if (key == k) return v;
    }
    return std::string("<unset>");
  };
  EXPECT_EQ(env("INPUT_WHO-AM-I"), "me");
  EXPECT_EQ(env("JOB_VAR"), "j");
  EXPECT_EQ(env("GITHUB_WORKSPACE"), "/github/workspace");
  EXPECT_EQ(env("HOME"), "/github/home");
  EXPECT_TRUE(env("GITHUB_OUTPUT").starts_with("/github/file_commands/"));
  EXPECT_EQ(env("PATH"), "<unset>") << "the host's PATH must not reach the container";
  EXPECT_NE(observer.AllText().find("got=hi"), std::string::npos) << observer.AllText();
}

TEST(JobContainerTest, DockerActionsRunTheirPostEntrypointAfterTheSteps) {
  testing::TempDir workspace;
  std::filesystem::create_directories(workspace.path() + "/act");
  std::ofstream(workspace.path() + "/act/action.yml") << R"y(name: a
inputs:
  who: {default: me}
runs:
  using: docker
  image: docker://alpine:3
  entrypoint: /main.sh
  args: ["hi ${{ inputs.who }}"]
  post-entrypoint: /post.sh
)y";
  FakeContainerHost host;
  RunOptions options;
  options.container_host = &host;
  options.shared_workspace = workspace.path();
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  build:
    runs-on: x
    steps:
      - uses: ./act
      - run: echo between
)y",
                            backend, observer, options);
  const JobReport* job = FindJob(r, "build");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kSuccess) << job->error << observer.AllText();
  ASSERT_EQ(host.actions_.size(), 2u);
  EXPECT_EQ(host.actions_[0].entrypoint, (std::vector<std::string>{"/main.sh"}));
  EXPECT_EQ(host.actions_[1].entrypoint, (std::vector<std::string>{"/post.sh"}));
  EXPECT_EQ(host.actions_[1].args, (std::vector<std::string>{"hi me"}));
  auto steps = observer.steps("build");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[2].name, "Post Run ./act");
  EXPECT_EQ(host.prepared_, (std::vector<std::string>{"alpine:3", "alpine:3"}));
}

}  // namespace
}  // namespace gantry::engine
