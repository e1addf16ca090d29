#pragma once

// Sign-up, log-in, log-out, the current user and personal access tokens (/api/v1/auth/*,
// /api/v1/user*).

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddAuthRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
