#pragma once

// One job instance (a job, or one combination of its matrix): directories, contexts, steps
// in order with their `if:`, outcomes and conclusions, environment files and commands, and
// the job's outputs at the end.

#include <string>

#include "backend/backend.h"
#include "core/masker.h"
#include "engine/contexts.h"
#include "engine/run_observer.h"
#include "engine/runner.h"
#include "workflow/model.h"

namespace gantry::engine {

/// What every job of a run shares. Read-only while jobs run (safe from several threads).
struct RunShared {
  const RunOptions* options = nullptr;
  backend::Backend* backend = nullptr;
  RunObserver* observer = nullptr;
  core::Masker* masker = nullptr;
  const workflow::Workflow* workflow = nullptr;
  /// RunOptions::github completed with event_path, workflow, run ids... (no per-job fields).
  expr::Value github;
  expr::Value secrets, vars, inputs;
  /// This machine; temp is filled per job instance.
  RunnerInfo runner;
  /// ::debug:: shown, runner.debug set (verbose, or ACTIONS_STEP_DEBUG).
  bool debug = false;
  /// Where per-run files live (tool cache); job directories are below it.
  std::string run_dir;
};

/// One job instance to run.
struct JobInstance {
  const workflow::Job* job = nullptr;
  JobKey key;
  expr::Value matrix;    // object (empty without a matrix)
  expr::Value strategy;  // the strategy context
  expr::Value needs;     // the needs context
  std::string dir;       // this instance's directory: workspace/ and temp/ go below it
  /// Where the file-command files and scripts of the steps go: a directory that later jobs
  /// reuse once this one finished (created when missing).
  std::string files_dir;
  /// Its `environment:` name ("" = none): RunOptions::environments of that name add to (and
  /// override) the run's secrets and vars.
  std::string environment;
};

/// Runs `instance` to completion (a reusable workflow call as a nested run) and reports it
/// (OnJobStarted ... OnJobFinished) to shared.observer. `cancel` is the instance's own token: once
/// it fires, the running step is killed and the rest of the job sees cancelled() (steps with
/// always() still run). Never throws; problems become a failed JobReport.
JobReport RunJob(const JobInstance& instance, const RunShared& shared,
                 const backend::CancelToken& cancel);

}  // namespace gantry::engine
