#pragma once

// The built-in `actions/checkout` of local runs: the repository's working tree is copied
// into the job's workspace (nothing is fetched).

#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::engine {

/// Copies the working tree at `from` into the directory `to` (created if needed): files,
/// directories and symlinks (as symlinks), except `from`/.git and any path listed in
/// `exclude` (absolute; e.g. the run directory when it lies inside the repository). Existing
/// files are overwritten. Internal error naming the path on failure.
core::Status CopyWorkingTree(const std::string& from, const std::string& to,
                             const std::vector<std::string>& exclude);

}  // namespace gantry::engine
