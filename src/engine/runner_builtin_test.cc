// Built-in actions as the engine runs them: the reports they return reach the observer, and
// what they write to $GITHUB_STEP_SUMMARY becomes part of the job's summary.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "backend/host/host_backend.h"
#include "engine/runner.h"
#include "engine/runner_test_util.h"

namespace gantry::engine {
namespace {

using testing::FindJob;
using testing::RecordingObserver;
using testing::TempDir;

// "test/report" writes a summary and returns a report, failing when `fail` is set.
class FakeReportBuiltins : public BuiltinActions {
 public:
  bool Handles(std::string_view name) const override { return name == "test/report"; }
  bool HasPost(std::string_view) const override { return false; }
  std::string PostIf(std::string_view) const override { return ""; }
  BuiltinResult Run(const BuiltinCall& call) override {
    const std::string* summary = FindEnv(call.env, "GITHUB_STEP_SUMMARY");
    if (summary != nullptr) std::ofstream(*summary, std::ios::app) << "### Report\n";
    BuiltinResult r;
    r.reports.push_back({"coverage", R"({"format":"lcov","files":[{"path":"s3cr3t/a.c"}]})"});
    const std::string* fail = FindEnv(call.inputs, "fail");
    if (fail != nullptr) r.error = "below the minimum";
    return r;
  }
};

TEST(RunnerBuiltinTest, ReportsReachTheObserverAndTheSummaryTheJob) {
  TempDir dir;
  auto backend = backend::MakeHostBackend();
  RecordingObserver observer;
  FakeReportBuiltins builtins;
  RunOptions options;
  const char* path = std::getenv("PATH");
  options.base_env = {{"PATH", path != nullptr ? path : "/usr/bin:/bin"}, {"HOME", dir.path()}};
  options.run_dir = dir.path() + "/run";
  options.builtins = &builtins;
  options.secrets = {{"TOKEN", "s3cr3t"}};
  RunReport r = testing::RunWorkflow(R"y(on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "from the shell" >> "$GITHUB_STEP_SUMMARY"
      - uses: test/report@v1
      - uses: test/report@v1
        with:
          fail: yes
)y",
                                     *backend, observer, options);
  const JobReport* job = FindJob(r, "a");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->conclusion, Conclusion::kFailure);
  EXPECT_EQ(job->summary, "from the shell\n### Report\n### Report\n");
  int reports = 0;
  for (const std::string& e : observer.events()) {
    if (e.starts_with("report a step ")) {
      ++reports;
      // Secrets are masked in the report's strings.
      EXPECT_NE(e.find(R"( coverage {"files":[{"path":"***/a.c"}],"format":"lcov"})"),
                std::string::npos)
          << e;
    }
  }
  EXPECT_EQ(reports, 2);  // the failing step's report too
}

}  // namespace
}  // namespace gantry::engine
