#pragma once

// @actions/glob-style pattern matching, shared by hashFiles() and the built-in actions that
// search files (upload-artifact & co.): multi-line pattern lists with `#` comments and `!`
// negation, `*`, `?`, `[...]` within a path segment, `**` across segments, a trailing `/` for
// directories only, implicit descendants, search paths and partial matches for pruning a walk.
// Pure string work: nothing here touches the file system.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::core {

/// Choices the callers of ParseGlobPattern(s) make differently.
struct GlobOptions {
  /// When set, a pattern "~" or "~/..." starts at this directory (@actions/glob expands `~` to
  /// the home directory); when unset, `~` is an ordinary file name.
  std::optional<std::string> home;
};

/// One parsed pattern line.
struct GlobPattern {
  bool negate = false;
  bool trailing_separator = false;    // the pattern ends in '/': it only matches directories
  std::vector<std::string> segments;  // of an absolute path, without the empty root segment
  std::string search_path;            // the literal segments before the first glob ("/" at top)
};

/// What MatchGlobs found for a path: bit flags.
enum GlobMatchKind : int {
  kGlobNone = 0,
  kGlobDirectory = 1,  // matched as a directory (by a pattern with a trailing '/')
  kGlobFile = 2,       // matched as a file
  kGlobAll = kGlobDirectory | kGlobFile,
};

/// How GlobSearchPaths decides that one search path lies below another.
enum class GlobAncestry {
  kPrefix,          // byte prefix followed by '/' ("/" is everyone's ancestor)
  kLexicallyNormal  // after lexical normalisation of both (`.` folded, trailing '/' ignored)
};

/// Parses one pattern `line` (already trimmed, not blank, not a comment): leading `!`s toggle
/// negation; a relative pattern is joined to `root` (absolute). InvalidArgument, naming the
/// pattern, when a `.` segment appears after the first or any `..` segment appears.
Result<GlobPattern> ParseGlobPattern(std::string line, const std::string& root,
                                     const GlobOptions& options);

/// Parses the lines of `text` (blank lines and `#` comments skipped, lines trimmed) and
/// appends them to `out` in order; a pattern that does not end in `**` is followed by a copy
/// that matches everything below what it matches (implicit descendants). Errors as
/// ParseGlobPattern; `out` may then hold the patterns before the bad line.
Status ParseGlobPatterns(std::string_view text, const std::string& root, const GlobOptions& options,
                         std::vector<GlobPattern>* out);

/// The GlobMatchKind bits for the absolute path split into `path_segments`: the patterns are
/// applied in order, each negated pattern clearing what it matches.
int MatchGlobs(const std::vector<GlobPattern>& patterns,
               const std::vector<std::string>& path_segments);

/// True when some non-negated pattern could match `path_segments` or a path below it, i.e.
/// a walk must descend into that directory.
bool PartialMatchGlobs(const std::vector<GlobPattern>& patterns,
                       const std::vector<std::string>& path_segments);

/// The directories to walk: the first occurrence of each non-negated search path that has no
/// ancestor (per `ancestry`) among the others, in pattern order.
std::vector<std::string> GlobSearchPaths(const std::vector<GlobPattern>& patterns,
                                         GlobAncestry ancestry);

/// The non-empty '/'-separated segments of `path` ("/a//b/" gives {"a", "b"}).
std::vector<std::string> SplitPathSegments(std::string_view path);

/// True when `path` is `root` or lies below it, compared lexically after normalisation (`.`
/// and `..` folded, trailing '/' ignored; no file system access).
bool IsLexicallyWithin(const std::string& path, const std::string& root);

/// True when `segment` holds a glob character (`*`, `?` or `[`, escaped or not).
bool HasGlobMagic(std::string_view segment);

/// True when the path segment `name` matches the glob segment `glob`: `*` (any run, dots
/// included), `?` (one UTF-8 character), `[...]` classes with ranges and `!`/`^` negation (an
/// unclosed `[` is literal), `\` escapes.
bool GlobSegmentMatches(const std::string& glob, const std::string& name);

}  // namespace gantry::core
