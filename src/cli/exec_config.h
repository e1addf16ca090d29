#pragma once

// The run configuration of `gantry exec` from its command line: NAME=VALUE pairs, dotenv
// files, secrets, workflow_dispatch / workflow_call inputs, matrix filters and the sandbox.

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/sandbox/sandbox_backend.h"
#include "cli/exec_command.h"
#include "cli/git_context.h"
#include "core/status.h"
#include "engine/plan.h"
#include "expr/value.h"
#include "workflow/events.h"

namespace CLI {
class App;
}  // namespace CLI

namespace gantry::cli {

using NameValues = std::vector<std::pair<std::string, std::string>>;

/// Splits "NAME=VALUE" (the value may be empty or hold '='). InvalidArgument names `flag`
/// when there is no '=' or the name is empty.
core::Result<std::pair<std::string, std::string>> SplitAssignment(std::string_view text,
                                                                  std::string_view flag);

/// Parses dotenv text as act and godotenv read it: `NAME=value` and `export NAME=value`
/// lines, `#` comments, values in double quotes (escapes \n \t \r \" \\, may span lines),
/// single quotes (literal) or bare (trimmed, ` #` starts a comment). InvalidArgument with
/// the line number for a line without '=' or an unterminated quote.
core::Result<NameValues> ParseDotenv(std::string_view text);

/// Reads and parses a dotenv file; errors name the file.
core::Result<NameValues> ReadDotenvFile(const std::string& path);

/// Collects secrets from --secret-file files (in order), then --secret NAME=VALUE or NAME
/// (whose value is $NAME: an error when unset). Later values replace earlier ones.
core::Result<NameValues> ResolveSecrets(const std::vector<std::string>& secret_args,
                                        const std::vector<std::string>& secret_files,
                                        const EnvLookup& env);

/// Secrets and vars of one environment (`gantry exec --env-secret/--env-var`).
struct EnvironmentValueSet {
  NameValues secrets;
  NameValues vars;
};
/// Collects, by lower-case environment name, --env-secret-file ENV:FILE (dotenv), then
/// --env-secret ENV:NAME=VALUE or ENV:NAME (the value of $NAME), and --env-var ENV:NAME=VALUE.
/// InvalidArgument naming the flag for a value without "ENV:" or NAME.
core::Result<std::map<std::string, EnvironmentValueSet>> ResolveEnvironmentValues(
    const std::vector<std::string>& secret_args, const std::vector<std::string>& secret_files,
    const std::vector<std::string>& var_args, const EnvLookup& env);

/// Resolves the inputs of a workflow_dispatch / workflow_call run: `given` (from the payload
/// and --input, later wins) checked against the declared `inputs` — booleans must be
/// true/false, numbers numeric, choices one of the options — with defaults applied to those
/// not given. Undeclared names are kept (act does; a warning is added). A missing required
/// input is a warning, not an error, so runs stay reproducible from partial payloads.
struct ResolvedInputs {
  NameValues values;                  // declared order first, then undeclared
  std::vector<std::string> warnings;  // printed by the caller
};
core::Result<ResolvedInputs> ResolveInputs(const std::vector<workflow::TriggerInput>& inputs,
                                           const NameValues& given);

/// The `inputs` context object (booleans and numbers typed as declared).
expr::Value InputsContext(const std::vector<workflow::TriggerInput>& inputs,
                          const NameValues& values);

/// `--matrix KEY:VALUE` filters: a combination runs when, for every filtered key it has, its
/// value (as a string) is one of the values given for that key. KEY is a top-level key of the
/// matrix or a dotted path into an object value (`os.version`).
using MatrixFilter = std::map<std::string, std::vector<std::string>>;
core::Result<MatrixFilter> ParseMatrixFilter(const std::vector<std::string>& args);
bool MatrixInstanceSelected(const MatrixFilter& filter, const engine::MatrixInstance& instance);
/// Adds the keys a filter may name for this combination (top-level keys and dotted paths) to
/// `keys`.
void AddMatrixKeys(const engine::MatrixInstance& instance, std::set<std::string>& keys);
/// InvalidArgument naming the first filtered key that is not in `keys` and listing `keys`: a
/// filter that matches no matrix would otherwise silently run every combination.
core::Status CheckMatrixFilterKeys(const MatrixFilter& filter, const std::set<std::string>& keys);

/// The --sandbox flags of `gantry exec`, as given (docs/exec.md, "Sandboxed host steps").
struct SandboxFlags {
  bool enabled = false;  // --sandbox: steps of jobs without `container:` run under bubblewrap
  bool network = true;   // --sandbox-network=false: only loopback
  std::string memory;    // --sandbox-memory SIZE; "" = no limit
  int64_t pids = 0;      // --sandbox-pids N; 0 = no limit
};

/// Registers --sandbox, --sandbox-network, --sandbox-memory and --sandbox-pids on the exec
/// subcommand; the values land in `flags`, which must outlive parsing.
void AddSandboxFlags(CLI::App& exec, SandboxFlags& flags);

/// Parses a byte size: digits with an optional unit k, m, g or t (powers of 1024; case and
/// a trailing "b" or "ib" ignored), e.g. 512m, 2G, 1048576. InvalidArgument names `flag`.
core::Result<int64_t> ParseByteSize(std::string_view text, std::string_view flag);

/// InvalidArgument for a bad --sandbox-memory size, or limit flags without --sandbox.
core::Status CheckSandboxFlags(const SandboxFlags& flags);

/// The sandbox options (flags.enabled) for a run whose run directory is `run_dir` (and, when not
/// empty, whose jobs share the workspace `shared_workspace`): those dirs writable, $HOME bound to
/// run_dir/_sandbox_home (created). InvalidArgument as CheckSandboxFlags, or when the home
/// cannot be created.
core::Result<backend::SandboxOptions> SandboxOptionsFor(const SandboxFlags& flags,
                                                        const std::string& run_dir,
                                                        const std::string& shared_workspace);

/// `gantry exec` with the --sandbox flags (RunExecCommand of exec_command.h runs without a
/// sandbox). Host jobs then run sandboxed; the limits that are or are not enforced are
/// printed to `err`.
int RunExecCommand(const ExecOptions& options, const SandboxFlags& sandbox, std::ostream& out,
                   std::ostream& err);

}  // namespace gantry::cli
