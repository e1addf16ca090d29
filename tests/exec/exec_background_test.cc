// `gantry exec` with GitHub's background steps: `background: true`, `wait:`, `wait-all:`,
// `cancel:` and `parallel:` blocks (semantics in docs/exec.md, "Background steps").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ExecBackgroundTest, BackgroundStepRunsWhileTheJobGoesOnAndItsOutputsArriveAtTheWait) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: slow
        background: true
        run: |
          while [ ! -f "$RUNNER_TEMP/go" ]; do sleep 0.02; done
          echo "answer=42" >> "$GITHUB_OUTPUT"
          echo "FROM_BG=yes" >> "$GITHUB_ENV"
          echo "background done"
      - run: |
          echo "before wait: [${{ steps.slow.outputs.answer }}] [${FROM_BG:-unset}]"
          touch "$RUNNER_TEMP/go"
      - wait: slow
      - run: |
          echo "after wait: [${{ steps.slow.outputs.answer }}] [${FROM_BG:-unset}] ${{ steps.slow.outcome }}"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("before wait: [] [unset]"));
  EXPECT_THAT(f.out, HasSubstr("after wait: [42] [yes] success"));
  EXPECT_THAT(f.out, HasSubstr("Waiting for background step(s) to complete: "));
  EXPECT_THAT(f.out, HasSubstr("Finished waiting for background step(s)."));
  EXPECT_LT(f.out.find("before wait"), f.out.find("background done"));
}

TEST(ExecBackgroundTest, FailedBackgroundStepFailsTheWaitAndLaterStepsAreSkipped) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: bad
        background: true
        run: exit 3
      - run: echo "main goes on"
      - wait: bad
      - run: echo "never printed"
      - if: failure()
        run: echo "failure seen ${{ steps.bad.outcome }}"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("main goes on"));
  EXPECT_THAT(f.out, Not(HasSubstr("never printed")));
  EXPECT_THAT(f.out, HasSubstr("failure seen failure"));
  EXPECT_THAT(f.out, HasSubstr(": Failed"));
}

TEST(ExecBackgroundTest, ContinueOnErrorOfTheBackgroundStepKeepsTheJobGreen) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: bad
        background: true
        continue-on-error: true
        run: exit 1
      - wait-all:
      - run: echo "outcome=${{ steps.bad.outcome }} conclusion=${{ steps.bad.conclusion }}"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("outcome=failure conclusion=success"));
  EXPECT_THAT(f.out, HasSubstr("Waiting for all background step(s) to complete: "));
}

TEST(ExecBackgroundTest, UnwaitedBackgroundStepIsWaitedForAtJobEndAndCounts) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - name: Late
        background: true
        run: sleep 0.3; echo "late $((40 + 2))"; exit 1
      - run: echo "last main step"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("late 42"));
  EXPECT_LT(f.out.find("last main step"), f.out.find("late 42"));
}

TEST(ExecBackgroundTest, CancelStopsTheWholeProcessTreeAndDoesNotFailTheJob) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: server
        name: Server
        background: true
        run: |
          (sleep 300; echo "grandchild $((1 + 1)) survived") &
          echo "server up"
          sleep 300
      - run: sleep 0.3
      - cancel: server
      - run: echo "server outcome ${{ steps.server.outcome }}"
)yml");
  auto start = std::chrono::steady_clock::now();
  Finished f = p.Run({"exec"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("server up"));
  EXPECT_THAT(f.out, HasSubstr("Cancelling background step(s): "));
  EXPECT_THAT(f.out, HasSubstr("server outcome cancelled"));
  EXPECT_THAT(f.out, Not(HasSubstr("grandchild 2 survived")));
}

TEST(ExecBackgroundTest, ParallelBlockRunsItsStepsAtOnceAndWaitsForThem) {
  Project p;
  p.Workflow("par.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - parallel:
          - run: sleep 1; echo one
          - run: sleep 1; echo two
          - id: three
            run: sleep 1; echo "v=3" >> "$GITHUB_OUTPUT"
      - run: echo "after block ${{ steps.three.outputs.v }}"
)yml");
  auto start = std::chrono::steady_clock::now();
  Finished f = p.Run({"exec"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("after block 3"));
  EXPECT_LT(took, std::chrono::milliseconds(2500)) << f.out;
  EXPECT_LT(f.out.find("two"), f.out.find("after block"));
}

TEST(ExecBackgroundTest, FailureInParallelBlockFailsTheJobBeforeTheNextStep) {
  Project p;
  p.Workflow("par.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - parallel:
          - run: exit 1
          - run: sleep 0.2; echo sibling finished
      - run: echo "not reached"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("sibling finished"));
  EXPECT_THAT(f.out, Not(HasSubstr("not reached")));
}

TEST(ExecBackgroundTest, BackgroundStepTimeoutUsesGithubsWords) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: t
        name: Slow thing
        background: true
        timeout-minutes: 0.01
        run: sleep 30
      - wait: t
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out,
              HasSubstr("The background step 'Slow thing' has timed out after 0.01 minutes."));
}

TEST(ExecBackgroundTest, SkippedBackgroundStepIsNotWaitedFor) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: s
        if: false
        background: true
        run: echo never
      - wait: s
      - run: echo "outcome ${{ steps.s.outcome }}"
)yml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("outcome skipped"));
}

TEST(ExecBackgroundTest, SecretsAreMaskedInBackgroundLogsAndConcurrentLinesNameTheirStep) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - name: Noisy
        background: true
        run: for i in 1 2 3 4 5; do echo "bg ${{ secrets.TOKEN }} $i"; sleep 0.1; done
      - name: Main
        run: for i in 1 2 3; do echo "fg line $i"; sleep 0.1; done
      - wait-all:
)yml");
  Finished f = p.Run({"exec", "--secret", "TOKEN=hunter2"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, Not(HasSubstr("hunter2")));
  EXPECT_THAT(f.out, HasSubstr("bg *** 1"));
  EXPECT_THAT(f.out, HasSubstr("Noisy | bg *** 2"));
}

TEST(ExecBackgroundTest, JsonStepFinishedMarksBackgroundSteps) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - background: true
        run: echo hi
      - wait-all:
)yml");
  Finished f = p.Run({"exec", "--json"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  bool saw_background = false;
  std::istringstream lines(f.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_object() && e.value("type", "") == "step_finished" && e.value("background", false))
      saw_background = true;
  }
  EXPECT_TRUE(saw_background) << f.out;
}

TEST(ExecBackgroundTest, CtrlCStopsBackgroundStepsToo) {
  Project p;
  p.Workflow("bg.yml", R"yml(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - background: true
        run: echo started; sleep 300
      - run: sleep 300
)yml");
  Process proc({"exec"}, p.root(), p.base());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  kill(proc.pid(), SIGINT);
  Finished f = proc.Wait(std::chrono::seconds(30));
  EXPECT_EQ(f.exit_code, 130) << f.out << f.err;
}

}  // namespace
}  // namespace gantry::exec_test
