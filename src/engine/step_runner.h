#pragma once

// One `run:` step: resolves the shell as GitHub does, writes the script to a temp file with
// the shell's extension, creates the per-step environment files, runs the process through a
// Backend and reads back $GITHUB_ENV, $GITHUB_OUTPUT, $GITHUB_PATH, $GITHUB_STEP_SUMMARY and
// $GITHUB_STATE.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"
#include "engine/contexts.h"
#include "engine/path_map.h"
#include "engine/run_observer.h"
#include "engine/step_output.h"

namespace gantry::engine {

/// A shell resolved to a program on this machine.
struct ShellCommand {
  std::string name;               // "bash", "sh", "python", "pwsh", or the custom command
  std::string program;            // absolute path of the program
  std::vector<std::string> args;  // arguments; "{0}" stands for the script path
  std::string extension;          // ".sh", ".py", ".ps1", ".cmd" or ""
  /// The command line as GitHub prints it: "/usr/bin/bash -e {0}".
  std::string display;
};

/// Finds a program where a step runs: its absolute path, or "" when it is not there.
using ProgramFinder = std::function<std::string(std::string_view program)>;

/// Resolves `shell` (empty = GitHub's default: `bash -e {0}`, or `sh -e {0}` without bash;
/// "bash" = `bash --noprofile --norc -eo pipefail {0}`; "sh"; "python"; "pwsh"/"powershell";
/// "cmd"; or a custom "program args {0}") against the directories of `path` (a PATH value).
/// NotFound (naming the shell) when the program is not on PATH; InvalidArgument for a
/// custom shell without "{0}". `find`, when set, looks programs up instead of `path` (a job
/// container's programs).
core::Result<ShellCommand> ResolveShell(std::string_view shell, std::string_view path,
                                        const ProgramFinder& find = nullptr);

/// The absolute path of `program` found in the directories of `path` ("" when absent). A
/// program containing '/' is checked as is.
std::string FindProgram(std::string_view program, std::string_view path);

/// Splits an argument string as the runner does (whitespace separates, double quotes group,
/// \" is a literal quote).
std::vector<std::string> SplitArguments(std::string_view args);

/// Paths of one step's file commands.
struct StepFiles {
  std::string env, output, path, summary, state;
};

/// The file-command paths in `dir`. The same files serve every step (they are truncated before
/// each one): creating files is the costliest part of a trivial step on some filesystems.
StepFiles MakeStepFiles(const std::string& dir);

/// Everything needed to run one script.
struct ScriptStep {
  int index = 0;
  std::string script;  // evaluated `run:` text
  /// When not empty, this program and arguments run instead of a script (node actions);
  /// `script` and `shell` are then unused.
  std::vector<std::string> command;
  std::string shell;              // evaluated `shell:` (step, else defaults), may be empty
  std::string working_directory;  // absolute, or relative to workspace; empty = workspace
  std::string workspace;
  /// Where the script file goes ("script" + the shell's extension; reused by later steps).
  std::string script_dir;
  EnvList env;  // the complete process environment (PATH already has $GITHUB_PATH prepended)
  StepFiles files;
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{5000};
  /// Set for a step that runs in a container: the script path, the working directory and
  /// the command's arguments are translated to container paths, the working directory is not
  /// checked on this machine, and programs are looked up with `find_program`.
  const PathMap* container = nullptr;
  ProgramFinder find_program;
  /// Reported when the timeout fires ("The action 'x' has timed out after 1 minutes.").
  std::string timeout_message;
};

/// What a script step produced. Texts are unmasked; the caller masks what it reports.
struct ScriptResult {
  Conclusion outcome = Conclusion::kSuccess;  // kSuccess, kFailure or kCancelled
  bool timed_out = false;
  std::string error;               // why it failed
  EnvList outputs;                 // ::set-output:: then $GITHUB_OUTPUT
  EnvList env;                     // ::set-env:: then $GITHUB_ENV
  std::vector<std::string> paths;  // ::add-path:: then $GITHUB_PATH, in order written
  std::string summary;             // $GITHUB_STEP_SUMMARY
  EnvList state;                   // ::save-state:: then $GITHUB_STATE
};

/// Runs `step`, streaming its output into `output` (which also reports its errors).
ScriptResult RunScriptStep(const ScriptStep& step, backend::Backend& backend,
                           const backend::CancelToken& cancel, StepOutput& output);

}  // namespace gantry::engine
