// /api/v3 runs, jobs, logs, artifacts and annotations (github_api.h).

#include <algorithm>
#include <fstream>
#include <map>

#include "server/github_api.h"
#include "server/run_derived.h"
#include "server/scheduler.h"
#include "server/workflows.h"

namespace gantry::server::github {

// A job's steps in GitHub's order (pre stages, then the steps and post stages by index),
// numbered from 1.
std::vector<std::pair<int, store::Step>> NumberedSteps(std::vector<store::Step> steps) {
  std::stable_sort(steps.begin(), steps.end(), [](const store::Step& a, const store::Step& b) {
    bool pa = a.stage == "pre", pb = b.stage == "pre";
    if (pa != pb) return pa;
    return a.index < b.index;
  });
  std::vector<std::pair<int, store::Step>> out;
  out.reserve(steps.size());
  int n = 0;
  for (store::Step& s : steps) out.emplace_back(++n, std::move(s));
  return out;
}

std::string StepName(const store::Step& s) {
  if (s.stage == "pre") return "Pre " + s.name;
  if (s.stage == "post") return "Post " + s.name;
  return s.name;
}

// The run {id} of the repository in the path, or the error answer.
std::optional<Response> RunOf(ApiContext& ctx, const Request& r, const Principal& who,
                              std::string_view role, store::Run* run, ProjectAccess* access) {
  if (auto e = RequireRepo(ctx, r, who, role, access)) return e;
  auto id = ParseId(r.Param("id"));
  auto got = id ? ctx.store->GetRun(*id) : core::Result<store::Run>(core::Status::NotFound(""));
  if (!got.ok() || got.value().project_id != access->project.id) return Error(404, "Not Found");
  *run = got.value();
  return std::nullopt;
}

std::optional<Response> JobOf(ApiContext& ctx, const Request& r, const Principal& who,
                              std::string_view role, store::Job* job, store::Run* run,
                              ProjectAccess* access) {
  if (auto e = RequireRepo(ctx, r, who, role, access)) return e;
  auto id = ParseId(r.Param("id"));
  auto got = id ? ctx.store->GetJob(*id) : core::Result<store::Job>(core::Status::NotFound(""));
  if (!got.ok()) return Error(404, "Not Found");
  auto rr = ctx.store->GetRun(got.value().run_id);
  if (!rr.ok() || rr.value().project_id != access->project.id) return Error(404, "Not Found");
  *job = got.value();
  *run = rr.value();
  return std::nullopt;
}

namespace {

using Args = std::vector<std::pair<std::string, std::string>>;

nlohmann::json Time(int64_t ms) { return TimeJson(ms); }

// GitHub's head_branch (run_derived.h).
std::string Branch(const store::Run& run) { return HeadBranch(run); }

std::string RunApiUrl(const ApiContext& ctx, const store::Project& p, store::Id run) {
  return RepoApiUrl(ctx, p) + "/actions/runs/" + std::to_string(run);
}

std::string RunHtmlUrl(const ApiContext& ctx, const store::Project& p, store::Id run) {
  return ctx.config.base_url + "/" + p.owner + "/" + p.name + "/runs/" + std::to_string(run);
}

store::Id UserId(ApiContext& ctx, const std::string& login) {
  auto u = ctx.store->GetUserByName(login);
  return u.ok() ? u.value().id : 0;
}

// What the runs of one answer share: the repository object and the actors' ids, each read once.
struct RunShapes {
  nlohmann::json repo;
  std::map<std::string, store::Id> user_ids;
};

nlohmann::json GhRunJson(ApiContext& ctx, const store::Run& run, const store::Project& p,
                         RunShapes* shared) {
  const std::string api = RunApiUrl(ctx, p, run.id);
  const int64_t updated = std::max({run.created_at, run.started_at, run.completed_at});
  if (shared->repo.is_null()) shared->repo = RepoJson(ctx, p);
  auto known = shared->user_ids.find(run.actor);
  if (known == shared->user_ids.end()) {
    known = shared->user_ids.emplace(run.actor, UserId(ctx, run.actor)).first;
  }
  nlohmann::json actor = UserJson(ctx, run.actor, known->second);
  const nlohmann::json& repo = shared->repo;
  int64_t workflow_id = WorkflowId(p.id, run.workflow_file);
  return {
      {"id", run.id},
      {"name", run.workflow_name.empty() ? run.workflow_file : run.workflow_name},
      {"node_id", "WFR_" + std::to_string(run.id)},
      {"head_branch", Branch(run)},
      {"head_sha", run.sha},
      {"path", run.workflow_file},
      {"display_title", run.title},
      {"run_number", run.number},
      {"event", run.event},
      {"status", Status(run.status)},
      {"conclusion", Conclusion(run.status, run.conclusion)},
      {"workflow_id", workflow_id},
      {"check_suite_id", run.id},
      {"url", api},
      {"html_url", RunHtmlUrl(ctx, p, run.id)},
      {"pull_requests", nlohmann::json::array()},
      {"created_at", Time(run.created_at)},
      {"updated_at", Time(updated)},
      {"actor", actor},
      {"triggering_actor", actor},
      {"run_attempt", run.attempt},
      {"run_started_at", Time(run.started_at != 0 ? run.started_at : run.created_at)},
      {"jobs_url", api + "/jobs"},
      {"logs_url", api + "/logs"},
      {"artifacts_url", api + "/artifacts"},
      {"cancel_url", api + "/cancel"},
      {"rerun_url", api + "/rerun"},
      {"workflow_url", RepoApiUrl(ctx, p) + "/actions/workflows/" + std::to_string(workflow_id)},
      {"head_commit",
       {{"id", run.sha},
        {"tree_id", run.sha},
        {"message", run.title},
        {"timestamp", Time(run.created_at)},
        {"author", {{"name", run.actor}, {"email", ""}}},
        {"committer", {{"name", run.actor}, {"email", ""}}}}},
      {"repository", repo},
      {"head_repository", repo}};
}

nlohmann::json GhJobJson(ApiContext& ctx, const store::Job& job, const store::Run& run,
                         const store::Project& p) {
  nlohmann::json steps = nlohmann::json::array();
  auto listed = ctx.store->ListSteps(job.id);
  for (auto& [number, s] :
       NumberedSteps(listed.ok() ? listed.value() : std::vector<store::Step>{})) {
    steps.push_back({{"name", StepName(s)},
                     {"status", Status(s.status)},
                     {"conclusion", Conclusion(s.status, s.conclusion)},
                     {"number", number},
                     {"started_at", Time(s.started_at)},
                     {"completed_at", Time(s.completed_at)}});
  }
  nlohmann::json labels =
      nlohmann::json::parse(job.labels.empty() ? "[]" : job.labels, nullptr, false);
  if (!labels.is_array()) labels = nlohmann::json::array();
  const std::string api = RepoApiUrl(ctx, p) + "/actions/jobs/" + std::to_string(job.id);
  return {{"id", job.id},
          {"run_id", job.run_id},
          {"run_url", RunApiUrl(ctx, p, job.run_id)},
          {"run_attempt", job.attempt},
          {"node_id", "CR_" + std::to_string(job.id)},
          {"head_sha", run.sha},
          {"head_branch", Branch(run)},
          {"workflow_name", run.workflow_name},
          {"url", api},
          {"html_url", RunHtmlUrl(ctx, p, job.run_id) + "/jobs/" + std::to_string(job.id)},
          {"status", Status(job.status)},
          {"conclusion", Conclusion(job.status, job.conclusion)},
          {"created_at", Time(job.created_at)},
          {"started_at", Time(job.started_at != 0 ? job.started_at : job.created_at)},
          {"completed_at", Time(job.completed_at)},
          {"name", job.name},
          {"steps", steps},
          {"check_run_url", RepoApiUrl(ctx, p) + "/check-runs/" + std::to_string(job.id)},
          {"labels", labels},
          {"runner_id", nullptr},
          {"runner_name",
           job.executor.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.executor)},
          {"runner_group_id", nullptr},
          {"runner_group_name", nullptr}};
}

// A paginated answer: `items` under `key` with total_count, and the Link header.
Response Paged(ApiContext& ctx, const Request& r, const Page& page, int64_t total, const char* key,
               nlohmann::json items) {
  Response resp = Response::Json(200, Dump({{"total_count", total}, {key, std::move(items)}}));
  std::string link = LinkHeader(ctx.config.base_url + r.path, r.query, page, total);
  if (!link.empty()) resp.headers.emplace_back("Link", link);
  return resp;
}

Response ListRuns(ApiContext& ctx, Request& r, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireRepo(ctx, r, who, "viewer", &access)) return *e;
  auto page = ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  store::RunFilter f;
  f.project_id = access.project.id;
  f.branch = r.Query("branch").value_or("");
  f.event = r.Query("event").value_or("");
  f.status = r.Query("status").value_or("");
  f.actor = r.Query("actor").value_or("");
  f.sha = r.Query("head_sha").value_or("");
  if (auto created = r.Query("created"); created && !created->empty()) {
    if (auto s = ParseCreated(*created, &f.created_from, &f.created_to); !s.ok()) {
      return Error(422, s.message());
    }
  }
  if (!r.Param("workflow").empty()) {
    auto w = FindWorkflow(ctx, access.project, r.Param("workflow"));
    if (!w.ok()) return Error(404, "Not Found");
    f.workflow_file = w.value().path;
  }
  f.limit = page.value().per_page;
  f.offset = page.value().offset();
  auto total = ctx.store->CountRuns(f);
  if (!total.ok()) return Rewrite(StoreError(total.status()));
  auto runs = ctx.store->ListRuns(f);
  if (!runs.ok()) return Rewrite(StoreError(runs.status()));
  nlohmann::json arr = nlohmann::json::array();
  RunShapes shared;
  for (const store::Run& run : runs.value()) {
    arr.push_back(GhRunJson(ctx, run, access.project, &shared));
  }
  return Paged(ctx, r, page.value(), total.value(), "workflow_runs", std::move(arr));
}

Response GetRun(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, "viewer", &run, &access)) return *e;
  RunShapes shared;
  return Response::Json(200, Dump(GhRunJson(ctx, run, access.project, &shared)));
}

Response ListJobs(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, "viewer", &run, &access)) return *e;
  auto page = ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  int attempt = run.attempt;
  if (!r.Param("attempt").empty()) {
    auto n = ParseId(r.Param("attempt"));
    if (!n || *n > run.attempt) return Error(404, "Not Found");
    attempt = static_cast<int>(*n);
  }
  std::vector<store::Job> jobs;
  bool all = r.Query("filter").value_or("latest") == "all" && r.Param("attempt").empty();
  for (int a = all ? 1 : attempt; a <= attempt; ++a) {
    auto list = ctx.store->ListJobs(run.id, a);
    if (!list.ok()) return Rewrite(StoreError(list.status()));
    jobs.insert(jobs.end(), list.value().begin(), list.value().end());
  }
  nlohmann::json arr = nlohmann::json::array();
  const Page& p = page.value();
  for (int64_t i = p.offset(); i < static_cast<int64_t>(jobs.size()) && i < p.offset() + p.per_page;
       ++i) {
    arr.push_back(GhJobJson(ctx, jobs[static_cast<size_t>(i)], run, access.project));
  }
  return Paged(ctx, r, p, static_cast<int64_t>(jobs.size()), "jobs", std::move(arr));
}

Response GetJob(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  ProjectAccess access;
  if (auto e = JobOf(ctx, r, who, "viewer", &job, &run, &access)) return *e;
  return Response::Json(200, Dump(GhJobJson(ctx, job, run, access.project)));
}

Response Cancel(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, "developer", &run, &access)) return *e;
  if (run.status == "completed") {
    return Error(409, "Cannot cancel a workflow run that is completed.");
  }
  if (auto s = ctx.scheduler->Cancel(run.id); !s.ok()) return Rewrite(StoreError(s));
  (void)ctx.store->Audit(
      {0, who.user.id, run.project_id, "run.cancel", std::to_string(run.id), "{}", ctx.now_ms()});
  return Response::Json(202, "{}");
}

Response RerunRun(ApiContext& ctx, const Principal& who, const store::Run& run, bool failed_only) {
  auto again = ctx.scheduler->Rerun(run.id, failed_only);
  if (!again.ok()) {
    if (again.status().code() == core::StatusCode::kInvalidArgument) {
      return Error(409, "This workflow run cannot be rerun: " + again.status().message());
    }
    return Rewrite(StoreError(again.status()));
  }
  (void)ctx.store->Audit({0, who.user.id, run.project_id, "run.rerun", std::to_string(run.id),
                          Dump({{"failed_only", failed_only}}), ctx.now_ms()});
  return Response::Json(201, "{}");
}

Response Rerun(ApiContext& ctx, Request& r, const Principal& who, bool failed_only) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, "developer", &run, &access)) return *e;
  return RerunRun(ctx, who, run, failed_only);
}

// As on GitHub: the job and every job that needs it run again; the others keep their results.
Response RerunJob(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  ProjectAccess access;
  if (auto e = JobOf(ctx, r, who, "developer", &job, &run, &access)) return *e;
  auto again = ctx.scheduler->RerunJob(job.id);
  if (!again.ok()) {
    if (again.status().code() == core::StatusCode::kInvalidArgument) {
      return Error(409, "This job cannot be rerun: " + again.status().message());
    }
    return Rewrite(StoreError(again.status()));
  }
  (void)ctx.store->Audit({0, who.user.id, run.project_id, "run.rerun", std::to_string(run.id),
                          Dump({{"job_id", job.id}}), ctx.now_ms()});
  return Response::Json(201, "{}");
}

nlohmann::json ArtifactJson(ApiContext& ctx, const store::Artifact& a, const store::Run& run,
                            const store::Project& p) {
  const std::string url = RepoApiUrl(ctx, p) + "/actions/artifacts/" + std::to_string(a.id);
  return {{"id", a.id},
          {"node_id", "MDg6QXJ0aWZhY3Q" + std::to_string(a.id)},
          {"name", a.name},
          {"size_in_bytes", a.size},
          {"url", url},
          {"archive_download_url", url + "/zip"},
          {"expired", false},
          {"digest", "sha256:" + a.sha256},
          {"created_at", Time(a.created_at)},
          {"updated_at", Time(a.created_at)},
          {"expires_at", nullptr},
          {"workflow_run",
           {{"id", run.id},
            {"repository_id", p.id},
            {"head_repository_id", p.id},
            {"head_branch", Branch(run)},
            {"head_sha", run.sha}}}};
}

Response Artifacts(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunOf(ctx, r, who, "viewer", &run, &access)) return *e;
  auto page = ParsePage(r.query);
  if (!page.ok()) return Error(422, page.status().message());
  auto list = ctx.store->ListArtifacts(run.id);
  if (!list.ok()) return Rewrite(StoreError(list.status()));
  std::string name = r.Query("name").value_or("");
  std::vector<store::Artifact> matching;
  for (const store::Artifact& a : list.value()) {
    if (name.empty() || a.name == name) matching.push_back(a);
  }
  nlohmann::json arr = nlohmann::json::array();
  const Page& p = page.value();
  for (int64_t i = p.offset();
       i < static_cast<int64_t>(matching.size()) && i < p.offset() + p.per_page; ++i) {
    arr.push_back(ArtifactJson(ctx, matching[static_cast<size_t>(i)], run, access.project));
  }
  return Paged(ctx, r, p, static_cast<int64_t>(matching.size()), "artifacts", std::move(arr));
}

// The artifact {id} of the repository in the path with its run.
std::optional<Response> ArtifactOf(ApiContext& ctx, const Request& r, const Principal& who,
                                   store::Artifact* a, store::Run* run, ProjectAccess* access) {
  if (auto e = RequireRepo(ctx, r, who, "viewer", access)) return e;
  auto id = ParseId(r.Param("id"));
  auto got =
      id ? ctx.store->GetArtifact(*id) : core::Result<store::Artifact>(core::Status::NotFound(""));
  if (!got.ok()) return Error(404, "Not Found");
  auto rr = ctx.store->GetRun(got.value().run_id);
  if (!rr.ok() || rr.value().project_id != access->project.id) return Error(404, "Not Found");
  *a = got.value();
  *run = rr.value();
  return std::nullopt;
}

Response GetArtifact(ApiContext& ctx, Request& r, const Principal& who) {
  store::Artifact a;
  store::Run run;
  ProjectAccess access;
  if (auto e = ArtifactOf(ctx, r, who, &a, &run, &access)) return *e;
  return Response::Json(200, Dump(ArtifactJson(ctx, a, run, access.project)));
}

Response ArtifactZip(ApiContext& ctx, Request& r, const Principal& who) {
  store::Artifact a;
  store::Run run;
  ProjectAccess access;
  if (auto e = ArtifactOf(ctx, r, who, &a, &run, &access)) return *e;
  std::ifstream in(ctx.config.storage_dir + "/" + a.path, std::ios::binary);
  if (!in) return Error(410, "The artifact's file is gone from the server's storage.");
  Response resp;
  resp.content_type = "application/zip";
  resp.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  resp.headers.emplace_back("Content-Disposition",
                            "attachment; filename=\"" + SafeName(a.name) + ".zip\"");
  return resp;
}

Response Annotations(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  ProjectAccess access;
  if (auto e = JobOf(ctx, r, who, "viewer", &job, &run, &access)) return *e;
  auto list = ctx.store->ListAnnotations(job.id);
  if (!list.ok()) return Rewrite(StoreError(list.status()));
  nlohmann::json arr = nlohmann::json::array();
  auto opt = [](int v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); };
  for (const store::Annotation& a : list.value()) {
    int line = a.line > 0 ? a.line : 1;
    arr.push_back({{"path", a.file.empty() ? ".github" : a.file},
                   {"blob_href", ""},
                   {"start_line", line},
                   {"end_line", a.end_line > 0 ? a.end_line : line},
                   {"start_column", opt(a.column)},
                   {"end_column", opt(a.end_column)},
                   {"annotation_level", AnnotationLevel(a.level)},
                   {"title", a.title},
                   {"message", a.message},
                   {"raw_details", ""}});
  }
  return Response::Json(200, Dump(arr));
}

}  // namespace

/// Adds the runs, jobs, logs, artifacts and annotations routes (github_runs_api.cc).
void AddGitHubRunRoutes(Router& router, ApiContext& ctx) {
  using Fn = Response (*)(ApiContext&, Request&, const Principal&);
  auto add = [&](const char* method, const std::string& path, Fn fn) {
    router.Add(method, "/api/v3/repos/{owner}/{repo}" + path,
               GhAuthed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("GET", "/actions/runs", ListRuns);
  add("GET", "/actions/workflows/{workflow}/runs", ListRuns);
  add("GET", "/actions/runs/{id}", GetRun);
  add("GET", "/actions/runs/{id}/attempts/{attempt}", GetRun);
  add("GET", "/actions/runs/{id}/jobs", ListJobs);
  add("GET", "/actions/runs/{id}/attempts/{attempt}/jobs", ListJobs);
  add("GET", "/actions/runs/{id}/artifacts", Artifacts);
  add("POST", "/actions/runs/{id}/cancel", Cancel);
  add("POST", "/actions/runs/{id}/rerun",
      [](ApiContext& c, Request& r, const Principal& w) { return Rerun(c, r, w, false); });
  add("POST", "/actions/runs/{id}/rerun-failed-jobs",
      [](ApiContext& c, Request& r, const Principal& w) { return Rerun(c, r, w, true); });
  add("GET", "/actions/jobs/{id}", GetJob);
  add("POST", "/actions/jobs/{id}/rerun", RerunJob);
  add("GET", "/actions/artifacts/{id}", GetArtifact);
  add("GET", "/actions/artifacts/{id}/zip", ArtifactZip);
  add("GET", "/check-runs/{id}/annotations", Annotations);
}

}  // namespace gantry::server::github
