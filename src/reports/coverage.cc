#include "reports/coverage.h"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace gantry::reports {

namespace {

std::string_view SkipSpace(std::string_view s) {
  // A UTF-8 byte order mark is written by some Windows tools.
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  std::size_t i = s.find_first_not_of(" \t\r\n");
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

// Lexically normal form with '/', without a trailing '/'.
std::string Normal(const std::string& path) {
  std::string n = std::filesystem::path(path).lexically_normal().generic_string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

std::string Resolve(std::string path, const CoveragePaths& paths) {
  if (path.starts_with("file://")) path = path.substr(7);
  if (!paths.go_module.empty() && path.starts_with(paths.go_module + "/")) {
    path = paths.base + path.substr(paths.go_module.size());
  }
  if (path.empty()) return path;
  if (path[0] != '/' && !paths.base.empty()) path = paths.base + "/" + path;
  path = Normal(path);
  if (!paths.workspace.empty()) {
    std::string ws = Normal(paths.workspace);
    if (path == ws) return ".";
    if (path.starts_with(ws + "/")) return path.substr(ws.size() + 1);
  }
  return path;
}

void Totals(const FileLines& f, std::int64_t& total, std::int64_t& covered) {
  total = covered = 0;
  if (!f.lines.empty() || !f.blocks.empty()) {
    for (const auto& [line, hits] : f.lines) {
      ++total;
      if (hits > 0) ++covered;
    }
    for (const auto& [block, sc] : f.blocks) {
      total += sc.first;
      if (sc.second > 0) covered += sc.first;
    }
    return;
  }
  total = f.summary_total;
  covered = std::min(f.summary_covered, f.summary_total);
}

void MergeFile(FileLines& into, const FileLines& from) {
  for (const auto& [line, hits] : from.lines) into.lines[line] += hits;
  for (const auto& [block, sc] : from.blocks) {
    auto [it, inserted] = into.blocks.emplace(block, sc);
    if (!inserted) it->second.second += sc.second;
  }
  if (from.has_summary) {
    into.has_summary = true;
    into.summary_total = std::max(into.summary_total, from.summary_total);
    into.summary_covered = std::max(into.summary_covered, from.summary_covered);
  }
}

}  // namespace

int LineOfOffset(std::string_view content, std::size_t offset) {
  offset = std::min(offset, content.size());
  return 1 + static_cast<int>(std::count(content.begin(), content.begin() + offset, '\n'));
}

core::Result<CoverageData> ParseCoverage(std::string_view content, std::string_view name) {
  std::string_view s = SkipSpace(content);
  if (s.starts_with("mode:")) return ParseGoCover(content, name);
  if (s.starts_with("<")) return ParseCobertura(content, name);
  if (s.starts_with("{")) {
    // coverage.py keys its files by path ("files": {...}); gcovr lists them ("files": [...]).
    // Looking at the text keeps the detection cheap; each parser checks the shape itself.
    std::size_t files = s.find("\"files\"");
    if (files != std::string_view::npos) {
      std::string_view rest = SkipSpace(s.substr(files + 7));
      if (rest.starts_with(":")) rest = SkipSpace(rest.substr(1));
      if (rest.starts_with("[")) return ParseGcovr(content, name);
      if (rest.starts_with("{")) return ParseCoveragePy(content, name);
    }
  } else if (s.starts_with("TN:") || s.starts_with("SF:") ||
             (s.find("\nSF:") != std::string_view::npos &&
              s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == s.find(':'))) {
    // LCOV: usually TN: or SF: first; lcov 2 may start with another record (VER:).
    return ParseLcov(content, name);
  }
  return core::Status::InvalidArgument(
      std::string(name) +
      ": not a coverage report this action reads (LCOV, Cobertura XML, coverage.py JSON, "
      "gcovr JSON or a Go cover profile)");
}

void MergeCoverage(CoverageData& into, const CoverageData& from) {
  if (into.format.empty()) {
    into.format = from.format;
  } else if (!from.format.empty() && into.format != from.format) {
    into.format = "mixed";
  }
  for (const auto& [path, lines] : from.files) MergeFile(into.files[path], lines);
}

CoverageReport FinishCoverage(const CoverageData& data, const CoveragePaths& paths) {
  std::map<std::string, FileLines> resolved;
  for (const auto& [path, lines] : data.files) MergeFile(resolved[Resolve(path, paths)], lines);
  CoverageReport r;
  r.format = data.format;
  for (const auto& [path, lines] : resolved) {
    FileCoverage f;
    f.path = path;
    Totals(lines, f.lines_total, f.lines_covered);
    r.lines_total += f.lines_total;
    r.lines_covered += f.lines_covered;
    r.files.push_back(std::move(f));
  }
  return r;
}

}  // namespace gantry::reports
