// `gantry deployment list [ENV]`: the deployments recorded per environment (GET
// …/deployments); `gantry deployment rollback ENV`: a new run of the workflow of the
// environment's last good deployment at its commit (POST …/deployments/rollback).

#include <unistd.h>

#include <chrono>
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

// A deployment's status as the run symbols show it: success ✓, failure X, in progress *,
// cancelled and inactive -.
std::string Symbol(const OutputStyle& style, const std::string& status) {
  if (status == "success" || status == "failure") return StatusSymbol(style, "completed", status);
  if (status == "queued" || status == "in_progress") return StatusSymbol(style, status, "");
  return StatusSymbol(style, "completed", "cancelled");
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void DeploymentCommands::Register(CLI::App& app) {
  auto common = [this](CLI::App* c) {
    c->add_option("-p,--project,-R,--repo", project_,
                  "OWNER/NAME (default: GANTRY_PROJECT or the git remote origin)");
    c->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  };
  deployment_ = app.add_subcommand(
      "deployment", "List the deployments recorded per environment and roll one back.");
  deployment_->require_subcommand(1);
  SetExamples(*deployment_, {"gantry deployment list staging",
                             "gantry deployment rollback "
                             "production -p alice/shop"});
  list_ = deployment_->add_subcommand(
      "list", "List deployments, newest first: jobs with `environment:` record one each.");
  list_->add_option("ENV", environment_, "only this environment (default: every one)");
  list_->add_option("-L,--limit", limit_, "at most this many (1 to 100)")
      ->check(CLI::Range(1, 100));
  common(list_);
  AddJsonOption(*list_, json_);
  SetExamples(*list_, {"gantry deployment list", "gantry deployment list staging -L 5",
                       "gantry deployment list production --json sha,status,run_id"});
  rollback_ = deployment_->add_subcommand(
      "rollback",
      "Deploy ENV's previous good commit again: a new workflow_dispatch run of the workflow of "
      "the newest successful deployment older than the newest one.");
  rollback_->add_option("ENV", environment_, "the environment")->required();
  common(rollback_);
  AddJsonOption(*rollback_, json_);
  SetExamples(*rollback_, {"gantry deployment rollback production",
                           "gantry deployment rollback staging -p alice/shop --json id"});
}

bool DeploymentCommands::Parsed() const { return deployment_ != nullptr && deployment_->parsed(); }

int DeploymentCommands::Run() {
  if (list_->parsed()) return RunList();
  if (rollback_->parsed()) return RunRollback();
  return 2;
}

int DeploymentCommands::RunList() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  std::string path = ProjectPath(*project) + "/deployments?limit=" + std::to_string(limit_);
  if (!environment_.empty()) path += "&environment=" + PathEscape(environment_);
  auto reply = api.Get(path, "project " + *project);
  if (!reply.ok()) return Fail(reply.status());
  const nlohmann::json& list = (*reply)["deployments"];
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, list, json_.fields) ? 0 : 1;
  if (list.empty()) {
    std::cerr << "No deployments" << (environment_.empty() ? "" : " to " + environment_) << " in "
              << *project << "\n";
    return 0;
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  const int64_t now = NowMs();
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& d : list) {
    std::string status = Text(d, "status");
    int64_t created = ParseApiTime(d.value("created_at", nlohmann::json()));
    rows.push_back({Symbol(style, status), Text(d, "id"), Text(d, "environment"), status,
                    Text(d, "sha").substr(0, 7), Text(d, "run_id"), Text(d, "actor"),
                    created > 0 ? FormatAge(now - created) : "", Text(d, "url")});
  }
  PrintTable(std::cout, style,
             {"", "id", "environment", "status", "sha", "run", "actor", "age", "url"}, rows);
  return 0;
}

int DeploymentCommands::RunRollback() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto reply = api.Send(
      "POST", ProjectPath(*project) + "/deployments/rollback", {{"environment", environment_}},
      "a deployment to roll back to in " + environment_ + " of project " + *project);
  if (!reply.ok()) return Fail(reply.status());
  const nlohmann::json& run = (*reply)["run"];
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, run, json_.fields) ? 0 : 1;
  const nlohmann::json& to = (*reply)["target"];
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Rolling " << environment_ << " back to "
            << Text(to, "sha").substr(0, 7) << " (deployment " << Text(to, "id") << ", run "
            << Text(to, "run_id") << "): run " << Text(run, "id") << "\n\n"
            << "To follow it, try: gantry run watch " << Text(run, "id") << "\n";
  return 0;
}

}  // namespace gantry::cli
