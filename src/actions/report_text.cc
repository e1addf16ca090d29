#include "actions/report_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/markdown.h"
#include "reports/sarif.h"

namespace gantry::actions {

namespace {

constexpr std::size_t kMarkdownRows = 50;

std::string FirstLine(std::string_view s) { return std::string(s.substr(0, s.find('\n'))); }

std::string Plural(std::int64_t n, const char* one, const char* many) {
  return Thousands(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string Thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string OneDecimal(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::round(value * 10) / 10);
  return buf;
}

std::string CoverageLine(const reports::CoverageReport& r, const std::string& min) {
  std::string line =
      "Coverage: " + OneDecimal(r.Percent()) + "% of " + Plural(r.lines_total, "line", "lines");
  if (!min.empty()) line += " (min " + min + "%)";
  return line;
}

std::string CoverageMarkdown(const reports::CoverageReport& r, const std::string& min,
                             bool passed) {
  std::string md = "### Coverage\n\n**" + OneDecimal(r.Percent()) +
                   "%** line coverage: " + Thousands(r.lines_covered) + " of " +
                   Plural(r.lines_total, "line", "lines") + " (" + r.format + ")";
  if (!min.empty())
    md += passed ? ", minimum " + min + "% ✅" : ", below the minimum " + min + "% ❌";
  md += "\n\n| File | Lines | Covered | % |\n|---|---:|---:|---:|\n";
  // The least covered files first: they are what a reader looks for.
  std::vector<const reports::FileCoverage*> files;
  for (const reports::FileCoverage& f : r.files) files.push_back(&f);
  std::stable_sort(files.begin(), files.end(), [](const auto* a, const auto* b) {
    return a->lines_total - a->lines_covered > b->lines_total - b->lines_covered;
  });
  for (std::size_t i = 0; i < files.size() && i < kMarkdownRows; ++i) {
    const reports::FileCoverage& f = *files[i];
    double pct = f.lines_total > 0 ? 100.0 * static_cast<double>(f.lines_covered) /
                                         static_cast<double>(f.lines_total)
                                   : 100.0;
    md += "| " + reports::MarkdownCell(f.path) + " | " + Thousands(f.lines_total) + " | " +
          Thousands(f.lines_covered) + " | " + OneDecimal(pct) + "% |\n";
  }
  if (files.size() > kMarkdownRows)
    md += "\n… and " + Thousands(static_cast<std::int64_t>(files.size() - kMarkdownRows)) +
          " more files\n";
  return md + "\n";
}

std::string TestsLine(const reports::TestReport& r) {
  return "Tests: " + Thousands(r.passed) + " passed, " + Thousands(r.failed) + " failed, " +
         Thousands(r.skipped) + " skipped in " + OneDecimal(r.seconds) + "s";
}

std::string TestName(const reports::TestCase& c) {
  if (c.classname.empty() || c.name.starts_with(c.classname)) return c.name;
  return c.classname + "." + c.name;
}

std::string TestsFailure(const reports::TestReport& r) {
  std::string out = Plural(r.failed, "test", "tests") + " failed: ";
  int named = 0;
  for (const reports::TestCase& c : r.cases) {
    if (c.status != reports::TestStatus::kFailed) continue;
    if (named == 3) {
      out += ", and " + Thousands(r.failed - 3) + " more";
      break;
    }
    out += (named++ > 0 ? ", " : "") + TestName(c);
  }
  return out;
}

std::string TestsMarkdown(const reports::TestReport& r) {
  std::string md = "### Tests\n\n" + std::string(r.failed > 0 ? "❌ " : "✅ ") + Thousands(r.passed) +
                   " passed, " + Thousands(r.failed) + " failed, " + Thousands(r.skipped) +
                   " skipped in " + OneDecimal(r.seconds) + "s\n\n";
  if (r.failed == 0) return md;
  md += "| Failed test | Message |\n|---|---|\n";
  std::size_t rows = 0;
  for (const reports::TestCase& c : r.cases) {
    if (c.status != reports::TestStatus::kFailed) continue;
    if (rows++ == kMarkdownRows) {
      md += "\n… and more\n";
      break;
    }
    md += "| " + reports::MarkdownCell(TestName(c)) + " | " +
          reports::MarkdownCell(FirstLine(c.message)) + " |\n";
  }
  return md + "\n";
}

std::string SeverityCounts(const reports::SecurityReport& r, int max_rank) {
  std::int64_t counts[6] = {};
  for (const reports::Finding& f : r.findings) ++counts[reports::SeverityRank(f.severity)];
  std::string out;
  for (int i = 0; i <= max_rank && i < 5; ++i) {
    if (counts[i] == 0) continue;
    out += (out.empty() ? "" : ", ") + Thousands(counts[i]) + " " +
           std::string(reports::kSeverities[i]);
  }
  return out;
}

std::string SecurityLine(const reports::SecurityReport& r) {
  if (r.findings.empty()) return "Security: no findings";
  return "Security: " +
         Plural(static_cast<std::int64_t>(r.findings.size()), "finding", "findings") + " (" +
         SeverityCounts(r) + ")";
}

std::string FindingLine(const reports::Finding& f) {
  std::string upper;
  for (char c : f.severity) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string where = f.file.empty() ? "" : " at " + f.file;
  if (!f.file.empty() && f.line > 0) where += ":" + std::to_string(f.line);
  return upper + " " + f.rule_id + where + ": " + FirstLine(f.message);
}

std::string SecurityMarkdown(const reports::SecurityReport& r, const std::string& fail_on) {
  std::string md = "### Security\n\n";
  if (r.findings.empty()) return md + "No findings.\n\n";
  md += Plural(static_cast<std::int64_t>(r.findings.size()), "finding", "findings") + ": " +
        SeverityCounts(r) +
        (fail_on.empty() || fail_on == "none" ? "" : " (fail-on: " + fail_on + ")") +
        "\n\n| Severity | Rule | Location | Message | Tool |\n|---|---|---|---|---|\n";
  std::vector<const reports::Finding*> sorted;
  for (const reports::Finding& f : r.findings) sorted.push_back(&f);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return reports::SeverityRank(a->severity) < reports::SeverityRank(b->severity);
  });
  for (std::size_t i = 0; i < sorted.size() && i < kMarkdownRows; ++i) {
    const reports::Finding& f = *sorted[i];
    std::string where = f.file + (f.line > 0 ? ":" + std::to_string(f.line) : "");
    md += "| " + f.severity + " | " + reports::MarkdownCell(f.rule_id) + " | " +
          reports::MarkdownCell(where) + " | " + reports::MarkdownCell(FirstLine(f.message)) +
          " | " + reports::MarkdownCell(f.tool) + " |\n";
  }
  if (sorted.size() > kMarkdownRows) md += "\n… and more\n";
  return md + "\n";
}

}  // namespace gantry::actions
