#pragma once

// The names under which a run's workflow and jobs are reported as checks on their commit, the
// same everywhere: the combined status and check-runs of /api/v3, branch protection's required
// checks, and the commit statuses posted to a forge. They follow GitHub Actions' conventions.

#include <string>
#include <string_view>

namespace gantry::server {

/// The commit-status context of a job, as GitHub Actions names it:
/// "<workflow name> / <job display name> (<event>)", e.g. "CI / test (linux) (pull_request)".
/// An empty workflow name leaves "<job> (<event>)".
std::string StatusContext(std::string_view workflow_name, std::string_view job_display_name,
                          std::string_view event);

/// The context of a whole workflow run: "<workflow name> (<event>)", e.g. "CI (push)".
std::string WorkflowContext(std::string_view workflow_name, std::string_view event);

/// `context` without its trailing " (<event>)" ("CI / test (push)" → "CI / test"); `context`
/// itself when it has no such suffix for `event`.
std::string ContextWithoutEvent(std::string_view context, std::string_view event);

}  // namespace gantry::server
