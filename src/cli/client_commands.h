#pragma once

// The client commands that talk to a Gantry server over its /api/v1 API: `gantry auth`,
// `project`, `secret`, `variable`, `workflow`, `pattern`, and `gantry completion`. Each group
// registers itself on the root CLI::App like ServerCommands; `gantry run …` is RunCommands.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/client_command_util.h"

namespace gantry::cli {

/// `gantry auth login|logout|status|signup`: credentials per host in hosts.yml.
class AuthCommands {
 public:
  /// Adds `auth` and its subcommands to `app`.
  void Register(CLI::App& app);
  /// True when one of them was given.
  bool Parsed() const;
  /// Runs it; the exit code (0 ok, 1 failure, 2 usage).
  int Run();

 private:
  int RunLogin();
  int RunLogout();
  int RunStatus();
  int RunSignup();

  CLI::App* auth_ = nullptr;
  CLI::App *login_ = nullptr, *logout_ = nullptr, *status_ = nullptr, *signup_ = nullptr;
  std::string url_, user_, email_;
  bool with_token_ = false;
  JsonOption json_;
};

/// `gantry project list|add|view`, `gantry secret set|list|delete` and
/// `gantry variable set|list|delete`.
class ProjectCommands {
 public:
  /// Adds `project`, `secret` and `variable` to `app`.
  void Register(CLI::App& app);
  /// True when one of them was given.
  bool Parsed() const;
  /// Runs it; the exit code.
  int Run();

 private:
  void RegisterConfig(CLI::App& app, bool secret);
  int RunList();
  int RunAdd();
  int RunView();
  int RunConfigSet(bool secret);
  int RunConfigList(bool secret);
  int RunConfigDelete(bool secret);

  CLI::App *project_ = nullptr, *list_ = nullptr, *add_ = nullptr, *view_ = nullptr;
  CLI::App *secret_ = nullptr, *variable_ = nullptr;
  CLI::App *set_[2] = {nullptr, nullptr}, *config_list_[2] = {nullptr, nullptr},
           *delete_[2] = {nullptr, nullptr};  // [0] secret, [1] variable
  std::string url_, project_name_, repo_, default_branch_, config_name_, body_;
  int poll_interval_ = 0;
  JsonOption json_;
};

/// `gantry workflow list|view|run` and `gantry pattern list|view|apply`.
class WorkflowCommands {
 public:
  /// Adds `workflow` and `pattern` to `app`.
  void Register(CLI::App& app);
  /// True when one of them was given.
  bool Parsed() const;
  /// Runs it; the exit code.
  int Run();

 private:
  void RegisterPattern(CLI::App& app);
  int RunWorkflowList();
  int RunWorkflowView();
  int RunWorkflowRun();
  int RunPatternList();
  int RunPatternView();
  int RunPatternApply();

  CLI::App *workflow_ = nullptr, *wf_list_ = nullptr, *wf_view_ = nullptr, *wf_run_ = nullptr;
  CLI::App *pattern_ = nullptr, *pt_list_ = nullptr, *pt_view_ = nullptr, *pt_apply_ = nullptr;
  std::string url_, project_, name_, ref_, dir_;
  std::vector<std::string> fields_;
  bool yaml_ = false, force_ = false;
  JsonOption json_;
};

/// `gantry pr status N` (the merge gate of a pull request) and `gantry protect
/// list|set|remove` (branch protection rules), gate_commands.cc.
class GateCommands {
 public:
  /// Adds `pr` and `protect` to `app`.
  void Register(CLI::App& app);
  /// True when one of them was given.
  bool Parsed() const;
  /// Runs it; the exit code.
  int Run();

 private:
  int RunPrStatus();
  int RunList();
  int RunSet();
  int RunRemove();
  CLI::App *pr_ = nullptr, *pr_status_ = nullptr;
  CLI::App *protect_ = nullptr, *list_ = nullptr, *set_ = nullptr, *remove_ = nullptr;
  std::string url_, project_, pattern_;
  int64_t number_ = 0;
  std::vector<std::string> require_;
  bool exit_status_ = false;
  JsonOption json_;
};

/// `gantry deployment list [ENV]` (deployments recorded per environment) and `gantry deployment
/// rollback ENV` (a new run of the last good deployment's workflow), deployment_commands.cc.
class DeploymentCommands {
 public:
  /// Adds `deployment` to `app`.
  void Register(CLI::App& app);
  /// True when one of its subcommands was given.
  bool Parsed() const;
  /// Runs it; the exit code.
  int Run();

 private:
  int RunList();
  int RunRollback();

  CLI::App *deployment_ = nullptr, *list_ = nullptr, *rollback_ = nullptr;
  std::string url_, project_, environment_;
  int limit_ = 30;
  JsonOption json_;
};

/// `gantry completion bash|zsh`: a completion script generated from the registered command
/// tree, so it follows every command and option added later.
class CompletionCommand {
 public:
  /// Adds `completion` to `app`; the script covers everything registered on `app` by the
  /// time Run() is called.
  void Register(CLI::App& app);
  /// True when `completion` was given.
  bool Parsed() const;
  /// Prints the script on stdout; 0.
  int Run();

 private:
  CLI::App* root_ = nullptr;
  CLI::App* completion_ = nullptr;
  std::string shell_;
};

/// Writes the completion script of `root` for `shell` ("bash" or "zsh").
std::string CompletionScript(const CLI::App& root, const std::string& shell);

/// All of the above, for main.cc.
class ClientCommands {
 public:
  /// Registers every client command on `app`.
  void Register(CLI::App& app);
  /// True when one of them was given.
  bool Parsed() const;
  /// Runs it; the exit code.
  int Run();

 private:
  AuthCommands auth_;
  ProjectCommands projects_;
  WorkflowCommands workflows_;
  GateCommands gate_;
  DeploymentCommands deployments_;
  CompletionCommand completion_;
};

}  // namespace gantry::cli
