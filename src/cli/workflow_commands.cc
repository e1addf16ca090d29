// `gantry workflow list|view|run` and `gantry pattern list|view|apply`.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/api_client.h"
#include "cli/client_commands.h"
#include "cli/client_config.h"
#include "cli/client_output.h"
#include "cli/git_context.h"
#include "core/files.h"

namespace gantry::cli {
namespace {

using core::Result;
using core::Status;

std::string Text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The workflow file ("ci.yml") that `name` means: a file name as it is, else the workflow
// whose name, id or file stem it is.
Result<std::string> WorkflowFile(ApiClient& api, const std::string& project,
                                 const std::string& name) {
  if (EndsWith(name, ".yml") || EndsWith(name, ".yaml")) return Basename(name);
  auto list = api.Get(ProjectPath(project) + "/workflows", "project " + project);
  if (!list.ok()) return list.status();
  for (const auto& w : (*list)["workflows"]) {
    std::string file = Basename(Text(w, "path"));
    std::string stem = file.substr(0, file.rfind('.'));
    if (Text(w, "name") == name || Text(w, "id") == name || stem == name) return file;
  }
  return Status::NotFound("workflow '" + name + "' not found in " + project +
                          " (see `gantry workflow list -p " + project + "`)");
}

bool ValidPatternName(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

void WorkflowCommands::Register(CLI::App& app) {
  auto common = [this](CLI::App* c) {
    c->add_option("-p,--project", project_,
                  "OWNER/NAME (default: GANTRY_PROJECT or the git remote origin)");
    c->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  };
  workflow_ = app.add_subcommand("workflow", "List, show and start the workflows of a project.");
  workflow_->require_subcommand(1);
  SetExamples(*workflow_, {"gantry workflow list -p alice/web", "gantry workflow view ci.yml",
                           "gantry workflow run deploy.yml --ref main -f environment=staging"});

  wf_list_ = workflow_->add_subcommand("list", "List the workflows of a project.");
  common(wf_list_);
  AddJsonOption(*wf_list_, json_);
  SetExamples(*wf_list_,
              {"gantry workflow list -p alice/web", "gantry workflow list --json name,path"});

  wf_view_ = workflow_->add_subcommand("view", "Show a workflow and its recent runs.");
  wf_view_->add_option("WORKFLOW", name_, "its file name (ci.yml), id or name")->required();
  wf_view_->add_flag("-y,--yaml", yaml_, "print the workflow's YAML");
  common(wf_view_);
  AddJsonOption(*wf_view_, json_);
  SetExamples(*wf_view_, {"gantry workflow view ci.yml", "gantry workflow view CI --yaml",
                          "gantry workflow view ci.yml --json id,state"});

  wf_run_ = workflow_->add_subcommand(
      "run", "Start a workflow that has a workflow_dispatch trigger, with inputs.");
  wf_run_->add_option("WORKFLOW", name_, "its file name (deploy.yml), id or name")->required();
  wf_run_->add_option("-r,--ref", ref_, "the branch, tag or commit (default: the default branch)");
  wf_run_->add_option("-f,--field", fields_, "an input as KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  common(wf_run_);
  SetExamples(*wf_run_,
              {"gantry workflow run deploy.yml",
               "gantry workflow run deploy.yml --ref v1.2 -f environment=prod -f dry=true"});

  RegisterPattern(app);
}

void WorkflowCommands::RegisterPattern(CLI::App& app) {
  pattern_ = app.add_subcommand(
      "pattern",
      "Ready-made workflows of the server: list them, show one, copy one into this "
      "repository.");
  pattern_->require_subcommand(1);
  SetExamples(*pattern_, {"gantry pattern list", "gantry pattern view node-ci",
                          "gantry pattern apply node-ci"});
  auto url = [this](CLI::App* c) {
    c->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  };
  pt_list_ = pattern_->add_subcommand("list", "List the patterns.");
  url(pt_list_);
  AddJsonOption(*pt_list_, json_);
  SetExamples(*pt_list_, {"gantry pattern list", "gantry pattern list --json name"});

  pt_view_ = pattern_->add_subcommand("view", "Show a pattern's description and workflow.");
  pt_view_->add_option("NAME", name_, "the pattern")->required();
  url(pt_view_);
  AddJsonOption(*pt_view_, json_);
  SetExamples(*pt_view_,
              {"gantry pattern view node-ci", "gantry pattern view node-ci --json workflow"});

  pt_apply_ = pattern_->add_subcommand(
      "apply", "Write a pattern as .github/workflows/NAME.yml of the current git repository.");
  pt_apply_->add_option("NAME", name_, "the pattern")->required();
  pt_apply_->add_flag("--force", force_, "overwrite the file when it exists");
  pt_apply_->add_option("--dir,-C", dir_,
                        "the repository (default: the one holding the current "
                        "directory)");
  url(pt_apply_);
  SetExamples(*pt_apply_, {"gantry pattern apply node-ci",
                           "gantry pattern apply node-ci --dir ~/src/web --force"});
}

bool WorkflowCommands::Parsed() const {
  return (workflow_ != nullptr && workflow_->parsed()) ||
         (pattern_ != nullptr && pattern_->parsed());
}

int WorkflowCommands::Run() {
  if (wf_list_->parsed()) return RunWorkflowList();
  if (wf_view_->parsed()) return RunWorkflowView();
  if (wf_run_->parsed()) return RunWorkflowRun();
  if (pt_list_->parsed()) return RunPatternList();
  if (pt_view_->parsed()) return RunPatternView();
  if (pt_apply_->parsed()) return RunPatternApply();
  return 2;
}

int WorkflowCommands::RunWorkflowList() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto reply = api.Get(ProjectPath(*project) + "/workflows", "project " + *project);
  if (!reply.ok()) return Fail(reply.status());
  const nlohmann::json& workflows = (*reply)["workflows"];
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, workflows, json_.fields) ? 0 : 1;
  if (workflows.empty()) {
    std::cerr << "No workflows in " << *project << " (none in .github/workflows/ of its default "
              << "branch)\n";
    return 0;
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : workflows) {
    rows.push_back(
        {Paint(style, "bold", Text(w, "name")), Text(w, "state"), Text(w, "id"), Text(w, "path")});
  }
  PrintTable(std::cout, style, {"name", "state", "id", "path"}, rows);
  return 0;
}

int WorkflowCommands::RunWorkflowView() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto w = api.Get(ProjectPath(*project) + "/workflows/" + PathEscape(name_),
                   "workflow " + name_ + " in project " + *project);
  if (!w.ok()) {
    // The 404 may be the project's: say which.
    if (w.status().code() == core::StatusCode::kNotFound) {
      auto p = api.Get(ProjectPath(*project), "project " + *project);
      if (!p.ok()) return Fail(p.status());
    }
    return Fail(w.status());
  }
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, *w, json_.fields) ? 0 : 1;
  if (yaml_) {
    std::string yaml = Text(*w, "yaml");
    std::cout << yaml << (yaml.empty() || yaml.back() == '\n' ? "" : "\n");
    return 0;
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "bold", Text(*w, "name")) << " - " << Basename(Text(*w, "path")) << "\n"
            << "ID: " << Text(*w, "id") << "\n"
            << "State: " << Text(*w, "state") << "\n\n";
  auto runs =
      api.Get(ProjectPath(*project) + "/runs?limit=5&workflow=" + PathEscape(Text(*w, "path")),
              "project " + *project);
  if (runs.ok() && !(*runs)["runs"].empty()) {
    std::cout << Paint(style, "bold", "Recent runs") << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : (*runs)["runs"]) {
      rows.push_back({StatusSymbol(style, Text(r, "status"), Text(r, "conclusion")),
                      Text(r, "display_title"), Text(r, "head_branch"), Text(r, "event"),
                      Text(r, "id")});
    }
    PrintTable(std::cout, style, {}, rows);
    std::cout << "\n";
  } else {
    std::cout << "No runs yet\n\n";
  }
  std::cout << "To see more runs, try: gantry run list -p " << *project << " -w "
            << Basename(Text(*w, "path")) << "\n"
            << "To see the YAML, try: gantry workflow view " << name_ << " -p " << *project
            << " --yaml\n";
  return 0;
}

int WorkflowCommands::RunWorkflowRun() {
  nlohmann::json inputs = nlohmann::json::object();
  for (const std::string& field : fields_) {
    size_t eq = field.find('=');
    if (eq == std::string::npos || eq == 0) {
      return UsageError("-f '" + field + "' is not KEY=VALUE");
    }
    inputs[field.substr(0, eq)] = field.substr(eq + 1);
  }
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto file = WorkflowFile(api, *project, name_);
  if (!file.ok()) return Fail(file.status());
  nlohmann::json body = {{"inputs", inputs}};
  if (!ref_.empty()) body["ref"] = ref_;
  auto reply =
      api.Send("POST", ProjectPath(*project) + "/workflows/" + PathEscape(*file) + "/dispatches",
               body, "project " + *project);
  if (!reply.ok()) return Fail(reply.status());
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::string ids;
  for (const auto& id : (*reply)["runs"]) ids += (ids.empty() ? "" : ", ") + id.dump();
  std::cout << Paint(style, "green", "✓") << " Created workflow_dispatch event for " << *file
            << " at " << (ref_.empty() ? "the default branch" : ref_);
  if (!ids.empty()) std::cout << ": run " << ids;
  std::cout << "\n\nTo see runs for this workflow, try: gantry run list -p " << *project << " -w "
            << *file << "\n";
  return 0;
}

int WorkflowCommands::RunPatternList() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  ApiClient api(*target);
  auto reply = api.Get("/api/v1/patterns", "patterns");
  if (!reply.ok()) return Fail(reply.status());
  nlohmann::json patterns = nlohmann::json::array();
  for (const auto& p : (*reply)["patterns"]) {
    patterns.push_back({{"name", Text(p, "name")}, {"description", Text(p, "description")}});
  }
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, patterns, json_.fields) ? 0 : 1;
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : patterns) {
    rows.push_back({Paint(style, "bold", Text(p, "name")), Text(p, "description")});
  }
  PrintTable(std::cout, style, {"name", "description"}, rows);
  return 0;
}

int WorkflowCommands::RunPatternView() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  ApiClient api(*target);
  auto p = api.Get("/api/v1/patterns/" + PathEscape(name_), "pattern " + name_);
  if (!p.ok()) return Fail(p.status());
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, *p, json_.fields) ? 0 : 1;
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::string yaml = Text(*p, "workflow");
  std::cout << Paint(style, "bold", Text(*p, "name")) << " - " << Text(*p, "description") << "\n\n"
            << yaml << (yaml.empty() || yaml.back() == '\n' ? "" : "\n") << "\n"
            << "To add it to this repository: gantry pattern apply " << name_ << "\n";
  return 0;
}

int WorkflowCommands::RunPatternApply() {
  if (!ValidPatternName(name_)) {
    return UsageError("'" + name_ + "' is not a pattern name (see `gantry pattern list`)");
  }
  std::string root = dir_;
  if (root.empty()) {
    auto top = RunGit(".", {"rev-parse", "--show-toplevel"});
    if (!top.ok() || top->empty()) {
      return Fail(
          Status::InvalidArgument("not in a git repository: run it inside one or pass --dir DIR"));
    }
    root = *top;
  }
  std::filesystem::path file =
      std::filesystem::path(root) / ".github" / "workflows" / (name_ + ".yml");
  std::error_code ec;
  if (std::filesystem::exists(file, ec) && !force_) {
    return Fail(Status::AlreadyExists(file.string() + " exists: pass --force to overwrite it"));
  }
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  ApiClient api(*target);
  auto p = api.Get("/api/v1/patterns/" + PathEscape(name_), "pattern " + name_);
  if (!p.ok()) return Fail(p.status());
  std::string yaml = Text(*p, "workflow");
  if (!yaml.empty() && yaml.back() != '\n') yaml += '\n';
  if (Status s = core::WriteFileAtomically(file, yaml); !s.ok()) {
    return Fail(Status::Unavailable(file.string() + ": " + s.message()));
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Wrote " << file.string() << "\n"
            << "Check it with `gantry lint " << file.string() << "`, then commit and push it.\n";
  return 0;
}

}  // namespace gantry::cli
