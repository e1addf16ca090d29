#include "server/run_comment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "reports/markdown.h"
#include "server/reports_api.h"

namespace gantry::server {
namespace {

using nlohmann::json;

std::string Number(const json& v, int decimals = 1) {
  if (!v.is_number()) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v.get<double>());
  return buf;
}

std::string Signed(const json& v) {
  if (!v.is_number()) return "";
  double d = v.get<double>();
  return (d >= 0 ? "+" : "") + Number(v);
}

int64_t Int(const json& obj, const char* key) {
  const json& v = obj.value(key, json());
  return v.is_number() ? v.get<int64_t>() : 0;
}

void RenderCoverage(const json& cov, std::string& md) {
  md += "**Coverage** " + Number(cov["percent"]) + "%";
  if (cov.value("base", json()).is_object()) {
    const json& base = cov["base"];
    md += " (" + Signed(cov["delta"]) + " vs " + reports::MarkdownCell(base.value("branch", "")) +
          " #" + std::to_string(Int(base, "number")) + ")";
  }
  md += " — " + std::to_string(Int(cov, "lines_covered")) + " of " +
        std::to_string(Int(cov, "lines_total")) + " lines\n\n";
  // Changed files: those whose coverage moved, and new ones, the biggest moves first.
  const json files = cov.value("files", json::array());
  std::vector<const json*> changed;
  for (const json& f : files) {
    const json& d = f.value("delta", json());
    if (d.is_null() && cov.value("base", json()).is_object()) {
      changed.push_back(&f);
    } else if (d.is_number() && std::abs(d.get<double>()) >= 0.01) {
      changed.push_back(&f);
    }
  }
  if (changed.empty()) return;
  std::stable_sort(changed.begin(), changed.end(), [](const json* a, const json* b) {
    auto mag = [](const json* f) {
      const json& d = f->value("delta", json());
      return d.is_number() ? std::abs(d.get<double>()) : 1000.0;
    };
    return mag(a) > mag(b);
  });
  md += "| File | Coverage | Δ |\n|---|---:|---:|\n";
  for (size_t i = 0; i < changed.size() && i < kCommentMaxFiles; ++i) {
    const json& f = *changed[i];
    const json& d = f.value("delta", json());
    md += "| `" + reports::MarkdownCell(f.value("path", "")) + "` | " + Number(f["percent"]) +
          "% | " + (d.is_number() ? Signed(d) : std::string("new")) + " |\n";
  }
  if (changed.size() > kCommentMaxFiles) {
    md += "\n…and " + std::to_string(changed.size() - kCommentMaxFiles) + " more files\n";
  }
  md += "\n";
}

void RenderTests(const json& tests, std::string& md) {
  md += "**Tests** " + std::to_string(Int(tests, "passed")) + " passed, " +
        std::to_string(Int(tests, "failed")) + " failed, " + std::to_string(Int(tests, "skipped")) +
        " skipped\n\n";
  const json& failures = tests.value("failures", json::array());
  for (size_t i = 0; i < failures.size() && i < kCommentMaxItems; ++i) {
    const json& f = failures[i];
    std::string name = f.value("classname", "");
    name += name.empty() ? "" : ".";
    name += f.value("name", "");
    md += "- :x: `" + reports::MarkdownCell(name) + "` (" +
          reports::MarkdownCell(f.value("job", "")) + ")";
    std::string message = f.value("message", "");
    if (!message.empty()) md += ": " + reports::MarkdownCell(message);
    md += "\n";
  }
  if (failures.size() > kCommentMaxItems) {
    md += "- …and " + std::to_string(failures.size() - kCommentMaxItems) + " more\n";
  }
  const json& flaky = tests.value("flaky", json::array());
  if (!flaky.empty()) {
    md += "\nFlaky (failed, then passed): ";
    for (size_t i = 0; i < flaky.size() && i < kCommentMaxItems; ++i) {
      std::string name = flaky[i].value("classname", "");
      name += name.empty() ? "" : ".";
      name += flaky[i].value("name", "");
      md += (i == 0 ? "`" : ", `") + reports::MarkdownCell(name) + "`";
    }
    md += "\n";
  }
  md += "\n";
}

void RenderSecurity(const json& sec, std::string& md) {
  const json& fresh = sec.value("new", json::array());
  int64_t total = Int(sec, "total");
  md += "**Security** " + std::to_string(total) + (total == 1 ? " finding, " : " findings, ") +
        std::to_string(fresh.size()) + " new\n\n";
  for (size_t i = 0; i < fresh.size() && i < kCommentMaxItems; ++i) {
    const json& f = fresh[i];
    std::string where = f.value("file", "");
    if (Int(f, "line") > 0) where += ":" + std::to_string(Int(f, "line"));
    md += "- **" + reports::MarkdownCell(f.value("severity", "")) + "** " +
          reports::MarkdownCell(f.value("rule_id", "")) + " (" +
          reports::MarkdownCell(f.value("tool", "")) + ")" +
          (where.empty() ? "" : " `" + reports::MarkdownCell(where) + "`") + ": " +
          reports::MarkdownCell(f.value("message", "")) + "\n";
  }
  if (fresh.size() > kCommentMaxItems) {
    md += "- …and " + std::to_string(fresh.size() - kCommentMaxItems) + " more\n";
  }
  md += "\n";
}

}  // namespace

std::string RenderRunComment(const store::Run& run, const std::string& run_url,
                             const nlohmann::json& reports) {
  std::string name = run.workflow_name.empty() ? run.workflow_file : run.workflow_name;
  std::string md =
      "### Gantry: " + reports::MarkdownCell(name) + " #" + std::to_string(run.number) + "\n\n";
  md += "[Run " + std::to_string(run.id) + "](" + run_url + ")";
  if (!run.conclusion.empty()) md += " — " + run.conclusion;
  md += " · `" + run.sha.substr(0, 7) + "`\n\n";
  bool any = false;
  if (reports.value("coverage", json()).is_object()) {
    RenderCoverage(reports["coverage"], md);
    any = true;
  }
  if (reports.value("tests", json()).is_object()) {
    RenderTests(reports["tests"], md);
    any = true;
  }
  if (reports.value("security", json()).is_object()) {
    RenderSecurity(reports["security"], md);
    any = true;
  }
  if (!any) md += "No reports.\n";
  return md;
}

core::Result<std::string> RunCommentMarkdown(ApiContext& ctx, store::Id run_id) {
  auto run = ctx.store->GetRun(run_id);
  if (!run.ok()) return run.status();
  auto project = ctx.store->GetProject(run->project_id);
  if (!project.ok()) return project.status();
  auto reports = RunReportsJson(ctx, run.value(), 0);
  if (!reports.ok()) return reports.status();
  std::string url = ctx.config.base_url + "/" + project->owner + "/" + project->name + "/runs/" +
                    std::to_string(run->id);
  return RenderRunComment(run.value(), url, reports.value());
}

}  // namespace gantry::server
