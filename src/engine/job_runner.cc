#include "engine/job_runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>

#include "engine/checkout.h"
#include "engine/reusable.h"
#include "engine/step_runner.h"

namespace gantry::engine {
namespace {

using Clock = std::chrono::steady_clock;
using JobStatus = expr::EvalContext::JobStatus;
using expr::Object;
using expr::Value;
using std::chrono::milliseconds;

constexpr double kDefaultJobTimeoutMinutes = 360;
constexpr double kDefaultCancelTimeoutMinutes = 5;

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

std::string Trimmed(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// "Run <first line of the script>" / "Run <action>", as GitHub names a step without `name:`.
std::string DefaultStepName(const workflow::Step& s) {
  if (s.uses) return "Run " + Trimmed(s.uses->value);
  std::string_view script = s.run ? std::string_view(s.run->value) : std::string_view();
  size_t b = script.find_first_not_of(" \t\r\n");
  script = b == std::string_view::npos ? std::string_view() : script.substr(b);
  return "Run " + std::string(script.substr(0, script.find_first_of("\r\n")));
}

bool IsTrueString(const std::string* v) {
  if (v == nullptr) return false;
  std::string t = Trimmed(*v);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t == "true";
}

struct StepRecord {
  std::string id;
  EnvList outputs;
  Conclusion outcome = Conclusion::kSuccess;
  Conclusion conclusion = Conclusion::kSuccess;
};

class JobRunner {
 public:
  JobRunner(const JobInstance& in, const RunShared& sh, const backend::CancelToken& cancel)
      : in_(in), sh_(sh), cancel_(cancel), job_(*in.job), wf_(*sh.workflow), file_(wf_.file) {}

  JobReport Run() {
    start_ = Clock::now();
    report_.key = in_.key;
    sh_.observer->OnJobStarted(in_.key);
    core::Status setup = Setup();
    if (!setup.ok()) {
      failed_ = true;
      report_.error = setup.message();
    } else {
      for (size_t i = 0; i < job_.steps.size(); ++i) RunStep(static_cast<int>(i));
      EvaluateOutputs();
    }
    return Finish();
  }

 private:
  // The status a step's if: sees. A cancellation counts once a step boundary observed it: a
  // job that finished its last step before being cancelled (fail-fast racing) succeeded.
  JobStatus Status(bool observe_cancel = true) {
    if (observe_cancel && cancel_.cancelled()) cancelled_ = true;
    if (cancelled_ || timed_out_) return JobStatus::kCancelled;
    return failed_ ? JobStatus::kFailure : JobStatus::kSuccess;
  }

  expr::EvalContext Context(const Value& github, const EnvList& env, JobStatus status) const {
    Object o = base_contexts_.object_value();
    o.Set("github", github);
    o.Set("env", ObjectFromPairs(env));
    o.Set("job", MakeJobContext(StatusName(status)));
    Object steps;
    for (const StepRecord& r : steps_) {
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

  core::Status Setup() {
    const RunOptions& opt = *sh_.options;
    workspace_ = opt.shared_workspace.empty() ? in_.dir + "/workspace" : opt.shared_workspace;
    temp_ = in_.dir + "/temp";
    std::error_code ec;
    for (const std::string& d : {workspace_, temp_, in_.files_dir}) {
      std::filesystem::create_directories(d, ec);
      if (ec) return core::Status::Internal("cannot create " + d + ": " + ec.message());
    }
    runner_ = sh_.runner;
    runner_.temp = temp_;
    Object github = sh_.github.is_object() ? sh_.github.object_value() : Object();
    github.Set("job", Value(job_.id));
    github.Set("workspace", Value(workspace_));
    github_ = Value(std::move(github));
    Object base;
    base.Set("github", github_);
    base.Set("vars", sh_.vars);
    base.Set("secrets", sh_.secrets);
    base.Set("inputs", sh_.inputs);
    base.Set("matrix", in_.matrix);
    base.Set("strategy", in_.strategy);
    base.Set("needs", in_.needs);
    base.Set("runner", MakeRunnerContext(runner_));
    base_contexts_ = Value(std::move(base));

    expr::EvalContext ctx = Context(github_, env_, JobStatus::kSuccess);
    auto wf_env = EvaluateTextMap(wf_.env, ctx, file_);
    if (!wf_env.ok()) return wf_env.status();
    env_ = std::move(wf_env).value();
    ctx = Context(github_, env_, JobStatus::kSuccess);
    auto job_env = EvaluateTextMap(job_.env, ctx, file_);
    if (!job_env.ok()) return job_env.status();
    for (auto& [k, v] : *job_env) SetEnv(env_, k, std::move(v));
    ctx = Context(github_, env_, JobStatus::kSuccess);

    if (job_.continue_on_error) {
      auto coe = EvaluateBool(*job_.continue_on_error, ctx, file_);
      if (!coe.ok()) return coe.status();
      continue_on_error_ = *coe;
    }
    double minutes = kDefaultJobTimeoutMinutes;
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
    bool container = false;
    if (job_.container) {
      auto image = EvaluateText(job_.container->image, ctx, file_);
      if (!image.ok()) return image.status();
      container =
          !(image->is_string() && Trimmed(image->string_value()).empty()) && !image->is_null();
    }
    if (container || !job_.services.empty() || job_.services_expression) {
      return core::Status::Unavailable(
          Located(file_, job_.container ? job_.container->pos : job_.pos,
                  "container jobs need a Docker engine (not supported yet)"));
    }
    return core::Status::Ok();
  }

  // GITHUB_ACTION: the step id, else "__run" / "__owner_repo", numbered when repeated.
  std::string ActionName(const workflow::Step& s) {
    if (!s.id.empty()) return s.id;
    std::string base = "__run";
    if (s.uses) {
      std::string uses = Trimmed(s.uses->value);
      uses = uses.substr(0, uses.find('@'));
      for (char& c : uses) {
        if (c == '/' || c == '.' || c == '-') c = '_';
      }
      base = "__" + uses;
    }
    int n = ++action_counts_[base];
    return n == 1 ? base : base + "_" + std::to_string(n);
  }

  Value StepGithub(const std::string& action, const StepFiles& files) const {
    Object g = github_.object_value();
    g.Set("action", Value(action));
    g.Set("env", Value(files.env));
    g.Set("output", Value(files.output));
    g.Set("path", Value(files.path));
    g.Set("step_summary", Value(files.summary));
    g.Set("state", Value(files.state));
    return Value(std::move(g));
  }

  EnvList ProcessEnv(const EnvList& env, const Value& github) const {
    EnvList out = sh_.options->base_env;
    out.reserve(out.size() + env.size() + 48);
    SetEnv(out, "CI", "true");
    for (const auto& [k, v] : env) SetEnv(out, k, v);
    for (auto& [k, v] : GithubEnvironment(github)) SetEnv(out, k, std::move(v));
    for (auto& [k, v] : RunnerEnvironment(runner_)) SetEnv(out, k, std::move(v));
    if (!prepend_path_.empty()) {
      std::string path;
      for (auto it = prepend_path_.rbegin(); it != prepend_path_.rend(); ++it) {
        path += *it;
        path += ':';
      }
      const std::string* old = FindEnv(out, "PATH");
      path += old != nullptr ? *old : "";
      SetEnv(out, "PATH", std::move(path));
    }
    return out;
  }

  void JobTimedOut() {
    if (timed_out_) return;
    timed_out_ = true;
    report_.error = "The job running on runner " + runner_.name +
                    " has exceeded the maximum execution time of " +
                    expr::FormatNumber(timeout_minutes_) + " minutes.";
  }

  const backend::CancelToken& Token(bool after_cancel) {
    if (!after_cancel) return cancel_;
    // Steps that run after a cancellation (always(), cancelled()) must not be killed by it.
    if (!cleanup_token_) cleanup_token_ = std::make_unique<backend::CancelToken>();
    return *cleanup_token_;
  }

  void RunStep(int index) {
    const workflow::Step& s = job_.steps[index];
    Clock::time_point started = Clock::now();
    if (started >= deadline_) JobTimedOut();
    JobStatus status = Status();
    StepFiles files = MakeStepFiles(in_.files_dir);
    Value github = StepGithub(ActionName(s), files);
    EnvList env = env_;
    expr::EvalContext ctx = Context(github, env, status);
    StepReport rep;
    rep.index = index;
    rep.name = sh_.masker->Mask(DefaultStepName(s));
    StepOutputOptions oo;
    oo.masker = sh_.masker;
    oo.observer = sh_.observer;
    oo.job = &in_.key;
    oo.step = index;
    oo.debug = sh_.debug;
    oo.workspace = workspace_;
    StepOutput out(oo);
    bool coe = false;
    auto finish = [&](Conclusion outcome, const std::string& error, bool started_event) {
      if (!started_event) sh_.observer->OnStepStarted(in_.key, index, rep.name);
      if (!error.empty() && outcome == Conclusion::kFailure) out.Error(error);
      rep.outcome = outcome;
      rep.conclusion = outcome == Conclusion::kFailure && coe ? Conclusion::kSuccess : outcome;
      rep.error = sh_.masker->Mask(error);
      rep.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
      Record(s, rep, {});
      sh_.observer->OnStepFinished(in_.key, rep);
    };

    auto step_env = EvaluateTextMap(s.env, ctx, file_);
    if (!step_env.ok()) return finish(Conclusion::kFailure, step_env.status().message(), false);
    for (auto& [k, v] : *step_env) SetEnv(env, k, std::move(v));
    ctx = Context(github, env, status);
    if (s.name) {
      auto n = EvaluateString(*s.name, ctx, file_);
      if (n.ok()) rep.name = sh_.masker->Mask(*n);
    }
    std::string_view condition = s.if_condition ? s.if_condition->value : std::string_view();
    auto run_it = expr::EvaluateCondition(condition, ctx);
    if (!run_it.ok()) {
      return finish(Conclusion::kFailure,
                    Located(file_, s.if_condition->pos, run_it.status().message()), false);
    }
    if (!*run_it) {
      rep.outcome = rep.conclusion = Conclusion::kSkipped;
      Record(s, rep, {});
      sh_.observer->OnStepFinished(in_.key, rep);
      return;
    }
    sh_.observer->OnStepStarted(in_.key, index, rep.name);
    if (s.continue_on_error) {
      auto c = EvaluateBool(*s.continue_on_error, ctx, file_);
      if (!c.ok()) return finish(Conclusion::kFailure, c.status().message(), true);
      coe = *c;
    }
    if (s.uses) return Uses(s, ctx, out, finish);

    ScriptStep ss;
    ss.index = index;
    ss.workspace = workspace_;
    ss.script_dir = in_.files_dir;
    ss.files = files;
    ss.kill_grace = sh_.options->kill_grace;
    auto text = [&](const std::optional<workflow::Text>& step_value,
                    const std::optional<workflow::Text>& job_default,
                    const std::optional<workflow::Text>& wf_default) -> core::Result<std::string> {
      const auto& t = step_value ? step_value : job_default ? job_default : wf_default;
      if (!t) return std::string();
      return EvaluateString(*t, ctx, file_);
    };
    auto script = text(s.run, std::nullopt, std::nullopt);
    auto shell = text(s.shell, job_.defaults.shell, wf_.defaults.shell);
    auto wd =
        text(s.working_directory, job_.defaults.working_directory, wf_.defaults.working_directory);
    for (const auto* r : {&script, &shell, &wd}) {
      if (!r->ok()) return finish(Conclusion::kFailure, r->status().message(), true);
    }
    ss.script = std::move(script).value();
    ss.shell = Trimmed(*shell);
    ss.working_directory = std::move(wd).value();

    milliseconds step_limit{0};
    double step_minutes = 0;
    if (s.timeout_minutes) {
      auto m = EvaluateNumber(*s.timeout_minutes, ctx, file_);
      if (!m.ok()) return finish(Conclusion::kFailure, m.status().message(), true);
      step_minutes = *m;
      step_limit = std::max(milliseconds(1), Minutes(step_minutes));
    }
    bool after_cancel = status == JobStatus::kCancelled;
    milliseconds job_left =
        after_cancel ? Minutes(cancel_timeout_minutes_)
                     : std::max(milliseconds(1),
                                std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now()));
    bool step_binds = step_limit.count() != 0 && step_limit <= job_left;
    ss.timeout = step_binds ? step_limit : job_left;
    ss.timeout_message = step_binds ? "The action '" + rep.name + "' has timed out after " +
                                          expr::FormatNumber(step_minutes) + " minutes."
                                    : "The job has exceeded the maximum execution time.";
    ss.env = ProcessEnv(env, github);
    oo.allow_unsecure_commands =
        IsTrueString(FindEnv(env, "ACTIONS_ALLOW_UNSECURE_COMMANDS")) ||
        IsTrueString(FindEnv(sh_.options->base_env, "ACTIONS_ALLOW_UNSECURE_COMMANDS"));
    StepOutput script_out(oo);
    ScriptResult result = RunScriptStep(ss, *sh_.backend, Token(after_cancel), script_out);

    for (auto& [k, v] : result.env) SetEnv(env_, k, std::move(v));
    for (std::string& p : result.paths) {
      prepend_path_.erase(std::remove(prepend_path_.begin(), prepend_path_.end(), p),
                          prepend_path_.end());
      prepend_path_.push_back(std::move(p));
    }
    if (!result.summary.empty()) report_.summary += sh_.masker->Mask(result.summary);
    Conclusion outcome = result.outcome;
    if (result.timed_out && !step_binds && !after_cancel) {
      JobTimedOut();
      outcome = Conclusion::kCancelled;
      result.error = report_.error;
    }
    rep.outcome = outcome;
    rep.conclusion = outcome == Conclusion::kFailure && coe ? Conclusion::kSuccess : outcome;
    rep.error = sh_.masker->Mask(result.error);
    rep.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    Record(s, rep, std::move(result.outputs));
    sh_.observer->OnStepFinished(in_.key, rep);
  }

  // `uses:` steps: the built-in local actions/checkout; every other action fails the step.
  template <typename Finish>
  void Uses(const workflow::Step& s, const expr::EvalContext& ctx, StepOutput& out,
            Finish& finish) {
    UsesStep step;
    step.uses = Trimmed(s.uses->value);
    auto with = EvaluateTextMap(s.with, ctx, file_);
    if (!with.ok()) return finish(Conclusion::kFailure, with.status().message(), true);
    step.with = std::move(with).value();
    const Value* repo = github_.Find("repository");
    if (repo != nullptr && repo->is_string()) step.github_repository = repo->string_value();
    step.repository_dir = sh_.options->repository_dir;
    step.shared_workspace = sh_.options->shared_workspace;
    step.workspace = workspace_;
    step.exclude = {sh_.run_dir};
    std::string error = RunUsesStep(step, [&](std::string_view line) {
      out.Feed(line);
      out.Feed("\n");
    });
    Conclusion outcome = error.empty() ? Conclusion::kSuccess : Conclusion::kFailure;
    finish(outcome, error, true);
  }

  void Record(const workflow::Step& s, const StepReport& rep, EnvList outputs) {
    if (rep.conclusion == Conclusion::kFailure) {
      failed_ = true;
      if (report_.failed_step.empty()) report_.failed_step = rep.name;
    }
    if (rep.outcome == Conclusion::kCancelled) cancelled_ = true;
    if (s.id.empty()) return;
    steps_.push_back(StepRecord{s.id, std::move(outputs), rep.outcome, rep.conclusion});
  }

  void EvaluateOutputs() {
    if (job_.outputs.empty()) return;
    expr::EvalContext ctx = Context(github_, env_, Status(false));
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

  JobReport Finish() {
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

  const JobInstance& in_;
  const RunShared& sh_;
  const backend::CancelToken& cancel_;
  const workflow::Job& job_;
  const workflow::Workflow& wf_;
  const std::string& file_;
  JobReport report_;
  std::string workspace_, temp_;
  RunnerInfo runner_;
  Value github_, base_contexts_;
  EnvList env_;  // the env context: workflow env < job env < $GITHUB_ENV
  std::vector<std::string> prepend_path_;
  std::vector<StepRecord> steps_;
  std::map<std::string, int> action_counts_;
  std::unique_ptr<backend::CancelToken> cleanup_token_;
  bool failed_ = false, cancelled_ = false, timed_out_ = false, continue_on_error_ = false;
  double timeout_minutes_ = kDefaultJobTimeoutMinutes;
  double cancel_timeout_minutes_ = kDefaultCancelTimeoutMinutes;
  Clock::time_point start_, deadline_;
};

}  // namespace

JobReport RunJob(const JobInstance& instance, const RunShared& shared,
                 const backend::CancelToken& cancel) {
  if (instance.job->IsReusableCall()) return RunReusableCall(instance, shared, cancel);
  return JobRunner(instance, shared, cancel).Run();
}

}  // namespace gantry::engine
