#pragma once

// The file side of actions/cache: which files a `path:` input names, and the tar archive
// that holds them. Archive members are named "<root index>/<path below that root>", where
// the roots come from the `path:` patterns of the step that restores (its paths hash to the
// same cache version as the saver's), so an archive can never name a place of its own.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::actions {

/// The `path:` input resolved for one job.
struct CachePaths {
  /// One per include pattern, in input order: the directory its members are relative to
  /// (the pattern's literal prefix; for a pattern without wildcards, its parent directory).
  std::vector<std::string> roots;
  std::vector<std::string> includes;  // absolute, lexically normal patterns (parallel to roots)
  std::vector<std::string> excludes;  // absolute `!` patterns: a match drops the path and below
};

/// Resolves `patterns` (one per element, already trimmed, non-empty): `!` excludes, a leading
/// `~` is `home`, relative patterns are relative to `workspace`. InvalidArgument when no
/// include pattern remains or a pattern names the file system root.
core::Result<CachePaths> ResolveCachePaths(const std::vector<std::string>& patterns,
                                           const std::string& workspace, const std::string& home);

/// What WriteCacheArchive wrote.
struct ArchiveStats {
  uint64_t members = 0;  // files, directories and symlinks
  uint64_t bytes = 0;    // size of the archive
};

/// Writes every file, directory (recursively) and symlink (not followed) that `paths`
/// matches into an uncompressed pax tar on `fd`, keeping modes and nanosecond mtimes.
/// `warn` receives one line per file that could not be read (it is skipped).
core::Result<ArchiveStats> WriteCacheArchive(const CachePaths& paths, int fd,
                                             const std::function<void(std::string_view)>& warn);

/// Extracts the archive on `fd` below `roots` (CachePaths::roots of the restoring step),
/// restoring modes, symlinks and mtimes and replacing existing files. InvalidArgument, before
/// anything is written for that member, for a member that would land outside its root (bad
/// root index, `..`, absolute, through a symlink of the archive) or of an unsupported type.
core::Result<uint64_t> ExtractCacheArchive(int fd, const std::vector<std::string>& roots);

}  // namespace gantry::actions
