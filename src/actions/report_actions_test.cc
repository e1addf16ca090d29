#include "actions/report_actions.h"

#include <gtest/gtest.h>

#include "actions/builtins.h"
#include "actions/report_text.h"
#include "actions/test_util.h"
#include "reports/report.h"

namespace gantry::actions {
namespace {

using testing::ReadFile;
using testing::Remote;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kLcov =
    "TN:\nSF:src/a.c\nDA:1,1\nDA:2,1\nDA:3,0\nend_of_record\n"
    "SF:src/b.c\nDA:1,0\nDA:2,0\nDA:3,0\nDA:4,1\nend_of_record\n";

constexpr const char* kJUnit = R"~(<testsuites><testsuite name="s" time="4.2">
  <testcase classname="t.A" name="ok"/><testcase classname="t.A" name="ok2"/>
  <testcase classname="t.A" name="bad"><failure message="expected 1">trace</failure></testcase>
  <testcase classname="t.B" name="worse"><error message="boom"/></testcase>
  <testcase classname="t.B" name="later"><skipped/></testcase>
</testsuite></testsuites>)~";

constexpr const char* kSarif =
    R"~({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy",
  "rules": [{"id": "CVE-1", "properties": {"security-severity": "9.8"}},
            {"id": "CVE-2", "properties": {"security-severity": "5.0"}}]}},
  "results": [
    {"ruleId": "CVE-1", "ruleIndex": 0, "message": {"text": "openssl"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "Dockerfile"}, "region": {"startLine": 1}}}]},
    {"ruleId": "CVE-2", "ruleIndex": 1, "message": {"text": "zlib"}},
    {"ruleId": "CVE-2", "ruleIndex": 1, "message": {"text": "zlib again"}}]}]})~";

struct Fixture {
  TempDir dir;
  std::vector<std::string> log;
  engine::BuiltinCall Call(const std::string& owner, const std::string& repo,
                           const std::string& path, engine::EnvList inputs) {
    engine::BuiltinCall call;
    call.action = Remote(owner, repo, path, "v1");
    call.inputs = std::move(inputs);
    call.workspace = dir.path() + "/ws";
    call.env = {{"GITHUB_STEP_SUMMARY", dir / "summary.md"}};
    call.log = [this](std::string_view line) { log.emplace_back(line); };
    return call;
  }
  std::string Log() const {
    std::string all;
    for (const std::string& l : log) all += l + "\n";
    return all;
  }
};

std::string Output(const engine::BuiltinResult& r, const std::string& name) {
  const std::string* v = engine::FindEnv(r.outputs, name);
  return v != nullptr ? *v : "<unset>";
}

TEST(ReportActionsTest, TheFourActionsAreBuiltInWhateverTheRef) {
  auto builtins = MakeBuiltinActions({});
  for (const char* name : {"gantry/coverage", "gantry/test-report", "gantry/security-report",
                           "github/codeql-action/upload-sarif"}) {
    EXPECT_TRUE(builtins->Handles(name)) << name;
    EXPECT_FALSE(builtins->HasPost(name)) << name;
  }
  EXPECT_FALSE(builtins->Handles("github/codeql-action/analyze"));
}

TEST(ReportActionsTest, CoverageSetsOutputsSummaryAndReport) {
  Fixture f;
  WriteFile(f.dir / "ws/cov/lcov.info", kLcov);
  auto builtins = MakeBuiltinActions({});
  auto r =
      builtins->Run(f.Call("gantry", "coverage", "", {{"files", "cov/*.info"}, {"min", "40"}}));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "percent"), "42.9");
  EXPECT_EQ(Output(r, "lines-covered"), "3");
  EXPECT_EQ(Output(r, "lines-total"), "7");
  EXPECT_NE(f.Log().find("Coverage: 42.9% of 7 lines (min 40%)"), std::string::npos) << f.Log();
  ASSERT_EQ(r.reports.size(), 1u);
  EXPECT_EQ(r.reports[0].kind, "coverage");
  auto parsed = reports::CoverageFromJson(r.reports[0].json);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->files[0].path, "src/a.c");
  std::string md = ReadFile(f.dir / "summary.md");
  EXPECT_NE(md.find("### Coverage"), std::string::npos);
  EXPECT_NE(md.find("| src/b.c | 4 | 1 | 25.0% |"), std::string::npos) << md;
}

TEST(ReportActionsTest, CoverageBelowTheMinimumFailsButKeepsTheReport) {
  Fixture f;
  WriteFile(f.dir / "ws/lcov.info", kLcov);
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("gantry", "coverage", "", {{"files", "lcov.info"}, {"min", "50"}}));
  EXPECT_EQ(r.error, "line coverage 42.9% is below the minimum 50%");
  EXPECT_EQ(r.reports.size(), 1u);
  EXPECT_EQ(Output(r, "percent"), "42.9");
}

TEST(ReportActionsTest, CoverageOfAGoModuleInAWorkingDirectoryCountsStatements) {
  Fixture f;
  WriteFile(f.dir / "ws/svc/go.mod", "module example.com/svc\n\ngo 1.21\n");
  WriteFile(
      f.dir / "ws/svc/cover.out",
      "mode: set\nexample.com/svc/api/h.go:3.1,5.2 3 1\nexample.com/svc/api/h.go:6.1,7.2 1 0\n");
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(
      f.Call("gantry", "coverage", "", {{"files", "svc/cover.out"}, {"working-directory", "svc"}}));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "percent"), "75.0");
  ASSERT_EQ(r.reports.size(), 1u);
  auto parsed = reports::CoverageFromJson(r.reports[0].json);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->files.size(), 1u);
  EXPECT_EQ(parsed->files[0].path, "svc/api/h.go");
  EXPECT_EQ(parsed->format, "go");
}

TEST(ReportActionsTest, NoFilesIsAnErrorForCoverageUnlessToldOtherwise) {
  Fixture f;
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("gantry", "coverage", "", {{"files", "nothing/*.info"}}));
  EXPECT_EQ(r.error, "No files were found with the provided files: nothing/*.info");
  r = builtins->Run(f.Call("gantry", "coverage", "",
                           {{"files", "nothing/*.info"}, {"if-no-files-found", "warn"}}));
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.reports.empty());
  EXPECT_NE(f.Log().find("Warning: No files were found"), std::string::npos);
  r = builtins->Run(f.Call("gantry", "coverage", "", {{"files", "x"}, {"if-no-files-found", "x"}}));
  EXPECT_NE(r.error.find("Unrecognized if-no-files-found input"), std::string::npos);
  r = builtins->Run(f.Call("gantry", "coverage", "", {{"min", "50"}}));
  EXPECT_EQ(r.error, "Input required and not supplied: files");
}

TEST(ReportActionsTest, MalformedCoverageFailsNamingFileAndLine) {
  Fixture f;
  WriteFile(f.dir / "ws/lcov.info", "SF:a.c\nDA:x\nend_of_record\n");
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("gantry", "coverage", "", {{"files", "*.info"}}));
  EXPECT_EQ(r.error, "lcov.info:2: LCOV: DA must be 'DA:<line>,<hits>', got 'DA:x'");
}

TEST(ReportActionsTest, TestReportFailsNamingTheFailedTests) {
  Fixture f;
  WriteFile(f.dir / "ws/reports/junit.xml", kJUnit);
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("gantry", "test-report", "", {{"files", "reports/**/*.xml"}}));
  EXPECT_EQ(r.error, "2 tests failed: t.A.bad, t.B.worse");
  EXPECT_EQ(Output(r, "passed"), "2");
  EXPECT_EQ(Output(r, "failed"), "2");
  EXPECT_EQ(Output(r, "skipped"), "1");
  EXPECT_EQ(Output(r, "total"), "5");
  ASSERT_EQ(r.reports.size(), 1u);
  EXPECT_EQ(r.reports[0].kind, "tests");
  std::string log = f.Log();
  EXPECT_NE(log.find("Tests: 2 passed, 2 failed, 1 skipped in 4.2s"), std::string::npos) << log;
  EXPECT_NE(log.find("  FAILED t.A.bad: expected 1"), std::string::npos) << log;
  EXPECT_NE(ReadFile(f.dir / "summary.md").find("| t.B.worse | boom |"), std::string::npos);
}

TEST(ReportActionsTest, TestReportWithFailOnFailureFalseSucceeds) {
  Fixture f;
  WriteFile(f.dir / "ws/junit.xml", kJUnit);
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(
      f.Call("gantry", "test-report", "", {{"files", "junit.xml"}, {"fail-on-failure", "false"}}));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.reports.size(), 1u);
  r = builtins->Run(
      f.Call("gantry", "test-report", "", {{"files", "junit.xml"}, {"fail-on-failure", "nope"}}));
  EXPECT_NE(r.error.find("fail-on-failure"), std::string::npos);
}

TEST(ReportActionsTest, UploadSarifReadsADirectoryAndNeverFailsByDefault) {
  Fixture f;
  WriteFile(f.dir / "ws/results/trivy.sarif", kSarif);
  WriteFile(f.dir / "ws/results/notes.txt", "not sarif");
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("github", "codeql-action", "upload-sarif",
                                {{"sarif_file", "results"}, {"category", "trivy"}}));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(Output(r, "findings"), "3");
  EXPECT_EQ(Output(r, "critical"), "1");
  EXPECT_EQ(Output(r, "medium"), "2");
  ASSERT_EQ(r.reports.size(), 1u);
  EXPECT_EQ(r.reports[0].kind, "security");
  auto parsed = reports::SecurityFromJson(r.reports[0].json);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->findings[0].file, "Dockerfile");
  std::string log = f.Log();
  EXPECT_NE(log.find("Security: 3 findings (1 critical, 2 medium)"), std::string::npos) << log;
  EXPECT_NE(log.find("CRITICAL CVE-1 at Dockerfile:1: openssl"), std::string::npos) << log;
  EXPECT_NE(ReadFile(f.dir / "summary.md").find("### Security"), std::string::npos);
}

TEST(ReportActionsTest, SecurityReportFailsOnTheChosenLevelNamingTheCounts) {
  Fixture f;
  WriteFile(f.dir / "ws/scan.sarif", kSarif);
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("gantry", "security-report", "",
                                {{"sarif_file", "scan.sarif"}, {"fail-on", "CRITICAL"}}));
  EXPECT_EQ(r.error, "security scan: 1 critical finding at or above the fail-on level critical");
  EXPECT_EQ(r.reports.size(), 1u);
  r = builtins->Run(
      f.Call("gantry", "security-report", "", {{"files", "*.sarif"}, {"fail-on", "medium"}}));
  EXPECT_EQ(r.error,
            "security scan: 1 critical, 2 medium findings at or above the fail-on level medium");
  r = builtins->Run(f.Call("github", "codeql-action", "upload-sarif",
                           {{"sarif_file", "scan.sarif"}, {"fail-on", "high"}}));
  EXPECT_EQ(r.error, "security scan: 1 critical finding at or above the fail-on level high");
  r = builtins->Run(
      f.Call("gantry", "security-report", "", {{"files", "*.sarif"}, {"fail-on", "severe"}}));
  EXPECT_EQ(r.error, "Invalid fail-on: 'severe' (one of critical, high, medium, low, none)");
}

TEST(ReportActionsTest, MissingSarifOnlyWarnsByDefault) {
  Fixture f;
  auto builtins = MakeBuiltinActions({});
  auto r = builtins->Run(f.Call("github", "codeql-action", "upload-sarif", {}));
  EXPECT_EQ(r.error, "");
  EXPECT_NE(f.Log().find("Warning: No files were found with the provided sarif_file"),
            std::string::npos)
      << f.Log();
  r = builtins->Run(f.Call("gantry", "security-report", "",
                           {{"sarif_file", "none.sarif"}, {"if-no-files-found", "error"}}));
  EXPECT_NE(r.error.find("No files were found"), std::string::npos);
}

TEST(ReportTextTest, NumbersAndNames) {
  EXPECT_EQ(Thousands(0), "0");
  EXPECT_EQ(Thousands(1204), "1,204");
  EXPECT_EQ(Thousands(1234567), "1,234,567");
  EXPECT_EQ(OneDecimal(83.44), "83.4");
  EXPECT_EQ(OneDecimal(49.96), "50.0");
  reports::TestCase c;
  c.classname = "sum adds";
  c.name = "sum adds";
  EXPECT_EQ(TestName(c), "sum adds");
  c.classname = "PlanTest";
  c.name = "Breaks";
  EXPECT_EQ(TestName(c), "PlanTest.Breaks");
  reports::TestReport r;
  r.failed = 5;
  for (int i = 0; i < 5; ++i) {
    c.name = "T" + std::to_string(i);
    c.status = reports::TestStatus::kFailed;
    r.cases.push_back(c);
  }
  EXPECT_EQ(TestsFailure(r), "5 tests failed: PlanTest.T0, PlanTest.T1, PlanTest.T2, and 2 more");
}

}  // namespace
}  // namespace gantry::actions
