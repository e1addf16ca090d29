#include "executor/client.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "backend/docker/http.h"

namespace gantry::executor {
namespace {

using json = nlohmann::ordered_json;
using core::Status;
using std::chrono::milliseconds;

constexpr const char* kPrefix = "/api/v1/executor";

std::string JobPath(int64_t job, const char* what) {
  return std::string(kPrefix) + "/jobs/" + std::to_string(job) + "/" + what;
}

bool RealSleep(milliseconds d, const backend::CancelToken* cancel) {
  if (cancel == nullptr) {
    struct timespec ts {
      static_cast<time_t>(d.count() / 1000), static_cast<long>(d.count() % 1000) * 1000000L
    };
    while (nanosleep(&ts, &ts) != 0) {
    }
    return true;
  }
  return cancel->SleepFor(d);
}

// The server's {"error":{"code","message","field"}}, as one line.
struct ServerError {
  std::string code, message;
};

ServerError ReadError(const HttpReply& reply) {
  ServerError e;
  json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& err = j["error"];
    if (err.contains("code") && err["code"].is_string()) e.code = err["code"].get<std::string>();
    if (err.contains("message") && err["message"].is_string()) {
      e.message = err["message"].get<std::string>();
    }
    if (err.contains("field") && err["field"].is_string()) {
      e.message += " (field " + err["field"].get<std::string>() + ")";
    }
  }
  if (e.message.empty()) e.message = reply.body.substr(0, 200);
  return e;
}

bool Retryable(long status) { return status >= 500 || status == 408 || status == 429; }

// A Retry-After of whole seconds, when the server sent one.
std::optional<milliseconds> RetryAfter(const HttpReply& reply) {
  std::string v = reply.Header("Retry-After");
  if (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit) || v.size() > 6) return {};
  return milliseconds(std::stoll(v) * 1000);
}

const char* ConclusionText(engine::Conclusion c) { return engine::ConclusionName(c); }

json ParseBody(const HttpReply& reply) {
  return json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

std::chrono::milliseconds BackoffFor(const RetryPolicy& policy, int attempt) {
  double ms = static_cast<double>(policy.initial_backoff.count()) *
              std::pow(policy.multiplier, std::max(0, attempt - 1));
  double cap = static_cast<double>(policy.max_backoff.count());
  return milliseconds(static_cast<int64_t>(std::min(ms, cap)));
}

bool IsLeaseLost(const core::Status& status) {
  return status.code() == core::StatusCode::kNotFound;
}

std::string Rfc3339Millis(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

ProtocolClient::ProtocolClient(Transport& transport, std::string token, RetryPolicy policy)
    : transport_(transport), token_(std::move(token)), policy_(std::move(policy)) {
  if (!policy_.sleep) policy_.sleep = RealSleep;
  policy_.max_attempts = std::max(1, policy_.max_attempts);
}

core::Result<HttpReply> ProtocolClient::Call(HttpRequest request,
                                             const backend::CancelToken* cancel,
                                             milliseconds budget, bool authorize) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point end =
      budget.count() > 0 ? Clock::now() + budget : Clock::time_point::max();
  if (budget.count() > 0 && (request.timeout.count() == 0 || request.timeout > budget)) {
    request.timeout = budget;
  }
  if (authorize && !token_.empty())
    request.headers.emplace_back("Authorization", "Bearer " + token_);
  const std::string what = request.method + " " + request.path.substr(0, request.path.find('?'));
  Status last;
  for (int attempt = 1;; ++attempt) {
    std::optional<milliseconds> wait;
    auto reply = transport_.Send(request, cancel);
    if (!reply.ok()) {
      if (reply.status().code() == core::StatusCode::kCancelled) return reply.status();
      last = Status::Unavailable(what + ": " + reply.status().message());
    } else if (reply->status >= 200 && reply->status < 300) {
      return reply;
    } else {
      ServerError e = ReadError(*reply);
      std::string text = what + ": " + std::to_string(reply->status) +
                         (e.code.empty() ? "" : " " + e.code) + ": " + e.message;
      if (reply->status == 409 && e.code == "lease_lost") return Status::NotFound(text);
      if (reply->status == 401 || reply->status == 403) return Status::PermissionDenied(text);
      if (reply->status == 404) {
        return Status::InvalidArgument(text + " (is the URL that of a Gantry server?)");
      }
      if (!Retryable(reply->status)) {
        if (reply->status == 409) return Status::AlreadyExists(text);
        return Status::InvalidArgument(text);
      }
      last = Status::Unavailable(text);
      wait = RetryAfter(*reply);
    }
    if (attempt >= policy_.max_attempts) {
      return Status::Unavailable(last.message() + " (gave up after " + std::to_string(attempt) +
                                 " attempts)");
    }
    milliseconds d = wait ? std::min(*wait, policy_.max_backoff) : BackoffFor(policy_, attempt);
    if (end != Clock::time_point::max()) {
      if (Clock::now() + d >= end) {
        return Status::Unavailable(last.message() + " (gave up after " + std::to_string(attempt) +
                                   " attempts: no time left)");
      }
      // Later attempts get what is left of the budget.
      request.timeout = std::max(milliseconds(1),
                                 std::chrono::duration_cast<milliseconds>(end - Clock::now() - d));
    }
    if (!policy_.sleep(d, cancel)) return Status::Cancelled(what + " was cancelled");
  }
}

core::Result<std::optional<Lease>> ProtocolClient::LeaseJob(int capacity,
                                                            const std::vector<std::string>& labels,
                                                            int wait_seconds,
                                                            const backend::CancelToken* cancel) {
  wait_seconds = std::clamp(wait_seconds, 0, 60);
  HttpRequest req;
  req.method = "POST";
  req.path = std::string(kPrefix) + "/lease";
  req.body =
      json{{"capacity", capacity}, {"labels", labels}, {"wait_seconds", wait_seconds}}.dump();
  // The server holds the request for up to wait_seconds; a dead connection shows after more.
  req.timeout = milliseconds((wait_seconds + 15) * 1000);
  auto reply = Call(std::move(req), cancel);
  if (!reply.ok()) return reply.status();
  if (reply->status == 204) return std::optional<Lease>();
  json j = ParseBody(*reply);
  if (!j.is_object() || !j.contains("lease_id") || !j["lease_id"].is_string()) {
    return Status::Internal("POST /lease: the answer has no lease_id: " +
                            reply->body.substr(0, 200));
  }
  Lease lease;
  lease.lease_id = j["lease_id"].get<std::string>();
  if (j.contains("lease_seconds") && j["lease_seconds"].is_number_integer()) {
    lease.lease_seconds = std::max(1, j["lease_seconds"].get<int>());
  }
  if (j.contains("heartbeat_seconds") && j["heartbeat_seconds"].is_number_integer()) {
    lease.heartbeat_seconds = std::max(0, j["heartbeat_seconds"].get<int>());
  }
  if (j.contains("job") && j["job"].is_object()) {
    const json& job = j["job"];
    if (job.contains("id") && job["id"].is_number_integer())
      lease.job_id = job["id"].get<int64_t>();
    auto spec = ParseJobSpec(job);
    if (spec.ok()) {
      lease.spec = std::move(*spec);
      lease.spec_error.clear();
    } else {
      lease.spec_error = spec.status().message();
    }
  }
  return std::optional<Lease>(std::move(lease));
}

core::Result<HeartbeatReply> ProtocolClient::Heartbeat(int64_t job, const std::string& lease_id,
                                                       milliseconds budget) {
  HttpRequest req;
  req.method = "POST";
  req.path = JobPath(job, "heartbeat");
  req.body = json{{"lease_id", lease_id}}.dump();
  req.timeout = milliseconds(30000);
  auto reply = Call(std::move(req), nullptr, budget);
  if (!reply.ok()) return reply.status();
  HeartbeatReply hb;
  json j = ParseBody(*reply);
  if (j.is_object()) {
    if (j.contains("cancel") && j["cancel"].is_boolean()) hb.cancel = j["cancel"].get<bool>();
    if (j.contains("lease_seconds") && j["lease_seconds"].is_number_integer()) {
      hb.lease_seconds = std::max(1, j["lease_seconds"].get<int>());
    }
    if (j.contains("heartbeat_seconds") && j["heartbeat_seconds"].is_number_integer()) {
      hb.heartbeat_seconds = std::max(0, j["heartbeat_seconds"].get<int>());
    }
  }
  return hb;
}

core::Status ProtocolClient::SendLogs(int64_t job, const std::string& lease_id,
                                      const std::vector<LogChunk>& chunks,
                                      const std::vector<StepAnnotation>& annotations) {
  json c = json::array();
  for (const LogChunk& chunk : chunks) {
    c.push_back({{"seq", chunk.seq}, {"step", chunk.step}, {"data", chunk.data}});
  }
  json a = json::array();
  for (const StepAnnotation& sa : annotations) {
    const engine::Annotation& an = sa.annotation;
    a.push_back({{"step", sa.step},
                 {"seq", sa.seq},
                 {"level", an.level},
                 {"message", an.message},
                 {"title", an.title},
                 {"file", an.file},
                 {"line", an.line},
                 {"end_line", an.end_line},
                 {"column", an.column},
                 {"end_column", an.end_column}});
  }
  HttpRequest req;
  req.method = "POST";
  req.path = JobPath(job, "logs");
  // Invalid UTF-8 in a line must not make dump() throw: replace it.
  req.body = json{{"lease_id", lease_id}, {"chunks", c}, {"annotations", a}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  req.timeout = milliseconds(60000);
  auto reply = Call(std::move(req), nullptr);
  return reply.status();
}

core::Status ProtocolClient::SendSteps(int64_t job, const std::string& lease_id,
                                       const std::vector<StepUpdate>& steps) {
  json s = json::array();
  for (const StepUpdate& u : steps) {
    json step = {{"index", u.index},
                 {"stage", u.stage},
                 {"name", u.name},
                 {"status", u.completed ? "completed" : "in_progress"},
                 {"background", u.background}};
    if (u.conclusion) step["conclusion"] = ConclusionText(*u.conclusion);
    if (u.outcome) step["outcome"] = ConclusionText(*u.outcome);
    if (!u.error.empty()) step["error"] = u.error;
    if (u.started_at_ms != 0) step["started_at"] = u.started_at_ms;
    if (u.completed_at_ms != 0) step["completed_at"] = u.completed_at_ms;
    s.push_back(std::move(step));
  }
  HttpRequest req;
  req.method = "POST";
  req.path = JobPath(job, "steps");
  req.body = json{{"lease_id", lease_id}, {"steps", s}}.dump(-1, ' ', false,
                                                             json::error_handler_t::replace);
  req.timeout = milliseconds(30000);
  return Call(std::move(req), nullptr).status();
}

core::Status ProtocolClient::SendReport(int64_t job, const std::string& lease_id,
                                        const std::string& kind, int step,
                                        const std::string& report) {
  json parsed = json::parse(report, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return core::Status::InvalidArgument("the " + kind + " report is not a JSON object");
  }
  HttpRequest req;
  req.method = "POST";
  req.path = JobPath(job, "reports");
  req.body = json{{"lease_id", lease_id}, {"kind", kind}, {"step", step}, {"report", parsed}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  req.timeout = milliseconds(30000);
  return Call(std::move(req), nullptr).status();
}

core::Status ProtocolClient::UploadArtifact(int64_t job, const std::string& lease_id,
                                            const std::string& name, const std::string& zip) {
  using backend::docker::UrlEncode;
  HttpRequest req;
  req.method = "PUT";
  req.path = JobPath(job, "artifacts/") + UrlEncode(name) + "?lease_id=" + UrlEncode(lease_id);
  req.body = zip;
  req.content_type = "application/zip";
  req.timeout = milliseconds(30 * 60 * 1000);
  return Call(std::move(req), nullptr).status();
}

core::Result<std::vector<RemoteArtifact>> ProtocolClient::ListArtifacts(
    int64_t job, const std::string& lease_id) {
  using backend::docker::UrlEncode;
  HttpRequest req;
  req.method = "GET";
  req.path = JobPath(job, "artifacts") + "?lease_id=" + UrlEncode(lease_id);
  req.timeout = milliseconds(60 * 1000);
  auto reply = Call(std::move(req), nullptr);
  if (!reply.ok()) return reply.status();
  json j = ParseBody(*reply);
  if (!j.is_object() || !j.contains("artifacts") || !j["artifacts"].is_array()) {
    return Status::Internal("the artifact list is not {\"artifacts\":[…]}");
  }
  std::vector<RemoteArtifact> out;
  for (const json& a : j["artifacts"]) {
    if (!a.is_object() || !a.contains("name") || !a["name"].is_string()) continue;
    RemoteArtifact r;
    r.name = a["name"].get<std::string>();
    if (a.contains("size") && a["size"].is_number_integer()) r.size = a["size"].get<int64_t>();
    if (a.contains("sha256") && a["sha256"].is_string()) r.sha256 = a["sha256"].get<std::string>();
    out.push_back(std::move(r));
  }
  return out;
}

core::Result<std::string> ProtocolClient::DownloadArtifact(int64_t job, const std::string& lease_id,
                                                           const std::string& name) {
  using backend::docker::UrlEncode;
  HttpRequest req;
  req.method = "GET";
  req.path = JobPath(job, "artifacts/") + UrlEncode(name) + "?lease_id=" + UrlEncode(lease_id);
  req.timeout = milliseconds(30 * 60 * 1000);
  auto reply = Call(std::move(req), nullptr);
  if (!reply.ok()) return reply.status();
  return std::move(reply->body);
}

core::Result<std::optional<CacheHit>> ProtocolClient::GetCache(
    int64_t job, const std::string& lease_id, const std::string& key,
    const std::vector<std::string>& restore_keys, const std::string& version) {
  using backend::docker::UrlEncode;
  std::string restore;
  for (const std::string& k : restore_keys) restore += (restore.empty() ? "" : ",") + UrlEncode(k);
  HttpRequest req;
  req.method = "GET";
  req.path = JobPath(job, "cache") + "?key=" + UrlEncode(key) + "&restore_keys=" + restore +
             "&version=" + UrlEncode(version) + "&lease_id=" + UrlEncode(lease_id);
  req.timeout = milliseconds(30 * 60 * 1000);
  auto reply = Call(std::move(req), nullptr);
  if (!reply.ok()) return reply.status();
  if (reply->status == 204) return std::optional<CacheHit>();
  return std::optional<CacheHit>(CacheHit{reply->Header("X-Cache-Key"), std::move(reply->body)});
}

core::Status ProtocolClient::PutCache(int64_t job, const std::string& lease_id,
                                      const std::string& key, const std::string& version,
                                      const std::string& archive) {
  using backend::docker::UrlEncode;
  HttpRequest req;
  req.method = "PUT";
  req.path = JobPath(job, "cache") + "?key=" + UrlEncode(key) + "&version=" + UrlEncode(version) +
             "&lease_id=" + UrlEncode(lease_id);
  req.body = archive;
  req.content_type = "application/x-tar";
  req.timeout = milliseconds(30 * 60 * 1000);
  return Call(std::move(req), nullptr).status();
}

core::Status ProtocolClient::Complete(int64_t job, const std::string& lease_id, const Completion& c,
                                      milliseconds budget) {
  json outputs = json::object();
  for (const auto& [k, v] : c.outputs) outputs[k] = v;
  json nested = json::array();
  for (const engine::JobReport& r : c.nested_jobs) {
    json o = json::object();
    for (const auto& [k, v] : r.outputs) o[k] = v;
    nested.push_back({{"job_id", r.key.job_id},
                      {"instance", r.key.instance},
                      {"name", r.key.display_name},
                      {"conclusion", ConclusionText(r.conclusion)},
                      {"outputs", o},
                      {"error", r.error}});
  }
  HttpRequest req;
  req.method = "POST";
  req.path = JobPath(job, "complete");
  json body = {{"lease_id", lease_id},        {"conclusion", ConclusionText(c.conclusion)},
               {"outputs", outputs},          {"error", c.error},
               {"summary", c.summary},        {"continued_on_error", c.continued_on_error},
               {"failed_step", c.failed_step}};
  if (!nested.empty()) body["jobs"] = nested;
  req.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout = milliseconds(30000);
  return Call(std::move(req), nullptr, budget).status();
}

core::Result<Registration> ProtocolClient::Register(const RegisterRequest& request) {
  HttpRequest req;
  req.method = "POST";
  req.path = std::string(kPrefix) + "/register";
  req.body = json{{"token", request.registration_token},
                  {"name", request.name},
                  {"labels", request.labels},
                  {"version", request.version},
                  {"capacity", request.capacity}}
                 .dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout = milliseconds(30000);
  // The registration token is the credential here; an executor token from an earlier
  // registration must not go along.
  auto reply = Call(std::move(req), nullptr, {}, /*authorize=*/false);
  if (!reply.ok()) return reply.status();
  json j = ParseBody(*reply);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string() ||
      j["token"].get<std::string>().empty()) {
    return Status::Internal("POST /api/v1/executor/register: the answer has no token: " +
                            reply->body.substr(0, 200));
  }
  Registration r;
  r.token = j["token"].get<std::string>();
  if (j.contains("id") && j["id"].is_number_integer()) r.id = j["id"].get<int64_t>();
  return r;
}

}  // namespace gantry::executor
