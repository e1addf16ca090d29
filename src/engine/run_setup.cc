#include "engine/run_setup.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "core/strings.h"
#include "engine/runs_on.h"

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

bool IsTrue(const std::vector<std::pair<std::string, std::string>>& list, std::string_view key) {
  for (const auto& [k, v] : list) {
    if (k == key) return v == "true" || v == "TRUE" || v == "True";
  }
  return false;
}

void Default(Object& o, std::string_view key, Value value) {
  const Value* v = o.Find(key);
  if (v == nullptr || v->is_null()) o.Set(std::string(key), std::move(value));
}

std::string StringOf(const Object& o, std::string_view key) {
  const Value* v = o.Find(key);
  return v != nullptr && v->is_primitive() && !v->is_null() ? v->ToString() : "";
}

// The contexts a job-level if: and the job's strategy/name may use.
expr::EvalContext JobContext(const RunSetup& setup, const Value& needs,
                             expr::EvalContext::JobStatus status) {
  Object o;
  o.Set("github", setup.shared.github);
  o.Set("needs", needs);
  o.Set("vars", setup.shared.vars);
  o.Set("inputs", setup.shared.inputs);
  expr::EvalContext ctx;
  ctx.contexts = Value(std::move(o));
  ctx.job_status = status;
  return ctx;
}

// GitHub shows an evaluated `name:` alone, without the matrix values, whenever it holds an
// expression.
bool NameHasExpression(const workflow::Job& job) {
  return job.name && job.name->value.find("${{") != std::string::npos;
}

core::Result<bool> JobCondition(const RunSetup& setup, const workflow::Job& job, const Value& needs,
                                expr::EvalContext::JobStatus status) {
  expr::ParseOptions options;
  options.status_functions_take_job_ids = true;
  std::string_view text = job.if_condition ? job.if_condition->value : std::string_view();
  auto ok = expr::EvaluateCondition(text, JobContext(setup, needs, status), options);
  if (!ok.ok()) {
    return core::Status::InvalidArgument(
        Located(setup.shared.workflow->file, job.if_condition->pos, ok.status().message()));
  }
  return ok;
}

}  // namespace

std::unique_ptr<RunSetup> PrepareRun(const Plan& plan, const RunOptions& options,
                                     backend::Backend& backend, RunObserver& observer,
                                     core::Masker* fallback_masker) {
  auto setup = std::make_unique<RunSetup>();
  RunShared& s = setup->shared;
  s.options = &options;
  s.backend = &backend;
  s.observer = &observer;
  s.workflow = plan.workflow.get();
  s.masker = options.masker != nullptr ? options.masker : fallback_masker;
  for (const auto& [k, v] : options.secrets) s.masker->Add(v);
  for (const auto& [name, env] : options.environments) {
    for (const auto& [k, v] : env.secrets) s.masker->Add(v);
  }
  s.debug = options.verbose || IsTrue(options.secrets, "ACTIONS_STEP_DEBUG") ||
            IsTrue(options.vars, "ACTIONS_STEP_DEBUG");

  s.run_dir = options.run_dir;
  std::error_code ec;
  if (s.run_dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path(ec) / "gantry-run-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) s.run_dir = tmpl;
  }
  std::filesystem::create_directories(s.run_dir, ec);

  Object github = options.github.is_object() ? options.github.object_value() : Object();
  Default(github, "event", Value(Object()));
  std::string event_path = s.run_dir + "/event.json";
  {
    std::ofstream out(event_path, std::ios::binary | std::ios::trunc);
    out << github.Find("event")->ToJsonText() << "\n";
  }
  github.Set("event_path", Value(event_path));
  const workflow::Workflow& wf = *plan.workflow;
  Default(
      github, "workflow",
      Value(wf.name && wf.name->value.find("${{") == std::string::npos ? wf.name->value : wf.file));
  Default(github, "event_name", Value("push"));
  Default(github, "run_id", Value("1"));
  Default(github, "run_number", Value("1"));
  Default(github, "run_attempt", Value("1"));
  Default(github, "retention_days", Value("90"));
  Default(github, "server_url", Value("https://github.com"));
  Default(github, "api_url", Value("https://api.github.com"));
  Default(github, "graphql_url", Value("https://api.github.com/graphql"));
  Default(github, "action_path", Value(""));
  Default(github, "action_ref", Value(""));
  Default(github, "action_repository", Value(""));
  Default(github, "ref_protected", Value(false));
  if (const Value* actor = github.Find("actor"); actor != nullptr && actor->is_string()) {
    Default(github, "triggering_actor", *actor);
  }
  std::string repository = StringOf(github, "repository");
  if (size_t slash = repository.find('/'); slash != std::string::npos) {
    Default(github, "repository_owner", Value(repository.substr(0, slash)));
  }
  std::string ref = StringOf(github, "ref");
  for (std::string_view prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref.rfind(prefix, 0) != 0) continue;
    Default(github, "ref_name", Value(ref.substr(prefix.size())));
    Default(github, "ref_type", Value(prefix == "refs/heads/" ? "branch" : "tag"));
  }
  for (const auto& [k, v] : options.secrets) {
    if (k == "GITHUB_TOKEN") Default(github, "token", Value(v));
  }
  s.github = Value(std::move(github));
  s.secrets = ObjectFromPairs(options.secrets);
  s.vars = ObjectFromPairs(options.vars);
  s.inputs = options.workflow_call
                 ? MakeInputsContext(wf, "workflow_call", Value(), options.inputs)
                 : MakeInputsContext(wf, StringOf(s.github.object_value(), "event_name"),
                                     *s.github.Find("event"), options.inputs);

  s.runner = DetectRunner();
  const std::string* tool_cache = FindEnv(options.base_env, "RUNNER_TOOL_CACHE");
  s.runner.tool_cache = tool_cache != nullptr ? *tool_cache : s.run_dir + "/_tool";
  s.runner.debug = s.debug;
  return setup;
}

namespace {

// `ctx` with the `vars` of environment `name` (RunOptions::environments, any case) over the
// run's; `ctx` itself when the environment has none.
expr::EvalContext EnvironmentVarsContext(const RunSetup& setup, const std::string& name,
                                         const expr::EvalContext& ctx) {
  const RunOptions* options = setup.shared.options;
  if (options == nullptr || options->environments.empty() || !ctx.contexts.is_object()) {
    return ctx;
  }
  auto env = options->environments.find(core::AsciiLower(name));
  if (env == options->environments.end() || env->second.vars.empty()) return ctx;
  Object contexts = ctx.contexts.object_value();
  const Value* run_vars = contexts.Find("vars");
  Object vars = run_vars != nullptr && run_vars->is_object() ? run_vars->object_value() : Object();
  for (const auto& [k, v] : env->second.vars) vars.Set(k, Value(v));
  contexts.Set("vars", Value(std::move(vars)));
  expr::EvalContext out = ctx;
  out.contexts = Value(std::move(contexts));
  return out;
}

}  // namespace

core::Result<JobLaunch> ResolveJob(const RunSetup& setup, const PlannedJob& planned,
                                   const Value& needs, expr::EvalContext::JobStatus status) {
  const workflow::Job& job = *planned.job;
  const std::string& file = setup.shared.workflow->file;
  JobLaunch launch;
  launch.needs = needs;
  auto run = JobCondition(setup, job, needs, status);
  if (!run.ok()) return run.status();
  launch.run = *run;
  if (!launch.run) return launch;

  expr::EvalContext ctx = JobContext(setup, needs, expr::EvalContext::JobStatus::kSuccess);
  std::vector<MatrixInstance> instances;
  if (planned.instances) {
    instances = *planned.instances;
  } else if (job.strategy) {
    auto expanded = ExpandMatrix(*job.strategy, ctx);
    if (!expanded.ok()) {
      return core::Status::InvalidArgument(
          Located(file, job.strategy->pos, expanded.status().message()));
    }
    instances = std::move(expanded).value();
  } else {
    instances.push_back(MatrixInstance{Value(Object())});
  }

  if (planned.settings) {
    launch.fail_fast = planned.settings->fail_fast;
    launch.max_parallel = planned.settings->max_parallel;
  } else if (job.strategy) {
    auto settings = EvaluateStrategySettings(*job.strategy, ctx);
    if (!settings.ok()) {
      return core::Status::InvalidArgument(
          Located(file, job.strategy->pos, settings.status().message()));
    }
    launch.fail_fast = settings->fail_fast;
    launch.max_parallel = settings->max_parallel;
  }
  if (launch.max_parallel < 0) launch.max_parallel = 0;

  int total = static_cast<int>(instances.size());
  bool name_is_template = NameHasExpression(job);
  Object base = ctx.contexts.object_value();
  for (int i = 0; i < total; ++i) {
    InstanceLaunch inst;
    inst.matrix = instances[i].values.is_object() ? instances[i].values : Value(Object());
    inst.instance = instances[i];
    inst.strategy = MakeStrategyContext(launch.fail_fast, i, total,
                                        launch.max_parallel > 0 ? launch.max_parallel : total);
    const bool check_runs_on = job.runs_on && setup.shared.options->host_labels != nullptr;
    // The instance's name and runs-on see its own matrix and strategy.
    expr::EvalContext instance_ctx;
    if (job.name || job.runs_on || job.environment) {
      Object o = base;
      o.Set("matrix", inst.matrix);
      o.Set("strategy", inst.strategy);
      instance_ctx.contexts = Value(std::move(o));
    }
    std::string name = job.id;
    if (job.name) {
      auto n = EvaluateString(*job.name, instance_ctx, file);
      name = n.ok() ? *n : job.name->value;
    }
    if (job.runs_on) {
      auto labels = EvaluateRunsOn(*job.runs_on, instance_ctx, file);
      if (!labels.ok() && check_runs_on) return labels.status();
      if (labels.ok()) {
        if (check_runs_on) inst.not_here = WhyNotHere(*labels, *setup.shared.options->host_labels);
        inst.runs_on = std::move(labels).value();
      }
    }
    if (job.environment) {
      auto env = EvaluateString(job.environment->name, instance_ctx, file);
      inst.environment = env.ok() ? *env : job.environment->name.value;
      std::optional<std::string> url;
      if (job.environment->url) {
        // The url sees the environment's own vars over the run's, as its steps do.
        expr::EvalContext url_ctx = EnvironmentVarsContext(setup, inst.environment, instance_ctx);
        auto u = EvaluateString(*job.environment->url, url_ctx, file);
        if (u.ok()) url = *u;
        inst.environment_url = u.ok() ? *u : job.environment->url->value;
      }
      // A name that does not evaluate records no deployment; the job itself still runs.
      const bool deployment =
          !job.environment->deployment || job.environment->deployment->value != "false";
      if (deployment && env.ok() && !env->empty()) {
        inst.deployment = EnvironmentRef{*env, url.value_or("")};
      }
    }
    bool has_matrix = job.strategy && !inst.matrix.object_value().empty();
    inst.key = JobKey{
        job.id, i, has_matrix ? InstanceDisplayName(name, inst.instance, name_is_template) : name};
    inst.key.display_name = setup.shared.masker->Mask(inst.key.display_name);
    launch.instances.push_back(std::move(inst));
  }
  return launch;
}

core::Result<JobGroup> JobConcurrency(const RunSetup& setup, const PlannedJob& planned,
                                      const OneJob& one) {
  JobGroup out;
  const workflow::Job* job = planned.job;
  if (job == nullptr || !job->concurrency) return out;
  expr::EvalContext ctx = JobContext(setup, one.needs, expr::EvalContext::JobStatus::kSuccess);
  Object o = ctx.contexts.object_value();
  o.Set("matrix", one.matrix);
  o.Set("strategy", one.strategy);
  ctx.contexts = Value(std::move(o));
  const std::string& file = setup.shared.workflow->file;
  auto group = EvaluateString(job->concurrency->group, ctx, file);
  if (!group.ok()) return group.status();
  out.group = std::move(group).value();
  if (job->concurrency->cancel_in_progress) {
    auto cancel = EvaluateBool(*job->concurrency->cancel_in_progress, ctx, file);
    if (!cancel.ok()) return cancel.status();
    out.cancel_in_progress = cancel.value();
  }
  return out;
}

bool KeepAfterCancel(const RunSetup& setup, const PlannedJob& job, const Value& needs) {
  auto keep = JobCondition(setup, *job.job, needs, expr::EvalContext::JobStatus::kCancelled);
  return keep.ok() && *keep;
}

std::string SkippedDisplayName(const RunSetup& setup, const PlannedJob& job) {
  if (!job.job->name) return job.id;
  auto n = EvaluateString(
      *job.job->name, JobContext(setup, Value(Object()), expr::EvalContext::JobStatus::kSuccess),
      setup.shared.workflow->file);
  return n.ok() ? setup.shared.masker->Mask(*n) : job.job->name->value;
}

JobInstance MakeJobInstance(const RunSetup& setup, const PlannedJob& planned, const OneJob& job,
                            int slot) {
  JobInstance spec;
  spec.job = planned.job;
  spec.key = JobKey{job.job_id, job.instance, job.display_name};
  spec.matrix = job.matrix;
  spec.strategy = job.strategy;
  spec.needs = job.needs;
  spec.environment = job.environment;
  spec.dir = setup.shared.run_dir + "/" + planned.id + "-" + std::to_string(job.instance);
  spec.files_dir = setup.shared.run_dir + "/_runner_files/" + std::to_string(slot);
  return spec;
}

}  // namespace gantry::engine
