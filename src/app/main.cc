// gantry — command-line entry point. Wiring only: every command lives in src/cli/.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/client_commands.h"
#include "cli/exec_command.h"
#include "cli/exec_config.h"
#include "cli/executor_command.h"
#include "cli/expr_command.h"
#include "cli/lint_command.h"
#include "cli/run_commands.h"
#include "cli/server_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Gantry — a self-hosted CI/CD engine that runs GitHub Actions workflows.\n"
      "Docs: docs/ in the source tree. Exit codes: 0 ok, 1 failure, 2 usage error."};
  app.set_version_flag("--version", std::string("gantry ") + GANTRY_VERSION);
  app.require_subcommand(1);

  std::string expression;
  std::string context_file;
  bool batch = false;
  CLI::App* expr = app.add_subcommand(
      "expr",
      "Evaluate one ${{ }} expression against a JSON object of contexts and print the result "
      "as JSON.\nExample: gantry expr \"github.event_name == 'push'\" --context ctx.json");
  expr->add_option("EXPRESSION", expression,
                   "the expression, with or without ${{ }}; text around ${{ }} makes it a "
                   "template whose result is a string");
  expr->add_option("--context,-c", context_file,
                   "JSON file holding {\"github\": {...}, \"env\": {...}, ...}; '-' reads stdin");
  expr->add_flag("--batch", batch,
                 "read JSON lines {\"expr\",\"contexts\"} on stdin, write one JSON result per "
                 "line (for test tooling)")
      ->group("");

  gantry::cli::LintOptions lint_options;
  CLI::App* lint = app.add_subcommand(
      "lint",
      "Validate workflow files without running anything. Prints every problem as "
      "file:line:col: message.\nExit 0 when clean, 1 when there are errors, 2 on usage errors.");
  lint->add_option("PATH", lint_options.paths,
                   "workflow files or folders (default: .github/workflows/ of the current "
                   "repository)");
  lint->add_option("--format", lint_options.format, "output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));

  gantry::cli::ExecOptions exec_options;
  CLI::App* exec = app.add_subcommand(
      "exec",
      "Run the workflows an event triggers, on this machine, with GitHub's semantics (no Docker).\n"
      "Example: gantry exec pull_request -W .github/workflows/ci.yml -j test\n"
      "Exit 0 when every job succeeded, 1 when a job failed, 2 on usage or workflow errors, 3 "
      "when no job could run here (runs-on), 130 when interrupted. See docs/exec.md.");
  exec->add_option("EVENT", exec_options.event,
                   "the triggering event: push (default), pull_request, workflow_dispatch, ...");
  exec->add_option("-W,--workflows", exec_options.workflows,
                   "a workflow file or a folder of them, not recursive (default: "
                   ".github/workflows/ here or in the enclosing git repository)");
  exec->add_option("-j,--job", exec_options.jobs,
                   "run only this job id, and the jobs it needs unless --no-deps (repeatable; "
                   "-j a,b works too)")
      ->delimiter(',')
      ->allow_extra_args(false);
  exec->add_flag("--no-deps", exec_options.no_deps,
                 "with -j: do not run the jobs they need (needs among the -j jobs still order "
                 "them)");
  exec->add_option("--eventpath,-e", exec_options.event_path,
                   "JSON file with the event payload (github.event); default: synthesized from "
                   "git");
  exec->add_option("--input", exec_options.inputs,
                   "NAME=VALUE input of workflow_dispatch / workflow_call (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("-s,--secret", exec_options.secrets,
                   "NAME=VALUE secret, or NAME to take the value of $NAME (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--secret-file", exec_options.secret_files,
                   "dotenv file of secrets (NAME=value lines; repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--var", exec_options.vars, "NAME=VALUE for the vars context (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--env-secret", exec_options.env_secrets,
                   "ENV:NAME=VALUE secret of environment ENV, or ENV:NAME to take $NAME: jobs "
                   "whose environment: is ENV see it over --secret (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--env-secret-file", exec_options.env_secret_files,
                   "ENV:FILE dotenv file of secrets of environment ENV (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--env-var", exec_options.env_vars,
                   "ENV:NAME=VALUE for the vars context of jobs whose environment: is ENV "
                   "(repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--env-file", exec_options.env_files,
                   "dotenv file of environment variables for every step and the env context, "
                   "below the workflow's own env (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--matrix", exec_options.matrix,
                   "KEY:VALUE: run only matrix combinations whose KEY is one of the given values "
                   "(repeatable)")
      ->allow_extra_args(false);
  exec->add_option("-p,--parallel", exec_options.parallelism,
                   "jobs run at once (default: the number of cores)")
      ->check(CLI::PositiveNumber);
  exec->add_flag("--dry-run,-n", exec_options.dry_run,
                 "plan and resolve, print every job and step that would run, run nothing");
  exec->add_flag("--list,-l", exec_options.list,
                 "print the plan (stages, jobs, matrix instances) and exit");
  exec->add_flag("--json", exec_options.json,
                 "one JSON object per line for every run/job/step event, log line and the summary");
  exec->add_option("--workspace", exec_options.workspace,
                   "run every job in this directory (the repository root) instead of a copy; "
                   "actions/checkout then keeps it as it is");
  exec->add_option("--artifact-dir", exec_options.artifact_dir,
                   "where artifacts are stored (default: inside the run directory)");
  exec->add_option("--action-cache", exec_options.action_cache,
                   "where fetched remote actions are cached (default: ~/.cache/gantry/actions)");
  exec->add_option("--actions-url", exec_options.actions_url,
                   "base URL remote actions are fetched from: URL/OWNER/REPO (default: "
                   "https://github.com; file:// mirrors work)");
  exec->add_option("--actions-url-for", exec_options.action_urls,
                   "OWNER=URL: fetch OWNER's actions from URL/OWNER/REPO instead (repeatable)")
      ->allow_extra_args(false);
  exec->add_option("--local-action", exec_options.local_actions,
                   "OWNER/REPO@REF=DIR: use the directory DIR for that action, no fetch "
                   "(repeatable)")
      ->allow_extra_args(false);
  exec->add_flag("--offline", exec_options.offline,
                 "never fetch: remote actions must already be in the action cache");
  exec->add_option("--cache-dir", exec_options.cache_dir,
                   "where actions/cache stores its entries (default: ~/.cache/gantry/cache)");
  exec->add_option("--pull", exec_options.pull,
                   "when images of services:, container: and docker:// actions are pulled: never, "
                   "missing (default) or always")
      ->check(CLI::IsMember({"never", "missing", "always"}));
  exec->add_option("--max-background-steps", exec_options.max_background_steps,
                   "background steps (background: true, parallel:) of one job that run at once; "
                   "the others queue (default 10, as on GitHub's runner; 0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  exec->add_flag("--keep-run-dir", exec_options.keep_run_dir,
                 "keep the run directory ($TMPDIR/gantry-exec-*: workspaces, temp and env files)");
  exec->add_flag("--no-sudo-shim", exec_options.no_sudo_shim,
                 "as root on a machine without sudo, do not give host steps gantry's sudo "
                 "(which runs its command as root)");
  exec->add_option("--runs-on", exec_options.runs_on,
                   "LABEL=host: run jobs whose runs-on has LABEL on this machine (repeatable; "
                   "e.g. macos-latest=host)")
      ->type_name("LABEL=host")
      ->allow_extra_args(false);
  exec->add_flag("-v,--verbose", exec_options.verbose,
                 "also print ::debug:: messages and every finished step");
  gantry::cli::SandboxFlags sandbox;
  gantry::cli::AddSandboxFlags(*exec, sandbox);
  gantry::cli::ServerCommands server_commands;
  server_commands.Register(app);
  gantry::cli::ExecutorCommands executor_commands(GANTRY_VERSION);
  executor_commands.Register(app);
  gantry::cli::ClientCommands client_commands;
  client_commands.Register(app);
  gantry::cli::RunCommands run_commands;
  run_commands.Register(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*expr) {
    if (batch) return gantry::cli::RunExprBatchCommand(std::cin, std::cout);
    if (expression.empty()) {
      std::cerr << "gantry expr: missing EXPRESSION (see gantry expr --help)\n";
      return 2;
    }
    return gantry::cli::RunExprCommand(expression, context_file, std::cout, std::cerr);
  }
  if (*lint) return gantry::cli::RunLintCommand(lint_options, std::cout, std::cerr);
  if (*exec) return gantry::cli::RunExecCommand(exec_options, sandbox, std::cout, std::cerr);
  if (server_commands.Parsed()) return server_commands.Run();
  if (executor_commands.Parsed()) return executor_commands.Run();
  if (client_commands.Parsed()) return client_commands.Run();
  if (run_commands.Parsed()) return run_commands.Run();
  return 2;
}
