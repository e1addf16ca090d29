#pragma once

// Path helpers shared by the built-in actions: resolving user-given paths without letting
// them escape the workspace, @actions/glob-style file search, and tree copies.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::actions {

/// True when `path` is `root` or lies below it. Both are compared lexically after
/// normalisation (no file system access): resolve symlinks first where that matters.
bool IsWithin(const std::string& path, const std::string& root);

/// The canonical form of `path` (symlinks of the existing prefix resolved, `.`/`..` folded),
/// or the lexically normal absolute path when that fails. No trailing '/' (except "/").
std::string Canonical(const std::string& path);

/// `path` with a leading `~` (alone or before '/') replaced by $HOME.
std::string ExpandHome(std::string_view path);

/// Resolves a user-given `path` (`what` names it in errors, e.g. "path"): a leading `~` is
/// the home directory, a relative path is joined to `base`. InvalidArgument when the path has
/// a `..` component, or when its canonical form is not within one of `roots`. Returns the
/// lexically normal absolute path ("" resolves to `base`).
core::Result<std::string> ResolveWithin(std::string_view path, const std::string& base,
                                        const std::vector<std::string>& roots,
                                        std::string_view what);

/// How FindFiles searches.
struct FindOptions {
  bool include_hidden = true;  // false: skip files and directories whose name starts with '.'
  /// Every file found (after following symlinks) must lie within one of these; symlinks and
  /// paths leading elsewhere are skipped with a warning. Empty: no restriction.
  std::vector<std::string> roots;
  std::function<void(std::string_view)> warn;  // receives one line per skipped path
};

/// The result of FindFiles.
struct FoundFiles {
  std::vector<std::string> files;         // absolute paths as reached (links not resolved)
  std::vector<std::string> search_paths;  // @actions/glob's getSearchPaths()
};

/// Searches files like @actions/glob with implicit descendants: `patterns` holds one pattern
/// per line (blank lines and `#` comments ignored, `!` negates, `*`, `?`, `[...]` within a
/// segment, `**` across segments, `~` is the home directory); relative patterns are relative
/// to `base`. Only files (and symlinks to files) are returned, depth-first in byte order.
/// InvalidArgument for a pattern with a `..` segment or one whose search path lies outside
/// `options.roots`.
core::Result<FoundFiles> FindFiles(std::string_view patterns, const std::string& base,
                                   const FindOptions& options);

/// The deepest directory that contains every path of `paths` (absolute, normal); "" when
/// `paths` is empty.
std::string LeastCommonAncestor(const std::vector<std::string>& paths);

/// Copies the regular file `from` (following symlinks) to `to`, creating parent directories
/// and replacing whatever is at `to` (a symlink at `to` is replaced, never written through).
core::Status CopyFileReplacing(const std::string& from, const std::string& to);

/// Removes everything inside `dir` (the directory itself stays); creates it if missing.
core::Status EmptyDirectory(const std::string& dir);

}  // namespace gantry::actions
