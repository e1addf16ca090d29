#pragma once

// The registry of actions gantry runs natively instead of fetching them: actions/checkout,
// actions/upload-artifact, actions/download-artifact, actions/cache (with /restore and
// /save) and the report actions (actions/report_actions.h). docs/actions.md lists their inputs
// and outputs.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "actions/cache.h"
#include "core/status.h"
#include "engine/actions.h"

namespace gantry::actions {

/// Where the built-ins keep their data.
struct BuiltinOptions {
  std::string artifact_dir;  // artifacts live in <artifact_dir>/<run_id>/<name>/ ("" = default)
  CacheOptions cache;
  /// Called before each actions/download-artifact runs (unset: nothing), e.g. to bring the
  /// run's artifacts from elsewhere into artifact_dir; an error fails the step with it.
  std::function<core::Status(const engine::BuiltinCall&)> before_download = nullptr;
};

/// The built-in actions. The result is thread-safe (several jobs call Run at once).
std::unique_ptr<engine::BuiltinActions> MakeBuiltinActions(BuiltinOptions options);

/// The input `name` (lower-case) of `call`, trimmed of surrounding whitespace as the
/// toolkit's core.getInput() does; "" when absent.
std::string GetInput(const engine::BuiltinCall& call, std::string_view name);

/// The boolean input `name` as core.getBooleanInput() reads it (true/True/TRUE,
/// false/False/FALSE); `fallback` when absent or empty. InvalidArgument otherwise.
core::Result<bool> GetBooleanInput(const engine::BuiltinCall& call, std::string_view name,
                                   bool fallback);

/// A result that fails the step with `error` (one line), for the built-ins' early returns.
engine::BuiltinResult FailedStep(std::string error);

/// Writes `line` to the step's log when the call has one (a post stage may not).
void LogLine(const engine::BuiltinCall& call, std::string_view line);

}  // namespace gantry::actions
