#pragma once

// Checks of a reusable-workflow call (`jobs.<id>.uses`): the caller's `with:` and
// `secrets:` against the callee's `on.workflow_call` contract, and the token permissions
// the callee requests against what the caller grants. The loader loads the callee (through
// LoadOptions::read_file), tracks nesting, and calls these functions.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workflow/model.h"
#include "workflow/reader.h"

namespace gantry::workflow {

/// Whether `path` names a workflow file: it ends in ".yml" or ".yaml" (what GitHub reads in
/// .github/workflows and accepts in a `uses:` call of a workflow).
inline bool IsWorkflowFileName(std::string_view path) {
  return path.ends_with(".yml") || path.ends_with(".yaml");
}

/// A GITHUB_TOKEN access level, ordered: none < read < write.
enum class PermissionLevel { kNone, kRead, kWrite };

/// The token permissions a repository grants a workflow that sets none: GitHub's
/// "restricted" default (contents and packages read) or "permissive" one (write).
enum class PermissionPolicy { kLimitedRead, kWrite };

/// A level for every token scope GitHub knows. Value type.
class PermissionSet {
 public:
  /// Every scope at none.
  PermissionSet();
  /// The repository default for `policy`.
  static PermissionSet FromPolicy(PermissionPolicy policy);
  /// What a `permissions:` block grants: `read-all`/`write-all` set every scope, a mapping
  /// sets the scopes it lists and leaves the others at none (as GitHub does).
  static PermissionSet FromPermissions(const Permissions& permissions);

  /// The level of `scope` (none for an unknown scope).
  PermissionLevel Get(std::string_view scope) const;
  void Set(std::string_view scope, PermissionLevel level);
  /// Scopes in GitHub's order with their levels.
  const std::vector<std::pair<std::string, PermissionLevel>>& scopes() const { return levels_; }

 private:
  std::vector<std::pair<std::string, PermissionLevel>> levels_;
};

/// "read", "write" or "none".
std::string_view PermissionLevelName(PermissionLevel level);

/// The permissions `job` of `workflow` runs with: its own `permissions:`, else the
/// workflow's, else `inherited` (the repository default for a top-level workflow, the
/// calling job's effective permissions for a called one).
PermissionSet EffectivePermissions(const Job& job, const Workflow& workflow,
                                   const PermissionSet& inherited);

/// Everything a call is checked against besides the two workflows.
struct CallContext {
  /// Permissions of the caller workflow when neither it nor the calling job sets any: see
  /// EffectivePermissions.
  PermissionSet inherited = PermissionSet::FromPolicy(PermissionPolicy::kWrite);
};

/// Checks the call of `callee` by `caller` (a job of `caller_workflow` with `uses:`):
/// the callee has a workflow_call trigger; required inputs are given, unknown ones are
/// rejected, literal values match the declared type; required secrets are given (unless
/// `secrets: inherit`), unknown ones are rejected; the callee's workflow-level and job-level
/// permissions do not exceed what the caller grants. Names compare case-insensitively.
/// Problems are reported through `reader` (the caller's file) at the caller's positions.
void CheckReusableCall(const Job& caller, const Workflow& callee, const Workflow& caller_workflow,
                       const CallContext& context, Reader& reader);

/// Checks the form of a reusable workflow reference: `./<path>.yml|yaml` (local, no
/// `@ref`) or `<owner>/<repo>/<path>@<ref>`; reports a diagnostic at `uses` otherwise.
bool CheckWorkflowRef(const Text& uses, Reader& reader);

/// Reports "Nested reusable workflow depth exceeded N." at the caller's `uses:` when a
/// call at nesting `depth` (1 for a call from the top-level workflow) exceeds `max_depth`.
bool CheckCallDepth(const Job& caller, int depth, int max_depth, Reader& reader);

/// Reports "The workflow may not contain more than N jobs" when the run, counting the
/// jobs of every called workflow, has more than `max_jobs` jobs.
bool CheckJobCount(int jobs, int max_jobs, Reader& reader);

}  // namespace gantry::workflow
