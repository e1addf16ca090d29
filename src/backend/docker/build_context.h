#pragma once

// The tar archive of a build context, as POST /build takes it.

#include <string>

#include "core/status.h"

namespace gantry::backend::docker {

/// A tar of everything below `dir` (paths relative to it; symlinks stored as links, not
/// followed). NotFound when `dir` is no directory; Internal on read errors.
core::Result<std::string> TarDirectory(const std::string& dir);

}  // namespace gantry::backend::docker
