// RunOneJob with the real host backend: one job instance run outside the scheduler, as an
// executor runs what the server's RunState handed out.

#include "engine/run_one.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backend/host/host_backend.h"
#include "engine/run_setup.h"
#include "engine/run_state.h"
#include "engine/runner_test_util.h"
#include "workflow/loader.h"

namespace gantry::engine {
namespace {

using testing::RecordingObserver;
using testing::TempDir;

class RunOneJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("PATH");
    options_.base_env = {{"PATH", path != nullptr ? path : "/usr/bin:/bin"}, {"HOME", dir_.path()}};
    options_.run_dir = dir_.path() + "/run";
    options_.kill_grace = std::chrono::milliseconds(500);
  }

  Plan PlanOf(const std::string& yaml) {
    auto loaded = workflow::LoadWorkflow(yaml, ".github/workflows/ci.yml");
    EXPECT_TRUE(loaded.ok());
    auto plan = BuildPlan(loaded.workflow, PlanOptions{});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? std::move(plan).value() : Plan{};
  }

  std::unique_ptr<backend::Backend> backend_ = backend::MakeHostBackend();
  RecordingObserver observer_;
  TempDir dir_;
  RunOptions options_;
};

TEST_F(RunOneJobTest, RunsATrivialJobOnTheHost) {
  Plan plan = PlanOf(R"y(on: push
jobs:
  hello:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
)y");
  OneJob job;
  job.job_id = "hello";
  job.display_name = "hello";
  JobReport report = RunOneJob(plan, options_, job, *backend_, observer_);
  EXPECT_EQ(report.conclusion, Conclusion::kSuccess) << report.error << observer_.AllText();
  EXPECT_EQ(report.key.display_name, "hello");
  EXPECT_EQ(observer_.lines("hello"), std::vector<std::string>{"hi"});
  std::vector<std::string> events = observer_.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "job-start hello");
  EXPECT_EQ(events.back(), "job-end hello success");
  // The scheduler's layout below run_dir: the event file and the first file-command slot.
  EXPECT_TRUE(std::filesystem::is_regular_file(options_.run_dir + "/event.json"));
  EXPECT_TRUE(std::filesystem::is_directory(options_.run_dir + "/_runner_files/0"));
}

TEST_F(RunOneJobTest, RunsWhatARunStateHandedOutWithItsNeedsAndMatrix) {
  Plan plan = PlanOf(R"y(on: push
jobs:
  produce:
    runs-on: ubuntu-latest
    outputs:
      answer: ${{ steps.s.outputs.answer }}
    steps:
      - id: s
        run: echo "answer=42" >> "$GITHUB_OUTPUT"
  consume:
    needs: produce
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2]
    steps:
      - run: echo "${{ needs.produce.outputs.answer }}-${{ matrix.n }}"
)y");
  core::Masker masker;
  std::unique_ptr<RunSetup> setup = PrepareRun(plan, options_, *backend_, observer_, &masker);
  RunState state(plan, *setup);
  state.Begin();
  // What a server does: each instance handed out runs (elsewhere) with RunOneJob.
  for (std::vector<Runnable> batch = state.TakeRunnable(-1); !batch.empty();
       batch = state.TakeRunnable(-1)) {
    for (const Runnable& r : batch) {
      JobReport report = RunOneJob(plan, options_, r.job, *backend_, observer_);
      ASSERT_TRUE(state.Finish(r.id, std::move(report)).ok());
    }
  }
  ASSERT_TRUE(state.Done());
  EXPECT_TRUE(state.Report().success()) << observer_.AllText();
  EXPECT_EQ(observer_.lines("consume (1)"), std::vector<std::string>{"42-1"});
  EXPECT_EQ(observer_.lines("consume (2)"), std::vector<std::string>{"42-2"});
}

TEST_F(RunOneJobTest, AJobThatIsNotInThePlanFailsNamingIt) {
  Plan plan = PlanOf("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n");
  OneJob job;
  job.job_id = "gone";
  JobReport report = RunOneJob(plan, options_, job, *backend_, observer_);
  EXPECT_EQ(report.conclusion, Conclusion::kFailure);
  EXPECT_NE(report.error.find("'gone'"), std::string::npos) << report.error;
  EXPECT_EQ(observer_.events(), std::vector<std::string>{"job-end gone failure"});
}

}  // namespace
}  // namespace gantry::engine
