#pragma once

// The built-in actions/checkout of local runs: by default a clone of the local repository's
// commit under test with the working tree's uncommitted changes on top; with `ref:` (or a
// repository given by URL) that ref, checked out with git.

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/actions.h"

namespace gantry::actions {

/// Copies the working tree at `from` into the directory `to` (created if needed): files,
/// directories and symlinks (as symlinks), except every `.git` entry and any path listed in
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
