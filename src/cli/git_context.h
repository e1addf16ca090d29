#pragma once

// The local git repository's state as GitHub would describe it: the `github` context of a
// run (sha, ref, repository, actor...) and a synthesized event payload.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "expr/value.h"

namespace gantry::cli {

/// Runs `git -C dir args...` and returns its stdout without the trailing newline.
/// Unavailable when git is missing or exits non-zero.
core::Result<std::string> RunGit(const std::filesystem::path& dir,
                                 const std::vector<std::string>& args);

/// What git knows about the repository holding a directory. Every field is empty when the
/// directory is not in a git repository (or git is not installed).
struct GitInfo {
  std::string toplevel;        // absolute path of the working tree root
  std::string sha;             // HEAD
  std::string parent_sha;      // HEAD~1, empty for a root commit
  std::string tree_sha;        // HEAD^{tree}
  std::string branch;          // current branch, empty when HEAD is detached
  std::string tag;             // a tag pointing at HEAD, if any
  std::string default_branch;  // origin's HEAD, else main/master when present, else branch
  std::string remote_url;      // remote.origin.url
  std::string user_name;       // git config user.name
  std::string user_email;      // git config user.email
  std::string message;         // HEAD's commit message
  std::string author_name, author_email, timestamp;  // HEAD's author and ISO-8601 date
};

/// Reads GitInfo for the repository holding `dir`.
GitInfo ReadGitInfo(const std::filesystem::path& dir);

/// Splits a remote URL (https, ssh, scp-like or a path) into "owner/name"; nullopt when the
/// URL has fewer than two path components.
std::optional<std::string> RepositoryFromRemote(const std::string& url);

/// Looks up an environment variable; injected so tests control the environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
/// The real process environment (empty values count as unset).
EnvLookup ProcessEnv();

/// Who and where a run is, after the documented environment overrides (GITHUB_ACTOR,
/// GITHUB_REPOSITORY, GITHUB_REPOSITORY_OWNER) are applied.
struct RunIdentity {
  std::string repository;  // owner/name
  std::string owner;
  std::string actor;
  std::string sha;
  std::string ref;       // refs/heads/<branch>, refs/tags/<tag>, refs/pull/<n>/merge or ""
  std::string ref_name;  // <branch>, <tag>, <n>/merge
  std::string ref_type;  // "branch" or "tag" (empty when unknown)
  std::string head_ref;  // pull_request*: the head branch
  std::string base_ref;  // pull_request*: the base branch
};

/// Derives the identity of a run of `event_name` with payload `event` (which may override
/// the ref: a push payload's `ref`, a pull request's number and head/base refs).
/// `project_dir` names the repository when git knows no remote.
RunIdentity ResolveIdentity(const GitInfo& git, const std::string& event_name,
                            const expr::Value& event, const std::filesystem::path& project_dir,
                            const EnvLookup& env);

/// A payload in the shape GitHub sends for `event_name` (push: ref, before, after,
/// head_commit, commits, pusher...; pull_request: number, pull_request.head/base...;
/// workflow_dispatch: inputs, ref...; every event: repository and sender).
expr::Value SynthesizeEvent(const std::string& event_name, const GitInfo& git,
                            const RunIdentity& id);

/// The `github` context of a run without the per-job fields the runner adds.
expr::Value BuildGithubContext(const std::string& event_name, const expr::Value& event,
                               const RunIdentity& id, const std::string& workflow_name,
                               const std::string& workflow_file);

/// Files changed by the event, relative to `project_dir` (files outside it are dropped):
/// a push payload's before..after, a pull request payload's base.sha...head.sha, else the
/// files of HEAD's last commit. nullopt when git cannot tell.
std::optional<std::vector<std::string>> ChangedFiles(const GitInfo& git,
                                                     const std::string& event_name,
                                                     const expr::Value& event,
                                                     const std::filesystem::path& project_dir);

}  // namespace gantry::cli
