#include "cli/console_printer.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "cli/json_printer.h"

namespace gantry::cli {
namespace {

using engine::Conclusion;

engine::JobKey Key(const std::string& id, const std::string& name, int instance = 0) {
  return engine::JobKey{id, instance, name};
}

engine::JobReport Report(const engine::JobKey& key, Conclusion c, int ms,
                         const std::string& failed = "") {
  engine::JobReport r;
  r.key = key;
  r.conclusion = c;
  r.duration = std::chrono::milliseconds(ms);
  r.failed_step = failed;
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(FormatDurationTest, ScalesUnits) {
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(420)), "0.42s");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(12345)), "12.3s");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(125000)), "2m 05s");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(3720000)), "1h 02m");
}

TEST(ConsolePrinterTest, PlainLinesArePrefixedWithTheJobName) {
  std::ostringstream out;
  core::Masker masker;
  ConsolePrinter p(out, masker, {});
  auto key = Key("test", "test (linux)");
  p.OnStepStarted(key, 0, "Run make test");
  p.OnLogLine(key, 0, "ok 1");
  p.OnGroup(key, 0, true, "Details");
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "[test (linux)] ==> Run make test");
  EXPECT_EQ(lines[1], "[test (linux)] ok 1");
  EXPECT_EQ(lines[2], "[test (linux)] >> Details");
  EXPECT_EQ(out.str().find('\033'), std::string::npos);
}

TEST(ConsolePrinterTest, ColorsDifferPerJobOnATerminal) {
  std::ostringstream out;
  core::Masker masker;
  ConsolePrinter p(out, masker, {true, true, false});
  p.OnLogLine(Key("a", "a"), 0, "x");
  p.OnLogLine(Key("b", "b"), 0, "y");
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].substr(0, 5), lines[1].substr(0, 5));
  EXPECT_NE(lines[0].find("\033[36m[a]"), std::string::npos);
}

TEST(ConsolePrinterTest, AnnotationsShowFileAndLine) {
  engine::Annotation a;
  a.level = "error";
  a.message = "boom";
  a.file = "src/a.cc";
  a.line = 3;
  EXPECT_EQ(FormatAnnotation(a), "src/a.cc:3: error: boom");
  a.column = 7;
  a.title = "Build";
  EXPECT_EQ(FormatAnnotation(a), "src/a.cc:3:7: error: Build: boom");
  engine::Annotation bare;
  bare.level = "warning";
  bare.message = "careful";
  EXPECT_EQ(FormatAnnotation(bare), "warning: careful");
}

TEST(ConsolePrinterTest, SummaryListsJobsInPlanOrderWithFailedStep) {
  std::ostringstream out;
  core::Masker masker;
  masker.Add("s3cret");
  ConsolePrinter p(out, masker, {});
  WorkflowRunResult run{"CI", ".github/workflows/ci.yml", {}};
  run.report.jobs.push_back(Report(Key("lint", "Lint"), Conclusion::kSuccess, 1200));
  run.report.jobs.push_back(
      Report(Key("test", "Test"), Conclusion::kFailure, 300, "Run echo s3cret && false"));
  run.report.jobs.push_back(Report(Key("deploy", "Deploy"), Conclusion::kSkipped, 0));
  p.PrintSummary({run}, std::chrono::milliseconds(1500), false);
  std::string text = out.str();
  EXPECT_EQ(text.find("s3cret"), std::string::npos);
  auto lint = text.find("Lint ");
  auto test = text.find("Test ");
  auto deploy = text.find("Deploy ");
  ASSERT_NE(lint, std::string::npos);
  EXPECT_LT(lint, test);
  EXPECT_LT(test, deploy);
  EXPECT_NE(text.find("failure     0.30s      Run echo *** && false"), std::string::npos) << text;
  EXPECT_NE(text.find("Failed: 1 success, 1 failure, 1 skipped in 1.50s"), std::string::npos)
      << text;
}

TEST(ConsolePrinterTest, JobsNotRunHereShowTheirReasonAndAreCountedApart) {
  std::ostringstream out;
  core::Masker masker;
  ConsolePrinter p(out, masker, {});
  WorkflowRunResult run{"CI", ".github/workflows/ci.yml", {}};
  run.report.jobs.push_back(Report(Key("build", "build (ubuntu)"), Conclusion::kSuccess, 100));
  engine::JobReport windows = Report(Key("build", "build (windows)"), Conclusion::kSkipped, 0);
  windows.not_here = "runs-on windows-latest: 'windows-latest' is a Windows runner";
  p.OnJobFinished(windows);
  run.report.jobs.push_back(windows);
  run.report.jobs.push_back(Report(Key("docs", "docs"), Conclusion::kSkipped, 0));
  p.PrintSummary({run}, std::chrono::milliseconds(100), false);
  std::string text = out.str();
  EXPECT_NE(text.find("job skipped, not run here: runs-on windows-latest"), std::string::npos)
      << text;
  EXPECT_NE(text.find("-          not run here: runs-on windows-latest"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Success: 1 success, 2 skipped (1 for runs-on) in"), std::string::npos)
      << text;
}

TEST(ConsolePrinterTest, SummaryColumnsStayAlignedWithLongAndNonAsciiJobNames) {
  std::ostringstream out;
  core::Masker masker;
  ConsolePrinter p(out, masker, {});
  WorkflowRunResult run{"CI", "ci.yml", {}};
  std::string long_name = "build (ubuntu-latest, clang, 17, Release, sanitizers, static, lto)";
  run.report.jobs.push_back(Report(Key("a", "Lint → format"), Conclusion::kSuccess, 100));
  run.report.jobs.push_back(Report(Key("b", long_name), Conclusion::kFailure, 200, "Make"));
  run.report.jobs.push_back(Report(Key("c", "Test"), Conclusion::kSuccess, 300));
  p.PrintSummary({run}, std::chrono::milliseconds(600), false);
  std::vector<std::string> lines = Lines(out.str());
  // The CONCLUSION column starts at the same code point on the header and every job row.
  auto column = [](const std::string& line, const std::string& word) {
    size_t at = line.find(word);
    if (at == std::string::npos) return std::string::npos;
    size_t points = 0;
    for (size_t i = 0; i < at; ++i) points += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    return points;
  };
  size_t header = std::string::npos;
  std::vector<size_t> rows;
  for (const std::string& line : lines) {
    if (line.find("CONCLUSION") != std::string::npos) header = column(line, "CONCLUSION");
    for (const char* c : {"success", "failure"}) {
      if (line.find(c) != std::string::npos && line.find("Failed:") == std::string::npos) {
        rows.push_back(column(line, c));
      }
    }
  }
  ASSERT_NE(header, std::string::npos) << out.str();
  EXPECT_EQ(rows, (std::vector<size_t>{header, header, header})) << out.str();
  EXPECT_NE(out.str().find("  " + long_name + "\n"), std::string::npos) << out.str();
}

TEST(ConsolePrinterTest, AMultiLineAnnotationKeepsTheJobPrefixOnEveryLine) {
  std::ostringstream out;
  core::Masker masker;
  ConsolePrinter p(out, masker, {});
  engine::Annotation a;
  a.level = "warning";
  a.message = "first\r\nsecond";
  p.OnAnnotation(Key("a", "build"), 0, a);
  EXPECT_EQ(Lines(out.str()),
            (std::vector<std::string>{"[build] warning: first", "[build]   second"}));
  WorkflowRunResult run{"CI", "ci.yml", {}};
  p.PrintSummary({run}, std::chrono::milliseconds(1), false);
  EXPECT_NE(out.str().find("  warning: first\n    second [build]\n"), std::string::npos)
      << out.str();
}

TEST(ConsolePrinterTest, ConcurrentWritersNeverInterleaveWithinALine) {
  std::ostringstream out;
  core::Masker masker;
  ConsolePrinter p(out, masker, {});
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&p, t] {
      auto key = Key("j" + std::to_string(t), "j" + std::to_string(t));
      for (int i = 0; i < 200; ++i)
        p.OnLogLine(key, 0, std::string(50, static_cast<char>('a' + t)));
    });
  }
  for (auto& th : threads) th.join();
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 800u);
  for (const auto& line : lines) {
    char c = line[line.size() - 1];
    EXPECT_EQ(line, "[j" + std::to_string(c - 'a') + "] " + std::string(50, c));
  }
}

TEST(JsonPrinterTest, EveryEventIsOneParseableLine) {
  std::ostringstream out;
  JsonPrinter p(out, false);
  auto key = Key("build", "build (api)", 1);
  p.RunStarted("CI", "ci.yml", "push", {"build"});
  p.OnJobStarted(key);
  p.OnStepStarted(key, 0, "Run make");
  p.OnLogLine(key, 0, "line with \"quotes\" and \xff invalid utf-8");
  p.OnDebug(key, 0, "hidden without verbose");
  engine::StepReport step;
  step.name = "Run make";
  step.outcome = step.conclusion = Conclusion::kFailure;
  step.error = "exit code 2";
  p.OnStepFinished(key, step);
  auto job = Report(key, Conclusion::kFailure, 40, "Run make");
  job.outputs["v"] = "1";
  p.OnJobFinished(job);
  WorkflowRunResult run{"CI", "ci.yml", {}};
  run.report.jobs.push_back(job);
  p.Summary({run}, std::chrono::milliseconds(50), false, 1);
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 8u);
  std::vector<std::string> types;
  for (const auto& line : lines) {
    auto j = nlohmann::json::parse(line);
    types.push_back(j["type"]);
    EXPECT_TRUE(j.contains("time"));
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"run_started", "job_started", "step_started", "log",
                                      "step_finished", "outputs", "job_finished", "summary"}));
  auto finished = nlohmann::json::parse(lines[6]);
  EXPECT_EQ(finished["conclusion"], "failure");
  EXPECT_EQ(finished["instance"], 1);
  EXPECT_EQ(finished["outputs"]["v"], "1");
  auto summary = nlohmann::json::parse(lines[7]);
  EXPECT_EQ(summary["exit_code"], 1);
  EXPECT_EQ(summary["jobs"][0]["failed_step"], "Run make");
}

TEST(JsonPrinterTest, AReportIsAnEventWithItsWireFormatAsAnObject) {
  std::ostringstream out;
  JsonPrinter p(out, false);
  auto key = Key("test", "test", 0);
  p.OnReport(key, 2, "coverage", R"({"format":"lcov","lines_total":4,"lines_covered":3})");
  auto lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  auto e = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(e["type"], "report");
  EXPECT_EQ(e["step"], 2);
  EXPECT_EQ(e["kind"], "coverage");
  EXPECT_EQ(e["report"]["lines_covered"], 3);
}

}  // namespace
}  // namespace gantry::cli
