#pragma once

// What starts runs: webhook deliveries (GitHub, Gitea and Forgejo `push` and `pull_request`,
// HMAC-checked, replay-safe), manual dispatch, and the Triggerer thread that polls remotes of
// projects without webhooks and fires `schedule:` crons.

#include <map>
#include <thread>

#include "backend/backend.h"
#include "server/api.h"

namespace gantry::server {

/// Adds POST /api/v1/hooks/{owner}/{name} and the dispatch route.
void AddHookRoutes(Router& router, ApiContext& ctx);

/// The dispatch route's handler (path parameters owner, name, file; body {"ref","inputs"}):
/// starts a workflow_dispatch run; 201 {"runs":[ids]} or a JSON error. The /api/v3 dispatch
/// calls it too.
Response DispatchWorkflow(ApiContext& ctx, Request& request, const Principal& who);

/// Polls remotes (projects with poll_interval > 0) and fires schedules, once a second.
class Triggerer {
 public:
  explicit Triggerer(ApiContext& ctx);
  ~Triggerer();
  void Start();
  void Stop();
  /// One pass (tests call it directly): polls due projects; fires crons of minute `now_ms`.
  void Tick(int64_t now_ms);

 private:
  void Poll(const store::Project& project);
  void Schedules(const store::Project& project, int64_t minute_ms);

  ApiContext& ctx_;
  backend::CancelToken stop_;  // Stop() also wakes the once-a-second tick
  std::thread thread_;
  int64_t last_minute_ = 0;
  std::map<store::Id, int64_t> next_poll_;
};

}  // namespace gantry::server
