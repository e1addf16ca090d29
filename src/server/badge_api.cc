#include "server/badge_api.h"

#include "server/badge.h"
#include "server/workflows.h"

namespace gantry::server {
namespace {

// Runs looked at for the latest one that is not merely queued.
constexpr int kRunsLooked = 50;

Response Badge(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "viewer", &access)) {
    return *e;
  }
  store::RunFilter filter;
  filter.project_id = access.project.id;
  filter.branch = r.Query("branch").value_or("");
  if (filter.branch.empty()) filter.branch = access.project.default_branch;
  filter.limit = kRunsLooked;
  std::string label = "build";
  if (auto selector = r.Query("workflow"); selector && !selector->empty()) {
    auto w = FindWorkflow(ctx, access.project, *selector);
    if (!w.ok()) return Response::Error(404, "not_found", w.status().message(), "workflow");
    label = w.value().name;
    filter.workflow_file = w.value().path;
  }
  auto runs = ctx.store->ListRuns(filter);
  if (!runs.ok()) return StoreError(runs.status());
  BadgeStatus status = BadgeStatus::kNoStatus;
  for (const store::Run& run : runs.value()) {
    if (run.status == "queued") continue;
    status = BadgeStatusOf(run.status, run.conclusion);
    break;
  }
  Response response;
  response.content_type = "image/svg+xml";
  response.body = RenderBadge(label, status);
  std::string etag = "\"" + crypto::Sha256Hex(response.body).substr(0, 32) + "\"";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("ETag", etag);
  // Opened on its own, the SVG may run nothing.
  response.headers.emplace_back("Content-Security-Policy", "default-src 'none'");
  if (r.Header("if-none-match") == etag) {
    response.status = 304;
    response.body.clear();
  }
  return response;
}

}  // namespace

void AddBadgeRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/api/v1/projects/{owner}/{name}/badge.svg",
             Authed(ctx, [&ctx](Request& r, const Principal& w) { return Badge(ctx, r, w); }));
}

}  // namespace gantry::server
