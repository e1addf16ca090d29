#pragma once

// Deployments recorded per environment (docs/server.md, "Deployments"): a job instance whose
// `environment:` names an environment (evaluated by the scheduler when it queues the job and
// kept in the job's spec) records a deployment when queued, marks it in_progress when an
// executor leases the job, and gives it the job's conclusion when the job completes; a newer
// successful deployment makes the environment's older successful ones inactive.

#include <string>
#include <vector>

#include "server/api.h"
#include "server/scheduler.h"

namespace gantry::server {

/// The scheduler observer that records deployments. Thread-safe; store failures are logged
/// and never reach the run.
class DeploymentRecorder final : public SchedulerObserver {
 public:
  explicit DeploymentRecorder(ApiContext& ctx) : ctx_(ctx) {}

  void OnJobQueued(const store::Run& run, const store::Job& job) override;
  void OnJobStarted(const store::Job& job) override;
  void OnJobCompleted(const store::Run& run, const store::Job& job) override;

 private:
  ApiContext& ctx_;
};

/// Passes every event to each observer in order. The observers are not owned and must outlive
/// it.
class ObserverFanOut final : public SchedulerObserver {
 public:
  explicit ObserverFanOut(std::vector<SchedulerObserver*> observers)
      : observers_(std::move(observers)) {}

  void OnRunStarted(const store::Run& run) override;
  void OnJobQueued(const store::Run& run, const store::Job& job) override;
  void OnJobStarted(const store::Job& job) override;
  void OnJobCompleted(const store::Run& run, const store::Job& job) override;
  void OnRunCompleted(const store::Run& run) override;

 private:
  std::vector<SchedulerObserver*> observers_;
};

/// A deployment's status for a job conclusion: success, failure or cancelled (a skipped job
/// deployed nothing: cancelled).
std::string DeploymentStatusOf(const std::string& conclusion);

}  // namespace gantry::server
