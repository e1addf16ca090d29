#include "server/project_settings_api.h"

#include <map>

#include "server/git_mirrors.h"
#include "server/projects_api.h"

namespace gantry::server {
namespace {

// PATCH: the fields given are validated as POST /api/v1/projects validates them, then written
// together. A new repository is cloned into the project's mirror first (replacing the old
// one), and its present refs count as polled, as at creation: only later pushes start runs.
Response UpdateProject(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"repository", FieldType::kString, false},
                          {"default_branch", FieldType::kString, false},
                          {"poll_interval", FieldType::kInt, false}},
                         &body)) {
    return *e;
  }
  store::Project p = access.project;
  nlohmann::json changed = nlohmann::json::object();
  if (body.contains("default_branch")) {
    std::string branch = body["default_branch"];
    if (branch.empty()) {
      return Response::Error(422, "invalid", "default_branch must not be empty", "default_branch");
    }
    if (branch != p.default_branch) changed["default_branch"] = branch;
    p.default_branch = branch;
  }
  if (body.contains("poll_interval")) {
    int64_t poll = body["poll_interval"];
    if (poll < 0 || poll > 86400) {
      return Response::Error(422, "invalid", "poll_interval must be 0 (off) to 86400 seconds",
                             "poll_interval");
    }
    if (poll != p.poll_interval_seconds) changed["poll_interval"] = poll;
    p.poll_interval_seconds = static_cast<int>(poll);
  }
  if (body.contains("repository")) {
    std::string repository = body["repository"];
    if (repository.empty()) {
      return Response::Error(422, "invalid", "repository must not be empty", "repository");
    }
    if (repository != p.repository) {
      if (auto s = ctx.mirrors->Create(p.owner, p.name, repository); !s.ok()) {
        return Response::Error(422, "invalid", s.message(), "repository");
      }
      p.repository = repository;
      nlohmann::json refs = nlohmann::json::object();
      if (auto got = ctx.mirrors->Refs(p.owner, p.name); got.ok()) refs = got.value();
      p.last_polled_sha = Dump(refs);
      changed["repository"] = repository;
    }
  }
  if (!changed.empty()) {
    if (auto s = ctx.store->UpdateProject(p); !s.ok()) return StoreError(s);
    (void)ctx.store->Audit({0, who.user.id, p.id, "project.update", p.owner + "/" + p.name,
                            Dump(changed), ctx.now_ms()});
  }
  nlohmann::json j = ProjectJson(ctx, p, access.role);
  return Response::Json(200, Dump(j));
}

// POST …/webhook-secret: the old secret stops verifying deliveries at once; the new one is
// answered this once (it is stored sealed).
Response RotateWebhookSecret(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  std::string secret = crypto::RandomHex(32);
  store::Project p = access.project;
  p.webhook_secret = ctx.box->Seal(secret);
  if (auto s = ctx.store->UpdateProject(p); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit(
      {0, who.user.id, p.id, "project.webhook_secret", p.owner + "/" + p.name, "{}", ctx.now_ms()});
  nlohmann::json j = ProjectJson(ctx, p, access.role);
  return Response::Json(200, Dump({{"webhook_url", j["webhook_url"]}, {"webhook_secret", secret}}));
}

// GET …/audit?limit=N: the project's audit log, newest first (who did what, when), for its
// maintainers: settings, secrets, environments, approvals, rollbacks.
Response ListProjectAudit(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  int limit = 50;
  if (auto l = request.Query("limit")) {
    auto n = ParseId(*l);
    if (!n || *n < 1 || *n > 500) {
      return Response::Error(400, "invalid", "limit must be 1 to 500", "limit");
    }
    limit = static_cast<int>(*n);
  }
  auto events = ctx.store->ListAudit(access.project.id, limit);
  if (!events.ok()) return StoreError(events.status());
  std::map<store::Id, std::string> names;
  nlohmann::json out = nlohmann::json::array();
  for (const store::AuditEvent& e : events.value()) {
    nlohmann::json user = nullptr;  // the system (e.g. a review that timed out)
    if (e.user_id != 0) {
      auto it = names.find(e.user_id);
      if (it == names.end()) {
        auto u = ctx.store->GetUser(e.user_id);
        it = names.emplace(e.user_id, u.ok() ? u->username : "").first;
      }
      if (!it->second.empty()) user = it->second;
    }
    nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
    if (details.is_discarded()) details = nlohmann::json::object();
    out.push_back({{"id", e.id},
                   {"user", user},
                   {"action", e.action},
                   {"target", e.target},
                   {"details", details},
                   {"created_at", TimeJson(e.created_at)}});
  }
  return Response::Json(200, Dump({{"events", out}}));
}

}  // namespace

void AddProjectSettingsRoutes(Router& router, ApiContext& ctx) {
  router.Add(
      "PATCH", "/api/v1/projects/{owner}/{name}",
      Authed(ctx, [&ctx](Request& r, const Principal& w) { return UpdateProject(ctx, r, w); }));
  router.Add("POST", "/api/v1/projects/{owner}/{name}/webhook-secret",
             Authed(ctx, [&ctx](Request& r, const Principal& w) {
               return RotateWebhookSecret(ctx, r, w);
             }));
  router.Add(
      "GET", "/api/v1/projects/{owner}/{name}/audit",
      Authed(ctx, [&ctx](Request& r, const Principal& w) { return ListProjectAudit(ctx, r, w); }));
}

}  // namespace gantry::server
