#pragma once

// How the server reads and fetches its bare mirrors (server/git_mirrors.h): the boundary
// between the mirrors' caching and locking and the git implementation underneath. Two
// implementations: libgit2 opened with dlopen (in-process reads, in-process fetch from a local
// repository) and the `git` program (the fallback when libgit2 is not installed, and what
// fetches from remote URLs so that the user's git configuration and credentials apply).

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::server {

/// Operations on one bare repository at `repo` (a directory). Thread-safe for different
/// repositories; GitMirrors serializes fetches of one repository.
class GitBackend {
 public:
  virtual ~GitBackend() = default;
  /// "libgit2" or "git": what the server's log says it reads repositories with.
  virtual const char* name() const = 0;
  /// Fetches the remote "origin" with its configured refspecs (a mirror: every ref), pruning
  /// refs deleted there. Unavailable with the reason when it fails.
  virtual core::Status Fetch(const std::string& repo) = 0;
  /// The commit `ref` names ("main", "refs/heads/main", a tag, a sha). NotFound when none.
  virtual core::Result<std::string> Resolve(const std::string& repo, const std::string& ref) = 0;
  /// Every branch and tag: full ref name → the sha it points at (a tag object's own sha for
  /// an annotated tag, as `git for-each-ref` prints).
  virtual core::Result<std::map<std::string, std::string>> Refs(const std::string& repo) = 0;
  /// The `.yml` and `.yaml` files directly in `dir` (e.g. ".github/workflows") at `commit`
  /// with their contents, sorted by path ("dir/file.yml"). Empty when there is no such
  /// directory; an error when `commit` cannot be read.
  virtual core::Result<std::vector<std::pair<std::string, std::string>>> YamlFiles(
      const std::string& repo, const std::string& commit, const std::string& dir) = 0;
  /// The content of `path` at `commit`. NotFound when it is not there.
  virtual core::Result<std::string> ReadFile(const std::string& repo, const std::string& commit,
                                             const std::string& path) = 0;
  /// Paths that differ between the trees of `before` and `after` (like `git diff
  /// --name-only`). An error when either commit is unknown.
  virtual core::Result<std::vector<std::string>> ChangedFiles(const std::string& repo,
                                                              const std::string& before,
                                                              const std::string& after) = 0;
  /// The commit's subject (its first paragraph on one line) and author name.
  virtual core::Result<std::pair<std::string, std::string>> CommitInfo(
      const std::string& repo, const std::string& commit) = 0;
};

/// Runs the `git` program for every operation.
std::unique_ptr<GitBackend> MakeProcessGitBackend();

/// libgit2 (loaded on first call; Unavailable, naming the package, when it cannot be). Fetches
/// from a local origin (an absolute path or file://) run in-process; from any other URL they
/// run `git fetch` through `fallback`.
core::Result<std::unique_ptr<GitBackend>> MakeLibgit2Backend(std::unique_ptr<GitBackend> fallback);

/// libgit2 when it loads, else the `git` program.
std::unique_ptr<GitBackend> MakeGitBackend();

}  // namespace gantry::server
