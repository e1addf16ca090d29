// The runner with the real host backend: real shells, real process trees, real files.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "backend/host/host_backend.h"
#include "engine/runner.h"
#include "engine/runner_test_util.h"

namespace gantry::engine {
namespace {

using testing::FindJob;
using testing::RecordingObserver;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

class RunnerHostTest : public ::testing::Test {
 protected:
  RunReport Run(const std::string& yaml, RunOptions options = {}) {
    if (options.base_env.empty()) {
      const char* path = std::getenv("PATH");
      options.base_env = {{"PATH", path != nullptr ? path : "/usr/bin:/bin"},
                          {"HOME", dir_.path()}};
    }
    options.kill_grace = std::chrono::milliseconds(500);
    if (options.run_dir.empty()) options.run_dir = dir_.path() + "/run";
    return testing::RunWorkflow(yaml, *backend_, observer_, options);
  }
  Conclusion Of(const RunReport& r, const std::string& job) {
    const JobReport* j = FindJob(r, job);
    EXPECT_NE(j, nullptr) << job;
    return j != nullptr ? j->conclusion : Conclusion::kSkipped;
  }
  std::unique_ptr<backend::Backend> backend_ = backend::MakeHostBackend();
  RecordingObserver observer_;
  TempDir dir_;
};

TEST_F(RunnerHostTest, OutputsFlowAcrossNeeds) {
  RunReport r = Run(R"y(on: push
jobs:
  produce:
    runs-on: ubuntu-latest
    outputs:
      answer: ${{ steps.compute.outputs.answer }}
      text: ${{ steps.compute.outputs.text }}
    steps:
      - id: compute
        run: |
          echo "answer=42" >> "$GITHUB_OUTPUT"
          { echo 'text<<END'; echo 'two'; echo 'lines'; echo 'END'; } >> "$GITHUB_OUTPUT"
  consume:
    needs: produce
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "${{ needs.produce.outputs.answer }}" = 42
          test "$TEXT" = "$(printf 'two\nlines')"
        env:
          TEXT: ${{ needs.produce.outputs.text }}
)y");
  EXPECT_TRUE(r.success()) << observer_.AllText();
  EXPECT_EQ(FindJob(r, "produce")->outputs.at("answer"), "42");
}

TEST_F(RunnerHostTest, MatrixFailFastStopsTheOtherInstancesQuickly) {
  RunOptions options;
  options.parallelism = 3;
  auto start = Clock::now();
  RunReport r = Run(R"y(on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2, 3]
    steps:
      - run: |
          if [ "${{ matrix.n }}" = 1 ]; then sleep 0.2; exit 1; fi
          sleep 100
)y",
                    options);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(Of(r, "test (1)"), Conclusion::kFailure);
  EXPECT_EQ(Of(r, "test (2)"), Conclusion::kCancelled);
  EXPECT_EQ(Of(r, "test (3)"), Conclusion::kCancelled);
}

TEST_F(RunnerHostTest, EnvFilesWithHeredocsAndPathReachLaterSteps) {
  RunReport r = Run(R"y(on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "SIMPLE=a=b" >> "$GITHUB_ENV"
          { echo 'MULTI<<EOF'; echo 'line 1'; echo 'line 2'; echo 'EOF'; } >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/tools"
          printf '#!/bin/sh\necho tool ran\n' > "$RUNNER_TEMP/tools/mytool"
          chmod +x "$RUNNER_TEMP/tools/mytool"
          echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
          echo '### Summary' >> "$GITHUB_STEP_SUMMARY"
      - if: env.SIMPLE == 'a=b'
        run: |
          test "$MULTI" = "$(printf 'line 1\nline 2')"
          mytool
          case "$PATH" in "$RUNNER_TEMP/tools:"*) ;; *) exit 3;; esac
)y");
  EXPECT_TRUE(r.success()) << observer_.AllText();
  EXPECT_EQ(observer_.lines("j"), std::vector<std::string>{"tool ran"});
  EXPECT_EQ(FindJob(r, "j")->summary, "### Summary\n");
}

TEST_F(RunnerHostTest, SecretSplitAcrossWritesIsMasked) {
  RunOptions options;
  options.secrets = {{"TOKEN", "secret"}};
  RunReport r = Run(R"y(on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: |
          printf 'sec'; sleep 0.1; printf 'ret\n'
          echo "::add-mask::dynamic-value"
          echo "value is dynamic-value"
          echo "token is ${{ secrets.TOKEN }}"
)y",
                    options);
  EXPECT_TRUE(r.success()) << observer_.AllText();
  EXPECT_EQ(observer_.lines("j"),
            (std::vector<std::string>{"***", "value is ***", "token is ***"}));
}

TEST_F(RunnerHostTest, StepTimeoutKillsTheWholeProcessTree) {
  std::string pids = dir_.path() + "/pids";
  auto start = Clock::now();
  RunReport r = Run(R"y(on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - timeout-minutes: 0.01
        run: |
          sleep 100 &
          echo $! > ")y" +
                    pids + R"y("
          sleep 100
)y");
  auto elapsed = Clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_EQ(Of(r, "j"), Conclusion::kFailure);
  auto steps = observer_.steps("j");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].error, "The action 'Run sleep 100 &' has timed out after 0.01 minutes.");
  std::ifstream in(pids);
  int pid = 0;
  ASSERT_TRUE(in >> pid);
  EXPECT_EQ(::kill(pid, 0), -1);  // the background child is gone too
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(RunnerHostTest, WorkingDirectoryFromStepAndDefaults) {
  RunReport r = Run(R"y(on: push
defaults:
  run:
    working-directory: sub
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - working-directory: .
        run: mkdir -p sub/deeper
      - run: test "$(pwd)" = "$GITHUB_WORKSPACE/sub"
      - working-directory: sub/deeper
        run: test "$(pwd)" = "$GITHUB_WORKSPACE/sub/deeper"
      - working-directory: /tmp
        run: test "$(pwd)" = /tmp
      - working-directory: missing
        run: true
)y");
  auto steps = observer_.steps("j");
  ASSERT_EQ(steps.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(steps[i].outcome, Conclusion::kSuccess) << i;
  EXPECT_EQ(steps[4].outcome, Conclusion::kFailure);
  EXPECT_NE(steps[4].error.find("with working directory"), std::string::npos);
}

TEST_F(RunnerHostTest, ShellsRunAsGitHubRunsThem) {
  RunReport r = Run(R"y(on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - name: default shell has no pipefail
        run: false | true
      - name: bash has pipefail
        id: pipefail
        continue-on-error: true
        shell: bash
        run: false | true
      - run: test "${{ steps.pipefail.outcome }}" = failure
      - shell: sh
        run: test -n "$0"
      - shell: cat {0}
        run: printed by cat
      - shell: bash -c "source {0}; echo sourced"
        run: echo first
)y");
  EXPECT_TRUE(r.success()) << observer_.AllText();
  EXPECT_EQ(observer_.lines("j"), (std::vector<std::string>{"printed by cat", "first", "sourced"}));
}

TEST_F(RunnerHostTest, PythonShellRunsAPythonScript) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  RunReport r = Run(R"y(on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - shell: python
        run: |
          import os
          print("python", os.environ["GITHUB_JOB"])
)y");
  EXPECT_TRUE(r.success()) << observer_.AllText();
  EXPECT_EQ(observer_.lines("j"), std::vector<std::string>{"python j"});
}

TEST_F(RunnerHostTest, ContinueOnErrorAndFailureCleanup) {
  RunReport r = Run(R"y(on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - continue-on-error: true
        run: exit 4
      - run: exit 5
  cleanup:
    needs: build
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo cleaning up after ${{ needs.build.result }}
)y");
  EXPECT_FALSE(r.success());
  auto steps = observer_.steps("build");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].outcome, Conclusion::kFailure);
  EXPECT_EQ(steps[0].conclusion, Conclusion::kSuccess);
  EXPECT_EQ(steps[1].error, "Process completed with exit code 5.");
  EXPECT_EQ(observer_.lines("cleanup"), std::vector<std::string>{"cleaning up after failure"});
}

TEST_F(RunnerHostTest, CancelKillsTheRunningStepAndReportsCancelled) {
  backend::CancelToken cancel;
  RunOptions options;
  options.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.Cancel();
  });
  auto start = Clock::now();
  RunReport r = Run(R"y(on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 100
      - if: always()
        run: echo cleanup
)y",
                    options);
  canceller.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(Of(r, "j"), Conclusion::kCancelled);
  EXPECT_EQ(observer_.lines("j"), std::vector<std::string>{"cleanup"});
}

}  // namespace
}  // namespace gantry::engine
