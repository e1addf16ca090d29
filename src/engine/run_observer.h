#pragma once

// What a run reports while it happens: the console printer, the --json event stream and
// (later) the executor's log uploader implement RunObserver. Every text handed to an
// observer is already masked.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::engine {

/// GitHub's conclusions. A step also has an outcome (before continue-on-error).
enum class Conclusion { kSuccess, kFailure, kCancelled, kSkipped };

/// "success", "failure", "cancelled", "skipped" (the strings of needs.<id>.result).
const char* ConclusionName(Conclusion c);

/// Identifies one job instance (a job, or one combination of its matrix).
struct JobKey {
  std::string job_id;        // the id under `jobs:`
  int instance = 0;          // index of the matrix combination (0 without a matrix)
  std::string display_name;  // e.g. "test (linux, 20)"
};

/// `::error file=..,line=..::message` and friends.
struct Annotation {
  std::string level;  // "error", "warning", "notice"
  std::string message;
  std::string title;
  std::string file;
  int line = 0;
  int end_line = 0;
  int column = 0;
  int end_column = 0;
};

struct StepReport {
  /// 0-based position in the job's steps; post stages number on after the last step; pre
  /// stages (which run before the first step) count from 0 among themselves.
  int index = 0;
  /// "" for a step, "pre" or "post" for an action's pre or post stage.
  std::string stage;
  std::string name;
  Conclusion outcome = Conclusion::kSuccess;
  Conclusion conclusion = Conclusion::kSuccess;
  std::chrono::milliseconds duration{0};
  std::string error;  // why it failed, if it did ("exit code 2", "timed out after 1m", ...)
  /// A background step (`background: true` or in a `parallel:` block): it ran while the job
  /// went on, and its outcome counted when it was waited for.
  bool background = false;
};

struct JobReport {
  JobKey key;
  Conclusion conclusion = Conclusion::kSuccess;
  std::chrono::milliseconds duration{0};
  std::map<std::string, std::string> outputs;
  std::string failed_step;  // name of the first failed step, if any
  std::string error;        // a job-level error (bad matrix, if: error, uses: unsupported...)
  std::string summary;      // concatenated $GITHUB_STEP_SUMMARY content (masked)
  /// The job failed but has `continue-on-error`: dependents see needs.<id>.result ==
  /// "success" and the run still succeeds, while the job itself shows as failed (GitHub).
  bool continued_on_error = false;
  /// Set (with conclusion skipped) when the job's runs-on cannot run on this machine: why.
  std::string not_here;
};

/// Receives events from several job threads at once: implementations are thread-safe.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnJobStarted(const JobKey& /*job*/) {}
  virtual void OnStepStarted(const JobKey& /*job*/, int /*index*/, const std::string& /*name*/) {}
  /// One line of step output (without '\n'), already masked; workflow-command lines are
  /// not passed here but turned into the calls below.
  virtual void OnLogLine(const JobKey& /*job*/, int /*step*/, std::string_view /*line*/) {}
  virtual void OnGroup(const JobKey& /*job*/, int /*step*/, bool /*start*/,
                       std::string_view /*title*/) {}
  virtual void OnDebug(const JobKey& /*job*/, int /*step*/, std::string_view /*message*/) {}
  virtual void OnAnnotation(const JobKey& /*job*/, int /*step*/, const Annotation& /*a*/) {}
  /// A report of step `step` (reports/report.h): `kind` is "coverage", "tests" or
  /// "security", `json` its wire format. Called before the step finishes.
  virtual void OnReport(const JobKey& /*job*/, int /*step*/, std::string_view /*kind*/,
                        std::string_view /*json*/) {}
  virtual void OnStepFinished(const JobKey& /*job*/, const StepReport& /*step*/) {}
  virtual void OnJobFinished(const JobReport& /*job*/) {}
};

}  // namespace gantry::engine
