#pragma once

// Which workflow files `gantry exec` considers, the repository root they belong to, and
// loading them (with local reusable workflows) into validated models.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/exec_config.h"
#include "core/status.h"
#include "engine/actions.h"
#include "workflow/diagnostic.h"
#include "workflow/model.h"

namespace gantry::cli {

/// The repository root and the workflow files of a run.
struct WorkflowSource {
  /// Absolute repository root: --workspace; else RepositoryRootFor(the -W path or the
  /// `.github/workflows/` folder found), the rule gantry lint uses too.
  std::filesystem::path root;
  /// Workflow files (`*.yml`/`*.yaml`, sorted), as the user sees them (relative paths stay
  /// relative to the current directory).
  std::vector<std::filesystem::path> files;
};

/// Resolves `-W` (a file or a folder, non-recursive; empty = `.github/workflows/` of the
/// current directory or of its git working tree) and `--workspace`. InvalidArgument /
/// NotFound with a user-facing message when there is nothing to run.
core::Result<WorkflowSource> FindWorkflowFiles(const std::string& workflows_arg,
                                               const std::string& workspace);

/// One loaded workflow file.
struct LoadedWorkflow {
  std::string display;    // path as printed in messages (relative to the current directory)
  std::string repo_path;  // path relative to the root, e.g. ".github/workflows/ci.yml"
  std::shared_ptr<const workflow::Workflow> workflow;
};

/// Loads every file; local reusable workflows (`uses: ./.github/workflows/x.yml`) resolve
/// against `root`, remote ones (`owner/repo/path@ref`) are fetched with `fetcher` (when it is
/// not nullptr). Problems are appended to `diagnostics` (named by display path); a file with
/// problems is not returned.
std::vector<LoadedWorkflow> LoadWorkflows(const WorkflowSource& source,
                                          workflow::Diagnostics& diagnostics,
                                          engine::ActionFetcher* fetcher = nullptr);

/// True when a job of `wf` calls a remote reusable workflow (`owner/repo/path@ref`).
bool HasRemoteCalls(const workflow::Workflow& wf);

/// Loads `lw` again with `fetcher` resolving its remote reusable workflows (only the
/// workflows a run needs are fetched). Problems go to `diagnostics`; `lw` is kept on error.
void LoadRemoteCalls(const WorkflowSource& source, LoadedWorkflow& lw,
                     workflow::Diagnostics& diagnostics, engine::ActionFetcher& fetcher);

/// A copy of `wf` whose workflow-level env starts with `values` (lowest precedence: the
/// workflow's own env entries of the same name win). Values are literal text: any `${{` in
/// them is not evaluated. `wf` is returned unchanged when its env is one expression.
std::shared_ptr<const workflow::Workflow> WithBaseEnv(
    const std::shared_ptr<const workflow::Workflow>& wf, const NameValues& values);

}  // namespace gantry::cli
