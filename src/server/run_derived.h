#pragma once

// Run fields the store keeps no column for, derived from what it does keep: the state of an
// earlier attempt (the runs row holds the newest attempt's only).

#include <cstdint>
#include <nlohmann/json.hpp>
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

}  // namespace gantry::server
