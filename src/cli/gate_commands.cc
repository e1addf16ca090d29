// `gantry pr status N`: whether a pull request may be merged (GET …/pulls/{n}/merge-status);
// `gantry protect list|set|remove`: a project's branch protection rules.

#include <unistd.h>

#include <iostream>

#include "cli/api_client.h"
#include "cli/client_commands.h"
#include "cli/client_config.h"
#include "cli/client_output.h"

namespace gantry::cli {
namespace {

std::string Text(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// The icon of a required check's or a merge state's word.
std::string Icon(const OutputStyle& style, const std::string& state) {
  if (state == "success" || state == "ready") return Paint(style, "green", "✓");
  if (state == "failure" || state == "blocked") return Paint(style, "red", "X");
  if (state == "missing") return Paint(style, "red", "?");
  return Paint(style, "yellow", "*");
}

std::string Join(const nlohmann::json& names) {
  std::string out;
  for (const nlohmann::json& n : names) {
    if (!out.empty()) out += ", ";
    out += n.is_string() ? n.get<std::string>() : n.dump();
  }
  return out;
}

}  // namespace

void GateCommands::Register(CLI::App& app) {
  auto common = [this](CLI::App* c) {
    c->add_option("-p,--project,-R,--repo", project_,
                  "OWNER/NAME (default: GANTRY_PROJECT or the git remote origin)");
    c->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  };
  pr_ = app.add_subcommand("pr", "Show whether a pull request may be merged.");
  pr_->require_subcommand(1);
  pr_status_ = pr_->add_subcommand(
      "status", "Show a pull request's required checks and whether it is ready to merge.");
  pr_status_->add_option("NUMBER", number_, "the pull request's number")
      ->required()
      ->check(CLI::PositiveNumber);
  pr_status_->add_flag("--exit-status", exit_status_,
                       "exit 1 when the pull request is not ready to merge (blocked or pending)");
  common(pr_status_);
  AddJsonOption(*pr_status_, json_);
  SetExamples(*pr_status_, {"gantry pr status 12 -R alice/shop",
                            "gantry pr status 12 --exit-status && git merge feature",
                            "gantry pr status 12 --json state,message"});

  protect_ = app.add_subcommand("protect",
                                "List, set and remove the branch protection rules of a project.");
  protect_->require_subcommand(1);
  SetExamples(*protect_,
              {"gantry protect set main --require 'CI / test' --require 'CI / lint'",
               "gantry protect list -p alice/shop", "gantry protect remove 'release/*'"});
  list_ = protect_->add_subcommand("list", "List the rules: patterns and the checks they require.");
  common(list_);
  AddJsonOption(*list_, json_);
  set_ = protect_->add_subcommand(
      "set",
      "Require checks for pull requests into the branches PATTERN matches (replaces its "
      "rule).");
  set_->add_option("PATTERN", pattern_, "a branch or glob: main, release/*, **")->required();
  set_->add_option("--require,-r", require_,
                   "a check name: \"CI / test\" (any event) or \"CI / test (pull_request)\"")
      ->required();
  common(set_);
  SetExamples(*set_, {"gantry protect set main --require 'CI / test'",
                      "gantry protect set 'release/*' -r 'CI / build' -r 'CI / test'"});
  remove_ = protect_->add_subcommand("remove", "Remove the rule of PATTERN.");
  remove_->add_option("PATTERN", pattern_, "the rule's pattern")->required();
  common(remove_);
  SetExamples(*remove_, {"gantry protect remove 'release/*'"});
}

bool GateCommands::Parsed() const {
  return (pr_ != nullptr && pr_->parsed()) || (protect_ != nullptr && protect_->parsed());
}

int GateCommands::Run() {
  if (pr_status_->parsed()) return RunPrStatus();
  if (list_->parsed()) return RunList();
  if (set_->parsed()) return RunSet();
  if (remove_->parsed()) return RunRemove();
  return 2;
}

int GateCommands::RunPrStatus() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  const std::string n = std::to_string(number_);
  auto status = api.Get(ProjectPath(*project) + "/pulls/" + n + "/merge-status",
                        "pull request #" + n + " of " + *project);
  if (!status.ok()) return Fail(status.status());
  const bool ready = status->value("state", "") == "ready";
  const int code = exit_status_ && !ready ? 1 : 0;
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, *status, json_.fields) ? code : 1;
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Icon(style, Text(*status, "state")) << " "
            << Paint(style, "bold", "#" + n + " into " + Text(*status, "base_branch")) << ": "
            << Text(*status, "message") << "\n";
  std::string sha = Text(*status, "head_sha");
  std::cout << "Head " << sha.substr(0, 12) << " · "
            << (status->value("protected", false) ? "protected branch"
                                                  : "no protection rule: every check counts")
            << "\n";
  const nlohmann::json& required = (*status)["required"];
  if (required.is_array() && !required.empty()) {
    std::cout << "\n" << Paint(style, "bold", "REQUIRED CHECKS") << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const nlohmann::json& r : required) {
      std::string state = Text(r, "state");
      rows.push_back({Icon(style, state), Text(r, "context"), state, Text(r, "target_url")});
    }
    OutputStyle aligned = style;
    aligned.tty = true;
    PrintTable(std::cout, aligned, {}, rows);
  }
  return code;
}

int GateCommands::RunList() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto reply = api.Get(ProjectPath(*project) + "/branch-protection", "project " + *project);
  if (!reply.ok()) return Fail(reply.status());
  const nlohmann::json& rules = (*reply)["rules"];
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, rules, json_.fields) ? 0 : 1;
  if (rules.empty()) {
    std::cerr << "No branch protection rules in " << *project << "\n";
    return 0;
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& rule : rules) {
    rows.push_back({Text(rule, "pattern"), Join(rule["required_checks"])});
  }
  PrintTable(std::cout, style, {"pattern", "required checks"}, rows);
  return 0;
}

int GateCommands::RunSet() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto put = api.Send("PUT", ProjectPath(*project) + "/branch-protection/" + PathEscape(pattern_),
                      {{"required_checks", require_}}, "project " + *project);
  if (!put.ok()) return Fail(put.status());
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Protected " << pattern_ << " in " << *project
            << ": requires " << Join((*put)["required_checks"]) << "\n";
  return 0;
}

int GateCommands::RunRemove() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto del =
      api.Send("DELETE", ProjectPath(*project) + "/branch-protection/" + PathEscape(pattern_),
               nullptr, "branch protection rule '" + pattern_ + "' in project " + *project);
  if (!del.ok()) return Fail(del.status());
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Removed the rule of " << pattern_ << " from "
            << *project << "\n";
  return 0;
}

}  // namespace gantry::cli
