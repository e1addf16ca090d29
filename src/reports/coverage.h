#pragma once

// Line coverage read from the files test tools write: LCOV tracefiles, Cobertura XML,
// coverage.py JSON, gcovr JSON (detailed and --json-summary) and Go cover profiles. The
// format is detected from the content. Several files merge into one CoverageReport
// (reports/report.h): a source file named by several reports is merged per line, a line
// covered in any of them being covered.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "reports/report.h"

namespace gantry::reports {

/// What one source file's coverage is made of, before merging.
struct FileLines {
  std::map<int, std::int64_t> lines;  // line number → hits, for formats with line data
  /// Go profiles: block "l.c,l.c" → {statements, hits}. Go counts statements, not lines: a
  /// block's statements count as that many "lines" (docs/actions.md says so).
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> blocks;
  // Summary-only formats (gcovr --json-summary, LCOV without DA): the totals as given.
  std::int64_t summary_total = 0;
  std::int64_t summary_covered = 0;
  bool has_summary = false;
};

/// The coverage of one or more report files, keyed by the path as the report names it.
struct CoverageData {
  std::string format;  // "lcov", "cobertura", "coverage.py", "gcovr", "go" or "mixed"
  std::map<std::string, FileLines> files;
};

/// Detects the format of `content` and parses it. `name` (the report file's path as shown to
/// the user) prefixes errors: "name:line: LCOV: message" for a malformed report,
/// "name: not a coverage report ..." when no format matches.
core::Result<CoverageData> ParseCoverage(std::string_view content, std::string_view name);

/// The parsers behind ParseCoverage, for a known format. Same error contract.
core::Result<CoverageData> ParseLcov(std::string_view content, std::string_view name);
core::Result<CoverageData> ParseCobertura(std::string_view content, std::string_view name);
core::Result<CoverageData> ParseCoveragePy(std::string_view content, std::string_view name);
core::Result<CoverageData> ParseGcovr(std::string_view content, std::string_view name);
core::Result<CoverageData> ParseGoCover(std::string_view content, std::string_view name);

/// Merges `from` into `into`: per line (hits summed), per Go block, summaries by maximum.
void MergeCoverage(CoverageData& into, const CoverageData& from);

/// How report paths become FileCoverage::path.
struct CoveragePaths {
  std::string workspace;  // absolute; paths inside it become relative to it
  std::string base;       // absolute; relative paths in reports are relative to this
  std::string go_module;  // `module` of base/go.mod: Go import paths below it map to base
};

/// The merged report: paths resolved with `paths` (several report paths naming one file are
/// merged again), files sorted by path, totals summed.
CoverageReport FinishCoverage(const CoverageData& data, const CoveragePaths& paths);

/// The 1-based line of byte `offset` in `content` (for error messages).
int LineOfOffset(std::string_view content, std::size_t offset);

}  // namespace gantry::reports
