// The `uses:` steps of a job: built-in actions, composite actions (their steps run in a scope
// of their own), node actions (run with the host's node, or the job container's) and the post
// stages they queue. Docker actions run in job_container.cc.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/strings.h"
#include "engine/job_steps.h"

namespace gantry::engine::internal {
namespace {

using expr::Object;
using expr::Value;
using std::chrono::milliseconds;

// GitHub stops composite actions nested deeper than this.
constexpr int kMaxCompositeDepth = 10;

std::string StringOf(const Value& v) { return v.is_string() ? v.string_value() : v.ToString(); }

// Secrets are masked in every output path, reports included: each string of a report's JSON
// (a test's failure message, a path) is masked; keys and numbers are left alone, so a short
// secret cannot make the JSON invalid.
std::string MaskReportJson(const core::Masker& masker, const std::string& text) {
  if (masker.longest() == 0) return text;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return masker.Mask(text);
  std::function<void(nlohmann::json&)> walk = [&](nlohmann::json& v) {
    if (v.is_string()) {
      v = masker.Mask(v.get_ref<const std::string&>());
    } else if (v.is_structured()) {
      for (nlohmann::json& child : v) walk(child);
    }
  };
  walk(j);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The node that runs the node action `uses`: found with `find` in a job container, else on
// the PATH of `env`.
core::Result<std::string> FindNode(const EnvList& env, const workflow::ActionManifest& m,
                                   std::string_view uses, const ProgramFinder& find) {
  const std::string* path = FindEnv(env, "PATH");
  std::string node = find ? find("node") : FindProgram("node", path != nullptr ? *path : "");
  if (node.empty()) {
    return core::Status::NotFound(
        "'" + std::string(uses) + "' is a " + m.runs.using_ + " action and needs `node` " +
        (find ? "in the job container's image" : "on PATH: install Node.js to run it"));
  }
  return node;
}

// A directory holding only a Dockerfile is a Docker action, as the runner reads it.
std::optional<workflow::ActionManifest> DockerfileOnly(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir + "/action.yml", ec) || fs::exists(dir + "/action.yaml", ec) ||
      !fs::is_regular_file(dir + "/Dockerfile", ec)) {
    return std::nullopt;
  }
  workflow::ActionManifest m;
  m.file = dir + "/Dockerfile";
  m.runs.kind = workflow::ActionKind::kDocker;
  m.runs.using_ = "docker";
  m.runs.image = workflow::Text{"Dockerfile", {}};
  return m;
}

}  // namespace

std::string InputEnvName(std::string_view name) {
  std::string out = "INPUT_";
  for (char c : name) {
    out += c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

EnvList InputEnv(const Value& inputs) {
  EnvList env;
  for (const auto& [k, v] : inputs.object_value().entries())
    SetEnv(env, InputEnvName(k), StringOf(v));
  return env;
}

StepEnd Failed(StepOutput& out, const std::string& why) {
  out.Error(why);
  return StepEnd{Conclusion::kFailure, why, {}};
}

StepEnd JobRunner::RunUses(StepCall& c, const expr::EvalContext& ctx, StepOutput& out) {
  const workflow::Step& s = *c.step;
  const std::string& file = c.scope->file;
  auto ref = ParseActionReference(s.uses->value);
  if (!ref.ok()) return Failed(out, Located(file, s.uses->pos, ref.status().message()));
  auto with = EvaluateTextMap(s.with, ctx, file);
  if (!with.ok()) return Failed(out, with.status().message());
  if (ref->kind == ActionReference::Kind::kDocker) {
    return RunDocker(c, *ref, nullptr, *c.scope, *with, out, DockerStage::kMain, nullptr);
  }
  BuiltinActions* builtins = sh_.options->builtins;
  if (ref->kind == ActionReference::Kind::kRemote && builtins != nullptr &&
      builtins->Handles(ref->name())) {
    return RunBuiltin(c, *ref, *with, out);
  }

  Scope action;
  std::string dir;
  if (ref->kind == ActionReference::Kind::kLocal) {
    std::string rel = ref->local_path;
    for (char& ch : rel) {
      if (ch == '\\') ch = '/';
    }
    dir = std::filesystem::path(workspace_ + "/" + rel).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  } else {
    ActionFetcher* fetcher = sh_.options->fetcher;
    if (fetcher == nullptr) {
      return Failed(out,
                    "cannot run '" + ref->uses + "': remote actions are not available in this run");
    }
    core::Result<FetchedAction> fetched = core::Status::Internal("not fetched");
    {
      Unlocked unlocked(mu_);
      fetched = fetcher->Fetch(
          *ref,
          [&out](std::string_view line) {
            out.Feed(line);
            out.Feed("\n");
          },
          Token(c));
    }
    if (!fetched.ok()) return Failed(out, fetched.status().message());
    auto visible = VisibleActionDir(fetched->dir, *ref);
    if (!visible.ok()) return Failed(out, visible.status().message());
    dir = *visible + (ref->path.empty() ? "" : "/" + ref->path);
    action.action_repository = ref->repository();
    action.action_ref = ref->ref;
  }
  auto manifest = workflow::LoadActionManifest(dir);
  if (!manifest.ok()) {
    std::optional<workflow::ActionManifest> dockerfile = DockerfileOnly(dir);
    if (!dockerfile) return Failed(out, manifest.status().message());
    manifest = std::move(*dockerfile);
  }
  action.action_path = dir;
  action.file = manifest->file;
  action.depth = c.scope->depth + 1;
  action.lane = c.scope->lane;
  auto inputs = ActionInputs(c, *manifest, *with, ctx, out);
  if (!inputs.ok()) return Failed(out, inputs.status().message());
  action.inputs = std::move(inputs).value();

  switch (manifest->runs.kind) {
    case workflow::ActionKind::kComposite: {
      action.step_env = c.scope->step_env;
      auto step_env = EvaluateTextMap(s.env, ctx, file);
      if (!step_env.ok()) return Failed(out, step_env.status().message());
      for (auto& [k, v] : *step_env) SetEnv(action.step_env, k, std::move(v));
      return RunComposite(c, *manifest, std::move(action));
    }
    case workflow::ActionKind::kNode:
      return RunNode(c, *manifest, action, out);
    case workflow::ActionKind::kDocker:
      break;
  }
  return RunDocker(c, *ref, &*manifest, action, *with, out, DockerStage::kMain, nullptr);
}

// The inputs context of an action: `with:` values, then the defaults of the inputs not
// given. A required input without a value or default is an error at the step.
core::Result<Value> JobRunner::ActionInputs(const StepCall& c, const workflow::ActionManifest& m,
                                            const EnvList& with, const expr::EvalContext& ctx,
                                            StepOutput& out) {
  Object inputs;
  std::vector<std::string> unexpected;
  for (const auto& [k, v] : with) {
    inputs.Set(k, Value(v));
    // Docker actions also take `args` and `entrypoint` (used when runs: gives none).
    bool docker_option = m.runs.kind == workflow::ActionKind::kDocker &&
                         (core::AsciiLower(k) == "args" || core::AsciiLower(k) == "entrypoint");
    if (m.FindInput(k) == nullptr && !docker_option) unexpected.push_back(k);
  }
  auto warn = [&](const std::string& message) {
    Annotation a;
    a.level = "warning";
    a.message = sh_.masker->Mask(message);
    sh_.observer->OnAnnotation(in_.key, c.report, a);
  };
  for (const workflow::ActionInput& in : m.inputs) {
    if (inputs.Find(in.id) != nullptr) {
      if (in.deprecation_message) {
        warn("Input '" + in.id +
             "' has been deprecated with message: " + in.deprecation_message->value);
      }
      continue;
    }
    if (in.default_) {
      auto v = EvaluateString(*in.default_, ctx, m.file);
      if (!v.ok()) return v.status();
      inputs.Set(in.id, Value(std::move(v).value()));
    } else if (in.required) {
      return core::Status::InvalidArgument(Located(
          c.scope->file, c.step->pos,
          "Input required and not supplied: " + in.id + " (action " + c.step->uses->value + ")"));
    }
  }
  if (!unexpected.empty()) {
    std::string given, valid;
    for (const std::string& u : unexpected) given += (given.empty() ? "'" : ", '") + u + "'";
    for (const auto& in : m.inputs) valid += (valid.empty() ? "'" : ", '") + in.id + "'";
    warn("Unexpected input(s) " + given + ", valid inputs are [" + valid + "]");
  }
  (void)out;
  return Value(std::move(inputs));
}

StepEnd JobRunner::RunComposite(StepCall& c, const workflow::ActionManifest& m, Scope child) {
  if (child.depth > kMaxCompositeDepth) {
    StepOutput out(c.oo);
    return Failed(out, "composite actions are nested more than " +
                           std::to_string(kMaxCompositeDepth) + " levels deep at '" +
                           c.step->uses->value + "'");
  }
  for (const workflow::Step& inner : m.runs.steps) RunStepIn(inner, child, c.report, &c);

  StepEnd end;
  if (!m.outputs.empty()) {
    const Value* action = c.github.Find("action");
    Value github = StepGithub(action != nullptr ? StringOf(*action) : "", c.files, child);
    expr::EvalContext ctx = Context(github, EnvOf(child), StatusOf(child), child);
    for (const workflow::ActionOutput& o : m.outputs) {
      if (!o.value) continue;
      auto v = EvaluateString(*o.value, ctx, m.file);
      if (!v.ok()) {
        StepOutput out(c.oo);
        return Failed(out, v.status().message());
      }
      SetEnv(end.outputs, o.id, std::move(v).value());
    }
  }
  if (child.failed) {
    end.outcome = Conclusion::kFailure;
  } else if (Status() == JobStatus::kCancelled && !c.after_cancel) {
    end.outcome = Conclusion::kCancelled;
  }
  return end;
}

StepEnd JobRunner::RunNode(StepCall& c, const workflow::ActionManifest& m, const Scope& action,
                           StepOutput& out) {
  const Value* name = c.github.Find("action");
  c.github = StepGithub(name != nullptr ? StringOf(*name) : "", c.files, action);
  EnvList env = ProcessEnv(c.env, c.github, c.scope->lane);
  EnvList input_env = InputEnv(action.inputs);
  for (const auto& [k, v] : input_env) SetEnv(env, k, v);
  auto node = FindNode(env, m, c.step->uses->value, Finder());
  if (!node.ok()) return Failed(out, node.status().message());
  if (!m.runs.main) return Failed(out, m.file + ": runs.main is missing");
  ScriptStep ss;
  ss.command = {*node, action.action_path + "/" + m.runs.main->value};
  ss.env = std::move(env);
  EnvList state;
  const EnvList* pre_state = nullptr;
  if (auto pre = pre_state_.find(c.step); pre != pre_state_.end()) pre_state = &pre->second;
  if (pre_state != nullptr) {
    for (const auto& [k, v] : *pre_state) SetEnv(ss.env, "STATE_" + k, v);
  }
  StepEnd end = RunProcess(c, ss, &state);
  if (pre_state != nullptr) {
    for (const auto& [k, v] : *pre_state) {
      if (FindEnv(state, k) == nullptr) SetEnv(state, k, v);
    }
  }
  if (m.runs.post) {
    PostStage post;
    post.name = "Post " + c.name;
    post.condition = m.runs.post_if ? m.runs.post_if->value : "always()";
    post.command = {*node, action.action_path + "/" + m.runs.post->value};
    post.inputs = action.inputs;
    post.step_env = c.env;
    post.input_env = std::move(input_env);
    post.action_path = action.action_path;
    post.action_repository = action.action_repository;
    post.action_ref = action.action_ref;
    post.state = std::move(state);
    posts_.push_back(std::move(post));
  }
  return end;
}

StepEnd JobRunner::RunBuiltin(StepCall& c, const ActionReference& ref, const EnvList& with,
                              StepOutput& out) {
  BuiltinActions& builtins = *sh_.options->builtins;
  BuiltinCall call;
  call.action = ref;
  for (const auto& [k, v] : with) SetEnv(call.inputs, core::AsciiLower(k), v);
  call.env = ProcessEnv(c.env, c.github, c.scope->lane);
  call.workspace = workspace_;
  call.temp = temp_;
  call.repository_dir = sh_.options->repository_dir;
  call.shared_workspace = sh_.options->shared_workspace;
  if (const Value* repo = github_.Find("repository"); repo != nullptr && repo->is_string())
    call.github_repository = repo->string_value();
  if (const Value* id = github_.Find("run_id"); id != nullptr) call.run_id = StringOf(*id);
  call.job = in_.key.display_name;
  call.exclude = {sh_.run_dir};
  call.cancel = &Token(c);
  call.log = [&out](std::string_view line) {
    out.Feed(line);
    out.Feed("\n");
  };
  // A built-in runs on the host whatever the job's container: it writes its step summary (the
  // report actions' markdown) to the host path of a fresh file, collected like a script's.
  {
    std::error_code ec;
    std::filesystem::remove(c.files.summary, ec);
    std::ofstream(c.files.summary, std::ios::binary | std::ios::trunc);
  }
  SetEnv(call.env, "GITHUB_STEP_SUMMARY", c.files.summary);
  BuiltinResult r;
  {
    Unlocked unlocked(mu_);
    r = builtins.Run(call);
  }
  out.Finish();
  for (const BuiltinReport& report : r.reports)
    sh_.observer->OnReport(in_.key, c.report, report.kind,
                           MaskReportJson(*sh_.masker, report.json));
  std::string summary;
  if (std::ifstream in(c.files.summary, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    summary = text.str();
  }
  ApplyExports(r.env, std::move(r.paths), summary, c.scope->lane);
  if (builtins.HasPost(ref.name())) {
    PostStage post;
    post.name = "Post " + c.name;
    post.condition = builtins.PostIf(ref.name());
    post.builtin = true;
    post.call = call;
    post.call.log = nullptr;
    post.call.cancel = nullptr;
    post.step_env = c.env;
    post.state = std::move(r.state);
    posts_.push_back(std::move(post));
  }
  if (!r.error.empty()) {
    out.Error(r.error);
    return StepEnd{Conclusion::kFailure, r.error, std::move(r.outputs)};
  }
  return StepEnd{Conclusion::kSuccess, "", std::move(r.outputs)};
}

StepCall JobRunner::StageCall(const std::string& name, int index, Scope& scope) {
  StepCall c;
  c.scope = &scope;
  c.report = index;
  c.name = name;
  c.status = Status();
  c.files = MakeStepFiles(in_.files_dir);
  c.github = StepGithub(ActionName(workflow::Step{}), c.files, scope);
  c.env = env_;
  c.oo.masker = sh_.masker;
  c.oo.observer = sh_.observer;
  c.oo.job = &in_.key;
  c.oo.step = index;
  c.oo.debug = sh_.debug;
  c.oo.workspace = workspace_;
  c.after_cancel = c.status == JobStatus::kCancelled;
  Clock::time_point now = Clock::now();
  c.deadline = c.after_cancel
                   ? now + milliseconds(static_cast<int64_t>(cancel_timeout_minutes_ * 60'000))
                   : std::max(deadline_, now);
  c.timeout_message = "The job has exceeded the maximum execution time.";
  return c;
}

// A pre or post stage ended: it is reported, and its failure fails the job.
void JobRunner::FinishStage(StepReport& rep, Clock::time_point started, const StepEnd& end) {
  rep.outcome = rep.conclusion = end.outcome;
  rep.error = sh_.masker->Mask(end.error);
  rep.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  if (end.outcome == Conclusion::kFailure) {
    MarkFailed(rep.name);
  }
  if (end.outcome == Conclusion::kCancelled) cancelled_ = true;
  sh_.observer->OnStepFinished(in_.key, rep);
}

void JobRunner::RunPostStage(PostStage& p, int index) {
  Clock::time_point started = Clock::now();
  StepReport rep;
  rep.index = index;
  rep.stage = "post";
  rep.name = sh_.masker->Mask(p.name);
  Scope scope;
  scope.depth = 1;
  scope.inputs = p.inputs;
  scope.action_path = p.action_path;
  scope.action_repository = p.action_repository;
  scope.action_ref = p.action_ref;
  StepCall c = StageCall(rep.name, index, scope);
  for (const auto& [k, v] : p.step_env) SetEnv(c.env, k, v);
  StepOutput out(c.oo);
  auto finish = [&](const StepEnd& end) { FinishStage(rep, started, end); };
  expr::EvalContext ctx = Context(c.github, c.env, c.status, scope_);
  auto run_it = expr::EvaluateCondition(p.condition, ctx);
  if (run_it.ok() && !*run_it) {
    rep.outcome = rep.conclusion = Conclusion::kSkipped;
    sh_.observer->OnStepFinished(in_.key, rep);
    return;
  }
  sh_.observer->OnStepStarted(in_.key, index, rep.name);
  if (!run_it.ok()) {
    return finish(Failed(out, "post-if of " + p.name + ": " + run_it.status().message()));
  }
  if (p.builtin) {
    BuiltinCall call = p.call;
    call.post = true;
    call.state = p.state;
    call.env = ProcessEnv(c.env, c.github, c.scope->lane);
    call.cancel = &Token(c);
    call.log = [&out](std::string_view line) {
      out.Feed(line);
      out.Feed("\n");
    };
    BuiltinResult r = sh_.options->builtins->Run(call);
    out.Finish();
    ApplyExports(r.env, std::move(r.paths), "", c.scope->lane);
    if (!r.error.empty()) return finish(Failed(out, r.error));
    return finish(StepEnd{});
  }
  if (p.docker) {
    for (const auto& [k, v] : p.state) SetEnv(c.env, "STATE_" + k, v);
    return finish(RunDocker(c, p.docker->ref, p.docker->manifest.get(), scope, p.docker->with, out,
                            DockerStage::kPost, nullptr));
  }
  ScriptStep ss;
  ss.command = p.command;
  ss.env = ProcessEnv(c.env, c.github, c.scope->lane);
  for (const auto& [k, v] : p.input_env) SetEnv(ss.env, k, v);
  for (const auto& [k, v] : p.state) SetEnv(ss.env, "STATE_" + k, v);
  finish(RunProcess(c, ss, nullptr));
}

core::Status JobRunner::PrepareActions() {
  BuiltinActions* builtins = sh_.options->builtins;
  ActionFetcher* fetcher = sh_.options->fetcher;
  int pre_index = 0;
  struct Pre {
    const workflow::Step* step;
    ActionReference ref;
    std::string dir;
    workflow::ActionManifest manifest;
  };
  std::vector<Pre> pres;
  // First every remote action is fetched and its required inputs checked.
  for (const workflow::Step* step : RunnableSteps(job_)) {
    const workflow::Step& s = *step;
    if (!s.uses || s.uses->value.find("${{") != std::string::npos) continue;
    auto ref = ParseActionReference(s.uses->value);
    // Local actions are read when their step runs (the workspace is empty before checkout).
    if (!ref.ok() || ref->kind != ActionReference::Kind::kRemote || fetcher == nullptr ||
        (builtins != nullptr && builtins->Handles(ref->name()))) {
      continue;
    }
    // As GitHub's "Set up job": downloads are logged before the first step (step -1), and an
    // action that cannot be fetched fails the job before any step runs.
    auto fetched = fetcher->Fetch(
        *ref,
        [this](std::string_view line) {
          sh_.observer->OnLogLine(in_.key, -1, sh_.masker->Mask(std::string(line)));
        },
        cancel_);
    if (!fetched.ok()) {
      return core::Status(fetched.status().code(),
                          Located(file_, s.uses->pos, fetched.status().message()));
    }
    auto manifest =
        workflow::LoadActionManifest(fetched->dir + (ref->path.empty() ? "" : "/" + ref->path));
    if (!manifest.ok()) continue;
    for (const workflow::ActionInput& in : manifest->inputs) {
      if (!in.required || in.default_) continue;
      bool given = std::any_of(s.with.begin(), s.with.end(), [&](const auto& w) {
        return w.first.empty() || w.first.find("${{") != std::string::npos ||
               core::AsciiLower(w.first) == core::AsciiLower(in.id);
      });
      if (!given) {
        return core::Status::InvalidArgument(
            Located(file_, s.pos,
                    "Input required and not supplied: " + in.id + " (action " + ref->uses + ")"));
      }
    }
    if ((manifest->runs.kind == workflow::ActionKind::kNode && manifest->runs.pre) ||
        (manifest->runs.kind == workflow::ActionKind::kDocker && manifest->runs.pre_entrypoint)) {
      auto visible = VisibleActionDir(fetched->dir, *ref);
      if (!visible.ok()) return visible.status();
      pres.push_back({&s, *ref, *visible, std::move(manifest).value()});
    }
  }
  // Then the pre stages, in step order.
  for (auto& [step, ref, dir, manifest] : pres) {
    const workflow::Step& s = *step;
    Scope action;
    action.depth = 1;
    action.action_path = dir + (ref.path.empty() ? "" : "/" + ref.path);
    action.action_repository = ref.repository();
    action.action_ref = ref.ref;
    action.file = manifest.file;
    std::string name = "Pre " + sh_.masker->Mask(s.name ? s.name->value : "Run " + ref.uses);
    Clock::time_point started = Clock::now();
    StepReport rep;
    rep.index = pre_index;
    rep.stage = "pre";
    rep.name = name;
    StepCall c = StageCall(name, pre_index++, action);
    c.step = &s;
    StepOutput out(c.oo);
    expr::EvalContext ctx = Context(c.github, c.env, c.status, scope_);
    std::string condition = manifest.runs.pre_if ? manifest.runs.pre_if->value : "always()";
    auto run_it = expr::EvaluateCondition(condition, ctx);
    if (run_it.ok() && !*run_it) {
      rep.outcome = rep.conclusion = Conclusion::kSkipped;
      sh_.observer->OnStepFinished(in_.key, rep);
      continue;
    }
    sh_.observer->OnStepStarted(in_.key, rep.index, name);
    StepEnd end;
    EnvList state;
    auto with = EvaluateTextMap(s.with, ctx, file_);
    if (!run_it.ok()) {
      end = Failed(out, "pre-if of " + name + ": " + run_it.status().message());
    } else if (!with.ok()) {
      end = Failed(out, with.status().message());
    } else if (auto inputs = ActionInputs(c, manifest, *with, ctx, out); !inputs.ok()) {
      end = Failed(out, inputs.status().message());
    } else {
      action.inputs = std::move(inputs).value();
      c.github = StepGithub(ActionName(workflow::Step{}), c.files, action);
      end = manifest.runs.kind == workflow::ActionKind::kDocker
                ? RunDocker(c, ref, &manifest, action, *with, out, DockerStage::kPre, &state)
                : RunNodePre(c, ref, manifest, action, out, &state);
    }
    pre_state_[&s] = std::move(state);
    FinishStage(rep, started, end);
  }
  return core::Status::Ok();
}

StepEnd JobRunner::RunNodePre(StepCall& c, const ActionReference& ref,
                              const workflow::ActionManifest& m, const Scope& action,
                              StepOutput& out, EnvList* state) {
  ScriptStep ss;
  ss.env = ProcessEnv(c.env, c.github, c.scope->lane);
  for (const auto& [k, v] : InputEnv(action.inputs)) SetEnv(ss.env, k, v);
  auto node = FindNode(ss.env, m, ref.uses, Finder());
  if (!node.ok()) return Failed(out, node.status().message());
  ss.command = {*node, action.action_path + "/" + m.runs.pre->value};
  return RunProcess(c, ss, state);
}

}  // namespace gantry::engine::internal
