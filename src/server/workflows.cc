#include "server/workflows.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>

#include "server/git_mirrors.h"
#include "server/workflow_dispatch.h"

namespace gantry::server {
namespace {

constexpr std::string_view kWorkflowDir = ".github/workflows/";

// The default branch's head: the project's default branch, else the mirror's HEAD.
core::Result<std::string> HeadSha(ApiContext& ctx, const store::Project& p) {
  if (ctx.mirrors == nullptr) return core::Status::Unavailable("no git mirrors");
  std::string branch = p.default_branch.empty() ? "HEAD" : p.default_branch;
  return ctx.mirrors->Resolve(p.owner, p.name, branch);
}

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

int64_t WorkflowId(store::Id project_id, std::string_view path) {
  // FNV-1a (64 bits) of "<project id>\n<path>", folded to 53 bits.
  uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view text) {
    for (char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  mix(std::to_string(project_id));
  mix("\n");
  mix(path);
  auto id = static_cast<int64_t>((h ^ (h >> 53)) & ((uint64_t{1} << 53) - 1));
  return id == 0 ? 1 : id;
}

std::string WorkflowName(const std::string& yaml, const std::string& fallback) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (root.IsMap() && root["name"] && root["name"].IsScalar()) {
      std::string name = root["name"].as<std::string>();
      if (!name.empty()) return name;
    }
  } catch (const std::exception&) {
    // A workflow that does not parse is still listed, under its path.
  }
  return fallback;
}

core::Result<std::vector<WorkflowInfo>> ListWorkflows(ApiContext& ctx,
                                                      const store::Project& project) {
  std::map<std::string, WorkflowInfo> by_path;
  if (auto sha = HeadSha(ctx, project); sha.ok()) {
    auto files = ctx.mirrors->Workflows(project.owner, project.name, sha.value());
    if (files.ok()) {
      for (const std::string& path : files.value()) {
        auto yaml = ctx.mirrors->ReadFile(project.owner, project.name, sha.value(), path);
        WorkflowInfo w;
        w.id = WorkflowId(project.id, path);
        w.name = WorkflowName(yaml.ok() ? yaml.value() : "", path);
        w.path = path;
        w.state = "active";
        w.sha = sha.value();
        by_path[path] = std::move(w);
      }
    }
  }
  auto from_runs = ctx.store->ListRunWorkflows(project.id);
  if (!from_runs.ok()) return from_runs.status();
  for (const store::RunWorkflow& rw : from_runs.value()) {
    if (by_path.count(rw.file) != 0) continue;
    WorkflowInfo w;
    w.id = WorkflowId(project.id, rw.file);
    w.name = rw.name.empty() ? rw.file : rw.name;
    w.path = rw.file;
    w.state = "deleted";
    by_path[rw.file] = std::move(w);
  }
  std::vector<WorkflowInfo> out;
  out.reserve(by_path.size());
  for (auto& [path, w] : by_path) out.push_back(std::move(w));
  std::stable_partition(out.begin(), out.end(),
                        [](const WorkflowInfo& w) { return w.state == "active"; });
  return out;
}

core::Result<WorkflowInfo> FindWorkflow(ApiContext& ctx, const store::Project& project,
                                        std::string_view selector) {
  auto list = ListWorkflows(ctx, project);
  if (!list.ok()) return list.status();
  std::optional<store::Id> id = ParseId(selector);
  for (const WorkflowInfo& w : list.value()) {
    if ((id && w.id == *id) || w.path == selector ||
        (selector.find('/') == std::string_view::npos && BaseName(w.path) == selector &&
         w.path.rfind(kWorkflowDir, 0) == 0)) {
      return w;
    }
  }
  return core::Status::NotFound("no workflow '" + std::string(selector) + "' in " + project.owner +
                                "/" + project.name +
                                " (give a file name like ci.yml, a path or a workflow id)");
}

core::Result<std::string> WorkflowYaml(ApiContext& ctx, const store::Project& project,
                                       const WorkflowInfo& workflow) {
  if (workflow.state != "active" || workflow.sha.empty()) {
    return core::Status::NotFound("workflow '" + workflow.path +
                                  "' is not in the default branch any more");
  }
  return ctx.mirrors->ReadFile(project.owner, project.name, workflow.sha, workflow.path);
}

namespace {

nlohmann::json InfoJson(const WorkflowInfo& w) {
  return {{"id", w.id}, {"name", w.name}, {"path", w.path}, {"state", w.state}};
}

Response List(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "viewer", &access)) {
    return *e;
  }
  auto list = ListWorkflows(ctx, access.project);
  if (!list.ok()) return StoreError(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const WorkflowInfo& w : list.value()) {
    arr.push_back(InfoJson(w));
    auto yaml = WorkflowYaml(ctx, access.project, w);
    arr.back()["dispatch"] = yaml.ok() ? DispatchJson(yaml.value(), w.path) : nullptr;
  }
  return Response::Json(200, Dump({{"workflows", arr}}));
}

Response Get(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "viewer", &access)) {
    return *e;
  }
  auto w = FindWorkflow(ctx, access.project, r.Param("file"));
  if (!w.ok()) return Response::Error(404, "not_found", w.status().message());
  nlohmann::json j = InfoJson(w.value());
  auto yaml = WorkflowYaml(ctx, access.project, w.value());
  j["yaml"] = yaml.ok() ? yaml.value() : "";
  j["dispatch"] = yaml.ok() ? DispatchJson(yaml.value(), w.value().path) : nullptr;
  return Response::Json(200, Dump(j));
}

}  // namespace

void AddWorkflowRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/api/v1/projects/{owner}/{name}/workflows",
             Authed(ctx, [&ctx](Request& r, const Principal& w) { return List(ctx, r, w); }));
  router.Add("GET", "/api/v1/projects/{owner}/{name}/workflows/{file}",
             Authed(ctx, [&ctx](Request& r, const Principal& w) { return Get(ctx, r, w); }));
}

}  // namespace gantry::server
