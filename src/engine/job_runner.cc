#include "engine/job_runner.h"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stop_token>
#include <system_error>
#include <thread>

#include "core/strings.h"
#include "engine/job_steps.h"
#include "engine/reusable.h"
#include "workflow/steps.h"

namespace gantry::engine {
namespace internal {
namespace {

using expr::Object;
using expr::Value;
using std::chrono::milliseconds;

milliseconds Minutes(double m) { return milliseconds(static_cast<int64_t>(m * 60'000)); }

const char* StatusName(JobStatus s) {
  switch (s) {
    case JobStatus::kFailure:
      return "failure";
    case JobStatus::kCancelled:
      return "cancelled";
    default:
      return "success";
  }
}

// "Run <first line of the script>" / "Run <action>", as GitHub names a step without `name:`.
std::string DefaultStepName(const workflow::Step& s) {
  if (s.uses) return "Run " + std::string(core::TrimSpace(s.uses->value));
  std::string_view script = s.run ? std::string_view(s.run->value) : std::string_view();
  size_t b = script.find_first_not_of(" \t\r\n");
  script = b == std::string_view::npos ? std::string_view() : script.substr(b);
  return "Run " + std::string(script.substr(0, script.find_first_of("\r\n")));
}

// A $GITHUB_PATH entry goes first; written again, it moves to the front.
void PrependPath(std::vector<std::string>& paths, std::string p) {
  paths.erase(std::remove(paths.begin(), paths.end(), p), paths.end());
  paths.push_back(std::move(p));
}

bool IsTrueString(const std::string* v) {
  if (v == nullptr) return false;
  std::string t = std::string(core::TrimSpace(*v));
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t == "true";
}

}  // namespace

JobRunner::JobRunner(const JobInstance& in, const RunShared& sh, const backend::CancelToken& cancel)
    : in_(in), sh_(sh), cancel_(cancel), job_(*in.job), wf_(*sh.workflow), file_(wf_.file) {}

JobReport JobRunner::Run() {
  // Held by this thread except while a process or a wait blocks (see mu_).
  std::unique_lock lock(mu_);
  start_ = Clock::now();
  report_.key = in_.key;
  sh_.observer->OnJobStarted(in_.key);
  core::Status setup = Setup();
  if (setup.ok()) setup = PrepareActions();
  if (!setup.ok()) {
    failed_ = true;
    report_.error = setup.message();
  } else {
    for (const workflow::Step& s : job_.steps) {
      RunJobStep(s, reported_steps_);
      reported_steps_ +=
          s.kind == workflow::StepKind::kParallel ? static_cast<int>(s.parallel.size()) : 1;
    }
    DrainBackground();
    RunPostStages();
    EvaluateOutputs();
  }
  return Finish();
}

// The status a step's if: sees. A cancellation counts once a step boundary observed it: a
// job that finished its last step before being cancelled (fail-fast racing) succeeded.
JobStatus JobRunner::Status(bool observe_cancel) {
  if (observe_cancel && cancel_.cancelled()) cancelled_ = true;
  if (cancelled_ || timed_out_) return JobStatus::kCancelled;
  return failed_ ? JobStatus::kFailure : JobStatus::kSuccess;
}

// Inside a composite action, success() and failure() look at the composite's own steps.
JobStatus JobRunner::StatusOf(const Scope& scope) {
  JobStatus job = Status();
  if (scope.depth == 0 || job == JobStatus::kCancelled) return job;
  return scope.failed ? JobStatus::kFailure : JobStatus::kSuccess;
}

expr::EvalContext JobRunner::Context(const Value& github, const EnvList& env, JobStatus status,
                                     const Scope& scope) const {
  Object o = base_contexts_.object_value();
  o.Set("github", github);
  o.Set("env", ObjectFromPairs(env));
  o.Set("job", MakeJobContext(StatusName(status), services_context_, container_context_));
  o.Set("inputs", scope.inputs);
  Object steps;
  for (const StepRecord& r : scope.steps) {
    Object s;
    s.Set("outputs", ObjectFromPairs(r.outputs));
    s.Set("outcome", Value(ConclusionName(r.outcome)));
    s.Set("conclusion", Value(ConclusionName(r.conclusion)));
    steps.Set(r.id, Value(std::move(s)));
  }
  o.Set("steps", Value(std::move(steps)));
  expr::EvalContext ctx;
  ctx.contexts = Value(std::move(o));
  ctx.job_status = status;
  ctx.workspace = workspace_;
  return ctx;
}

core::Status JobRunner::Setup() {
  const RunOptions& opt = *sh_.options;
  const std::string& job_dir = opt.reuse_job_dirs ? in_.files_dir : in_.dir;
  // GitHub's runner layout: the workspace is <work>/<repo>/<repo>, its parent runner.workspace
  // (where out-of-source builds put `../build`), temp <work>/_temp.
  const std::string repo = RepositoryDirName(sh_.github);
  std::string shared = opt.shared_workspace;
  while (shared.size() > 1 && shared.back() == '/') shared.pop_back();
  runner_workspace_ =
      shared.empty() ? job_dir + "/" + repo : std::filesystem::path(shared).parent_path().string();
  workspace_ = opt.shared_workspace.empty() ? runner_workspace_ + "/" + repo : opt.shared_workspace;
  temp_ = job_dir + "/_temp";
  std::error_code ec;
  for (const std::string& d : {workspace_, temp_, in_.files_dir}) {
    if (!std::filesystem::is_directory(d, ec)) std::filesystem::create_directories(d, ec);
    if (ec) return core::Status::Internal("cannot create " + d + ": " + ec.message());
  }
  // A reused workspace (with what its parent holds) and temp start empty, as on a fresh runner.
  for (const std::string& d : {runner_workspace_, workspace_, temp_}) {
    if (!opt.shared_workspace.empty() && d != temp_) continue;
    if (!opt.reuse_job_dirs) continue;
    for (auto it = std::filesystem::directory_iterator(d, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (it->path() == workspace_) continue;  // emptied next
      std::filesystem::remove_all(it->path(), ec);
      if (ec) return core::Status::Internal("cannot empty " + d + ": " + ec.message());
    }
  }
  BuildContexts();
  GANTRY_RETURN_IF_ERROR(PlanContainer(Context(github_, env_, JobStatus::kSuccess, scope_)));
  if (container_) BuildContexts();
  scope_.inputs = sh_.inputs;
  scope_.file = file_;

  expr::EvalContext ctx = Context(github_, env_, JobStatus::kSuccess, scope_);
  auto wf_env = EvaluateTextMap(wf_.env, ctx, file_);
  if (!wf_env.ok()) return wf_env.status();
  env_ = std::move(wf_env).value();
  ctx = Context(github_, env_, JobStatus::kSuccess, scope_);
  auto job_env = EvaluateTextMap(job_.env, ctx, file_);
  if (!job_env.ok()) return job_env.status();
  for (auto& [k, v] : *job_env) SetEnv(env_, k, std::move(v));
  ctx = Context(github_, env_, JobStatus::kSuccess, scope_);

  if (job_.continue_on_error) {
    auto coe = EvaluateBool(*job_.continue_on_error, ctx, file_);
    if (!coe.ok()) return coe.status();
    continue_on_error_ = *coe;
  }
  double minutes = timeout_minutes_;
  if (job_.timeout_minutes) {
    auto m = EvaluateNumber(*job_.timeout_minutes, ctx, file_);
    if (!m.ok()) return m.status();
    minutes = *m;
  }
  timeout_minutes_ = minutes;
  deadline_ = start_ + Minutes(minutes);
  if (job_.cancel_timeout_minutes) {
    auto m = EvaluateNumber(*job_.cancel_timeout_minutes, ctx, file_);
    if (m.ok()) cancel_timeout_minutes_ = *m;
  }
  return StartContainers(ctx);
}

void JobRunner::BuildContexts() {
  runner_ = sh_.runner;
  runner_.temp = Visible(temp_);
  runner_.workspace = container_ && !sh_.options->shared_workspace.empty()
                          ? "/__w/" + RepositoryDirName(sh_.github)
                          : Visible(runner_workspace_);
  runner_.tool_cache = Visible(runner_.tool_cache);
  Object github = sh_.github.is_object() ? sh_.github.object_value() : Object();
  github.Set("job", Value(job_.id));
  github.Set("workspace", Value(Visible(workspace_)));
  if (container_) github.Set("event_path", Value(kContainerEventPath));
  github_ = Value(std::move(github));
  Object base;
  base.Set("github", github_);
  base.Set("vars", sh_.vars);
  base.Set("secrets", sh_.secrets);
  // An environment's own secrets and vars win over the run's (gantry exec --env-secret).
  if (!in_.environment.empty() && sh_.options != nullptr) {
    auto env = sh_.options->environments.find(core::AsciiLower(in_.environment));
    if (env != sh_.options->environments.end()) {
      Object vars = sh_.vars.is_object() ? sh_.vars.object_value() : Object();
      for (const auto& [k, v] : env->second.vars) vars.Set(k, Value(v));
      Object secrets = sh_.secrets.is_object() ? sh_.secrets.object_value() : Object();
      for (const auto& [k, v] : env->second.secrets) secrets.Set(k, Value(v));
      base.Set("vars", Value(std::move(vars)));
      base.Set("secrets", Value(std::move(secrets)));
    }
  }
  base.Set("matrix", in_.matrix);
  base.Set("strategy", in_.strategy);
  base.Set("needs", in_.needs);
  base.Set("runner", MakeRunnerContext(runner_));
  base_contexts_ = Value(std::move(base));
}

core::Status JobRunner::StartContainers(const expr::EvalContext& ctx) {
  auto specs = EvaluateServices(job_, ctx, file_);
  if (!specs.ok()) return specs.status();
  if (specs->empty() && !container_) return core::Status::Ok();
  ContainerHost* host = sh_.options->container_host;
  if (host == nullptr) {
    return core::Status::Unavailable(
        container_ ? Located(file_, ContainerPos(),
                             "job containers need a Docker engine: run the job on the host "
                             "(without `container:`)")
                   : Located(file_, job_.pos,
                             "services need a Docker engine: run the job without services"));
  }
  const Value* run_id = github_.is_object() ? github_.object_value().Find("run_id") : nullptr;
  std::string job = in_.key.job_id + "-" + std::to_string(in_.key.instance);
  EnvList labels = {{"gantry.run", run_id == nullptr ? "" : run_id->ToString()},
                    {"gantry.job", job}};
  container_host_ = host;
  auto log = [this](std::string_view line) {
    sh_.observer->OnLogLine(in_.key, -1, sh_.masker->Mask(std::string(line)));
  };
  JobContainerSpec job_container;
  if (container_) {
    job_container.container = *container_;
    job_container.mounts = ContainerMounts();
    job_container.working_dir = Visible(workspace_);
  }
  // The job's timeout-minutes bounds the start too: a watchdog cancels it at the deadline
  // (or when the job is cancelled).
  backend::CancelToken start_cancel;
  bool start_timed_out = false;
  core::Status st;
  {
    std::jthread watchdog([&](const std::stop_token& stop) {
      pollfd fd{cancel_.wait_fd(), POLLIN, 0};
      while (!stop.stop_requested()) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
        if (left.count() <= 0) {
          start_timed_out = true;
          start_cancel.Cancel();
          return;
        }
        if (::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 100))) > 0) {
          start_cancel.Cancel();
          return;
        }
      }
    });
    st = host->Start(container_ ? &job_container : nullptr, *specs, "gantry-" + job, labels, log,
                     start_cancel, services_);
  }
  if (start_timed_out) {
    JobTimedOut();
    return core::Status::DeadlineExceeded(report_.error);
  }
  if (!st.ok()) {
    const workflow::Position& pos =
        container_ && services_.container_id.empty() ? ContainerPos() : job_.pos;
    return core::Status(
        st.code(),
        Located(file_, pos,
                sh_.masker->Mask(
                    (services_.container_id.empty() && container_ ? "container: " : "services: ") +
                    st.message())));
  }
  services_context_ = ServicesContext(services_);
  container_context_ = ContainerContext(services_);
  if (!container_) return core::Status::Ok();
  container_backend_ = host->JobBackend(services_);
  return ProbeContainer();
}

void JobRunner::StopContainers() {
  if (container_host_ == nullptr) return;
  container_host_->Stop(services_, [this](std::string_view line) {
    sh_.observer->OnLogLine(in_.key, -1, sh_.masker->Mask(std::string(line)));
  });
  container_host_ = nullptr;
}

// GITHUB_ACTION: the step id, else "__run" / "__owner_repo", numbered when repeated.
std::string JobRunner::ActionName(const workflow::Step& s) {
  if (!s.id.empty()) return s.id;
  std::string base = "__run";
  if (s.uses) {
    std::string uses = std::string(core::TrimSpace(s.uses->value));
    // A local action (./ or $/, the same repository) is "__self" on GitHub.
    if (workflow::IsLocalReference(uses)) uses = "self";
    uses = uses.substr(0, uses.find('@'));
    for (char& c : uses) {
      if (c == '/' || c == '.' || c == '-') c = '_';
    }
    base = "__" + uses;
  }
  int n = ++action_counts_[base];
  return n == 1 ? base : base + "_" + std::to_string(n);
}

Value JobRunner::StepGithub(const std::string& action, const StepFiles& files,
                            const Scope& scope) const {
  Object g = github_.object_value();
  g.Set("action", Value(action));
  g.Set("env", Value(Visible(files.env)));
  g.Set("output", Value(Visible(files.output)));
  g.Set("path", Value(Visible(files.path)));
  g.Set("step_summary", Value(Visible(files.summary)));
  g.Set("state", Value(Visible(files.state)));
  if (scope.depth > 0) {
    g.Set("action_path", Value(Visible(scope.action_path)));
    g.Set("action_repository", Value(scope.action_repository));
    g.Set("action_ref", Value(scope.action_ref));
  }
  return Value(std::move(g));
}

EnvList JobRunner::EnvOf(const Scope& scope) const {
  EnvList env = scope.lane != nullptr ? scope.lane->env : env_;
  for (const auto& [k, v] : scope.step_env) SetEnv(env, k, v);
  return env;
}

EnvList JobRunner::ProcessEnv(const EnvList& env, const Value& github, const Lane* lane) const {
  const std::vector<std::string>& prepend_path =
      lane != nullptr ? lane->prepend_path : prepend_path_;
  // A container job's steps start from the container's environment, not this machine's.
  EnvList out = container_ ? EnvList() : sh_.options->base_env;
  out.reserve(out.size() + env.size() + 48);
  SetEnv(out, "CI", "true");
  for (const auto& [k, v] : env) SetEnv(out, k, v);
  for (auto& [k, v] : GithubEnvironment(github)) SetEnv(out, k, std::move(v));
  for (auto& [k, v] : RunnerEnvironment(runner_)) SetEnv(out, k, std::move(v));
  if (!prepend_path.empty()) {
    std::string path;
    for (auto it = prepend_path.rbegin(); it != prepend_path.rend(); ++it) {
      path += *it;
      path += ':';
    }
    const std::string* old = FindEnv(out, "PATH");
    path += old != nullptr ? *old : container_path_env_;
    SetEnv(out, "PATH", std::move(path));
  }
  if (container_) SetEnv(out, "HOME", kContainerHome);
  return out;
}

void JobRunner::JobTimedOut() {
  if (timed_out_) return;
  timed_out_ = true;
  report_.error = "The job running on runner " + runner_.name +
                  " has exceeded the maximum execution time of " +
                  expr::FormatNumber(timeout_minutes_) + " minutes.";
}

const backend::CancelToken& JobRunner::Token(const StepCall& c) {
  if (c.scope != nullptr && c.scope->lane != nullptr) return c.scope->lane->cancel;
  return Token(c.after_cancel);
}

const std::string& JobRunner::FilesDir(const Scope& scope) const {
  return scope.lane != nullptr ? scope.lane->files_dir : in_.files_dir;
}

const backend::CancelToken& JobRunner::Token(bool after_cancel) {
  if (!after_cancel) return cancel_;
  // Steps that run after a cancellation (always(), cancelled()) must not be killed by it.
  if (!cleanup_token_) cleanup_token_ = std::make_unique<backend::CancelToken>();
  return *cleanup_token_;
}

// Runs one step of `scope`. The job's own steps are reported to the observer as steps; the
// steps of a composite action (`parent` set) write into the step that uses the action.
void JobRunner::RunStepIn(const workflow::Step& s, Scope& scope, int report,
                          const StepCall* parent) {
  std::optional<PreparedStep> p = PrepareStep(s, scope, report, parent, false);
  if (p) ExecuteStep(*p, s, scope, parent == nullptr, nullptr);
}

std::optional<PreparedStep> JobRunner::PrepareStep(const workflow::Step& s, Scope& scope,
                                                   int report, const StepCall* parent,
                                                   bool background) {
  const bool top = parent == nullptr;
  PreparedStep p;
  p.started = Clock::now();
  if (p.started >= deadline_) JobTimedOut();
  StepCall& c = p.call;
  c.step = &s;
  c.scope = &scope;
  c.report = report;
  c.status = StatusOf(scope);
  c.files = MakeStepFiles(FilesDir(scope));
  c.github = StepGithub(ActionName(s), c.files, scope);
  c.env = EnvOf(scope);
  const std::string& file = scope.file;
  p.ctx = Context(c.github, c.env, c.status, scope);
  StepReport& rep = p.report;
  rep.index = report;
  rep.name = sh_.masker->Mask(DefaultStepName(s));
  rep.background = background;
  c.oo.masker = sh_.masker;
  c.oo.observer = sh_.observer;
  c.oo.job = &in_.key;
  c.oo.step = report;
  c.oo.debug = sh_.debug;
  c.oo.workspace = workspace_;
  auto fail = [&](const std::string& error) {
    StepOutput(c.oo).Error(error);
    if (top) sh_.observer->OnStepStarted(in_.key, report, rep.name);
    rep.outcome = rep.conclusion = Conclusion::kFailure;
    rep.error = sh_.masker->Mask(error);
    rep.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - p.started);
    Record(s, background ? scope_ : scope, rep, {});
    if (top) sh_.observer->OnStepFinished(in_.key, rep);
    return std::optional<PreparedStep>();
  };

  auto step_env = EvaluateTextMap(s.env, p.ctx, file);
  if (!step_env.ok()) return fail(step_env.status().message());
  for (auto& [k, v] : *step_env) SetEnv(c.env, k, std::move(v));
  p.ctx = Context(c.github, c.env, c.status, scope);
  if (s.name) {
    auto n = EvaluateString(*s.name, p.ctx, file);
    if (n.ok()) rep.name = sh_.masker->Mask(*n);
  }
  c.name = rep.name;
  std::string_view condition = s.if_condition ? s.if_condition->value : std::string_view();
  auto run_it = expr::EvaluateCondition(condition, p.ctx);
  if (!run_it.ok()) return fail(Located(file, s.if_condition->pos, run_it.status().message()));
  if (!*run_it) {
    rep.outcome = rep.conclusion = Conclusion::kSkipped;
    Record(s, background ? scope_ : scope, rep, {});
    if (top) sh_.observer->OnStepFinished(in_.key, rep);
    return std::nullopt;
  }
  if (top && !background) sh_.observer->OnStepStarted(in_.key, report, rep.name);
  if (s.continue_on_error) {
    auto coe_value = EvaluateBool(*s.continue_on_error, p.ctx, file);
    if (!coe_value.ok()) return fail(coe_value.status().message());
    p.continue_on_error = *coe_value;
  }
  c.after_cancel = c.status == JobStatus::kCancelled;
  if (parent != nullptr) {
    c.deadline = parent->deadline;
    c.timeout_message = parent->timeout_message;
    c.step_binds = parent->step_binds;
    c.after_cancel = parent->after_cancel || c.after_cancel;
  } else {
    milliseconds step_limit{0};
    double step_minutes = 0;
    if (s.timeout_minutes) {
      auto m = EvaluateNumber(*s.timeout_minutes, p.ctx, file);
      if (!m.ok()) return fail(m.status().message());
      step_minutes = *m;
      step_limit = std::max(milliseconds(1), Minutes(step_minutes));
    }
    Clock::time_point now = Clock::now();
    Clock::time_point job_end =
        c.after_cancel ? now + Minutes(cancel_timeout_minutes_) : std::max(deadline_, now);
    c.step_binds = step_limit.count() != 0 && now + step_limit <= job_end;
    c.deadline = c.step_binds ? now + step_limit : job_end;
    // GitHub's runner words a background step's timeout differently.
    c.timeout_message = c.step_binds
                            ? std::string(background ? "The background step '" : "The action '") +
                                  rep.name + "' has timed out after " +
                                  expr::FormatNumber(step_minutes) + " minutes."
                            : "The job has exceeded the maximum execution time.";
  }
  c.oo.allow_unsecure_commands =
      IsTrueString(FindEnv(c.env, "ACTIONS_ALLOW_UNSECURE_COMMANDS")) ||
      IsTrueString(FindEnv(sh_.options->base_env, "ACTIONS_ALLOW_UNSECURE_COMMANDS"));
  return p;
}

void JobRunner::ExecuteStep(PreparedStep& p, const workflow::Step& s, Scope& scope, bool top,
                            EnvList* held_outputs) {
  StepCall& c = p.call;
  c.scope = &scope;
  StepOutput out(c.oo);
  StepEnd end = s.uses ? RunUses(c, p.ctx, out) : RunScript(c, p.ctx);
  StepReport& rep = p.report;
  rep.outcome = end.outcome;
  rep.conclusion = end.outcome == Conclusion::kFailure && p.continue_on_error ? Conclusion::kSuccess
                                                                              : end.outcome;
  rep.error = sh_.masker->Mask(end.error);
  rep.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - p.started);
  if (held_outputs != nullptr) {
    *held_outputs = std::move(end.outputs);
  } else {
    Record(s, scope, rep, std::move(end.outputs));
  }
  if (top) sh_.observer->OnStepFinished(in_.key, rep);
}

StepEnd JobRunner::RunScript(StepCall& c, const expr::EvalContext& ctx) {
  const workflow::Step& s = *c.step;
  const std::string& file = c.scope->file;
  const bool top = c.scope->depth == 0;
  auto text = [&](const std::optional<workflow::Text>& step_value,
                  const std::optional<workflow::Text>& job_default,
                  const std::optional<workflow::Text>& wf_default) -> core::Result<std::string> {
    // Composite actions take no defaults from the workflow that uses them.
    const auto& t = step_value    ? step_value
                    : !top        ? std::nullopt
                    : job_default ? job_default
                                  : wf_default;
    if (!t) return std::string();
    return EvaluateString(*t, ctx, file);
  };
  auto script = text(s.run, std::nullopt, std::nullopt);
  auto shell = text(s.shell, job_.defaults.shell, wf_.defaults.shell);
  auto wd =
      text(s.working_directory, job_.defaults.working_directory, wf_.defaults.working_directory);
  for (const auto* r : {&script, &shell, &wd}) {
    if (!r->ok()) {
      StepOutput(c.oo).Error(r->status().message());
      return StepEnd{Conclusion::kFailure, r->status().message(), {}};
    }
  }
  ScriptStep ss;
  ss.script = std::move(script).value();
  ss.shell = std::string(core::TrimSpace(*shell));
  ss.working_directory = std::move(wd).value();
  return RunProcess(c, ss, nullptr);
}

StepEnd JobRunner::RunProcess(StepCall& c, ScriptStep& ss, EnvList* state,
                              backend::Backend* backend) {
  ss.index = c.report;
  ss.workspace = workspace_;
  ss.script_dir = FilesDir(*c.scope);
  ss.files = c.files;
  ss.kill_grace = sh_.options->kill_grace;
  ss.timeout = std::max(milliseconds(1),
                        std::chrono::duration_cast<milliseconds>(c.deadline - Clock::now()));
  ss.timeout_message = c.timeout_message;
  Lane* lane = c.scope->lane;
  if (ss.env.empty()) ss.env = ProcessEnv(c.env, c.github, lane);
  if (backend == nullptr) {
    backend = &StepBackend();
    if (container_) ss.container = &container_paths_;
    ss.find_program = Finder();
  }
  StepOutput script_out(c.oo);
  ScriptResult result;
  {
    // Other steps of the job (background ones) go on while this process runs.
    Unlocked unlocked(mu_);
    result = RunScriptStep(ss, *backend, Token(c), script_out);
  }
  ApplyExports(result.env, std::move(result.paths), result.summary, lane);
  if (state != nullptr) *state = std::move(result.state);
  StepEnd end{result.outcome, std::move(result.error), std::move(result.outputs)};
  if (result.timed_out && !c.step_binds && !c.after_cancel) {
    JobTimedOut();
    end.outcome = Conclusion::kCancelled;
    end.error = report_.error;
  }
  return end;
}

void JobRunner::ApplyExports(const EnvList& env, std::vector<std::string> paths,
                             const std::string& summary, Lane* lane) {
  if (lane != nullptr) {
    // Seen by the rest of this background step now, by the job once it is waited for.
    lane->exports.push_back(Lane::Export{env, paths, summary});
    for (const auto& [k, v] : env) SetEnv(lane->env, k, v);
    for (const std::string& p : paths) PrependPath(lane->prepend_path, p);
    return;
  }
  for (const auto& [k, v] : env) SetEnv(env_, k, v);
  for (std::string& p : paths) PrependPath(prepend_path_, std::move(p));
  if (!summary.empty()) report_.summary += sh_.masker->Mask(summary);
}

void JobRunner::Record(const workflow::Step& s, Scope& scope, const StepReport& rep,
                       EnvList outputs) {
  if (rep.conclusion == Conclusion::kFailure) {
    scope.failed = true;
    if (scope.depth == 0) {
      MarkFailed(rep.name);
    }
  }
  if (rep.outcome == Conclusion::kCancelled) cancelled_ = true;
  if (s.id.empty()) return;
  scope.steps.push_back(StepRecord{s.id, std::move(outputs), rep.outcome, rep.conclusion});
}

void JobRunner::MarkFailed(const std::string& step) {
  failed_ = true;
  if (report_.failed_step.empty()) report_.failed_step = step;
}

// Post stages run in the reverse order of their main stages, each as a step of its own.
void JobRunner::RunPostStages() {
  int index = reported_steps_;
  for (auto it = posts_.rbegin(); it != posts_.rend(); ++it) RunPostStage(*it, index++);
}

void JobRunner::EvaluateOutputs() {
  if (job_.outputs.empty()) return;
  expr::EvalContext ctx = Context(github_, env_, Status(false), scope_);
  auto outputs = EvaluateTextMap(job_.outputs, ctx, file_);
  if (!outputs.ok()) {
    failed_ = true;
    if (report_.error.empty()) report_.error = outputs.status().message();
    return;
  }
  for (auto& [k, v] : *outputs) {
    if (sh_.masker->Mask(v) != v) {
      Annotation a;
      a.level = "warning";
      a.message = "Skip output '" + k + "' since it may contain secret.";
      sh_.observer->OnAnnotation(in_.key, -1, a);
      continue;
    }
    report_.outputs[k] = std::move(v);
  }
}

JobReport JobRunner::Finish() {
  container_backend_.reset();
  StopContainers();
  if (timed_out_ || (failed_ && !cancelled_)) {
    report_.conclusion = Conclusion::kFailure;
  } else if (cancelled_) {
    report_.conclusion = Conclusion::kCancelled;
  } else {
    report_.conclusion = failed_ ? Conclusion::kFailure : Conclusion::kSuccess;
  }
  report_.continued_on_error = report_.conclusion == Conclusion::kFailure && continue_on_error_;
  report_.error = sh_.masker->Mask(report_.error);
  report_.failed_step = sh_.masker->Mask(report_.failed_step);
  report_.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
  sh_.observer->OnJobFinished(report_);
  return report_;
}

}  // namespace internal

JobReport RunJob(const JobInstance& instance, const RunShared& shared,
                 const backend::CancelToken& cancel) {
  if (instance.job->IsReusableCall()) return RunReusableCall(instance, shared, cancel);
  return internal::JobRunner(instance, shared, cancel).Run();
}

}  // namespace gantry::engine
