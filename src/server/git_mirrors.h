#pragma once

// The server's bare mirrors of project repositories (DATA/git/<owner>/<name>.git): created
// when a project is created, fetched when a webhook or a poll says the remote moved, and read
// at exact commits (workflow files, commit messages, changed files). Runs the `git` program.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::server {

/// Runs `args` (args[0] looked up in PATH) in `cwd` with stdin from /dev/null; returns its
/// stdout, or Unavailable with its stderr's last lines when it exits non-zero.
core::Result<std::string> RunProgram(const std::vector<std::string>& args, const std::string& cwd);

/// Thread-safe; one fetch at a time per mirror.
class GitMirrors {
 public:
  explicit GitMirrors(std::string root);

  /// DATA/git/<owner>/<name>.git
  std::string PathFor(const std::string& owner, const std::string& name) const;
  /// Clones `url` (a local path, file://, https://, ssh://) as a bare mirror. InvalidArgument
  /// with git's message when it cannot be cloned. An existing mirror is replaced.
  core::Status Create(const std::string& owner, const std::string& name, const std::string& url);
  /// Fetches every branch and tag from the remote (prunes deleted ones).
  core::Status Fetch(const std::string& owner, const std::string& name);
  /// The commit `ref` names ("main", "refs/heads/main", a sha, a tag). NotFound when none.
  core::Result<std::string> Resolve(const std::string& owner, const std::string& name,
                                    const std::string& ref);
  /// Every branch and tag: full ref name → sha.
  core::Result<std::map<std::string, std::string>> Refs(const std::string& owner,
                                                        const std::string& name);
  /// `.github/workflows/*.yml|*.yaml` at `sha`, sorted.
  core::Result<std::vector<std::string>> Workflows(const std::string& owner,
                                                   const std::string& name, const std::string& sha);
  /// The content of `path` at `sha`. NotFound when it is not there.
  core::Result<std::string> ReadFile(const std::string& owner, const std::string& name,
                                     const std::string& sha, const std::string& path);
  /// Files changed between `before` and `after` (nullopt-like error when before is unknown).
  core::Result<std::vector<std::string>> ChangedFiles(const std::string& owner,
                                                      const std::string& name,
                                                      const std::string& before,
                                                      const std::string& after);
  /// The subject line of the commit and its author name.
  core::Result<std::pair<std::string, std::string>> CommitInfo(const std::string& owner,
                                                               const std::string& name,
                                                               const std::string& sha);

 private:
  std::mutex& LockFor(const std::string& path);

  std::string root_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;  // guarded by mu_
};

}  // namespace gantry::server
