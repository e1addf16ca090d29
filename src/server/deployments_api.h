#pragma once

// Deployments over the API (docs/server.md, "Deployments"):
//   GET  /api/v1/projects/{o}/{n}/deployments?environment=&limit=&before=   newest first (viewer)
//   POST /api/v1/projects/{o}/{n}/deployments/rollback {"environment"}    (maintainer, audited)
//   GET  /api/v3/repos/{o}/{r}/deployments[?environment=]                 GitHub's shape
//   GET  /api/v3/repos/{o}/{r}/deployments/{id}/statuses                  GitHub's shape

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddDeploymentRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
