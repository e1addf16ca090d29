#include "cli/json_printer.h"

#include <ctime>

namespace gantry::cli {
namespace {

using json = nlohmann::ordered_json;

std::string NowIso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

JsonPrinter::JsonPrinter(std::ostream& out, bool verbose) : out_(out), verbose_(verbose) {}

json JsonPrinter::Event(const char* type) {
  json e;
  e["type"] = type;
  e["time"] = NowIso();
  return e;
}

json JsonPrinter::JobEvent(const char* type, const engine::JobKey& job) {
  json e = Event(type);
  e["job"] = job.job_id;
  e["instance"] = job.instance;
  e["name"] = job.display_name;
  return e;
}

void JsonPrinter::Emit(const json& event) {
  // Output of a step may hold invalid UTF-8: replace it rather than throw.
  std::string line = event.dump(-1, ' ', false, json::error_handler_t::replace);
  std::lock_guard lock(mu_);
  out_ << line << '\n' << std::flush;
}

void JsonPrinter::RunStarted(const std::string& workflow, const std::string& file,
                             const std::string& event, const std::vector<std::string>& jobs) {
  json e = Event("run_started");
  e["workflow"] = workflow;
  e["file"] = file;
  e["event"] = event;
  e["jobs"] = jobs;
  Emit(e);
}

json JsonPrinter::JobJson(const engine::JobReport& job) {
  json j;
  j["job"] = job.key.job_id;
  j["instance"] = job.key.instance;
  j["name"] = job.key.display_name;
  j["conclusion"] = engine::ConclusionName(job.conclusion);
  j["duration_ms"] = job.duration.count();
  j["failed_step"] = job.failed_step;
  j["error"] = job.error;
  if (!job.not_here.empty()) j["not_here"] = job.not_here;
  json outputs = json::object();
  for (const auto& [k, v] : job.outputs) outputs[k] = v;
  j["outputs"] = std::move(outputs);
  return j;
}

void JsonPrinter::RunFinished(const WorkflowRunResult& run, std::chrono::milliseconds duration) {
  json e = Event("run_finished");
  e["workflow"] = run.workflow;
  e["file"] = run.file;
  e["conclusion"] = engine::ConclusionName(run.report.conclusion());
  e["duration_ms"] = duration.count();
  Emit(e);
}

void JsonPrinter::Summary(const std::vector<WorkflowRunResult>& runs,
                          std::chrono::milliseconds total, bool cancelled, int exit_code) {
  json e = Event("summary");
  bool ok = !cancelled;
  json jobs = json::array();
  for (const auto& run : runs) {
    ok = ok && run.report.success();
    for (const auto& job : run.report.jobs) {
      json j = JobJson(job);
      j["workflow"] = run.workflow;
      j["summary"] = job.summary;
      jobs.push_back(std::move(j));
    }
  }
  e["conclusion"] = cancelled ? "cancelled" : ok ? "success" : "failure";
  e["exit_code"] = exit_code;
  e["duration_ms"] = total.count();
  e["cancelled"] = cancelled;
  e["jobs"] = std::move(jobs);
  Emit(e);
}

void JsonPrinter::Error(const std::string& message) {
  json e = Event("error");
  e["message"] = message;
  Emit(e);
}

void JsonPrinter::OnJobStarted(const engine::JobKey& job) { Emit(JobEvent("job_started", job)); }

void JsonPrinter::OnStepStarted(const engine::JobKey& job, int index, const std::string& name) {
  json e = JobEvent("step_started", job);
  e["step"] = index;
  e["step_name"] = name;
  Emit(e);
}

void JsonPrinter::OnLogLine(const engine::JobKey& job, int step, std::string_view line) {
  json e = JobEvent("log", job);
  e["step"] = step;
  e["line"] = std::string(line);
  Emit(e);
}

void JsonPrinter::OnGroup(const engine::JobKey& job, int step, bool start, std::string_view title) {
  json e = JobEvent("group", job);
  e["step"] = step;
  e["start"] = start;
  e["title"] = std::string(title);
  Emit(e);
}

void JsonPrinter::OnDebug(const engine::JobKey& job, int step, std::string_view message) {
  if (!verbose_) return;
  json e = JobEvent("debug", job);
  e["step"] = step;
  e["message"] = std::string(message);
  Emit(e);
}

void JsonPrinter::OnAnnotation(const engine::JobKey& job, int step, const engine::Annotation& a) {
  json e = JobEvent("annotation", job);
  e["step"] = step;
  e["level"] = a.level;
  e["message"] = a.message;
  e["title"] = a.title;
  e["file"] = a.file;
  e["line"] = a.line;
  e["end_line"] = a.end_line;
  e["column"] = a.column;
  e["end_column"] = a.end_column;
  Emit(e);
}

// The report's wire format (reports/report.h) as an object, so a consumer of the event stream
// reads coverage, tests and findings without a second parse.
void JsonPrinter::OnReport(const engine::JobKey& job, int step, std::string_view kind,
                           std::string_view report) {
  json e = JobEvent("report", job);
  e["step"] = step;
  e["kind"] = std::string(kind);
  json parsed = json::parse(report, nullptr, /*allow_exceptions=*/false);
  e["report"] = parsed.is_discarded() ? json(std::string(report)) : std::move(parsed);
  Emit(e);
}

void JsonPrinter::OnStepFinished(const engine::JobKey& job, const engine::StepReport& step) {
  json e = JobEvent("step_finished", job);
  e["step"] = step.index;
  if (!step.stage.empty()) e["stage"] = step.stage;
  e["step_name"] = step.name;
  e["outcome"] = engine::ConclusionName(step.outcome);
  e["conclusion"] = engine::ConclusionName(step.conclusion);
  e["duration_ms"] = step.duration.count();
  e["error"] = step.error;
  if (step.background) e["background"] = true;
  Emit(e);
}

void JsonPrinter::OnJobFinished(const engine::JobReport& job) {
  if (!job.outputs.empty()) {
    json o = JobEvent("outputs", job.key);
    json outputs = json::object();
    for (const auto& [k, v] : job.outputs) outputs[k] = v;
    o["outputs"] = std::move(outputs);
    Emit(o);
  }
  json e = JobEvent("job_finished", job.key);
  json j = JobJson(job);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "job" && it.key() != "instance" && it.key() != "name") e[it.key()] = *it;
  }
  Emit(e);
}

}  // namespace gantry::cli
