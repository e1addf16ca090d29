#pragma once

// The run configuration of `gantry exec` from its command line: NAME=VALUE pairs, dotenv
// files, secrets, workflow_dispatch / workflow_call inputs and matrix filters.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/git_context.h"
#include "core/status.h"
#include "engine/plan.h"
#include "expr/value.h"
#include "workflow/events.h"

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
/// value (as a string) is one of the values given for that key.
using MatrixFilter = std::map<std::string, std::vector<std::string>>;
core::Result<MatrixFilter> ParseMatrixFilter(const std::vector<std::string>& args);
bool MatrixInstanceSelected(const MatrixFilter& filter, const engine::MatrixInstance& instance);

}  // namespace gantry::cli
