#include "reports/coverage.h"

#include <gtest/gtest.h>

namespace gantry::reports {
namespace {

CoverageReport Finish(const CoverageData& d, const std::string& ws = "/ws") {
  return FinishCoverage(d, CoveragePaths{.workspace = ws, .base = ws, .go_module = ""});
}

// As `genhtml`'s input from `lcov --capture` / `c8` / `jest --coverage` looks.
constexpr const char* kLcov = R"~(TN:
SF:/ws/src/a.js
FN:1,main
FNDA:1,main
FNF:1
FNH:1
DA:1,1
DA:2,0
DA:3,5
LF:3
LH:2
BRF:0
BRH:0
end_of_record
SF:/elsewhere/b.c
DA:10,0
end_of_record
)~";

TEST(CoverageTest, LcovCountsDaLinesAndMakesWorkspacePathsRelative) {
  auto d = ParseCoverage(kLcov, "lcov.info");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->format, "lcov");
  CoverageReport r = Finish(*d);
  EXPECT_EQ(r.lines_total, 4);
  EXPECT_EQ(r.lines_covered, 2);
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].path, "/elsewhere/b.c");
  EXPECT_EQ(r.files[1].path, "src/a.js");
  EXPECT_EQ(r.files[1].lines_covered, 2);
}

TEST(CoverageTest, LcovWithOnlyLfLhUsesTheSummary) {
  auto d = ParseLcov("SF:x.c\nLF:10\nLH:4\nend_of_record\n", "t.info");
  ASSERT_TRUE(d.ok());
  CoverageReport r = Finish(*d);
  EXPECT_EQ(r.lines_total, 10);
  EXPECT_EQ(r.lines_covered, 4);
  EXPECT_EQ(r.files[0].path, "x.c");
}

TEST(CoverageTest, LcovStartingWithAnotherRecordIsDetected) {
  auto d = ParseCoverage("VER:2.0\nSF:a.c\nFNL:0,1,2\nFNA:0,1,main\nDA:1,1,abcd\nend_of_record\n",
                         "lcov2.info");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(Finish(*d).lines_covered, 1);
}

TEST(CoverageTest, MalformedLcovNamesFileLineAndFormat) {
  auto d = ParseCoverage("TN:\nSF:a.c\nDA:one,1\nend_of_record\n", "cov/lcov.info");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "cov/lcov.info:3: LCOV: DA must be 'DA:<line>,<hits>', got 'DA:one,1'");
  d = ParseLcov("TN:\nDA:1,1\n", "x");
  EXPECT_EQ(d.status().message(), "x:2: LCOV: DA outside an SF record");
  d = ParseLcov("SF:a\nDA:1,1\n", "x");
  EXPECT_EQ(d.status().message(), "x:2: LCOV: missing end_of_record");
}

TEST(CoverageTest, SeveralReportsMergePerLine) {
  auto a = ParseLcov("SF:/ws/a.c\nDA:1,1\nDA:2,0\nDA:3,0\nend_of_record\n", "a");
  auto b = ParseLcov("SF:a.c\nDA:2,3\nDA:3,0\nDA:4,0\nend_of_record\n", "b");
  ASSERT_TRUE(a.ok() && b.ok());
  CoverageData all;
  MergeCoverage(all, *a);
  MergeCoverage(all, *b);
  CoverageReport r = Finish(all);
  ASSERT_EQ(r.files.size(), 1u);  // "/ws/a.c" and "a.c" are one file
  EXPECT_EQ(r.lines_total, 4);
  EXPECT_EQ(r.lines_covered, 2);
  EXPECT_EQ(r.format, "lcov");
}

// As coverage.py's `coverage xml` writes it.
constexpr const char* kCobertura = R"~(<?xml version="1.0" ?>
<coverage version="7.3.2" timestamp="1700000000" lines-valid="5" lines-covered="3" line-rate="0.6">
  <sources>
    <source>/ws/pkg</source>
  </sources>
  <packages>
    <package name="." line-rate="0.6">
      <classes>
        <class name="mod.py" filename="mod.py" line-rate="0.6">
          <methods/>
          <lines>
            <line number="1" hits="1"/>
            <line number="2" hits="1"/>
            <line number="4" hits="0"/>
          </lines>
        </class>
        <class name="other.py" filename="sub/other.py">
          <lines>
            <line number="1" hits="3" branch="true" condition-coverage="50% (1/2)"/>
            <line number="9" hits="0"/>
          </lines>
        </class>
      </classes>
    </package>
  </packages>
</coverage>
)~";

TEST(CoverageTest, CoberturaJoinsFilenamesToTheSource) {
  auto d = ParseCoverage(kCobertura, "coverage.xml");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->format, "cobertura");
  CoverageReport r = Finish(*d);
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].path, "pkg/mod.py");
  EXPECT_EQ(r.files[1].path, "pkg/sub/other.py");
  EXPECT_EQ(r.lines_total, 5);
  EXPECT_EQ(r.lines_covered, 3);
}

TEST(CoverageTest, GcovrCoberturaWithDoctypeAndRelativeSource) {
  const char* xml = R"~(<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE coverage SYSTEM 'http://cobertura.sourceforge.net/xml/coverage-04.dtd'>
<coverage line-rate="0.5" branch-rate="0" lines-covered="1" lines-valid="2" version="gcovr 7.0">
  <sources><source>.</source></sources>
  <packages><package name="src" line-rate="0.5"><classes>
    <class name="main_cc" filename="src/main.cc" line-rate="0.5">
      <methods/><lines><line number="3" hits="12" branch="false"/><line number="4" hits="0" branch="false"/></lines>
    </class></classes></package></packages>
</coverage>)~";
  auto d = ParseCoverage(xml, "cobertura.xml");
  ASSERT_TRUE(d.ok()) << d.status().message();
  CoverageReport r = Finish(*d);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].path, "src/main.cc");
  EXPECT_EQ(r.lines_covered, 1);
}

TEST(CoverageTest, MalformedXmlNamesTheLine) {
  auto d = ParseCoverage("<coverage>\n<packages>\n</coverage>", "c.xml");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind("c.xml:3: Cobertura XML: ", 0), 0u) << d.status().message();
  d = ParseCoverage("<testsuites/>", "j.xml");
  EXPECT_NE(d.status().message().find("root is not <coverage>"), std::string::npos);
}

TEST(CoverageTest, CoveragePyJsonUsesExecutedAndMissingLines) {
  const char* json = R"~({"meta": {"version": "7.3.2", "format": 2},
    "files": {"app/x.py": {"executed_lines": [1, 2, 5], "missing_lines": [3],
      "summary": {"covered_lines": 3, "num_statements": 4, "percent_covered": 75.0}},
              "app/y.py": {"summary": {"covered_lines": 0, "num_statements": 2}}},
    "totals": {"covered_lines": 3, "num_statements": 6}})~";
  auto d = ParseCoverage(json, "coverage.json");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->format, "coverage.py");
  CoverageReport r = Finish(*d);
  EXPECT_EQ(r.lines_total, 6);
  EXPECT_EQ(r.lines_covered, 3);
  EXPECT_EQ(r.files[0].path, "app/x.py");
}

TEST(CoverageTest, GcovrDetailedSkipsNoncodeLines) {
  const char* json = R"~({"gcovr/format_version": "0.6", "files": [
    {"file": "src/main.cc", "functions": [], "lines": [
      {"line_number": 3, "count": 1, "branches": [], "gcovr/noncode": false},
      {"line_number": 4, "count": 0, "branches": []},
      {"line_number": 5, "count": 0, "gcovr/noncode": true}]}]})~";
  auto d = ParseCoverage(json, "gcovr.json");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->format, "gcovr");
  CoverageReport r = Finish(*d);
  EXPECT_EQ(r.lines_total, 2);
  EXPECT_EQ(r.lines_covered, 1);
}

TEST(CoverageTest, GcovrSummaryUsesTheTotals) {
  const char* json = R"~({"root": "..", "gcovr/summary_format_version": "0.5", "files": [
    {"filename": "src/a.cc", "line_total": 20, "line_covered": 15, "line_percent": 75.0}],
    "line_total": 20, "line_covered": 15})~";
  auto d = ParseCoverage(json, "summary.json");
  ASSERT_TRUE(d.ok()) << d.status().message();
  CoverageReport r = FinishCoverage(*d, {.workspace = "/ws", .base = "/ws/build", .go_module = ""});
  EXPECT_EQ(r.lines_total, 20);
  EXPECT_EQ(r.lines_covered, 15);
  EXPECT_EQ(r.files[0].path, "src/a.cc");
}

TEST(CoverageTest, InvalidJsonNamesLineAndFormat) {
  auto d = ParseCoverage("{\"files\": {\n\"a\": [1,\n}", "cov.json");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind("cov.json:3: coverage.py JSON: invalid JSON", 0), 0u)
      << d.status().message();
}

TEST(CoverageTest, GoProfileCountsStatementsPerBlockAndMapsTheModule) {
  const char* profile =
      "mode: atomic\n"
      "example.com/m/pkg/a.go:3.14,5.2 2 1\n"
      "example.com/m/pkg/a.go:7.10,9.3 3 0\n"
      "example.com/m/pkg/a.go:7.10,9.3 3 4\n"  // the same block from another test binary
      "example.com/m/b.go:1.1,2.2 5 0\n";
  auto d = ParseCoverage(profile, "cover.out");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->format, "go");
  CoverageReport r =
      FinishCoverage(*d, {.workspace = "/ws", .base = "/ws/go", .go_module = "example.com/m"});
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].path, "go/b.go");
  EXPECT_EQ(r.files[1].path, "go/pkg/a.go");
  EXPECT_EQ(r.lines_total, 10);
  EXPECT_EQ(r.lines_covered, 5);
}

TEST(CoverageTest, MalformedGoProfileNamesTheLine) {
  auto d = ParseCoverage("mode: set\na.go:1.1,2.2 x 1\n", "c.out");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "c.out:2: Go cover profile: expected 'file:line.col,line.col statements count', got "
            "'a.go:1.1,2.2 x 1'");
}

TEST(CoverageTest, UnknownContentIsNotACoverageReport) {
  auto d = ParseCoverage("hello\n", "notes.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("notes.txt: not a coverage report"), std::string::npos);
}

TEST(CoverageTest, MixedFormatsMergeIntoMixed) {
  CoverageData all;
  MergeCoverage(all, *ParseLcov("SF:a.c\nDA:1,1\nend_of_record\n", "a"));
  MergeCoverage(all, *ParseGoCover("mode: set\nb.go:1.1,2.2 2 0\n", "b"));
  CoverageReport r = Finish(all);
  EXPECT_EQ(r.format, "mixed");
  EXPECT_EQ(r.lines_total, 3);
  EXPECT_EQ(r.lines_covered, 1);
  EXPECT_NEAR(r.Percent(), 33.3, 0.1);
}

}  // namespace
}  // namespace gantry::reports
