#pragma once

// Small file-system helpers shared by the layers.

#include <filesystem>
#include <string_view>

#include "core/status.h"

namespace gantry::core {

/// Writes `content` to `path` atomically: a temp file beside it (unique per process and
/// thread), then a rename, so readers see the old file or the new one, never a part. Creates
/// the parent directory. Unavailable when it cannot be written.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace gantry::core
