#pragma once

// What the engine needs from the actions layer (src/actions/ implements these; the CLI wires
// them into RunOptions): the parsed form of a step's `uses:`, fetching remote actions, and
// the built-in actions that run natively. The engine itself runs composite and node actions
// and pre/post stages; the engine never depends on src/actions/ directly.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"
#include "engine/contexts.h"

namespace gantry::engine {

/// Receives progress lines (without '\n').
using LogLine = std::function<void(std::string_view line)>;

/// A step's `uses:`, parsed.
struct ActionReference {
  enum class Kind { kLocal, kRemote, kDocker };
  Kind kind = Kind::kRemote;
  std::string uses;  // as written, trimmed
  // kRemote: owner/repo[/path]@ref
  std::string owner, repo, path, ref;
  // kLocal: the path as written ("./dir", "./" or "."), relative to the workspace; GitHub's
  // self-repository form "$/dir" is kept as "./dir"
  std::string local_path;
  // kDocker: the image after "docker://"
  std::string image;

  /// "owner/repo" (remote), else "".
  std::string repository() const { return kind == Kind::kRemote ? owner + "/" + repo : ""; }
  /// Lower-cased "owner/repo[/path]" without the ref: the built-in action key.
  std::string name() const;
};

/// Parses `uses`. InvalidArgument in the runner's words for a malformed one: "Expected
/// format {org}/{repo}[/path]@ref. Actual '<uses>'" (also for an empty ref or a missing '@').
core::Result<ActionReference> ParseActionReference(std::string_view uses);

/// A remote action's repository, fetched.
struct FetchedAction {
  std::string dir;  // the repository's files at the resolved commit (read-only for steps)
  std::string sha;  // the resolved commit
};

/// Fetches remote actions (src/actions/ implements it with git and a content-addressed cache).
/// Thread-safe: several jobs may fetch the same action at once.
class ActionFetcher {
 public:
  virtual ~ActionFetcher() = default;
  /// Returns the repository owner/repo at `ref` (a tag, a branch or a full commit sha).
  /// Errors name the action, the ref and the reason: NotFound for a repository or ref that
  /// does not exist, Unavailable when offline and not cached or when git fails.
  virtual core::Result<FetchedAction> Fetch(const ActionReference& ref, const LogLine& log,
                                            const backend::CancelToken& cancel) = 0;
};

/// One invocation of a built-in action (main or post stage).
struct BuiltinCall {
  ActionReference action;
  bool post = false;
  /// `with:` after evaluation, names lower-cased, in order. Defaults are the built-in's job.
  EnvList inputs;
  /// Post stage: what the main stage returned in BuiltinResult::state.
  EnvList state;
  EnvList env;                   // the step's process environment (GITHUB_*, RUNNER_*, env context)
  std::string workspace;         // the job's workspace (github.workspace)
  std::string temp;              // the job's temp directory (runner.temp)
  std::string repository_dir;    // the local repository gantry exec runs (may be empty)
  std::string shared_workspace;  // RunOptions::shared_workspace
  std::string github_repository;     // github.repository
  std::string run_id;                // github.run_id: scopes artifacts to the run
  std::string job;                   // "job" or "job (matrix values)": for messages
  std::vector<std::string> exclude;  // paths never copied into a workspace (the run directory)
  const backend::CancelToken* cancel = nullptr;
  LogLine log;  // the step's log (masked by the caller)
};

/// A report a built-in produced (reports/report.h): its kind ("coverage", "tests",
/// "security") and its JSON wire format. The engine passes it to RunObserver::OnReport.
struct BuiltinReport {
  std::string kind;
  std::string json;
};

/// What a built-in stage produced.
struct BuiltinResult {
  std::string error;                   // "" on success, else why the step failed (one line)
  EnvList outputs;                     // steps.<id>.outputs
  EnvList state;                       // saved for the post stage
  EnvList env;                         // exported like $GITHUB_ENV
  std::vector<std::string> paths;      // like $GITHUB_PATH
  std::vector<BuiltinReport> reports;  // handed to RunObserver::OnReport, even on error
};

/// The actions implemented natively (checkout, artifacts, cache). Thread-safe.
class BuiltinActions {
 public:
  virtual ~BuiltinActions() = default;
  /// True when `name` (ActionReference::name(), e.g. "actions/cache/restore") is built in.
  virtual bool Handles(std::string_view name) const = 0;
  /// True when the built-in has a post stage (e.g. "actions/cache" saves in post).
  virtual bool HasPost(std::string_view name) const = 0;
  /// The post stage's condition as GitHub's action.yml states it (e.g. "success()").
  virtual std::string PostIf(std::string_view name) const = 0;
  virtual BuiltinResult Run(const BuiltinCall& call) = 0;
};

}  // namespace gantry::engine
