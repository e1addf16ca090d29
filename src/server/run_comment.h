#pragma once

// The pull-request comment of a run: markdown summing up its reports (coverage and its delta,
// tests, new security findings), for the API (GET /api/v1/runs/{id}/comment) and for whatever
// posts it to GitHub or Gitea.

#include <nlohmann/json.hpp>
#include <string>

#include "server/api.h"

namespace gantry::server {

/// The most changed files listed in the comment's coverage table.
inline constexpr size_t kCommentMaxFiles = 20;
/// The most failed tests and findings listed each.
inline constexpr size_t kCommentMaxItems = 20;

/// Renders the comment from a run's reports (RunReportsJson) — pure, for tests. The header
/// names the run (`### Gantry: <workflow> #<number>`) and links to `run_url`. Every text comes
/// from masked reports; table cells are escaped.
std::string RenderRunComment(const store::Run& run, const std::string& run_url,
                             const nlohmann::json& reports);

/// The comment of run `run_id`'s newest attempt, linking to the run's page under the server's
/// external URL. NotFound when there is no such run.
core::Result<std::string> RunCommentMarkdown(ApiContext& ctx, store::Id run_id);

}  // namespace gantry::server
