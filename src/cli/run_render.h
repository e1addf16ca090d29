#pragma once

// What `gantry run list|view|watch` print, as pure functions of the API's JSON (the run of
// GET /api/v1/runs/{id} with its jobs and steps, the jobs of GET /api/v1/jobs/{id}) and of the
// time now: state in, lines out. Names, messages and summaries come from workflows and are
// shown with their control characters escaped.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/client_output.h"

namespace gantry::cli {

/// Milliseconds a run, job or step took: completed_at (or `now` while running) minus
/// started_at (or created_at); 0 before it started.
int64_t ElapsedMs(const nlohmann::json& item, int64_t now_ms);

/// The row of a run in `gantry run list`: on a terminal STATUS (symbol), TITLE, WORKFLOW,
/// BRANCH, EVENT, ID, ELAPSED, AGE; otherwise (for scripts, like gh) status and conclusion as
/// words in two columns first.
std::vector<std::string> RunListRow(const OutputStyle& style, const nlohmann::json& run,
                                    int64_t now_ms);
/// The header of `gantry run list`'s table.
std::vector<std::string> RunListHeader();

/// The run's two header lines: "✓ main · CI #3 · TITLE" and "Triggered via push by alice
/// about 5 minutes ago · ID 12".
std::vector<std::string> RunHeader(const OutputStyle& style, const nlohmann::json& run,
                                   int64_t now_ms);

/// "✓ build in 5s (ID 34)" (no duration while queued).
std::string JobLine(const OutputStyle& style, const nlohmann::json& job, int64_t now_ms);
/// "  ✓ Run make (3s)" for each step of `job`.
std::vector<std::string> StepLines(const OutputStyle& style, const nlohmann::json& job,
                                   int64_t now_ms);

/// What `gantry run view` shows besides the header.
struct ViewParts {
  bool steps = false;                   // -v or --job: every job's steps
  std::vector<nlohmann::json> details;  // GET /api/v1/jobs/{id} of the jobs shown
  nlohmann::json artifacts = nlohmann::json::array();
  /// GET /api/v1/runs/{id}/reports; null when the server has none (or is older).
  nlohmann::json reports = nullptr;
};

/// The REPORTS lines of `gantry run view`: "Coverage 83.4% (+1.2 vs main #41)", "Tests 120
/// passed, 2 failed, 3 skipped" with the failed names, "Security 3 open (1 new: critical …)";
/// none when `reports` holds no report.
std::vector<std::string> RenderReports(const OutputStyle& style, const nlohmann::json& reports);

/// The whole `gantry run view` text: header, JOBS, ANNOTATIONS, ARTIFACTS, each job's
/// summary (markdown rendered for the terminal) and a pointer to --job/--log.
std::vector<std::string> RenderRunView(const OutputStyle& style, const nlohmann::json& run,
                                       const ViewParts& parts, int64_t now_ms);

/// One frame of `gantry run watch` on a terminal: the header, every job with its steps
/// (`compact`: only the steps of failed and running jobs), and under a running step the last
/// lines of its job's log (`tails`, by job id). On a terminal, lines are clipped to
/// style.width columns.
std::vector<std::string> RenderWatchFrame(const OutputStyle& style, const nlohmann::json& run,
                                          const std::map<int64_t, std::vector<std::string>>& tails,
                                          bool compact, int64_t now_ms);

/// The plain line `gantry run watch` prints (stdout not a terminal) when a run, job or step
/// changes state: "job build: in_progress", "step build / Run make: success (3s)",
/// "run 12: completed with failure".
std::string PlainChangeLine(const std::string& kind, const nlohmann::json& item,
                            const std::string& job_name, int64_t now_ms);

/// gh's last line of `run watch`: "✓ Run CI (12) completed with 'success'".
std::string WatchDoneLine(const OutputStyle& style, const nlohmann::json& run);

/// A stored log line "2026-12-06T09:00:00.123Z text" without its timestamp.
std::string StripLogTimestamp(const std::string& line);

/// Clips `line` to `width` display columns (keeping its ANSI colors intact).
std::string ClipToWidth(const std::string& line, int width);

}  // namespace gantry::cli
