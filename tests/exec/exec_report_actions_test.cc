// Integration tests of the report actions under `gantry exec`: coverage, test and SARIF files
// written by shell steps are read by gantry/coverage, gantry/test-report and upload-sarif,
// whose outputs, log lines, failure messages and step summaries the user sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kWorkflow = R"yaml(on: push
jobs:
  reports:
    runs-on: ubuntu-latest
    steps:
      - run: |
          mkdir -p out
          printf 'TN:\nSF:%s/src/a.c\nDA:1,1\nDA:2,1\nDA:3,0\nend_of_record\n' "$PWD" > out/lcov.info
          cat > out/junit.xml <<'EOF'
          <testsuites><testsuite name="unit" time="1.5">
            <testcase classname="calc" name="adds" time="0.5"/>
            <testcase classname="calc" name="divides" time="1"><failure message="division by zero">trace</failure></testcase>
            <testcase classname="calc" name="later"><skipped/></testcase>
          </testsuite></testsuites>
          EOF
          cat > out/scan.sarif <<'EOF'
          {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "rules": [
            {"id": "CVE-2024-1", "properties": {"security-severity": "9.1"}}]}},
            "results": [{"ruleId": "CVE-2024-1", "ruleIndex": 0, "message": {"text": "openssl too old"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "Dockerfile"},
                "region": {"startLine": 3}}}]}]}]}
          EOF
      - id: cov
        uses: gantry/coverage@v1
        with:
          files: out/*.info
          min: 50
      - id: tests
        uses: gantry/test-report@v1
        with:
          files: |
            out/**/*.xml
            !out/ignored.xml
          fail-on-failure: false
      - id: sarif
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: out
          category: trivy
      - run: echo "percent=${{ steps.cov.outputs.percent }} lines=${{ steps.cov.outputs.lines-covered }}/${{ steps.cov.outputs.lines-total }} failed=${{ steps.tests.outputs.failed }} total=${{ steps.tests.outputs.total }} critical=${{ steps.sarif.outputs.critical }}"
      - uses: gantry/coverage@v1
        with:
          files: out/lcov.info
          min: 90
      - run: echo "not reached"
)yaml";

TEST(ReportActionsExecTest, ReportsFromShellStepsGiveOutputsLogLinesAndSummaries) {
  Project p;
  p.Workflow("ci.yml", kWorkflow);
  Finished lint = p.Run({"lint", ".github/workflows"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("Coverage: 66.7% of 3 lines (min 50%)"));
  EXPECT_THAT(f.out, HasSubstr("Tests: 1 passed, 1 failed, 1 skipped in 1.5s"));
  EXPECT_THAT(f.out, HasSubstr("FAILED calc.divides: division by zero"));
  EXPECT_THAT(f.out, HasSubstr("Security: 1 finding (1 critical)"));
  EXPECT_THAT(f.out, HasSubstr("percent=66.7 lines=2/3 failed=1 total=3 critical=1"));
  EXPECT_THAT(f.out, HasSubstr("line coverage 66.7% is below the minimum 90%"));
  EXPECT_THAT(f.out, ::testing::Not(HasSubstr("not reached")));
  // The step summaries, markdown, printed after the run.
  size_t summary = f.out.find("Step summary of reports");
  ASSERT_NE(summary, std::string::npos) << f.out;
  std::string md = f.out.substr(summary);
  EXPECT_THAT(md, HasSubstr("### Coverage"));
  EXPECT_THAT(md, HasSubstr("| src/a.c | 3 | 2 | 66.7% |"));
  EXPECT_THAT(md, HasSubstr("### Tests"));
  EXPECT_THAT(md, HasSubstr("| calc.divides | division by zero |"));
  EXPECT_THAT(md, HasSubstr("### Security"));
  EXPECT_THAT(md, HasSubstr("| critical | CVE-2024-1 | Dockerfile:3 | openssl too old | Trivy |"));
}

TEST(ReportActionsExecTest, FailedTestsFailTheStepByDefaultNamingThem) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo '<testsuite name="s"><testcase classname="a" name="b"><failure message="no"/></testcase></testsuite>' > junit.xml
      - uses: gantry/test-report@v1
        with:
          files: junit.xml
      - uses: gantry/test-report@v1
        with:
          files: missing/*.xml
)yaml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("1 test failed: a.b"));
}

}  // namespace
}  // namespace gantry::exec_test
