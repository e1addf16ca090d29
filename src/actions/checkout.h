#pragma once

// The built-in actions/checkout of local runs: the working tree of the local repository is
// copied into the workspace, or a ref of it (or of a repository given by URL) is checked out
// with git.

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/actions.h"

namespace gantry::actions {

/// Copies the working tree at `from` into the directory `to` (created if needed): files,
/// directories and symlinks (as symlinks), except `from`/.git and any path listed in
/// `exclude` (e.g. the run directory when it lies inside the repository). Existing files are
/// overwritten. NotFound when `from` is not a directory; Internal naming the path otherwise.
core::Status CopyWorkingTree(const std::string& from, const std::string& to,
                             const std::vector<std::string>& exclude);

/// Runs actions/checkout (main stage) as docs/actions.md describes: inputs `repository`,
/// `ref`, `path`, `clean`, `fetch-depth`, `submodules`, `persist-credentials` (the others are
/// accepted and ignored); outputs `ref` and `commit`. git runs as a real process with
/// GIT_TERMINAL_PROMPT=0 and stops when call.cancel fires.
engine::BuiltinResult RunCheckout(const engine::BuiltinCall& call);

}  // namespace gantry::actions
