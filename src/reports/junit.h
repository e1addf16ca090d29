#pragma once

// JUnit XML test results (pytest, jest-junit, go-junit-report, gtest --gtest_output=xml,
// Maven surefire): <testsuites> or a bare <testsuite>, suites nested at any depth,
// <testcase name classname time file> with <failure>, <error> or <skipped> children.

#include <string_view>

#include "core/status.h"
#include "reports/report.h"

namespace gantry::reports {

/// Most bytes of a failure's text kept in TestCase::details.
inline constexpr std::size_t kMaxTestDetails = 4096;
/// Cases a TestReport lists (failed and skipped ones always; passed ones up to this number).
inline constexpr std::size_t kMaxTestCases = 10000;

/// Parses one JUnit XML file. `name` prefixes errors: "name:line: JUnit XML: message".
core::Result<TestReport> ParseJUnit(std::string_view content, std::string_view name);

/// Adds `from`'s counts, time and cases to `into` (the cases cap of kMaxTestCases applies to
/// passed cases).
void MergeTests(TestReport& into, TestReport from);

}  // namespace gantry::reports
