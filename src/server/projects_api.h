#pragma once

// Projects, members and roles, secrets and variables (/api/v1/projects/...).

#include "server/api.h"

namespace gantry::server {

/// Adds the routes; `ctx` must outlive the router.
void AddProjectRoutes(Router& router, ApiContext& ctx);

/// `{"id","name","repository","default_branch","webhook_url",...,"role"}` of a project;
/// `role` is the caller's (viewer, developer, maintainer or owner; admins are owners).
nlohmann::json ProjectJson(const ApiContext& ctx, const store::Project& p, std::string_view role);

/// Secret and variable names: letters, digits and '_', not starting with a digit or GITHUB_.
bool ValidConfigName(std::string_view name);

}  // namespace gantry::server
