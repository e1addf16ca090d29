#include "cli/exec_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "actions/builtins.h"
#include "actions/docker_host.h"
#include "actions/fetcher.h"
#include "backend/backend.h"
#include "backend/sandbox/sandbox_backend.h"
#include "cli/console_printer.h"
#include "cli/exec_config.h"
#include "cli/exec_plan_print.h"
#include "cli/exec_workflows.h"
#include "cli/git_context.h"
#include "cli/json_printer.h"
#include "cli/run_dir.h"
#include "cli/sudo_shim.h"
#include "core/masker.h"
#include "engine/plan.h"
#include "engine/runner.h"
#include "engine/runs_on.h"
#include "engine/services.h"
#include "workflow/event_filter.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;
using expr::Object;
using expr::Value;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNothingRanHere = 3;
constexpr int kExitInterrupted = 130;

// The run being executed, for the signal handler (Cancel() is async-signal-safe).
std::atomic<backend::CancelToken*> g_cancel{nullptr};

extern "C" void HandleInterrupt(int /*sig*/) {
  if (backend::CancelToken* token = g_cancel.load()) token->Cancel();
}

// Installs SIGINT/SIGTERM handlers that cancel `token`; restores the old ones when destroyed.
class InterruptGuard {
 public:
  explicit InterruptGuard(backend::CancelToken& token) {
    g_cancel.store(&token);
    struct sigaction sa = {};
    sa.sa_handler = HandleInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    g_cancel.store(nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

// Sweeps what jobs left behind (by label) when the run ends: a job that ended normally already
// removed its services.
class ServiceSweeper {
 public:
  ServiceSweeper(actions::DockerContainerHost& host, std::ostream& err) : host_(host), err_(err) {}
  ~ServiceSweeper() {
    host_.Sweep([this](std::string_view line) { err_ << "gantry exec: " << line << '\n'; });
  }
  ServiceSweeper(const ServiceSweeper&) = delete;
  ServiceSweeper& operator=(const ServiceSweeper&) = delete;

 private:
  actions::DockerContainerHost& host_;
  std::ostream& err_;
};

// Everything parsed from the command line before workflows are looked at.
struct Config {
  NameValues secrets, vars, env_file_values, cli_inputs;
  std::map<std::string, EnvironmentValueSet> environments;
  MatrixFilter matrix;
};

core::Result<Config> ParseConfig(const ExecOptions& o, const EnvLookup& env) {
  Config c;
  auto secrets = ResolveSecrets(o.secrets, o.secret_files, env);
  if (!secrets.ok()) return secrets.status();
  c.secrets = std::move(*secrets);
  auto environments = ResolveEnvironmentValues(o.env_secrets, o.env_secret_files, o.env_vars, env);
  if (!environments.ok()) return environments.status();
  c.environments = std::move(*environments);
  for (const auto& v : o.vars) {
    auto kv = SplitAssignment(v, "--var");
    if (!kv.ok()) return kv.status();
    c.vars.push_back(std::move(*kv));
  }
  for (const auto& i : o.inputs) {
    auto kv = SplitAssignment(i, "--input");
    if (!kv.ok()) return kv.status();
    c.cli_inputs.push_back(std::move(*kv));
  }
  for (const auto& f : o.env_files) {
    auto values = ReadDotenvFile(f);
    if (!values.ok()) return values.status();
    for (auto& kv : *values) c.env_file_values.push_back(std::move(kv));
  }
  auto matrix = ParseMatrixFilter(o.matrix);
  if (!matrix.ok()) return matrix.status();
  c.matrix = std::move(*matrix);
  if (o.parallelism < 0) return core::Status::InvalidArgument("-p must be at least 1");
  return c;
}

core::Result<Value> ReadEventPayload(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::NotFound("--eventpath " + path + ": cannot read the file");
  std::stringstream buf;
  buf << in.rdbuf();
  auto v = Value::ParseJson(buf.str());
  if (!v.ok())
    return core::Status::InvalidArgument("--eventpath " + path + ": " + v.status().message());
  if (!v->is_object()) {
    return core::Status::InvalidArgument("--eventpath " + path + ": not a JSON object");
  }
  return v;
}

Value WithMember(const Value& obj, const std::string& key, Value member) {
  Object o = obj.is_object() ? obj.object_value() : Object();
  o.Set(key, std::move(member));
  return Value(std::move(o));
}

// The inputs a dispatch/call event carries: the payload's `inputs`, then --input.
NameValues GivenInputs(const Value& event, const NameValues& cli) {
  NameValues given;
  if (const Value* inputs = event.Find("inputs"); inputs != nullptr && inputs->is_object()) {
    for (const auto& [k, v] : inputs->object_value().entries()) {
      given.emplace_back(k, v.is_primitive() ? v.ToString() : v.ToJsonText());
    }
  }
  given.insert(given.end(), cli.begin(), cli.end());
  return given;
}

// The host environment steps start from, without the GITHUB_* variables the runner defines per
// step (an outer CI's GITHUB_ENV or GITHUB_OUTPUT must not leak into the run), plus --env-file.
std::vector<std::pair<std::string, std::string>> BaseEnv(const NameValues& env_file_values) {
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(entry.substr(0, eq));
    if (name.rfind("GITHUB_", 0) == 0) continue;
    env.emplace_back(std::move(name), std::string(entry.substr(eq + 1)));
  }
  for (const auto& entry : env_file_values) {
    auto it =
        std::find_if(env.begin(), env.end(), [&](const auto& p) { return p.first == entry.first; });
    if (it != env.end()) {
      it->second = entry.second;
    } else {
      env.push_back(entry);
    }
  }
  return env;
}

std::string* FindPath(std::vector<std::pair<std::string, std::string>>& env) {
  for (auto& [k, v] : env) {
    if (k == "PATH") return &v;
  }
  return nullptr;
}

bool NeedsChangedFiles(const std::vector<LoadedWorkflow>& workflows, const std::string& event) {
  return std::any_of(workflows.begin(), workflows.end(), [&](const LoadedWorkflow& w) {
    const auto* t = w.workflow->on.Find(event);
    return t != nullptr && (!t->paths.empty() || !t->paths_ignore.empty());
  });
}

void MaskReport(engine::RunReport& report, const core::Masker& masker) {
  for (auto& job : report.jobs) {
    job.key.display_name = masker.Mask(job.key.display_name);
    job.failed_step = masker.Mask(job.failed_step);
    job.error = masker.Mask(job.error);
    job.summary = masker.Mask(job.summary);
    for (auto& [k, v] : job.outputs) v = masker.Mask(v);
  }
}

struct Prepared {
  std::vector<PlannedWorkflow> plans;
  std::vector<Value> github;  // per plan
  std::vector<NameValues> inputs;
};

}  // namespace

int RunExecCommand(const ExecOptions& options, std::ostream& out, std::ostream& err) {
  return RunExecCommand(options, SandboxFlags{}, out, err);
}

int RunExecCommand(const ExecOptions& options, const SandboxFlags& sandbox, std::ostream& out,
                   std::ostream& err) {
  const auto started = std::chrono::steady_clock::now();
  EnvLookup env = ProcessEnv();
  auto fail = [&](const std::string& message) {
    err << "gantry exec: " << message << '\n';
    if (options.json) JsonPrinter(out, false).Error(message);
    return kExitUsage;
  };

  auto config = ParseConfig(options, env);
  if (!config.ok()) return fail(config.status().message());
  engine::HostLabels host_labels;
  {
    engine::RunnerInfo runner = engine::DetectRunner();
    host_labels.os = runner.os;
    host_labels.arch = runner.arch;
  }
  for (const std::string& spec : options.runs_on) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || spec.substr(eq + 1) != "host")
      return fail("--runs-on expects LABEL=host (a runs-on label this machine takes), got '" +
                  spec + "'");
    host_labels.mapped.push_back(spec.substr(0, eq));
  }
  if (core::Status st = CheckSandboxFlags(sandbox); !st.ok()) return fail(st.message());
  // Secrets are registered before anything else can print.
  core::Masker masker;
  for (const auto& [name, value] : config->secrets) masker.Add(value);

  auto source = FindWorkflowFiles(options.workflows, options.workspace);
  if (!source.ok()) return fail(source.status().message());
  actions::FetcherOptions fetch;
  fetch.cache_dir = options.action_cache;
  if (!options.actions_url.empty()) fetch.base_url = options.actions_url;
  fetch.offline = options.offline;
  for (const std::string& spec : options.action_urls) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return fail("--actions-url-for expects OWNER=URL, got '" + spec + "'");
    fetch.owner_urls[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  for (const std::string& spec : options.local_actions) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || spec.find('@') > eq || eq + 1 == spec.size())
      return fail("--local-action expects OWNER/REPO@REF=DIR, got '" + spec + "'");
    fetch.local_overrides[spec.substr(0, eq)] = fs::absolute(spec.substr(eq + 1)).string();
  }
  std::unique_ptr<engine::ActionFetcher> fetcher = actions::MakeGitFetcher(fetch);
  workflow::Diagnostics diagnostics;
  std::vector<LoadedWorkflow> loaded = LoadWorkflows(*source, diagnostics);
  auto report_problems = [&]() {
    for (const auto& d : diagnostics) {
      err << masker.Mask(d.ToString()) << '\n';
      if (options.json) JsonPrinter(out, false).Error(masker.Mask(d.ToString()));
    }
    err << "gantry exec: " << diagnostics.size()
        << (diagnostics.size() == 1 ? " problem" : " problems")
        << " in the workflows; fix them (see gantry lint) and run again\n";
    return kExitUsage;
  };
  if (!diagnostics.empty()) return report_problems();

  GitInfo git = ReadGitInfo(source->root);
  Value event;
  if (!options.event_path.empty()) {
    auto payload = ReadEventPayload(options.event_path);
    if (!payload.ok()) return fail(payload.status().message());
    event = *payload;
  }
  RunIdentity id = ResolveIdentity(git, options.event, event, source->root, env);
  if (options.event_path.empty()) event = SynthesizeEvent(options.event, git, id);

  workflow::EventFacts facts;
  facts.name = options.event;
  facts.ref = id.ref;
  facts.base_ref = id.base_ref;
  if (const Value* action = event.Find("action"); action != nullptr && action->is_string()) {
    facts.action = action->string_value();
  }
  if (NeedsChangedFiles(loaded, options.event)) {
    facts.changed_files = ChangedFiles(git, options.event, event, source->root);
  }

  if (!config->cli_inputs.empty() && options.event != "workflow_dispatch" &&
      options.event != "workflow_call") {
    err << "gantry exec: warning: --input applies to workflow_dispatch and workflow_call\n";
  }
  // Remote reusable workflows are fetched only for the workflows this event runs.
  for (auto& lw : loaded) {
    if (HasRemoteCalls(*lw.workflow) && workflow::TriggersMatch(lw.workflow->on, facts))
      LoadRemoteCalls(*source, lw, diagnostics, *fetcher);
  }
  if (!diagnostics.empty()) return report_problems();
  Prepared prepared;
  // -j: each workflow runs the named jobs it has; every name must be in a triggered one.
  std::set<std::string> jobs_found;
  std::set<std::string> matrix_keys;  // what --matrix may name
  for (const auto& lw : loaded) {
    if (!workflow::TriggersMatch(lw.workflow->on, facts)) continue;
    std::vector<std::string> only_jobs;
    for (const std::string& job : options.jobs) {
      if (lw.workflow->FindJob(job) == nullptr) continue;
      only_jobs.push_back(job);
      jobs_found.insert(job);
    }
    if (!options.jobs.empty() && only_jobs.empty()) continue;
    const workflow::EventTrigger* trigger = lw.workflow->on.Find(options.event);
    Value run_event = event;
    NameValues inputs;
    if (options.event == "workflow_dispatch" || options.event == "workflow_call") {
      auto resolved = ResolveInputs(trigger->inputs, GivenInputs(event, config->cli_inputs));
      if (!resolved.ok()) return fail(lw.display + ": " + resolved.status().message());
      for (const auto& w : resolved->warnings) err << "gantry exec: warning: " << w << '\n';
      inputs = resolved->values;
      Object event_inputs;
      for (const auto& [k, v] : inputs) event_inputs.Set(k, Value(v));
      run_event = WithMember(event, "inputs", Value(std::move(event_inputs)));
    }
    std::string name = lw.workflow->name ? lw.workflow->name->value : lw.repo_path;
    Value github = BuildGithubContext(options.event, run_event, id, name, lw.repo_path);
    Object vars;
    for (const auto& [k, v] : config->vars) vars.Set(k, Value(v));
    Object contexts;
    contexts.Set("github", github);
    contexts.Set("vars", Value(std::move(vars)));
    contexts.Set("inputs", InputsContext(trigger->inputs, inputs));

    engine::PlanOptions plan_options;
    plan_options.only_jobs = std::move(only_jobs);
    plan_options.no_deps = options.no_deps;
    plan_options.context.contexts = Value(contexts);
    plan_options.context.workspace = source->root.string();
    auto plan = engine::BuildPlan(WithBaseEnv(lw.workflow, config->env_file_values), plan_options);
    if (!plan.ok()) return fail(lw.display + ": " + masker.Mask(plan.status().message()));
    for (auto& job : plan->jobs) {
      if (!job.instances || config->matrix.empty()) continue;
      auto& inst = *job.instances;
      for (const engine::MatrixInstance& m : inst) AddMatrixKeys(m, matrix_keys);
      inst.erase(std::remove_if(inst.begin(), inst.end(),
                                [&](const engine::MatrixInstance& m) {
                                  return !MatrixInstanceSelected(config->matrix, m);
                                }),
                 inst.end());
    }
    prepared.plans.push_back({name, lw.repo_path, std::move(*plan), Value(std::move(contexts))});
    prepared.github.push_back(github);
    prepared.inputs.push_back(std::move(inputs));
  }
  if (!config->matrix.empty() && !prepared.plans.empty()) {
    core::Status keys = CheckMatrixFilterKeys(config->matrix, matrix_keys);
    if (!keys.ok()) return fail(keys.message());
  }
  for (const std::string& job : options.jobs) {
    if (jobs_found.contains(job)) continue;
    // Say so when the job exists but its workflow's filters (branches, paths, types) leave
    // this event out.
    for (const auto& lw : loaded) {
      if (lw.workflow->FindJob(job) == nullptr) continue;
      return fail("job '" + job + "' is in " + lw.display + ", which " + options.event +
                  (id.ref.empty() ? "" : " on " + id.ref) +
                  " does not trigger (its `on:` filters leave this event out)");
    }
    return fail("no workflow triggered by " + options.event + " has a job '" + job + "'");
  }
  if (prepared.plans.empty()) {
    err << "gantry exec: no workflow in " << source->root.string() << " runs on " << options.event
        << " (checked " << loaded.size() << " files; see docs/exec.md)\n";
    return kExitOk;
  }
  if (options.list || options.dry_run) {
    PrintPlans(prepared.plans, options.event, options.dry_run, options.json, host_labels, out);
    return kExitOk;
  }

  actions::PullPolicy pull = actions::PullPolicy::kMissing;
  if (options.pull == "never") {
    pull = actions::PullPolicy::kNever;
  } else if (options.pull == "always") {
    pull = actions::PullPolicy::kAlways;
  } else if (options.pull != "missing") {
    return fail("--pull must be never, missing or always, not '" + options.pull + "'");
  }

  RunDir run_dir(options.keep_run_dir, err);
  if (run_dir.path().empty()) return fail("cannot create a run directory under $TMPDIR");
  std::string artifacts = options.artifact_dir;
  if (artifacts.empty()) artifacts = run_dir.path() + "/artifacts";
  std::error_code ec;
  fs::create_directories(artifacts, ec);

  ConsolePrinter::Style style;
  const char* no_color = std::getenv("NO_COLOR");
  style.color = options.color == ColorMode::kAlways ||
                (options.color == ColorMode::kAuto && isatty(STDOUT_FILENO) != 0 &&
                 (no_color == nullptr || *no_color == '\0'));
  const char* lang = std::getenv("LC_ALL");
  if (lang == nullptr || *lang == '\0') lang = std::getenv("LANG");
  std::string locale = lang == nullptr ? "" : lang;
  style.unicode = style.color && (locale.find("UTF-8") != std::string::npos ||
                                  locale.find("utf8") != std::string::npos);
  style.verbose = options.verbose;
  ConsolePrinter console(out, masker, style);
  JsonPrinter json(out, options.verbose);
  engine::RunObserver& observer = options.json ? static_cast<engine::RunObserver&>(json) : console;

  backend::CancelToken cancel;
  InterruptGuard interrupts(cancel);
  std::unique_ptr<backend::Backend> backend;
  if (sandbox.enabled) {
    // Jobs with `container:` run in their container, not through this backend.
    auto sandbox_options = SandboxOptionsFor(
        sandbox, run_dir.path(), options.workspace.empty() ? "" : source->root.string());
    if (!sandbox_options.ok()) return fail(sandbox_options.status().message());
    std::vector<std::string> notes;
    auto made = backend::MakeSandboxBackend(*sandbox_options, &notes);
    for (const std::string& note : notes) err << "gantry exec: sandbox: " << note << '\n';
    if (!made.ok()) return fail("--sandbox: " + made.status().message());
    backend = std::move(made).value();
  } else {
    backend = backend::MakeHostBackend();
  }

  actions::BuiltinOptions builtin_options;
  builtin_options.artifact_dir = fs::absolute(artifacts).string();
  builtin_options.cache.dir =
      options.cache_dir.empty() ? actions::DefaultCacheDir() : options.cache_dir;
  std::unique_ptr<engine::BuiltinActions> builtins = actions::MakeBuiltinActions(builtin_options);

  // Services connect to Docker on the first job that has some; the guard removes whatever a
  // job left behind (by label) once every workflow ran.
  actions::DockerContainerHost services("", pull, fs::path(run_dir.path()).filename().string());
  ServiceSweeper services_sweeper(services, err);

  engine::RunOptions run;
  run.fetcher = fetcher.get();
  run.builtins = builtins.get();
  run.container_host = &services;
  run.parallelism = options.parallelism > 0
                        ? options.parallelism
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  run.repository_dir = source->root.string();
  run.run_dir = run_dir.path();
  run.reuse_job_dirs = !options.keep_run_dir;
  run.max_background_steps = options.max_background_steps;
  run.host_labels = &host_labels;
  if (!options.workspace.empty()) run.shared_workspace = source->root.string();
  run.secrets = config->secrets;
  run.vars = config->vars;
  for (const auto& [name, values] : config->environments) {
    run.environments[name] = {values.secrets, values.vars};
  }
  run.base_env = BaseEnv(config->env_file_values);
  if (!options.no_sudo_shim && !sandbox.enabled && geteuid() == 0) {
    // Appended to PATH, so it never shadows a sudo that a step installs.
    std::string* path = FindPath(run.base_env);
    if (path != nullptr && !HasProgramOnPath(*path, "sudo")) {
      std::string dir = run_dir.path() + "/_sudo";
      if (core::Status st = WriteSudoShim(dir); !st.ok()) return fail(st.message());
      *path += (path->empty() ? "" : ":") + dir;
    }
  }
  run.artifact_dir = fs::absolute(artifacts).string();
  run.verbose = options.verbose;
  run.masker = &masker;
  run.cancel = &cancel;

  std::vector<WorkflowRunResult> results;
  for (size_t i = 0; i < prepared.plans.size() && !cancel.cancelled(); ++i) {
    const PlannedWorkflow& pw = prepared.plans[i];
    auto wf_started = std::chrono::steady_clock::now();
    if (options.json) {
      std::vector<std::string> job_ids;
      for (const auto& j : pw.plan.jobs) job_ids.push_back(j.id);
      json.RunStarted(pw.name, pw.file, options.event, job_ids);
    } else {
      if (prepared.plans.size() > 1) console.SetWorkflowPrefix(pw.name);
      std::string label = pw.name == pw.file ? pw.file : pw.name + " (" + pw.file + ")";
      console.Note("Running " + masker.Mask(label) + " on " + options.event);
    }
    run.github = prepared.github[i];
    run.inputs = prepared.inputs[i];
    engine::RunReport report = engine::RunPlan(pw.plan, run, *backend, observer);
    MaskReport(report, masker);
    results.push_back({pw.name, pw.file, std::move(report)});
    if (options.json) {
      json.RunFinished(results.back(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - wf_started));
    }
  }

  bool cancelled = cancel.cancelled() ||
                   std::any_of(results.begin(), results.end(),
                               [](const WorkflowRunResult& r) { return r.report.cancelled; });
  bool ok = std::all_of(results.begin(), results.end(),
                        [](const WorkflowRunResult& r) { return r.report.success(); });
  // Jobs whose runs-on this machine cannot serve count as skipped; when they are all there
  // was (no job ran at all), the status says so.
  bool any_not_here = false, any_ran = false;
  for (const WorkflowRunResult& r : results) {
    for (const engine::JobReport& j : r.report.jobs) {
      any_not_here |= !j.not_here.empty();
      any_ran |= j.conclusion != engine::Conclusion::kSkipped;
    }
  }
  int code = cancelled                  ? kExitInterrupted
             : !ok                      ? kExitFailed
             : any_not_here && !any_ran ? kExitNothingRanHere
                                        : kExitOk;
  auto total = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (options.json) {
    json.Summary(results, total, cancelled, code);
  } else {
    console.PrintSummary(results, total, cancelled);
  }
  return code;
}

}  // namespace gantry::cli
