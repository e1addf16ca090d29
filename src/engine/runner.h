#pragma once

// Executes a Plan: schedules job instances in dependency order with bounded parallelism,
// evaluates job and step `if:`, runs steps through a Backend, applies workflow commands and
// environment files, and reports everything to a RunObserver.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "core/masker.h"
#include "engine/actions.h"
#include "engine/plan.h"
#include "engine/run_observer.h"
#include "engine/runs_on.h"
#include "engine/services.h"
#include "expr/value.h"

namespace gantry::engine {

/// Everything a run needs besides the plan.
struct RunOptions {
  /// Jobs run at once (>= 1).
  int parallelism = 1;
  /// The repository working tree (what `actions/checkout` copies for local runs).
  std::string repository_dir;
  /// Per-run directory under which each job instance gets workspace/ and temp/ dirs.
  std::string run_dir;
  /// When set, every job runs in this directory instead of its own workspace copy.
  std::string shared_workspace;
  /// Jobs take their workspace/ and temp/ from the file-command directory of the slot they
  /// run in (emptied when a job starts, as a runner reuses its work folder), so a job creates
  /// and deletes no directory. False: each job instance gets run_dir/<job>-<n>/ of its own
  /// (kept for inspection with --keep-run-dir).
  bool reuse_job_dirs = true;
  /// The `github` context (event, event_name, sha, ref, repository, actor, ...) without the
  /// per-job fields (job, action, workspace...), which the runner adds.
  expr::Value github;
  std::vector<std::pair<std::string, std::string>> secrets;
  std::vector<std::pair<std::string, std::string>> vars;
  /// Secrets and vars of environments (`gantry exec --env-secret/--env-var`), by lower-case
  /// environment name: a job naming one sees them over the run's.
  struct EnvironmentValues {
    std::vector<std::pair<std::string, std::string>> secrets;
    std::vector<std::pair<std::string, std::string>> vars;
  };
  std::map<std::string, EnvironmentValues> environments;
  std::vector<std::pair<std::string, std::string>> inputs;
  /// Environment every step starts from (the host's, plus --env-file values).
  std::vector<std::pair<std::string, std::string>> base_env;
  /// Where artifacts go (used by later built-in actions).
  std::string artifact_dir;
  /// Fetches remote actions; nullptr: a remote action fails its step with a clear message.
  ActionFetcher* fetcher = nullptr;
  /// The natively implemented actions (checkout, artifacts, cache); may be nullptr.
  BuiltinActions* builtins = nullptr;
  /// Creates `services:`, `container:` and Docker action containers; nullptr: a job that needs one
  /// fails with a clear message.
  ContainerHost* container_host = nullptr;
  /// The image of a job container for every job whose `container:` is missing or evaluates to
  /// an empty image, called workflows' jobs included (`gantry executor run --backend docker`);
  /// "" = such jobs run on the host, as on GitHub.
  std::string default_container_image;
  /// Show ::debug:: messages (also on when secrets/vars set ACTIONS_STEP_DEBUG).
  bool verbose = false;
  /// Resolved by the runner, shared by all jobs: secrets are added to it before start.
  core::Masker* masker = nullptr;
  /// The runs-on labels this machine serves: a job instance asking for another is skipped
  /// with the reason (runs_on.h). nullptr: every job runs, whatever its runs-on.
  const HostLabels* host_labels = nullptr;
  /// Ctrl-C / external cancel.
  const backend::CancelToken* cancel = nullptr;
  /// Kill grace period for timeouts and cancellation.
  std::chrono::milliseconds kill_grace{5000};
  /// Background steps of one job that run at once; the others wait for a slot (GitHub's
  /// runner: 10). 0 = no limit.
  int max_background_steps = 10;
  /// Set for a workflow run by a reusable workflow call: `inputs` are typed and defaulted by
  /// the workflow_call trigger alone (never by the event payload's inputs).
  bool workflow_call = false;
};

/// The outcome of the run, jobs in plan order (instances in matrix order).
struct RunReport {
  std::vector<JobReport> jobs;
  bool cancelled = false;
  /// True when every job concluded success or skipped.
  bool success() const;
  /// The run's conclusion as GitHub gives it: success; failure when a job failed (without
  /// continue-on-error); cancelled when the run was, or when a job was and none failed (e.g.
  /// one cancelled by a newer job of its concurrency group).
  Conclusion conclusion() const;
};

/// Runs `plan`. Never throws; job-level problems become failed JobReports.
/// Observer calls: a job instance that runs gets OnJobStarted ... OnJobFinished; a job that
/// never runs (skipped by its if:, cancelled before it started, a bad matrix or if:) gets
/// only OnJobFinished; likewise a skipped step gets only OnStepFinished. Annotations that
/// belong to no step (e.g. a job output dropped because it may hold a secret) have step -1.
/// Steps of a job share file-command files under run_dir/_runner_files/<slot>/ (emptied
/// before each step); a job's workspace/ and temp/ are in that slot directory too, or in
/// run_dir/<job>-<n>/ without RunOptions::reuse_job_dirs.
RunReport RunPlan(const Plan& plan, const RunOptions& options, backend::Backend& backend,
                  RunObserver& observer);

}  // namespace gantry::engine
