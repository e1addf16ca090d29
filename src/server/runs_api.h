#pragma once

// Runs, jobs, logs (plain and followed over server-sent events), run events, artifacts,
// patterns, and the operational endpoints /health, /ready, /metrics.

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddRunRoutes(Router& router, ApiContext& ctx);

/// JSON shapes of runs and jobs (GitHub's words for status and conclusion).
nlohmann::json RunJson(const ApiContext& ctx, const store::Run& run, const store::Project& p);
nlohmann::json JobJson(const store::Job& job, const std::vector<store::Step>& steps);

}  // namespace gantry::server
