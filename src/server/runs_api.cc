#include "server/runs_api.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>

#include "queue/notifier.h"
#include "server/job_graph.h"
#include "server/labels.h"
#include "server/log_sse.h"
#include "server/run_derived.h"
#include "server/run_list_api.h"
#include "server/scheduler.h"

namespace gantry::server {
namespace {

nlohmann::json StepJson(const store::Step& s) {
  return {
      {"number", s.index + 1},
      {"index", s.index},
      {"stage", s.stage},
      {"name", s.name},
      {"status", s.status},
      {"conclusion", s.conclusion.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.conclusion)},
      {"outcome", s.outcome.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.outcome)},
      {"error", s.error},
      {"background", s.background},
      {"started_at", TimeJson(s.started_at)},
      {"completed_at", TimeJson(s.completed_at)}};
}

nlohmann::json Parsed(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// The run named by {id} with the caller's access, or the error answer.
std::optional<Response> RunFor(ApiContext& ctx, const Request& r, const Principal& who,
                               std::string_view role, store::Run* run, ProjectAccess* access) {
  auto id = ParseId(r.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such run");
  auto got = ctx.store->GetRun(*id);
  if (!got.ok()) return Response::Error(404, "not_found", "no such run");
  if (auto e = RequireProjectId(ctx, who, got.value().project_id, role, access)) {
    if (e->status == 404) return Response::Error(404, "not_found", "no such run");
    return e;
  }
  *run = got.value();
  return std::nullopt;
}

std::optional<Response> JobFor(ApiContext& ctx, const Request& r, const Principal& who,
                               store::Job* job, store::Run* run) {
  auto id = ParseId(r.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such job");
  auto got = ctx.store->GetJob(*id);
  if (!got.ok()) return Response::Error(404, "not_found", "no such job");
  auto rr = ctx.store->GetRun(got.value().run_id);
  if (!rr.ok()) return Response::Error(404, "not_found", "no such job");
  ProjectAccess access;
  if (auto e = RequireProjectId(ctx, who, rr.value().project_id, "viewer", &access)) {
    return Response::Error(404, "not_found", "no such job");
  }
  *job = got.value();
  *run = rr.value();
  return std::nullopt;
}

// "waiting_reason" of the queued jobs no enabled executor can take (read once per request).
class WaitingReasons {
 public:
  WaitingReasons(ApiContext& ctx, store::Id project_id) : ctx_(ctx), project_id_(project_id) {}
  void Add(const store::Job& job, nlohmann::json& j) {
    // A job naming an environment (docs/server.md, "Environments and approvals").
    if (auto env = ctx_.store->GetJobEnvironment(job.id); env.ok()) {
      j["environment"] = env->environment;
      j["environment_url"] = env->url;
      if (job.status == "waiting") {
        j["waiting_reason"] = env->needs_review
                                  ? "waiting for approval of " + env->environment
                                  : "waiting for the wait timer of " + env->environment;
      }
    }
    if (job.status != "queued") return;
    // A job held back by its concurrency group names the job holding it.
    if (!job.concurrency_group.empty()) {
      auto group = ctx_.store->ListGroupJobs(project_id_, job.concurrency_group);
      if (group.ok()) {
        for (const store::Job& o : group.value()) {
          if (o.id == job.id || o.status != "in_progress") continue;
          j["waiting_reason"] = "waiting for job " + std::to_string(o.id) + " (" + o.name +
                                ") of concurrency group '" + job.concurrency_group + "' to finish";
          return;
        }
      }
    }
    if (!executors_) {
      auto list = ctx_.store->ListExecutors();
      executors_ = list.ok() ? std::move(list).value() : std::vector<store::Executor>();
    }
    std::string why = WaitingReason(*executors_, LabelsFromJson(job.labels));
    if (!why.empty()) j["waiting_reason"] = why;
  }

 private:
  ApiContext& ctx_;
  store::Id project_id_;
  std::optional<std::vector<store::Executor>> executors_;
};

// "needs": the ids under `jobs:` that `job` needs, from the workflow's graph, else from the
// needs context stored in its row (the jobs it needed that ran).
void AddNeeds(const std::vector<GraphJob>* graph, const store::Job& job, nlohmann::json& j) {
  if (graph != nullptr) {
    if (auto needs = NeedsOf(*graph, job.job_id)) {
      j["needs"] = *needs;
      return;
    }
  }
  nlohmann::json needs = nlohmann::json::array();
  const nlohmann::json context = Parsed(job.needs);
  if (context.is_object()) {
    for (auto it = context.begin(); it != context.end(); ++it) needs.push_back(it.key());
  }
  j["needs"] = needs;
}

Response GetRun(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunFor(ctx, r, who, "viewer", &run, &access)) return *e;
  int attempt = run.attempt;
  if (auto a = r.Query("attempt")) {
    auto n = ParseId(*a);
    if (!n || *n > run.attempt)
      return Response::Error(400, "invalid", "no such attempt", "attempt");
    attempt = static_cast<int>(*n);
  }
  auto jobs = ctx.store->ListJobs(run.id, attempt);
  if (!jobs.ok()) return StoreError(jobs.status());
  nlohmann::json j = RunJson(ctx, run, access.project);
  // The whole needs graph, jobs without rows yet included; empty when the workflow file cannot
  // be read any more (each job's needs then come from its row).
  std::shared_ptr<const std::vector<GraphJob>> graph;
  if (ctx.graphs != nullptr) {
    auto g = ctx.graphs->ForRun(ctx, access.project, run);
    if (g.ok()) graph = std::move(g).value();
  }
  j["graph"] = graph ? GraphJson(*graph) : nlohmann::json::array();
  if (attempt != run.attempt) SetAttemptState(j, run, jobs.value());
  nlohmann::json arr = nlohmann::json::array();
  WaitingReasons waiting(ctx, run.project_id);
  for (const store::Job& job : jobs.value()) {
    auto steps = ctx.store->ListSteps(job.id);
    arr.push_back(JobJson(job, steps.ok() ? steps.value() : std::vector<store::Step>{}));
    AddNeeds(graph.get(), job, arr.back());
    waiting.Add(job, arr.back());
  }
  j["jobs"] = arr;
  return Response::Json(200, Dump(j));
}

Response GetJob(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  if (auto e = JobFor(ctx, r, who, &job, &run)) return *e;
  auto steps = ctx.store->ListSteps(job.id);
  nlohmann::json j = JobJson(job, steps.ok() ? steps.value() : std::vector<store::Step>{});
  std::shared_ptr<const std::vector<GraphJob>> graph;
  auto project = ctx.store->GetProject(run.project_id);
  if (ctx.graphs != nullptr && project.ok()) {
    auto g = ctx.graphs->ForRun(ctx, project.value(), run);
    if (g.ok()) graph = std::move(g).value();
  }
  AddNeeds(graph.get(), job, j);
  WaitingReasons(ctx, run.project_id).Add(job, j);
  j["summary"] = job.summary;
  nlohmann::json anns = nlohmann::json::array();
  if (auto list = ctx.store->ListAnnotations(job.id); list.ok()) {
    for (const store::Annotation& a : list.value()) {
      anns.push_back({{"step", a.step},
                      {"level", a.level},
                      {"message", a.message},
                      {"title", a.title},
                      {"file", a.file},
                      {"line", a.line},
                      {"end_line", a.end_line},
                      {"column", a.column},
                      {"end_column", a.end_column}});
    }
  }
  j["annotations"] = anns;
  return Response::Json(200, Dump(j));
}

constexpr int kAllSteps = -2;

// Calls `piece` with each part of the job's stored log after `*offset` and the offset after
// that part, advancing `*offset`, until the stored log is read or `piece` returns false.
// Unless `step` is kAllSteps, only the chunks of that step are passed (the offset still
// advances past the others).
core::Status ReadLogFrom(ApiContext& ctx, store::Id job_id, int64_t* offset, int64_t batch,
                         int step, const std::function<bool(std::string_view, int64_t)>& piece) {
  for (;;) {
    auto chunks = ctx.store->ReadLogs(job_id, *offset, batch);
    if (!chunks.ok()) return chunks.status();
    int64_t before = *offset;
    for (const store::LogChunk& c : chunks.value()) {
      int64_t skip = std::max<int64_t>(0, *offset - c.offset);
      int64_t end = c.offset + static_cast<int64_t>(c.data.size());
      if (skip >= static_cast<int64_t>(c.data.size())) continue;
      *offset = end;
      if (step != kAllSteps && c.step != step) continue;
      if (!piece(std::string_view(c.data).substr(static_cast<size_t>(skip)), end)) {
        return core::Status::Cancelled("the reader stopped");
      }
    }
    if (*offset == before) return core::Status::Ok();
  }
}

Response Logs(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  if (auto e = JobFor(ctx, r, who, &job, &run)) return *e;
  int64_t offset = 0;
  std::string from = r.Header("last-event-id");
  if (from.empty()) from = r.Query("offset").value_or("");
  if (!from.empty()) {
    char* end = nullptr;
    offset = std::strtoll(from.c_str(), &end, 10);
    if (end == from.c_str() || *end != '\0' || offset < 0) {
      return Response::Error(400, "invalid", "offset must be a byte offset", "offset");
    }
  }
  // ?step=N: only the lines of step index N (-1: those logged before the first step).
  int step = kAllSteps;
  if (auto s = r.Query("step")) {
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), step);
    if (ec != std::errc() || end != s->data() + s->size() || step < -1) {
      return Response::Error(400, "invalid", "step must be a step index (-1 or more)", "step");
    }
  }
  bool follow = r.Query("follow").value_or("") == "1" || r.Query("follow").value_or("") == "true";
  if (!follow) {
    std::string text;
    auto read =
        ReadLogFrom(ctx, job.id, &offset, 4 << 20, step, [&text](std::string_view part, int64_t) {
          text.append(part);
          return true;
        });
    if (!read.ok()) return StoreError(read);
    return Response::Text(200, std::move(text));
  }
  Response resp;
  resp.content_type = "text/event-stream";
  resp.headers.emplace_back("Cache-Control", "no-cache");
  resp.headers.emplace_back("X-Accel-Buffering", "no");
  store::Id job_id = job.id;
  resp.stream = [&ctx, job_id, offset, step](BodyWriter& out) mutable {
    std::string topic = "job:" + std::to_string(job_id);
    auto last_write = std::chrono::steady_clock::now();
    for (;;) {
      uint64_t version = ctx.notifier->Version(topic);
      auto job = ctx.store->GetJob(job_id);
      bool completed = job.ok() && job.value().status == "completed";
      auto read =
          ReadLogFrom(ctx, job_id, &offset, 1 << 20, step, [&](std::string_view part, int64_t end) {
            if (!out.Write("id: " + std::to_string(end) + "\n" + SseLogData(part) + "\n"))
              return false;
            last_write = std::chrono::steady_clock::now();
            return true;
          });
      if (read.code() == core::StatusCode::kCancelled) return;
      if (completed) {
        out.Write("event: end\ndata: " +
                  Dump({{"status", "completed"}, {"conclusion", job.value().conclusion}}) + "\n\n");
        return;
      }
      if (out.Closed() || ctx.notifier->shut_down()) return;
      ctx.notifier->Wait(topic, version, std::chrono::seconds(5));
      if (std::chrono::steady_clock::now() - last_write > std::chrono::seconds(15)) {
        if (!out.Write(": keep-alive\n\n")) return;
        last_write = std::chrono::steady_clock::now();
      }
    }
  };
  return resp;
}

Response RunEvents(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunFor(ctx, r, who, "viewer", &run, &access)) return *e;
  Response resp;
  resp.content_type = "text/event-stream";
  resp.headers.emplace_back("Cache-Control", "no-cache");
  store::Id run_id = run.id;
  resp.stream = [&ctx, run_id](BodyWriter& out) {
    std::string topic = "run:" + std::to_string(run_id);
    std::map<std::string, std::string> seen;  // entity → last JSON sent
    int64_t seq = 0;
    auto send = [&](const std::string& key, const std::string& kind, const nlohmann::json& j) {
      std::string text = Dump(j);
      auto it = seen.find(key);
      if (it != seen.end() && it->second == text) return true;
      seen[key] = text;
      return out.Write("id: " + std::to_string(++seq) + "\nevent: " + kind + "\ndata: " + text +
                       "\n\n");
    };
    for (;;) {
      uint64_t version = ctx.notifier->Version(topic);
      auto cur = ctx.store->GetRun(run_id);
      if (!cur.ok()) return;
      const store::Run& rr = cur.value();
      nlohmann::json rj = {{"id", rr.id},
                           {"status", rr.status},
                           {"conclusion", rr.conclusion.empty() ? nlohmann::json(nullptr)
                                                                : nlohmann::json(rr.conclusion)},
                           {"attempt", rr.attempt}};
      if (!send("run", "run", rj)) return;
      auto jobs = ctx.store->ListJobs(run_id, rr.attempt);
      if (jobs.ok()) {
        for (const store::Job& job : jobs.value()) {
          nlohmann::json jj = {
              {"id", job.id},
              {"job_id", job.job_id},
              {"instance", job.instance},
              {"attempt", job.attempt},
              {"name", job.name},
              {"status", job.status},
              {"conclusion",
               job.conclusion.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.conclusion)},
              {"started_at", TimeJson(job.started_at)},
              {"completed_at", TimeJson(job.completed_at)}};
          if (!send("job:" + std::to_string(job.id), "job", jj)) return;
          auto steps = ctx.store->ListSteps(job.id);
          if (!steps.ok()) continue;
          for (const store::Step& s : steps.value()) {
            nlohmann::json sj = StepJson(s);
            sj["job_id"] = job.id;
            if (!send("step:" + std::to_string(job.id) + ":" + s.stage + std::to_string(s.index),
                      "step", sj)) {
              return;
            }
          }
        }
      }
      if (rr.status == "completed") {
        out.Write("event: end\ndata: " + Dump(rj) + "\n\n");
        return;
      }
      if (out.Closed() || ctx.notifier->shut_down()) return;
      ctx.notifier->Wait(topic, version, std::chrono::seconds(15));
      if (!out.Write(": keep-alive\n\n")) return;
    }
  };
  return resp;
}

Response Artifacts(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunFor(ctx, r, who, "viewer", &run, &access)) return *e;
  auto list = ctx.store->ListArtifacts(run.id);
  if (!list.ok()) return StoreError(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const store::Artifact& a : list.value()) {
    arr.push_back({{"id", a.id},
                   {"name", a.name},
                   {"size_in_bytes", a.size},
                   {"sha256", a.sha256},
                   {"job_id", a.job_id},
                   {"created_at", TimeJson(a.created_at)},
                   {"archive_download_url",
                    ctx.config.base_url + "/api/v1/artifacts/" + std::to_string(a.id) + "/zip"}});
  }
  return Response::Json(200, Dump({{"artifacts", arr}, {"total_count", arr.size()}}));
}

Response ArtifactZip(ApiContext& ctx, Request& r, const Principal& who) {
  auto id = ParseId(r.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such artifact");
  auto a = ctx.store->GetArtifact(*id);
  if (!a.ok()) return Response::Error(404, "not_found", "no such artifact");
  auto run = ctx.store->GetRun(a.value().run_id);
  if (!run.ok()) return Response::Error(404, "not_found", "no such artifact");
  ProjectAccess access;
  if (RequireProjectId(ctx, who, run.value().project_id, "viewer", &access)) {
    return Response::Error(404, "not_found", "no such artifact");
  }
  std::ifstream in(ctx.config.storage_dir + "/" + a.value().path, std::ios::binary);
  if (!in) return Response::Error(410, "gone", "the artifact's file is gone");
  Response resp;
  resp.content_type = "application/zip";
  resp.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  resp.headers.emplace_back("Content-Disposition",
                            "attachment; filename=\"" + a.value().name + ".zip\"");
  return resp;
}

Response Cancel(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunFor(ctx, r, who, "developer", &run, &access)) return *e;
  if (run.status == "completed") {
    return Response::Error(409, "completed", "the run is already completed");
  }
  if (auto s = ctx.scheduler->Cancel(run.id); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit(
      {0, who.user.id, run.project_id, "run.cancel", std::to_string(run.id), "{}", ctx.now_ms()});
  return Response::Json(202, Dump({{"id", run.id}, {"status", "cancelling"}}));
}

Response Rerun(ApiContext& ctx, Request& r, const Principal& who) {
  store::Run run;
  ProjectAccess access;
  if (auto e = RunFor(ctx, r, who, "developer", &run, &access)) return *e;
  nlohmann::json body;
  if (auto e = ParseBody(r, {{"failed_only", FieldType::kBool, false}}, &body)) return *e;
  auto again = ctx.scheduler->Rerun(run.id, body.value("failed_only", false));
  if (!again.ok()) {
    if (again.status().code() == core::StatusCode::kInvalidArgument) {
      return Response::Error(409, "in_progress", again.status().message());
    }
    return StoreError(again.status());
  }
  (void)ctx.store->Audit({0, who.user.id, run.project_id, "run.rerun", std::to_string(run.id),
                          Dump(body), ctx.now_ms()});
  return Response::Json(202, Dump({{"id", run.id}, {"attempt", again.value().attempt}}));
}

// POST /api/v1/jobs/{id}/rerun: a new attempt running this job and the jobs needing it.
Response RerunJob(ApiContext& ctx, Request& r, const Principal& who) {
  store::Job job;
  store::Run run;
  if (auto e = JobFor(ctx, r, who, &job, &run)) return *e;
  ProjectAccess access;
  if (auto e = RequireProjectId(ctx, who, run.project_id, "developer", &access)) return *e;
  auto again = ctx.scheduler->RerunJob(job.id);
  if (!again.ok()) {
    if (again.status().code() == core::StatusCode::kInvalidArgument) {
      return Response::Error(409, "in_progress", again.status().message());
    }
    return StoreError(again.status());
  }
  (void)ctx.store->Audit({0, who.user.id, run.project_id, "run.rerun", std::to_string(run.id),
                          Dump({{"job_id", job.id}}), ctx.now_ms()});
  return Response::Json(202, Dump({{"id", run.id}, {"attempt", again.value().attempt}}));
}

Response Patterns(ApiContext& ctx) {
  auto list = ctx.store->ListPatterns();
  if (!list.ok()) return StoreError(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const store::Pattern& p : list.value()) {
    arr.push_back({{"name", p.name}, {"description", p.description}, {"workflow", p.workflow}});
  }
  return Response::Json(200, Dump({{"patterns", arr}}));
}

}  // namespace

nlohmann::json RunJson(const ApiContext& ctx, const store::Run& run, const store::Project& p) {
  std::string branch = run.ref.rfind("refs/heads/", 0) == 0 ? run.ref.substr(11) : "";
  nlohmann::json j = {{"id", run.id},
                      {"project", p.owner + "/" + p.name},
                      {"run_number", run.number},
                      {"attempt", run.attempt},
                      {"workflow", run.workflow_file},
                      {"name", run.workflow_name},
                      {"display_title", run.title},
                      {"event", run.event},
                      {"ref", run.ref},
                      {"head_branch", branch},
                      {"head_sha", run.sha},
                      {"actor", run.actor},
                      {"status", run.status},
                      {"conclusion", run.conclusion.empty() ? nlohmann::json(nullptr)
                                                            : nlohmann::json(run.conclusion)},
                      {"error", run.error},
                      {"inputs", Parsed(run.inputs)},
                      {"created_at", TimeJson(run.created_at)},
                      {"started_at", TimeJson(run.started_at)},
                      {"completed_at", TimeJson(run.completed_at)},
                      {"html_url", ctx.config.base_url + "/" + p.owner + "/" + p.name + "/runs/" +
                                       std::to_string(run.id)}};
  if (auto pr = PullRequestNumber(run)) j["pull_request"] = {{"number", *pr}};
  if (run.status == "waiting") {
    // The environments its jobs wait for (docs/server.md, "Environments and approvals").
    nlohmann::json envs = nlohmann::json::array();
    if (auto list = ctx.store->ListJobEnvironments(run.id); list.ok()) {
      for (const store::JobEnvironment& je : list.value()) {
        if (je.state == "waiting" &&
            std::find(envs.begin(), envs.end(), je.environment) == envs.end()) {
          envs.push_back(je.environment);
        }
      }
    }
    j["waiting_for"] = envs;
  }
  return j;
}

nlohmann::json JobJson(const store::Job& job, const std::vector<store::Step>& steps) {
  nlohmann::json s = nlohmann::json::array();
  for (const store::Step& st : steps) s.push_back(StepJson(st));
  return {{"id", job.id},
          {"run_id", job.run_id},
          {"attempt", job.attempt},
          {"job_id", job.job_id},
          {"instance", job.instance},
          {"name", job.name},
          {"status", job.status},
          {"conclusion",
           job.conclusion.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.conclusion)},
          {"matrix", Parsed(job.matrix)},
          {"outputs", Parsed(job.outputs)},
          {"error", job.error},
          {"continued_on_error", job.continued_on_error},
          {"executor", job.executor},
          {"labels", LabelsFromJson(job.labels)},
          {"created_at", TimeJson(job.created_at)},
          {"started_at", TimeJson(job.started_at)},
          {"completed_at", TimeJson(job.completed_at)},
          {"steps", s}};
}

void AddRunRoutes(Router& router, ApiContext& ctx) {
  auto add = [&](const char* method, const char* path,
                 Response (*fn)(ApiContext&, Request&, const Principal&)) {
    router.Add(method, path,
               Authed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("GET", "/api/v1/projects/{owner}/{name}/runs", ListProjectRuns);
  add("GET", "/api/v1/runs/{id}", GetRun);
  add("GET", "/api/v1/runs/{id}/events", RunEvents);
  add("GET", "/api/v1/runs/{id}/artifacts", Artifacts);
  add("POST", "/api/v1/runs/{id}/cancel", Cancel);
  add("POST", "/api/v1/runs/{id}/rerun", Rerun);
  add("GET", "/api/v1/jobs/{id}", GetJob);
  add("GET", "/api/v1/jobs/{id}/logs", Logs);
  add("POST", "/api/v1/jobs/{id}/rerun", RerunJob);
  add("GET", "/api/v1/artifacts/{id}/zip", ArtifactZip);
  router.Add("GET", "/api/v1/patterns",
             Authed(ctx, [&ctx](Request&, const Principal&) { return Patterns(ctx); }));
  router.Add("GET", "/api/v1/patterns/{name}", Authed(ctx, [&ctx](Request& r, const Principal&) {
               auto p = ctx.store->GetPattern(r.Param("name"));
               if (!p.ok())
                 return Response::Error(404, "not_found", "no pattern '" + r.Param("name") + "'");
               return Response::Json(200, Dump({{"name", p.value().name},
                                                {"description", p.value().description},
                                                {"workflow", p.value().workflow}}));
             }));
}

}  // namespace gantry::server
