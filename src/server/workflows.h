#pragma once

// A project's workflows, as `gh workflow` and `gantry workflow` see them. Gantry keeps no
// workflows table: a project's workflows are the .github/workflows/*.yml|yaml files at the
// head of its default branch in the server's git mirror, plus any other workflow file its runs
// name (state "deleted"). Each has a stable numeric id derived from the project and the path.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "server/api.h"

namespace gantry::server {

struct WorkflowInfo {
  int64_t id = 0;     // WorkflowId(project, path)
  std::string name;   // the YAML's `name:`, else the path
  std::string path;   // ".github/workflows/ci.yml"
  std::string state;  // "active" (in the default branch) or "deleted" (only runs name it)
  std::string sha;    // the default branch's head commit ("" for a deleted workflow)
};

/// A positive id below 2^53 (exact in JSON numbers) from the project id and the file's path;
/// the same inputs always give the same id.
int64_t WorkflowId(store::Id project_id, std::string_view path);

/// The `name:` of a workflow's YAML text; `fallback` when it has none or does not parse.
std::string WorkflowName(const std::string& yaml, const std::string& fallback);

/// The project's workflows sorted by path: the default branch's files first, then those only
/// runs remember. Reads the mirror (no fetch); a project whose mirror cannot be read lists
/// only the workflows of its runs.
core::Result<std::vector<WorkflowInfo>> ListWorkflows(ApiContext& ctx,
                                                      const store::Project& project);

/// The workflow `selector` names: a numeric id, a file name ("ci.yml") or a path
/// (".github/workflows/ci.yml"). NotFound naming the selector when none matches.
core::Result<WorkflowInfo> FindWorkflow(ApiContext& ctx, const store::Project& project,
                                        std::string_view selector);

/// The YAML of an active workflow at the default branch's head. NotFound for a deleted one.
core::Result<std::string> WorkflowYaml(ApiContext& ctx, const store::Project& project,
                                       const WorkflowInfo& workflow);

/// Adds GET /api/v1/projects/{owner}/{name}/workflows and …/workflows/{file}.
void AddWorkflowRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
