#pragma once

// Branch protection and the merge gate (/api/v1): a project's rules by branch pattern
// (GET …/branch-protection, PUT/DELETE …/branch-protection/{pattern}; maintainer, audited) and
// whether a pull request may be merged (GET …/pulls/{number}/merge-status). The decision
// itself is merge_gate.h's; docs/server.md, "Checks and branch protection".

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddProtectionRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
