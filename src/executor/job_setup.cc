#include "executor/job_setup.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>

#include "workflow/loader.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;
using core::Status;

std::optional<std::string> ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool IsHttpUrl(std::string_view url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// git with no user or system configuration and no prompts: a job's clone must not depend on
// who runs the executor. `token`, when not empty, authenticates to the server through git's
// environment configuration: never on a command line (other users see those in ps) nor on
// disk (.git/config stays in the workspace the job's steps read).
backend::ProcessSpec GitSpec(std::vector<std::string> args, const std::string& cwd,
                             const std::string& token) {
  backend::ProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd;
  const char* path = std::getenv("PATH");
  spec.env = {{"PATH", path != nullptr ? path : "/usr/bin:/bin"},
              {"HOME", cwd},
              {"GIT_CONFIG_NOSYSTEM", "1"},
              {"GIT_TERMINAL_PROMPT", "0"},
              {"LC_ALL", "C"}};
  // A server whose certificate comes from a private authority: the executor trusts
  // SSL_CERT_FILE (as its own HTTP client does), and so must git's.
  if (const char* ca = std::getenv("SSL_CERT_FILE"); ca != nullptr && *ca != '\0') {
    spec.env.emplace_back("GIT_SSL_CAINFO", ca);
  }
  if (!token.empty()) {
    // No redirects: the header would follow one to wherever it points.
    spec.env.insert(spec.env.end(), {{"GIT_CONFIG_COUNT", "2"},
                                     {"GIT_CONFIG_KEY_0", "http.extraHeader"},
                                     {"GIT_CONFIG_VALUE_0", "Authorization: Bearer " + token},
                                     {"GIT_CONFIG_KEY_1", "http.followRedirects"},
                                     {"GIT_CONFIG_VALUE_1", "false"}});
  }
  return spec;
}

Status Git(backend::Backend& backend, std::vector<std::string> args, const std::string& cwd,
           const backend::CancelToken& cancel, const std::string& token = "") {
  std::string output;
  std::string shown = "git";
  for (const std::string& a : args) shown += " " + a;
  auto result = backend.Run(
      GitSpec(std::move(args), cwd, token), [&](std::string_view chunk) { output.append(chunk); },
      cancel);
  if (!result.ok()) return Status::Unavailable(shown + ": " + result.status().message());
  if (result->cancelled) return Status::Cancelled(shown + ": cancelled");
  if (!result->ok()) {
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return Status::Internal(shown + " failed (exit code " + std::to_string(result->exit_code) +
                            "): " + output);
  }
  return Status::Ok();
}

// Runs `attempt`, git commands that fetch from the job's repository. From the server's smart
// HTTP (`network`) they meet the faults of any network (a connection reset, an answer cut short,
// a server restarting): like every call of the executor protocol they are tried again with
// backoff, each attempt starting afresh. Not when the server did answer: an HTTP 4xx (no lease
// on the job) or an error of its upload-pack (no such commit) would come again.
Status Fetching(bool network, const backend::CancelToken& cancel, const LineFn& log,
                const std::function<Status()>& attempt) {
  constexpr int kAttempts = 5;
  std::chrono::milliseconds wait(500);
  for (int n = 1;; ++n) {
    Status st = attempt();
    const std::string& why = st.message();
    if (!network || st.ok() || st.code() == core::StatusCode::kCancelled || n == kAttempts ||
        why.find("returned error: 4") != std::string::npos ||
        why.find("remote error:") != std::string::npos) {
      return st;
    }
    log("Fetching from the server failed (" + why.substr(why.rfind('\n') + 1) +
        "); trying again in " + std::to_string(wait.count()) + " ms");
    if (!cancel.SleepFor(wait)) return Status::Cancelled("git fetch: cancelled");
    wait *= 2;
  }
}

}  // namespace

core::Result<JobDirs> MakeJobDirs(const std::string& work_dir, int64_t job_id) {
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  std::string pattern =
      (fs::absolute(work_dir, ec) / ("job-" + std::to_string(job_id) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::Internal("cannot create a job directory in " + work_dir);
  }
  JobDirs dirs{pattern, pattern + "/src", pattern + "/run", pattern + "/artifacts"};
  fs::create_directories(dirs.run, ec);
  fs::create_directories(dirs.artifacts, ec);
  if (ec)
    return Status::Internal("cannot create the directories of " + pattern + ": " + ec.message());
  return dirs;
}

bool JobNeedsRepository(const JobSpec& spec) {
  workflow::LoadResult loaded = workflow::LoadWorkflow(spec.workflow_yaml, spec.workflow_file);
  if (!loaded.workflow) return true;
  const workflow::Job* job = nullptr;
  for (const workflow::Job& j : loaded.workflow->jobs) {
    if (j.uses) return true;  // reusable workflows are read from the repository
    if (j.id == spec.job_id) job = &j;
  }
  if (job == nullptr) return true;
  for (const workflow::Step& step : job->steps) {
    switch (step.kind) {
      case workflow::StepKind::kRun:
      case workflow::StepKind::kWait:
      case workflow::StepKind::kWaitAll:
      case workflow::StepKind::kCancel:
        continue;
      case workflow::StepKind::kUses: {
        std::string_view uses = step.uses ? std::string_view(step.uses->value) : "";
        bool builtin = false;
        for (std::string_view name :
             {"actions/upload-artifact@", "actions/download-artifact@", "actions/cache@",
              "actions/cache/restore@", "actions/cache/save@", "gantry/coverage@",
              "gantry/test-report@", "gantry/security-report@",
              "github/codeql-action/upload-sarif@"}) {
          builtin = builtin || uses.rfind(name, 0) == 0;
        }
        if (builtin) continue;
        return true;
      }
      case workflow::StepKind::kParallel:
        return true;
    }
  }
  return false;
}

bool JobNeedsHistory(const JobSpec& spec) {
  workflow::LoadResult loaded = workflow::LoadWorkflow(spec.workflow_yaml, spec.workflow_file);
  if (!loaded.workflow) return true;
  const workflow::Job* job = nullptr;
  for (const workflow::Job& j : loaded.workflow->jobs) {
    if (j.uses) return true;  // a called workflow's steps are not known here
    if (j.id == spec.job_id) job = &j;
  }
  if (job == nullptr) return true;
  // actions/checkout clones from the job's copy: its defaults (the commit, depth 1) need that
  // commit alone, as on GitHub; another ref, more depth or the tags need the history.
  auto needs = [](const workflow::Step& step) {
    std::string_view uses = step.uses ? std::string_view(step.uses->value) : "";
    if (uses.rfind("actions/checkout@", 0) != 0) return false;
    if (workflow::IsWholeExpression(step.with)) return true;
    for (const auto& [name, value] : step.with) {
      if (name == "ref" || name == "fetch-tags" || (name == "fetch-depth" && value.value != "1")) {
        return true;
      }
    }
    return false;
  };
  for (const workflow::Step& step : job->steps) {
    if (needs(step) || std::any_of(step.parallel.begin(), step.parallel.end(), needs)) return true;
  }
  return false;
}

core::Status CloneRepository(backend::Backend& backend, const JobSpec& spec,
                             const std::string& dest, const std::string& token, const LineFn& log,
                             const backend::CancelToken& cancel) {
  std::error_code ec;
  if (spec.repository_url.empty()) {
    fs::create_directories(dest, ec);
    if (ec) return Status::Internal("cannot create " + dest + ": " + ec.message());
    return Status::Ok();
  }
  std::string parent = fs::path(dest).parent_path().string();
  log("Cloning " + spec.repository_url + " at " + spec.repository_sha);
  // A local repository (the server's mirror) is borrowed with --shared: its objects are used
  // where they are (objects/info/alternates), none is copied or linked, however many loose
  // objects the mirror has. Others are cloned as usual.
  // The server's smart HTTP (a job of an executor on another machine) wants the executor token.
  const std::string auth = IsHttpUrl(spec.repository_url) ? token : std::string();
  if (!auth.empty() && !spec.repository_sha.empty() && !JobNeedsHistory(spec)) {
    // Over the network, the job's commit alone when that is all it needs: a fraction of the
    // history's size and time (docs/executors.md "The code of a job").
    GANTRY_RETURN_IF_ERROR(Fetching(true, cancel, log, [&]() -> Status {
      // What an attempt cut short left (a shallow file, a half-written pack) is not built on.
      fs::remove_all(dest, ec);
      GANTRY_RETURN_IF_ERROR(Git(backend, {"init", "-q", dest}, parent, cancel));
      GANTRY_RETURN_IF_ERROR(Git(
          backend, {"-C", dest, "remote", "add", "origin", spec.repository_url}, parent, cancel));
      return Git(
          backend,
          {"-C", dest, "fetch", "-q", "--no-tags", "--depth=1", "origin", spec.repository_sha},
          parent, cancel, auth);
    }));
    return Git(backend, {"-C", dest, "checkout", "-q", "--detach", spec.repository_sha}, parent,
               cancel);
  }
  std::vector<std::string> clone = {"clone", "-q", "--no-checkout"};
  if (fs::is_directory(spec.repository_url, ec)) clone.emplace_back("--shared");
  clone.insert(clone.end(), {"--", spec.repository_url, dest});
  // An attempt cut short may leave a partial clone behind: each one starts afresh.
  GANTRY_RETURN_IF_ERROR(Fetching(!auth.empty(), cancel, log, [&] {
    fs::remove_all(dest, ec);
    return Git(backend, clone, parent, cancel, auth);
  }));
  Status checkout =
      Git(backend, {"-C", dest, "checkout", "-q", "--detach", spec.repository_sha}, parent, cancel);
  if (checkout.ok() || spec.repository_ref.empty() ||
      checkout.code() == core::StatusCode::kCancelled) {
    return checkout;
  }
  // The commit is not on a branch the clone copied (a pull request's ref): fetch the ref.
  log("Fetching " + spec.repository_ref);
  GANTRY_RETURN_IF_ERROR(Fetching(!auth.empty(), cancel, log, [&] {
    return Git(backend, {"-C", dest, "fetch", "-q", "origin", spec.repository_ref}, parent, cancel,
               auth);
  }));
  return Git(backend, {"-C", dest, "checkout", "-q", "--detach", spec.repository_sha}, parent,
             cancel);
}

core::Result<engine::Plan> PlanJob(const JobSpec& spec, const std::string& repo_dir,
                                   engine::ActionFetcher* fetcher) {
  workflow::Diagnostics fetch_problems;
  workflow::LoadOptions load;
  load.repository_root = repo_dir;
  load.read_file = [&](const std::string& path) -> std::optional<std::string> {
    if (path.find('@') == std::string::npos) return ReadText(fs::path(repo_dir) / path);
    if (fetcher == nullptr) return std::nullopt;
    auto ref = engine::ParseActionReference(path);
    if (!ref.ok() || ref->kind != engine::ActionReference::Kind::kRemote || ref->path.empty()) {
      return std::nullopt;
    }
    backend::CancelToken never;
    auto fetched = fetcher->Fetch(
        *ref, [](std::string_view) {}, never);
    if (!fetched.ok()) {
      fetch_problems.push_back({spec.workflow_file,
                                {},
                                "uses: " + path + ": " + fetched.status().message(),
                                "workflow-call"});
      return std::nullopt;
    }
    return ReadText(fs::path(fetched->dir) / ref->path);
  };
  workflow::LoadResult loaded =
      workflow::LoadWorkflow(spec.workflow_yaml, spec.workflow_file, load);
  workflow::Diagnostics problems = fetch_problems;
  for (auto& d : loaded.diagnostics) {
    if (d.IsError()) problems.push_back(std::move(d));
  }
  if (!loaded.ok() || !problems.empty()) {
    std::string text;
    for (const auto& d : problems) text += (text.empty() ? "" : "\n") + d.ToString();
    if (text.empty()) text = spec.workflow_file + ": not a workflow";
    return Status::InvalidArgument(text);
  }
  expr::Object contexts;
  contexts.Set("github", spec.github);
  expr::Object vars;
  for (const auto& [k, v] : spec.vars) vars.Set(k, expr::Value(v));
  contexts.Set("vars", expr::Value(std::move(vars)));
  contexts.Set("inputs", spec.inputs_context);
  engine::PlanOptions options;
  options.only_jobs = {spec.job_id};
  options.no_deps = true;
  options.context.contexts = expr::Value(std::move(contexts));
  options.context.workspace = repo_dir;
  auto plan = engine::BuildPlan(loaded.workflow, options);
  if (!plan.ok())
    return Status::InvalidArgument(spec.workflow_file + ": " + plan.status().message());
  return plan;
}

engine::OneJob OneJobOf(const JobSpec& spec) {
  engine::OneJob one;
  one.job_id = spec.job_id;
  one.instance = spec.instance;
  one.display_name = spec.display_name;
  one.matrix = spec.matrix;
  one.strategy = spec.strategy;
  one.needs = spec.needs;
  return one;
}

std::vector<std::pair<std::string, std::string>> BaseEnvironment() {
  // The executor may run inside `gantry server`, whose environment holds its own secrets
  // (database URL, webhook secrets): steps only get what a runner's machine provides.
  static const char* const kPassed[] = {
      "PATH",        "HOME",     "USER",       "LOGNAME",     "SHELL",       "LANG",
      "LANGUAGE",    "TZ",       "TMPDIR",     "TERM",        "DOCKER_HOST", "http_proxy",
      "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
  };
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = entry.substr(0, eq);
    bool passed =
        name.rfind("LC_", 0) == 0 || std::any_of(std::begin(kPassed), std::end(kPassed),
                                                 [&](const char* p) { return name == p; });
    if (passed) env.emplace_back(std::string(name), std::string(entry.substr(eq + 1)));
  }
  return env;
}

bool IsTrueIn(const NameValues& values, std::string_view name) {
  for (const auto& [k, v] : values) {
    if (k == name) return strcasecmp(v.c_str(), "true") == 0;
  }
  return false;
}

}  // namespace gantry::executor
