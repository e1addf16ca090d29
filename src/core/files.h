#pragma once

// Small file-system helpers shared by the layers.

#include <filesystem>
#include <string_view>

#include "core/status.h"

namespace gantry::core {

/// Who may read a file written by WriteFileAtomically.
enum class FileMode {
  kDefault,  // 0666 less the umask, as any new file
  kPrivate,  // 0600 whatever the umask, from its creation on (for files holding credentials)
};

/// Writes `content` to `path` atomically: a temp file beside it (unique per process and
/// thread), then a rename, so readers see the old file or the new one, never a part. Creates
/// the parent directory. The file gets `mode` (an existing file's mode is replaced).
/// Unavailable when it cannot be written.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           FileMode mode = FileMode::kDefault);

}  // namespace gantry::core
