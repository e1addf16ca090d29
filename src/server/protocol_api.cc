#include "server/protocol_api.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>

#include "core/files.h"
#include "core/masker.h"
#include "queue/notifier.h"
#include "server/git_http.h"
#include "server/labels.h"
#include "server/reports_api.h"
#include "server/scheduler.h"

namespace gantry::server {
namespace {

// Heartbeats come this often, so a cancellation (a cancelled run, fail-fast) reaches a
// running job within about a second; a heartbeat is one small transaction.
constexpr int kHeartbeatSeconds = 1;

std::atomic<int64_t> g_log_bytes{0};

using ExecutorHandler = std::function<Response(Request&, const store::Executor&)>;

Handler ForExecutor(ApiContext& ctx, ExecutorHandler handler) {
  return [&ctx, handler = std::move(handler)](Request& request) {
    std::string auth = request.Header("authorization");
    std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
    if (token.empty()) {
      return Response::Error(401, "unauthenticated",
                             "send 'Authorization: Bearer <executor token>'");
    }
    auto executor = ctx.store->FindExecutorByTokenHash(crypto::Sha256Hex(token));
    if (!executor.ok()) {
      return Response::Error(401, "unauthenticated", "unknown executor token: register again");
    }
    // A disabled executor still finishes and reports the jobs it holds; its leases get none.
    return handler(request, executor.value());
  };
}

// The job named by the path, held by `lease_id`; else the 404/409 answer.
std::optional<Response> HeldJob(ApiContext& ctx, const Request& request,
                                const std::string& lease_id, store::Job* out) {
  auto id = ParseId(request.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such job");
  auto job = ctx.store->GetJob(*id);
  if (!job.ok()) return Response::Error(404, "not_found", "no such job");
  if (job.value().lease_id != lease_id || job.value().status != "in_progress") {
    return Response::Error(409, "lease_lost",
                           "the lease no longer holds this job (it expired or the job ended)");
  }
  *out = job.value();
  return std::nullopt;
}

// A masker with the secrets of the job's project, so that stored lines never hold one even
// when an executor forgot to mask.
void AddProjectSecrets(ApiContext& ctx, const store::Job& job, core::Masker& masker) {
  auto run = ctx.store->GetRun(job.run_id);
  if (!run.ok()) return;
  auto secrets = ctx.store->ListSecrets(run.value().project_id);
  if (!secrets.ok()) return;
  for (const store::Secret& s : secrets.value()) {
    auto v = ctx.box->Open(s.ciphertext);
    if (v.ok()) masker.Add(v.value());
  }
  // And those of the job's environment (docs/server.md, "Environments and approvals").
  auto env = ctx.store->GetJobEnvironment(job.id);
  if (!env.ok()) return;
  auto env_secrets = ctx.store->ListEnvironmentSecrets(run.value().project_id, env->environment);
  if (!env_secrets.ok()) return;
  for (const store::Secret& s : env_secrets.value()) {
    auto v = ctx.box->Open(s.ciphertext);
    if (v.ok()) masker.Add(v.value());
  }
}

// The "outputs" object of `report`, every string value masked.
nlohmann::json MaskedOutputs(const core::Masker& masker, const nlohmann::json& report) {
  nlohmann::json outputs = report.value("outputs", nlohmann::json::object());
  for (auto& [k, v] : outputs.items()) {
    if (v.is_string()) v = masker.Mask(v.get<std::string>());
  }
  return outputs;
}

Response Lease(ApiContext& ctx, Request& request, const store::Executor& executor) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"capacity", FieldType::kInt, false},
                          {"labels", FieldType::kArray, false},
                          {"wait_seconds", FieldType::kInt, false}},
                         &body)) {
    return *e;
  }
  int64_t wait = std::clamp<int64_t>(body.value("wait_seconds", int64_t{30}), 0, 60);
  store::Executor seen = executor;
  seen.last_seen = ctx.now_ms();
  if (seen.state != "disabled") seen.state = "online";
  // The labels it serves with now (e.g. `gantry executor run` after an edit of its config).
  if (body.contains("labels")) seen.labels = nlohmann::json(LabelsOf(body["labels"])).dump();
  (void)ctx.store->UpdateExecutor(seen);
  if (seen.state == "disabled") {
    // Held like an empty lease (no hot loop), answered early when an admin enables it.
    uint64_t version = ctx.notifier->Version("queue");
    ctx.notifier->Wait("queue", version, std::chrono::seconds(wait));
    return Response::NoContent();
  }
  auto leased = ctx.scheduler->Lease(seen, std::chrono::seconds(wait));
  if (!leased.ok()) return StoreError(leased.status());
  if (!leased.value()) return Response::NoContent();
  nlohmann::json& spec = leased.value()->spec;
  // The mirror's path is good on this machine only: an executor elsewhere clones the job's
  // repository from the server over smart HTTP, with its own token (git_http.h).
  if (executor.name != "embedded" && spec.contains("repository")) {
    spec["repository"]["url"] = JobGitUrl(ctx.config.base_url, leased.value()->job.id);
  }
  return Response::Json(200, Dump({{"lease_id", leased.value()->job.lease_id},
                                   {"lease_seconds", ctx.scheduler->lease_seconds()},
                                   {"heartbeat_seconds", kHeartbeatSeconds},
                                   {"job", spec}}));
}

Response Heartbeat(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(request, {{"lease_id", FieldType::kString, true}}, &body)) return *e;
  auto id = ParseId(request.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such job");
  auto cancel = ctx.scheduler->Heartbeat(*id, body["lease_id"]);
  if (!cancel.ok()) {
    return Response::Error(409, "lease_lost",
                           "the lease no longer holds this job (it expired or the job ended)");
  }
  return Response::Json(200, Dump({{"cancel", cancel.value()},
                                   {"lease_seconds", ctx.scheduler->lease_seconds()},
                                   {"heartbeat_seconds", kHeartbeatSeconds}}));
}

Response Logs(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"lease_id", FieldType::kString, true},
                          {"chunks", FieldType::kArray, false},
                          {"annotations", FieldType::kArray, false}},
                         &body)) {
    return *e;
  }
  store::Job job;
  if (auto e = HeldJob(ctx, request, body["lease_id"], &job)) {
    // A retried batch after completion is harmless: the lines are stored already.
    return *e;
  }
  int64_t size = 0;
  if (auto s = StoreLogs(ctx, job.id, body, &size); !s.ok()) {
    if (s.code() == core::StatusCode::kInvalidArgument) {
      return Response::Error(400, "invalid_type", s.message(), "chunks");
    }
    return StoreError(s);
  }
  return Response::Json(200, Dump({{"size", size}}));
}

Response Steps(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(
          request, {{"lease_id", FieldType::kString, true}, {"steps", FieldType::kArray, true}},
          &body)) {
    return *e;
  }
  store::Job job;
  if (auto e = HeldJob(ctx, request, body["lease_id"], &job)) return *e;
  for (const auto& s : body["steps"]) {
    if (!s.is_object() || !s.contains("index") || !s["index"].is_number_integer()) {
      return Response::Error(400, "invalid_type", "each step needs an integer 'index'", "steps");
    }
    store::Step step;
    step.job_id = job.id;
    step.index = s["index"];
    step.stage = s.value("stage", "");
    step.name = s.value("name", "");
    step.status = s.value("status", "in_progress");
    step.conclusion = s.value("conclusion", "");
    step.outcome = s.value("outcome", "");
    step.error = s.value("error", "");
    step.background = s.value("background", false);
    step.started_at = s.value("started_at", int64_t{0});
    step.completed_at = s.value("completed_at", int64_t{0});
    if (auto st = ctx.store->PutStep(step); !st.ok()) return StoreError(st);
  }
  ctx.notifier->Publish("run:" + std::to_string(job.run_id));
  return Response::NoContent();
}

Response Artifact(ApiContext& ctx, Request& request) {
  std::string lease = request.Query("lease_id").value_or("");
  store::Job job;
  if (auto e = HeldJob(ctx, request, lease, &job)) return *e;
  std::string name = request.Param("name");
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos) {
    return Response::Error(422, "invalid", "artifact name must not contain '/' or '..'", "name");
  }
  std::string rel = "artifacts/" + std::to_string(job.run_id) + "/" + name + ".zip";
  if (auto s = core::WriteFileAtomically(ctx.config.storage_dir + "/" + rel, request.body);
      !s.ok()) {
    return Response::Error(507, "storage", "cannot write the artifact: " + s.message());
  }
  store::Artifact a;
  a.run_id = job.run_id;
  a.job_id = job.id;
  a.name = name;
  a.path = rel;
  a.size = static_cast<int64_t>(request.body.size());
  a.sha256 = crypto::Sha256Hex(request.body);
  a.created_at = ctx.now_ms();
  auto stored = ctx.store->CreateArtifact(a);
  if (!stored.ok()) return StoreError(stored.status());
  return Response::Json(201, Dump({{"id", stored.value().id}, {"size", a.size}}));
}

// The artifacts a job may download: those of its run uploaded by jobs of its attempt or an
// earlier one (GitHub keeps a run's artifacts across re-run attempts).
core::Result<std::vector<store::Artifact>> RunArtifactsFor(ApiContext& ctx, const store::Job& job) {
  auto list = ctx.store->ListArtifacts(job.run_id);
  if (!list.ok()) return list.status();
  std::vector<store::Artifact> out;
  for (store::Artifact& a : list.value()) {
    auto owner = ctx.store->GetJob(a.job_id);
    if (owner.ok() && owner.value().attempt > job.attempt) continue;
    out.push_back(std::move(a));
  }
  return out;
}

Response ArtifactList(ApiContext& ctx, Request& request) {
  std::string lease = request.Query("lease_id").value_or("");
  store::Job job;
  if (auto e = HeldJob(ctx, request, lease, &job)) return *e;
  auto list = RunArtifactsFor(ctx, job);
  if (!list.ok()) return StoreError(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const store::Artifact& a : list.value()) {
    arr.push_back({{"name", a.name}, {"size", a.size}, {"sha256", a.sha256}});
  }
  return Response::Json(200, Dump({{"artifacts", arr}}));
}

Response ArtifactGet(ApiContext& ctx, Request& request) {
  std::string lease = request.Query("lease_id").value_or("");
  store::Job job;
  if (auto e = HeldJob(ctx, request, lease, &job)) return *e;
  std::string name = request.Param("name");
  auto list = RunArtifactsFor(ctx, job);
  if (!list.ok()) return StoreError(list.status());
  auto it = std::find_if(list.value().begin(), list.value().end(),
                         [&](const store::Artifact& a) { return a.name == name; });
  if (it == list.value().end()) {
    return Response::Error(404, "not_found", "no artifact named '" + name + "' in this run");
  }
  std::ifstream in(ctx.config.storage_dir + "/" + it->path, std::ios::binary);
  if (!in) return Response::Error(404, "not_found", "the artifact's file is gone");
  Response r;
  r.content_type = "application/zip";
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

Response CacheGet(ApiContext& ctx, Request& request) {
  std::string lease = request.Query("lease_id").value_or("");
  store::Job job;
  if (auto e = HeldJob(ctx, request, lease, &job)) return *e;
  auto run = ctx.store->GetRun(job.run_id);
  if (!run.ok()) return StoreError(run.status());
  std::vector<std::string> restore;
  std::string keys = request.Query("restore_keys").value_or("");
  for (size_t pos = 0; pos <= keys.size() && !keys.empty();) {
    size_t comma = keys.find(',', pos);
    if (comma == std::string::npos) comma = keys.size();
    if (comma > pos) restore.push_back(keys.substr(pos, comma - pos));
    pos = comma + 1;
  }
  auto entry = ctx.store->FindCache(run.value().project_id, request.Query("key").value_or(""),
                                    restore, request.Query("version").value_or(""));
  if (!entry.ok()) return Response::NoContent();
  std::ifstream in(ctx.config.storage_dir + "/" + entry.value().path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Response r;
  r.content_type = "application/octet-stream";
  r.body = std::move(data);
  r.headers.emplace_back("X-Cache-Key", entry.value().key);
  return r;
}

Response CachePut(ApiContext& ctx, Request& request) {
  std::string lease = request.Query("lease_id").value_or("");
  store::Job job;
  if (auto e = HeldJob(ctx, request, lease, &job)) return *e;
  auto run = ctx.store->GetRun(job.run_id);
  if (!run.ok()) return StoreError(run.status());
  std::string key = request.Query("key").value_or("");
  if (key.empty()) return Response::Error(422, "invalid", "key is required", "key");
  std::string version = request.Query("version").value_or("");
  std::string rel = "caches/" + std::to_string(run.value().project_id) + "/" +
                    crypto::Sha256Hex(key + "\n" + version);
  if (auto s = core::WriteFileAtomically(ctx.config.storage_dir + "/" + rel, request.body);
      !s.ok()) {
    return Response::Error(507, "storage", "cannot write the cache: " + s.message());
  }
  store::CacheEntry e{run.value().project_id,
                      key,
                      version,
                      rel,
                      static_cast<int64_t>(request.body.size()),
                      ctx.now_ms()};
  if (auto s = ctx.store->PutCache(e); !s.ok()) return StoreError(s);
  return Response::Json(201, "{}");
}

// Masks every string of a report (messages, details, file names) with the project's secrets.
void MaskStrings(const core::Masker& masker, nlohmann::json& j) {
  if (j.is_string()) {
    j = masker.Mask(j.get<std::string>());
  } else if (j.is_structured()) {
    for (auto& v : j) MaskStrings(masker, v);
  }
}

Response Reports(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"lease_id", FieldType::kString, true},
                          {"kind", FieldType::kString, true},
                          {"step", FieldType::kInt, true},
                          {"report", FieldType::kObject, true}},
                         &body)) {
    return *e;
  }
  std::string kind = body["kind"];
  if (kind != "coverage" && kind != "tests" && kind != "security") {
    return Response::Error(422, "invalid", "kind must be coverage, tests or security", "kind");
  }
  int64_t step = body["step"];
  if (step < -1 || step > 100000) {
    return Response::Error(422, "invalid", "step must be a step index (or -1)", "step");
  }
  store::Job job;
  if (auto e = HeldJob(ctx, request, body["lease_id"], &job)) return *e;
  core::Masker masker;
  AddProjectSecrets(ctx, job, masker);
  nlohmann::json report = body["report"];
  MaskStrings(masker, report);
  if (auto s = StoreReport(ctx, job, static_cast<int>(step), kind, report); !s.ok()) {
    if (s.code() == core::StatusCode::kInvalidArgument) {
      return Response::Error(400, "invalid_report", s.message(), "report");
    }
    return StoreError(s);
  }
  ctx.notifier->Publish("run:" + std::to_string(job.run_id));
  return Response::Json(201, "{}");
}

Response Complete(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"lease_id", FieldType::kString, true},
                          {"conclusion", FieldType::kString, true},
                          {"outputs", FieldType::kObject, false},
                          {"error", FieldType::kString, false},
                          {"summary", FieldType::kString, false},
                          {"continued_on_error", FieldType::kBool, false},
                          {"failed_step", FieldType::kString, false},
                          {"jobs", FieldType::kArray, false}},
                         &body)) {
    return *e;
  }
  std::string conclusion = body["conclusion"];
  if (conclusion != "success" && conclusion != "failure" && conclusion != "cancelled" &&
      conclusion != "skipped") {
    return Response::Error(
        422, "invalid", "conclusion must be success, failure, cancelled or skipped", "conclusion");
  }
  auto id = ParseId(request.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such job");
  auto job = ctx.store->GetJob(*id);
  if (!job.ok()) return Response::Error(404, "not_found", "no such job");
  core::Masker masker;
  AddProjectSecrets(ctx, job.value(), masker);
  store::Job result;
  result.conclusion = conclusion;
  nlohmann::json outputs = MaskedOutputs(masker, body);
  result.outputs = Dump(outputs);
  result.error = masker.Mask(body.value("error", ""));
  result.summary = masker.Mask(body.value("summary", ""));
  result.continued_on_error = body.value("continued_on_error", false);
  // The jobs of a called workflow ("call/hello") become rows of their own, as GitHub lists
  // them, before the caller completes (and with it, perhaps, the run).
  if (job.value().status == "in_progress" && job.value().lease_id == body["lease_id"]) {
    for (const auto& n : body.value("jobs", nlohmann::json::array())) {
      if (!n.is_object() || !n.contains("job_id") || !n["job_id"].is_string()) {
        return Response::Error(400, "invalid_type", "each of jobs needs a string 'job_id'", "jobs");
      }
      store::Job row;
      row.run_id = job.value().run_id;
      row.attempt = job.value().attempt;
      row.job_id = n["job_id"];
      row.instance = n.value("instance", 0);
      row.name = n.value("name", row.job_id);
      row.created_at = ctx.now_ms();
      row.started_at = job.value().started_at;
      row.executor = job.value().executor;
      auto stored = ctx.store->UpsertJob(row);
      if (!stored.ok()) return StoreError(stored.status());
      if (stored.value().status == "completed") continue;
      store::Job done = stored.value();
      done.conclusion = n.value("conclusion", "failure");
      nlohmann::json outputs = MaskedOutputs(masker, n);
      done.outputs = Dump(outputs);
      done.error = masker.Mask(n.value("error", ""));
      done.completed_at = ctx.now_ms();
      (void)ctx.store->CompleteJob(done);
    }
  }
  auto s = ctx.scheduler->Complete(*id, body["lease_id"], result);
  if (!s.ok()) {
    if (s.code() == core::StatusCode::kNotFound) {
      return Response::Error(409, "lease_lost", "the lease no longer holds this job");
    }
    return StoreError(s);
  }
  return Response::Json(200, "{}");
}

}  // namespace

core::Status StoreLogs(ApiContext& ctx, store::Id job_id, const nlohmann::json& body,
                       int64_t* size) {
  auto job = ctx.store->GetJob(job_id);
  if (!job.ok()) return job.status();
  core::Masker masker;
  AddProjectSecrets(ctx, job.value(), masker);
  std::vector<store::LogChunk> chunks;
  for (const auto& c : body.value("chunks", nlohmann::json::array())) {
    if (!c.is_object() || !c.contains("seq") || !c["seq"].is_number_integer() ||
        !c.contains("data") || !c["data"].is_string()) {
      return core::Status::InvalidArgument("each chunk needs an integer 'seq' and a string 'data'");
    }
    store::LogChunk chunk;
    chunk.job_id = job_id;
    chunk.seq = c["seq"];
    chunk.step = c.value("step", -1);
    // Mask line by line: a secret never spans lines of a stored log.
    std::string data = c["data"];
    std::string masked;
    size_t pos = 0;
    while (pos < data.size()) {
      size_t end = data.find('\n', pos);
      if (end == std::string::npos) end = data.size();
      masked += masker.Mask(std::string_view(data).substr(pos, end - pos));
      masked += '\n';
      pos = end + 1;
    }
    chunk.data = std::move(masked);
    chunks.push_back(std::move(chunk));
  }
  std::vector<store::Annotation> annotations;
  for (const auto& a : body.value("annotations", nlohmann::json::array())) {
    if (!a.is_object()) continue;
    store::Annotation an;
    an.job_id = job_id;
    an.step = a.value("step", -1);
    an.seq = a.value("seq", int64_t{0});
    an.level = a.value("level", "notice");
    an.message = masker.Mask(a.value("message", ""));
    an.title = masker.Mask(a.value("title", ""));
    an.file = a.value("file", "");
    an.line = a.value("line", 0);
    an.end_line = a.value("end_line", 0);
    an.column = a.value("column", 0);
    an.end_column = a.value("end_column", 0);
    annotations.push_back(std::move(an));
  }
  if (!chunks.empty()) {
    for (const store::LogChunk& c : chunks) g_log_bytes += static_cast<int64_t>(c.data.size());
    auto stored = ctx.store->AppendLogs(job_id, chunks);
    if (!stored.ok()) return stored.status();
    *size = stored.value();
  }
  if (!annotations.empty()) {
    if (auto s = ctx.store->AddAnnotations(job_id, annotations); !s.ok()) return s;
  }
  ctx.notifier->Publish("job:" + std::to_string(job_id));
  return core::Status::Ok();
}

int64_t LogBytesReceived() { return g_log_bytes.load(); }

void AddProtocolRoutes(Router& router, ApiContext& ctx) {
  router.Add(
      "POST", "/api/v1/executor/lease",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor& e) { return Lease(ctx, r, e); }));
  router.Add(
      "POST", "/api/v1/executor/jobs/{id}/heartbeat",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return Heartbeat(ctx, r); }));
  router.Add("POST", "/api/v1/executor/jobs/{id}/logs",
             ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return Logs(ctx, r); }));
  router.Add(
      "POST", "/api/v1/executor/jobs/{id}/steps",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return Steps(ctx, r); }));
  router.Add(
      "PUT", "/api/v1/executor/jobs/{id}/artifacts/{name}",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return Artifact(ctx, r); }));
  router.Add("GET", "/api/v1/executor/jobs/{id}/artifacts",
             ForExecutor(
                 ctx, [&ctx](Request& r, const store::Executor&) { return ArtifactList(ctx, r); }));
  router.Add(
      "GET", "/api/v1/executor/jobs/{id}/artifacts/{name}",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return ArtifactGet(ctx, r); }));
  router.Add(
      "GET", "/api/v1/executor/jobs/{id}/cache",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return CacheGet(ctx, r); }));
  router.Add(
      "PUT", "/api/v1/executor/jobs/{id}/cache",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return CachePut(ctx, r); }));
  router.Add("GET", "/api/v1/executor/jobs/{id}/git/info/refs",
             ForExecutor(ctx, [&ctx](Request& r, const store::Executor& e) {
               return GitInfoRefs(ctx, r, e);
             }));
  router.Add("POST", "/api/v1/executor/jobs/{id}/git/{service}",
             ForExecutor(ctx, [&ctx](Request& r, const store::Executor& e) {
               return GitUploadPack(ctx, r, e);
             }));
  router.Add(
      "POST", "/api/v1/executor/jobs/{id}/reports",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return Reports(ctx, r); }));
  router.Add(
      "POST", "/api/v1/executor/jobs/{id}/complete",
      ForExecutor(ctx, [&ctx](Request& r, const store::Executor&) { return Complete(ctx, r); }));
}

}  // namespace gantry::server
