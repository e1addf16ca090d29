#pragma once

// Entry point of the workflow layer: YAML text → validated, typed Workflow + diagnostics.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "workflow/diagnostic.h"
#include "workflow/model.h"
#include "workflow/reusable.h"

namespace gantry::workflow {

/// How a load resolves what a workflow refers to.
struct LoadOptions {
  /// Reads a reusable workflow the workflow calls. Local calls (`uses: ./.github/workflows/x.yml`)
  /// ask for the repository-relative path (".github/workflows/x.yml"): nullopt means the file
  /// does not exist, an error. Remote calls ask for the reference exactly as written
  /// ("owner/repo/.github/workflows/x.yml@v1"): nullopt means it is not available here, and
  /// the call is left unchecked. Unset: no reusable workflow is followed.
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  /// The absolute folder local paths resolve against (the repository root), named in the
  /// "was not found" message of a local call together with the file looked for. Empty: the
  /// message names the repository-relative path only.
  std::string repository_root;
  /// How deep reusable workflow calls may nest: GitHub allows ten levels of workflows, the
  /// top-level caller and nine levels of called workflows (a call from the top level is 1).
  int max_call_depth = 9;
  /// Token permissions of a workflow and job that set none (the repository setting), against
  /// which the permissions requested by called workflows are checked.
  PermissionPolicy permissions_policy = PermissionPolicy::kWrite;
  /// When > 0, the most jobs a run may have, counting the jobs of called workflows.
  int max_jobs = 0;
};

/// The outcome of loading one workflow file. `workflow` is set whenever the YAML parsed,
/// even when there are diagnostics (so lint can report more), and is usable by the engine
/// only when `diagnostics` holds no error (warnings leave it usable).
struct LoadResult {
  std::shared_ptr<const Workflow> workflow;
  Diagnostics diagnostics;
  bool ok() const { return workflow != nullptr && !HasErrors(diagnostics); }
};

/// Loads `content` as the workflow file `file` (the name used in diagnostics, typically
/// ".github/workflows/ci.yml"). Never throws; every problem becomes a Diagnostic. The
/// diagnostics of `file` come first, sorted by position, then those of each called workflow
/// (named by the path or reference it was read under).
LoadResult LoadWorkflow(std::string_view content, const std::string& file,
                        const LoadOptions& options = {});

/// Reads and loads a file from disk; an unreadable file is one Diagnostic.
LoadResult LoadWorkflowFile(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace gantry::workflow
