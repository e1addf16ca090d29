#pragma once

// The state machine of one run, apart from how its jobs execute (ninja's Plan apart from its
// Builder): plan + finished job instances → runnable job instances, job `if:` with the status
// of the ancestors, `needs` contexts with outputs, matrices that wait for needs, max-parallel,
// fail-fast, continue-on-error, cancellation and conclusions. `gantry exec` drives it in
// memory (runner.cc), `gantry server` drives it with each transition committed to its store.
//
// Contract: RunState has no threads, clock, randomness or I/O. Its answers depend only on
// the plan, the RunSetup and the sequence of calls made on it, so replaying a run's stored
// history (Begin, TakeRunnable(-1), Finish(c1), TakeRunnable(-1), Finish(c2), ..., with
// CancelRun where the run was cancelled) rebuilds the same instances and the same decisions
// (a replaying driver ignores the decisions it had already acted on).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/plan.h"
#include "engine/run_one.h"
#include "engine/run_setup.h"
#include "engine/runner.h"
#include "expr/expression.h"
#include "expr/value.h"

namespace gantry::engine {

/// A job instance of a run: the job's index in Plan::jobs and its matrix combination.
struct InstanceId {
  int job = 0;
  int instance = 0;
  friend bool operator==(const InstanceId&, const InstanceId&) = default;
  friend bool operator<(const InstanceId& a, const InstanceId& b) {
    return a.job != b.job ? a.job < b.job : a.instance < b.instance;
  }
};

/// An instance to start now with everything its runner needs (what RunOneJob takes).
struct Runnable {
  InstanceId id;
  OneJob job;
  std::vector<std::string> runs_on;  // its evaluated runs-on labels (InstanceLaunch::runs_on)
  std::optional<EnvironmentRef> deployment;  // InstanceLaunch::deployment
};

/// Something the driver of a RunState must act on, in the order the state machine decided it.
struct Decision {
  enum class Kind {
    /// A running instance must stop (fail-fast or run cancelled): fire its cancel token. It
    /// still ends with RunState::Finish once it stopped.
    kCancel,
    /// An instance finished without running (skipped by its if:, cancelled before it started,
    /// a bad if: or matrix, a runs-on this machine lacks): report `report`.
    kFinished,
  };
  Kind kind = Kind::kFinished;
  InstanceId id;
  JobReport report;  // kFinished only: the instance's final report (masked)
};

/// The run state machine. Not thread-safe: one driver thread calls it. Holds references to
/// the plan and the setup, which must outlive it.
class RunState {
 public:
  explicit RunState(const Plan& plan, const RunSetup& setup);

  /// Starts the run: resolves the jobs without needs (if:, matrix). Call once, first.
  void Begin();

  /// The instances to start now, in plan order (matrix order within a job), at most
  /// `free_slots` of them (< 0: no limit) and at most strategy.max-parallel running per job.
  /// They count as running until Finish.
  std::vector<Runnable> TakeRunnable(int free_slots);

  /// An instance that TakeRunnable handed out finished with `report` (its outputs,
  /// conclusion, continue-on-error). May decide fail-fast cancellations and resolve dependent
  /// jobs. InvalidArgument when `id` is not a running instance (nothing changes).
  [[nodiscard]] core::Status Finish(InstanceId id, JobReport report);

  /// The run was cancelled: running instances are to be cancelled; queued instances are
  /// cancelled unless their job's if: still holds (e.g. always()); jobs resolved later see
  /// cancelled(). A second call does nothing.
  void CancelRun();

  /// The decisions made since the last call, oldest first.
  std::vector<Decision> TakeDecisions();

  /// True once every job concluded (nothing runs, nothing will).
  bool Done() const { return done_jobs_ == jobs_.size(); }
  /// Whether CancelRun was called.
  bool cancelled() const { return cancelled_; }
  /// Instances handed out by TakeRunnable and not finished yet.
  int running() const { return running_; }
  /// Whether `id` was handed out by TakeRunnable and has not finished.
  bool IsRunning(InstanceId id) const;
  /// Instances that may start now, were there free slots (max-parallel still applies).
  size_t queued() const { return ready_.size(); }

  /// The instances finished so far, jobs in plan order, instances in matrix order: the run's
  /// outcome once Done().
  RunReport Report() const;

  /// The plan index of job `id`, or -1.
  int JobIndex(std::string_view id) const;

 private:
  struct Instance {
    JobKey key;
    expr::Value matrix, strategy;
    enum class State { kPending, kRunning, kDone } state = State::kPending;
    bool cancel_decided = false;  // a kCancel decision was made for it
    JobReport report;             // once kDone
  };
  struct JobState {
    const PlannedJob* planned = nullptr;
    std::vector<int> needs;       // plan indices of the needs that are in the plan
    std::vector<int> dependents;  // plan indices
    int unfinished_needs = 0;
    bool resolved = false, done = false;
    JobLaunch launch;  // contexts and strategy, once resolved
    std::vector<Instance> instances;
    int running = 0, finished = 0;
    Conclusion result = Conclusion::kSuccess;  // needs.<id>.result once done
    std::map<std::string, std::string> outputs;
  };

  void Resolve(int job);
  expr::EvalContext::JobStatus AncestorStatus(int job) const;
  void CancelInstances(int job, const std::string& why);
  void FinishWithoutRunning(int job, Conclusion conclusion, const std::string& error);
  void JobDone(int job);
  void FinishIfStalled();

  const Plan& plan_;
  const RunSetup& setup_;
  std::vector<JobState> jobs_;
  std::set<std::pair<int, int>> ready_;  // (plan index, instance): plan order first
  std::vector<Decision> decisions_;
  size_t done_jobs_ = 0;
  int running_ = 0;
  bool begun_ = false;
  bool cancelled_ = false;
};

}  // namespace gantry::engine
