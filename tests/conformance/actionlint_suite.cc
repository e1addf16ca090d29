// Suite "actionlint": rhysd/actionlint's test workflows (actionlint/MANIFEST.tsv).
//  - every `ok` case must load with no diagnostic;
//  - every `err`/`examples` case whose expected .out lines carry a rule the loader owns
//    (syntax-check, job-needs, id, matrix, events, workflow-call) must produce a diagnostic on
//    the line of each such expected line (lines only: messages are actionlint's own). Cases
//    whose expected lines are all lint-level (expression types, runner labels, shellcheck...)
//    are not counted. `projects` cases lint whole folders and are not part of this suite.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "suite.h"
#include "workflow/loader.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;
namespace wf = gantry::workflow;

const std::set<std::string>& OwnedRules() {
  static const std::set<std::string> rules = {"syntax-check", "job-needs", "id",
                                              "matrix",       "events",    "workflow-call"};
  return rules;
}

std::optional<std::string> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, '\t')) cells.push_back(cell);
  return cells;
}

struct ExpectedLine {
  int line = 0;
  std::string rule;
  std::string text;
};

// "test.yaml:L:C: message [rule]", or a regular expression "/test\.yaml:L:C: ... \[rule\]/".
std::optional<ExpectedLine> ParseOutLine(const std::string& raw) {
  static const std::regex plain(R"(^test\.yaml:(\d+):\d+: .*\[([a-z-]+)\]\s*$)");
  static const std::regex regex_line(R"(^/test\\\.yaml:(\d+):\d+:.*\\\[([a-z-]+)\\\]/\s*$)");
  std::smatch m;
  if (std::regex_match(raw, m, plain) || std::regex_match(raw, m, regex_line)) {
    return ExpectedLine{std::stoi(m[1]), m[2], raw};
  }
  return std::nullopt;
}

wf::LoadOptions OptionsFor(const fs::path& project_root) {
  wf::LoadOptions options;
  options.read_file = [project_root](const std::string& path) -> std::optional<std::string> {
    std::string relative = path.rfind("./", 0) == 0 ? path.substr(2) : path;
    if (relative.empty() || relative[0] == '/' || relative.find('@') != std::string::npos) {
      return std::nullopt;
    }
    return ReadAll(project_root / relative);
  };
  return options;
}

void RunOk(const fs::path& root, const std::vector<std::string>& row, SuiteResult& result) {
  fs::path file = root / row[2];
  auto content = ReadAll(file);
  ++result.total;
  if (!content) {
    result.failures.push_back({"ok/" + row[0], "cannot read " + file.string()});
    return;
  }
  auto loaded = wf::LoadWorkflow(*content, "test.yaml", OptionsFor(file.parent_path()));
  wf::SortByPosition(loaded.diagnostics);
  if (loaded.ok()) {
    ++result.passed;
  } else {
    result.failures.push_back(
        {"ok/" + row[0], loaded.diagnostics.empty()
                             ? "rejected without a diagnostic"
                             : "rejected: " + loaded.diagnostics[0].ToString()});
  }
}

void RunErr(const fs::path& root, const std::vector<std::string>& row, SuiteResult& result) {
  fs::path file = root / row[2];
  auto out = ReadAll(root / row[3]);
  if (!out) return;
  std::vector<ExpectedLine> owned;
  std::istringstream lines(*out);
  std::string raw;
  while (std::getline(lines, raw)) {
    auto expected = ParseOutLine(raw);
    if (expected && OwnedRules().count(expected->rule)) owned.push_back(*expected);
  }
  if (owned.empty()) return;  // lint-level only: not counted
  ++result.total;
  const std::string id = row[1] + "/" + row[0];
  auto content = ReadAll(file);
  if (!content) {
    result.failures.push_back({id, "cannot read " + file.string()});
    return;
  }
  auto loaded = wf::LoadWorkflow(*content, "test.yaml", OptionsFor(file.parent_path()));
  std::string missing;
  for (const auto& e : owned) {
    // actionlint places errors it cannot locate (YAML that does not parse) at 0:0.
    bool found = std::any_of(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                             [&](const wf::Diagnostic& d) {
                               // A warning (experimental syntax) is no error actionlint expects.
                               return d.IsError() && (e.line == 0 || d.pos.line == e.line);
                             });
    if (!found) missing += (missing.empty() ? "" : " | ") + e.text;
  }
  if (missing.empty()) {
    ++result.passed;
  } else {
    result.failures.push_back({id, "no diagnostic on the line of: " + missing});
  }
}

SuiteResult Run(const fs::path& corpus) {
  SuiteResult result;
  fs::path root = corpus / "actionlint";
  std::ifstream manifest(root / "MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  while (std::getline(manifest, line)) {
    auto row = SplitTabs(line);
    if (row.size() < 4) continue;
    if (row[1] == "ok") {
      RunOk(root, row, result);
    } else if (row[1] == "err" || row[1] == "examples") {
      RunErr(root, row, result);
    }
  }
  return result;
}

const SuiteRegistrar kRegistrar({"actionlint", Run});

}  // namespace
}  // namespace gantry::conformance
