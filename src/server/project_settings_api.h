#pragma once

// A project's settings after its creation: PATCH /api/v1/projects/{owner}/{name} (repository,
// default branch, poll interval) and POST …/webhook-secret (a new webhook secret). Both need
// the maintainer role and leave an audit event.

#include "server/api.h"

namespace gantry::server {

/// Adds the two routes; `ctx` must outlive the router.
void AddProjectSettingsRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
