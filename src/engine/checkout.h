#pragma once

// The built-in `actions/checkout` of local runs: the repository's working tree is copied
// into the job's workspace (nothing is fetched).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/contexts.h"

namespace gantry::engine {

/// Copies the working tree at `from` into the directory `to` (created if needed): files,
/// directories and symlinks (as symlinks), except `from`/.git and any path listed in
/// `exclude` (absolute; e.g. the run directory when it lies inside the repository). Existing
/// files are overwritten. Internal error naming the path on failure.
core::Status CopyWorkingTree(const std::string& from, const std::string& to,
                             const std::vector<std::string>& exclude);

/// A `uses:` step as gantry exec runs it today.
struct UsesStep {
  std::string uses;                  // as written, e.g. "actions/checkout@v4"
  EnvList with;                      // evaluated `with:` inputs
  std::string github_repository;     // github.repository ("owner/name"), may be empty
  std::string repository_dir;        // RunOptions::repository_dir
  std::string shared_workspace;      // RunOptions::shared_workspace
  std::string workspace;             // the job's workspace
  std::vector<std::string> exclude;  // never copied (the run directory)
};

/// Runs `step`: `actions/checkout@<any ref>` of the local repository copies its working tree
/// into the workspace (or its `path:`), or does nothing with a shared workspace; any other
/// action is not supported yet. Progress lines go to `log`. Returns "" on success, else why
/// the step failed.
std::string RunUsesStep(const UsesStep& step, const std::function<void(std::string_view)>& log);

}  // namespace gantry::engine
