#pragma once

// Fetches remote actions (`uses: owner/repo[/path]@ref`) with git into a content-addressed
// cache: <cache_dir>/<owner>/<repo>/<sha>/ holds the files of one commit (no .git), and
// <cache_dir>/refs/<owner>/<repo>/<escaped ref> records the commit a tag or branch last
// resolved to, so that an offline run can use the cache.

#include <map>
#include <memory>
#include <string>

#include "engine/actions.h"

namespace gantry::actions {

/// How a git fetcher finds and stores action repositories.
struct FetcherOptions {
  /// The cache root; DefaultActionCacheDir() when empty.
  std::string cache_dir;
  /// A repository's URL is base_url + "/" + owner + "/" + repo.
  std::string base_url = "https://github.com";
  /// Per-owner replacement of base_url (the URL is still <url> + "/" + owner + "/" + repo),
  /// e.g. a file:// mirror. Owners are compared case-insensitively.
  std::map<std::string, std::string> owner_urls;
  /// "owner/repo@ref" -> a local directory used as is: no git, no cache, sha "".
  /// owner/repo are compared case-insensitively, the ref exactly.
  std::map<std::string, std::string> local_overrides;
  /// Only the cache: an action that is not cached is an Unavailable error.
  bool offline = false;
  /// The git program (looked up in PATH when it has no '/').
  std::string git = "git";
};

/// $XDG_CACHE_HOME/gantry/actions, else $HOME/.cache/gantry/actions (else a directory under
/// the system temp directory when neither is set).
std::string DefaultActionCacheDir();

/// A fetcher that runs git (through the host backend, with a clean fixed environment: no
/// user or system git config, no terminal prompts) and caches what it fetched. Thread-safe;
/// several processes may share one cache directory.
std::unique_ptr<engine::ActionFetcher> MakeGitFetcher(FetcherOptions options);

}  // namespace gantry::actions
