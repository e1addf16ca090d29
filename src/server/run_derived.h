#pragma once

// Run fields the store keeps no column for, derived from what it does keep: the state of an
// earlier attempt (the runs row holds the newest attempt's only) and the pull request a run
// was made for.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace gantry::server {

/// An attempt's status, conclusion ("" while it runs) and times (Unix ms, 0 = not yet).
struct AttemptState {
  std::string status;
  std::string conclusion;
  int64_t started_at = 0;
  int64_t completed_at = 0;
};

/// The state of one attempt from its jobs, as the scheduler concludes a run: completed once
/// every job is; then cancelled when a job was, success when each job succeeded, was skipped
/// or failed with continue-on-error, else failure. It started with its first job that ran in
/// it (a job a rerun carried over started before its row was made) and completed with its
/// last. An attempt without jobs is completed, with no conclusion and the run's times.
AttemptState AttemptStateOf(const store::Run& run, const std::vector<store::Job>& jobs);

/// Replaces "status", "conclusion", "started_at" and "completed_at" of `run_json` (RunJson of
/// `run`) with those of the attempt `jobs` belong to (AttemptStateOf).
void SetAttemptState(nlohmann::json& run_json, const store::Run& run,
                     const std::vector<store::Job>& jobs);

/// The number of the pull request a run of a pull_request* event was made for: from its
/// event payload ("number" or "pull_request.number"), else from its ref
/// (refs/pull/N/head|merge). nullopt for other events or when neither names one.
std::optional<int64_t> PullRequestNumber(const store::Run& run);

/// GitHub's head_branch of a run: the pushed branch (refs/heads/X → X), or a pull request
/// run's head branch from its event payload; "" otherwise (tags, unknown).
std::string HeadBranch(const store::Run& run);

}  // namespace gantry::server
