#pragma once

// Reports of runs (issue 14): what the executor protocol's `reports` call stores, and the JSON
// views of the API: a run's coverage (with its delta against a base run), tests (failures,
// flaky cases) and security findings; a project's coverage and security trends and findings.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "server/api.h"

namespace gantry::server {

/// Stores report `report` (wire JSON, already masked) of step `step` of `job`; `kind` is
/// "coverage", "tests" or "security". A security report also updates the findings of the run's
/// branch (Store::RecordFindings). InvalidArgument naming the field when the report is not the
/// wire format of `kind`.
core::Status StoreReport(ApiContext& ctx, const store::Job& job, int step, std::string_view kind,
                         const nlohmann::json& report);

/// The branch a run's findings and trends belong to: a pull request's head branch, else the
/// ref without refs/heads/ (a tag keeps refs/tags/).
std::string ReportBranch(const store::Run& run);

/// The body of GET /api/v1/runs/{id}/reports for attempt `attempt` (0 = the newest):
/// {"coverage": null|{…}, "tests": null|{…}, "security": null|{…}} (docs/server.md, "Reports").
core::Result<nlohmann::json> RunReportsJson(ApiContext& ctx, const store::Run& run, int attempt);

/// Adds GET /api/v1/runs/{id}/reports, /runs/{id}/comment and the project's coverage and
/// security routes (viewer access); `ctx` must outlive the router.
void AddReportRoutes(Router& router, ApiContext& ctx);

}  // namespace gantry::server
