#pragma once

// Environments and approvals (/api/v1; docs/server.md, "Environments and approvals"): a
// project's environments with their protection rules (GET …/environments[/{env}], PUT/DELETE
// …/environments/{env}; maintainer, audited), their secrets (names only when read) and
// variables (…/environments/{env}/secrets|variables[/{key}]), and the reviewers' decisions on
// a run's waiting jobs (GET/POST /api/v1/runs/{id}/approvals).

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddEnvironmentRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
