#pragma once

// GET /api/v1/projects/{owner}/{name}/runs: a project's runs, newest first, filtered, with
// their total count and cursors to the older (`before`) and newer (`after`) pages.

#include "server/api.h"

namespace gantry::server {

/// The handler (AddRunRoutes registers it). Query: status, branch, event, workflow, actor,
/// limit (1 to 100, 30), and one cursor, before or after (a run id). Answers {"runs",
/// "total_count" (the runs the filters match, cursors aside), "next" (the cursor for `before`:
/// null on the oldest page), "prev" (the cursor for `after`: null on the newest page)}.
Response ListProjectRuns(ApiContext& ctx, Request& r, const Principal& who);

}  // namespace gantry::server
