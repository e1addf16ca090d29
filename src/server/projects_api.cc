#include "server/projects_api.h"

#include <cctype>

#include "server/environments_api.h"
#include "server/git_mirrors.h"
#include "server/project_settings_api.h"
#include "server/protection_api.h"

namespace gantry::server {
namespace {

bool ValidSlug(std::string_view s) {
  if (s.empty() || s.size() > 100 || s == "." || s == "..") return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return s.front() != '.';
}

Response CreateProject(ApiContext& ctx, Request& request, const Principal& who) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"name", FieldType::kString, true},
                          {"repository", FieldType::kString, true},
                          {"default_branch", FieldType::kString, false},
                          {"poll_interval", FieldType::kInt, false}},
                         &body)) {
    return *e;
  }
  std::string full = body["name"];
  size_t slash = full.find('/');
  std::string owner = slash == std::string::npos ? "" : full.substr(0, slash);
  std::string name = slash == std::string::npos ? "" : full.substr(slash + 1);
  if (!ValidSlug(owner) || !ValidSlug(name)) {
    return Response::Error(422, "invalid",
                           "name must be 'owner/name' (letters, digits, '-', '_', '.')", "name");
  }
  if (owner != who.user.username && !who.user.is_admin) {
    return Response::Error(
        403, "forbidden",
        "you can create projects under your own name ('" + who.user.username + "/…') only", "name");
  }
  std::string repository = body["repository"];
  if (repository.empty()) {
    return Response::Error(422, "invalid", "repository must not be empty", "repository");
  }
  std::string branch = body.value("default_branch", "main");
  if (branch.empty()) branch = "main";
  int64_t poll = body.value("poll_interval", int64_t{0});
  if (poll < 0 || poll > 86400) {
    return Response::Error(422, "invalid", "poll_interval must be 0 (off) to 86400 seconds",
                           "poll_interval");
  }
  if (auto existing = ctx.store->GetProjectByName(owner, name); existing.ok()) {
    return Response::Error(409, "already_exists", "project '" + full + "' exists", "name");
  }
  if (auto s = ctx.mirrors->Create(owner, name, repository); !s.ok()) {
    return Response::Error(422, "invalid", s.message(), "repository");
  }
  std::string secret = crypto::RandomHex(32);
  store::Project p;
  p.owner = owner;
  p.name = name;
  p.repository = repository;
  p.default_branch = branch;
  p.webhook_secret = ctx.box->Seal(secret);
  p.poll_interval_seconds = static_cast<int>(poll);
  p.created_at = ctx.now_ms();
  // The refs present now are not new: polling starts runs for what moves afterwards only.
  if (auto refs = ctx.mirrors->Refs(owner, name); refs.ok()) {
    nlohmann::json j = refs.value();
    p.last_polled_sha = Dump(j);
  }
  auto created = ctx.store->CreateProject(p, who.user.id);
  if (!created.ok()) return StoreError(created.status());
  (void)ctx.store->Audit(
      {0, who.user.id, created.value().id, "project.create", full, "{}", ctx.now_ms()});
  nlohmann::json j = ProjectJson(ctx, created.value(), "owner");
  j["webhook_secret"] = secret;
  return Response::Json(201, Dump(j));
}

Response ListProjects(ApiContext& ctx, const Principal& who) {
  auto list = ctx.store->ListProjects(who.user.id, who.user.is_admin);
  if (!list.ok()) return StoreError(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& p : list.value()) {
    std::string role = "owner";
    if (!who.user.is_admin) {
      auto r = ctx.store->MemberRole(p.id, who.user.id);
      if (!r.ok()) return StoreError(r.status());
      role = r.value();
    }
    arr.push_back(ProjectJson(ctx, p, role));
  }
  return Response::Json(200, Dump({{"projects", arr}}));
}

Response PutMember(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  nlohmann::json body;
  if (auto e = ParseBody(request, {{"role", FieldType::kString, true}}, &body)) return *e;
  std::string role = body["role"];
  if (!IsRole(role)) {
    return Response::Error(422, "invalid", "role must be owner, maintainer, developer or viewer",
                           "role");
  }
  if (RoleRank(role) > RoleRank(access.role)) {
    return Response::Error(403, "forbidden",
                           "you cannot grant a role above your own (" + access.role + ")");
  }
  auto user = ctx.store->GetUserByName(request.Param("username"));
  if (!user.ok()) {
    return Response::Error(404, "not_found", "no user '" + request.Param("username") + "'");
  }
  if (auto s = ctx.store->PutMember(access.project.id, user.value().id, role); !s.ok()) {
    return StoreError(s);
  }
  (void)ctx.store->Audit({0, who.user.id, access.project.id, "member.put", user.value().username,
                          Dump({{"role", role}}), ctx.now_ms()});
  return Response::NoContent();
}

Response DeleteMember(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  auto user = ctx.store->GetUserByName(request.Param("username"));
  if (!user.ok()) {
    return Response::Error(404, "not_found", "no user '" + request.Param("username") + "'");
  }
  auto role = ctx.store->MemberRole(access.project.id, user.value().id);
  if (role.ok() && RoleRank(role.value()) > RoleRank(access.role)) {
    return Response::Error(403, "forbidden", "you cannot remove a member above your role");
  }
  if (auto s = ctx.store->DeleteMember(access.project.id, user.value().id); !s.ok()) {
    return StoreError(s);
  }
  return Response::NoContent();
}

Response ListMembers(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "viewer",
                              &access)) {
    return *e;
  }
  auto members = ctx.store->ListMembers(access.project.id);
  if (!members.ok()) return StoreError(members.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& m : members.value()) {
    arr.push_back({{"username", m.username}, {"role", m.role}});
  }
  return Response::Json(200, Dump({{"members", arr}}));
}

// PUT/DELETE/GET of secrets (values never returned) and variables (values returned).
Response PutConfig(ApiContext& ctx, Request& request, const Principal& who, bool secret) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  std::string key = request.Param("key");
  if (!ValidConfigName(key)) {
    return Response::Error(422, "invalid",
                           "name '" + key +
                               "' must be letters, digits and '_', not start with a digit or "
                               "GITHUB_",
                           "name");
  }
  nlohmann::json body;
  if (auto e = ParseBody(request, {{"value", FieldType::kString, true}}, &body)) return *e;
  std::string value = body["value"];
  if (value.size() > size_t{48} * 1024) {
    return Response::Error(422, "invalid", "value must be at most 48 KB", "value");
  }
  core::Status s;
  if (secret) {
    s = ctx.store->PutSecret(access.project.id, {key, ctx.box->Seal(value), ctx.now_ms()});
  } else {
    s = ctx.store->PutVariable(access.project.id, {key, value, ctx.now_ms()});
  }
  if (!s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, access.project.id, secret ? "secret.put" : "variable.put",
                          key, "{}", ctx.now_ms()});
  return Response::NoContent();
}

Response DeleteConfig(ApiContext& ctx, Request& request, const Principal& who, bool secret) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "maintainer",
                              &access)) {
    return *e;
  }
  std::string key = request.Param("key");
  core::Status s = secret ? ctx.store->DeleteSecret(access.project.id, key)
                          : ctx.store->DeleteVariable(access.project.id, key);
  if (!s.ok()) return StoreError(s);
  return Response::NoContent();
}

Response ListConfig(ApiContext& ctx, Request& request, const Principal& who, bool secret) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"),
                              secret ? "developer" : "viewer", &access)) {
    return *e;
  }
  nlohmann::json arr = nlohmann::json::array();
  if (secret) {
    auto list = ctx.store->ListSecrets(access.project.id);
    if (!list.ok()) return StoreError(list.status());
    for (const auto& s : list.value()) {
      arr.push_back({{"name", s.name}, {"updated_at", TimeJson(s.updated_at)}});
    }
    return Response::Json(200, Dump({{"secrets", arr}}));
  }
  auto list = ctx.store->ListVariables(access.project.id);
  if (!list.ok()) return StoreError(list.status());
  for (const auto& v : list.value()) {
    arr.push_back({{"name", v.name}, {"value", v.value}, {"updated_at", TimeJson(v.updated_at)}});
  }
  return Response::Json(200, Dump({{"variables", arr}}));
}

}  // namespace

bool ValidConfigName(std::string_view name) {
  if (name.empty() || name.size() > 200 || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper.rfind("GITHUB_", 0) != 0;
}

nlohmann::json ProjectJson(const ApiContext& ctx, const store::Project& p, std::string_view role) {
  std::string full = p.owner + "/" + p.name;
  return {{"id", p.id},
          {"name", full},
          {"owner", p.owner},
          {"repository", p.repository},
          {"default_branch", p.default_branch},
          {"poll_interval", p.poll_interval_seconds},
          {"webhook_url", ctx.config.base_url + "/api/v1/hooks/" + full},
          {"created_at", TimeJson(p.created_at)},
          {"role", role}};
}

void AddProjectRoutes(Router& router, ApiContext& ctx) {
  router.Add("POST", "/api/v1/projects", Authed(ctx, [&ctx](Request& r, const Principal& w) {
               return CreateProject(ctx, r, w);
             }));
  router.Add("GET", "/api/v1/projects",
             Authed(ctx, [&ctx](Request&, const Principal& w) { return ListProjects(ctx, w); }));
  router.Add(
      "GET", "/api/v1/projects/{owner}/{name}", Authed(ctx, [&ctx](Request& r, const Principal& w) {
        ProjectAccess a;
        if (auto e = RequireProject(ctx, w, r.Param("owner"), r.Param("name"), "viewer", &a)) {
          return *e;
        }
        return Response::Json(200, Dump(ProjectJson(ctx, a.project, a.role)));
      }));
  router.Add(
      "DELETE", "/api/v1/projects/{owner}/{name}",
      Authed(ctx, [&ctx](Request& r, const Principal& w) {
        ProjectAccess a;
        if (auto e = RequireProject(ctx, w, r.Param("owner"), r.Param("name"), "owner", &a)) {
          return *e;
        }
        if (auto s = ctx.store->DeleteProject(a.project.id); !s.ok()) return StoreError(s);
        return Response::NoContent();
      }));
  router.Add(
      "GET", "/api/v1/projects/{owner}/{name}/members",
      Authed(ctx, [&ctx](Request& r, const Principal& w) { return ListMembers(ctx, r, w); }));
  router.Add("PUT", "/api/v1/projects/{owner}/{name}/members/{username}",
             Authed(ctx, [&ctx](Request& r, const Principal& w) { return PutMember(ctx, r, w); }));
  router.Add(
      "DELETE", "/api/v1/projects/{owner}/{name}/members/{username}",
      Authed(ctx, [&ctx](Request& r, const Principal& w) { return DeleteMember(ctx, r, w); }));
  for (bool secret : {true, false}) {
    std::string base =
        std::string("/api/v1/projects/{owner}/{name}/") + (secret ? "secrets" : "variables");
    router.Add("GET", base, Authed(ctx, [&ctx, secret](Request& r, const Principal& w) {
                 return ListConfig(ctx, r, w, secret);
               }));
    router.Add("PUT", base + "/{key}", Authed(ctx, [&ctx, secret](Request& r, const Principal& w) {
                 return PutConfig(ctx, r, w, secret);
               }));
    router.Add("DELETE", base + "/{key}",
               Authed(ctx, [&ctx, secret](Request& r, const Principal& w) {
                 return DeleteConfig(ctx, r, w, secret);
               }));
  }
  AddProjectSettingsRoutes(router, ctx);
  AddProtectionRoutes(router, ctx);
  AddEnvironmentRoutes(router, ctx);
}

}  // namespace gantry::server
