#pragma once

// A commit's checks: every job (and every workflow run) of the runs made for it, as GitHub
// reports them. The /api/v3 endpoints `commits/{ref}/status`, `/statuses` and `/check-runs`
// (docs/gh.md), and the gathering the merge gate (protection_api.cc) shares.

#include <string>
#include <vector>

#include "server/api.h"
#include "server/merge_gate.h"

namespace gantry::server {

/// One check of a commit with the rows it comes from.
struct CommitCheck {
  Check check;
  store::Run run;
  store::Job job;         // empty (id 0) for a workflow-level check
  bool workflow = false;  // the whole run: context WorkflowContext, id kWorkflowCheckIdBase+run
};

/// Workflow-level checks are numbered from here (above any job row's id, below 2^53).
inline constexpr int64_t kWorkflowCheckIdBase = int64_t{1} << 40;

/// The checks of `sha` in project `p`: every job row of every attempt (`all_attempts`) or of
/// the newest attempt of each run made for the commit, plus each run's workflow-level check;
/// newest run first. `*runs_active` (optional) tells whether a run of the commit is not
/// completed yet.
core::Result<std::vector<CommitCheck>> CommitChecks(ApiContext& ctx, const store::Project& p,
                                                    const std::string& sha, bool all_attempts,
                                                    bool* runs_active = nullptr);

/// Adds GET /api/v3/repos/{owner}/{repo}/commits/{ref}/status|statuses|check-runs.
void AddCheckRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
