#pragma once

// What the scheduler decides before a job instance runs: the run-wide contexts (github with
// its defaults and event file, secrets, vars, inputs, runner), and for each job once its needs
// are done, its `if:`, its matrix instances, display names and strategy.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/job_runner.h"
#include "engine/plan.h"
#include "engine/run_one.h"
#include "engine/runner.h"
#include "expr/expression.h"

namespace gantry::engine {

/// Run-wide state built once by PrepareRun; read-only afterwards.
struct RunSetup {
  RunShared shared;
};

/// Fills the run-wide contexts: github gets event_path (the event written to
/// run_dir/event.json), workflow, run ids, server URLs and token when RunOptions::github lacks
/// them; secrets are added to the masker (RunOptions::masker, else `fallback_masker`); a
/// missing run_dir becomes a new temp directory.
std::unique_ptr<RunSetup> PrepareRun(const Plan& plan, const RunOptions& options,
                                     backend::Backend& backend, RunObserver& observer,
                                     core::Masker* fallback_masker);

/// A job instance's evaluated `environment:`.
struct EnvironmentRef {
  std::string name;
  std::string url;
};

/// One matrix combination ready to start.
struct InstanceLaunch {
  JobKey key;
  MatrixInstance instance;
  expr::Value matrix;
  expr::Value strategy;
  /// Why this instance cannot run on this machine (its runs-on); "" = it runs.
  std::string not_here;
  /// Its runs-on labels, evaluated with its matrix (empty without runs-on or when the
  /// expression failed and no host check asked for it): what a server's executor must match.
  std::vector<std::string> runs_on;
  /// Its `environment:` name and url, evaluated with its matrix ("" without one; a failed
  /// expression keeps the text as written).
  std::string environment;
  std::string environment_url;
  /// Its `environment:` evaluated with its matrix, strategy and needs (nullopt without one, or
  /// with `deployment: false`): where a server records a deployment. The url sees no `steps`
  /// (it is evaluated before the job runs).
  std::optional<EnvironmentRef> deployment;
};

/// What the scheduler needs to start a job's instances.
struct JobLaunch {
  bool run = false;  // the job's if: held
  expr::Value needs;
  std::vector<InstanceLaunch> instances;
  bool fail_fast = true;
  int max_parallel = 0;  // 0 = no limit
};

/// Evaluates the job's `if:` (status from its ancestors, job ids allowed in success() and
/// failure()), expands its matrix now when the plan could not, and names the instances.
/// InvalidArgument ("file:line:col: message") for a bad condition, matrix or strategy.
core::Result<JobLaunch> ResolveJob(const RunSetup& setup, const PlannedJob& job,
                                   const expr::Value& needs, expr::EvalContext::JobStatus status);

/// After the run was cancelled: whether a job's queued instances still start (its if: holds
/// with cancelled(), e.g. always()).
bool KeepAfterCancel(const RunSetup& setup, const PlannedJob& job, const expr::Value& needs);

/// A job instance's evaluated job-level `concurrency:` (group "" = none).
struct JobGroup {
  std::string group;
  bool cancel_in_progress = false;
};

/// Evaluates `job`'s `concurrency:` for instance `one` with the contexts GitHub gives it
/// (github, vars, inputs, needs, strategy, matrix). InvalidArgument ("file:line:col: message")
/// when its group or cancel-in-progress cannot be evaluated.
core::Result<JobGroup> JobConcurrency(const RunSetup& setup, const PlannedJob& job,
                                      const OneJob& one);

/// The name a job that never ran is reported under: its `name:` (evaluated without matrix),
/// else its id.
std::string SkippedDisplayName(const RunSetup& setup, const PlannedJob& job);

/// What RunJob runs for `job`, an instance of `planned` that a RunState handed out: its
/// directory is run_dir/<job id>-<instance>, its file-command directory
/// run_dir/_runner_files/<slot> (a slot is used by one running instance at a time).
JobInstance MakeJobInstance(const RunSetup& setup, const PlannedJob& planned, const OneJob& job,
                            int slot);

}  // namespace gantry::engine
