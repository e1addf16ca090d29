#pragma once

// The executor protocol's server side (docs/executor-protocol.md): lease (long-poll),
// heartbeat, logs, steps, artifacts, caches, complete; executor-token authentication.

#include "server/api.h"

namespace gantry::server {

/// Adds the /api/v1/executor/* routes; `ctx` must outlive the router.
void AddProtocolRoutes(Router& router, ApiContext& ctx);

/// Appends masked log chunks and annotations of a job (shared by the protocol and tests).
core::Status StoreLogs(ApiContext& ctx, store::Id job_id, const nlohmann::json& body,
                       int64_t* size);

/// Bytes of log text stored since the server started (for /metrics).
int64_t LogBytesReceived();

}  // namespace gantry::server
