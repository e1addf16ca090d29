#pragma once

// The text the report actions print: the one-line log summaries, the failure messages and
// the markdown step summaries (actions/report_actions.h).

#include <string>

#include "reports/report.h"

namespace gantry::actions {

/// 1204 → "1,204".
std::string Thousands(std::int64_t n);
/// 83.44 → "83.4" (one decimal, rounded).
std::string OneDecimal(double value);

/// "Coverage: 83.4% of 1,204 lines" + " (min 50%)" when `min` ("50") is not empty.
std::string CoverageLine(const reports::CoverageReport& r, const std::string& min);
/// The markdown section for $GITHUB_STEP_SUMMARY.
std::string CoverageMarkdown(const reports::CoverageReport& r, const std::string& min, bool passed);

/// "Tests: 120 passed, 2 failed, 3 skipped in 4.2s".
std::string TestsLine(const reports::TestReport& r);
/// How a case is named in messages: "classname.name" (or "name" when the name already says it).
std::string TestName(const reports::TestCase& c);
/// "2 tests failed: a.b, a.c" (the first three names, then "and N more").
std::string TestsFailure(const reports::TestReport& r);
std::string TestsMarkdown(const reports::TestReport& r);

/// Counts per severity, most severe first: "1 critical, 2 medium" ("" when none).
std::string SeverityCounts(const reports::SecurityReport& r, int max_rank = 4);
/// "Security: 3 findings (1 critical, 2 medium)" or "Security: no findings".
std::string SecurityLine(const reports::SecurityReport& r);
/// One finding for the log: "CRITICAL js/rule at src/a.js:3: message".
std::string FindingLine(const reports::Finding& f);
std::string SecurityMarkdown(const reports::SecurityReport& r, const std::string& fail_on);

}  // namespace gantry::actions
