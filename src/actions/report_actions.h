#pragma once

// The report actions: gantry/coverage@v1, gantry/test-report@v1, gantry/security-report@v1
// and github/codeql-action/upload-sarif. Each reads report files found by globs in the
// workspace (reports/), sets outputs, prints a short summary to the step log, appends a
// markdown summary to $GITHUB_STEP_SUMMARY and returns the report in BuiltinResult::reports
// (also when a threshold fails the step). docs/actions.md lists inputs, outputs and messages.

#include <string_view>

#include "engine/actions.h"

namespace gantry::actions {

inline constexpr std::string_view kCoverageAction = "gantry/coverage";
inline constexpr std::string_view kTestReportAction = "gantry/test-report";
inline constexpr std::string_view kSecurityReportAction = "gantry/security-report";
inline constexpr std::string_view kUploadSarifAction = "github/codeql-action/upload-sarif";

/// True for the four names above (ActionReference::name(), lower-case).
bool IsReportAction(std::string_view name);

/// Runs the report action `call.action` names.
engine::BuiltinResult RunReportAction(const engine::BuiltinCall& call);

}  // namespace gantry::actions
