#pragma once

// The settings and the outbox of outbound deliveries over the API (docs/server.md, "Commit
// statuses" and "Notifications"):
//   PUT/GET/DELETE /api/v1/projects/{o}/{n}/forge          forge settings (token write-only)
//   PUT/GET        /api/v1/projects/{o}/{n}/notifications  e-mail and webhooks of a project
//   PUT/GET        /api/v1/user/notifications              the caller's own e-mail settings
//   GET  /api/v1/projects/{o}/{n}/deliveries?state=        the outbox
//   POST /api/v1/projects/{o}/{n}/deliveries/{id}/retry    send one again
// Project calls need the maintainer role.

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddDeliveryRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
