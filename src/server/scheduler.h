#pragma once

// The server's front end of the one run state machine (engine::RunState, which `gantry exec`
// drives in memory): every decision it makes — a job instance to queue, one that ends without
// running, the run's conclusion — is committed to the store before anyone hears of it, and
// executors take queued jobs through leases. After a restart each active run's state is
// rebuilt by replaying its stored completions in order; jobs that were running are failed
// ("the server stopped while the job ran") and the run goes on.

#include <algorithm>
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
#include "server/api.h"
#include "workflow/model.h"

namespace gantry::server {

struct SchedulerOptions {
  /// A lease not renewed within this time expires and its job fails.
  int lease_seconds = 60;
  /// A new lease must be acknowledged (its first heartbeat) within this time; one that is not
  /// (the executor went away while its long-poll was being answered) puts the job back in the
  /// queue instead of failing it.
  int lease_ack_seconds = 15;
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

  /// Waits up to `wait` for a queued job and leases it to `executor`.
  core::Result<std::optional<LeasedJob>> Lease(const store::Executor& executor,
                                               std::chrono::milliseconds wait);
  /// Renews a lease; true when the job must be cancelled. NotFound when the lease is lost.
  core::Result<bool> Heartbeat(store::Id job_id, const std::string& lease_id);
  /// Completes a leased job with what its executor reported (idempotent: a second call for a
  /// completed job is OK and changes nothing).
  core::Status Complete(store::Id job_id, const std::string& lease_id, const store::Job& result);

  int lease_seconds() const { return options_.lease_seconds; }
  /// Runs being driven right now (for /metrics).
  size_t active_runs() const;
  /// Prometheus lines: jobs completed by conclusion, leases handed out.
  std::string MetricsText() const;

 private:
  struct ActiveRun;

  core::Status Build(const store::Run& run, std::shared_ptr<const workflow::Workflow> workflow,
                     std::unique_ptr<ActiveRun>* out);
  /// Commits every pending decision of `r`'s state; REQUIRES r.mu.
  core::Status Advance(ActiveRun& r);
  core::Status FinishRow(ActiveRun& r, const store::Job& row);
  core::Result<std::shared_ptr<const workflow::Workflow>> LoadWorkflow(const store::Project& p,
                                                                       const store::Run& run);
  std::shared_ptr<ActiveRun> Find(store::Id run_id);
  core::Status Recover(const store::Run& run);
  core::Status CompleteRow(store::Job row, const std::string& conclusion, const std::string& error);
  void ExpireLoop();
  /// How long a new lease lasts until its first heartbeat (the lease's end then tells an
  /// acknowledged lease from one that never was).
  int64_t AckWindowMs() const {
    return int64_t{std::min(options_.lease_ack_seconds, options_.lease_seconds)} * 1000;
  }
  nlohmann::json Spec(ActiveRun& r, const store::Job& job);

  ApiContext& ctx_;
  SchedulerOptions options_;
  mutable std::mutex mu_;
  std::map<store::Id, std::shared_ptr<ActiveRun>> runs_;  // guarded by mu_
  std::set<store::Id> cancel_jobs_;                       // guarded by mu_ (fail-fast)
  std::map<std::string, int64_t> completed_;              // guarded by mu_: by conclusion
  int64_t leases_ = 0;                                    // guarded by mu_
  bool trim_pending_ = false;  // a run ended since the last malloc_trim; guarded by mu_
  backend::CancelToken stop_;  // Stop() also wakes the once-a-second expiry check
  std::thread expire_thread_;
};

}  // namespace gantry::server
