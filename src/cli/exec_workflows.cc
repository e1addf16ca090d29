#include "cli/exec_workflows.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/git_context.h"
#include "cli/repo_root.h"
#include "workflow/loader.h"
#include "workflow/steps.h"

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;
using core::Status;

bool IsWorkflowFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yml" || ext == ".yaml";
}

std::optional<std::string> ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

fs::path Absolute(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec).lexically_normal();
  if (!abs.empty() && abs.filename().empty()) abs = abs.parent_path();  // drop trailing '/'
  return abs;
}

fs::path GitToplevelOr(const fs::path& dir, const fs::path& fallback) {
  auto top = RunGit(dir, {"rev-parse", "--show-toplevel"});
  return top.ok() && !top->empty() ? fs::path(*top) : fallback;
}

}  // namespace

core::Result<WorkflowSource> FindWorkflowFiles(const std::string& workflows_arg,
                                               const std::string& workspace) {
  WorkflowSource src;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  fs::path target;
  if (!workflows_arg.empty()) {
    target = workflows_arg;
    if (!fs::exists(target, ec)) {
      return Status::NotFound("workflow path " + workflows_arg + " does not exist");
    }
  } else if (fs::is_directory(cwd / ".github" / "workflows", ec)) {
    target = fs::path(".github") / "workflows";
  } else {
    fs::path top = GitToplevelOr(cwd, fs::path());
    if (top.empty() || !fs::is_directory(top / ".github" / "workflows", ec)) {
      return Status::NotFound(
          "no .github/workflows/ here or in the enclosing git repository; give -W PATH");
    }
    target = fs::relative(top / ".github" / "workflows", cwd, ec);
    if (ec) target = top / ".github" / "workflows";
  }

  if (fs::is_directory(target, ec)) {
    for (const auto& entry : fs::directory_iterator(target, ec)) {
      if (entry.is_regular_file(ec) && IsWorkflowFile(entry.path())) {
        src.files.push_back(entry.path().lexically_normal());
      }
    }
    std::sort(src.files.begin(), src.files.end());
    if (src.files.empty()) {
      return Status::NotFound("no *.yml or *.yaml workflow files in " + target.string());
    }
  } else {
    src.files.push_back(target.lexically_normal());
  }

  if (!workspace.empty()) {
    if (!fs::is_directory(workspace, ec)) {
      return Status::NotFound("--workspace " + workspace + " is not a directory");
    }
    src.root = Absolute(workspace);
  } else {
    src.root = RepositoryRootFor(target);  // the rule gantry lint uses too (docs/exec.md)
  }
  return src;
}

namespace {

// Loads `file`; remote reusable workflows are fetched with `fetcher` when it is set.
std::optional<LoadedWorkflow> LoadOne(const WorkflowSource& source, const fs::path& file,
                                      workflow::Diagnostics& diagnostics,
                                      engine::ActionFetcher* fetcher) {
  LoadedWorkflow lw;
  lw.display = file.string();
  workflow::LoadOptions options;
  fs::path root = source.root;
  options.repository_root = root.string();
  options.read_file = [&](const std::string& path) -> std::optional<std::string> {
    if (path.find('@') == std::string::npos) return ReadText(root / path);
    if (fetcher == nullptr) return std::nullopt;
    // owner/repo/path/to/workflow.yml@ref: parsed as an action reference with a path.
    auto parsed = engine::ParseActionReference(path);
    if (!parsed.ok() || parsed->kind != engine::ActionReference::Kind::kRemote ||
        parsed->path.empty()) {
      return std::nullopt;
    }
    const engine::ActionReference& ref = *parsed;
    backend::CancelToken cancel;
    auto fetched = fetcher->Fetch(
        ref, [](std::string_view) {}, cancel);
    if (!fetched.ok()) {
      diagnostics.push_back(
          {lw.display, {}, "uses: " + path + ": " + fetched.status().message(), "workflow-call"});
      return std::nullopt;
    }
    auto text = ReadText(fs::path(fetched->dir) / ref.path);
    if (!text) {
      diagnostics.push_back(
          {lw.display,
           {},
           "uses: " + path + ": no file '" + ref.path + "' in " + ref.repository() + "@" + ref.ref,
           "workflow-call"});
    }
    return text;
  };
  std::error_code ec;
  fs::path rel = fs::relative(Absolute(file), root, ec);
  lw.repo_path = ec || rel.empty() || rel.begin()->string() == ".." ? file.filename().string()
                                                                    : rel.generic_string();
  auto text = ReadText(file);
  if (!text) {
    diagnostics.push_back({lw.display, {}, "cannot read the file", "io"});
    return std::nullopt;
  }
  auto result = workflow::LoadWorkflow(*text, lw.display, options);
  if (!result.ok()) {
    if (!workflow::HasErrors(result.diagnostics)) {
      diagnostics.push_back({lw.display, {}, "not a workflow", "syntax"});
    }
    // Only errors stop a run; warnings (experimental syntax) are gantry lint's to show.
    for (auto& d : result.diagnostics) {
      if (d.IsError()) diagnostics.push_back(std::move(d));
    }
    return std::nullopt;
  }
  lw.workflow = result.workflow;
  return lw;
}

}  // namespace

std::vector<LoadedWorkflow> LoadWorkflows(const WorkflowSource& source,
                                          workflow::Diagnostics& diagnostics,
                                          engine::ActionFetcher* fetcher) {
  std::vector<LoadedWorkflow> loaded;
  for (const auto& file : source.files) {
    if (auto lw = LoadOne(source, file, diagnostics, fetcher)) loaded.push_back(std::move(*lw));
  }
  return loaded;
}

bool HasRemoteCalls(const workflow::Workflow& wf) {
  return std::any_of(wf.jobs.begin(), wf.jobs.end(), [](const workflow::Job& j) {
    return j.uses && !workflow::IsLocalReference(j.uses->value) &&
           j.uses->value.find('@') != std::string::npos;
  });
}

void LoadRemoteCalls(const WorkflowSource& source, LoadedWorkflow& lw,
                     workflow::Diagnostics& diagnostics, engine::ActionFetcher& fetcher) {
  for (const auto& file : source.files) {
    if (file.string() != lw.display) continue;
    if (auto again = LoadOne(source, file, diagnostics, &fetcher)) lw = std::move(*again);
    return;
  }
}

std::shared_ptr<const workflow::Workflow> WithBaseEnv(
    const std::shared_ptr<const workflow::Workflow>& wf, const NameValues& values) {
  if (values.empty() || workflow::IsWholeExpression(wf->env)) return wf;
  auto copy = std::make_shared<workflow::Workflow>(*wf);
  workflow::TextMap env;
  for (const auto& [name, value] : values) {
    std::string text = value;
    if (value.find("${{") != std::string::npos) {
      // Keep the value literal: a single-quoted expression string ('' escapes a quote).
      std::string quoted;
      for (char c : value) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      text = "${{ '" + quoted + "' }}";
    }
    env.emplace_back(name, workflow::Text{text, {}});
  }
  for (const auto& entry : copy->env) {
    auto same =
        std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.first == entry.first; });
    if (same != env.end()) env.erase(same);
    env.push_back(entry);
  }
  copy->env = std::move(env);
  return copy;
}

}  // namespace gantry::cli
