#pragma once

// What a run's state changes enqueue in the deliveries outbox: commit statuses (per job and
// per workflow) and a pull-request comment for projects with forge settings, and the
// notifications (e-mail, webhooks, Slack) of the project's and its members' settings once a
// run completed. Only rows are inserted here; the DeliveryWorker sends them.

#include <string>

#include "server/api.h"
#include "server/notify.h"
#include "server/scheduler.h"

namespace gantry::server {

/// The scheduler's observer that enqueues deliveries. Thread-safe; failures to enqueue are
/// logged and never reach the run.
class DeliveryEnqueuer final : public SchedulerObserver {
 public:
  explicit DeliveryEnqueuer(ApiContext& ctx) : ctx_(ctx) {}

  void OnRunStarted(const store::Run& run) override;
  void OnJobQueued(const store::Run& run, const store::Job& job) override;
  void OnJobCompleted(const store::Run& run, const store::Job& job) override;
  void OnRunCompleted(const store::Run& run) override;

  /// Enqueues `body` as the pull request's comment (posted once, then updated in place).
  /// NotFound when the project has no forge settings with comments on.
  core::Status EnqueuePrComment(const store::Project& project, int64_t pr_number,
                                const std::string& body);

 private:
  void Status(const store::Run& run, const std::string& job_name, const std::string& conclusion);
  void Notify(const store::Run& run, const notify::RunSummary& summary);
  void Enqueue(store::OutboundDelivery d);

  ApiContext& ctx_;
};

/// The run's page on this server.
std::string RunUrl(const ApiContext& ctx, const store::Project& project, const store::Run& run);

}  // namespace gantry::server
