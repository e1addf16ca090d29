// The run state machine alone: no process, no thread, no file. Each test plays the driver:
// it takes the runnable instances, finishes them with made-up reports and reads the decisions.

#include "engine/run_state.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/masker.h"
#include "engine/runs_on.h"
#include "workflow/loader.h"

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

// A planned workflow and a RunSetup built by hand (PrepareRun would write event.json).
class Driver {
 public:
  explicit Driver(const std::string& jobs, const HostLabels* host = nullptr) {
    auto loaded = workflow::LoadWorkflow("on: push\njobs:\n" + jobs, "ci.yml");
    std::string problems;
    for (const auto& d : loaded.diagnostics) problems += d.ToString() + "\n";
    EXPECT_TRUE(loaded.ok()) << problems;
    auto plan = BuildPlan(loaded.workflow, PlanOptions{});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (plan.ok()) plan_ = std::move(plan).value();
    options_.host_labels = host;
    RunShared& s = setup_.shared;
    s.options = &options_;
    s.masker = &masker_;
    s.workflow = plan_.workflow.get();
    Object github;
    github.Set("event_name", Value("push"));
    github.Set("event", Value(Object()));
    s.github = Value(std::move(github));
    s.secrets = s.vars = s.inputs = Value(Object());
    state_ = std::make_unique<RunState>(plan_, setup_);
    state_->Begin();
  }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  RunState& state() { return *state_; }
  RunState* operator->() { return state_.get(); }

  /// Display names of what TakeRunnable(free_slots) hands out, comma-separated; remembers them.
  std::string Take(int free_slots = -1) {
    std::string out;
    for (Runnable& r : state_->TakeRunnable(free_slots)) {
      if (!out.empty()) out += ", ";
      out += r.job.display_name;
      taken_[r.job.display_name] = std::move(r);
    }
    return out;
  }
  /// The instance handed out under `name`.
  const Runnable& Taken(const std::string& name) { return taken_.at(name); }

  /// Finishes the instance handed out under `name`.
  void Finish(const std::string& name, Conclusion conclusion,
              std::map<std::string, std::string> outputs = {}, bool continued = false) {
    ASSERT_TRUE(taken_.count(name)) << name;
    const Runnable& r = taken_.at(name);
    JobReport report;
    report.key = JobKey{r.job.job_id, r.job.instance, r.job.display_name};
    report.conclusion = conclusion;
    report.outputs = std::move(outputs);
    report.continued_on_error = continued;
    ASSERT_TRUE(state_->Finish(r.id, std::move(report)).ok()) << name;
  }

  /// The decisions since the last call: "cancel NAME" or "NAME CONCLUSION", comma-separated.
  std::string Decisions() {
    std::string out;
    for (const Decision& d : state_->TakeDecisions()) {
      if (!out.empty()) out += ", ";
      if (d.kind == Decision::Kind::kCancel) {
        out += "cancel " + NameOf(d.id);
      } else {
        out += d.report.key.display_name + " " + ConclusionName(d.report.conclusion);
      }
    }
    return out;
  }

  /// "name=conclusion" of every instance in the report.
  std::string Conclusions() {
    std::string out;
    for (const JobReport& j : state_->Report().jobs) {
      if (!out.empty()) out += ", ";
      out += j.key.display_name + "=" + ConclusionName(j.conclusion);
    }
    return out;
  }

 private:
  std::string NameOf(InstanceId id) {
    for (const auto& [name, r] : taken_) {
      if (r.id == id) return name;
    }
    return "?";
  }

  Plan plan_;
  RunOptions options_;
  core::Masker masker_;
  RunSetup setup_;
  std::unique_ptr<RunState> state_;
  std::map<std::string, Runnable> taken_;
};

std::string Text(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* at = &v;
  for (std::string_view key : path) {
    at = at->Find(key);
    if (at == nullptr) return "<missing>";
  }
  return at->ToString();
}

TEST(RunStateTest, JobsBecomeRunnableWhenTheirNeedsFinishInPlanOrder) {
  Driver run(R"(  a: {runs-on: x, steps: [{run: echo}]}
  b: {needs: a, runs-on: x, steps: [{run: echo}]}
  c: {needs: [a, b], runs-on: x, steps: [{run: echo}]}
  d: {runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(1), "a");
  EXPECT_EQ(run.Take(0), "");
  EXPECT_EQ(run.Take(), "d");
  EXPECT_EQ(run->running(), 2);
  run.Finish("d", Conclusion::kSuccess);
  EXPECT_EQ(run.Take(), "");
  run.Finish("a", Conclusion::kSuccess);
  EXPECT_EQ(run.Take(), "b");
  run.Finish("b", Conclusion::kSuccess);
  EXPECT_FALSE(run->Done());
  EXPECT_EQ(run.Take(), "c");
  run.Finish("c", Conclusion::kSuccess);
  EXPECT_TRUE(run->Done());
  EXPECT_EQ(run.Decisions(), "");
  EXPECT_EQ(run.Conclusions(), "a=success, d=success, b=success, c=success");
  EXPECT_TRUE(run->Report().success());
}

TEST(RunStateTest, JobIfSeesTheAncestorsStatusThroughFailureAndAlways) {
  Driver run(R"(  a: {runs-on: x, steps: [{run: echo}]}
  b: {needs: a, runs-on: x, steps: [{run: echo}]}
  on-failure: {needs: a, if: failure(), runs-on: x, steps: [{run: echo}]}
  on-success: {needs: a, if: success(), runs-on: x, steps: [{run: echo}]}
  after-b: {needs: b, if: always(), runs-on: x, steps: [{run: echo}]}
  after-b-failure: {needs: b, if: failure(), runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(), "a");
  run.Finish("a", Conclusion::kFailure);
  // A failed grandparent counts for failure() even through a skipped parent.
  EXPECT_EQ(run.Decisions(), "b skipped, on-success skipped");
  EXPECT_EQ(run.Take(), "on-failure, after-b, after-b-failure");
  EXPECT_EQ(Text(run.Taken("after-b").job.needs, {"b", "result"}), "skipped");
  run.Finish("on-failure", Conclusion::kSuccess);
  run.Finish("after-b", Conclusion::kSuccess);
  run.Finish("after-b-failure", Conclusion::kSuccess);
  EXPECT_TRUE(run->Done());
  EXPECT_FALSE(run->Report().success());
}

TEST(RunStateTest, BadJobConditionFailsTheJobWithWhereAndWhy) {
  Driver run(R"(  a:
    if: fromJSON('{')
    runs-on: x
    steps: [{run: echo}]
)");
  std::vector<Decision> d = run->TakeDecisions();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].report.conclusion, Conclusion::kFailure);
  EXPECT_EQ(d[0].report.error.rfind("ci.yml:4:9: ", 0), 0u) << d[0].report.error;
  EXPECT_TRUE(run->Done());
}

TEST(RunStateTest, NeedsCarryResultsAndMergedMatrixOutputs) {
  Driver run(R"(  a:
    runs-on: x
    strategy: {matrix: {n: [0, 1, 2]}}
    outputs: {v: x}
    steps: [{run: echo}]
  b: {needs: a, runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(), "a (0), a (1), a (2)");
  // Later finishers win; an empty value does not overwrite.
  run.Finish("a (2)", Conclusion::kSuccess, {{"v", "two"}, {"w", "two"}});
  run.Finish("a (0)", Conclusion::kSuccess, {{"v", "zero"}});
  run.Finish("a (1)", Conclusion::kSuccess, {{"v", ""}, {"w", ""}});
  EXPECT_EQ(run.Take(), "b");
  const Value& needs = run.Taken("b").job.needs;
  EXPECT_EQ(Text(needs, {"a", "result"}), "success");
  EXPECT_EQ(Text(needs, {"a", "outputs", "v"}), "zero");
  EXPECT_EQ(Text(needs, {"a", "outputs", "w"}), "two");
}

TEST(RunStateTest, MatrixFromNeedsOutputsIsExpandedWhenTheNeedsFinish) {
  Driver run(R"(  setup: {runs-on: x, steps: [{run: echo}]}
  test:
    needs: setup
    runs-on: x
    strategy:
      matrix:
        os: ${{ fromJSON(needs.setup.outputs.list) }}
    steps: [{run: echo}]
  broken:
    needs: setup
    runs-on: x
    strategy:
      matrix: ${{ fromJSON(needs.setup.outputs.nothing) }}
    steps: [{run: echo}]
)");
  EXPECT_EQ(run.Take(), "setup");
  run.Finish("setup", Conclusion::kSuccess, {{"list", R"(["linux", "mac"])"}});
  std::vector<Decision> d = run->TakeDecisions();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].report.key.job_id, "broken");
  EXPECT_EQ(d[0].report.conclusion, Conclusion::kFailure);
  EXPECT_FALSE(d[0].report.error.empty());
  EXPECT_EQ(run.Take(), "test (linux), test (mac)");
  EXPECT_EQ(Text(run.Taken("test (mac)").job.matrix, {"os"}), "mac");
  EXPECT_EQ(Text(run.Taken("test (mac)").job.strategy, {"job-index"}), "1");
  EXPECT_EQ(run.Taken("test (mac)").job.instance, 1);
}

TEST(RunStateTest, MaxParallelBoundsTheRunningInstancesOfAMatrix) {
  Driver run(R"(  m:
    runs-on: x
    strategy: {max-parallel: 2, matrix: {n: [1, 2, 3, 4]}}
    steps: [{run: echo}]
  other: {runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(), "m (1), m (2), other");
  EXPECT_EQ(run->queued(), 2u);
  run.Finish("m (2)", Conclusion::kSuccess);
  EXPECT_EQ(run.Take(), "m (3)");
  EXPECT_EQ(run.Take(), "");
  run.Finish("m (1)", Conclusion::kSuccess);
  EXPECT_EQ(run.Take(), "m (4)");
}

TEST(RunStateTest, FailFastCancelsTheRunningAndQueuedInstancesOfTheMatrix) {
  Driver run(R"(  m:
    runs-on: x
    strategy: {max-parallel: 2, matrix: {n: [1, 2, 3]}}
    steps: [{run: echo}]
  next: {needs: m, if: always(), runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(), "m (1), m (2)");
  run.Finish("m (1)", Conclusion::kFailure);
  EXPECT_EQ(run.Decisions(), "cancel m (2), m (3) cancelled");
  EXPECT_EQ(run.Take(), "");
  run.Finish("m (2)", Conclusion::kCancelled);
  EXPECT_EQ(run.Decisions(), "");
  EXPECT_EQ(run.Take(), "next");
  EXPECT_EQ(Text(run.Taken("next").job.needs, {"m", "result"}), "failure");
  EXPECT_EQ(run.Conclusions(), "m (1)=failure, m (2)=cancelled, m (3)=cancelled");
}

TEST(RunStateTest, WithoutFailFastTheOtherInstancesGoOn) {
  Driver run(R"(  m:
    runs-on: x
    strategy: {fail-fast: false, matrix: {n: [1, 2]}}
    steps: [{run: echo}]
)");
  EXPECT_EQ(run.Take(), "m (1), m (2)");
  run.Finish("m (1)", Conclusion::kFailure);
  EXPECT_EQ(run.Decisions(), "");
  run.Finish("m (2)", Conclusion::kSuccess);
  EXPECT_TRUE(run->Done());
}

TEST(RunStateTest, ContinueOnErrorCountsAsSuccessForNeedsAndTheRun) {
  Driver run(R"(  m:
    runs-on: x
    strategy: {matrix: {n: [1, 2]}}
    steps: [{run: echo}]
  b: {needs: m, runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(), "m (1), m (2)");
  run.Finish("m (1)", Conclusion::kFailure, {}, /*continued=*/true);
  EXPECT_EQ(run.Decisions(), "");  // no fail-fast
  run.Finish("m (2)", Conclusion::kSuccess);
  EXPECT_EQ(run.Take(), "b");
  EXPECT_EQ(Text(run.Taken("b").job.needs, {"m", "result"}), "success");
  run.Finish("b", Conclusion::kSuccess);
  EXPECT_TRUE(run->Report().success());
}

TEST(RunStateTest, CancelledRunCancelsAllButJobsWhoseIfStillHolds) {
  Driver run(R"(  long: {runs-on: x, steps: [{run: echo}]}
  queued:
    runs-on: x
    strategy: {max-parallel: 1, matrix: {n: [1, 2]}}
    steps: [{run: echo}]
  cleanup:
    if: always()
    runs-on: x
    strategy: {max-parallel: 1, matrix: {n: [1, 2]}}
    steps: [{run: echo}]
  next: {needs: long, runs-on: x, steps: [{run: echo}]}
  final: {needs: long, if: always(), runs-on: x, steps: [{run: echo}]}
)");
  EXPECT_EQ(run.Take(), "long, queued (1), cleanup (1)");
  run->CancelRun();
  EXPECT_EQ(run.Decisions(),
            "cancel long, cancel queued (1), queued (2) cancelled, cancel cleanup (1)");
  run->CancelRun();
  EXPECT_EQ(run.Decisions(), "");
  run.Finish("long", Conclusion::kCancelled);
  EXPECT_EQ(run.Decisions(), "next cancelled");
  run.Finish("queued (1)", Conclusion::kCancelled);
  run.Finish("cleanup (1)", Conclusion::kCancelled);
  EXPECT_EQ(run.Take(), "cleanup (2), final");
  EXPECT_EQ(Text(run.Taken("final").job.needs, {"long", "result"}), "cancelled");
  run.Finish("cleanup (2)", Conclusion::kSuccess);
  run.Finish("final", Conclusion::kSuccess);
  EXPECT_TRUE(run->Done());
  RunReport report = run->Report();
  EXPECT_TRUE(report.cancelled);
  EXPECT_FALSE(report.success());
}

TEST(RunStateTest, InstancesWhoseRunsOnThisMachineLacksAreSkippedWithTheReason) {
  HostLabels host;
  Driver run(R"(  build:
    runs-on: ${{ matrix.os }}
    strategy: {matrix: {os: [ubuntu-latest, windows-latest]}}
    steps: [{run: echo}]
  mac: {runs-on: macos-latest, steps: [{run: echo}]}
)",
             &host);
  std::vector<Decision> d = run->TakeDecisions();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].report.key.display_name, "build (windows-latest)");
  EXPECT_EQ(d[0].report.conclusion, Conclusion::kSkipped);
  EXPECT_FALSE(d[0].report.not_here.empty());
  EXPECT_EQ(d[1].report.key.display_name, "mac");
  EXPECT_EQ(run.Take(), "build (ubuntu-latest)");
}

TEST(RunStateTest, FinishOfAnInstanceThatIsNotRunningIsRefused) {
  Driver run("  a: {runs-on: x, steps: [{run: echo}]}\n");
  EXPECT_FALSE(run->Finish(InstanceId{0, 0}, JobReport{}).ok());  // not taken yet
  EXPECT_FALSE(run->Finish(InstanceId{3, 0}, JobReport{}).ok());
  EXPECT_EQ(run.Take(), "a");
  EXPECT_TRUE(run->IsRunning(InstanceId{0, 0}));
  run.Finish("a", Conclusion::kSuccess);
  EXPECT_FALSE(run->IsRunning(InstanceId{0, 0}));
  EXPECT_FALSE(run->Finish(InstanceId{0, 0}, JobReport{}).ok());  // twice
  EXPECT_TRUE(run->Done());
  EXPECT_EQ(run->JobIndex("a"), 0);
  EXPECT_EQ(run->JobIndex("zz"), -1);
}

// Everything a driver observes, as text: what is handed out and what is decided.
std::string Observe(RunState& state, std::vector<Runnable>& running) {
  std::string out;
  for (Runnable& r : state.TakeRunnable(-1)) {
    out += "run " + r.job.display_name + " " + r.job.matrix.ToJsonText() + " " +
           r.job.strategy.ToJsonText() + " " + r.job.needs.ToJsonText() + "\n";
    running.push_back(std::move(r));
  }
  for (const Decision& d : state.TakeDecisions()) {
    out += (d.kind == Decision::Kind::kCancel ? "cancel " : "finished ") +
           std::to_string(d.id.job) + "/" + std::to_string(d.id.instance) + " " +
           ConclusionName(d.report.conclusion) + " " + d.report.error + "\n";
  }
  return out;
}

// One entry of a run's stored history: a completion, or (without id) the run's cancellation.
struct Event {
  std::optional<InstanceId> id;
  JobReport report;
};

// Drives a run to its end, picking which running instance finishes next by a fixed rule (the
// `fail_at`-th completion fails, the run is cancelled before the `cancel_at`-th); returns
// what the driver observed and stores the history.
std::string Live(Driver& live, size_t fail_at, size_t cancel_at, std::vector<Event>* history) {
  std::vector<Runnable> running;
  std::string log = Observe(live.state(), running);
  for (size_t step = 0; !running.empty(); ++step) {
    if (step == cancel_at) {
      live->CancelRun();
      history->push_back(Event{});
      log += "-- cancel\n" + Observe(live.state(), running);
    }
    size_t pick = (step * 7) % running.size();
    Runnable r = running[pick];
    running.erase(running.begin() + static_cast<long>(pick));
    JobReport report;
    report.key = JobKey{r.job.job_id, r.job.instance, r.job.display_name};
    report.conclusion = step == fail_at ? Conclusion::kFailure : Conclusion::kSuccess;
    if (r.job.job_id == "setup") report.outputs["list"] = "[1, 2, 3, 4]";
    EXPECT_TRUE(live->Finish(r.id, report).ok());
    history->push_back(Event{r.id, report});
    log += "-- " + std::to_string(step) + "\n" + Observe(live.state(), running);
  }
  EXPECT_TRUE(live->Done());
  return log;
}

// Rebuilds a run from its history as the server does after a restart.
std::string Replay(Driver& replay, const std::vector<Event>& history) {
  std::vector<Runnable> running;
  std::string log = Observe(replay.state(), running);
  size_t step = 0;
  for (const Event& e : history) {
    if (!e.id) {
      replay->CancelRun();
      log += "-- cancel\n" + Observe(replay.state(), running);
      continue;
    }
    EXPECT_TRUE(replay->Finish(*e.id, e.report).ok());
    log += "-- " + std::to_string(step++) + "\n" + Observe(replay.state(), running);
  }
  return log;
}

const char* const kReplayJobs = R"(  setup: {runs-on: x, steps: [{run: echo}]}
  test:
    needs: setup
    runs-on: x
    strategy:
      max-parallel: 2
      matrix: {n: '${{ fromJSON(needs.setup.outputs.list) }}'}
    steps: [{run: echo}]
  lint: {runs-on: x, steps: [{run: echo}]}
  report: {needs: [test, lint], if: always(), runs-on: x, steps: [{run: echo}]}
  deploy: {needs: test, runs-on: x, steps: [{run: echo}]}
)";

TEST(RunStateTest, ReplayingTheSameCompletionsGivesTheSameInstancesAndDecisions) {
  Driver live(kReplayJobs);
  std::vector<Event> history;
  std::string live_log = Live(live, /*fail_at=*/2, /*cancel_at=*/100, &history);
  EXPECT_NE(live_log.find("cancel "), std::string::npos) << live_log;  // fail-fast happened
  Driver replay(kReplayJobs);
  EXPECT_EQ(Replay(replay, history), live_log);
  EXPECT_EQ(replay.Conclusions(), live.Conclusions());
}

TEST(RunStateTest, ReplayingACancelledRunGivesTheSameInstancesAndDecisions) {
  Driver live(kReplayJobs);
  std::vector<Event> history;
  std::string live_log = Live(live, /*fail_at=*/100, /*cancel_at=*/2, &history);
  EXPECT_NE(live_log.find("-- cancel\ncancel "), std::string::npos) << live_log;
  EXPECT_NE(live_log.find("cancelled The run was cancelled."), std::string::npos) << live_log;
  EXPECT_NE(live_log.find("run report"), std::string::npos) << live_log;  // its if: is always()
  Driver replay(kReplayJobs);
  EXPECT_EQ(Replay(replay, history), live_log);
  EXPECT_EQ(replay.Conclusions(), live.Conclusions());
  EXPECT_TRUE(replay->Report().cancelled);
}

TEST(RunReportTest, ConclusionIsCancelledWhenAJobWasAndNoneFailed) {
  RunReport r;
  r.jobs.resize(2);
  r.jobs[0].conclusion = Conclusion::kSuccess;
  r.jobs[1].conclusion = Conclusion::kCancelled;
  EXPECT_EQ(r.conclusion(), Conclusion::kCancelled);
  EXPECT_FALSE(r.success());
  r.jobs[0].conclusion = Conclusion::kFailure;
  EXPECT_EQ(r.conclusion(), Conclusion::kFailure);
  r.jobs[0].continued_on_error = true;
  EXPECT_EQ(r.conclusion(), Conclusion::kCancelled);
  r.jobs[1].conclusion = Conclusion::kSkipped;
  EXPECT_EQ(r.conclusion(), Conclusion::kSuccess);
  EXPECT_TRUE(r.success());
  r.cancelled = true;
  EXPECT_EQ(r.conclusion(), Conclusion::kCancelled);
}

}  // namespace
}  // namespace gantry::engine
