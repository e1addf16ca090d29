#include "server/deployments_api.h"

#include <vector>

#include "server/git_mirrors.h"
#include "server/github_api.h"
#include "server/runs_api.h"
#include "server/triggers.h"
#include "workflow/loader.h"

namespace gantry::server {
namespace {

using json = nlohmann::json;

json DeploymentJson(const store::Deployment& d) {
  return {{"id", d.id},
          {"environment", d.environment},
          {"sha", d.sha},
          {"ref", d.ref},
          {"workflow", d.workflow_file},
          {"run_id", d.run_id},
          {"job_id", d.job_id},
          {"attempt", d.attempt},
          {"actor", d.actor},
          {"status", d.status},
          {"url", d.url},
          {"created_at", TimeJson(d.created_at)},
          {"updated_at", TimeJson(d.updated_at)}};
}

// environment and limit of a list request, or the 400 naming the field.
std::optional<Response> ListArgs(const Request& r, std::string* environment, int* limit,
                                 store::Id* before) {
  *environment = r.Query("environment").value_or("");
  *limit = 30;
  if (auto text = r.Query("limit")) {
    auto n = ParseId(*text);
    if (!n || *n > 100) return Response::Error(400, "invalid", "limit must be 1 to 100", "limit");
    *limit = static_cast<int>(*n);
  }
  *before = 0;
  if (auto text = r.Query("before")) {
    auto n = ParseId(*text);
    if (!n) return Response::Error(400, "invalid", "before must be a deployment id", "before");
    *before = *n;
  }
  return std::nullopt;
}

Response List(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "viewer", &access)) {
    return *e;
  }
  std::string environment;
  int limit = 0;
  store::Id before = 0;
  if (auto e = ListArgs(r, &environment, &limit, &before)) return *e;
  auto list = ctx.store->ListDeployments(access.project.id, environment, limit, before);
  if (!list.ok()) return StoreError(list.status());
  json out = json::array();
  for (const store::Deployment& d : list.value()) out.push_back(DeploymentJson(d));
  return Response::Json(200, Dump({{"deployments", out}}));
}

// The deployment a rollback of `newest_first` (one environment's) goes back to: the newest
// successful (or inactive: it succeeded once) deployment older than the newest deployment,
// at another commit when the newest succeeded. nullptr when there is none.
const store::Deployment* RollbackTarget(const std::vector<store::Deployment>& newest_first) {
  // Deployments still waiting for their environment's review never ran: the live one is older.
  size_t first = 0;
  while (first < newest_first.size() && newest_first[first].status == "waiting") ++first;
  if (first == newest_first.size()) return nullptr;
  const store::Deployment& newest = newest_first[first];
  for (size_t i = first + 1; i < newest_first.size(); ++i) {
    const store::Deployment& d = newest_first[i];
    if (d.status != "success" && d.status != "inactive") continue;
    if (newest.status == "success" && d.sha == newest.sha) continue;
    return &d;
  }
  return nullptr;
}

Response Rollback(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "maintainer", &access)) {
    return *e;
  }
  json body;
  if (auto e = ParseBody(r, {{"environment", FieldType::kString, true}}, &body)) return *e;
  const std::string environment = body["environment"];
  if (environment.empty()) {
    return Response::Error(400, "invalid", "environment must name an environment", "environment");
  }
  const store::Project& p = access.project;
  auto list = ctx.store->ListDeployments(p.id, environment, 100);
  if (!list.ok()) return StoreError(list.status());
  if (list.value().empty()) {
    return Response::Error(404, "not_found",
                           "no deployment to environment '" + environment + "' was recorded",
                           "environment");
  }
  const store::Deployment& newest = list.value().front();
  if (newest.status == "queued" || newest.status == "in_progress") {
    return Response::Error(409, "in_progress",
                           "deployment " + std::to_string(newest.id) + " to '" + environment +
                               "' is still " + newest.status + ": wait for it or cancel run " +
                               std::to_string(newest.run_id));
  }
  const store::Deployment* target = RollbackTarget(list.value());
  if (target == nullptr) {
    return Response::Error(
        409, "nothing_to_roll_back",
        "environment '" + environment + "' has no earlier successful deployment to roll back to",
        "environment");
  }
  // A workflow_dispatch run of the target's workflow at its commit and ref: a normal run for
  // every consumer (the `on:` filters are not applied, as for any dispatch of a file).
  TriggerEvent ev;
  ev.event = "workflow_dispatch";
  ev.ref = target->ref;
  ev.sha = target->sha;
  ev.actor = who.user.username;
  ev.title =
      "Rollback of " + environment + " to " + target->sha.substr(0, 7) + " by " + who.user.username;
  json inputs = json::object();
  if (auto yaml = ctx.mirrors->ReadFile(p.owner, p.name, target->sha, target->workflow_file);
      yaml.ok()) {
    workflow::LoadResult loaded = workflow::LoadWorkflow(yaml.value(), target->workflow_file);
    const workflow::EventTrigger* trigger =
        loaded.ok() ? loaded.workflow->on.Find("workflow_dispatch") : nullptr;
    std::optional<Response> error;
    if (trigger != nullptr) inputs = ValidateDispatchInputs(trigger->inputs, inputs, &error);
    if (error) inputs = json::object();  // required inputs without defaults: none given
  }
  ev.inputs = inputs;
  ev.payload = {{"inputs", inputs},
                {"ref", target->ref},
                {"repository", {{"full_name", p.owner + "/" + p.name}}},
                {"sender", {{"login", who.user.username}}},
                {"workflow", target->workflow_file},
                {"rollback", {{"environment", environment}, {"deployment_id", target->id}}}};
  ev.only_workflow = target->workflow_file;
  auto ids = TriggerRuns(ctx, p, ev);
  if (!ids.ok()) return Response::Error(422, "unreadable_commit", ids.status().message());
  if (ids.value().empty()) {
    return Response::Error(
        422, "invalid_workflow",
        "workflow '" + target->workflow_file + "' no longer loads at " + target->sha.substr(0, 7));
  }
  (void)ctx.store->Audit(
      {0, who.user.id, p.id, "deployment.rollback", environment,
       Dump({{"deployment_id", target->id}, {"sha", target->sha}, {"run_id", ids.value().front()}}),
       ctx.now_ms()});
  auto run = ctx.store->GetRun(ids.value().front());
  if (!run.ok()) return StoreError(run.status());
  return Response::Json(
      201, Dump({{"run", RunJson(ctx, run.value(), p)}, {"target", DeploymentJson(*target)}}));
}

// GitHub's deployment shape (the fields its API documents that Gantry has).
json GitHubDeployment(const ApiContext& ctx, const store::Deployment& d, const store::Project& p) {
  std::string ref = d.ref;
  for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref.rfind(prefix, 0) == 0) ref = ref.substr(std::string(prefix).size());
  }
  return {{"id", d.id},
          {"sha", d.sha},
          {"ref", ref},
          {"task", "deploy"},
          {"environment", d.environment},
          {"original_environment", d.environment},
          {"description", nullptr},
          {"payload", json::object()},
          {"creator", github::UserJson(ctx, d.actor, 0)},
          {"created_at", TimeJson(d.created_at)},
          {"updated_at", TimeJson(d.updated_at)},
          {"transient_environment", false},
          {"production_environment", d.environment == "production"},
          {"url", github::RepoApiUrl(ctx, p) + "/deployments/" + std::to_string(d.id)},
          {"statuses_url",
           github::RepoApiUrl(ctx, p) + "/deployments/" + std::to_string(d.id) + "/statuses"},
          {"repository_url", github::RepoApiUrl(ctx, p)}};
}

Response GitHubList(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = github::RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  int limit = 30;
  if (auto text = r.Query("per_page")) {
    auto n = ParseId(*text);
    if (n && *n <= 100) limit = static_cast<int>(*n);
  }
  auto list =
      ctx.store->ListDeployments(access.project.id, r.Query("environment").value_or(""), limit);
  if (!list.ok()) return StoreError(list.status());
  json out = json::array();
  for (const store::Deployment& d : list.value())
    out.push_back(GitHubDeployment(ctx, d, access.project));
  return Response::Json(200, Dump(out));
}

Response GitHubStatuses(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = github::RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  std::optional<store::Id> id = ParseId(r.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such deployment");
  auto d = ctx.store->GetDeployment(access.project.id, *id);
  if (!d.ok()) return StoreError(d.status());
  // One status: the current one (Gantry keeps no history of transitions). GitHub's states:
  // queued, in_progress, success, failure, inactive, error (cancelled has none: error), and
  // waiting, which Actions sets on a deployment its environment's reviewers hold back.
  std::string state = d->status == "cancelled" ? "error" : d->status;
  json status = {{"id", d->id},
                 {"state", state},
                 {"environment", d->environment},
                 {"environment_url", d->url},
                 {"log_url", "/" + access.project.owner + "/" + access.project.name + "/runs/" +
                                 std::to_string(d->run_id)},
                 {"creator", github::UserJson(ctx, d->actor, 0)},
                 {"created_at", TimeJson(d->updated_at)},
                 {"updated_at", TimeJson(d->updated_at)}};
  return Response::Json(200, Dump(json::array({status})));
}

}  // namespace

void AddDeploymentRoutes(Router& router, ApiContext& ctx) {
  auto add = [&](const char* method, const char* path,
                 Response (*fn)(ApiContext&, Request&, const Principal&)) {
    router.Add(method, path,
               Authed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("GET", "/api/v1/projects/{owner}/{name}/deployments", List);
  add("POST", "/api/v1/projects/{owner}/{name}/deployments/rollback", Rollback);
  auto add_gh = [&](const char* path, Response (*fn)(ApiContext&, Request&, const Principal&)) {
    router.Add("GET", path, github::GhAuthed(ctx, [&ctx, fn](Request& r, const Principal& w) {
                 return fn(ctx, r, w);
               }));
  };
  add_gh("/api/v3/repos/{owner}/{repo}/deployments", GitHubList);
  add_gh("/api/v3/repos/{owner}/{repo}/deployments/{id}/statuses", GitHubStatuses);
}

}  // namespace gantry::server
