#include "actions/report_actions.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "actions/builtins.h"
#include "actions/paths.h"
#include "actions/report_text.h"
#include "core/strings.h"
#include "reports/coverage.h"
#include "reports/junit.h"
#include "reports/sarif.h"

namespace gantry::actions {

namespace {

namespace fs = std::filesystem;

core::Result<std::string> ReadWholeFile(const std::string& path, const std::string& shown) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::NotFound(shown + ": cannot be read");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `path` relative to the workspace when inside it, for messages.
std::string Shown(const std::string& path, const std::string& workspace) {
  if (!workspace.empty() && path.starts_with(workspace + "/"))
    return path.substr(workspace.size() + 1);
  return path;
}

// Appends `markdown` to $GITHUB_STEP_SUMMARY (the engine collects it after the step).
void AppendSummary(const engine::BuiltinCall& call, const std::string& markdown) {
  const std::string* file = engine::FindEnv(call.env, "GITHUB_STEP_SUMMARY");
  if (file == nullptr || file->empty()) return;
  std::ofstream out(*file, std::ios::binary | std::ios::app);
  out << markdown;
  if (!out) LogLine(call, "Warning: cannot write the step summary " + *file);
}

// The report files `patterns` (one glob per line, `!` excludes, relative to the workspace)
// name. An empty list is an error, a warning or nothing as `if-no-files-found` says
// (`fallback` when absent); `*found_none` tells the caller to stop without a report.
core::Result<std::vector<std::string>> FindReports(const engine::BuiltinCall& call,
                                                   const std::string& patterns,
                                                   const std::string& input,
                                                   const std::string& fallback, bool* found_none) {
  *found_none = false;
  std::string mode = GetInput(call, "if-no-files-found");
  if (mode.empty()) mode = fallback;
  if (mode != "warn" && mode != "error" && mode != "ignore") {
    return core::Status::InvalidArgument("Unrecognized if-no-files-found input. Provided: " + mode +
                                         ". Available options: warn,error,ignore");
  }
  FindOptions find;
  find.warn = [&](std::string_view line) { LogLine(call, "Warning: " + std::string(line)); };
  auto found = FindFiles(patterns, call.workspace, find);
  if (!found.ok()) return found.status();
  std::vector<std::string> files = std::move(found->files);
  if (files.empty()) {
    std::string message = "No files were found with the provided " + input + ": " + patterns;
    std::replace(message.begin(), message.end(), '\n', ' ');
    if (mode == "error") return core::Status::NotFound(message);
    LogLine(call, mode == "warn" ? "Warning: " + message : message);
    *found_none = true;
  }
  return files;
}

engine::BuiltinResult RunCoverage(const engine::BuiltinCall& call) {
  std::string patterns = GetInput(call, "files");
  if (patterns.empty()) return FailedStep("Input required and not supplied: files");
  std::string min = GetInput(call, "min");
  double floor = 0;
  if (!min.empty()) {
    if (min.back() == '%') min.pop_back();
    char* end = nullptr;
    floor = std::strtod(min.c_str(), &end);
    if (end == min.c_str() || *end != '\0' || floor < 0 || floor > 100)
      return FailedStep("Invalid min: '" + GetInput(call, "min") +
                        "' (a percentage between 0 and 100)");
  }
  std::string base = call.workspace;
  if (std::string wd = GetInput(call, "working-directory"); !wd.empty())
    base = wd[0] == '/' ? wd : call.workspace + "/" + wd;
  bool none = false;
  auto files = FindReports(call, patterns, "files", "error", &none);
  if (!files.ok()) return FailedStep(files.status().message());
  if (none) return {};
  reports::CoverageData all;
  for (const std::string& file : *files) {
    std::string shown = Shown(file, call.workspace);
    auto content = ReadWholeFile(file, shown);
    if (!content.ok()) return FailedStep(content.status().message());
    auto data = reports::ParseCoverage(*content, shown);
    if (!data.ok()) return FailedStep(data.status().message());
    LogLine(call, "Read " + shown + " (" + data->format + ", " +
                      std::to_string(data->files.size()) +
                      (data->files.size() == 1 ? " source file)" : " source files)"));
    reports::MergeCoverage(all, *data);
  }
  reports::CoveragePaths paths{.workspace = call.workspace, .base = base, .go_module = ""};
  if (auto mod = ReadWholeFile(base + "/go.mod", "go.mod"); mod.ok()) {
    std::istringstream lines(*mod);
    for (std::string line; std::getline(lines, line);) {
      std::string_view t = core::TrimSpace(line);
      if (t.starts_with("module ")) {
        paths.go_module = std::string(core::TrimSpace(t.substr(7)));
        break;
      }
    }
  }
  reports::CoverageReport report = reports::FinishCoverage(all, paths);
  engine::BuiltinResult result;
  result.reports.push_back({std::string(reports::kCoverageKind), reports::ToJson(report)});
  std::string percent = OneDecimal(report.Percent());
  result.outputs = {{"percent", percent},
                    {"lines-covered", std::to_string(report.lines_covered)},
                    {"lines-total", std::to_string(report.lines_total)}};
  // The figure shown is what is compared: 49.96% shows as 50.0% and passes a floor of 50.
  bool passed = min.empty() || std::strtod(percent.c_str(), nullptr) >= floor;
  LogLine(call, CoverageLine(report, min));
  AppendSummary(call, CoverageMarkdown(report, min, passed));
  if (!passed) result.error = "line coverage " + percent + "% is below the minimum " + min + "%";
  return result;
}

engine::BuiltinResult RunTests(const engine::BuiltinCall& call) {
  std::string patterns = GetInput(call, "files");
  if (patterns.empty()) return FailedStep("Input required and not supplied: files");
  auto fail_on_failure = GetBooleanInput(call, "fail-on-failure", true);
  if (!fail_on_failure.ok()) return FailedStep(fail_on_failure.status().message());
  bool none = false;
  auto files = FindReports(call, patterns, "files", "error", &none);
  if (!files.ok()) return FailedStep(files.status().message());
  if (none) return {};
  reports::TestReport report;
  for (const std::string& file : *files) {
    std::string shown = Shown(file, call.workspace);
    auto content = ReadWholeFile(file, shown);
    if (!content.ok()) return FailedStep(content.status().message());
    auto parsed = reports::ParseJUnit(*content, shown);
    if (!parsed.ok()) return FailedStep(parsed.status().message());
    // Test files named by absolute paths (jest-junit) read better relative to the workspace.
    for (reports::TestCase& c : parsed->cases) c.file = Shown(c.file, call.workspace);
    reports::MergeTests(report, std::move(*parsed));
  }
  engine::BuiltinResult result;
  result.reports.push_back({std::string(reports::kTestsKind), reports::ToJson(report)});
  result.outputs = {{"passed", std::to_string(report.passed)},
                    {"failed", std::to_string(report.failed)},
                    {"skipped", std::to_string(report.skipped)},
                    {"total", std::to_string(report.passed + report.failed + report.skipped)}};
  LogLine(call, TestsLine(report));
  int shown = 0;
  for (const reports::TestCase& c : report.cases) {
    if (c.status != reports::TestStatus::kFailed) continue;
    if (shown++ == 20) {
      LogLine(call, "  ...");
      break;
    }
    std::string message = c.message.substr(0, c.message.find('\n'));
    LogLine(call, "  FAILED " + TestName(c) + (message.empty() ? "" : ": " + message));
  }
  AppendSummary(call, TestsMarkdown(report));
  if (report.failed > 0 && *fail_on_failure) result.error = TestsFailure(report);
  return result;
}

engine::BuiltinResult RunSecurity(const engine::BuiltinCall& call) {
  std::string input = "sarif_file";
  std::string patterns = GetInput(call, "sarif_file");
  if (patterns.empty() && !GetInput(call, "files").empty()) {
    input = "files";
    patterns = GetInput(call, "files");
  }
  // upload-sarif's default is the folder CodeQL's analyze step writes to.
  bool upload = call.action.name() == kUploadSarifAction;
  if (patterns.empty() && upload) patterns = "../results";
  if (patterns.empty()) return FailedStep("Input required and not supplied: sarif_file");
  std::string fail_on = core::AsciiLower(GetInput(call, "fail-on"));
  if (fail_on.empty()) fail_on = "none";
  int fail_rank = fail_on == "none" ? -1 : reports::SeverityRank(fail_on);
  if (fail_rank > 3)
    return FailedStep("Invalid fail-on: '" + GetInput(call, "fail-on") +
                      "' (one of critical, high, medium, low, none)");
  if (std::string category = GetInput(call, "category"); !category.empty())
    LogLine(call, "Category: " + category);
  // A directory stands for the *.sarif files below it, as upload-sarif reads it.
  if (patterns.find('\n') == std::string::npos) {
    std::string dir = patterns[0] == '/' ? patterns : call.workspace + "/" + patterns;
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
      patterns = fs::path(dir).lexically_normal().string() + "/**/*.sarif";
    } else if (patterns.find_first_of("*?[") == std::string::npos) {
      // A plain path, such as the default ../results, need not lie in the workspace.
      patterns = fs::path(dir).lexically_normal().string();
    }
  }
  bool none = false;
  auto files = FindReports(call, patterns, input, "warn", &none);
  if (!files.ok()) return FailedStep(files.status().message());
  if (none) return {};
  reports::SecurityReport report;
  for (const std::string& file : *files) {
    std::string shown = Shown(file, call.workspace);
    auto content = ReadWholeFile(file, shown);
    if (!content.ok()) return FailedStep(content.status().message());
    auto parsed = reports::ParseSarif(*content, shown, call.workspace);
    if (!parsed.ok()) return FailedStep(parsed.status().message());
    for (reports::Finding& f : parsed->findings) report.findings.push_back(std::move(f));
  }
  engine::BuiltinResult result;
  result.reports.push_back({std::string(reports::kSecurityKind), reports::ToJson(report)});
  std::int64_t counts[6] = {};
  for (const reports::Finding& f : report.findings) ++counts[reports::SeverityRank(f.severity)];
  result.outputs = {{"findings", std::to_string(report.findings.size())}};
  for (int i = 0; i < 5; ++i)
    result.outputs.emplace_back(std::string(reports::kSeverities[i]), std::to_string(counts[i]));
  LogLine(call, SecurityLine(report));
  int shown = 0;
  for (int rank = 0; rank < 5 && shown < 20; ++rank) {
    for (const reports::Finding& f : report.findings) {
      if (reports::SeverityRank(f.severity) != rank) continue;
      if (shown++ == 20) break;
      LogLine(call, "  " + FindingLine(f));
    }
  }
  AppendSummary(call, SecurityMarkdown(report, fail_on));
  std::int64_t failing = 0;
  for (int i = 0; i <= fail_rank; ++i) failing += counts[i];
  if (failing > 0) {
    result.error = "security scan: " + SeverityCounts(report, fail_rank) + " finding" +
                   (failing == 1 ? "" : "s") + " at or above the fail-on level " + fail_on;
  }
  return result;
}

}  // namespace

bool IsReportAction(std::string_view name) {
  return name == kCoverageAction || name == kTestReportAction || name == kSecurityReportAction ||
         name == kUploadSarifAction;
}

engine::BuiltinResult RunReportAction(const engine::BuiltinCall& call) {
  if (call.post) return {};
  std::string name = call.action.name();
  if (name == kCoverageAction) return RunCoverage(call);
  if (name == kTestReportAction) return RunTests(call);
  return RunSecurity(call);
}

}  // namespace gantry::actions
