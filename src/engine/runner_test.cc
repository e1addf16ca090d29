// Scheduler and job semantics against a fake Backend (no processes).
#include "engine/runner.h"

#include <gtest/gtest.h>

#include "engine/runner_test_util.h"

namespace gantry::engine {
namespace {

using testing::FakeBackend;
using testing::FindJob;
using testing::RecordingObserver;
using testing::RunWorkflow;

Conclusion Of(const RunReport& r, const std::string& job) {
  const JobReport* j = FindJob(r, job);
  EXPECT_NE(j, nullptr) << job;
  return j != nullptr ? j->conclusion : Conclusion::kSkipped;
}

TEST(RunnerTest, JobsStartAfterTheirNeedsInPlanOrder) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  c:
    needs: [a, b]
    runs-on: ubuntu-latest
    steps: [{run: echo c}]
  a:
    runs-on: ubuntu-latest
    steps: [{run: echo a}]
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{run: echo b}]
)y",
                            backend, observer);
  EXPECT_TRUE(r.success());
  EXPECT_EQ(backend.events(),
            (std::vector<std::string>{"start:a", "end:a", "start:b", "end:b", "start:c", "end:c"}));
  ASSERT_EQ(r.jobs.size(), 3u);
  EXPECT_EQ(r.jobs[0].key.job_id, "a");
  EXPECT_EQ(r.jobs[2].key.job_id, "c");
}

TEST(RunnerTest, ParallelismBoundsConcurrentJobs) {
  std::string yaml = "on: push\njobs:\n";
  for (int i = 0; i < 6; ++i) {
    yaml += "  j" + std::to_string(i) + ":\n    runs-on: x\n    steps: [{run: sleep 30}]\n";
  }
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.parallelism = 2;
  RunReport r = RunWorkflow(yaml, backend, observer, options);
  EXPECT_TRUE(r.success());
  EXPECT_EQ(r.jobs.size(), 6u);
  EXPECT_EQ(backend.peak(), 2);
}

TEST(RunnerTest, FailedJobSkipsDependentsUnlessTheirIfSaysOtherwise) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  build:
    runs-on: x
    steps: [{run: exit 3}]
  test:
    needs: build
    runs-on: x
    steps: [{run: echo test}]
  cleanup:
    needs: build
    if: failure()
    runs-on: x
    steps: [{run: echo cleanup}]
  report:
    needs: test
    if: always()
    runs-on: x
    steps: [{run: echo report}]
  notify:
    needs: test
    if: failure()
    runs-on: x
    steps: [{run: echo notify}]
)y",
                            backend, observer);
  EXPECT_FALSE(r.success());
  EXPECT_EQ(Of(r, "build"), Conclusion::kFailure);
  EXPECT_EQ(Of(r, "test"), Conclusion::kSkipped);
  EXPECT_EQ(Of(r, "cleanup"), Conclusion::kSuccess);
  EXPECT_EQ(Of(r, "report"), Conclusion::kSuccess);
  // failure() looks at every ancestor: build failed, so notify runs although test was skipped.
  EXPECT_EQ(Of(r, "notify"), Conclusion::kSuccess);
  EXPECT_EQ(FindJob(r, "build")->failed_step, "Run exit 3");
}

TEST(RunnerTest, SkippedAncestorIsNeitherSuccessNorFailure) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  a:
    if: false
    runs-on: x
    steps: [{run: echo a}]
  on-failure:
    needs: a
    if: failure()
    runs-on: x
    steps: [{run: echo f}]
  not-cancelled:
    needs: a
    if: "!cancelled()"
    runs-on: x
    steps: [{run: echo n}]
  default:
    needs: a
    runs-on: x
    steps: [{run: echo d}]
)y",
                            backend, observer);
  EXPECT_TRUE(r.success());
  EXPECT_EQ(Of(r, "a"), Conclusion::kSkipped);
  EXPECT_EQ(Of(r, "on-failure"), Conclusion::kSkipped);
  EXPECT_EQ(Of(r, "not-cancelled"), Conclusion::kSuccess);
  EXPECT_EQ(Of(r, "default"), Conclusion::kSkipped);
}

TEST(RunnerTest, NeedsSeeResultsAndOutputs) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  producer:
    runs-on: x
    outputs:
      version: ${{ steps.v.outputs.version }}
      empty: ${{ steps.v.outputs.missing }}
    steps:
      - id: v
        run: output version=1.2.3
  consumer:
    needs: producer
    if: needs.producer.result == 'success' && success('producer')
    runs-on: x
    steps:
      - run: echo got ${{ needs.producer.outputs.version }} ${{ needs.producer.result }}
)y",
                            backend, observer);
  ASSERT_TRUE(r.success());
  EXPECT_EQ(FindJob(r, "producer")->outputs.at("version"), "1.2.3");
  EXPECT_EQ(observer.lines("consumer"), std::vector<std::string>{"got 1.2.3 success"});
}

TEST(RunnerTest, MatrixFailFastCancelsTheOtherInstances) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.parallelism = 4;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  test:
    runs-on: x
    strategy:
      matrix:
        n: [1, 2, 3, 4]
      max-parallel: 2
    steps:
      - if: matrix.n == 1
        run: |
          sleep 20
          exit 1
      - if: matrix.n != 1
        run: block
  after:
    needs: test
    runs-on: x
    steps: [{run: echo after}]
)y",
                            backend, observer, options);
  EXPECT_FALSE(r.success());
  EXPECT_EQ(Of(r, "test (1)"), Conclusion::kFailure);
  EXPECT_EQ(Of(r, "test (2)"), Conclusion::kCancelled);
  EXPECT_EQ(Of(r, "test (3)"), Conclusion::kCancelled);
  EXPECT_EQ(Of(r, "test (4)"), Conclusion::kCancelled);
  EXPECT_EQ(Of(r, "after"), Conclusion::kSkipped);
  EXPECT_EQ(backend.peak(), 2);  // max-parallel
}

TEST(RunnerTest, WithoutFailFastTheOtherInstancesFinish) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.parallelism = 3;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  test:
    runs-on: x
    strategy:
      fail-fast: false
      matrix:
        n: [1, 2, 3]
    steps:
      - run: exit ${{ matrix.n == 2 && 1 || 0 }}
)y",
                            backend, observer, options);
  EXPECT_EQ(Of(r, "test (1)"), Conclusion::kSuccess);
  EXPECT_EQ(Of(r, "test (2)"), Conclusion::kFailure);
  EXPECT_EQ(Of(r, "test (3)"), Conclusion::kSuccess);
}

TEST(RunnerTest, JobContinueOnErrorLetsTheRunSucceed) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  flaky:
    runs-on: x
    continue-on-error: true
    steps: [{run: exit 1}]
  next:
    needs: flaky
    runs-on: x
    steps:
      - run: echo ${{ needs.flaky.result }}
)y",
                            backend, observer);
  EXPECT_TRUE(r.success());
  EXPECT_EQ(Of(r, "flaky"), Conclusion::kFailure);
  EXPECT_TRUE(FindJob(r, "flaky")->continued_on_error);
  EXPECT_EQ(observer.lines("next"), std::vector<std::string>{"success"});
}

TEST(RunnerTest, StepOutcomeConclusionAndLaterSteps) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  j:
    runs-on: x
    steps:
      - id: soft
        continue-on-error: ${{ true }}
        run: exit 2
      - run: echo ${{ steps.soft.outcome }} ${{ steps.soft.conclusion }}
      - id: hard
        run: exit 1
      - run: echo not reached
      - if: failure()
        run: echo cleanup ${{ steps.hard.outcome }} ${{ job.status }}
      - if: always()
        name: Always ${{ steps.hard.conclusion }}
        run: echo always
)y",
                            backend, observer);
  EXPECT_FALSE(r.success());
  EXPECT_EQ(observer.lines("j"),
            (std::vector<std::string>{"failure success", "cleanup failure failure", "always"}));
  auto steps = observer.steps("j");
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps[0].outcome, Conclusion::kFailure);
  EXPECT_EQ(steps[0].conclusion, Conclusion::kSuccess);
  EXPECT_EQ(steps[2].error, "Process completed with exit code 1.");
  EXPECT_EQ(steps[3].conclusion, Conclusion::kSkipped);
  EXPECT_EQ(steps[5].name, "Always failure");
  EXPECT_EQ(FindJob(r, "j")->failed_step, "Run exit 1");
}

TEST(RunnerTest, CancelledRunCancelsJobsButAlwaysJobsRun) {
  FakeBackend backend;
  RecordingObserver observer;
  backend::CancelToken cancel;
  RunOptions options;
  options.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel.Cancel();
  });
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  long:
    runs-on: x
    steps:
      - run: block
      - run: echo after
      - if: always()
        run: echo cleanup
  next:
    needs: long
    runs-on: x
    steps: [{run: echo next}]
  final:
    needs: long
    if: always()
    runs-on: x
    steps:
      - run: echo final ${{ needs.long.result }}
)y",
                            backend, observer, options);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.success());
  EXPECT_EQ(Of(r, "long"), Conclusion::kCancelled);
  EXPECT_EQ(observer.lines("long"), std::vector<std::string>{"cleanup"});
  EXPECT_EQ(Of(r, "next"), Conclusion::kCancelled);
  EXPECT_EQ(observer.lines("final"), std::vector<std::string>{"final cancelled"});
}

TEST(RunnerTest, RemoteActionsAndContainersWithoutTheirProvidersFailWithAClearMessage) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  action:
    runs-on: x
    steps:
      - uses: actions/setup-node@v4
  container:
    runs-on: x
    container: node:20
    steps: [{run: echo hi}]
)y",
                            backend, observer);
  const JobReport* action = FindJob(r, "action");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->conclusion, Conclusion::kFailure);
  auto steps = observer.steps("action");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].error,
            "cannot run 'actions/setup-node@v4': remote actions are not available in this run");
  const JobReport* container = FindJob(r, "container");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->conclusion, Conclusion::kFailure);
  EXPECT_NE(container->error.find("job containers need a Docker engine"), std::string::npos);
  EXPECT_TRUE(backend.events().empty());
}

TEST(RunnerTest, JobTimeoutFailsTheJobAndStillRunsAlwaysSteps) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  slow:
    runs-on: x
    timeout-minutes: 0.002
    steps:
      - run: block
      - run: echo skipped
      - if: always()
        run: echo cleanup ${{ job.status }}
)y",
                            backend, observer);
  const JobReport* slow = FindJob(r, "slow");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->conclusion, Conclusion::kFailure);
  EXPECT_NE(slow->error.find("has exceeded the maximum execution time of 0.002 minutes"),
            std::string::npos);
  EXPECT_EQ(observer.lines("slow"), std::vector<std::string>{"cleanup cancelled"});
  EXPECT_EQ(observer.steps("slow")[0].outcome, Conclusion::kCancelled);
}

TEST(RunnerTest, MatrixFromNeedsOutputsAndMergedMatrixOutputs) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  prepare:
    runs-on: x
    outputs:
      matrix: ${{ steps.m.outputs.matrix }}
    steps:
      - id: m
        run: 'output matrix={"package": ["a", "b"]}'
  build:
    needs: prepare
    runs-on: x
    strategy:
      matrix: ${{ fromJSON(needs.prepare.outputs.matrix) }}
    outputs:
      a: ${{ steps.o.outputs.a }}
      b: ${{ steps.o.outputs.b }}
    steps:
      - id: o
        run: output ${{ matrix.package }}=built-${{ matrix.package }}
  use:
    needs: build
    runs-on: x
    steps:
      - run: echo ${{ needs.build.outputs.a }} ${{ needs.build.outputs.b }}
)y",
                            backend, observer);
  EXPECT_TRUE(r.success());
  EXPECT_NE(FindJob(r, "build (a)"), nullptr);
  EXPECT_NE(FindJob(r, "build (b)"), nullptr);
  EXPECT_EQ(observer.lines("use"), std::vector<std::string>{"built-a built-b"});
}

TEST(RunnerTest, BadJobConditionFailsTheJob) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  j:
    if: fromJSON('{')
    runs-on: x
    steps: [{run: echo}]
)y",
                            backend, observer);
  const JobReport* j = FindJob(r, "j");
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->conclusion, Conclusion::kFailure);
  EXPECT_EQ(j->error.rfind(".github/workflows/test.yml:4:9: ", 0), 0u) << j->error;
  EXPECT_TRUE(backend.events().empty());
}

TEST(RunnerTest, ReusableWorkflowCallRunsTheCalledJobs) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.secrets = {{"TOKEN", "t0ken"}};
  std::map<std::string, std::string> files = {{".github/workflows/callee.yml", R"y(on:
  workflow_call:
    inputs:
      name: {type: string, required: true}
      flag: {type: boolean}
      other: {type: string, default: dflt}
    secrets:
      token: {required: true}
    outputs:
      greeting:
        value: ${{ jobs.inner.outputs.g }}
jobs:
  inner:
    runs-on: x
    outputs:
      g: ${{ steps.s.outputs.g }}
    steps:
      - id: s
        run: output g=hello-${{ inputs.name }}-${{ inputs.flag == true }}-${{ inputs.other }}
      - run: echo ${{ secrets.token }}
)y"}};
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  call:
    uses: ./.github/workflows/callee.yml
    with:
      name: world
      flag: true
    secrets:
      token: ${{ secrets.TOKEN }}
  after:
    needs: call
    runs-on: x
    steps:
      - run: echo ${{ needs.call.outputs.greeting }} ${{ needs.call.result }}
)y",
                            backend, observer, options, files);
  EXPECT_TRUE(r.success()) << observer.AllText();
  EXPECT_EQ(observer.lines("call / inner"), std::vector<std::string>{"***"});
  EXPECT_EQ(observer.lines("after"), std::vector<std::string>{"hello-world-true-dflt success"});
}

}  // namespace
}  // namespace gantry::engine

namespace gantry::engine {
namespace {

TEST(RunnerTest, InstancesWhoseRunsOnThisMachineLacksAreSkippedWithTheReason) {
  FakeBackend backend;
  RecordingObserver observer;
  HostLabels host{"Linux", "X64", {"gpu"}};
  RunOptions options;
  options.host_labels = &host;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  build:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
    steps: [{run: echo build}]
  gpu:
    runs-on: [self-hosted, gpu]
    steps: [{run: echo gpu}]
  mac:
    runs-on: macos-latest
    steps: [{run: echo mac}]
  after-mac:
    needs: mac
    runs-on: ubuntu-latest
    steps: [{run: echo after}]
)y",
                            backend, observer, options);
  EXPECT_TRUE(r.success());
  const JobReport* windows = FindJob(r, "build (windows-latest)");
  ASSERT_NE(windows, nullptr);
  EXPECT_EQ(windows->conclusion, Conclusion::kSkipped);
  EXPECT_NE(windows->not_here.find("'windows-latest' is a Windows runner"), std::string::npos);
  const JobReport* linux_leg = FindJob(r, "build (ubuntu-latest)");
  ASSERT_NE(linux_leg, nullptr);
  EXPECT_EQ(linux_leg->conclusion, Conclusion::kSuccess);
  EXPECT_EQ(FindJob(r, "gpu")->conclusion, Conclusion::kSuccess);
  EXPECT_EQ(FindJob(r, "mac")->conclusion, Conclusion::kSkipped);
  EXPECT_EQ(FindJob(r, "after-mac")->conclusion, Conclusion::kSkipped);
  for (const std::string& e : backend.events()) {
    EXPECT_EQ(e.find("mac"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace gantry::engine
