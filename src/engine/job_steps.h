#pragma once

// Internal to the engine: the state of one running job instance and how its steps run.
// job_runner.cc runs the job (setup, the main steps, post stages, outputs); job_actions.cc
// runs `uses:` steps (built-in, composite, node) inside it.

#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/actions.h"
#include "engine/job_runner.h"
#include "engine/path_map.h"
#include "engine/services.h"
#include "engine/step_output.h"
#include "engine/step_runner.h"
#include "workflow/action.h"

namespace gantry::engine::internal {

using Clock = std::chrono::steady_clock;

/// Where a container job's steps find the event file and their home directory (GitHub's
/// paths; both are directories below the job's temp directory on this machine).
inline constexpr const char* kContainerEventPath = "/github/workflow/event.json";
inline constexpr const char* kContainerHome = "/github/home";
using JobStatus = expr::EvalContext::JobStatus;

/// One entry of a `steps` context.
struct StepRecord {
  std::string id;
  EnvList outputs;
  Conclusion outcome = Conclusion::kSuccess;
  Conclusion conclusion = Conclusion::kSuccess;
};

/// What a background step changes in the job, held back until the step is waited for
/// (GitHub's runner defers a background step's outputs, environment and outcome likewise).
/// Steps inside a composite action run in the background see the lane's own env and PATH.
struct Lane {
  EnvList env;                            // the env context as the step's thread sees it
  std::vector<std::string> prepend_path;  // $GITHUB_PATH entries, as in JobRunner
  std::string files_dir;                  // this step's file-command files and scripts
  /// Every ApplyExports of the step, replayed on the job when it is waited for.
  struct Export {
    EnvList env;
    std::vector<std::string> paths;
    std::string summary;
  };
  std::vector<Export> exports;
  backend::CancelToken cancel;  // the step's own token (the job's cancellation, `cancel:`)
};

/// The steps of the job, or of one composite action: the steps context, inputs and status
/// they see.
struct Scope {
  std::vector<StepRecord> steps;
  expr::Value inputs;
  /// The `env:` of the `uses:` steps that led into this composite action (outermost first).
  EnvList step_env;
  std::string action_path, action_repository, action_ref;
  std::string file;  // where the scope's steps are written (for messages)
  int depth = 0;     // 0: the job's own steps
  bool failed = false;
  /// Set for a background step and the composite steps inside it; nullptr on the job's lane.
  Lane* lane = nullptr;
};

/// One started background step (`background: true`, or a step of a `parallel:` block).
struct BackgroundStep {
  const workflow::Step* step = nullptr;
  std::string id;    // its context name: the `id:`, else the generated __run...
  std::string name;  // the display name
  Scope scope;       // a copy of the job's scope at start, on `lane`
  Lane lane;
  bool after_cancel = false;  // started by an always()/cancelled() step after a cancel
  // Guarded by JobRunner::mu_ from here on.
  bool done = false;              // the thread finished (report and outputs are final)
  bool completed = false;         // waited for or cancelled: its state was flushed into the job
  bool cancel_requested = false;  // a `cancel:` step stopped it
  bool has_slot = false;          // counted in running_background_ (at most 10 run at once)
  StepReport report;
  EnvList outputs;
  std::thread thread;
};

/// Which entrypoint of a Docker action runs: `runs.pre-entrypoint`, the main one, or
/// `runs.post-entrypoint`.
enum class DockerStage { kPre, kMain, kPost };

/// What the post stage of a Docker action runs again.
struct DockerPost {
  ActionReference ref;
  std::shared_ptr<const workflow::ActionManifest> manifest;
  EnvList with;
};

/// A post stage queued by an action's main stage; run after the main steps, in reverse.
struct PostStage {
  std::string name;                  // "Post Run owner/repo@v1"
  std::string condition;             // post-if
  std::vector<std::string> command;  // node actions: node + the post script
  bool builtin = false;
  BuiltinCall call;                  // built-ins: the post call
  std::optional<DockerPost> docker;  // Docker actions: post-entrypoint
  expr::Value inputs;
  EnvList step_env, input_env;
  std::string action_path, action_repository, action_ref;
  EnvList state;
};

/// What one step's body needs, computed before it runs.
struct StepCall {
  const workflow::Step* step = nullptr;
  Scope* scope = nullptr;
  int report = 0;  // the observer's step index (a composite's steps report as their parent)
  std::string name;
  JobStatus status = JobStatus::kSuccess;
  expr::Value github;
  EnvList env;  // the env context of the step
  StepFiles files;
  StepOutputOptions oo;
  Clock::time_point deadline;  // when the step (or the job) times out
  std::string timeout_message;
  bool step_binds = false;    // the step's own timeout-minutes sets the deadline
  bool after_cancel = false;  // runs after a cancellation (always(), cancelled())
};

/// A step whose `if:`, env, name, continue-on-error and timeout were evaluated: what is
/// left is to run its body (RunStepIn on the job's thread, or a background thread).
struct PreparedStep {
  StepCall call;
  StepReport report;
  bool continue_on_error = false;
  Clock::time_point started;
  expr::EvalContext ctx;
};

/// How a step's body ended.
struct StepEnd {
  Conclusion outcome = Conclusion::kSuccess;
  std::string error;
  EnvList outputs;
};

/// Releases a held lock for its lifetime (the job's lock around a blocking call).
class Unlocked {
 public:
  explicit Unlocked(std::mutex& mu) : mu_(mu) { mu_.unlock(); }
  ~Unlocked() { mu_.lock(); }
  Unlocked(const Unlocked&) = delete;
  Unlocked& operator=(const Unlocked&) = delete;

 private:
  std::mutex& mu_;
};

/// The job's `run:` and `uses:` steps, those of `parallel:` blocks included, in order.
std::vector<const workflow::Step*> RunnableSteps(const workflow::Job& job);

/// INPUT_<NAME>: upper case, spaces become '_' (as the runner names them).
std::string InputEnvName(std::string_view name);
/// The INPUT_* variables of an action's inputs context.
EnvList InputEnv(const expr::Value& inputs);
/// Reports `why` as the step's error and returns a failed end.
StepEnd Failed(StepOutput& out, const std::string& why);

class JobRunner {
 public:
  JobRunner(const JobInstance& in, const RunShared& sh, const backend::CancelToken& cancel);
  JobReport Run();

 private:
  // job_runner.cc
  core::Status Setup();
  /// Starts the job's container and `services:` through the ContainerHost (evaluated in ctx).
  core::Status StartContainers(const expr::EvalContext& ctx);
  /// Removes what StartContainers created (called by Finish, whatever the job's outcome).
  void StopContainers();
  /// Builds github_, runner_ and base_contexts_ (with the container's paths in a container job).
  void BuildContexts();
  JobStatus Status(bool observe_cancel = true);
  JobStatus StatusOf(const Scope& scope);
  expr::EvalContext Context(const expr::Value& github, const EnvList& env, JobStatus status,
                            const Scope& scope) const;
  std::string ActionName(const workflow::Step& s);
  expr::Value StepGithub(const std::string& action, const StepFiles& files,
                         const Scope& scope) const;
  EnvList EnvOf(const Scope& scope) const;
  EnvList ProcessEnv(const EnvList& env, const expr::Value& github,
                     const Lane* lane = nullptr) const;
  void JobTimedOut();
  const backend::CancelToken& Token(bool after_cancel);
  void RunStepIn(const workflow::Step& s, Scope& scope, int report, const StepCall* parent);
  /// Evaluates a step's env, name, `if:`, continue-on-error and timeout. nullopt when the step
  /// already ended (skipped, or an evaluation error): reported and recorded then. A background
  /// step's start event waits for its slot (`background`).
  std::optional<PreparedStep> PrepareStep(const workflow::Step& s, Scope& scope, int report,
                                          const StepCall* parent, bool background);
  /// Runs the body of a prepared step, then records and reports how it ended. A background
  /// step's end is held back instead: its report stays in `p`, its outputs go to
  /// `held_outputs`.
  void ExecuteStep(PreparedStep& p, const workflow::Step& s, Scope& scope, bool top,
                   EnvList* held_outputs);
  /// The directory of the file-command files and scripts of steps on `scope`'s lane.
  const std::string& FilesDir(const Scope& scope) const;
  const backend::CancelToken& Token(const StepCall& c);
  StepEnd RunScript(StepCall& c, const expr::EvalContext& ctx);
  /// Applies what a process or built-in exported: env, PATH entries, the summary.
  void ApplyExports(const EnvList& env, std::vector<std::string> paths, const std::string& summary,
                    Lane* lane = nullptr);
  /// Runs a script or command with `backend` (nullptr: StepBackend()).
  StepEnd RunProcess(StepCall& c, ScriptStep& ss, EnvList* state,
                     backend::Backend* backend = nullptr);
  void Record(const workflow::Step& s, Scope& scope, const StepReport& rep, EnvList outputs);
  /// The job fails; `step` is named as its failed step unless an earlier one was.
  void MarkFailed(const std::string& step);
  void RunPostStages();
  void EvaluateOutputs();
  JobReport Finish();

  // job_background.cc: background steps, `parallel:`, `wait:`, `wait-all:`, `cancel:`.
  /// Runs the job's step `s` (any kind) on the job's lane; `report` is its first index.
  void RunJobStep(const workflow::Step& s, int report);
  /// Prepares `s` on the job's thread and starts its body on a thread of its own.
  void StartBackground(const workflow::Step& s, int report);
  /// The body of a background step's thread.
  void BackgroundMain(BackgroundStep& bg, PreparedStep p);
  /// A `wait:`, `wait-all:` or `cancel:` step.
  void RunControlStep(const workflow::Step& s, int report);
  /// Blocks (releasing the job's lock) until every step of `steps` finished.
  void AwaitSteps(const std::vector<BackgroundStep*>& steps);
  /// Flushes the held-back state of `steps` into the job; returns their merged result
  /// (GitHub's: the first failure or cancellation, else success).
  Conclusion CompleteSteps(const std::vector<BackgroundStep*>& steps);
  /// At the end of the main steps: waits for every background step not waited for, flushes
  /// them and folds their results into the job's (an explicitly cancelled step's cancellation
  /// does not count).
  void DrainBackground();
  /// True when one more background step may run now (RunOptions::max_background_steps).
  bool HasFreeSlot() const;
  /// Gives `bg` one of the slots (RunOptions::max_background_steps) and reports its start.
  void TakeSlot(BackgroundStep& bg, PreparedStep& p);
  /// The started background step with context name `id`, or nullptr.
  BackgroundStep* FindBackground(const std::string& id);

  // job_container.cc
  /// Evaluates `container:` (RunOptions::default_container_image when it is missing or
  /// empty); for a container job, maps the job's directories to GitHub's container paths
  /// (container_paths_).
  core::Status PlanContainer(const expr::EvalContext& ctx);
  /// Where errors about the job container point: its `container:`, else the job.
  const workflow::Position& ContainerPos() const;
  /// The bind mounts of the job container ("host:container").
  std::vector<std::string> ContainerMounts() const;
  /// Finds $PATH and the shells of the running job container.
  core::Status ProbeContainer();
  /// `host_path` as the job's steps see it (translated in a container job).
  std::string Visible(const std::string& host_path) const;
  /// Looks programs up where the steps run (nullptr on the host: the PATH of their env).
  ProgramFinder Finder() const;
  /// The backend the job's processes run with.
  backend::Backend& StepBackend();
  /// A remote action's directory where a container job can see it (copied below the mounted
  /// actions directory); unchanged for a host job.
  core::Result<std::string> VisibleActionDir(const std::string& dir, const ActionReference& ref);
  /// Runs a stage of a Docker action (`runs.using: docker`, or `uses: docker://image` when
  /// `m` is null). The main stage queues the post-entrypoint; what the stage saved with
  /// $GITHUB_STATE goes to `state` when given.
  StepEnd RunDocker(StepCall& c, const ActionReference& ref, const workflow::ActionManifest* m,
                    const Scope& action, const EnvList& with, StepOutput& out, DockerStage stage,
                    EnvList* state);
  /// The `pre:` script of a node action.
  StepEnd RunNodePre(StepCall& c, const ActionReference& ref, const workflow::ActionManifest& m,
                     const Scope& action, StepOutput& out, EnvList* state);

  // job_actions.cc
  StepEnd RunUses(StepCall& c, const expr::EvalContext& ctx, StepOutput& out);
  StepEnd RunBuiltin(StepCall& c, const ActionReference& ref, const EnvList& with, StepOutput& out);
  core::Result<expr::Value> ActionInputs(const StepCall& c, const workflow::ActionManifest& m,
                                         const EnvList& with, const expr::EvalContext& ctx,
                                         StepOutput& out);
  StepEnd RunComposite(StepCall& c, const workflow::ActionManifest& m, Scope child);
  StepEnd RunNode(StepCall& c, const workflow::ActionManifest& m, const Scope& action,
                  StepOutput& out);
  void RunPostStage(PostStage& post, int index);
  /// Before the first step: fetches the job's remote actions, checks their required inputs
  /// and runs the `pre:` stages of node actions. A problem fails the job before it starts.
  core::Status PrepareActions();
  StepCall StageCall(const std::string& name, int index, Scope& scope);
  void FinishStage(StepReport& rep, Clock::time_point started, const StepEnd& end);

  const JobInstance& in_;
  const RunShared& sh_;
  const backend::CancelToken& cancel_;
  const workflow::Job& job_;
  const workflow::Workflow& wf_;
  const std::string& file_;
  JobReport report_;
  std::string workspace_, temp_;
  std::string runner_workspace_;  // the parent of workspace_ (runner.workspace)
  RunnerInfo runner_;
  expr::Value github_, base_contexts_;
  EnvList env_;  // the env context: workflow env < job env < $GITHUB_ENV
  std::vector<std::string> prepend_path_;
  Scope scope_;  // the job's own steps
  std::vector<PostStage> posts_;
  std::map<const workflow::Step*, EnvList> pre_state_;  // what a pre stage saved, by step
  std::map<std::string, int> action_counts_;
  std::unique_ptr<backend::CancelToken> cleanup_token_;
  ContainerHost* container_host_ = nullptr;  // set once containers were (partly) started
  StartedServices services_;
  expr::Value services_context_;          // job.services
  expr::Value container_context_;         // job.container
  std::optional<ServiceSpec> container_;  // the job's `container:`, evaluated
  PathMap container_paths_;               // host -> job container paths
  std::unique_ptr<backend::Backend> container_backend_;
  std::map<std::string, std::string> container_programs_;  // "bash" -> "/bin/bash"
  std::string container_path_env_;                         // $PATH in the job container
  std::map<std::string, std::string> visible_actions_;     // fetched dir -> copy
  /// The job's lock: held by the thread that runs this job's code, released while a process,
  /// a built-in action or a wait blocks, so background steps run meanwhile.
  std::mutex mu_;
  std::condition_variable changed_;       // a background step finished or took a slot
  std::list<BackgroundStep> background_;  // GUARDED_BY(mu_), in start order
  int running_background_ = 0;            // GUARDED_BY(mu_): steps holding a slot
  std::jthread cancel_watch_;             // cancels background steps when the job is
  int reported_steps_ = 0;                // report indices used by the main steps
  bool failed_ = false, cancelled_ = false, timed_out_ = false, continue_on_error_ = false;
  double timeout_minutes_ = 360;
  double cancel_timeout_minutes_ = 5;
  Clock::time_point start_, deadline_;
};

}  // namespace gantry::engine::internal
