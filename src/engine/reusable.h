#pragma once

// A job that calls a reusable workflow (`jobs.<id>.uses: ./.github/workflows/x.yml`): the
// called workflow runs as a nested run whose jobs show as "caller / callee", with the
// caller's `with:` as its inputs and the caller's secrets (mapped or inherited); the caller's
// outputs are the called workflow's workflow_call outputs.

#include "backend/backend.h"
#include "engine/job_runner.h"
#include "engine/run_observer.h"

namespace gantry::engine {

/// Runs `instance` (a reusable workflow call) and reports it like RunJob: OnJobStarted and
/// OnJobFinished for the caller around the nested jobs' own events. A remote call (not loaded
/// by the loader) fails with a clear message. `cancel` cancels the whole nested run.
JobReport RunReusableCall(const JobInstance& instance, const RunShared& shared,
                          const backend::CancelToken& cancel);

}  // namespace gantry::engine
