// /api/v3 workflows, dispatches, repository contents, the API root, the user, and the
// catch-all 404 (github_api.h).

#include "server/checks_api.h"
#include "server/git_mirrors.h"
#include "server/github_api.h"
#include "server/hooks_api.h"
#include "server/workflows.h"

namespace gantry::server::github {
namespace {

std::string Base64(std::string_view in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(table[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += {table[(v >> 18) & 63], table[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {table[(v >> 18) & 63], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
  }
  return out;
}

nlohmann::json WorkflowJson(const ApiContext& ctx, const store::Project& p, const WorkflowInfo& w) {
  std::string base = w.path.substr(w.path.rfind('/') + 1);
  return {{"id", w.id},
          {"node_id", "W_" + std::to_string(w.id)},
          {"name", w.name},
          {"path", w.path},
          {"state", w.state},
          {"created_at", TimeJson(p.created_at)},
          {"updated_at", TimeJson(p.created_at)},
          {"url", RepoApiUrl(ctx, p) + "/actions/workflows/" + std::to_string(w.id)},
          {"html_url", ctx.config.base_url + "/" + p.owner + "/" + p.name + "/blob/" +
                           p.default_branch + "/" + w.path},
          {"badge_url", ctx.config.base_url + "/api/v1/projects/" + p.owner + "/" + p.name +
                            "/badge.svg?workflow=" + base}};
}

Response ListWorkflowsHandler(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  auto page = ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  auto list = ListWorkflows(ctx, access.project);
  if (!list.ok()) return Rewrite(StoreError(list.status()));
  const Page& p = page.value();
  nlohmann::json arr = nlohmann::json::array();
  const auto total = static_cast<int64_t>(list.value().size());
  for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i) {
    arr.push_back(WorkflowJson(ctx, access.project, list.value()[static_cast<size_t>(i)]));
  }
  Response resp = Response::Json(200, Dump({{"total_count", total}, {"workflows", arr}}));
  std::string link = LinkHeader(ctx.config.base_url + r.path, r.query, p, total);
  if (!link.empty()) resp.headers.emplace_back("Link", link);
  return resp;
}

Response GetWorkflow(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  auto w = FindWorkflow(ctx, access.project, r.Param("workflow"));
  if (!w.ok()) return Error(404, "Not Found");
  return Response::Json(200, Dump(WorkflowJson(ctx, access.project, w.value())));
}

Response Dispatch(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "developer", &access)) return *e;
  auto w = FindWorkflow(ctx, access.project, r.Param("workflow"));
  if (!w.ok()) return Error(404, "Not Found");
  nlohmann::json body = nlohmann::json::parse(r.body.empty() ? "{}" : r.body, nullptr, false);
  if (!body.is_object()) return Error(400, "Problems parsing JSON");
  if (!body.contains("ref") || !body["ref"].is_string() || body["ref"].get<std::string>().empty()) {
    return Error(422, "Invalid request.\n\n\"ref\" wasn't supplied.");
  }
  nlohmann::json inputs = body.value("inputs", nlohmann::json::object());
  if (!inputs.is_object()) return Error(422, "Invalid request.\n\n\"inputs\" must be an object.");
  std::string ref = body["ref"].get<std::string>();
  if (ref.rfind("refs/heads/", 0) == 0) ref = ref.substr(11);
  if (ref.rfind("refs/tags/", 0) == 0) ref = ref.substr(10);
  Request inner = r;
  inner.params["name"] = access.project.name;
  inner.params["file"] = w.value().path;
  inner.body = Dump({{"ref", ref}, {"inputs", inputs}});
  Response resp = DispatchWorkflow(ctx, inner, who);
  if (resp.status == 201) return Response::NoContent();
  return Rewrite(resp);
}

// Gantry keeps no enabled/disabled flag: a workflow is active while its file is in the default
// branch.
Response EnableOrDisable(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "maintainer", &access)) return *e;
  if (!FindWorkflow(ctx, access.project, r.Param("workflow")).ok()) return Error(404, "Not Found");
  return Error(422,
               "Gantry cannot enable or disable a workflow: it runs every workflow file in the "
               "default branch; remove the file, or its triggers, to stop it");
}

Response Contents(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  const store::Project& p = access.project;
  std::string ref = r.Query("ref").value_or(p.default_branch);
  auto sha = ctx.mirrors->Resolve(p.owner, p.name, ref.empty() ? "HEAD" : ref);
  if (!sha.ok()) return Error(404, "No commit found for the ref " + ref);
  const std::string path = r.Param("path");
  auto content = ctx.mirrors->ReadFile(p.owner, p.name, sha.value(), path);
  if (!content.ok()) return Error(404, "Not Found");
  const std::string url = RepoApiUrl(ctx, p) + "/contents/" + path + "?ref=" + ref;
  return Response::Json(200, Dump({{"type", "file"},
                                   {"encoding", "base64"},
                                   {"size", content.value().size()},
                                   {"name", path.substr(path.rfind('/') + 1)},
                                   {"path", path},
                                   {"content", Base64(content.value())},
                                   {"sha", sha.value()},
                                   {"url", url},
                                   {"html_url", ctx.config.base_url + "/" + p.owner + "/" + p.name +
                                                    "/blob/" + ref + "/" + path},
                                   {"download_url", nullptr}}));
}

Response Repo(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  nlohmann::json j = RepoJson(ctx, access.project);
  bool write = RoleRank(access.role) >= RoleRank("developer");
  j["permissions"] = {{"admin", access.role == "owner"},
                      {"maintain", RoleRank(access.role) >= RoleRank("maintainer")},
                      {"push", write},
                      {"triage", write},
                      {"pull", true}};
  return Response::Json(200, Dump(j));
}

Response Root(ApiContext& ctx) {
  const std::string api = ctx.config.base_url + "/api/v3";
  return Response::Json(
      200, Dump({{"current_user_url", api + "/user"},
                 {"repository_url", api + "/repos/{owner}/{repo}"},
                 {"installed_version", std::string("gantry ") + GANTRY_SERVER_VERSION}}));
}

Response User(ApiContext& ctx, const Principal& who) {
  nlohmann::json j = UserJson(ctx, who.user.username, who.user.id);
  j["name"] = who.user.username;
  j["email"] = who.user.email.empty() ? nlohmann::json(nullptr) : nlohmann::json(who.user.email);
  j["site_admin"] = who.user.is_admin;
  j["created_at"] = TimeJson(who.user.created_at);
  return Response::Json(200, Dump(j));
}

}  // namespace

void AddGitHubWorkflowRoutes(Router& router, ApiContext& ctx) {
  using Fn = Response (*)(ApiContext&, Request&, const Principal&);
  auto add = [&](const char* method, const std::string& path, Fn fn) {
    router.Add(method, "/api/v3/repos/{owner}/{repo}" + path,
               GhAuthed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("GET", "", Repo);
  add("GET", "/actions/workflows", ListWorkflowsHandler);
  add("GET", "/actions/workflows/{workflow}", GetWorkflow);
  add("POST", "/actions/workflows/{workflow}/dispatches", Dispatch);
  add("PUT", "/actions/workflows/{workflow}/enable", EnableOrDisable);
  add("PUT", "/actions/workflows/{workflow}/disable", EnableOrDisable);
  add("GET", "/contents/{path...}", Contents);
  auto root = GhAuthed(ctx, [&ctx](Request&, const Principal&) { return Root(ctx); });
  router.Add("GET", "/api/v3", root);
  router.Add("GET", "/api/v3/", root);
  router.Add("GET", "/api/v3/user",
             GhAuthed(ctx, [&ctx](Request&, const Principal& w) { return User(ctx, w); }));
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    router.Add(method, "/api/v3/{rest...}", [](Request&) { return Error(404, "Not Found"); });
  }
}

void AddGitHubRoutes(Router& router, ApiContext& ctx) {
  AddGitHubRunRoutes(router, ctx);
  AddGitHubLogRoutes(router, ctx);
  AddGitHubWorkflowRoutes(router, ctx);
  AddGraphQLRoute(router, ctx);
  AddCheckRoutes(router, ctx);
}

}  // namespace gantry::server::github

namespace gantry::server {
void AddGitHubRoutes(Router& router, ApiContext& ctx) { github::AddGitHubRoutes(router, ctx); }
}  // namespace gantry::server
