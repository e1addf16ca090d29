// `gantry run view`: a run's jobs, steps, annotations, artifacts and step summaries, or its
// logs (--log, --log-failed) as "JOB<TAB>STEP<TAB>LINE" lines like gh.

#include <chrono>
#include <iostream>

#include "cli/markdown_terminal.h"
#include "cli/run_commands.h"
#include "cli/run_render.h"

namespace gantry::cli {
namespace {

using nlohmann::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Failed(const json& item) {
  std::string c = item.value("conclusion", json()).is_string()
                      ? item["conclusion"].get<std::string>()
                      : std::string();
  return c == "failure" || c == "timed_out" || c == "startup_failure";
}

// A name for one tab-separated column: no tabs or newlines, control characters escaped.
std::string Column(const std::string& text) {
  std::string out = EscapeControl(text);
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

int RunCommands::RunView(ApiClient& api) {
  auto id = PickRun(api, false);
  if (!id.ok()) return Fail(id.status());
  std::string what = "run " + std::to_string(id.value());
  auto got = api.Get("/api/v1/runs/" + std::to_string(id.value()), what);
  if (!got.ok()) return Fail(got.status());
  json run = std::move(got).value();
  if (!job_.empty()) {
    // Only that job (which must belong to the run).
    json kept = json::array();
    for (const json& job : run.value("jobs", json::array())) {
      if (std::to_string(job.value("id", int64_t{0})) == job_) kept.push_back(job);
    }
    if (kept.empty()) {
      return Fail(core::Status::NotFound("job " + job_ + " not found in " + what));
    }
    run["jobs"] = kept;
  }
  int exit_code = 0;
  if (exit_status_ && run.value("status", "") == "completed" && Failed(run)) exit_code = 1;
  if (log_ || log_failed_) {
    int logs = PrintLogs(api, run);
    return logs != 0 ? logs : exit_code;
  }
  ViewParts parts;
  parts.steps = verbose_ || !job_.empty();
  for (const json& job : run.value("jobs", json::array())) {
    int64_t jid = job.value("id", int64_t{0});
    auto detail = api.Get("/api/v1/jobs/" + std::to_string(jid), "job " + std::to_string(jid));
    if (!detail.ok()) return Fail(detail.status());
    parts.details.push_back(std::move(detail).value());
  }
  if (job_.empty()) {
    auto artifacts = api.Get("/api/v1/runs/" + std::to_string(id.value()) + "/artifacts", what);
    if (!artifacts.ok()) return Fail(artifacts.status());
    parts.artifacts = artifacts.value().value("artifacts", json::array());
    // A server without reports (older) answers 404: the view goes on without them.
    auto reports = api.Get("/api/v1/runs/" + std::to_string(id.value()) + "/reports", what);
    if (reports.ok()) parts.reports = std::move(reports).value();
  }
  if (json_opt_ != nullptr && json_opt_->count() > 0) {
    json out = run;
    out["jobs"] = json::array();
    for (const json& detail : parts.details) out["jobs"].push_back(detail);
    out["artifacts"] = parts.artifacts;
    if (job_.empty()) out["reports"] = parts.reports;
    int printed = Json(out);
    return printed != 0 ? printed : exit_code;
  }
  for (const std::string& line : RenderRunView(style_, run, parts, NowMs())) {
    std::cout << line << "\n";
  }
  return exit_code;
}

int RunCommands::PrintLogs(ApiClient& api, const json& run) {
  for (const json& job : run.value("jobs", json::array())) {
    if (log_failed_ && !Failed(job)) continue;
    int64_t jid = job.value("id", int64_t{0});
    std::string job_name = Column(job.value("name", ""));
    // Lines logged before the first step (setup), then each step's.
    std::vector<std::pair<int, std::string>> parts;
    if (!log_failed_) parts.emplace_back(-1, "Set up job");
    for (const json& step : job.value("steps", json::array())) {
      if (log_failed_ && !Failed(step)) continue;
      if (step.value("stage", "") == "pre") continue;  // pre stages share the steps' indexes
      parts.emplace_back(step.value("index", 0), Column(step.value("name", "")));
    }
    for (const auto& [index, step_name] : parts) {
      std::string path =
          "/api/v1/jobs/" + std::to_string(jid) + "/logs?step=" + std::to_string(index);
      auto text = api.GetRaw(path, "job " + std::to_string(jid));
      if (!text.ok()) return Fail(text.status());
      const std::string& body = text.value().body;
      size_t pos = 0;
      while (pos < body.size()) {
        size_t nl = body.find('\n', pos);
        if (nl == std::string::npos) nl = body.size();
        std::cout << job_name << '\t' << step_name << '\t' << body.substr(pos, nl - pos) << '\n';
        pos = nl + 1;
      }
    }
  }
  std::cout.flush();
  return 0;
}

}  // namespace gantry::cli
