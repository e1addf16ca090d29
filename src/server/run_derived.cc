#include "server/run_derived.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "server/api.h"

namespace gantry::server {
AttemptState AttemptStateOf(const store::Run& run, const std::vector<store::Job>& jobs) {
  AttemptState out;
  if (jobs.empty()) {
    out.status = "completed";
    out.started_at = run.started_at;
    out.completed_at = run.completed_at;
    return out;
  }
  bool all_completed = true, any_started = false, cancelled = false, success = true;
  int64_t first_created = 0;
  for (const store::Job& job : jobs) {
    if (first_created == 0 || (job.created_at != 0 && job.created_at < first_created)) {
      first_created = job.created_at;
    }
    if (job.status != "completed") all_completed = false;
    if (job.status != "queued") any_started = true;
    // A carried-over job's started_at is its earlier attempt's, before this row existed.
    bool ran_here = job.started_at != 0 && job.started_at >= job.created_at;
    if (ran_here && (out.started_at == 0 || job.started_at < out.started_at)) {
      out.started_at = job.started_at;
    }
    out.completed_at = std::max(out.completed_at, job.completed_at);
    if (job.conclusion == "cancelled") cancelled = true;
    bool ok = job.conclusion == "success" || job.conclusion == "skipped" ||
              (job.conclusion == "failure" && job.continued_on_error);
    if (!ok) success = false;
  }
  if (!all_completed) {
    out.status = any_started ? "in_progress" : "queued";
    out.completed_at = 0;
    return out;
  }
  // Every job carried over: the attempt began when its rows were made.
  if (out.started_at == 0) out.started_at = first_created;
  out.status = "completed";
  out.conclusion = cancelled ? "cancelled" : success ? "success" : "failure";
  return out;
}

void SetAttemptState(nlohmann::json& run_json, const store::Run& run,
                     const std::vector<store::Job>& jobs) {
  AttemptState state = AttemptStateOf(run, jobs);
  run_json["status"] = state.status;
  run_json["conclusion"] =
      state.conclusion.empty() ? nlohmann::json(nullptr) : nlohmann::json(state.conclusion);
  run_json["started_at"] = TimeJson(state.started_at);
  run_json["completed_at"] = TimeJson(state.completed_at);
}

}  // namespace gantry::server
