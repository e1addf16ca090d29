#pragma once

// The human-readable output of `gantry exec`: live lines prefixed with the job instance
// (colored per job on a terminal), step and group markers, annotations, and the final
// summary table.

#include <chrono>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/masker.h"
#include "engine/run_observer.h"
#include "engine/runner.h"

namespace gantry::cli {

/// The outcome of one workflow's run, for the summary.
struct WorkflowRunResult {
  std::string workflow;  // its name (or file)
  std::string file;
  engine::RunReport report;
};

/// "0.42s", "12.3s", "2m 05s", "1h 02m".
std::string FormatDuration(std::chrono::milliseconds d);

/// Prints a run for people. Thread-safe: every call writes whole lines under one lock.
class ConsolePrinter : public engine::RunObserver {
 public:
  struct Style {
    bool color = false;    // ANSI colors (a terminal)
    bool unicode = false;  // ▶ ▸ ✓ ✗ instead of ASCII markers
    bool verbose = false;  // also ::debug:: lines and successful step ends
  };
  /// `out` must outlive the printer; `masker` masks the summary (live text arrives masked).
  ConsolePrinter(std::ostream& out, const core::Masker& masker, Style style);

  /// Prefixes job names with the workflow's name from now on (when several workflows run).
  void SetWorkflowPrefix(std::string prefix);
  /// A line of the run itself (not of a job), e.g. "Running PR Validation (pull_request)".
  void Note(const std::string& text);

  void OnJobStarted(const engine::JobKey& job) override;
  void OnStepStarted(const engine::JobKey& job, int index, const std::string& name) override;
  void OnLogLine(const engine::JobKey& job, int step, std::string_view line) override;
  void OnGroup(const engine::JobKey& job, int step, bool start, std::string_view title) override;
  void OnDebug(const engine::JobKey& job, int step, std::string_view message) override;
  void OnAnnotation(const engine::JobKey& job, int step, const engine::Annotation& a) override;
  void OnStepFinished(const engine::JobKey& job, const engine::StepReport& step) override;
  void OnJobFinished(const engine::JobReport& job) override;

  /// Prints the summary of every workflow run: one row per job instance in plan order with
  /// conclusion, duration and failed step, the annotations again, step summaries, and a total
  /// line. `cancelled` adds that the run was interrupted.
  void PrintSummary(const std::vector<WorkflowRunResult>& runs, std::chrono::milliseconds total,
                    bool cancelled);

 private:
  /// The key of a job instance in colors_ and running_ (the workflow's too). REQUIRES(mu_)
  std::pair<std::string, int> JobSlot(const engine::JobKey& job) const;
  std::string Prefix(const engine::JobKey& job);  // REQUIRES(mu_)
  /// "<step name> | " for a line of a step that runs while other steps of its job run
  /// (background steps), else "".
  std::string StepLabel(const engine::JobKey& job, int step);  // REQUIRES(mu_)
  std::string Paint(const std::string& text, const char* sgr) const;
  void WriteLine(const engine::JobKey& job, const std::string& text, int step = -1);

  std::ostream& out_;
  const core::Masker& masker_;
  Style style_;
  std::mutex mu_;
  std::string workflow_prefix_;                        // GUARDED_BY(mu_)
  std::map<std::pair<std::string, int>, int> colors_;  // GUARDED_BY(mu_)
  std::vector<std::string> annotations_;               // GUARDED_BY(mu_): for the summary
  /// The running steps of each job instance (index → name). GUARDED_BY(mu_)
  std::map<std::pair<std::string, int>, std::map<int, std::string>> running_;
};

/// Renders an annotation as `file:line:col: level: title: message` (parts omitted when
/// absent).
std::string FormatAnnotation(const engine::Annotation& a);

}  // namespace gantry::cli
