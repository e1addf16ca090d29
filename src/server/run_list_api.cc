#include "server/run_list_api.h"

#include "server/runs_api.h"

namespace gantry::server {
namespace {

// The run id of cursor `name` (0 when absent), or the 400 naming it.
std::optional<Response> Cursor(const Request& r, const char* name, const char* meaning,
                               store::Id* id) {
  auto text = r.Query(name);
  if (!text) return std::nullopt;
  auto parsed = ParseId(*text);
  if (!parsed) {
    return Response::Error(400, "invalid",
                           std::string(name) + " must be a run id (the '" + meaning + "' cursor)",
                           name);
  }
  *id = *parsed;
  return std::nullopt;
}

}  // namespace

Response ListProjectRuns(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "viewer", &access)) {
    return *e;
  }
  store::RunFilter f;
  f.project_id = access.project.id;
  f.status = r.Query("status").value_or("");
  f.branch = r.Query("branch").value_or("");
  f.event = r.Query("event").value_or("");
  f.workflow_file = r.Query("workflow").value_or("");
  if (!f.workflow_file.empty() && f.workflow_file.find('/') == std::string::npos) {
    f.workflow_file = ".github/workflows/" + f.workflow_file;
  }
  f.actor = r.Query("actor").value_or("");
  if (auto e = Cursor(r, "before", "next", &f.before)) return *e;
  if (auto e = Cursor(r, "after", "prev", &f.after)) return *e;
  if (f.before != 0 && f.after != 0) {
    return Response::Error(400, "invalid", "give one cursor: before or after, not both", "after");
  }
  if (auto limit = r.Query("limit")) {
    auto n = ParseId(*limit);
    if (!n || *n > 100) return Response::Error(400, "invalid", "limit must be 1 to 100", "limit");
    f.limit = static_cast<int>(*n);
  }
  auto runs = ctx.store->ListRuns(f);
  if (!runs.ok()) return StoreError(runs.status());
  auto total = ctx.store->CountRuns(f);
  if (!total.ok()) return StoreError(total.status());
  const std::vector<store::Run>& list = runs.value();
  nlohmann::json arr = nlohmann::json::array();
  for (const store::Run& run : list) arr.push_back(RunJson(ctx, run, access.project));
  // Whether a page further back or forward exists: a followed cursor came from a page on its
  // side; an `after` page is the newest only when no run is newer than its first.
  nlohmann::json next = nullptr, prev = nullptr;
  bool full = static_cast<int>(list.size()) == f.limit;
  if (!list.empty()) {
    if (f.after != 0 || full) next = list.back().id;
    bool newer = f.before != 0;
    if (f.after != 0 && full) {
      store::RunFilter beyond = f;
      beyond.after = list.front().id;
      beyond.limit = 1;
      auto more = ctx.store->ListRuns(beyond);
      if (!more.ok()) return StoreError(more.status());
      newer = !more.value().empty();
    }
    if (newer) prev = list.front().id;
  }
  return Response::Json(
      200, Dump({{"runs", arr}, {"total_count", total.value()}, {"next", next}, {"prev", prev}}));
}

}  // namespace gantry::server
