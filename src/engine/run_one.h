#pragma once

// Runs one job instance of a plan outside the scheduler: what an executor does with a job the
// server's run state handed out. The contexts (github, secrets, vars, inputs) come from the
// RunOptions as for a whole run; the instance's matrix, strategy and needs come from the
// server, which decided them with the same RunState that `gantry exec` drives.

#include <string>

#include "backend/backend.h"
#include "engine/plan.h"
#include "engine/run_observer.h"
#include "engine/runner.h"
#include "expr/value.h"

namespace gantry::engine {

/// One job instance as the run state decided it.
struct OneJob {
  std::string job_id;        // the id under `jobs:`
  int instance = 0;          // matrix combination index
  std::string display_name;  // "test (linux, 20)"
  expr::Value matrix;        // object (empty without a matrix)
  expr::Value strategy;      // the strategy context
  expr::Value needs;         // the needs context
  std::string environment;   // its evaluated `environment:` name ("" = none)
  std::string environment_url;
};

/// Runs `job` of `plan` to completion as RunPlan would run it (same JobRunner, same
/// directories below options.run_dir, same observer calls OnJobStarted ... OnJobFinished).
/// A job id that is not in the plan gives a failed JobReport naming it. Never throws.
JobReport RunOneJob(const Plan& plan, const RunOptions& options, const OneJob& job,
                    backend::Backend& backend, RunObserver& observer);

}  // namespace gantry::engine
