#pragma once

// `gantry exec`: runs the workflows of a repository that an event triggers, on this machine,
// with GitHub's semantics (docs/exec.md).

#include <ostream>
#include <string>
#include <vector>

namespace gantry::cli {

/// When the console output uses colors.
enum class ColorMode { kAuto, kAlways, kNever };

/// The command line of `gantry exec`, as given (validated by RunExecCommand).
struct ExecOptions {
  /// The event that triggers the run (push, pull_request, workflow_dispatch, ...).
  std::string event = "push";
  /// A workflow file or a folder of them (non-recursive). Empty: `.github/workflows/` of the
  /// current directory, or of the enclosing git repository.
  std::string workflows;
  /// Run only these job ids (and, unless no_deps, every job they need). Empty = every job.
  std::vector<std::string> jobs;
  bool no_deps = false;
  /// A JSON file holding the event payload (github.event); empty = synthesized from git.
  std::string event_path;
  std::vector<std::string> inputs;        // NAME=VALUE
  std::vector<std::string> secrets;       // NAME=VALUE, or NAME to take $NAME
  std::vector<std::string> secret_files;  // dotenv files of secrets
  std::vector<std::string> vars;          // NAME=VALUE (the vars context)
  /// Of environments (a job's `environment:`): ENV:NAME=VALUE (or ENV:NAME for $NAME),
  /// ENV:FILE dotenv files, ENV:NAME=VALUE vars.
  std::vector<std::string> env_secrets, env_secret_files, env_vars;
  std::vector<std::string> env_files;  // dotenv files: workflow-level env of lowest rank
  std::vector<std::string> matrix;     // KEY:VALUE filters of matrix combinations
  /// Jobs run at once; 0 = the number of cores.
  int parallelism = 0;
  bool dry_run = false;
  bool list = false;
  bool json = false;
  bool verbose = false;
  /// Every job runs in this directory (no per-job copy); `actions/checkout` without
  /// repository/ref then leaves it as it is.
  std::string workspace;
  std::string artifact_dir;
  /// Remote actions: the cache of fetched repositories ("" = ~/.cache/gantry/actions), the
  /// base URL repositories are fetched from, per-owner URLs (OWNER=URL), local directories
  /// standing in for an action (owner/repo@ref=DIR), and no fetching at all.
  std::string action_cache;
  std::string actions_url;
  std::vector<std::string> action_urls;
  std::vector<std::string> local_actions;
  bool offline = false;
  /// Where actions/cache keeps its entries ("" = ~/.cache/gantry/cache).
  std::string cache_dir;
  /// When images of `services:` are pulled: "never", "missing" (default) or "always".
  std::string pull = "missing";
  /// Keep the run directory (workspaces, temp dirs, env files) instead of deleting it.
  bool keep_run_dir = false;
  /// Background steps of one job that run at once (0 = no limit).
  int max_background_steps = 10;
  /// Never give host steps gantry's `sudo` (see sudo_shim.h; otherwise given when gantry runs
  /// as root, without --sandbox, and PATH has no sudo).
  bool no_sudo_shim = false;
  /// LABEL=host: runs-on labels this machine takes on purpose (see engine/runs_on.h).
  std::vector<std::string> runs_on;
  ColorMode color = ColorMode::kAuto;
};

/// Runs `gantry exec`. Live output and the summary go to `out`, problems to `err`. Installs
/// SIGINT/SIGTERM handlers for the duration of the run (they cancel it). Returns 0 when every
/// job succeeded (or was skipped), 1 when a job failed, 2 on usage or workflow errors, 3 when
/// no job ran because none could run here (runs-on), 130 when the run was interrupted.
int RunExecCommand(const ExecOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gantry::cli
