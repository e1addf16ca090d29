#pragma once

// The client side of the executor protocol (docs/executor-protocol.md): one method per call,
// each retried with bounded exponential backoff.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"
#include "engine/run_observer.h"
#include "executor/job_spec.h"
#include "executor/transport.h"

namespace gantry::executor {

/// How calls are retried. A transport error, a 5xx, 408 and 429 are retried; any other 4xx
/// is not.
struct RetryPolicy {
  int max_attempts = 8;                            // attempts in all (>= 1)
  std::chrono::milliseconds initial_backoff{200};  // before the 2nd attempt
  std::chrono::milliseconds max_backoff{10000};    // cap of one wait (also of a Retry-After)
  double multiplier = 2.0;
  /// Sleeps `d` unless `cancel` (may be nullptr) fires first; returns false when it fired.
  /// Unset: a real wait. Tests record the waits instead.
  std::function<bool(std::chrono::milliseconds d, const backend::CancelToken* cancel)> sleep;
};

/// The wait before attempt `attempt` + 1 (attempt >= 1): initial * multiplier^(attempt-1),
/// capped at max_backoff.
std::chrono::milliseconds BackoffFor(const RetryPolicy& policy, int attempt);

/// True when `status` came from `409 lease_lost`: the lease no longer holds the job (stop it
/// and drop what is left to send). The code is NotFound; no other answer maps to NotFound.
bool IsLeaseLost(const core::Status& status);

/// A job the server leased to this executor.
struct Lease {
  std::string lease_id;
  int lease_seconds = 60;
  /// How often to send heartbeats (the server's "heartbeat_seconds"; 0 = lease_seconds / 3).
  int heartbeat_seconds = 0;
  int64_t job_id = 0;  // the SPEC's id (0 when even that was unreadable)
  /// The parsed SPEC; unset when it is malformed, `spec_error` saying why (the agent then
  /// fails the job with that error).
  std::optional<JobSpec> spec;
  std::string spec_error = "job: missing";
};

/// The answer to a heartbeat.
struct HeartbeatReply {
  bool cancel = false;
  int lease_seconds = 60;
  int heartbeat_seconds = 0;  // 0 = lease_seconds / 3
};

/// One chunk of log lines (each "<timestamp> <text>\n").
struct LogChunk {
  int64_t seq = 0;
  int step = 0;
  std::string data;
};

/// An annotation with the step it belongs to (-1: the job).
struct StepAnnotation {
  int step = -1;
  /// Per job, from 1: the server stores an annotation of a batch sent twice once.
  int64_t seq = 0;
  engine::Annotation annotation;
};

/// A step transition for the steps call.
struct StepUpdate {
  int index = 0;
  std::string stage;  // "", "pre", "post"
  std::string name;
  bool completed = false;  // false: in_progress
  std::optional<engine::Conclusion> conclusion, outcome;
  std::string error;
  bool background = false;
  int64_t started_at_ms = 0;    // Unix ms; 0 = unknown
  int64_t completed_at_ms = 0;  // Unix ms; 0 = not completed
};

/// The complete call's content.
struct Completion {
  engine::Conclusion conclusion = engine::Conclusion::kSuccess;
  std::map<std::string, std::string> outputs;
  std::string error;
  std::string summary;
  bool continued_on_error = false;
  std::string failed_step;
  /// The jobs of a workflow this job called (`jobs.<id>.uses`), as the server lists them.
  std::vector<engine::JobReport> nested_jobs;
};

/// An artifact of the job's run, as the server lists it.
struct RemoteArtifact {
  std::string name;
  int64_t size = 0;
  std::string sha256;  // of the zip
};

/// A cache hit: the key that matched and the archive.
struct CacheHit {
  std::string key;
  std::string archive;
};

/// What an executor tells the server when it registers (POST /api/v1/executor/register).
struct RegisterRequest {
  std::string registration_token;   // the one-time token an admin created; sent in the body
  std::string name;                 // shown in GET /api/v1/executors, e.g. the host name
  std::vector<std::string> labels;  // what `runs-on` is matched against
  std::string version;              // the executor's gantry version
  int capacity = 1;                 // jobs it runs at once
};

/// The registration's answer.
struct Registration {
  int64_t id = 0;     // the executor's id on the server
  std::string token;  // the executor token ("gne_..."), the bearer of every later call
};

/// The protocol calls. Thread-safe (state is the transport's). Errors: Unavailable after the
/// retries were used up; NotFound for lease_lost (IsLeaseLost); PermissionDenied for 401/403;
/// InvalidArgument for another 4xx (the server's message, naming the field); Cancelled when
/// `cancel` fired.
class ProtocolClient {
 public:
  /// `transport` must outlive the client; `token` is the executor token ("" before register).
  ProtocolClient(Transport& transport, std::string token, RetryPolicy policy = {});

  /// Long-polls for a job: nullopt when none came within `wait_seconds`.
  core::Result<std::optional<Lease>> LeaseJob(int capacity, const std::vector<std::string>& labels,
                                              int wait_seconds,
                                              const backend::CancelToken* cancel = nullptr);
  /// `budget` (0 = none) bounds the call with its retries: a heartbeat must not outlast the
  /// next one.
  core::Result<HeartbeatReply> Heartbeat(int64_t job, const std::string& lease_id,
                                         std::chrono::milliseconds budget = {});
  core::Status SendLogs(int64_t job, const std::string& lease_id,
                        const std::vector<LogChunk>& chunks,
                        const std::vector<StepAnnotation>& annotations);
  core::Status SendSteps(int64_t job, const std::string& lease_id,
                         const std::vector<StepUpdate>& steps);
  /// Sends report `json` (reports/report.h wire format) of kind `kind` that step `step` made.
  core::Status SendReport(int64_t job, const std::string& lease_id, const std::string& kind,
                          int step, const std::string& json);
  /// Uploads the zip of artifact `name`.
  core::Status UploadArtifact(int64_t job, const std::string& lease_id, const std::string& name,
                              const std::string& zip);
  /// The artifacts of the job's run uploaded so far (this attempt or an earlier one).
  core::Result<std::vector<RemoteArtifact>> ListArtifacts(int64_t job, const std::string& lease_id);
  /// The zip of artifact `name` of the job's run (InvalidArgument when the server has none).
  core::Result<std::string> DownloadArtifact(int64_t job, const std::string& lease_id,
                                             const std::string& name);
  /// nullopt when no cache entry matched.
  core::Result<std::optional<CacheHit>> GetCache(int64_t job, const std::string& lease_id,
                                                 const std::string& key,
                                                 const std::vector<std::string>& restore_keys,
                                                 const std::string& version);
  core::Status PutCache(int64_t job, const std::string& lease_id, const std::string& key,
                        const std::string& version, const std::string& archive);
  /// `budget` as for Heartbeat (0 = the retry policy alone).
  core::Status Complete(int64_t job, const std::string& lease_id, const Completion& completion,
                        std::chrono::milliseconds budget = {});
  /// Exchanges a one-time registration token for an executor token. Sends no bearer token
  /// even when the client has one. PermissionDenied for 401/403 (an unknown, expired or used
  /// registration token), InvalidArgument for 422 (e.g. no name), each carrying the server's
  /// message; Internal when a 2xx answer has no token.
  core::Result<Registration> Register(const RegisterRequest& request);

 private:
  /// Sends `request` with retries; returns the first 2xx reply or the error. `budget` (0 =
  /// none) bounds the whole call: attempts end within it and no wait runs past it.
  /// `authorize`: send the executor token as the bearer.
  core::Result<HttpReply> Call(HttpRequest request, const backend::CancelToken* cancel,
                               std::chrono::milliseconds budget = {}, bool authorize = true);

  Transport& transport_;
  std::string token_;
  RetryPolicy policy_;
};

/// The RFC 3339 UTC timestamp with milliseconds of `t` ("2026-12-05T21:59:03.123Z").
std::string Rfc3339Millis(std::chrono::system_clock::time_point t);

}  // namespace gantry::executor
