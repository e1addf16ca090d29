#include "server/environments_api.h"

#include <algorithm>
#include <cctype>

#include "server/branch_pattern.h"
#include "server/environment_rules.h"
#include "server/projects_api.h"
#include "server/scheduler.h"

namespace gantry::server {
namespace {

constexpr int64_t kMaxWaitTimer = int64_t{30} * 86400;  // GitHub's 43,200 minutes
constexpr size_t kMaxListSize = 100;

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

nlohmann::json EnvJson(const store::Environment& e) {
  return {{"name", e.name},
          {"reviewers", e.reviewers},
          {"wait_timer", e.wait_timer},
          {"branches", e.branches},
          {"created_at", TimeJson(e.created_at)},
          {"updated_at", TimeJson(e.updated_at)}};
}

std::optional<Response> Access(ApiContext& ctx, const Request& r, const Principal& who,
                               std::string_view role, ProjectAccess* access) {
  return RequireProject(ctx, who, r.Param("owner"), r.Param("name"), role, access);
}

std::optional<Response> EnvName(const Request& r) {
  if (auto s = ValidateEnvironmentName(r.Param("env")); !s.ok()) {
    return Response::Error(422, "invalid", s.message(), "environment");
  }
  return std::nullopt;
}

Response ListEnvironments(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "viewer", &access)) return *e;
  auto list = ctx.store->ListEnvironments(access.project.id);
  if (!list.ok()) return StoreError(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const store::Environment& e : list.value()) arr.push_back(EnvJson(e));
  return Response::Json(200, Dump({{"environments", arr}}));
}

Response GetEnvironment(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "viewer", &access)) return *e;
  auto env = ctx.store->GetEnvironment(access.project.id, r.Param("env"));
  if (!env.ok()) return StoreError(env.status());
  return Response::Json(200, Dump(EnvJson(env.value())));
}

// A list field of strings, each checked by `check` (an error message, or "").
template <typename Check>
std::optional<Response> StringList(const nlohmann::json& body, const char* field,
                                   std::vector<std::string>* out, Check check) {
  if (!body.contains(field)) return std::nullopt;
  const nlohmann::json& list = body[field];
  if (list.size() > kMaxListSize) {
    return Response::Error(422, "invalid", std::string(field) + " holds more than 100 entries",
                           field);
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    if (!list[i].is_string()) {
      return Response::Error(400, "invalid_type", name + " must be a string", name);
    }
    std::string value = list[i];
    if (std::string why = check(value); !why.empty()) {
      return Response::Error(422, "invalid", name + ": " + why, name);
    }
    if (std::find(out->begin(), out->end(), value) == out->end()) out->push_back(value);
  }
  return std::nullopt;
}

Response PutEnvironment(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "maintainer", &access)) return *e;
  if (auto e = EnvName(r)) return *e;
  nlohmann::json body;
  if (auto e = ParseBody(r,
                         {{"reviewers", FieldType::kArray, false},
                          {"wait_timer", FieldType::kInt, false},
                          {"branches", FieldType::kArray, false}},
                         &body)) {
    return *e;
  }
  store::Environment env;
  env.name = r.Param("env");
  env.wait_timer = body.value("wait_timer", int64_t{0});
  if (env.wait_timer < 0 || env.wait_timer > kMaxWaitTimer) {
    return Response::Error(422, "invalid", "wait_timer must be 0 to 2592000 seconds (30 days)",
                           "wait_timer");
  }
  auto members = ctx.store->ListMembers(access.project.id);
  if (!members.ok()) return StoreError(members.status());
  auto member_check = [&](std::string& username) -> std::string {
    for (const store::Member& m : members.value()) {
      if (SameName(m.username, username)) {
        username = m.username;
        return "";
      }
    }
    return "'" + username + "' is not a member of the project (add them first)";
  };
  if (auto e = StringList(body, "reviewers", &env.reviewers, member_check)) return *e;
  auto pattern_check = [](std::string& pattern) -> std::string {
    auto s = ValidateBranchPattern(pattern);
    return s.ok() ? "" : s.message();
  };
  if (auto e = StringList(body, "branches", &env.branches, pattern_check)) return *e;
  if (auto s = ctx.store->PutEnvironment(access.project.id, env); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, access.project.id, "environment.put", env.name,
                          Dump({{"reviewers", env.reviewers},
                                {"wait_timer", env.wait_timer},
                                {"branches", env.branches}}),
                          ctx.now_ms()});
  auto stored = ctx.store->GetEnvironment(access.project.id, env.name);
  return Response::Json(200, Dump(EnvJson(stored.ok() ? stored.value() : env)));
}

Response DeleteEnvironment(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "maintainer", &access)) return *e;
  if (auto s = ctx.store->DeleteEnvironment(access.project.id, r.Param("env")); !s.ok()) {
    return StoreError(s);
  }
  (void)ctx.store->Audit({0, who.user.id, access.project.id, "environment.delete", r.Param("env"),
                          "{}", ctx.now_ms()});
  return Response::NoContent();
}

// Secrets (values never returned) and variables of an environment, as the project's.
Response PutConfig(ApiContext& ctx, Request& r, const Principal& who, bool secret) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "maintainer", &access)) return *e;
  if (auto e = EnvName(r)) return *e;
  const std::string& key = r.Param("key");
  if (!ValidConfigName(key)) {
    return Response::Error(422, "invalid",
                           "name '" + key +
                               "' must be letters, digits and '_', not start with a digit or "
                               "GITHUB_",
                           "name");
  }
  nlohmann::json body;
  if (auto e = ParseBody(r, {{"value", FieldType::kString, true}}, &body)) return *e;
  std::string value = body["value"];
  if (value.size() > size_t{48} * 1024) {
    return Response::Error(422, "invalid", "value must be at most 48 KB", "value");
  }
  const std::string& env = r.Param("env");
  // Setting a secret or variable of an environment creates it, as on GitHub.
  auto ensured = ctx.store->EnsureEnvironment(access.project.id, env);
  if (!ensured.ok()) return StoreError(ensured.status());
  core::Status s = secret ? ctx.store->PutEnvironmentSecret(
                                access.project.id, env, {key, ctx.box->Seal(value), ctx.now_ms()})
                          : ctx.store->PutEnvironmentVariable(access.project.id, env,
                                                              {key, value, ctx.now_ms()});
  if (!s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, access.project.id,
                          secret ? "environment.secret.put" : "environment.variable.put",
                          env + "/" + key, "{}", ctx.now_ms()});
  return Response::NoContent();
}

Response DeleteConfig(ApiContext& ctx, Request& r, const Principal& who, bool secret) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, "maintainer", &access)) return *e;
  const std::string& env = r.Param("env");
  const std::string& key = r.Param("key");
  core::Status s = secret ? ctx.store->DeleteEnvironmentSecret(access.project.id, env, key)
                          : ctx.store->DeleteEnvironmentVariable(access.project.id, env, key);
  if (!s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, access.project.id,
                          secret ? "environment.secret.delete" : "environment.variable.delete",
                          env + "/" + key, "{}", ctx.now_ms()});
  return Response::NoContent();
}

Response ListConfig(ApiContext& ctx, Request& r, const Principal& who, bool secret) {
  ProjectAccess access;
  if (auto e = Access(ctx, r, who, secret ? "developer" : "viewer", &access)) return *e;
  const std::string& env = r.Param("env");
  nlohmann::json arr = nlohmann::json::array();
  if (secret) {
    auto list = ctx.store->ListEnvironmentSecrets(access.project.id, env);
    if (!list.ok()) return StoreError(list.status());
    for (const store::Secret& s : list.value()) {
      arr.push_back({{"name", s.name}, {"updated_at", TimeJson(s.updated_at)}});
    }
    return Response::Json(200, Dump({{"secrets", arr}}));
  }
  auto list = ctx.store->ListEnvironmentVariables(access.project.id, env);
  if (!list.ok()) return StoreError(list.status());
  for (const store::Variable& v : list.value()) {
    arr.push_back({{"name", v.name}, {"value", v.value}, {"updated_at", TimeJson(v.updated_at)}});
  }
  return Response::Json(200, Dump({{"variables", arr}}));
}

std::optional<Response> RunOf(ApiContext& ctx, const Request& r, const Principal& who,
                              store::Run* run, ProjectAccess* access) {
  auto id = ParseId(r.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such run");
  auto got = ctx.store->GetRun(*id);
  if (!got.ok()) return Response::Error(404, "not_found", "no such run");
  if (auto e = RequireProjectId(ctx, who, got.value().project_id, "viewer", access)) {
    if (e->status == 404) return Response::Error(404, "not_found", "no such run");
    return e;
  }
  *run = got.value();
  return std::nullopt;
}

// GET /api/v1/runs/{id}/approvals: the environments the run's jobs wait for, with their
// reviewers, and every decision so far.
Response ListApprovals(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, &run, &access)) return *e;
  auto jobs = ctx.store->ListJobEnvironments(run.id);
  if (!jobs.ok()) return StoreError(jobs.status());
  nlohmann::json pending = nlohmann::json::array();
  for (const store::JobEnvironment& je : jobs.value()) {
    if (je.state != "waiting") continue;
    auto job = ctx.store->GetJob(je.job_id);
    if (!job.ok() || job->status != "waiting") continue;
    nlohmann::json* entry = nullptr;
    for (nlohmann::json& p : pending) {
      if (SameName(p["environment"].get<std::string>(), je.environment)) entry = &p;
    }
    if (entry == nullptr) {
      auto env = ctx.store->GetEnvironment(run.project_id, je.environment);
      pending.push_back({{"environment", je.environment},
                         {"reviewers", env.ok() ? env->reviewers : std::vector<std::string>()},
                         {"wait_timer", env.ok() ? env->wait_timer : 0},
                         {"jobs", nlohmann::json::array()}});
      entry = &pending.back();
    }
    (*entry)["jobs"].push_back({{"id", je.job_id},
                                {"name", job->name},
                                {"state", je.needs_review ? "waiting_for_review" : "wait_timer"},
                                {"wait_timer_ends_at", TimeJson(je.not_before)}});
  }
  auto decided = ctx.store->ListEnvironmentApprovals(run.id);
  if (!decided.ok()) return StoreError(decided.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const store::EnvironmentApproval& a : decided.value()) {
    arr.push_back({{"environment", a.environment},
                   {"user", a.username},
                   {"approve", a.approve},
                   {"comment", a.comment},
                   {"created_at", TimeJson(a.created_at)}});
  }
  return Response::Json(200, Dump({{"run_id", run.id}, {"pending", pending}, {"approvals", arr}}));
}

// POST /api/v1/runs/{id}/approvals {"environment","approve","comment"}.
Response Decide(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, &run, &access)) return *e;
  nlohmann::json body;
  if (auto e = ParseBody(r,
                         {{"environment", FieldType::kString, true},
                          {"approve", FieldType::kBool, true},
                          {"comment", FieldType::kString, false}},
                         &body)) {
    return *e;
  }
  const std::string name = body["environment"];
  const bool approve = body["approve"];
  const std::string comment = body.value("comment", "");
  if (comment.size() > 4096) {
    return Response::Error(422, "invalid", "comment must be at most 4096 bytes", "comment");
  }
  auto env = ctx.store->GetEnvironment(run.project_id, name);
  if (!env.ok()) {
    return Response::Error(404, "not_found", "the project has no environment '" + name + "'",
                           "environment");
  }
  if (!MayDecide(env->reviewers, who.user.username, who.user.is_admin)) {
    return Response::Error(
        403, "forbidden",
        "only a reviewer of environment '" + env->name + "' (or an admin) may approve or reject it",
        "environment");
  }
  auto decided =
      ctx.scheduler->DecideEnvironment(run.id, env->name, approve, who.user.username, comment);
  if (!decided.ok()) return StoreError(decided.status());
  if (decided.value() == 0) {
    return Response::Error(409, "not_waiting",
                           "no job of run " + std::to_string(run.id) +
                               " waits for a review of environment '" + env->name + "'",
                           "environment");
  }
  store::EnvironmentApproval a;
  a.run_id = run.id;
  a.environment = env->name;
  a.user_id = who.user.id;
  a.username = who.user.username;
  a.approve = approve;
  a.comment = comment;
  a.created_at = ctx.now_ms();
  if (auto s = ctx.store->AddEnvironmentApproval(a); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, run.project_id,
                          approve ? "environment.approve" : "environment.reject",
                          std::to_string(run.id) + "/" + env->name,
                          Dump({{"comment", comment}, {"jobs", decided.value()}}), ctx.now_ms()});
  return Response::Json(200, Dump({{"run_id", run.id},
                                   {"environment", env->name},
                                   {"approve", approve},
                                   {"comment", comment},
                                   {"jobs", decided.value()}}));
}

}  // namespace

void AddEnvironmentRoutes(Router& router, ApiContext& ctx) {
  const std::string base = "/api/v1/projects/{owner}/{name}/environments";
  router.Add("GET", base, Authed(ctx, [&ctx](Request& r, const Principal& w) {
               return ListEnvironments(ctx, r, w);
             }));
  router.Add("GET", base + "/{env}", Authed(ctx, [&ctx](Request& r, const Principal& w) {
               return GetEnvironment(ctx, r, w);
             }));
  router.Add("PUT", base + "/{env}", Authed(ctx, [&ctx](Request& r, const Principal& w) {
               return PutEnvironment(ctx, r, w);
             }));
  router.Add("DELETE", base + "/{env}", Authed(ctx, [&ctx](Request& r, const Principal& w) {
               return DeleteEnvironment(ctx, r, w);
             }));
  for (bool secret : {true, false}) {
    const std::string sub = base + "/{env}/" + (secret ? "secrets" : "variables");
    router.Add("GET", sub, Authed(ctx, [&ctx, secret](Request& r, const Principal& w) {
                 return ListConfig(ctx, r, w, secret);
               }));
    router.Add("PUT", sub + "/{key}", Authed(ctx, [&ctx, secret](Request& r, const Principal& w) {
                 return PutConfig(ctx, r, w, secret);
               }));
    router.Add("DELETE", sub + "/{key}",
               Authed(ctx, [&ctx, secret](Request& r, const Principal& w) {
                 return DeleteConfig(ctx, r, w, secret);
               }));
  }
  router.Add(
      "GET", "/api/v1/runs/{id}/approvals",
      Authed(ctx, [&ctx](Request& r, const Principal& w) { return ListApprovals(ctx, r, w); }));
  router.Add("POST", "/api/v1/runs/{id}/approvals",
             Authed(ctx, [&ctx](Request& r, const Principal& w) { return Decide(ctx, r, w); }));
}

}  // namespace gantry::server
