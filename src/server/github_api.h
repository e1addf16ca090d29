#pragma once

// The subset of GitHub's REST API (under /api/v3, where GitHub Enterprise serves it) and of its
// GraphQL API (POST /api/graphql) that `gh run` and `gh workflow` use, with GitHub's JSON
// shapes, pagination (per_page, page, Link) and errors ({"message","documentation_url"}), so a
// user's own `gh` works against Gantry. `owner/repo` is a Gantry project; tokens are Gantry
// tokens. docs/gh.md lists the endpoints and what differs from GitHub.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/api.h"

namespace gantry::server {

/// Adds every /api/v3 route and POST /api/graphql; `ctx` must outlive the router.
void AddGitHubRoutes(Router& router, ApiContext& ctx);

namespace github {

/// The route groups AddGitHubRoutes adds (github_runs_api.cc, github_workflows_api.cc,
/// github_graphql.cc).
void AddGitHubRunRoutes(Router& router, ApiContext& ctx);
void AddGitHubWorkflowRoutes(Router& router, ApiContext& ctx);
void AddGraphQLRoute(Router& router, ApiContext& ctx);

/// The answer of POST /api/graphql for the query text and variables `body` holds
/// (github_graphql.cc): the fields gh asks of `repository` (name, owner, defaultBranchRef,
/// pullRequests...) and `viewer`, null for fields Gantry does not know.
nlohmann::json GraphQL(ApiContext& ctx, const Principal& who, const nlohmann::json& body);

// ---- Pure mappings (github_shapes.cc) ----

/// A Gantry status in GitHub's vocabulary: queued | in_progress | completed | waiting |
/// pending | requested (anything else: queued).
std::string Status(std::string_view status);
/// A Gantry conclusion in GitHub's vocabulary for a run, job or step with `status`: null
/// (JSON) before completion; success | failure | cancelled | skipped | timed_out | neutral |
/// action_required | startup_failure after (an unknown or missing one: neutral).
nlohmann::json Conclusion(std::string_view status, std::string_view conclusion);
/// An annotation level as GitHub names it: error → failure, warning, notice (others: notice).
std::string AnnotationLevel(std::string_view level);

/// GitHub's `per_page` (1..100, default 30) and `page` (from 1) of a request; InvalidArgument
/// naming the parameter when one is not a positive integer.
struct Page {
  int per_page = 30;
  int64_t page = 1;
  int64_t offset() const { return (page - 1) * per_page; }
};
core::Result<Page> ParsePage(const std::vector<std::pair<std::string, std::string>>& query);

/// The Link header of page `page` of `total` items: rel="next" and rel="last" when there are
/// later pages, rel="prev" and rel="first" when there are earlier ones; "" when there is only
/// one page. `url` is the request's URL without query; `query` its parameters (page and
/// per_page replaced).
std::string LinkHeader(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& query,
                       const Page& page, int64_t total);

/// GitHub's `created` filter: "YYYY-MM-DD", ">=D", ">D", "<=D", "<D", "D..D", "D..*", "*..D"
/// (dates in UTC; a date may carry "THH:MM:SSZ"). Sets [*from, *to) in Unix ms (0 = no bound).
/// InvalidArgument with an example when it does not parse.
core::Status ParseCreated(std::string_view text, int64_t* from_ms, int64_t* to_ms);

/// A stored log line ("<RFC 3339 ms timestamp> text") as GitHub prints it
/// ("2026-12-06T09:00:00.1230000Z text"); a line without a timestamp gets `*last` (the
/// previous line's), which each timestamped line updates.
std::string LogLine(std::string_view line, std::string* last);

/// A file name component: '/', '\\', ':' and control characters become '_' (as GitHub does
/// for the names in its log archives).
std::string SafeName(std::string_view name);

/// GitHub's error body {"message", "documentation_url"}.
std::string ErrorBody(std::string_view message);
/// An error response in GitHub's shape.
Response Error(int status, std::string_view message);
/// `response` with a Gantry error body ({"error":{"message"}}) rewritten to GitHub's shape.
Response Rewrite(Response response);

// ---- Shared by the handlers (github_shapes.cc) ----

/// A handler of an /api/v3 route: the caller is authenticated (401 in GitHub's shape
/// otherwise); its error answers are rewritten to GitHub's shape; every answer carries
/// X-OAuth-Scopes and X-GitHub-Media-Type.
Handler GhAuthed(ApiContext& ctx, AuthedHandler handler);

/// The project {owner}/{repo} of the request with at least `role`, or the error answer.
std::optional<Response> RequireRepo(ApiContext& ctx, const Request& r, const Principal& who,
                                    std::string_view role, ProjectAccess* out);

/// "https://host/api/v3/repos/owner/name".
std::string RepoApiUrl(const ApiContext& ctx, const store::Project& p);
/// GitHub's repository and user objects.
nlohmann::json RepoJson(const ApiContext& ctx, const store::Project& p);
nlohmann::json UserJson(const ApiContext& ctx, std::string_view login, store::Id id);

}  // namespace github
}  // namespace gantry::server
