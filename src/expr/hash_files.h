#pragma once

// hashFiles(): the SHA-256 of the matching files under the workspace, as GitHub's runner
// computes it (glob semantics of @actions/glob).

#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::expr {

/// Hashes the files under `workspace` (the current directory when empty) matched by
/// `patterns`: each pattern may hold several lines; blank lines and `#` comments are ignored;
/// `!` negates; `*`, `?`, `[...]` match within a path segment, `**` any number of segments;
/// a pattern naming a directory matches everything below it. Files are visited depth-first
/// with each directory's entries in byte order. The result is the hex SHA-256 of the
/// concatenated SHA-256 digests of the files' contents, or "" when nothing matches.
/// InvalidArgument for a pattern using `..`; Unavailable when a matched file is unreadable.
core::Result<std::string> HashFiles(const std::string& workspace,
                                    const std::vector<std::string>& patterns);

}  // namespace gantry::expr
