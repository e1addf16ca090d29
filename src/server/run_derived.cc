#include "server/run_derived.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

#include "server/api.h"

namespace gantry::server {
namespace {

std::optional<int64_t> PositiveNumber(std::string_view text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return n;
}

std::optional<int64_t> NumberIn(const nlohmann::json& j) {
  if (j.is_number_integer() && j.get<int64_t>() > 0) return j.get<int64_t>();
  if (j.is_string()) return PositiveNumber(j.get<std::string>());
  return std::nullopt;
}

}  // namespace

AttemptState AttemptStateOf(const store::Run& run, const std::vector<store::Job>& jobs) {
  AttemptState out;
  if (jobs.empty()) {
    out.status = "completed";
    out.started_at = run.started_at;
    out.completed_at = run.completed_at;
    return out;
  }
  bool all_completed = true, any_started = false, cancelled = false, success = true;
  bool any_waiting = false;  // for an environment's reviewers or wait timer
  int64_t first_created = 0;
  for (const store::Job& job : jobs) {
    if (first_created == 0 || (job.created_at != 0 && job.created_at < first_created)) {
      first_created = job.created_at;
    }
    if (job.status != "completed") all_completed = false;
    if (job.status == "waiting") any_waiting = true;
    if (job.status != "queued" && job.status != "waiting") any_started = true;
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
    out.status = any_waiting ? "waiting" : any_started ? "in_progress" : "queued";
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

std::optional<int64_t> PullRequestNumber(const store::Run& run) {
  if (run.event.rfind("pull_request", 0) != 0) return std::nullopt;
  nlohmann::json payload = nlohmann::json::parse(run.event_payload, nullptr, false);
  if (payload.is_object()) {
    if (auto n = NumberIn(payload.value("number", nlohmann::json()))) return n;
    auto pr = payload.find("pull_request");
    if (pr != payload.end() && pr->is_object()) {
      if (auto n = NumberIn(pr->value("number", nlohmann::json()))) return n;
    }
  }
  constexpr std::string_view kPrefix = "refs/pull/";
  std::string_view ref = run.ref;
  if (ref.rfind(kPrefix, 0) != 0) return std::nullopt;
  ref.remove_prefix(kPrefix.size());
  return PositiveNumber(ref.substr(0, ref.find('/')));
}

std::string HeadBranch(const store::Run& run) {
  if (run.ref.rfind("refs/heads/", 0) == 0) return run.ref.substr(11);
  if (run.event.rfind("pull_request", 0) == 0) {
    nlohmann::json ev = nlohmann::json::parse(run.event_payload, nullptr, false);
    if (ev.is_object() && ev.contains("pull_request") && ev["pull_request"].is_object() &&
        ev["pull_request"].contains("head") && ev["pull_request"]["head"].is_object()) {
      return ev["pull_request"]["head"].value("ref", "");
    }
  }
  return "";
}

}  // namespace gantry::server
