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

namespace gantry::workflow {

/// How a load resolves what a workflow refers to.
struct LoadOptions {
  /// Reads a local file referenced by the workflow, given its repository-relative path
  /// (e.g. ".github/workflows/called.yml" for `uses: ./.github/workflows/called.yml`).
  /// nullopt when it does not exist. Unset: reusable workflows are not followed.
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  /// Nesting depth of reusable workflow calls GitHub allows (caller + 9 levels... see
  /// GitHub docs; the loader enforces it when read_file is set).
  int max_call_depth = 10;
};

/// The outcome of loading one workflow file. `workflow` is set whenever the YAML parsed,
/// even when there are diagnostics (so lint can report more), and is usable by the engine
/// only when `diagnostics` is empty.
struct LoadResult {
  std::shared_ptr<const Workflow> workflow;
  Diagnostics diagnostics;
  bool ok() const { return workflow != nullptr && diagnostics.empty(); }
};

/// Loads `content` as the workflow file `file` (the name used in diagnostics, typically
/// ".github/workflows/ci.yml"). Never throws; every problem becomes a Diagnostic.
LoadResult LoadWorkflow(std::string_view content, const std::string& file,
                        const LoadOptions& options = {});

/// Reads and loads a file from disk; an unreadable file is one Diagnostic.
LoadResult LoadWorkflowFile(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace gantry::workflow
