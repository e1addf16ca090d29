#include "cli/run_render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/markdown_terminal.h"

namespace gantry::cli {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// 2026-12-06T09:00:00Z
constexpr int64_t kNine = 1796547600000;

OutputStyle Tty(bool color = false) { return OutputStyle{true, color, 60}; }
OutputStyle Pipe() { return OutputStyle{false, false, 80}; }

json SampleRun() {
  return json::parse(R"({
    "id": 12, "run_number": 3, "attempt": 1, "workflow": ".github/workflows/ci.yml",
    "name": "CI", "display_title": "Fix the build", "event": "push", "head_branch": "main",
    "actor": "alice", "status": "completed", "conclusion": "failure", "error": "",
    "created_at": "2026-12-06T08:55:00.000Z", "started_at": "2026-12-06T08:55:01.000Z",
    "completed_at": "2026-12-06T08:56:04.000Z", "html_url": "http://127.0.0.1:8080/a/b/runs/12",
    "jobs": [
      {"id": 34, "name": "build", "status": "completed", "conclusion": "success",
       "started_at": "2026-12-06T08:55:01.000Z", "completed_at": "2026-12-06T08:55:06.000Z",
       "error": "", "steps": [
         {"index": 0, "stage": "", "name": "Checkout", "status": "completed",
          "conclusion": "success", "started_at": "2026-12-06T08:55:01.000Z",
          "completed_at": "2026-12-06T08:55:02.000Z"},
         {"index": 1, "stage": "", "name": "make", "status": "completed",
          "conclusion": "success", "started_at": "2026-12-06T08:55:02.000Z",
          "completed_at": "2026-12-06T08:55:05.000Z"}]},
      {"id": 35, "name": "test", "status": "completed", "conclusion": "failure",
       "started_at": "2026-12-06T08:55:07.000Z", "completed_at": "2026-12-06T08:56:04.000Z",
       "error": "", "steps": [
         {"index": 0, "stage": "", "name": "unit \u001b[31mtests", "status": "completed",
          "conclusion": "failure", "started_at": "2026-12-06T08:55:07.000Z",
          "completed_at": "2026-12-06T08:56:04.000Z"}]}]})");
}

TEST(RunRenderTest, ListRowsAreSymbolsOnATerminalAndWordsForScripts) {
  EXPECT_THAT(
      RunListRow(Tty(), SampleRun(), kNine),
      ElementsAre("X", "Fix the build", "CI", "main", "push", "12", "1m3s", "about 5 minutes ago"));
  EXPECT_THAT(RunListRow(Pipe(), SampleRun(), kNine),
              ElementsAre("completed", "failure", "Fix the build", "CI", "main", "push", "12",
                          "1m3s", "about 5 minutes ago"));
  json running = SampleRun();
  running["status"] = "in_progress";
  running["conclusion"] = nullptr;
  running["completed_at"] = nullptr;
  EXPECT_EQ(RunListRow(Tty(), running, kNine)[0], "*");
  EXPECT_EQ(RunListRow(Tty(), running, kNine)[6], "4m59s");  // still counting
}

TEST(RunRenderTest, ViewShowsHeaderJobsAnnotationsArtifactsAndSummaries) {
  ViewParts parts;
  parts.details.push_back(json::parse(R"({"id": 34, "name": "build", "summary": "## Built 1.2.3",
      "annotations": [{"level": "warning", "message": "check this", "title": "",
                       "file": "src/app.c", "line": 7}]})"));
  parts.details.push_back(json::parse(R"({"id": 35, "name": "test", "summary": "",
      "annotations": []})"));
  parts.artifacts = json::parse(R"([{"id": 1, "name": "bundle", "size_in_bytes": 6}])");
  std::vector<std::string> lines = RenderRunView(Pipe(), SampleRun(), parts, kNine);
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  EXPECT_THAT(lines[0], "X main · CI #3 · Fix the build");
  EXPECT_THAT(lines[1], "Triggered via push by alice about 5 minutes ago · ID 12");
  EXPECT_THAT(text, HasSubstr("JOBS\n✓ build in 5s (ID 34)\nX test in 57s (ID 35)\n"));
  EXPECT_THAT(text, HasSubstr("ANNOTATIONS\n! warning build: src/app.c:7: check this\n"));
  EXPECT_THAT(text, HasSubstr("ARTIFACTS\nbundle (6 B)\n"));
  EXPECT_THAT(text, HasSubstr("SUMMARY OF build\n  Built 1.2.3\n"));
  EXPECT_THAT(text, Not(HasSubstr("Checkout")));  // steps only with -v
  parts.steps = true;
  text.clear();
  for (const std::string& l : RenderRunView(Pipe(), SampleRun(), parts, kNine)) text += l + "\n";
  EXPECT_THAT(text, HasSubstr("✓ build in 5s (ID 34)\n  ✓ Checkout (1s)\n  ✓ make (3s)\n"));
  // A step name's escape sequence is shown, not obeyed.
  EXPECT_THAT(text, HasSubstr("  X unit ^[[31mtests (57s)\n"));
}

TEST(RunRenderTest, WatchFrameShowsTheRunningStepsLogTailAndCompactHidesFinishedJobs) {
  json run = SampleRun();
  run["status"] = "in_progress";
  run["conclusion"] = nullptr;
  json& test = run["jobs"][1];
  test["status"] = "in_progress";
  test["conclusion"] = nullptr;
  test["completed_at"] = nullptr;
  test["steps"][0]["status"] = "in_progress";
  test["steps"][0]["conclusion"] = nullptr;
  test["steps"][0]["completed_at"] = nullptr;
  std::map<int64_t, std::vector<std::string>> tails = {{35, {"ok 1", "ok 2"}}};
  std::vector<std::string> frame = RenderWatchFrame(Tty(), run, tails, false, kNine);
  EXPECT_THAT(frame, ElementsAre("* main · CI #3 · Fix the build",
                                 "Triggered via push by alice about 5 minutes ago · ID 12", "",
                                 "JOBS", "✓ build in 5s (ID 34)", "  ✓ Checkout (1s)",
                                 "  ✓ make (3s)", "* test in 4m53s (ID 35)",
                                 "  * unit ^[[31mtests (4m53s)", "      ok 1", "      ok 2"));
  std::vector<std::string> compact = RenderWatchFrame(Tty(), run, tails, true, kNine);
  EXPECT_THAT(std::vector<std::string>(compact.begin() + 4, compact.end()),
              ElementsAre("✓ build in 5s (ID 34)", "* test in 4m53s (ID 35)",
                          "  * unit ^[[31mtests (4m53s)", "      ok 1", "      ok 2"));
  // Clipped to the terminal's width.
  tails[35] = {std::string(100, 'x')};
  for (const std::string& line : RenderWatchFrame(Tty(), run, tails, false, kNine)) {
    EXPECT_LE(DisplayWidth(line), 60) << line;
  }
}

TEST(RunRenderTest, PlainChangeLinesNameWhatChanged) {
  json run = SampleRun();
  EXPECT_EQ(PlainChangeLine("run", run, "", kNine), "run 12: completed with failure");
  EXPECT_EQ(PlainChangeLine("job", run["jobs"][0], "", kNine), "job build: success (5s)");
  EXPECT_EQ(PlainChangeLine("step", run["jobs"][0]["steps"][1], "build", kNine),
            "step build / make: success (3s)");
  json queued = {{"name", "deploy"}, {"status", "queued"}};
  EXPECT_EQ(PlainChangeLine("job", queued, "", kNine), "job deploy: queued");
  EXPECT_EQ(WatchDoneLine(Pipe(), run), "X Run CI (12) completed with 'failure'");
}

TEST(RunRenderTest, LogTimestampsAreStrippedAndLinesClipped) {
  EXPECT_EQ(StripLogTimestamp("2026-12-06T09:00:00.123Z hello world"), "hello world");
  EXPECT_EQ(StripLogTimestamp("no stamp"), "no stamp");
  EXPECT_EQ(ClipToWidth("abcdef", 4), "abc…");
  EXPECT_EQ(ClipToWidth("abc", 4), "abc");
  EXPECT_EQ(ClipToWidth("\x1b[31mabcdef\x1b[39m", 4), "\x1b[31mabc…\x1b[0m");
}

TEST(RunRenderTest, ReportsBlockShowsCoverageDeltaTestsAndNewFindings) {
  json reports = json::parse(R"({
    "coverage": {"percent": 83.4, "delta": 1.2, "base": {"branch": "main", "number": 41}},
    "tests": {"passed": 120, "failed": 2, "skipped": 3,
              "failures": [{"classname": "Cart", "name": "adds", "job": "test"}], "flaky": []},
    "security": {"total": 3, "new": [{"severity": "critical", "rule_id": "sqli"}]}})");
  std::vector<std::string> lines = RenderReports(Pipe(), reports);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1], "REPORTS");
  EXPECT_EQ(lines[2], "Coverage 83.4% (+1.2 vs main #41)");
  EXPECT_EQ(lines[3], "Tests 120 passed, 2 failed, 3 skipped");
  EXPECT_EQ(lines[4], "  X Cart.adds (test)");
  EXPECT_EQ(lines[5], "Security 3 open (1 new: critical sqli)");
  EXPECT_TRUE(
      RenderReports(Pipe(), json::parse(R"({"coverage": null, "tests": null, "security": null})"))
          .empty());
  EXPECT_TRUE(RenderReports(Pipe(), nullptr).empty());
}

}  // namespace
}  // namespace gantry::cli
