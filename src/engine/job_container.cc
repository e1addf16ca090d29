// Containers of a job: the job container (`container:`) its steps run in, with the job's
// directories at GitHub's container paths, and Docker actions (`runs.using: docker`,
// `uses: docker://image`), each run as a container of its own with GitHub's /github/* mounts.
#include <filesystem>
#include <system_error>

#include "core/strings.h"
#include "engine/job_steps.h"

namespace gantry::engine::internal {
namespace {

namespace fs = std::filesystem;
using expr::Object;
using expr::Value;

// The programs a job container is asked for once, after $PATH: the shells and node.
constexpr const char* kProbedPrograms[] = {"bash", "sh", "python3", "python", "pwsh", "node"};
constexpr const char* kProbe =
    "printf '%s\\n' \"$PATH\"\n"
    "for p in \"$@\"; do printf '%s=%s\\n' \"$p\" \"$(command -v \"$p\" 2>/dev/null)\"; done\n";

// The directories below a job's temp directory that containers see as /github/home and
// /github/workflow (with the event file), created when missing.
core::Status PrepareGithubDirs(const std::string& temp, const Value& github) {
  std::error_code ec;
  for (const char* d : {"/_github_home", "/_github_workflow"}) {
    fs::create_directories(temp + d, ec);
    if (ec) return core::Status::Internal("cannot create " + temp + d + ": " + ec.message());
  }
  const Value* event = github.is_object() ? github.object_value().Find("event_path") : nullptr;
  if (event == nullptr || !event->is_string() || event->string_value().empty()) {
    return core::Status::Ok();
  }
  fs::copy_file(event->string_value(), temp + "/_github_workflow/event.json",
                fs::copy_options::overwrite_existing, ec);
  if (ec) return core::Status::Internal("cannot copy the event file: " + ec.message());
  return core::Status::Ok();
}

// Runs a Docker action's container through the ContainerHost: argv[0] names the image, the
// rest are the container's arguments; cwd, env and timeout come from the ProcessSpec.
class ActionContainerBackend final : public backend::Backend {
 public:
  ActionContainerBackend(ContainerHost& host, ActionContainerSpec base)
      : host_(host), base_(std::move(base)) {}
  core::Result<backend::ProcessResult> Run(const backend::ProcessSpec& spec,
                                           const backend::OutputSink& output,
                                           const backend::CancelToken& cancel) override {
    ActionContainerSpec s = base_;
    s.image = spec.argv.at(0);
    s.args.assign(spec.argv.begin() + 1, spec.argv.end());
    s.env = spec.env;
    s.working_dir = spec.cwd;
    s.timeout = spec.timeout;
    return host_.RunContainer(s, spec.kill_grace, output, cancel);
  }

 private:
  ContainerHost& host_;
  const ActionContainerSpec base_;
};

}  // namespace

core::Status JobRunner::PlanContainer(const expr::EvalContext& ctx) {
  auto spec = EvaluateJobContainer(job_, ctx, file_);
  if (!spec.ok()) return spec.status();
  container_ = std::move(spec).value();
  if (!container_ && !sh_.options->default_container_image.empty()) {
    // `gantry executor run --backend docker`: a job GitHub would run on the runner's machine
    // runs in a container of the executor's image instead, like a `container:` job.
    container_.emplace();
    container_->image = sh_.options->default_container_image;
  }
  if (!container_) return core::Status::Ok();
  // GitHub's runner mounts its work folder at /__w: the workspace at /__w/<repo>/<repo>, temp
  // at /__w/_temp with the file-command files below it, actions at /__w/_actions, the tool
  // cache at /__t, and HOME and the event file at /github/home and /github/workflow.
  std::string repo = RepositoryDirName(sh_.github);
  const std::string actions = in_.files_dir + "/_actions";
  container_paths_.Add(in_.files_dir, "/__w/_temp/_runner_file_commands");
  container_paths_.Add(temp_, "/__w/_temp");
  // The workspace's parent too (runner.workspace: `../build` of an out-of-source build), unless
  // it is the parent of the user's --workspace directory.
  if (sh_.options->shared_workspace.empty()) {
    container_paths_.Add(runner_workspace_, "/__w/" + repo);
  } else {
    container_paths_.Add(workspace_, "/__w/" + repo + "/" + repo);
  }
  container_paths_.Add(actions, "/__w/_actions");
  container_paths_.Add(temp_ + "/_github_home", kContainerHome);
  container_paths_.Add(temp_ + "/_github_workflow", "/github/workflow");
  std::error_code ec;
  fs::remove_all(actions, ec);  // the slot's directory holds the last job's copies
  for (const std::string& d : {actions, sh_.runner.tool_cache}) {
    if (d.empty()) continue;
    fs::create_directories(d, ec);
    if (ec) return core::Status::Internal("cannot create " + d + ": " + ec.message());
  }
  if (!sh_.runner.tool_cache.empty()) container_paths_.Add(sh_.runner.tool_cache, "/__t");
  return PrepareGithubDirs(temp_, sh_.github);
}

const workflow::Position& JobRunner::ContainerPos() const {
  return job_.container ? job_.container->pos : job_.pos;
}

std::vector<std::string> JobRunner::ContainerMounts() const {
  std::vector<std::string> mounts;
  for (const auto& [host, container] : container_paths_.dirs()) {
    mounts.push_back(host + ":" + container);
  }
  return mounts;
}

core::Status JobRunner::ProbeContainer() {
  backend::ProcessSpec spec;
  spec.argv = {"sh", "-c", kProbe, "gantry-probe"};
  for (const char* p : kProbedPrograms) spec.argv.emplace_back(p);
  spec.cwd = Visible(workspace_);
  spec.timeout = std::chrono::seconds(60);
  std::string text;
  auto ran = container_backend_->Run(
      spec, [&text](std::string_view chunk) { text.append(chunk); }, cancel_);
  if (!ran.ok() || !ran->ok()) {
    std::string why = !ran.ok() ? ran.status().message()
                                : "exit code " + std::to_string(ran->exit_code) + ": " + text;
    return core::Status::Unavailable(Located(
        file_, ContainerPos(),
        "the job container (" + container_->image + ") cannot run sh, which steps need: " + why));
  }
  size_t start = 0;
  bool first = true;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (first) {
      container_path_env_ = line;
      first = false;
      continue;
    }
    size_t eq = line.find('=');
    if (eq != std::string::npos) container_programs_[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return core::Status::Ok();
}

std::string JobRunner::Visible(const std::string& host_path) const {
  return container_ ? container_paths_.ToContainer(host_path) : host_path;
}

ProgramFinder JobRunner::Finder() const {
  if (!container_) return nullptr;
  return [this](std::string_view program) -> std::string {
    auto it = container_programs_.find(std::string(program));
    // A program that was not probed is looked up by the container when it starts.
    return it != container_programs_.end() ? it->second : std::string(program);
  };
}

backend::Backend& JobRunner::StepBackend() {
  return container_backend_ ? *container_backend_ : *sh_.backend;
}

core::Result<std::string> JobRunner::VisibleActionDir(const std::string& dir,
                                                      const ActionReference& ref) {
  if (!container_ || Visible(dir) != dir) return dir;
  if (auto it = visible_actions_.find(dir); it != visible_actions_.end()) return it->second;
  std::string name = ref.ref;
  for (char& ch : name) {
    if (ch == '/') ch = '_';
  }
  std::string copy = in_.files_dir + "/_actions/" + ref.owner + "/" + ref.repo + "/" + name;
  std::error_code ec;
  fs::create_directories(copy, ec);
  if (!ec) {
    fs::copy(dir, copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  }
  if (ec) {
    return core::Status::Internal("cannot copy " + ref.uses + " into the job container's actions " +
                                  "directory: " + ec.message());
  }
  visible_actions_[dir] = copy;
  return copy;
}

StepEnd JobRunner::RunDocker(StepCall& c, const ActionReference& ref,
                             const workflow::ActionManifest* m, const Scope& action,
                             const EnvList& with, StepOutput& out, DockerStage stage,
                             EnvList* state) {
  ContainerHost* host = sh_.options->container_host;
  if (host == nullptr) {
    return Failed(out, "'" + ref.uses +
                           "' is a Docker action: it needs a Docker engine (DOCKER_HOST or "
                           "/var/run/docker.sock)");
  }
  const backend::CancelToken& cancel = Token(c);
  auto log = [&out](std::string_view line) {
    out.Feed(line);
    out.Feed("\n");
  };
  EnvList env = c.env;
  std::string image;
  std::vector<std::string> entrypoint, args;
  bool pull = m == nullptr;  // a docker:// image is pulled; a Dockerfile is built
  if (m == nullptr) {
    image = ref.image;
  } else {
    std::string img = m->runs.image ? std::string(core::TrimSpace(m->runs.image->value)) : "";
    if (img.empty()) return Failed(out, m->file + ": runs.image is missing");
    if (img.starts_with("docker://")) {
      image = img.substr(9);
      pull = true;
    } else {
      fs::path dockerfile = fs::path(action.action_path) / img;
      core::Result<std::string> built = core::Status::Internal("not built");
      {
        Unlocked unlocked(mu_);
        built = host->BuildImage(dockerfile.parent_path().string(), dockerfile.filename().string(),
                                 log, cancel);
      }
      if (!built.ok()) return Failed(out, sh_.masker->Mask(built.status().message()));
      image = *built;
    }
    for (const auto& [k, v] : InputEnv(action.inputs)) SetEnv(env, k, v);
    expr::EvalContext ctx = Context(c.github, env, c.status, action);
    for (const workflow::Text& a : m->runs.args) {
      auto v = EvaluateString(a, ctx, m->file);
      if (!v.ok()) return Failed(out, v.status().message());
      args.push_back(std::move(v).value());
    }
    auto runs_env = EvaluateTextMap(m->runs.env, ctx, m->file);
    if (!runs_env.ok()) return Failed(out, runs_env.status().message());
    for (auto& [k, v] : *runs_env) SetEnv(env, k, std::move(v));
    const std::optional<workflow::Text>& ep = stage == DockerStage::kPre ? m->runs.pre_entrypoint
                                              : stage == DockerStage::kPost
                                                  ? m->runs.post_entrypoint
                                                  : m->runs.entrypoint;
    if (ep) entrypoint = {ep->value};
  }
  // `with.args` (split as the runner splits arguments) and `with.entrypoint` apply where the
  // action's `runs:` sets none; for `uses: docker://image` the other inputs become INPUT_*.
  for (const auto& [k, v] : with) {
    std::string key = core::AsciiLower(k);
    if (key == "args") {
      if (args.empty()) args = SplitArguments(v);
    } else if (key == "entrypoint") {
      if (entrypoint.empty()) entrypoint = {v};
    } else if (m == nullptr) {
      SetEnv(env, InputEnvName(k), v);
    }
  }
  if (pull) {
    core::Status pulled;
    {
      Unlocked unlocked(mu_);
      pulled = host->PrepareImage(image, log, cancel);
    }
    if (!pulled.ok()) return Failed(out, sh_.masker->Mask(pulled.message()));
  }
  core::Status dirs = PrepareGithubDirs(temp_, sh_.github);
  if (!dirs.ok()) return Failed(out, dirs.message());

  // The action's container sees the job's directories at GitHub's /github/* paths.
  PathMap paths;
  paths.Add(workspace_, "/github/workspace");
  paths.Add(in_.files_dir, "/github/file_commands");
  paths.Add(temp_ + "/_github_home", "/github/home");
  paths.Add(temp_ + "/_github_workflow", "/github/workflow");
  Object g = c.github.object_value();
  g.Set("workspace", Value("/github/workspace"));
  g.Set("event_path", Value("/github/workflow/event.json"));
  g.Set("env", Value(paths.ToContainer(c.files.env)));
  g.Set("output", Value(paths.ToContainer(c.files.output)));
  g.Set("path", Value(paths.ToContainer(c.files.path)));
  g.Set("step_summary", Value(paths.ToContainer(c.files.summary)));
  g.Set("state", Value(paths.ToContainer(c.files.state)));
  for (auto& [k, v] : GithubEnvironment(Value(std::move(g)))) SetEnv(env, k, std::move(v));
  for (auto& [k, v] : RunnerEnvironment(runner_)) SetEnv(env, k, std::move(v));
  SetEnv(env, "CI", "true");
  SetEnv(env, "HOME", "/github/home");

  ActionContainerSpec base;
  base.entrypoint = std::move(entrypoint);
  for (const auto& [h, ctr] : paths.dirs()) base.mounts.push_back(h + ":" + ctr);
  base.network = services_.network_id;
  const Value* run_id = github_.is_object() ? github_.object_value().Find("run_id") : nullptr;
  base.labels = {{"gantry.run", run_id == nullptr ? "" : run_id->ToString()},
                 {"gantry.job", in_.key.job_id + "-" + std::to_string(in_.key.instance)}};
  ActionContainerBackend backend(*host, std::move(base));
  ScriptStep ss;
  ss.command = {image};
  ss.command.insert(ss.command.end(), args.begin(), args.end());
  ss.env = std::move(env);
  if (stage == DockerStage::kMain) {
    if (auto pre = pre_state_.find(c.step); pre != pre_state_.end()) {
      for (const auto& [k, v] : pre->second) SetEnv(ss.env, "STATE_" + k, v);
    }
  }
  ss.container = &paths;
  EnvList saved;
  StepEnd end = RunProcess(c, ss, &saved, &backend);
  if (state != nullptr) *state = saved;
  if (stage == DockerStage::kMain && m != nullptr && m->runs.post_entrypoint) {
    PostStage post;
    post.name = "Post " + c.name;
    post.condition = m->runs.post_if ? m->runs.post_if->value : "always()";
    post.docker = DockerPost{ref, std::make_shared<workflow::ActionManifest>(*m), with};
    post.inputs = action.inputs;
    post.step_env = c.env;
    post.action_path = action.action_path;
    post.action_repository = action.action_repository;
    post.action_ref = action.action_ref;
    post.state = std::move(saved);
    posts_.push_back(std::move(post));
  }
  return end;
}

}  // namespace gantry::engine::internal
