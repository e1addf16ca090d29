#pragma once

// Executors as users and admins see them (/api/v1/executors...): registration tokens, the
// list with each executor's state and current jobs, disable/enable/remove; and the one
// protocol call made before an executor has a token of its own, `POST /api/v1/executor/register`.

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddExecutorRoutes(Router& router, ApiContext& ctx);

/// An executor seen within this many ms is "online" (a lease long-poll is renewed every 30 s).
inline constexpr int64_t kExecutorOnlineMs = 75000;

}  // namespace gantry::server
