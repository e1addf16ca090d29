#pragma once

// The server's bare mirrors of project repositories (DATA/git/<owner>/<name>.git): created
// when a project is created, fetched when a webhook or a poll says the remote moved, and read
// at exact commits (workflow files, commit messages, changed files) through a GitBackend
// (libgit2 in-process when installed, else the `git` program).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "server/git_backend.h"

namespace gantry::server {

/// Thread-safe; one fetch at a time per mirror.
class GitMirrors {
 public:
  /// Mirrors under `root`, read and fetched through the backend `make` returns, called on
  /// first use (libgit2 and its libraries load only once a project is touched).
  GitMirrors(std::string root, std::function<std::unique_ptr<GitBackend>()> make);
  /// Waits for a running `git maintenance`.
  ~GitMirrors();
  GitMirrors(const GitMirrors&) = delete;
  GitMirrors& operator=(const GitMirrors&) = delete;

  /// Where a project's repository is (its clone URL). With it set, a mirror this server lacks
  /// is cloned on first use, and a commit it lacks is fetched once: another replica received
  /// the project's creation or the push.
  using OriginFn =
      std::function<core::Result<std::string>(const std::string& owner, const std::string& name)>;
  void SetOrigins(OriginFn origins) { origins_ = std::move(origins); }

  /// What reads the mirrors: "libgit2" or "git".
  const char* backend_name() { return Backend().name(); }

  /// DATA/git/<owner>/<name>.git
  std::string PathFor(const std::string& owner, const std::string& name) const;
  /// Clones `url` (a local path, file://, https://, ssh://) as a bare mirror. InvalidArgument
  /// with git's message when it cannot be cloned. An existing mirror is replaced.
  core::Status Create(const std::string& owner, const std::string& name, const std::string& url);
  /// Fetches every branch and tag from the remote (prunes deleted ones).
  core::Status Fetch(const std::string& owner, const std::string& name);
  /// Whether the mirror's `ref` (a full ref name, stored as a loose ref) already points at
  /// `sha`: a push the mirror already has needs no fetch. Reads the ref file; runs nothing.
  bool RefIs(const std::string& owner, const std::string& name, const std::string& ref,
             const std::string& sha);
  /// The commit `ref` names ("main", "refs/heads/main", a sha, a tag). NotFound when none.
  core::Result<std::string> Resolve(const std::string& owner, const std::string& name,
                                    const std::string& ref);
  /// Every branch and tag: full ref name → sha.
  core::Result<std::map<std::string, std::string>> Refs(const std::string& owner,
                                                        const std::string& name);
  /// `.github/workflows/*.yml|*.yaml` at `sha`, sorted. Reads their contents too, so ReadFile
  /// of each at a full sha reads nothing more.
  core::Result<std::vector<std::string>> Workflows(const std::string& owner,
                                                   const std::string& name, const std::string& sha);
  /// The content of `path` at `sha`. NotFound when it is not there. Contents at a full sha
  /// are kept in memory (they cannot change; at most kCacheBytes).
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
  static constexpr size_t kCacheBytes = size_t{32} << 20;
  static constexpr int kMaintenanceEvery = 16;
  std::mutex& LockFor(const std::string& path);
  std::optional<std::string> Cached(const std::string& key);
  void Keep(const std::string& key, const std::string& content);

  /// Runs `git maintenance run --auto` on `path` in the background (one at a time): git's
  /// own, after a fetch, would be on the webhook's path; it only acts past git's thresholds
  /// (e.g. gc.autoPackLimit packs, as many small fetches leave).
  void Maintain(const std::string& path);

  /// Clones the mirror when it is missing (SetOrigins).
  void Ensure(const std::string& owner, const std::string& name);
  /// Fetches when `sha` (a full one) is not in the mirror; true when it fetched.
  bool FetchMissing(const std::string& owner, const std::string& name, const std::string& sha);

  std::string root_;
  OriginFn origins_;
  GitBackend& Backend();

  std::function<std::unique_ptr<GitBackend>()> make_backend_;
  std::once_flag backend_once_;
  std::unique_ptr<GitBackend> backend_;  // set once by Backend()
  std::atomic<bool> maintaining_{false};
  std::thread maintenance_;  // guarded by mu_
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;  // guarded by mu_
  std::map<std::string, int> fetches_;                        // guarded by mu_
  std::mutex cache_mu_;
  // "<mirror>\n<sha>\n<path>" → content; "<mirror>\n<sha>\n" → the workflow list (one
  // name a line). Guarded by cache_mu_.
  std::map<std::string, std::string> cache_;
  size_t cache_bytes_ = 0;  // guarded by cache_mu_
};

}  // namespace gantry::server
