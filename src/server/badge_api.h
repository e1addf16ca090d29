#pragma once

// GET /api/v1/projects/{owner}/{name}/badge.svg[?workflow=ci.yml][&branch=main]: the status
// badge of the latest run (running or completed) of a workflow, or of any workflow, on a branch
// (the default branch unless given).

#include "server/api.h"

namespace gantry::server {

/// Adds the route; `ctx` must outlive the router.
void AddBadgeRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
