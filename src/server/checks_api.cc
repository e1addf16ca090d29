#include "server/checks_api.h"

#include <algorithm>
#include <map>

#include "server/check_names.h"
#include "server/git_mirrors.h"
#include "server/github_api.h"

namespace gantry::server {

core::Result<std::vector<CommitCheck>> CommitChecks(ApiContext& ctx, const store::Project& p,
                                                    const std::string& sha, bool all_attempts,
                                                    bool* runs_active) {
  store::RunFilter f;
  f.project_id = p.id;
  f.sha = sha;
  f.limit = 1000;
  auto runs = ctx.store->ListRuns(f);
  if (!runs.ok()) return runs.status();
  std::vector<CommitCheck> out;
  bool active = false;
  const std::string base = ctx.config.base_url + "/" + p.owner + "/" + p.name + "/runs/";
  for (const store::Run& run : runs.value()) {
    if (run.status != "completed") active = true;
    // A workflow without a name (or one that did not load) is named by its file, as GitHub does.
    const std::string& workflow = run.workflow_name.empty() ? run.workflow_file : run.workflow_name;
    CommitCheck wf;
    wf.run = run;
    wf.workflow = true;
    wf.check.context = WorkflowContext(workflow, run.event);
    wf.check.name = workflow;
    wf.check.event = run.event;
    wf.check.state = CheckStateOf(run.status, run.conclusion);
    wf.check.target_url = base + std::to_string(run.id);
    wf.check.run_id = run.id;
    wf.check.attempt = run.attempt;
    wf.check.id = kWorkflowCheckIdBase + run.id;
    out.push_back(wf);
    for (int attempt = all_attempts ? 1 : run.attempt; attempt <= run.attempt; ++attempt) {
      auto jobs = ctx.store->ListJobs(run.id, attempt);
      if (!jobs.ok()) return jobs.status();
      for (const store::Job& job : jobs.value()) {
        CommitCheck c;
        c.run = run;
        c.job = job;
        c.check.context = StatusContext(workflow, job.name, run.event);
        c.check.name = job.name;
        c.check.event = run.event;
        c.check.state = CheckStateOf(job.status, job.conclusion);
        c.check.target_url = base + std::to_string(run.id) + "/jobs/" + std::to_string(job.id);
        c.check.run_id = run.id;
        c.check.attempt = job.attempt;
        c.check.id = job.id;
        out.push_back(std::move(c));
      }
    }
  }
  if (runs_active != nullptr) *runs_active = active;
  return out;
}

namespace {

using github::Error;

// "12s", "3m4s".
std::string Duration(int64_t ms) {
  int64_t s = std::max<int64_t>(0, ms / 1000);
  if (s < 60) return std::to_string(s) + "s";
  return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

// The description GitHub Actions gives a status: "Successful in 12s", "Failing after 3s"...
std::string Description(const std::string& status, const std::string& conclusion, int64_t started,
                        int64_t completed) {
  if (status == "queued") return "Queued";
  if (status == "waiting") return "Waiting";
  if (status != "completed") return "In progress";
  std::string took = Duration(completed - (started != 0 ? started : completed));
  if (conclusion == "success") return "Successful in " + took;
  if (conclusion == "skipped") return "Skipped";
  if (conclusion == "cancelled") return "Cancelled after " + took;
  if (conclusion == "timed_out") return "Timed out after " + took;
  return "Failing after " + took;
}

std::string DescriptionOf(const CommitCheck& c) {
  if (c.workflow) {
    return Description(c.run.status, c.run.conclusion, c.run.started_at, c.run.completed_at);
  }
  return Description(c.job.status, c.job.conclusion, c.job.started_at, c.job.completed_at);
}

nlohmann::json StatusJson(ApiContext& ctx, const store::Project& p, const CommitCheck& c) {
  int64_t created = c.workflow ? c.run.created_at : c.job.created_at;
  int64_t updated = c.workflow ? std::max({c.run.created_at, c.run.started_at, c.run.completed_at})
                               : std::max({c.job.created_at, c.job.started_at, c.job.completed_at});
  return {{"url", github::RepoApiUrl(ctx, p) + "/statuses/" + c.run.sha},
          {"avatar_url", nullptr},
          {"id", c.check.id},
          {"node_id", "SC_" + std::to_string(c.check.id)},
          {"state", std::string(CheckStateName(c.check.state))},
          {"description", DescriptionOf(c)},
          {"target_url", c.check.target_url},
          {"context", c.check.context},
          {"created_at", TimeJson(created)},
          {"updated_at", TimeJson(updated)},
          {"creator", github::UserJson(ctx, "gantry", 0)}};
}

// The commit {ref} names: a full sha as given, else what the mirror resolves (a unique sha
// prefix, a branch, a tag). The error answer (422 as GitHub's) when it names none.
std::optional<Response> ResolveRef(ApiContext& ctx, const store::Project& p, const std::string& ref,
                                   std::string* sha) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  if (ref.size() == 40 && std::all_of(ref.begin(), ref.end(), hex)) {
    *sha = ref;
    return std::nullopt;
  }
  // Only what a branch, tag or sha can be: no revision syntax ("main~1", "@{...}", "a..b") and
  // nothing git could read as an option.
  bool plain = !ref.empty() && ref[0] != '-' && ref.find("..") == std::string::npos &&
               std::all_of(ref.begin(), ref.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
               });
  if (plain) {
    auto resolved = ctx.mirrors->Resolve(p.owner, p.name, ref);
    if (resolved.ok()) {
      *sha = resolved.value();
      return std::nullopt;
    }
  }
  return Error(422, "No commit found for SHA: " + ref);
}

// The request's project and commit; `suffix` is what follows commits/{ref}/.
std::optional<Response> Commit(ApiContext& ctx, Request& r, const Principal& who,
                               std::string_view suffix, ProjectAccess* access, std::string* sha) {
  if (auto e = github::RequireRepo(ctx, r, who, "viewer", access)) return e;
  const std::string& rest = r.Param("rest");
  std::string ref = rest.substr(0, rest.size() - suffix.size() - 1);
  return ResolveRef(ctx, access->project, ref, sha);
}

Response Combined(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  std::string sha;
  if (auto e = Commit(ctx, r, who, "status", &access, &sha)) return *e;
  auto page = github::ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  auto checks = CommitChecks(ctx, access.project, sha, false);
  if (!checks.ok()) return StoreError(checks.status());
  std::vector<Check> all;
  for (const CommitCheck& c : checks.value()) all.push_back(c.check);
  std::vector<Check> latest = LatestPerContext(all);
  std::map<int64_t, const CommitCheck*> by_id;
  for (const CommitCheck& c : checks.value()) by_id[c.check.id] = &c;
  nlohmann::json statuses = nlohmann::json::array();
  const int64_t from = page.value().offset();
  for (int64_t i = from;
       i < static_cast<int64_t>(latest.size()) && i < from + page.value().per_page; ++i) {
    statuses.push_back(StatusJson(ctx, access.project, *by_id[latest[i].id]));
  }
  const std::string repo_url = github::RepoApiUrl(ctx, access.project);
  nlohmann::json j = {{"state", std::string(CheckStateName(CombinedState(latest)))},
                      {"statuses", statuses},
                      {"sha", sha},
                      {"total_count", latest.size()},
                      {"repository", github::RepoJson(ctx, access.project)},
                      {"commit_url", repo_url + "/commits/" + sha},
                      {"url", repo_url + "/commits/" + sha + "/status"}};
  return Response::Json(200, Dump(j));
}

// A paginated JSON answer with GitHub's Link header.
Response Paged(ApiContext& ctx, const Request& r, const github::Page& page, int64_t total,
               const nlohmann::json& body) {
  Response resp = Response::Json(200, Dump(body));
  std::string link = github::LinkHeader(ctx.config.base_url + r.path, r.query, page, total);
  if (!link.empty()) resp.headers.emplace_back("Link", link);
  return resp;
}

Response Statuses(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  std::string sha;
  if (auto e = Commit(ctx, r, who, "statuses", &access, &sha)) return *e;
  auto page = github::ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  auto checks = CommitChecks(ctx, access.project, sha, true);
  if (!checks.ok()) return StoreError(checks.status());
  std::vector<CommitCheck> list = checks.value();
  // Newest first, as GitHub lists a commit's statuses.
  std::stable_sort(list.begin(), list.end(), [](const CommitCheck& a, const CommitCheck& b) {
    return std::tie(a.check.run_id, a.check.attempt, a.check.id) >
           std::tie(b.check.run_id, b.check.attempt, b.check.id);
  });
  nlohmann::json arr = nlohmann::json::array();
  const int64_t from = page.value().offset();
  for (int64_t i = from; i < static_cast<int64_t>(list.size()) && i < from + page.value().per_page;
       ++i) {
    arr.push_back(StatusJson(ctx, access.project, list[i]));
  }
  return Paged(ctx, r, page.value(), static_cast<int64_t>(list.size()), arr);
}

nlohmann::json CheckRunJson(ApiContext& ctx, const store::Project& p, const CommitCheck& c) {
  const store::Job& job = c.job;
  auto annotations = ctx.store->ListAnnotations(job.id);
  const std::string url = github::RepoApiUrl(ctx, p) + "/check-runs/" + std::to_string(job.id);
  nlohmann::json started = TimeJson(job.started_at != 0 ? job.started_at : job.created_at);
  return {{"id", job.id},
          {"name", job.name},
          {"node_id", "CR_" + std::to_string(job.id)},
          {"head_sha", c.run.sha},
          {"external_id", std::to_string(job.id)},
          {"url", url},
          {"html_url", c.check.target_url},
          {"details_url", c.check.target_url},
          {"status", github::Status(job.status)},
          {"conclusion", github::Conclusion(job.status, job.conclusion)},
          {"started_at", started},
          {"completed_at", TimeJson(job.completed_at)},
          {"output",
           {{"title", DescriptionOf(c)},
            {"summary", job.summary},
            {"text", nullptr},
            {"annotations_count", annotations.ok() ? annotations.value().size() : 0},
            {"annotations_url", url + "/annotations"}}},
          {"check_suite", {{"id", c.run.id}}},
          {"app", {{"id", 0}, {"slug", "gantry"}, {"name", "Gantry"}}},
          {"pull_requests", nlohmann::json::array()}};
}

Response CheckRuns(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  std::string sha;
  if (auto e = Commit(ctx, r, who, "check-runs", &access, &sha)) return *e;
  auto page = github::ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  std::string filter = r.Query("filter").value_or("latest");
  if (filter != "latest" && filter != "all") {
    return Error(422, "filter must be 'latest' or 'all', not '" + filter + "'");
  }
  std::optional<std::string> status = r.Query("status");
  if (status && *status != "queued" && *status != "in_progress" && *status != "completed") {
    return Error(422,
                 "status must be one of queued, in_progress, completed; not '" + *status + "'");
  }
  std::optional<std::string> name = r.Query("check_name");
  auto checks = CommitChecks(ctx, access.project, sha, filter == "all");
  if (!checks.ok()) return StoreError(checks.status());
  std::vector<const CommitCheck*> jobs;
  std::vector<Check> plain;
  std::map<int64_t, const CommitCheck*> by_id;
  for (const CommitCheck& c : checks.value()) {
    if (c.workflow) continue;
    plain.push_back(c.check);
    by_id[c.check.id] = &c;
  }
  if (filter == "latest") plain = LatestPerContext(plain);
  for (const Check& c : plain) {
    const CommitCheck* cc = by_id[c.id];
    if (name && cc->job.name != *name) continue;
    if (status && github::Status(cc->job.status) != *status) continue;
    jobs.push_back(cc);
  }
  nlohmann::json arr = nlohmann::json::array();
  const int64_t from = page.value().offset();
  for (int64_t i = from; i < static_cast<int64_t>(jobs.size()) && i < from + page.value().per_page;
       ++i) {
    arr.push_back(CheckRunJson(ctx, access.project, *jobs[i]));
  }
  return Paged(ctx, r, page.value(), static_cast<int64_t>(jobs.size()),
               {{"total_count", jobs.size()}, {"check_runs", arr}});
}

// commits/{ref}/… with a ref that may hold slashes (a branch "release/1.2"): one route for the
// rest of the path, dispatched on its last segment.
Response CommitRoute(ApiContext& ctx, Request& r, const Principal& who) {
  const std::string& rest = r.Param("rest");
  auto ends = [&](std::string_view s) {
    return rest.size() > s.size() + 1 && rest.ends_with(s) &&
           rest[rest.size() - s.size() - 1] == '/';
  };
  if (ends("status")) return Combined(ctx, r, who);
  if (ends("statuses")) return Statuses(ctx, r, who);
  if (ends("check-runs")) return CheckRuns(ctx, r, who);
  return Error(404, "Not Found");
}

}  // namespace

void AddCheckRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/api/v3/repos/{owner}/{repo}/commits/{rest...}",
             github::GhAuthed(
                 ctx, [&ctx](Request& r, const Principal& w) { return CommitRoute(ctx, r, w); }));
}

}  // namespace gantry::server
