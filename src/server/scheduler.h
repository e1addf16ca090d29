#pragma once

// The server's front end of the one run state machine (engine::RunState, which `gantry exec`
// drives in memory): every decision it makes — a job instance to queue, one that ends without
// running, the run's conclusion — is committed to the store before anyone hears of it, and
// executors take queued jobs through leases.
//
// Several replicas may share one database (docs/scale-out.md). Each active run is driven by
// one of them, its owner, which renews its claim every few seconds; any replica leases jobs
// (a queued job's row carries its spec), takes heartbeats and completions and commits them,
// and the owner applies completions and cancels committed elsewhere within a second (at once
// when the notifier reaches across replicas). A run whose owner stopped renewing is taken
// over: its state is rebuilt by replaying its stored completions in order, as after a
// restart. Jobs that were running on the restarted replica's own embedded executor are
// failed ("the server stopped while the job ran"); those on other executors go on.

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "engine/run_setup.h"
#include "server/api.h"
#include "workflow/model.h"

namespace gantry::engine {
struct Runnable;
}  // namespace gantry::engine

namespace gantry::server {

struct SchedulerOptions {
  /// A lease not renewed within this time expires and its job fails.
  int lease_seconds = 60;
  /// A new lease must be acknowledged (its first heartbeat) within this time; one that is not
  /// (the executor went away while its long-poll was being answered) puts the job back in the
  /// queue instead of failing it.
  int lease_ack_seconds = 15;
  /// This replica's name among those sharing the database; stable across its restarts.
  std::string replica_id = "local";
  /// A run's owner renews its claim this often (a third of it); a claim not renewed for this
  /// long passes to another replica.
  int owner_seconds = 15;
  /// Jobs whose runs-on names one of these labels are queued again, up to `max_requeues`
  /// times, when their executor is lost (spot or preemptible machines); others fail.
  std::vector<std::string> requeue_labels;
  int max_requeues = 2;
  /// A job waiting for an environment's reviewers longer than this is rejected (0 = never).
  int64_t approval_timeout_seconds = int64_t{30} * 86400;
};

/// Hears of a run's state changes once they are committed (outbound deliveries: commit
/// statuses, notifications). Called by the replica driving the run, with the run's lock held:
/// an implementation must return quickly and never block on the network (it enqueues).
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  /// A run was planned and its first jobs queued.
  virtual void OnRunStarted(const store::Run& run) { (void)run; }
  /// A job instance was queued for an executor.
  virtual void OnJobQueued(const store::Run& run, const store::Job& job) {
    (void)run;
    (void)job;
  }
  /// A queued job instance was leased to an executor (status in_progress). Called by the
  /// replica that leased it, which may not drive the run, without the run's lock.
  virtual void OnJobStarted(const store::Job& job) { (void)job; }
  /// A job instance that ran completed (`job.conclusion` set).
  virtual void OnJobCompleted(const store::Run& run, const store::Job& job) {
    (void)run;
    (void)job;
  }
  /// The run completed (`run.conclusion` set).
  virtual void OnRunCompleted(const store::Run& run) { (void)run; }
};

/// A job handed to an executor.
struct LeasedJob {
  store::Job job;
  nlohmann::json spec;  // docs/executor-protocol.md SPEC
};

/// Thread-safe.
class Scheduler {
 public:
  Scheduler(ApiContext& ctx, SchedulerOptions options);
  ~Scheduler();

  /// Rebuilds active runs from the store and starts the lease-expiry thread.
  core::Status Start();
  /// Stops the background thread (idempotent).
  void Stop();

  /// Plans a run just created (status queued) and queues its first jobs.
  core::Status Launch(const store::Run& run, std::shared_ptr<const workflow::Workflow> workflow);
  /// Cancels a run: queued jobs end cancelled, running ones are told through heartbeats.
  core::Status Cancel(store::Id run_id);
  /// Starts a new attempt of a completed run: every job, or only the failed and cancelled ones
  /// and what needs them (successful jobs keep their results).
  core::Result<store::Run> Rerun(store::Id run_id, bool failed_only);
  /// Starts a new attempt of the completed run of the job row `job_row_id` that runs that job
  /// instance again and every job needing it (transitively); the other jobs keep their results.
  /// NotFound for an unknown job; InvalidArgument while the run is in progress.
  core::Result<store::Run> RerunJob(store::Id job_row_id);

  /// Waits up to `wait` for a queued job and leases it to `executor`.
  core::Result<std::optional<LeasedJob>> Lease(const store::Executor& executor,
                                               std::chrono::milliseconds wait);
  /// Renews a lease; true when the job must be cancelled. NotFound when the lease is lost.
  core::Result<bool> Heartbeat(store::Id job_id, const std::string& lease_id);
  /// Completes a leased job with what its executor reported (idempotent: a second call for a
  /// completed job is OK and changes nothing).
  core::Status Complete(store::Id job_id, const std::string& lease_id, const store::Job& result);

  // ---- Environments (scheduler_environments.cc) ----
  /// Decides the jobs of `run_id` waiting for reviewers of `environment`: approved ones wait
  /// out the environment's wait timer, then are queued; rejected ones fail with "rejected by
  /// `who`: `comment`". The number of jobs decided (0: none was waiting for it). The caller
  /// checks that `who` may decide.
  core::Result<int> DecideEnvironment(store::Id run_id, const std::string& environment,
                                      bool approve, const std::string& who,
                                      const std::string& comment);
  // ---- end of environments ----

  /// Sets the observer of state changes (null: none); call before Start. Not owned; it must
  /// outlive the scheduler.
  void SetObserver(SchedulerObserver* observer) { observer_ = observer; }

  int lease_seconds() const { return options_.lease_seconds; }
  /// Lease ids of this replica's embedded executor start with this (so a restart can tell its
  /// own dead jobs from those of other executors).
  std::string EmbeddedLeasePrefix() const;
  /// Runs being driven right now (for /metrics).
  size_t active_runs() const;
  /// Prometheus lines: jobs completed by conclusion, leases handed out.
  std::string MetricsText() const;

 private:
  struct ActiveRun;
  /// What the environment of a job about to be queued asks for (scheduler_environments.cc).
  struct EnvironmentGate {
    bool wait = false;    // reviewers or a wait timer: the job waits
    bool review = false;  // reviewers must decide first
    int64_t not_before = 0;
    std::string error;  // the ref may not deploy there: the job fails with this
  };
  /// The gate of environment `name` (created on first use) for a job of `run`.
  core::Result<EnvironmentGate> PrepareEnvironment(const store::Run& run, const std::string& name);
  /// Records the environment of a job row just stored; the run waits when the row does.
  core::Status RecordEnvironment(const store::Job& row, const std::string& name,
                                 const std::string& url, const EnvironmentGate& gate);
  /// Once a second: queues jobs whose wait timer ended, rejects reviews that timed out.
  void CheckEnvironmentGates();
  core::Status ReleaseWaiting(const store::JobEnvironment& je);
  core::Status RejectWaiting(const store::JobEnvironment& je, const std::string& error);
  /// Adds the environment's secrets and variables of a leased job's spec to it.
  core::Status AddEnvironmentSecrets(store::Id project_id, nlohmann::json& spec);

  /// Rerun and RerunJob: a new attempt in which the previous attempt's jobs for which
  /// `carry` is true keep their results instead of running again.
  core::Result<store::Run> RerunCarrying(store::Id run_id,
                                         const std::function<bool(const store::Job&)>& carry);
  core::Status Build(const store::Run& run, std::shared_ptr<const workflow::Workflow> workflow,
                     std::unique_ptr<ActiveRun>* out);
  /// Commits every pending decision of `r`'s state; REQUIRES r.mu.
  core::Status Advance(ActiveRun& r);
  /// Cancels a run; `why` ("" = a user's cancel) becomes a pending run's error.
  core::Status CancelWith(store::Id run_id, const std::string& why);
  /// Puts a just-launched run in its `concurrency:` group (pending), cancels what the group's
  /// rule says, and starts it when the group is free; REQUIRES r.mu.
  core::Status EnterGroup(ActiveRun& r);
  /// Starts a pending run when the store admits it (its group is free); REQUIRES r.mu.
  core::Status TryAdmit(ActiveRun& r);
  /// Ends a pending run cancelled (it never queued a job); REQUIRES r.mu.
  core::Status EndPending(ActiveRun& r);
  /// The job-level `concurrency:` group of a runnable instance ("" = none) and its
  /// cancel-in-progress.
  std::string JobGroup(ActiveRun& r, const engine::Runnable& one, bool* cancel_in_progress);
  /// A job just queued in its group: older waiting jobs of the group end cancelled, and with
  /// `cancel_in_progress` running ones are told to stop; their runs' owners apply it.
  void EnterJobGroup(ActiveRun& r, const store::Job& job, bool cancel_in_progress);
  core::Status FinishRow(ActiveRun& r, const store::Job& row);
  core::Result<std::shared_ptr<const workflow::Workflow>> LoadWorkflow(const store::Project& p,
                                                                       const store::Run& run);
  std::shared_ptr<ActiveRun> Find(store::Id run_id);
  core::Status Recover(const store::Run& run, bool restarted);
  /// Applies what other replicas committed for runs this one drives; takes over orphans.
  void Sync();
  void ExpireLeases();
  /// The spec handed to an executor for a leased job: its stored spec, the secrets it names,
  /// where to fetch the code.
  core::Result<nlohmann::json> LeaseSpec(const store::Job& job);
  core::Status CompleteRow(store::Job row, const std::string& conclusion, const std::string& error);
  /// A job row just completed: applied to its run's state here when this replica drives the
  /// run, else its owner is woken.
  core::Status Apply(const store::Job& done);
  void ExpireLoop();
  /// How long a new lease lasts until its first heartbeat (the lease's end then tells an
  /// acknowledged lease from one that never was).
  int64_t AckWindowMs() const {
    return int64_t{std::min(options_.lease_ack_seconds, options_.lease_seconds)} * 1000;
  }
  /// A queued job's spec, stored in its row (secrets only by name).
  nlohmann::json Spec(ActiveRun& r, const store::Job& job,
                      const std::optional<engine::EnvironmentRef>& environment);
  int64_t OwnerExpiry() const { return ctx_.now_ms() + int64_t{options_.owner_seconds} * 1000; }

  ApiContext& ctx_;
  SchedulerOptions options_;
  mutable std::mutex mu_;
  std::map<store::Id, std::shared_ptr<ActiveRun>> runs_;  // guarded by mu_
  std::map<std::string, int64_t> completed_;              // guarded by mu_: by conclusion
  int64_t leases_ = 0;                                    // guarded by mu_
  bool trim_pending_ = false;              // a run ended since the last malloc_trim; guarded by mu_
  SchedulerObserver* observer_ = nullptr;  // set before Start
  backend::CancelToken stop_;              // Stop() also wakes the once-a-second expiry check
  std::thread expire_thread_;
};

}  // namespace gantry::server
