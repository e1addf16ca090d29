#pragma once

// The reports a job hands to Gantry: line coverage, test results and security findings. The
// built-in actions gantry/coverage@v1, gantry/test-report@v1 and
// github/codeql-action/upload-sarif parse files into these; the engine passes them on as JSON
// (engine::BuiltinResult::reports, RunObserver::OnReport), the executor uploads that JSON and
// the server stores it. The JSON below is the wire format between executor and server.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::reports {

/// The kinds, as RunObserver::OnReport and the executor protocol name them.
inline constexpr std::string_view kCoverageKind = "coverage";
inline constexpr std::string_view kTestsKind = "tests";
inline constexpr std::string_view kSecurityKind = "security";

/// Line coverage of one source file.
struct FileCoverage {
  std::string path;  // relative to the workspace when it lies inside it, with '/'
  std::int64_t lines_total = 0;
  std::int64_t lines_covered = 0;
};

/// Line coverage of a job's report files, merged (a file named twice sums per line).
/// JSON: {"format":"lcov","lines_total":N,"lines_covered":N,"percent":F,
///        "files":[{"path","lines_total","lines_covered"}…]}
struct CoverageReport {
  std::string format;  // "lcov", "cobertura", "coverage.py", "gcovr", "go" (or "mixed")
  std::int64_t lines_total = 0;
  std::int64_t lines_covered = 0;
  std::vector<FileCoverage> files;  // sorted by path
  /// 100 * covered / total, 100 when there are no lines.
  double Percent() const;
};

/// One test case of a JUnit XML report.
enum class TestStatus { kPassed, kFailed, kSkipped };
/// "passed", "failed", "skipped".
const char* TestStatusName(TestStatus s);

struct TestCase {
  std::string suite;      // <testsuite name>
  std::string classname;  // <testcase classname>
  std::string name;       // <testcase name>
  std::string file;       // <testcase file>, "" when absent
  double seconds = 0;     // <testcase time>
  TestStatus status = TestStatus::kPassed;
  std::string message;  // failure/error message attribute (or first line of its text)
  std::string details;  // the failure's text (stack trace), at most 4 KiB
};

/// JSON: {"passed":N,"failed":N,"skipped":N,"seconds":F,
///        "cases":[{"suite","classname","name","file","seconds","status","message","details"}…]}
/// A case that is not passed always appears in "cases"; passed cases appear too (flaky
/// detection needs them) up to 10,000 cases per report.
struct TestReport {
  std::int64_t passed = 0;
  std::int64_t failed = 0;  // failures and errors
  std::int64_t skipped = 0;
  double seconds = 0;
  std::vector<TestCase> cases;
};

/// One SARIF result.
struct Finding {
  std::string tool;      // runs[].tool.driver.name
  std::string rule_id;   // result.ruleId
  std::string severity;  // "critical", "high", "medium", "low" or "note" (see sarif.h)
  std::string message;   // result.message.text
  std::string file;      // first location's artifactLocation.uri, relative, with '/'
  int line = 0;          // its region.startLine (0 when absent)
  /// Identifies the finding across runs: partialFingerprints' first value when present, else
  /// sha256 of tool, rule, file and message (not the line: code above it moves).
  std::string fingerprint;
};

/// JSON: {"findings":[{"tool","rule_id","severity","message","file","line","fingerprint"}…]}
struct SecurityReport {
  std::vector<Finding> findings;
};

/// The JSON wire format of each report (see the struct comments).
std::string ToJson(const CoverageReport& r);
std::string ToJson(const TestReport& r);
std::string ToJson(const SecurityReport& r);

/// Parse the wire format back; InvalidArgument naming the field that is wrong.
core::Result<CoverageReport> CoverageFromJson(std::string_view json);
core::Result<TestReport> TestsFromJson(std::string_view json);
core::Result<SecurityReport> SecurityFromJson(std::string_view json);

}  // namespace gantry::reports
