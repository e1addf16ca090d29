#include "engine/reusable.h"

#include <chrono>
#include <map>

#include "engine/contexts.h"
#include "engine/plan.h"
#include "engine/runner.h"

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

// Shows the called workflow's jobs as GitHub does: "caller / callee".
class PrefixObserver : public RunObserver {
 public:
  PrefixObserver(RunObserver& inner, const JobKey& caller) : inner_(inner), caller_(caller) {}

  void OnJobStarted(const JobKey& job) override { inner_.OnJobStarted(Key(job)); }
  void OnStepStarted(const JobKey& job, int index, const std::string& name) override {
    inner_.OnStepStarted(Key(job), index, name);
  }
  void OnLogLine(const JobKey& job, int step, std::string_view line) override {
    inner_.OnLogLine(Key(job), step, line);
  }
  void OnGroup(const JobKey& job, int step, bool start, std::string_view title) override {
    inner_.OnGroup(Key(job), step, start, title);
  }
  void OnDebug(const JobKey& job, int step, std::string_view message) override {
    inner_.OnDebug(Key(job), step, message);
  }
  void OnAnnotation(const JobKey& job, int step, const Annotation& a) override {
    inner_.OnAnnotation(Key(job), step, a);
  }
  void OnReport(const JobKey& job, int step, std::string_view kind,
                std::string_view json) override {
    inner_.OnReport(Key(job), step, kind, json);
  }
  void OnStepFinished(const JobKey& job, const StepReport& step) override {
    inner_.OnStepFinished(Key(job), step);
  }
  void OnJobFinished(const JobReport& job) override {
    JobReport copy = job;
    copy.key = Key(job.key);
    inner_.OnJobFinished(copy);
  }

 private:
  JobKey Key(const JobKey& k) const {
    return JobKey{caller_.job_id + "/" + k.job_id, k.instance,
                  caller_.display_name + " / " + k.display_name};
  }
  RunObserver& inner_;
  const JobKey& caller_;
};

struct CalledJob {
  Conclusion result = Conclusion::kSkipped;
  bool any_failed = false, any_cancelled = false, all_skipped = true;
  std::map<std::string, std::string> outputs;
};

}  // namespace

JobReport RunReusableCall(const JobInstance& instance, const RunShared& shared,
                          const backend::CancelToken& cancel) {
  auto start = std::chrono::steady_clock::now();
  const workflow::Job& job = *instance.job;
  const std::string& file = shared.workflow->file;
  JobReport report;
  report.key = instance.key;
  shared.observer->OnJobStarted(instance.key);
  auto finish = [&](Conclusion conclusion, const std::string& error) {
    report.conclusion = conclusion;
    report.error = shared.masker->Mask(error);
    report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    shared.observer->OnJobFinished(report);
    return report;
  };
  if (!job.called_workflow) {
    return finish(Conclusion::kFailure,
                  Located(file, job.uses->pos,
                          "jobs." + job.id + ".uses: " + job.uses->value +
                              " could not be loaded (a remote reusable workflow needs the "
                              "actions fetcher; see the errors above)"));
  }
  const workflow::Workflow& called = *job.called_workflow;

  Object caller;
  Object github = shared.github.object_value();
  github.Set("job", Value(job.id));
  caller.Set("github", Value(std::move(github)));
  caller.Set("needs", instance.needs);
  caller.Set("strategy", instance.strategy);
  caller.Set("matrix", instance.matrix);
  caller.Set("inputs", shared.inputs);
  caller.Set("vars", shared.vars);
  caller.Set("secrets", shared.secrets);
  expr::EvalContext ctx;
  ctx.contexts = Value(std::move(caller));
  auto with = EvaluateTextMap(job.with, ctx, file);
  if (!with.ok()) return finish(Conclusion::kFailure, with.status().message());
  EnvList secrets = shared.options->secrets;
  if (!job.secrets_inherit) {
    auto mapped = EvaluateTextMap(job.secrets, ctx, file);
    if (!mapped.ok()) return finish(Conclusion::kFailure, mapped.status().message());
    secrets = std::move(mapped).value();
  }

  Value inputs = MakeInputsContext(called, "workflow_call", Value(), *with);
  PlanOptions plan_options;
  Object plan_ctx;
  plan_ctx.Set("github", shared.github);
  plan_ctx.Set("vars", shared.vars);
  plan_ctx.Set("inputs", inputs);
  plan_options.context.contexts = Value(std::move(plan_ctx));
  auto plan = BuildPlan(job.called_workflow, plan_options);
  if (!plan.ok()) return finish(Conclusion::kFailure, plan.status().message());

  RunOptions nested = *shared.options;
  nested.secrets = std::move(secrets);
  nested.inputs = std::move(with).value();
  nested.workflow_call = true;
  nested.run_dir = instance.dir;
  nested.github = shared.github;
  nested.masker = shared.masker;
  nested.cancel = &cancel;
  PrefixObserver observer(*shared.observer, instance.key);
  RunReport run = RunPlan(*plan, nested, *shared.backend, observer);

  // The jobs context of workflow_call outputs: each called job's result and merged outputs.
  std::map<std::string, CalledJob> jobs;
  for (const JobReport& j : run.jobs) {
    CalledJob& c = jobs[j.key.job_id];
    c.any_failed |= j.conclusion == Conclusion::kFailure && !j.continued_on_error;
    c.any_cancelled |= j.conclusion == Conclusion::kCancelled;
    c.all_skipped &= j.conclusion == Conclusion::kSkipped;
    for (const auto& [k, v] : j.outputs) {
      if (!v.empty()) c.outputs[k] = v;
    }
    if (j.conclusion == Conclusion::kFailure && !j.continued_on_error &&
        report.failed_step.empty()) {
      report.failed_step = instance.key.display_name + " / " + j.key.display_name;
    }
  }
  Object jobs_ctx;
  bool failed = false, cancelled = run.cancelled;
  for (auto& [id, c] : jobs) {
    c.result = c.any_failed      ? Conclusion::kFailure
               : c.any_cancelled ? Conclusion::kCancelled
               : c.all_skipped   ? Conclusion::kSkipped
                                 : Conclusion::kSuccess;
    failed |= c.result == Conclusion::kFailure;
    cancelled |= c.result == Conclusion::kCancelled;
    Object o;
    o.Set("result", Value(ConclusionName(c.result)));
    Object outputs;
    for (const auto& [k, v] : c.outputs) outputs.Set(k, Value(v));
    o.Set("outputs", Value(std::move(outputs)));
    jobs_ctx.Set(id, Value(std::move(o)));
  }
  Object out_ctx;
  out_ctx.Set("github", shared.github);
  out_ctx.Set("jobs", Value(std::move(jobs_ctx)));
  out_ctx.Set("inputs", inputs);
  out_ctx.Set("vars", shared.vars);
  expr::EvalContext outputs_ctx;
  outputs_ctx.contexts = Value(std::move(out_ctx));
  std::string error;
  if (const workflow::EventTrigger* trigger = called.on.Find("workflow_call")) {
    for (const workflow::TriggerOutput& out : trigger->outputs) {
      auto v = EvaluateString(workflow::Text{out.value, out.pos}, outputs_ctx, called.file);
      if (!v.ok()) {
        if (error.empty()) error = v.status().message();
        failed = true;
        continue;
      }
      if (shared.masker->Mask(*v) != *v) {
        Annotation a;
        a.level = "warning";
        a.message = "Skip output '" + out.name + "' since it may contain secret.";
        shared.observer->OnAnnotation(instance.key, -1, a);
        continue;
      }
      report.outputs[out.name] = std::move(v).value();
    }
  }
  report.failed_step = shared.masker->Mask(report.failed_step);
  return finish(failed      ? Conclusion::kFailure
                : cancelled ? Conclusion::kCancelled
                            : Conclusion::kSuccess,
                error);
}

}  // namespace gantry::engine
