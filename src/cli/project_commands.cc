// `gantry project list|add|view`, `gantry secret set|list|delete`,
// `gantry variable set|list|delete`.

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/api_client.h"
#include "cli/client_commands.h"
#include "cli/client_config.h"
#include "cli/client_output.h"

namespace gantry::cli {
namespace {


std::string Age(const nlohmann::json& time) {
  int64_t at = ParseApiTime(time);
  if (at == 0) return "";
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return FormatAge(now - at);
}

std::string Text(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// A local path given as the repository becomes absolute: the server (on this machine)
// resolves it from its own working directory otherwise.
std::string RepositoryArgument(const std::string& repo) {
  if (repo.find("://") != std::string::npos || repo.rfind("git@", 0) == 0) return repo;
  std::error_code ec;
  if (!std::filesystem::exists(repo, ec)) return repo;
  return std::filesystem::absolute(repo, ec).lexically_normal().string();
}

}  // namespace

void ProjectCommands::Register(CLI::App& app) {
  project_ = app.add_subcommand("project", "List, add and show the projects of a Gantry server.");
  project_->require_subcommand(1);
  SetExamples(*project_, {"gantry project list",
                          "gantry project add alice/web --repo https://git.example/alice/web.git",
                          "gantry project view alice/web"});
  auto add_url = [this](CLI::App* c) {
    c->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  };

  list_ = project_->add_subcommand("list", "List the projects you can see.");
  add_url(list_);
  AddJsonOption(*list_, json_);
  SetExamples(*list_, {"gantry project list", "gantry project list --json name,repository"});

  add_ = project_->add_subcommand(
      "add", "Add a repository as a project. Prints its webhook URL and secret (shown only once).");
  add_->add_option("PROJECT", project_name_, "OWNER/NAME of the new project")->required();
  add_->add_option("--repo,-r", repo_, "the git repository: a URL, or a path on the server")
      ->required();
  add_->add_option("--default-branch,-b", default_branch_, "its default branch (default: main)");
  add_->add_option("--poll-interval", poll_interval_,
                   "poll the repository every N seconds instead of waiting for webhooks (0: off)")
      ->check(CLI::Range(0, 86400));
  add_url(add_);
  AddJsonOption(*add_, json_);
  SetExamples(*add_, {"gantry project add alice/web --repo https://git.example/alice/web.git",
                      "gantry project add alice/tools --repo /srv/git/tools.git -b trunk"});

  view_ = project_->add_subcommand("view", "Show a project.");
  view_->add_option("PROJECT", project_name_,
                    "OWNER/NAME (default: -p, GANTRY_PROJECT or the git remote origin)");
  add_url(view_);
  AddJsonOption(*view_, json_);
  SetExamples(*view_, {"gantry project view alice/web", "gantry project view --json webhook_url"});

  RegisterConfig(app, true);
  RegisterConfig(app, false);
}

void ProjectCommands::RegisterConfig(CLI::App& app, bool secret) {
  const std::string kind = secret ? "secret" : "variable";
  int i = secret ? 0 : 1;
  CLI::App* group = app.add_subcommand(
      kind, secret ? "Set, list and delete a project's secrets (values are never shown)."
                   : "Set, list and delete a project's configuration variables (the vars "
                     "context).");
  group->require_subcommand(1);
  (secret ? secret_ : variable_) = group;
  auto common = [this](CLI::App* c) {
    c->add_option("-p,--project", project_name_,
                  "OWNER/NAME (default: GANTRY_PROJECT or the git remote origin)");
    c->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  };
  set_[i] = group->add_subcommand(
      "set", secret ? "Set a secret; the value comes from --body or stdin (typed without echo on a "
                      "terminal)."
                    : "Set a variable; the value comes from --body or stdin.");
  set_[i]->add_option("NAME", config_name_, "the " + kind + "'s name")->required();
  set_[i]->add_option("-b,--body", body_, "the value (default: read from stdin)");
  common(set_[i]);
  config_list_[i] = group->add_subcommand("list", "List the " + kind + "s of a project.");
  common(config_list_[i]);
  AddJsonOption(*config_list_[i], json_);
  delete_[i] = group->add_subcommand("delete", "Delete a " + kind + ".");
  delete_[i]->add_option("NAME", config_name_, "the " + kind + "'s name")->required();
  common(delete_[i]);
  if (secret) {
    SetExamples(*group, {"gantry secret set DEPLOY_KEY -p alice/web < key.pem",
                         "gantry secret list -p alice/web", "gantry secret delete DEPLOY_KEY"});
    SetExamples(*set_[i], {"gantry secret set DEPLOY_KEY -p alice/web < key.pem",
                           "gantry secret set TOKEN      # asks for the value, without echo",
                           "gantry secret set TOKEN --body \"$TOKEN\""});
    SetExamples(*config_list_[i],
                {"gantry secret list -p alice/web", "gantry secret list --json name"});
    SetExamples(*delete_[i], {"gantry secret delete DEPLOY_KEY -p alice/web"});
  } else {
    SetExamples(*group, {"gantry variable set REGION --body eu-west -p alice/web",
                         "gantry variable list", "gantry variable delete REGION"});
    SetExamples(*set_[i], {"gantry variable set REGION --body eu-west -p alice/web",
                           "echo eu-west | gantry variable set REGION"});
    SetExamples(*config_list_[i],
                {"gantry variable list -p alice/web", "gantry variable list --json name,value"});
    SetExamples(*delete_[i], {"gantry variable delete REGION -p alice/web"});
  }
}

bool ProjectCommands::Parsed() const {
  return (project_ != nullptr && project_->parsed()) || (secret_ != nullptr && secret_->parsed()) ||
         (variable_ != nullptr && variable_->parsed());
}

int ProjectCommands::Run() {
  if (list_->parsed()) return RunList();
  if (add_->parsed()) return RunAdd();
  if (view_->parsed()) return RunView();
  for (int i = 0; i < 2; ++i) {
    if (set_[i]->parsed()) return RunConfigSet(i == 0);
    if (config_list_[i]->parsed()) return RunConfigList(i == 0);
    if (delete_[i]->parsed()) return RunConfigDelete(i == 0);
  }
  return 2;
}

int ProjectCommands::RunList() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  ApiClient api(*target);
  auto reply = api.Get("/api/v1/projects", "projects");
  if (!reply.ok()) return Fail(reply.status());
  const nlohmann::json& projects = (*reply)["projects"];
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, projects, json_.fields) ? 0 : 1;
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  if (projects.empty()) {
    std::cerr << "No projects on " << target->url
              << ": add one with `gantry project add OWNER/NAME --repo URL`\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : projects) {
    rows.push_back({Paint(style, "bold", Text(p, "name")), Text(p, "repository"),
                    Text(p, "default_branch"), Age(p["created_at"])});
  }
  PrintTable(std::cout, style, {"name", "repository", "branch", "created"}, rows);
  return 0;
}

int ProjectCommands::RunAdd() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_name_);
  if (!project.ok()) return Fail(project.status(), true);
  nlohmann::json body = {{"name", *project}, {"repository", RepositoryArgument(repo_)}};
  if (!default_branch_.empty()) body["default_branch"] = default_branch_;
  if (poll_interval_ > 0) body["poll_interval"] = poll_interval_;
  ApiClient api(*target);
  auto created = api.Send("POST", "/api/v1/projects", body, "");
  if (!created.ok()) return Fail(created.status());
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, *created, json_.fields) ? 0 : 1;
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Added project " << Paint(style, "bold", *project)
            << " (" << Text(*created, "repository") << ", default branch "
            << Text(*created, "default_branch") << ")\n"
            << "Webhook URL:    " << Text(*created, "webhook_url") << "\n"
            << "Webhook secret: " << Text(*created, "webhook_secret") << "\n"
            << Paint(style, "yellow", "!")
            << " The secret is shown only this once: configure a push webhook (content type "
               "application/json) with it on your git host now.\n";
  return 0;
}

int ProjectCommands::RunView() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_name_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto p = api.Get(ProjectPath(*project), "project " + *project);
  if (!p.ok()) return Fail(p.status());
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, *p, json_.fields) ? 0 : 1;
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "bold", Text(*p, "name")) << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"Repository:", Text(*p, "repository")},
      {"Default branch:", Text(*p, "default_branch")},
      {"Webhook URL:", Text(*p, "webhook_url")},
      {"Polling:", p->value("poll_interval", 0) > 0
                       ? "every " + std::to_string(p->value("poll_interval", 0)) + " s"
                       : "off (webhooks)"},
      {"Your role:", Text(*p, "role")},
      {"Created:", Age((*p)["created_at"])}};
  OutputStyle aligned = style;
  aligned.tty = true;  // key/value lines stay aligned in a pipe too
  PrintTable(std::cout, aligned, {}, rows);
  return 0;
}

int ProjectCommands::RunConfigSet(bool secret) {
  const std::string kind = secret ? "secret" : "variable";
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_name_);
  if (!project.ok()) return Fail(project.status(), true);
  std::string value = body_;
  if (set_[secret ? 0 : 1]->count("--body") == 0) {
    auto typed = secret ? ReadSecret("? Paste your secret: ", "the secret's value")
                        : ReadSecret("Value: ", "the variable's value");
    if (!typed.ok()) return Fail(typed.status(), true);
    value = *typed;
  }
  ApiClient api(*target);
  auto put = api.Send("PUT", ProjectPath(*project) + "/" + kind + "s/" + PathEscape(config_name_),
                      {{"value", value}}, "project " + *project);
  if (!put.ok()) return Fail(put.status());
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Set " << kind << " " << config_name_ << " for "
            << *project << "\n";
  return 0;
}

int ProjectCommands::RunConfigList(bool secret) {
  const std::string kind = secret ? "secret" : "variable";
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_name_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto reply = api.Get(ProjectPath(*project) + "/" + kind + "s", "project " + *project);
  if (!reply.ok()) return Fail(reply.status());
  const nlohmann::json& items = (*reply)[kind + "s"];
  if (json_.enabled()) return PrintJson(std::cout, std::cerr, items, json_.fields) ? 0 : 1;
  if (items.empty()) {
    std::cerr << "No " << kind << "s in " << *project << "\n";
    return 0;
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : items) {
    if (secret) {
      rows.push_back({Text(item, "name"), "Updated " + Age(item["updated_at"])});
    } else {
      rows.push_back({Text(item, "name"), Text(item, "value"), Age(item["updated_at"])});
    }
  }
  PrintTable(std::cout, style,
             secret ? std::vector<std::string>{"name", "updated"}
                    : std::vector<std::string>{"name", "value", "updated"},
             rows);
  return 0;
}

int ProjectCommands::RunConfigDelete(bool secret) {
  const std::string kind = secret ? "secret" : "variable";
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  auto project = ResolveProject(project_name_);
  if (!project.ok()) return Fail(project.status(), true);
  ApiClient api(*target);
  auto del =
      api.Send("DELETE", ProjectPath(*project) + "/" + kind + "s/" + PathEscape(config_name_),
               nullptr, kind + " " + config_name_ + " in project " + *project);
  if (!del.ok()) {
    // The 404 may be the project's: say which.
    if (del.status().code() == core::StatusCode::kNotFound) {
      auto p = api.Get(ProjectPath(*project), "project " + *project);
      if (!p.ok()) return Fail(p.status());
    }
    return Fail(del.status());
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Deleted " << kind << " " << config_name_ << " from "
            << *project << "\n";
  return 0;
}

}  // namespace gantry::cli
