#pragma once

// `gantry exec --json`: one JSON object per line for every event of a run, for tools (and
// later the server) to consume. Each object has "type" and "time" (ISO-8601 UTC, ms); job
// events carry "job" (id), "instance" and "name" (display name). Types: run_started,
// job_started, step_started, log, group, debug, annotation, step_finished, outputs (a job's
// outputs, before its job_finished), job_finished, run_finished, summary, error.

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/console_printer.h"
#include "engine/run_observer.h"

namespace gantry::cli {

/// Writes JSON lines. Thread-safe: each event is one write under a lock.
class JsonPrinter : public engine::RunObserver {
 public:
  /// `out` must outlive the printer. `verbose` includes ::debug:: events.
  JsonPrinter(std::ostream& out, bool verbose);

  /// A workflow's run begins: {"type":"run_started","workflow","file","event","jobs":[...]}.
  void RunStarted(const std::string& workflow, const std::string& file, const std::string& event,
                  const std::vector<std::string>& jobs);
  /// {"type":"run_finished","workflow","conclusion","duration_ms"}.
  void RunFinished(const WorkflowRunResult& run, std::chrono::milliseconds duration);
  /// {"type":"summary","conclusion","exit_code","duration_ms","cancelled","jobs":[...]}.
  void Summary(const std::vector<WorkflowRunResult>& runs, std::chrono::milliseconds total,
               bool cancelled, int exit_code);
  /// {"type":"error","message"} for problems before or around the run.
  void Error(const std::string& message);

  void OnJobStarted(const engine::JobKey& job) override;
  void OnStepStarted(const engine::JobKey& job, int index, const std::string& name) override;
  void OnLogLine(const engine::JobKey& job, int step, std::string_view line) override;
  void OnGroup(const engine::JobKey& job, int step, bool start, std::string_view title) override;
  void OnDebug(const engine::JobKey& job, int step, std::string_view message) override;
  void OnAnnotation(const engine::JobKey& job, int step, const engine::Annotation& a) override;
  void OnReport(const engine::JobKey& job, int step, std::string_view kind,
                std::string_view report) override;
  void OnStepFinished(const engine::JobKey& job, const engine::StepReport& step) override;
  void OnJobFinished(const engine::JobReport& job) override;

  /// The JSON object describing a finished job (shared by job_finished and summary).
  static nlohmann::ordered_json JobJson(const engine::JobReport& job);

 private:
  void Emit(const nlohmann::ordered_json& event);
  static nlohmann::ordered_json Event(const char* type);
  static nlohmann::ordered_json JobEvent(const char* type, const engine::JobKey& job);

  std::ostream& out_;
  bool verbose_;
  std::mutex mu_;
};

}  // namespace gantry::cli
